package pebble

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"math"

	cpebble "github.com/cockroachdb/pebble/v2"

	"github.com/esbench/esbench/refimpl/store"
)

// Append implements store.EventStore: under the customer's stripe it reads
// each stream's meta, decides, and commits every event and the new heads in
// one batch, so the check and the write are atomic per partition.
func (s *Store) Append(ctx context.Context, reqs ...store.AppendRequest) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := store.CheckAppend(reqs); err != nil {
		return err
	}
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	mu := s.stripe(reqs[0].Stream.Customer)
	mu.Lock()
	defer mu.Unlock()

	metas := make([]meta, len(reqs))
	var (
		conflict *store.ConflictError
		applied  *store.ConflictError // first request that was already applied
		fresh    int
	)
	for i, r := range reqs {
		m, err := s.readMeta(streamPrefix(kindMeta, r.Stream))
		if err != nil {
			return err
		}
		metas[i] = m
		if m.head == r.ExpectedVersion {
			fresh++
			continue
		}
		ok, err := s.alreadyApplied(r, m)
		if err != nil {
			return err
		}
		ce := &store.ConflictError{Stream: r.Stream, Expected: r.ExpectedVersion, Actual: m.head}
		switch {
		case ok && applied == nil:
			applied = ce
		case !ok && conflict == nil:
			conflict = ce
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

	b := s.hot.NewBatch()
	defer b.Close()
	for i, r := range reqs {
		prefix := streamPrefix(kindEvent, r.Stream)
		for j, e := range r.Events {
			if err := b.Set(eventKey(prefix, r.ExpectedVersion+1+uint64(j)), encodeRecord(e), nil); err != nil {
				return fmt.Errorf("%w: pebble store: batch: %v", store.ErrUnavailable, err)
			}
		}
		m := meta{head: r.ExpectedVersion + uint64(len(r.Events)), watermark: metas[i].watermark}
		if err := b.Set(streamPrefix(kindMeta, r.Stream), m.encode(), nil); err != nil {
			return fmt.Errorf("%w: pebble store: batch: %v", store.ErrUnavailable, err)
		}
	}
	if err := b.Commit(s.wo); err != nil {
		return fmt.Errorf("%w: pebble store: commit append to %s: %v", store.ErrUnavailable, reqs[0].Stream, err)
	}
	return nil
}

// alreadyApplied reports whether the events of r are stored, in either tier,
// at the versions r would have given them: a retry of an append that
// succeeded.
func (s *Store) alreadyApplied(r store.AppendRequest, m meta) (bool, error) {
	if m.head < r.ExpectedVersion+uint64(len(r.Events)) {
		return false, nil
	}
	prefix := streamPrefix(kindEvent, r.Stream)
	for i, e := range r.Events {
		v := r.ExpectedVersion + 1 + uint64(i)
		db := s.hot
		if v <= m.watermark {
			db = s.cold
		}
		val, closer, err := db.Get(eventKey(prefix, v))
		if errors.Is(err, cpebble.ErrNotFound) {
			return false, fmt.Errorf("pebble store: %s version %d is missing below head %d", r.Stream, v, m.head)
		}
		if err != nil {
			return false, fmt.Errorf("%w: pebble store: read %s version %d: %v", store.ErrUnavailable, r.Stream, v, err)
		}
		id, err := decodeEventID(val)
		closer.Close()
		if err != nil {
			return false, fmt.Errorf("pebble store: %s version %d: %w", r.Stream, v, err)
		}
		if id != e.EventID {
			return false, nil
		}
	}
	return true, nil
}

// Load implements store.EventStore.
func (s *Store) Load(ctx context.Context, id store.StreamID, after uint64) iter.Seq2[store.Record, error] {
	return s.scan(ctx, id, after, false)
}

// LoadAudit implements store.Archiver.
func (s *Store) LoadAudit(ctx context.Context, id store.StreamID) iter.Seq2[store.Record, error] {
	return s.scan(ctx, id, 0, true)
}

// scan yields the events after `after` a page at a time. No iterator or
// lock is held while the consumer runs, so memory stays bounded by the page
// and a slow consumer blocks nobody.
func (s *Store) scan(ctx context.Context, id store.StreamID, after uint64, audit bool) iter.Seq2[store.Record, error] {
	return func(yield func(store.Record, error) bool) {
		if err := id.Validate(); err != nil {
			yield(store.Record{}, err)
			return
		}
		if after == math.MaxUint64 {
			return
		}
		prefix, mkey := streamPrefix(kindEvent, id), streamPrefix(kindMeta, id)
		next := after + 1
		for {
			if err := ctx.Err(); err != nil {
				yield(store.Record{}, err)
				return
			}
			page, err := s.page(id, prefix, mkey, next, audit)
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
			next = page[len(page)-1].Version + 1
		}
	}
}

// page reads up to PageSize events from version next on, from the tier the
// stream's watermark points at.
func (s *Store) page(id store.StreamID, prefix, mkey []byte, next uint64, audit bool) ([]store.Record, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	// The meta and the events are read at slightly different moments: an
	// archival committed in between leaves nothing at next in the hot tier,
	// and the watermark read again then points at the cold tier.
	for range 3 {
		m, err := s.readMeta(mkey)
		if err != nil {
			return nil, err
		}
		if next > m.head {
			return nil, nil
		}
		db, upto := s.hot, uint64(math.MaxUint64)
		if next <= m.watermark {
			if !audit {
				return nil, fmt.Errorf("%w: %s versions up to %d are archived, asked from %d", store.ErrArchived, id, m.watermark, next)
			}
			db, upto = s.cold, m.watermark
		}
		recs, err := s.readRange(db, prefix, next, upto)
		if err != nil {
			return nil, fmt.Errorf("pebble store: load %s from version %d: %w", id, next, err)
		}
		if len(recs) > 0 {
			return recs, nil
		}
	}
	return nil, fmt.Errorf("pebble store: %s version %d is in neither tier", id, next)
}

// readRange reads up to PageSize consecutive events from version from to
// version upto; it stops at the first gap, and returns nothing when from
// itself is missing.
func (s *Store) readRange(db *cpebble.DB, prefix []byte, from, upto uint64) ([]store.Record, error) {
	upper := prefixEnd(prefix)
	if upto < math.MaxUint64 {
		upper = eventKey(prefix, upto+1)
	}
	it, err := db.NewIter(&cpebble.IterOptions{LowerBound: eventKey(prefix, from), UpperBound: upper})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", store.ErrUnavailable, err)
	}
	var (
		out  []store.Record
		want = from
		in   interner
	)
	for ok := it.First(); ok && len(out) < s.opts.PageSize; ok = it.Next() {
		v, err := keyVersion(it.Key())
		if err != nil {
			return nil, errors.Join(err, it.Close())
		}
		if v != want {
			break
		}
		val, err := it.ValueAndErr()
		if err != nil {
			return nil, errors.Join(fmt.Errorf("%w: %v", store.ErrUnavailable, err), it.Close())
		}
		rec, err := decodeRecord(val, v, &in)
		if err != nil {
			return nil, errors.Join(fmt.Errorf("version %d: %w", v, err), it.Close())
		}
		if out == nil {
			out = make([]store.Record, 0, min(uint64(s.opts.PageSize), upto-from+1))
		}
		out = append(out, rec)
		want++
	}
	if err := it.Close(); err != nil {
		return nil, fmt.Errorf("%w: %v", store.ErrUnavailable, err)
	}
	return out, nil
}
