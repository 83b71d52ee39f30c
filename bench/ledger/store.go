package ledger

import (
	"context"
	"errors"
	"iter"

	"github.com/esbench/esbench/refimpl/store"
)

// Store records every append of the store it wraps in a ledger: the
// acknowledged ones, and those whose outcome the error leaves unknown.
type Store struct {
	store.Store
	w *Writer
}

// Wrap returns st with its appends recorded in w. When st loads in bulk
// (store.BulkLoader), so does the store returned, and what its batches
// commit is recorded too: a durable run preloads as fast with its ledger
// as without.
func Wrap(st store.Store, w *Writer) store.Store {
	s := &Store{Store: st, w: w}
	if bl, ok := st.(store.BulkLoader); ok {
		return &bulkStore{Store: s, bl: bl}
	}
	return s
}

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

// Replay implements store.Replayer: reads are not recorded, so the wrapped
// store's replay reader serves them.
func (s *Store) Replay(ctx context.Context, stream store.StreamID, after uint64, watch string) iter.Seq2[store.Replayed, error] {
	return store.ReplayFrom(ctx, s.Store, stream, after, watch)
}

// outcomeKnown reports whether err proves the append was not applied: a
// refused expected version, a malformed request, or a closed store. Any
// other failure (a timeout, a node down, a cancelled call) may have
// happened after the write reached the store.
func outcomeKnown(err error) bool {
	return errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrInvalid) ||
		errors.Is(err, store.ErrCrossPartition) || errors.Is(err, store.ErrClosed)
}

// bulkStore is a Store whose store loads in bulk.
type bulkStore struct {
	*Store
	bl store.BulkLoader
}

var _ store.BulkLoader = (*bulkStore)(nil)

// NewBulkBatch implements store.BulkLoader.
func (s *bulkStore) NewBulkBatch(ctx context.Context) (store.BulkBatch, error) {
	b, err := s.bl.NewBulkBatch(ctx)
	if err != nil {
		return nil, err
	}
	return &bulkBatch{b: b, w: s.w}, nil
}

// BulkMarks implements store.BulkLoader.
func (s *bulkStore) BulkMarks(ctx context.Context) ([]store.BulkMark, error) {
	return s.bl.BulkMarks(ctx)
}

// bulkBatch records what a bulk batch was given: acknowledged when Commit
// succeeds, unknown when the batch fails or is dropped after something was
// added (a backend may write during Add). Like the batch it wraps, it is
// used by one goroutine.
type bulkBatch struct {
	b store.BulkBatch
	w *Writer
	// added holds the ids of what was added since the batch started, copied
	// at Add: the caller may reuse its requests afterwards.
	added []Append
}

// Add implements store.BulkBatch.
func (b *bulkBatch) Add(ctx context.Context, reqs []store.AppendRequest, snaps []store.Snapshot) error {
	for _, r := range reqs {
		a := Append{Stream: r.Stream, First: r.ExpectedVersion + 1, EventIDs: make([]string, len(r.Events))}
		for i, e := range r.Events {
			a.EventIDs[i] = e.EventID
		}
		b.added = append(b.added, a)
	}
	err := b.b.Add(ctx, reqs, snaps)
	if err != nil {
		b.dropped()
	}
	return err
}

// Commit implements store.BulkBatch.
func (b *bulkBatch) Commit(ctx context.Context, mark store.BulkMark) error {
	if err := b.b.Commit(ctx, mark); err != nil {
		b.dropped()
		return err
	}
	b.w.ackedBulk(b.added)
	b.added = nil
	return nil
}

// Abort implements store.BulkBatch.
func (b *bulkBatch) Abort() {
	b.b.Abort()
	b.dropped()
}

// dropped records everything added and not committed as unknown.
func (b *bulkBatch) dropped() {
	if len(b.added) > 0 {
		b.w.unknownEach(b.added)
		b.added = nil
	}
}
