package pebble

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/spf13/pflag"

	"github.com/esbench/esbench/refimpl/store"
)

func openFromFlags(t *testing.T, opts store.OpenOptions, args ...string) (store.Store, store.Settings) {
	t.Helper()
	b, ok := store.Lookup("pebble")
	if !ok {
		t.Fatal("pebble is not registered")
	}
	set := b.New()
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	set.AddFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	s, err := set.Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return s, set
}

func TestRegisteredTemporaryDirectory(t *testing.T) {
	s, set := openFromFlags(t, store.OpenOptions{}, "--pebble-sync=false")
	tmp, ok := s.(*tempDirStore)
	if !ok {
		t.Fatalf("pebble without --data-dir is %T, want a temporary-directory store", s)
	}
	if a := set.About(); a.Persistent || a.Options["sync"] != "false" {
		t.Errorf("About = %+v, want not persistent, sync false", a)
	}
	if _, err := os.Stat(filepath.Join(tmp.dir, "hot")); err != nil {
		t.Fatalf("temporary data directory: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(tmp.dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("temporary directory %s left behind (%v)", tmp.dir, err)
	}
}

func TestRegisteredInstanceSubdirectory(t *testing.T) {
	dir := t.TempDir()
	s, set := openFromFlags(t, store.OpenOptions{Instance: "snapshots=100"}, "--data-dir", dir)
	defer s.Close()
	if _, err := os.Stat(filepath.Join(dir, "snapshots_100", "hot")); err != nil {
		t.Fatalf("instance directory: %v", err)
	}
	if !set.About().Persistent {
		t.Error("a --data-dir store is not reported persistent")
	}
}
