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
		Open: func(tb testing.TB) store.Store { return openStore(tb, cfg) },
		Reopen: func(tb testing.TB, s store.Store) store.Store {
			if err := s.Close(); err != nil {
				tb.Fatalf("Close: %v", err)
			}
			return openStore(tb, cfg)
		},
	})
}
