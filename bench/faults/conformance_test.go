package faults

import (
	"testing"

	"github.com/esbench/esbench/refimpl/store"
	"github.com/esbench/esbench/refimpl/store/memory"
	"github.com/esbench/esbench/refimpl/store/storetest"
)

// TestConformance runs the store conformance suite on a memory store behind
// an injector without windows: outside its windows the decorator changes
// nothing a caller of the store sees, its replay reader and bulk loader
// included.
func TestConformance(t *testing.T) {
	in, err := New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	storetest.Run(t, storetest.Harness{Open: func(tb storetest.T) store.Store {
		s := in.Wrap(memory.New())
		if _, ok := s.(store.BulkLoader); !ok {
			tb.Fatal("the fault decorator hides the store's bulk loader")
		}
		tb.Cleanup(func() { _ = s.Close() })
		return s
	}})
}
