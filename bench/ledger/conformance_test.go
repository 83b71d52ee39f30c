package ledger

import (
	"path/filepath"
	"testing"

	"github.com/esbench/esbench/refimpl/store"
	"github.com/esbench/esbench/refimpl/store/memory"
	"github.com/esbench/esbench/refimpl/store/storetest"
)

// TestConformance runs the store conformance suite on a memory store behind
// the ledger: recording appends changes nothing a caller of the store sees,
// and the wrapper keeps the store's bulk loader and replay reader (the
// suite's Bulk and Replay areas run only when the store offers them).
func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Harness{Open: func(tb storetest.T) store.Store {
		w, err := Create(filepath.Join(tb.TempDir(), "conformance.ledger"), Header{Config: "conformance", Store: "memory"})
		if err != nil {
			tb.Fatal(err)
		}
		s := Wrap(memory.New(), w)
		if _, ok := s.(store.Replayer); !ok {
			tb.Fatal("the ledger hides the store's replay reader")
		}
		if _, ok := s.(store.BulkLoader); !ok {
			tb.Fatal("the ledger hides the store's bulk loader")
		}
		tb.Cleanup(func() { _ = s.Close() })
		return s
	}})
}
