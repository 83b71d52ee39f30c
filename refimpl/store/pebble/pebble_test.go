package pebble_test

import (
	"testing"

	"github.com/esbench/esbench/refimpl/store"
	"github.com/esbench/esbench/refimpl/store/pebble"
	"github.com/esbench/esbench/refimpl/store/storetest"
)

func openAt(tb storetest.T, opts pebble.Options) *pebble.Store {
	tb.Helper()
	s, err := pebble.Open(opts)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s
}

func open(tb storetest.T) store.Store {
	return openAt(tb, pebble.DefaultOptions(tb.TempDir()))
}

func reopen(tb storetest.T, s store.Store) store.Store {
	ps := s.(*pebble.Store)
	if err := ps.Close(); err != nil {
		tb.Fatalf("Close: %v", err)
	}
	return openAt(tb, ps.Options())
}

func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Harness{Open: open, Reopen: reopen})
}

// TestConformanceSmallPages runs the suite with pages of 7 events so that
// every load crosses many page boundaries, and with a separate cold
// directory and no fsync.
func TestConformanceSmallPages(t *testing.T) {
	openSmall := func(tb storetest.T) store.Store {
		opts := pebble.DefaultOptions(tb.TempDir())
		opts.PageSize = 7
		opts.ColdDir = tb.TempDir()
		opts.Sync = false
		return openAt(tb, opts)
	}
	storetest.Run(t, storetest.Harness{Open: openSmall, Reopen: reopen, Large: 2_000})
}

func BenchmarkAppend(b *testing.B) { storetest.BenchAppend(b, open) }

func BenchmarkLoad(b *testing.B) { storetest.BenchLoad(b, open) }

func BenchmarkLatestSnapshot(b *testing.B) { storetest.BenchLatestSnapshot(b, open) }

func BenchmarkAppendParallel(b *testing.B) { storetest.BenchAppendParallel(b, open) }
