package ledger

import (
	"context"
	"errors"

	"github.com/esbench/esbench/refimpl/store"
)

// Store records every append of the store it wraps in a ledger: the
// acknowledged ones, and those whose outcome the error leaves unknown.
type Store struct {
	store.Store
	w *Writer
}

// Wrap returns st with its appends recorded in w.
func Wrap(st store.Store, w *Writer) *Store { return &Store{Store: st, w: w} }

// Close closes the store, then the ledger: no append can be acknowledged
// after the ledger closed.
func (s *Store) Close() error {
	return errors.Join(s.Store.Close(), s.w.Close())
}

// Append implements store.EventStore.
func (s *Store) Append(ctx context.Context, reqs ...store.AppendRequest) error {
	err := s.Store.Append(ctx, reqs...)
	switch {
	case err == nil:
		s.w.Acked(reqs)
	case outcomeKnown(err):
	default:
		s.w.Unknown(reqs)
	}
	return err
}

// outcomeKnown reports whether err proves the append was not applied: a
// refused expected version, a malformed request, or a closed store. Any
// other failure (a timeout, a node down, a cancelled call) may have
// happened after the write reached the store.
func outcomeKnown(err error) bool {
	return errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrInvalid) ||
		errors.Is(err, store.ErrCrossPartition) || errors.Is(err, store.ErrClosed)
}
