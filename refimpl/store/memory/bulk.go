package memory

import (
	"context"
	"slices"

	"github.com/esbench/esbench/refimpl/store"
)

var _ store.BulkLoader = (*Store)(nil)

// NewBulkBatch implements store.BulkLoader. Appends to memory are already
// as cheap as a bulk write gets, so a batch writes each customer as it is
// added, through Append (which also refuses streams that exist).
func (s *Store) NewBulkBatch(ctx context.Context) (store.BulkBatch, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return &batch{s: s}, nil
}

// BulkMarks implements store.BulkLoader.
func (s *Store) BulkMarks(ctx context.Context) ([]store.BulkMark, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, store.ErrClosed
	}
	return slices.Clone(s.marks), nil
}

type batch struct{ s *Store }

func (b *batch) Add(ctx context.Context, reqs []store.AppendRequest, snaps []store.Snapshot) error {
	if len(reqs) > 0 {
		if err := b.s.Append(ctx, reqs...); err != nil {
			return err
		}
	}
	for _, sn := range snaps {
		if err := b.s.SaveSnapshot(ctx, sn); err != nil {
			return err
		}
	}
	return nil
}

func (b *batch) Commit(ctx context.Context, mark store.BulkMark) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.s.mu.Lock()
	defer b.s.mu.Unlock()
	if b.s.closed {
		return store.ErrClosed
	}
	b.s.marks = append(b.s.marks, mark)
	return nil
}

func (b *batch) Abort() {}
