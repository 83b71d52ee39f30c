package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFaultFlagsBadInput covers the flags of the fault, audit and alert
// work: each bad value is refused before any work starts, with a message
// naming the flag and the allowed range, and no result directory appears.
func TestFaultFlagsBadInput(t *testing.T) {
	wl := writeTiny(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"alert share negative", []string{"run", wl, "--store", "memory", "--alert-share", "-0.1"}, "--alert-share -0.1: must be a share between 0 and 1"},
		{"alert share above one", []string{"run", wl, "--store", "memory", "--alert-share", "1.5"}, "--alert-share 1.5: must be a share between 0 and 1"},
		{"alert share NaN", []string{"run", wl, "--store", "memory", "--alert-share", "NaN"}, "--alert-share NaN: must be a share between 0 and 1"},
		{"alert share not a number", []string{"run", wl, "--store", "memory", "--alert-share", "lots"}, `invalid argument "lots" for "--alert-share"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "results")
			stdout, err := runCLI(t, append(tt.args, "--out", out)...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("esbench %s: err %v, want %q\n%s", strings.Join(tt.args, " "), err, tt.want, stdout)
			}
			if dirExists(out) {
				t.Errorf("a refused run created %s", out)
			}
		})
	}
}

func dirExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}
