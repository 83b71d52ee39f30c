package sqlitestore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/esbench/esbench/refimpl/store"
)

// init makes the backend selectable as --store sqlite in any binary that
// imports this package.
func init() {
	store.Register(store.Backend{
		Name:    "sqlite",
		Summary: "example backend: one SQLite file (--sqlite-path, else a temporary file)",
		New:     func() store.Settings { return &settings{sync: true} },
	})
}

// settings are the backend's flags, prefixed with its name so they cannot
// clash with another backend's.
type settings struct {
	path string
	sync bool
}

func (s *settings) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&s.path, "sqlite-path", "", "sqlite: database file (default: a temporary file removed on exit)")
	fs.BoolVar(&s.sync, "sqlite-sync", true, "sqlite: wait for the disk on every commit")
}

// Check validates the flags before anything is opened.
func (s *settings) Check() error {
	if s.path == "" {
		return nil
	}
	if fi, err := os.Stat(s.path); err == nil && fi.IsDir() {
		return fmt.Errorf("--sqlite-path %s: is a directory, want a database file", s.path)
	}
	if dir := filepath.Dir(s.path); dir != "" {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return fmt.Errorf("--sqlite-path %s: directory %s does not exist", s.path, dir)
		}
	}
	return nil
}

// Open opens the file --sqlite-path names (an instance gets a file of its
// own beside it: events.db and instance x give events-x.db), or a temporary
// file that Close removes.
func (s *settings) Open(ctx context.Context, opts store.OpenOptions) (store.Store, error) {
	if err := s.Check(); err != nil {
		return nil, err
	}
	path := s.path
	if path == "" {
		dir, err := os.MkdirTemp("", "esbench-sqlite-")
		if err != nil {
			return nil, fmt.Errorf("sqlite: creating a temporary directory: %w", err)
		}
		st, err := Open(ctx, filepath.Join(dir, "events.db"), s.sync)
		if err != nil {
			return nil, errors.Join(err, os.RemoveAll(dir))
		}
		return &tempStore{Store: st, dir: dir}, nil
	}
	if opts.Instance != "" {
		ext := filepath.Ext(path)
		path = strings.TrimSuffix(path, ext) + "-" + opts.SafeInstance() + ext
	}
	st, err := Open(ctx, path, s.sync)
	if err != nil {
		return nil, fmt.Errorf("--sqlite-path %s: %w", path, err)
	}
	return st, nil
}

func (s *settings) About() store.About {
	desc := "sqlite (temporary file)"
	if s.path != "" {
		desc = "sqlite (" + s.path + ")"
	}
	return store.About{
		Description: desc,
		Options:     map[string]string{"sync": strconv.FormatBool(s.sync)},
		Persistent:  s.path != "",
		Exclusive:   true,
	}
}

// tempStore removes its temporary directory when closed.
type tempStore struct {
	*Store
	dir string
}

func (t *tempStore) Close() error {
	return errors.Join(t.Store.Close(), os.RemoveAll(t.dir))
}
