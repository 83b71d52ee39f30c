package pebble

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/spf13/pflag"

	"github.com/esbench/esbench/internal/owned"
	"github.com/esbench/esbench/refimpl/store"
)

func init() {
	store.Register(store.Backend{
		Name:    "pebble",
		Summary: "embedded and durable (--data-dir, else a temporary directory)",
		New:     func() store.Settings { return &settings{sync: true} },
	})
}

// settings are the pebble backend's flags.
type settings struct {
	dir  string
	sync bool
}

func (s *settings) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&s.dir, "data-dir", "", "pebble data directory (default: a temporary directory removed on exit)")
	fs.BoolVar(&s.sync, "pebble-sync", true, "pebble: fsync every write")
}

// Check refuses a --data-dir that esbench did not create before any work
// starts: pebble deletes files in its directory whose names look like its
// own, so a directory holding anything but esbench's marker and data would
// lose files.
func (s *settings) Check() error {
	if s.dir == "" {
		return nil
	}
	if err := owned.Check(s.dir, owned.KindPebble); err != nil {
		return fmt.Errorf("--data-dir: %w", err)
	}
	return nil
}

// Open opens the store in --data-dir (opts.Instance a subdirectory of it),
// or in a temporary directory that Close removes. --data-dir and each
// instance's subdirectory are marked as esbench's when created.
func (s *settings) Open(_ context.Context, opts store.OpenOptions) (store.Store, error) {
	dir, temp := s.dir, false
	if dir == "" {
		d, err := os.MkdirTemp("", "esbench-pebble-")
		if err != nil {
			return nil, fmt.Errorf("--data-dir: creating a temporary directory: %w", err)
		}
		dir, temp = d, true
	} else {
		if err := owned.Claim(dir, owned.KindPebble); err != nil {
			return nil, fmt.Errorf("--data-dir: %w", err)
		}
		if opts.Instance != "" {
			dir = filepath.Join(dir, opts.SafeInstance())
			if err := owned.Claim(dir, owned.KindPebble); err != nil {
				return nil, fmt.Errorf("--data-dir: %w", err)
			}
		}
	}
	po := DefaultOptions(dir)
	po.Sync = s.sync
	st, err := Open(po)
	if err != nil {
		if temp {
			_ = os.RemoveAll(dir)
		}
		return nil, fmt.Errorf("--data-dir %s: %w", dir, err)
	}
	if temp {
		return &tempDirStore{Store: st, dir: dir}, nil
	}
	return st, nil
}

func (s *settings) About() store.About {
	desc := "pebble (temporary directory)"
	if s.dir != "" {
		desc = "pebble (" + s.dir + ")"
	}
	a := store.About{Description: desc, Options: map[string]string{"sync": strconv.FormatBool(s.sync)}, Persistent: s.dir != "", Exclusive: true}
	if s.dir != "" {
		abs, err := filepath.Abs(s.dir)
		if err != nil {
			abs = s.dir
		}
		a.Location = "pebble " + abs
	}
	return a
}

// tempDirStore removes its temporary data directory when closed.
type tempDirStore struct {
	*Store
	dir string
}

func (t *tempDirStore) Close() error {
	return errors.Join(t.Store.Close(), os.RemoveAll(t.dir))
}

// Fork forks the store beside its temporary directory rather than inside
// it (store.Forker): a fork outlives the store, whose Close removes that
// directory.
func (t *tempDirStore) Fork(ctx context.Context, opts store.ForkOptions) (store.Store, error) {
	return t.forkInto(ctx, filepath.Dir(t.dir), opts)
}
