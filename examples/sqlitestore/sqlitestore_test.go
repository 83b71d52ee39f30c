package sqlitestore_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/esbench/esbench/examples/sqlitestore"
	"github.com/esbench/esbench/refimpl/store"
	"github.com/esbench/esbench/refimpl/store/storetest"
)

func openAt(t storetest.T, path string) store.Store {
	t.Helper()
	s, err := sqlitestore.Open(context.Background(), path, false)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// TestConformance runs the store contract's conformance suite, the one
// memory, pebble and cassandra pass, against the example backend.
func TestConformance(t *testing.T) {
	var (
		mu    sync.Mutex
		paths = map[store.Store]string{}
	)
	open := func(t storetest.T, path string) store.Store {
		s := openAt(t, path)
		mu.Lock()
		paths[s] = path
		mu.Unlock()
		return s
	}
	storetest.Run(t, storetest.Harness{
		Open: func(t storetest.T) store.Store { return open(t, filepath.Join(t.TempDir(), "events.db")) },
		Reopen: func(t storetest.T, s store.Store) store.Store {
			mu.Lock()
			path := paths[s]
			mu.Unlock()
			if err := s.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			return open(t, path)
		},
	})
}

// TestExclusive checks what the backend's settings declare: a second store
// on an open file is refused.
func TestExclusive(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.db")
	openAt(t, path)
	if s, err := sqlitestore.Open(context.Background(), path, false); err == nil {
		s.Close()
		t.Fatal("a second store opened the file the first holds")
	}
}
