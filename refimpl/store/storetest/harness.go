package storetest

import (
	"context"
	"maps"
	"strconv"
	"sync"

	"github.com/esbench/esbench/refimpl/store"
)

// HarnessFor is the harness of a registered backend's settings, as
// `esbench conformance --store NAME` runs it: stores are opened with ctx;
// an exclusive store (About.Exclusive) gets an instance of its own per open
// (conformance-1, conformance-2, ...); a persistent one is reopened with the
// same instance, others skip the reopen area; and the contract exceptions
// the settings declare (store.ContractExceptions) are skipped with their
// reason.
func HarnessFor(ctx context.Context, set store.Settings) Harness {
	about := set.About()
	var (
		mu        sync.Mutex
		n         int
		instances = map[store.Store]string{}
	)
	open := func(t T, instance string) store.Store {
		t.Helper()
		s, err := set.Open(ctx, store.OpenOptions{Instance: instance})
		if err != nil {
			t.Fatalf("opening %s: %v", about.Description, err)
		}
		mu.Lock()
		instances[s] = instance
		mu.Unlock()
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	h := Harness{Open: func(t T) store.Store {
		instance := ""
		if about.Exclusive {
			mu.Lock()
			n++
			instance = "conformance-" + strconv.Itoa(n)
			mu.Unlock()
		}
		return open(t, instance)
	}}
	if about.Persistent {
		h.Reopen = func(t T, s store.Store) store.Store {
			mu.Lock()
			instance := instances[s]
			mu.Unlock()
			if err := s.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			return open(t, instance)
		}
	}
	h.Skip = map[string]string{}
	if ce, ok := set.(store.ContractExceptions); ok {
		maps.Copy(h.Skip, ce.ContractExceptions())
	}
	if h.Reopen == nil {
		if _, ok := h.Skip["Reopen"]; !ok {
			h.Skip["Reopen"] = "the store is not persistent (" + about.Description + "): a reopened store would not see its data"
		}
	}
	return h
}
