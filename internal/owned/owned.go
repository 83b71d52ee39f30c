// Package owned records which directories esbench created, so it never
// writes into, or deletes from, a directory that belongs to someone else.
//
// A directory is esbench's when it holds a marker file (MarkerFile) written
// when esbench created the directory. The marker names the kind of
// directory (a pebble data directory, a result directory, ...), so one kind
// is never mistaken for another. An existing directory without a marker is
// accepted only when it is empty (nothing in it can be lost); it is then
// marked. See docs/design.md, "Directory ownership".
package owned

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/esbench/esbench/internal/buildinfo"
)

// MarkerFile is the name of the marker in every directory esbench owns.
const MarkerFile = ".esbench-owned"

// Kinds of directory esbench creates.
const (
	// KindPebble is a pebble store's data directory (hot and cold tiers).
	KindPebble = "pebble-data"
	// KindResults is one result directory (result.json, report.html, ...).
	KindResults = "results"
	// KindRunSet holds the result directories of one `esbench run
	// --count N`, one per run.
	KindRunSet = "run-set"
	// KindCodecs is the result directory of `esbench codecs`.
	KindCodecs = "codecs-results"
)

// ErrNotOwned is returned (wrapped in an *Error) for a directory esbench did
// not create.
var ErrNotOwned = errors.New("directory not created by esbench")

// Error explains why a directory was refused and what to do instead.
type Error struct {
	Dir string
	// Kind is the kind of directory asked for.
	Kind string
	// Found is the kind in the directory's marker, or "" without a marker.
	Found string
	// Sample names a few of the entries found in the directory.
	Sample []string
}

func (e *Error) Error() string {
	if e.Found != "" {
		return fmt.Sprintf("%s is esbench's %s directory, not a %s directory: use another directory", e.Dir, e.Found, e.Kind)
	}
	return fmt.Sprintf("refusing to use %s as a %s directory: it exists, is not empty (%s) and has no %s marker, so esbench did not create it and will not write into or delete from it; give a new or empty directory",
		e.Dir, e.Kind, strings.Join(e.Sample, ", "), MarkerFile)
}

// Unwrap makes errors.Is(err, ErrNotOwned) true.
func (e *Error) Unwrap() error { return ErrNotOwned }

// Check reports whether dir may be used as a directory of kind: it does not
// exist, is empty, or carries a marker of that kind. It changes nothing.
func Check(dir, kind string) error {
	_, err := check(dir, kind)
	return err
}

// check returns whether dir exists, and an error if it may not be used.
func check(dir, kind string) (exists bool, err error) {
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !fi.IsDir() {
		return true, fmt.Errorf("%s is a file, not a directory: give a new or empty directory for the %s", dir, kind)
	}
	found, marked, err := readMarker(dir)
	if err != nil {
		return true, err
	}
	if marked {
		if found != kind {
			return true, &Error{Dir: dir, Kind: kind, Found: found}
		}
		return true, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return true, err
	}
	if len(entries) == 0 {
		return true, nil
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	if len(names) > 3 {
		names = append(names[:3], fmt.Sprintf("and %d more", len(names)-3))
	}
	return true, &Error{Dir: dir, Kind: kind, Sample: names}
}

// Claim makes dir a directory of kind that esbench owns: it creates dir
// (and missing parents) with a marker, marks an existing empty directory,
// and accepts a directory already marked with kind. Anything else is an
// *Error and nothing is changed.
func Claim(dir, kind string) error {
	exists, err := check(dir, kind)
	if err != nil {
		return err
	}
	if exists {
		if _, marked, err := readMarker(dir); err != nil || marked {
			return err
		}
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	return writeMarker(dir, kind)
}

// Create makes a new directory dir (its parent must exist) with a marker
// of kind; it fails if dir already exists.
func Create(dir, kind string) error {
	if err := os.Mkdir(dir, 0o755); err != nil {
		return err
	}
	return writeMarker(dir, kind)
}

// Owns reports whether dir carries a marker of kind.
func Owns(dir, kind string) bool {
	found, marked, err := readMarker(dir)
	return err == nil && marked && found == kind
}

func writeMarker(dir, kind string) error {
	v, c := buildinfo.Info()
	body := fmt.Sprintf("kind: %s\nversion: %s\ncommit: %s\n", kind, v, c)
	if err := os.WriteFile(filepath.Join(dir, MarkerFile), []byte(body), 0o644); err != nil {
		return fmt.Errorf("marking %s as esbench's: %w", dir, err)
	}
	return nil
}

// readMarker returns the kind in dir's marker and whether there is one.
func readMarker(dir string) (kind string, marked bool, err error) {
	data, err := os.ReadFile(filepath.Join(dir, MarkerFile))
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("reading %s: %w", filepath.Join(dir, MarkerFile), err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if k, ok := strings.CutPrefix(line, "kind: "); ok {
			return strings.TrimSpace(k), true, nil
		}
	}
	return "unknown", true, nil
}
