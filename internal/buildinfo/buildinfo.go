// Package buildinfo carries the version and commit stamped in at link time,
// falling back to what the Go toolchain recorded in the binary.
package buildinfo

import "runtime/debug"

// Version and Commit are set with -ldflags -X by the Makefile.
var (
	Version = ""
	Commit  = ""
)

// Info returns the version and commit of this binary.
func Info() (version, commit string) {
	version, commit = Version, Commit
	if bi, ok := debug.ReadBuildInfo(); ok {
		if version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && commit == "" {
				commit = s.Value
			}
		}
	}
	if version == "" {
		version = "dev"
	}
	if commit == "" {
		commit = "unknown"
	}
	return version, commit
}
