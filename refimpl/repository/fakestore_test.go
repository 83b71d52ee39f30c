package repository

import (
	"context"
	"fmt"
	"iter"
	"sort"
	"sync"

	"github.com/esbench/esbench/refimpl/store"
)

// fakeStore is a stand-in until refimpl/store/memory lands.
type fakeStore struct {
	mu    sync.Mutex
	hot   map[store.StreamID][]store.Record
	cold  map[store.StreamID][]store.Record
	snaps map[store.StreamID][]store.Snapshot
}

func newFakeStore() *fakeStore {
	return &fakeStore{hot: map[store.StreamID][]store.Record{}, cold: map[store.StreamID][]store.Record{}, snaps: map[store.StreamID][]store.Snapshot{}}
}

func (f *fakeStore) version(s store.StreamID) uint64 {
	return uint64(len(f.cold[s]) + len(f.hot[s]))
}

func (f *fakeStore) at(s store.StreamID, v uint64) store.Record {
	if c := f.cold[s]; v <= uint64(len(c)) {
		return c[v-1]
	}
	return f.hot[s][v-1-uint64(len(f.cold[s]))]
}

func (f *fakeStore) Append(ctx context.Context, reqs ...store.AppendRequest) error {
	if err := store.CheckAppend(reqs); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	idem := 0
	for _, r := range reqs {
		cur := f.version(r.Stream)
		if cur == r.ExpectedVersion {
			continue
		}
		same := cur >= r.ExpectedVersion+uint64(len(r.Events))
		for i := 0; same && i < len(r.Events); i++ {
			same = f.at(r.Stream, r.ExpectedVersion+uint64(i)+1).EventID == r.Events[i].EventID
		}
		if !same {
			return &store.ConflictError{Stream: r.Stream, Expected: r.ExpectedVersion, Actual: cur}
		}
		idem++
	}
	if idem == len(reqs) {
		return nil
	}
	if idem > 0 {
		return fmt.Errorf("%w: partly applied batch", store.ErrConflict)
	}
	for _, r := range reqs {
		for i, e := range r.Events {
			e.Version = r.ExpectedVersion + uint64(i) + 1
			f.hot[r.Stream] = append(f.hot[r.Stream], e)
		}
	}
	return nil
}

func (f *fakeStore) Load(ctx context.Context, s store.StreamID, after uint64) iter.Seq2[store.Record, error] {
	return func(yield func(store.Record, error) bool) {
		f.mu.Lock()
		recs := append([]store.Record(nil), f.hot[s]...)
		archived := after < uint64(len(f.cold[s]))
		f.mu.Unlock()
		if archived {
			yield(store.Record{}, store.ErrArchived)
			return
		}
		for _, r := range recs {
			if r.Version > after && !yield(r, nil) {
				return
			}
		}
	}
}

func (f *fakeStore) LoadAudit(ctx context.Context, s store.StreamID) iter.Seq2[store.Record, error] {
	return func(yield func(store.Record, error) bool) {
		f.mu.Lock()
		recs := append(append([]store.Record(nil), f.cold[s]...), f.hot[s]...)
		f.mu.Unlock()
		for _, r := range recs {
			if !yield(r, nil) {
				return
			}
		}
	}
}

func (f *fakeStore) SaveSnapshot(ctx context.Context, s store.Snapshot) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	l := f.snaps[s.Stream]
	for i := range l {
		if l[i].Version == s.Version {
			l[i] = s
			return nil
		}
	}
	l = append(l, s)
	sort.Slice(l, func(i, j int) bool { return l[i].Version > l[j].Version })
	f.snaps[s.Stream] = l
	return nil
}

func (f *fakeStore) LatestSnapshot(ctx context.Context, s store.StreamID, atOrBelow uint64) (store.Snapshot, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, sn := range f.snaps[s] {
		if sn.Version <= atOrBelow {
			return sn, true, nil
		}
	}
	return store.Snapshot{}, false, nil
}

func (f *fakeStore) TrimSnapshots(ctx context.Context, s store.StreamID, keep int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if l := f.snaps[s]; len(l) > keep {
		f.snaps[s] = l[:keep]
	}
	return nil
}

func (f *fakeStore) Archive(ctx context.Context, s store.StreamID) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l := f.snaps[s]
	if len(l) == 0 {
		return 0, nil
	}
	upto := l[len(l)-1].Version
	n := 0
	for len(f.hot[s]) > 0 && f.hot[s][0].Version <= upto {
		f.cold[s] = append(f.cold[s], f.hot[s][0])
		f.hot[s] = f.hot[s][1:]
		n++
	}
	return n, nil
}

func (f *fakeStore) Close() error { return nil }
