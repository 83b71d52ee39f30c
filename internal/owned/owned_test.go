package owned

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestClaim(t *testing.T) {
	base := t.TempDir()
	mk := func(name string, files ...string) string {
		dir := filepath.Join(base, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if err := os.WriteFile(filepath.Join(dir, f), []byte("user data"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	file := filepath.Join(base, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	results := mk("results")
	if err := writeMarker(results, KindResults); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, dir string
		want      string // "" means Claim succeeds
	}{
		{"new", filepath.Join(base, "new", "nested"), ""},
		{"empty", mk("empty"), ""},
		{"foreign", mk("foreign", "CURRENT", "000001.log"), "not empty (000001.log, CURRENT)"},
		{"file", file, "is a file"},
		{"other kind", results, "esbench's results directory, not a pebble-data directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Claim(tc.dir, KindPebble)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if !Owns(tc.dir, KindPebble) {
					t.Fatal("claimed directory carries no marker")
				}
				// Claiming again is accepted: the directory is esbench's now.
				if err := Claim(tc.dir, KindPebble); err != nil {
					t.Fatalf("second claim: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Claim = %v, want an error containing %q", err, tc.want)
			}
			if tc.name != "file" && !errors.Is(err, ErrNotOwned) {
				t.Errorf("error %v is not ErrNotOwned", err)
			}
			if tc.name == "foreign" {
				if _, err := os.Stat(filepath.Join(tc.dir, MarkerFile)); err == nil {
					t.Error("a refused directory was marked")
				}
			}
		})
	}
}
