package repository

import (
	"testing"

	"github.com/esbench/esbench/refimpl/store"
	"github.com/esbench/esbench/refimpl/store/memory"
	"github.com/esbench/esbench/refimpl/store/pebble"
)

// backend opens a fresh, empty store for one test or benchmark.
type backend struct {
	name string
	open func(tb testing.TB) store.Store
}

// openPebble opens a pebble store in a temporary directory, closed at the
// end of the test.
func openPebble(tb testing.TB, sync bool) store.Store {
	tb.Helper()
	opts := pebble.DefaultOptions(tb.TempDir())
	opts.Sync = sync
	st, err := pebble.Open(opts)
	if err != nil {
		tb.Fatalf("pebble.Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := st.Close(); err != nil {
			tb.Errorf("pebble Close: %v", err)
		}
	})
	return st
}

// backends are the real stores the tests run on. Pebble runs without fsync
// here: the tests check the repository's semantics, not durability.
func backends(testing.TB) []backend {
	return []backend{
		{"memory", func(testing.TB) store.Store { return memory.New() }},
		// The memory store seen through Load only: the replay path every
		// backend without a store.Replayer takes.
		{"memory-load", func(testing.TB) store.Store { return loadOnly{memory.New()} }},
		{"pebble", func(tb testing.TB) store.Store { return openPebble(tb, false) }},
	}
}

// loadOnly hides a store's optional interfaces (store.Replayer among them).
type loadOnly struct{ store.Store }

// benchBackends are the stores the benchmarks compare, pebble with its
// default durable (fsync per append) settings.
func benchBackends() []backend {
	return []backend{
		{"memory", func(testing.TB) store.Store { return memory.New() }},
		{"pebble", func(tb testing.TB) store.Store { return openPebble(tb, true) }},
	}
}
