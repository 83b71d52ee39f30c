package store

import "context"

// Forker is a store that can start an independent copy of itself: Fork
// returns a new store holding what this one holds now, which later writes
// to either do not reach the other, which outlives this store and removes
// its data when closed. The capacity search runs each of its steps on a
// fork of the preloaded store, so that every step starts from the state a
// fixed-rate run on a fresh preload starts from (docs/design.md, "Capacity
// steps on forks of the preloaded store").
type Forker interface {
	Fork(ctx context.Context, opts ForkOptions) (Store, error)
}

// ForkOptions configure a fork.
type ForkOptions struct {
	// Frozen asks for a fork that is only read and forked again: it does no
	// background work of its own (pebble: no compactions), so its forks all
	// start from the state it was made in.
	Frozen bool
}
