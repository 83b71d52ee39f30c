package memory_test

import (
	"testing"

	"github.com/esbench/esbench/refimpl/store"
	"github.com/esbench/esbench/refimpl/store/memory"
	"github.com/esbench/esbench/refimpl/store/storetest"
)

func open(tb storetest.T) store.Store {
	s := memory.New()
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Harness{Open: open})
}

func BenchmarkAppend(b *testing.B) { storetest.BenchAppend(b, open) }

func BenchmarkLoad(b *testing.B) { storetest.BenchLoad(b, open) }

func BenchmarkLatestSnapshot(b *testing.B) { storetest.BenchLatestSnapshot(b, open) }

func BenchmarkAppendParallel(b *testing.B) { storetest.BenchAppendParallel(b, open) }
