package pebble

import (
	"context"
	"errors"
	"fmt"
	"slices"

	cpebble "github.com/cockroachdb/pebble/v2"

	"github.com/esbench/esbench/refimpl/store"
)

// SaveSnapshot implements store.SnapshotStore.
func (s *Store) SaveSnapshot(ctx context.Context, sn store.Snapshot) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := store.CheckSnapshot(sn); err != nil {
		return err
	}
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	// The stripe keeps a save from interleaving with a trim or an archival
	// that is reading the same stream's snapshots.
	mu := s.stripe(sn.Stream.Customer)
	mu.Lock()
	defer mu.Unlock()
	key := snapshotKey(streamPrefix(kindSnapshot, sn.Stream), sn.Version)
	if err := s.hot.Set(key, encodeSnapshot(sn), s.wo); err != nil {
		return fmt.Errorf("%w: pebble store: save snapshot of %s at %d: %v", store.ErrUnavailable, sn.Stream, sn.Version, err)
	}
	return nil
}

// LatestSnapshot implements store.SnapshotStore with one seek: snapshot keys
// sort newest first, so the first key at or after atOrBelow's is the answer.
func (s *Store) LatestSnapshot(ctx context.Context, id store.StreamID, atOrBelow uint64) (store.Snapshot, bool, error) {
	if err := ctx.Err(); err != nil {
		return store.Snapshot{}, false, err
	}
	if err := id.Validate(); err != nil {
		return store.Snapshot{}, false, err
	}
	if err := s.enter(); err != nil {
		return store.Snapshot{}, false, err
	}
	defer s.leave()
	prefix := streamPrefix(kindSnapshot, id)
	it, err := s.hot.NewIter(&cpebble.IterOptions{LowerBound: snapshotKey(prefix, atOrBelow), UpperBound: prefixEnd(prefix)})
	if err != nil {
		return store.Snapshot{}, false, fmt.Errorf("%w: pebble store: %v", store.ErrUnavailable, err)
	}
	sn, ok, err := func() (store.Snapshot, bool, error) {
		if !it.First() {
			return store.Snapshot{}, false, nil
		}
		v, err := keyVersion(it.Key())
		if err != nil {
			return store.Snapshot{}, false, err
		}
		val, err := it.ValueAndErr()
		if err != nil {
			return store.Snapshot{}, false, fmt.Errorf("%w: %v", store.ErrUnavailable, err)
		}
		sn, err := decodeSnapshot(val, id, ^v)
		return sn, err == nil, err
	}()
	if cerr := it.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("%w: %v", store.ErrUnavailable, cerr)
	}
	if err != nil {
		return store.Snapshot{}, false, fmt.Errorf("pebble store: latest snapshot of %s at or below %d: %w", id, atOrBelow, err)
	}
	return sn, ok, nil
}

// TrimSnapshots implements store.SnapshotStore: everything after the newest
// keep keys goes in one range deletion.
func (s *Store) TrimSnapshots(ctx context.Context, id store.StreamID, keep int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := store.CheckTrim(id, keep); err != nil {
		return err
	}
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	mu := s.stripe(id.Customer)
	mu.Lock()
	defer mu.Unlock()
	prefix := streamPrefix(kindSnapshot, id)
	end := prefixEnd(prefix)
	it, err := s.hot.NewIter(&cpebble.IterOptions{LowerBound: prefix, UpperBound: end})
	if err != nil {
		return fmt.Errorf("%w: pebble store: %v", store.ErrUnavailable, err)
	}
	ok := it.First()
	for i := 0; ok && i < keep; i++ {
		ok = it.Next()
	}
	var from []byte
	if ok {
		from = slices.Clone(it.Key())
	}
	if err := it.Close(); err != nil {
		return fmt.Errorf("%w: pebble store: trim snapshots of %s: %v", store.ErrUnavailable, id, err)
	}
	if from == nil {
		return nil
	}
	if err := s.hot.DeleteRange(from, end, s.wo); err != nil {
		return fmt.Errorf("%w: pebble store: trim snapshots of %s: %v", store.ErrUnavailable, id, err)
	}
	return nil
}

// oldestSnapshot returns the version of the stream's oldest snapshot; the
// caller holds the stripe.
func (s *Store) oldestSnapshot(id store.StreamID) (uint64, bool, error) {
	prefix := streamPrefix(kindSnapshot, id)
	it, err := s.hot.NewIter(&cpebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return 0, false, fmt.Errorf("%w: pebble store: %v", store.ErrUnavailable, err)
	}
	var (
		v  uint64
		ok = it.Last()
	)
	if ok {
		v, err = keyVersion(it.Key())
		v = ^v
	}
	if cerr := it.Close(); cerr != nil {
		err = errors.Join(err, fmt.Errorf("%w: %v", store.ErrUnavailable, cerr))
	}
	if err != nil {
		return 0, false, fmt.Errorf("pebble store: oldest snapshot of %s: %w", id, err)
	}
	return v, ok, nil
}
