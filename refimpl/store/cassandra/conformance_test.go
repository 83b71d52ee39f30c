package cassandra

import (
	"testing"

	"github.com/esbench/esbench/refimpl/store"
	"github.com/esbench/esbench/refimpl/store/storetest"
)

// TestConformance runs the shared store contract against a real node in
// the default, conditional mode.
func TestConformance(t *testing.T) {
	cfg := newKeyspace(t, nodeConfig(t))
	cfg.Mode = ModeConditional
	storetest.Run(t, storetest.Harness{
		Open: func(tb storetest.T) store.Store { return openStore(tb, cfg) },
		Reopen: func(tb storetest.T, s store.Store) store.Store {
			if err := s.Close(); err != nil {
				tb.Fatalf("Close: %v", err)
			}
			return openStore(tb, cfg)
		},
	})
}

// TestConformanceUnconditional runs the suite's applicable subset against
// the plain-writes mode. The skipped areas all expect a wrong expected
// version to be refused, which this mode does not check by design.
func TestConformanceUnconditional(t *testing.T) {
	cfg := newKeyspace(t, nodeConfig(t))
	cfg.Mode = ModeUnconditional
	storetest.Run(t, storetest.Harness{
		Open: func(tb storetest.T) store.Store { return openStore(tb, cfg) },
		Reopen: func(tb storetest.T, s store.Store) store.Store {
			if err := s.Close(); err != nil {
				tb.Fatalf("Close: %v", err)
			}
			return openStore(tb, cfg)
		},
		Skip: contractExceptions(ModeUnconditional),
	})
}
