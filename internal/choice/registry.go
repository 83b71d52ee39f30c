package choice

import (
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Registry holds values registered under names, as the store backends and
// target drivers fill theirs from init (the database/sql pattern).
type Registry[T any] struct {
	what string
	mu   sync.RWMutex
	m    map[string]T
}

// NewRegistry returns an empty registry; what names its entries in panics
// ("store backend").
func NewRegistry[T any](what string) *Registry[T] {
	return &Registry[T]{what: what, m: map[string]T{}}
}

// Add registers v as name. It panics if name is not lower-case letters,
// digits and dashes, or is taken: programming errors that every test of
// the binary finds.
func (r *Registry[T]) Add(name string, v T) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if name == "" || strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
		panic(fmt.Sprintf("%s name %q: want lower-case letters, digits and dashes", r.what, name))
	}
	if _, dup := r.m[name]; dup {
		panic(fmt.Sprintf("%s %s registered twice", r.what, name))
	}
	r.m[name] = v
}

// All returns the registered values, sorted by name.
func (r *Registry[T]) All() []T {
	r.mu.RLock()
	defer r.mu.RUnlock()
	names := make([]string, 0, len(r.m))
	for n := range r.m {
		names = append(names, n)
	}
	slices.Sort(names)
	out := make([]T, len(names))
	for i, n := range names {
		out[i] = r.m[n]
	}
	return out
}

// Lookup returns the value registered as name.
func (r *Registry[T]) Lookup(name string) (T, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	v, ok := r.m[name]
	return v, ok
}
