package repository

import (
	"testing"

	"github.com/esbench/esbench/refimpl/store"
	"github.com/esbench/esbench/refimpl/store/memory"
)

// backend opens a fresh, empty store for one test.
type backend struct {
	name string
	open func(t testing.TB) store.Store
}

func backends(t testing.TB) []backend {
	return []backend{
		{"memory", func(t testing.TB) store.Store { return memory.New() }},
	}
}

// benchBackends are the stores the benchmarks compare.
func benchBackends() []backend { return backends(nil) }
