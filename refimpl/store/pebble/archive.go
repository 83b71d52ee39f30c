package pebble

import (
	"context"
	"errors"
	"fmt"

	cpebble "github.com/cockroachdb/pebble/v2"

	"github.com/esbench/esbench/refimpl/store"
)

// Archive implements store.Archiver. Events are copied to the cold tier and
// synced first; only then are they deleted from the hot tier, in the same
// batch that moves the watermark. A crash in between leaves copies in both
// tiers, which readers ignore (they go by the watermark) and a re-run
// overwrites, so no event is ever in neither tier.
func (s *Store) Archive(ctx context.Context, id store.StreamID) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if err := id.Validate(); err != nil {
		return 0, err
	}
	if err := s.enter(); err != nil {
		return 0, err
	}
	defer s.leave()
	mu := s.stripe(id.Customer)
	mu.Lock()
	defer mu.Unlock()

	mkey := streamPrefix(kindMeta, id)
	m, err := s.readMeta(mkey)
	if err != nil {
		return 0, err
	}
	oldest, ok, err := s.oldestSnapshot(id)
	if err != nil || !ok {
		return 0, err
	}
	// A snapshot may name a version the stream has not reached; only events
	// that exist move.
	upto := min(oldest, m.head)
	if upto <= m.watermark {
		return 0, nil
	}
	prefix := streamPrefix(kindEvent, id)
	moved, err := s.copyToCold(ctx, id, prefix, m.watermark+1, upto)
	if err != nil {
		return 0, err
	}
	b := s.hot.NewBatch()
	defer b.Close()
	err = errors.Join(
		b.DeleteRange(eventKey(prefix, m.watermark+1), eventKey(prefix, upto+1), nil),
		b.Set(mkey, meta{head: m.head, watermark: upto}.encode(), nil),
	)
	if err == nil {
		err = b.Commit(s.wo)
	}
	if err != nil {
		return 0, fmt.Errorf("%w: pebble store: archive %s: drop hot events: %v", store.ErrUnavailable, id, err)
	}
	return moved, nil
}

// copyToCold copies hot versions from..upto into the cold tier in bounded
// batches and syncs the last one, which makes all of them durable.
func (s *Store) copyToCold(ctx context.Context, id store.StreamID, prefix []byte, from, upto uint64) (int, error) {
	it, err := s.hot.NewIter(&cpebble.IterOptions{LowerBound: eventKey(prefix, from), UpperBound: eventKey(prefix, upto+1)})
	if err != nil {
		return 0, fmt.Errorf("%w: pebble store: %v", store.ErrUnavailable, err)
	}
	var (
		b    = s.cold.NewBatch()
		want = from
	)
	commit := func(last bool) error {
		opts := cpebble.NoSync
		if last {
			opts = cpebble.Sync
		}
		if err := b.Commit(opts); err != nil {
			return fmt.Errorf("%w: pebble store: archive %s: write cold tier: %v", store.ErrUnavailable, id, err)
		}
		b.Reset()
		return nil
	}
	err = func() error {
		for ok := it.First(); ok; ok = it.Next() {
			v, err := keyVersion(it.Key())
			if err != nil {
				return fmt.Errorf("pebble store: archive %s: %w", id, err)
			}
			if v != want {
				return fmt.Errorf("pebble store: archive %s: hot tier has version %d where %d belongs", id, v, want)
			}
			val, err := it.ValueAndErr()
			if err != nil {
				return fmt.Errorf("%w: pebble store: archive %s: %v", store.ErrUnavailable, id, err)
			}
			if err := b.Set(it.Key(), val, nil); err != nil {
				return fmt.Errorf("%w: pebble store: archive %s: %v", store.ErrUnavailable, id, err)
			}
			want++
			if b.Count() >= archiveChunk {
				if err := ctx.Err(); err != nil {
					return err
				}
				if err := commit(false); err != nil {
					return err
				}
			}
		}
		if err := it.Error(); err != nil {
			return fmt.Errorf("%w: pebble store: archive %s: %v", store.ErrUnavailable, id, err)
		}
		if want != upto+1 {
			return fmt.Errorf("pebble store: archive %s: hot tier ends at version %d, below %d", id, want-1, upto)
		}
		return commit(true)
	}()
	err = errors.Join(err, it.Close(), b.Close())
	if err != nil {
		return 0, err
	}
	return int(upto - from + 1), nil
}
