// Package memory is an in-process store.Store: nothing survives the process,
// and it is what tests and quick runs use when the storage engine is not
// under study.
package memory

import (
	"cmp"
	"context"
	"fmt"
	"iter"
	"maps"
	"math"
	"slices"
	"sync"

	"github.com/esbench/esbench/refimpl/store"
)

// pageSize bounds how many records a Load copies under the partition lock
// before yielding them, so a slow consumer never holds the lock.
const pageSize = 256

// Store keeps every partition in memory. It is safe for concurrent use;
// appends to different customers do not contend. Byte slices and maps are
// copied on the way in and out, so callers can never change stored data.
type Store struct {
	mu     sync.RWMutex // guards parts and closed
	closed bool
	parts  map[string]*partition
}

// partition holds the streams of one customer; its lock makes a
// multi-stream append atomic.
type partition struct {
	mu      sync.RWMutex
	streams map[store.StreamID]*stream
}

type stream struct {
	head      uint64 // version of the last event
	watermark uint64 // highest archived version; hot[0] is watermark+1
	hot       []store.Record
	cold      []store.Record // cold[i] is version i+1
	snaps     []store.Snapshot
}

var _ store.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	return &Store{parts: make(map[string]*partition)}
}

// Close marks the store closed; later calls return store.ErrClosed. Closing
// twice is harmless.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.parts = nil
	return nil
}

// partition returns the customer's partition, creating it when create is
// set; nil when it does not exist.
func (s *Store) partition(customer string, create bool) (*partition, error) {
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return nil, store.ErrClosed
	}
	p := s.parts[customer]
	s.mu.RUnlock()
	if p != nil || !create {
		return p, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, store.ErrClosed
	}
	if p = s.parts[customer]; p == nil {
		p = &partition{streams: make(map[store.StreamID]*stream)}
		s.parts[customer] = p
	}
	return p, nil
}

func (st *stream) record(v uint64) (store.Record, bool) {
	switch {
	case v == 0 || v > st.head:
		return store.Record{}, false
	case v <= st.watermark:
		return st.cold[v-1], true
	default:
		return st.hot[v-st.watermark-1], true
	}
}

// alreadyApplied reports whether the events of req are stored at the
// versions req would have given them: a retry of an append that succeeded.
func (st *stream) alreadyApplied(req store.AppendRequest) bool {
	if st == nil || st.head < req.ExpectedVersion+uint64(len(req.Events)) {
		return false
	}
	for i, e := range req.Events {
		r, ok := st.record(req.ExpectedVersion + 1 + uint64(i))
		if !ok || r.EventID != e.EventID {
			return false
		}
	}
	return true
}

// Append implements store.EventStore.
func (s *Store) Append(ctx context.Context, reqs ...store.AppendRequest) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := store.CheckAppend(reqs); err != nil {
		return err
	}
	p, err := s.partition(reqs[0].Stream.Customer, true)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	var (
		conflict *store.ConflictError
		applied  *store.ConflictError // first request that was already applied
		fresh    int
	)
	for _, r := range reqs {
		st := p.streams[r.Stream]
		var head uint64
		if st != nil {
			head = st.head
		}
		switch {
		case head == r.ExpectedVersion:
			fresh++
		case st.alreadyApplied(r):
			if applied == nil {
				applied = &store.ConflictError{Stream: r.Stream, Expected: r.ExpectedVersion, Actual: head}
			}
		default:
			if conflict == nil {
				conflict = &store.ConflictError{Stream: r.Stream, Expected: r.ExpectedVersion, Actual: head}
			}
		}
	}
	switch {
	case conflict != nil:
		return conflict
	case fresh == 0:
		return nil // every request is a retry of a landed append
	case applied != nil:
		// Part of the call landed before and part did not: no retry of one
		// atomic append looks like that, so it is not safe to treat as one.
		return applied
	}
	for _, r := range reqs {
		st := p.streams[r.Stream]
		if st == nil {
			st = &stream{}
			p.streams[r.Stream] = st
		}
		for i, e := range r.Events {
			e = copyRecord(e)
			e.Version = r.ExpectedVersion + 1 + uint64(i)
			st.hot = append(st.hot, e)
		}
		st.head = r.ExpectedVersion + uint64(len(r.Events))
	}
	return nil
}

// Load implements store.EventStore.
func (s *Store) Load(ctx context.Context, id store.StreamID, after uint64) iter.Seq2[store.Record, error] {
	return s.pages(ctx, id, after, false)
}

// LoadAudit implements store.Archiver.
func (s *Store) LoadAudit(ctx context.Context, id store.StreamID) iter.Seq2[store.Record, error] {
	return s.pages(ctx, id, 0, true)
}

// pages yields the stream's events after `after` a page at a time; audit
// reads archived versions too.
func (s *Store) pages(ctx context.Context, id store.StreamID, after uint64, audit bool) iter.Seq2[store.Record, error] {
	return func(yield func(store.Record, error) bool) {
		if err := id.Validate(); err != nil {
			yield(store.Record{}, err)
			return
		}
		if after == math.MaxUint64 {
			return
		}
		next := after + 1
		for {
			if err := ctx.Err(); err != nil {
				yield(store.Record{}, err)
				return
			}
			page, err := s.page(id, next, audit)
			if err != nil {
				yield(store.Record{}, err)
				return
			}
			if len(page) == 0 {
				return
			}
			for _, r := range page {
				if !yield(r, nil) {
					return
				}
			}
			next += uint64(len(page))
		}
	}
}

// page copies up to pageSize records from version next on.
func (s *Store) page(id store.StreamID, next uint64, audit bool) ([]store.Record, error) {
	p, err := s.partition(id.Customer, false)
	if err != nil || p == nil {
		return nil, err
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	st := p.streams[id]
	if st == nil || next > st.head {
		return nil, nil
	}
	if !audit && next <= st.watermark {
		return nil, fmt.Errorf("%w: %s versions up to %d are archived, asked from %d", store.ErrArchived, id, st.watermark, next)
	}
	n := min(uint64(pageSize), st.head-next+1)
	out := make([]store.Record, 0, n)
	for v := next; v < next+n; v++ {
		r, _ := st.record(v)
		out = append(out, copyRecord(r))
	}
	return out, nil
}

// SaveSnapshot implements store.SnapshotStore.
func (s *Store) SaveSnapshot(ctx context.Context, sn store.Snapshot) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := store.CheckSnapshot(sn); err != nil {
		return err
	}
	p, err := s.partition(sn.Stream.Customer, true)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.streams[sn.Stream]
	if st == nil {
		st = &stream{}
		p.streams[sn.Stream] = st
	}
	sn.Payload = slices.Clone(sn.Payload)
	i, found := slices.BinarySearchFunc(st.snaps, sn.Version, func(x store.Snapshot, v uint64) int {
		return cmp.Compare(x.Version, v)
	})
	if found {
		st.snaps[i] = sn
	} else {
		st.snaps = slices.Insert(st.snaps, i, sn)
	}
	return nil
}

// LatestSnapshot implements store.SnapshotStore.
func (s *Store) LatestSnapshot(ctx context.Context, id store.StreamID, atOrBelow uint64) (store.Snapshot, bool, error) {
	if err := ctx.Err(); err != nil {
		return store.Snapshot{}, false, err
	}
	if err := id.Validate(); err != nil {
		return store.Snapshot{}, false, err
	}
	p, err := s.partition(id.Customer, false)
	if err != nil || p == nil {
		return store.Snapshot{}, false, err
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	st := p.streams[id]
	if st == nil {
		return store.Snapshot{}, false, nil
	}
	// The first snapshot above atOrBelow; the one before it is the answer.
	i, _ := slices.BinarySearchFunc(st.snaps, atOrBelow, func(x store.Snapshot, v uint64) int {
		if x.Version <= v {
			return -1
		}
		return 1
	})
	if i == 0 {
		return store.Snapshot{}, false, nil
	}
	sn := st.snaps[i-1]
	sn.Payload = slices.Clone(sn.Payload)
	return sn, true, nil
}

// TrimSnapshots implements store.SnapshotStore.
func (s *Store) TrimSnapshots(ctx context.Context, id store.StreamID, keep int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := store.CheckTrim(id, keep); err != nil {
		return err
	}
	p, err := s.partition(id.Customer, false)
	if err != nil || p == nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if st := p.streams[id]; st != nil && len(st.snaps) > keep {
		st.snaps = slices.Clone(st.snaps[len(st.snaps)-keep:])
	}
	return nil
}

// Archive implements store.Archiver.
func (s *Store) Archive(ctx context.Context, id store.StreamID) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if err := id.Validate(); err != nil {
		return 0, err
	}
	p, err := s.partition(id.Customer, false)
	if err != nil || p == nil {
		return 0, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.streams[id]
	if st == nil || len(st.snaps) == 0 {
		return 0, nil
	}
	// A snapshot may name a version the stream has not reached; only events
	// that exist move.
	upto := min(st.snaps[0].Version, st.head)
	if upto <= st.watermark {
		return 0, nil
	}
	n := int(upto - st.watermark)
	st.cold = append(st.cold, st.hot[:n]...)
	st.hot = slices.Clone(st.hot[n:]) // let the moved prefix be collected
	st.watermark = upto
	return n, nil
}

func copyRecord(r store.Record) store.Record {
	r.Payload = slices.Clone(r.Payload)
	if len(r.Metadata) == 0 {
		r.Metadata = nil
	} else {
		r.Metadata = maps.Clone(r.Metadata)
	}
	return r
}
