package repository

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/esbench/esbench/refimpl/codec"
	"github.com/esbench/esbench/refimpl/domain"
	"github.com/esbench/esbench/refimpl/store"
	"github.com/esbench/esbench/refimpl/store/memory"
)

func tallyStream(id string) store.StreamID {
	return store.StreamID{Customer: "c-" + id, AggregateType: typeTally, AggregateID: id}
}

func tallyTarget(s store.StreamID) Target {
	return Target{Stream: s, New: func() domain.Aggregate { return newTally(s.AggregateID) }}
}

// addTally appends one Added event per value in ns to the tally stream s.
func addTally(t testing.TB, ctx context.Context, r *Repository, s store.StreamID, requestID string, ns ...int) UpdateResult {
	t.Helper()
	res, err := r.Update(ctx, requestID, []Target{tallyTarget(s)}, func(aggs []domain.Aggregate) ([]Change, error) {
		evs := make([]domain.Event, len(ns))
		for i, n := range ns {
			evs[i] = &added{N: n}
		}
		return []Change{{Stream: s, Events: evs}}, nil
	})
	if err != nil {
		t.Fatalf("Update %s on %s: %v", requestID, s, err)
	}
	return res
}

func loadTally(t testing.TB, ctx context.Context, r *Repository, s store.StreamID) (*tally, LoadStats) {
	t.Helper()
	agg := newTally(s.AggregateID)
	ls, err := r.Load(ctx, s, agg)
	if err != nil {
		t.Fatalf("Load %s: %v", s, err)
	}
	return agg, ls
}

func mustRepo(t testing.TB, st store.Store, reg *codec.Registry, opts Options) *Repository {
	t.Helper()
	r, err := New(st, reg, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func TestNewRejectsBadOptions(t *testing.T) {
	st, reg := memory.New(), tallyRegistry()
	tests := []struct {
		name string
		st   store.Store
		reg  *codec.Registry
		opts Options
		want string
	}{
		{"nil store", nil, reg, Options{}, "nil store"},
		{"nil registry", st, nil, Options{}, "nil codec registry"},
		{"unknown codec", st, reg, Options{Codec: "avro"}, `"avro"`},
		{"bad policy", st, reg, Options{Snapshots: SnapshotPolicy{Mode: EveryN}}, "interval"},
		{"negative keep", st, reg, Options{KeepSnapshots: -1}, "KeepSnapshots is -1"},
		{"negative attempts", st, reg, Options{MaxAttempts: -2}, "MaxAttempts is -2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.st, tt.reg, tt.opts)
			if !errors.Is(err, ErrBadOptions) || !contains(err, tt.want) {
				t.Fatalf("New error = %v, want ErrBadOptions mentioning %s", err, tt.want)
			}
		})
	}
	r := mustRepo(t, st, reg, Options{})
	if o := r.Options(); o.Codec != "json" || o.KeepSnapshots != 2 || o.MaxAttempts != 3 {
		t.Errorf("defaults not filled: %+v", o)
	}
}

func contains(err error, s string) bool {
	return err != nil && strings.Contains(err.Error(), s)
}

func TestLoadFromSnapshotAndTail(t *testing.T) {
	ctx := context.Background()
	for _, be := range backends(t) {
		for _, codecID := range []string{"json", "gob"} {
			t.Run(be.name+"/"+codecID, func(t *testing.T) {
				st := be.open(t)
				reg := tallyRegistry()
				snapRepo := mustRepo(t, st, reg, Options{Codec: codecID, Snapshots: SnapshotPolicy{Mode: EveryN, Every: 10}, KeepSnapshots: 3})
				plain := mustRepo(t, st, reg, Options{Codec: codecID})
				s := tallyStream("load")
				for i := range 25 {
					addTally(t, ctx, snapRepo, s, fmt.Sprintf("req-%d", i), i, -2*i)
				}
				// 50 events, snapshots at 10..50 and 3 kept: 30, 40, 50.
				got, ls := loadTally(t, ctx, snapRepo, s)
				if ls.SnapshotVersion != 50 || ls.Replayed != 0 || ls.Version != 50 {
					t.Errorf("snapshot load stats = %+v, want snapshot 50 and nothing replayed", ls)
				}
				if full50, _ := loadTally(t, ctx, plain, s); !reflect.DeepEqual(got, full50) {
					t.Fatalf("snapshot state %+v != full replay %+v", got, full50)
				}
				addTally(t, ctx, plain, s, "tail", 7, 8, 9)
				got, ls = loadTally(t, ctx, snapRepo, s)
				if ls.SnapshotVersion != 50 || ls.Replayed != 3 || ls.Version != 53 {
					t.Errorf("snapshot+tail load stats = %+v, want snapshot 50, 3 replayed", ls)
				}
				if ls.Bytes <= 0 || ls.Total <= 0 || ls.SnapshotRead <= 0 || ls.Total < ls.SnapshotRead+ls.EventRead+ls.Decode+ls.Apply {
					t.Errorf("phase timings inconsistent: %+v", ls)
				}
				full, fls := loadTally(t, ctx, plain, s)
				if fls.SnapshotVersion != 0 || fls.Replayed != 53 {
					t.Errorf("policy none load stats = %+v, want full replay of 53", fls)
				}
				// One event in PhaseSampleEvery is timed: 0, 16, 32, 48 of 53.
				if ls.PhaseSampled != 1 || fls.PhaseSampled != 4 {
					t.Errorf("phase-sampled events = %d (tail of 3) and %d (53), want 1 and 4", ls.PhaseSampled, fls.PhaseSampled)
				}
				if fls.Decode <= 0 || fls.Apply <= 0 || fls.EventRead < 0 || fls.Total < fls.EventRead+fls.Decode+fls.Apply {
					t.Errorf("full replay phase timings inconsistent: %+v", fls)
				}
				if !reflect.DeepEqual(got, full) {
					t.Fatalf("snapshot+tail state %+v != full replay %+v", got, full)
				}
				if sn, ok, _ := st.LatestSnapshot(ctx, s, 29); ok {
					t.Errorf("snapshot %d survived the trim to 3", sn.Version)
				}
			})
		}
	}
}

// corruptSnapshot overwrites the stored snapshot at version v with garbage.
func corruptSnapshot(t *testing.T, st store.Store, s store.StreamID, v uint64) {
	t.Helper()
	ctx := context.Background()
	sn, ok, err := st.LatestSnapshot(ctx, s, v)
	if err != nil || !ok || sn.Version != v {
		t.Fatalf("no snapshot at %d to corrupt (%v, %v, %d)", v, ok, err, sn.Version)
	}
	sn.Payload = []byte("\x00not a snapshot{")
	if err := st.SaveSnapshot(ctx, sn); err != nil {
		t.Fatal(err)
	}
}

func TestCorruptSnapshotFallsBack(t *testing.T) {
	ctx := context.Background()
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			st := be.open(t)
			reg := tallyRegistry()
			r := mustRepo(t, st, reg, Options{Snapshots: SnapshotPolicy{Mode: EveryN, Every: 4}, KeepSnapshots: 2})
			s := tallyStream("corrupt-snap")
			for i := range 10 {
				addTally(t, ctx, r, s, fmt.Sprint("r", i), i+1)
			}
			// Snapshots kept: 8 and 4... only 2 kept: 4 and 8.
			want, _ := loadTally(t, ctx, mustRepo(t, st, reg, Options{}), s)

			corruptSnapshot(t, st, s, 8)
			got, ls := loadTally(t, ctx, r, s)
			if ls.SnapshotFallbacks != 1 || ls.SnapshotVersion != 4 || ls.Replayed != 6 {
				t.Errorf("after corrupting v8: stats %+v, want 1 fallback to snapshot 4 and 6 replayed", ls)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("state after fallback %+v != full replay %+v", got, want)
			}

			corruptSnapshot(t, st, s, 4)
			got, ls = loadTally(t, ctx, r, s)
			if ls.SnapshotFallbacks != 2 || ls.SnapshotVersion != 0 || ls.Replayed != 10 {
				t.Errorf("after corrupting all: stats %+v, want 2 fallbacks and a full replay", ls)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("state after full-replay fallback %+v != %+v", got, want)
			}
			if n := r.Stats().SnapshotFallbacks; n != 3 {
				t.Errorf("Stats().SnapshotFallbacks = %d, want 3", n)
			}

			// A snapshot of another aggregate instance decodes but does not
			// restore: that is a fallback too, not a wrong state.
			foreign, _ := reg.Encode("json", &tallySnap{ID: "someone-else", Sum: 999})
			if err := st.SaveSnapshot(ctx, store.Snapshot{Stream: s, Version: 10, Type: foreign.Type, SchemaVersion: foreign.SchemaVersion, Codec: foreign.Codec, Payload: foreign.Payload}); err != nil {
				t.Fatal(err)
			}
			got, ls = loadTally(t, ctx, r, s)
			if ls.SnapshotVersion == 10 || !reflect.DeepEqual(got, want) {
				t.Errorf("foreign snapshot was used: stats %+v state %+v", ls, got)
			}
		})
	}
}

func TestArchivedStreamReplaysFromColdTier(t *testing.T) {
	ctx := context.Background()
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			st := be.open(t)
			reg := tallyRegistry()
			r := mustRepo(t, st, reg, Options{Snapshots: SnapshotPolicy{Mode: EveryN, Every: 5}, KeepSnapshots: 1})
			s := tallyStream("archived")
			for i := range 12 {
				addTally(t, ctx, r, s, fmt.Sprint("r", i), i*3)
			}
			want, _ := loadTally(t, ctx, mustRepo(t, st, reg, Options{}), s)
			moved, err := st.Archive(ctx, s)
			if err != nil || moved != 10 {
				t.Fatalf("Archive moved %d, %v; want 10", moved, err)
			}
			got, ls := loadTally(t, ctx, r, s)
			if ls.Audit || ls.SnapshotVersion != 10 || !reflect.DeepEqual(got, want) {
				t.Errorf("hot load after archive: stats %+v, state equal=%v", ls, reflect.DeepEqual(got, want))
			}
			// Without snapshots the hot tier alone cannot rebuild the state.
			got, ls = loadTally(t, ctx, mustRepo(t, st, reg, Options{}), s)
			if !ls.Audit || ls.Replayed != 12 || !reflect.DeepEqual(got, want) {
				t.Errorf("full replay after archive: stats %+v, state %+v want %+v", ls, got, want)
			}
			corruptSnapshot(t, st, s, 10)
			got, ls = loadTally(t, ctx, r, s)
			if !ls.Audit || ls.SnapshotFallbacks != 1 || !reflect.DeepEqual(got, want) {
				t.Errorf("fallback replay after archive: stats %+v, state %+v want %+v", ls, got, want)
			}
		})
	}
}

func TestCorruptEventIsATypedErrorAndChangesNothing(t *testing.T) {
	ctx := context.Background()
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			st := be.open(t)
			reg := tallyRegistry()
			r := mustRepo(t, st, reg, Options{})
			s := tallyStream("corrupt-event")
			addTally(t, ctx, r, s, "ok", 1, 2)
			bad := []store.Record{
				{EventID: "bad-json", Type: "TallyAdded", SchemaVersion: 1, Codec: "json", Payload: []byte(`{"N": "three"`)},
			}
			if err := st.Append(ctx, store.AppendRequest{Stream: s, ExpectedVersion: 2, Events: bad}); err != nil {
				t.Fatal(err)
			}
			before := snapshotRecords(t, st, s)
			_, err := r.Load(ctx, s, newTally(s.AggregateID))
			var de *codec.DecodeError
			if !errors.As(err, &de) || de.Stream != s.String() || de.Version != 3 || !errors.Is(err, codec.ErrCorrupt) {
				t.Fatalf("Load error = %v, want *codec.DecodeError for %s version 3 wrapping ErrCorrupt", err, s)
			}
			// An update on the broken stream fails the same way and writes nothing.
			_, err = r.Update(ctx, "after-corruption", []Target{tallyTarget(s)}, func([]domain.Aggregate) ([]Change, error) {
				return []Change{{Stream: s, Events: []domain.Event{&added{N: 5}}}}, nil
			})
			if !errors.As(err, &de) || de.Version != 3 {
				t.Fatalf("Update error = %v, want the DecodeError", err)
			}
			if after := snapshotRecords(t, st, s); !reflect.DeepEqual(before, after) {
				t.Fatalf("stored records changed:\nbefore %+v\nafter  %+v", before, after)
			}

			// Unknown types, schema versions and codecs are DecodeErrors too.
			for i, rec := range []store.Record{
				{EventID: "x1", Type: "NoSuchEvent", SchemaVersion: 1, Codec: "json", Payload: []byte(`{}`)},
				{EventID: "x2", Type: "TallyAdded", SchemaVersion: 9, Codec: "json", Payload: []byte(`{}`)},
				{EventID: "x3", Type: "TallyAdded", SchemaVersion: 1, Codec: "avro", Payload: []byte(`{}`)},
				{EventID: "x4", Type: "TallySnapshot", SchemaVersion: 1, Codec: "json", Payload: []byte(`{}`)},
			} {
				s := tallyStream(fmt.Sprint("unknown-", i))
				if err := st.Append(ctx, store.AppendRequest{Stream: s, Events: []store.Record{rec}}); err != nil {
					t.Fatal(err)
				}
				_, err := r.Load(ctx, s, newTally(s.AggregateID))
				if !errors.As(err, &de) || de.Stream != s.String() || de.Version != 1 {
					t.Errorf("record %+v: Load error = %v, want a DecodeError at version 1", rec, err)
				}
			}
		})
	}
}

func snapshotRecords(t *testing.T, st store.Store, s store.StreamID) []store.Record {
	t.Helper()
	var out []store.Record
	for rec, err := range st.Load(context.Background(), s, 0) {
		if err != nil {
			t.Fatal(err)
		}
		rec.RecordedAt = rec.RecordedAt.UTC()
		out = append(out, rec)
	}
	return out
}

func TestUpdateRetriesOnConflict(t *testing.T) {
	ctx := context.Background()
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			st := be.open(t)
			r := mustRepo(t, st, tallyRegistry(), Options{MaxAttempts: 3})
			s := tallyStream("conflict")
			addTally(t, ctx, r, s, "first", 1)
			calls := 0
			res, err := r.Update(ctx, "racing", []Target{tallyTarget(s)}, func(aggs []domain.Aggregate) ([]Change, error) {
				calls++
				if calls == 1 {
					// A competing writer commits between our load and append.
					addTally(t, ctx, r, s, "competitor", 100)
				}
				return []Change{{Stream: s, Events: []domain.Event{&added{N: aggs[0].(*tally).sum}}}}, nil
			})
			if err != nil || res.Attempts != 2 || calls != 2 || res.Appended != 1 {
				t.Fatalf("Update = %+v, %v (decide calls %d); want success on attempt 2", res, err, calls)
			}
			got, _ := loadTally(t, ctx, r, s)
			// The retry decided on the re-loaded state (1+100), not the stale one.
			if want := []int{1, 100, 101}; !reflect.DeepEqual(got.trail, want) {
				t.Errorf("trail = %v, want %v", got.trail, want)
			}
			if r.Stats().Conflicts != 1 {
				t.Errorf("Stats().Conflicts = %d, want 1", r.Stats().Conflicts)
			}
		})
	}
}

func TestUpdateGivesUpAfterMaxAttempts(t *testing.T) {
	ctx := context.Background()
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			st := be.open(t)
			r := mustRepo(t, st, tallyRegistry(), Options{MaxAttempts: 4})
			s := tallyStream("exhaust")
			calls := 0
			res, err := r.Update(ctx, "loser", []Target{tallyTarget(s)}, func(aggs []domain.Aggregate) ([]Change, error) {
				calls++
				addTally(t, ctx, r, s, fmt.Sprint("winner-", calls), calls)
				return []Change{{Stream: s, Events: []domain.Event{&added{N: -1}}}}, nil
			})
			var ce *store.ConflictError
			if !errors.As(err, &ce) || !errors.Is(err, store.ErrConflict) || ce.Stream != s {
				t.Fatalf("Update error = %v, want a *store.ConflictError on %s", err, s)
			}
			if res.Attempts != 4 || calls != 4 {
				t.Errorf("attempts = %d, decide calls = %d, want 4 and 4", res.Attempts, calls)
			}
			got, _ := loadTally(t, ctx, r, s)
			if want := []int{1, 2, 3, 4}; !reflect.DeepEqual(got.trail, want) {
				t.Errorf("trail = %v, want only the winners %v", got.trail, want)
			}
		})
	}
}

func TestConcurrentUpdatersAllApplied(t *testing.T) {
	ctx := context.Background()
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			st := be.open(t)
			r := mustRepo(t, st, tallyRegistry(), Options{MaxAttempts: 50, Snapshots: SnapshotPolicy{Mode: EveryN, Every: 7}})
			s := tallyStream("concurrent")
			const workers, each = 2, 40
			var wg sync.WaitGroup
			errs := make(chan error, workers*each)
			for w := range workers {
				wg.Go(func() {
					for i := range each {
						n := w*1000 + i
						_, err := r.Update(ctx, fmt.Sprint("w", w, "-", i), []Target{tallyTarget(s)}, func([]domain.Aggregate) ([]Change, error) {
							return []Change{{Stream: s, Events: []domain.Event{&added{N: n}}}}, nil
						})
						if err != nil {
							errs <- err
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			got, _ := loadTally(t, ctx, mustRepo(t, st, tallyRegistry(), Options{}), s)
			if got.version != workers*each {
				t.Fatalf("version %d, want %d", got.version, workers*each)
			}
			seen := map[int]int{}
			last := map[int]int{0: -1, 1: -1}
			for _, n := range got.trail {
				seen[n]++
				w, i := n/1000, n%1000
				if i <= last[w] {
					t.Errorf("worker %d's event %d after its event %d", w, i, last[w])
				}
				last[w] = i
			}
			for w := range workers {
				for i := range each {
					if seen[w*1000+i] != 1 {
						t.Errorf("event %d of worker %d stored %d times", i, w, seen[w*1000+i])
					}
				}
			}
			snap, _ := loadTally(t, ctx, r, s)
			if !reflect.DeepEqual(snap, got) {
				t.Errorf("snapshot load differs from full replay")
			}
		})
	}
}

func TestUpdateIsIdempotentPerRequest(t *testing.T) {
	ctx := context.Background()
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			st := be.open(t)
			r := mustRepo(t, st, tallyRegistry(), Options{})
			s := tallyStream("idem")
			other := tallyStream("idem-new")
			other.Customer = s.Customer
			decide := func([]domain.Aggregate) ([]Change, error) {
				return []Change{
					{Stream: s, Events: []domain.Event{&added{N: 1}, &added{N: 2}}},
					{Stream: other, Events: []domain.Event{&added{N: 3}}},
				}, nil
			}
			res, err := r.Update(ctx, "once", []Target{tallyTarget(s)}, decide)
			if err != nil || res.Appended != 3 || res.AlreadyApplied || len(res.Commits) != 2 {
				t.Fatalf("first Update = %+v, %v", res, err)
			}
			if res.Commits[0] != (Commit{Stream: s, From: 0, To: 2}) || res.Commits[1] != (Commit{Stream: other, From: 0, To: 1}) {
				t.Errorf("commits = %+v", res.Commits)
			}
			// A client retry: the request's events show up while loading.
			res, err = r.Update(ctx, "once", []Target{tallyTarget(s)}, decide)
			if err != nil || !res.AlreadyApplied || res.Appended != 0 {
				t.Fatalf("retried Update = %+v, %v; want AlreadyApplied", res, err)
			}
			if len(res.Aggregates) != 1 || res.Aggregates[0].Version() != 2 {
				t.Fatalf("AlreadyApplied result carries aggregates %+v, want the target at version 2", res.Aggregates)
			}
			// An exact re-send of the same append is the store's idempotent
			// success.
			res, err = r.Update(ctx, "once", nil, decide)
			if err != nil || res.AlreadyApplied {
				t.Fatalf("re-sent append = %+v, %v; want the store's idempotent success", res, err)
			}
			// A retry that decides differently on the new stream: its append at
			// version 0 conflicts, and the conflict is recognised as this
			// request's own rather than retried or reported.
			res, err = r.Update(ctx, "once", nil, func([]domain.Aggregate) ([]Change, error) {
				return []Change{{Stream: other, Events: []domain.Event{&added{N: 3}, &added{N: 4}}}}, nil
			})
			if err != nil || !res.AlreadyApplied || res.Attempts != 1 {
				t.Fatalf("retried Update without targets = %+v, %v; want AlreadyApplied", res, err)
			}
			got, _ := loadTally(t, ctx, r, s)
			if !reflect.DeepEqual(got.trail, []int{1, 2}) {
				t.Errorf("trail after retries = %v, want [1 2]", got.trail)
			}
			if got, _ := loadTally(t, ctx, r, other); !reflect.DeepEqual(got.trail, []int{3}) {
				t.Errorf("new stream trail after retries = %v, want [3]", got.trail)
			}
			ids := snapshotRecords(t, st, s)
			if ids[0].EventID != EventID("once", s, 0) || ids[1].EventID != EventID("once", s, 1) || ids[0].EventID == ids[1].EventID {
				t.Errorf("event ids not deterministic: %s %s", ids[0].EventID, ids[1].EventID)
			}
			if ids[0].Metadata["request_id"] != "once" {
				t.Errorf("metadata = %v, want request_id", ids[0].Metadata)
			}
			if r.Stats().AlreadyApplied != 2 {
				t.Errorf("Stats().AlreadyApplied = %d, want 2", r.Stats().AlreadyApplied)
			}
		})
	}
}

func TestEventIDSeparatesComponents(t *testing.T) {
	a := EventID("r", store.StreamID{Customer: "a/b", AggregateType: "T", AggregateID: "c"}, 0)
	b := EventID("r", store.StreamID{Customer: "a", AggregateType: "b/T", AggregateID: "c"}, 0)
	c := EventID("r", store.StreamID{Customer: "a/b", AggregateType: "T", AggregateID: "c"}, 1)
	if a == b || a == c || b == c {
		t.Fatalf("event ids collide: %s %s %s", a, b, c)
	}
	if again := EventID("r", store.StreamID{Customer: "a/b", AggregateType: "T", AggregateID: "c"}, 0); again != a {
		t.Fatalf("EventID not deterministic: %s vs %s", a, again)
	}
}

func TestUpdateErrors(t *testing.T) {
	ctx := context.Background()
	st := memory.New()
	r := mustRepo(t, st, tallyRegistry(), Options{})
	s := tallyStream("errors")
	errDecide := errors.New("no")
	ok := func([]domain.Aggregate) ([]Change, error) { return nil, nil }
	tests := []struct {
		name    string
		req     string
		targets []Target
		decide  DecideFunc
		want    error
	}{
		{"empty request id", "", []Target{tallyTarget(s)}, ok, store.ErrInvalid},
		{"nil decide", "r", []Target{tallyTarget(s)}, nil, store.ErrInvalid},
		{"target without New", "r", []Target{{Stream: s}}, ok, store.ErrInvalid},
		{"target twice", "r", []Target{tallyTarget(s), tallyTarget(s)}, ok, store.ErrInvalid},
		{"bad stream", "r", []Target{tallyTarget(store.StreamID{AggregateType: typeTally, AggregateID: "x"})}, ok, store.ErrInvalid},
		{"decide error passes through", "r", []Target{tallyTarget(s)}, func([]domain.Aggregate) ([]Change, error) { return nil, errDecide }, errDecide},
		{"unregistered event", "r", []Target{tallyTarget(s)}, func([]domain.Aggregate) ([]Change, error) {
			return []Change{{Stream: s, Events: []domain.Event{&domain.AccountOpened{}}}}, nil
		}, codec.ErrUnknownType},
		{"cross partition", "r", []Target{tallyTarget(s)}, func([]domain.Aggregate) ([]Change, error) {
			return []Change{{Stream: s, Events: []domain.Event{&added{}}}, {Stream: tallyStream("elsewhere"), Events: []domain.Event{&added{}}}}, nil
		}, store.ErrCrossPartition},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := r.Update(ctx, tt.req, tt.targets, tt.decide)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Update error = %v, want %v", err, tt.want)
			}
		})
	}
	if recs := snapshotRecords(t, st, s); len(recs) != 0 {
		t.Fatalf("failed updates stored %d records", len(recs))
	}
	// A decision with nothing to append is a successful no-op.
	res, err := r.Update(ctx, "noop", []Target{tallyTarget(s)}, ok)
	if err != nil || res.Appended != 0 || res.Attempts != 1 {
		t.Fatalf("no-op Update = %+v, %v", res, err)
	}
}

// failingSnapshots is a store whose snapshot writes fail.
type failingSnapshots struct {
	store.Store
}

func (failingSnapshots) SaveSnapshot(context.Context, store.Snapshot) error {
	return fmt.Errorf("disk full: %w", store.ErrUnavailable)
}

func TestSnapshotFailureNeverFailsTheCommand(t *testing.T) {
	ctx := context.Background()
	for _, async := range []bool{false, true} {
		t.Run(fmt.Sprint("async=", async), func(t *testing.T) {
			st := failingSnapshots{memory.New()}
			r := mustRepo(t, st, tallyRegistry(), Options{AsyncSnapshots: async, Snapshots: SnapshotPolicy{Mode: EveryN, Every: 1}})
			s := tallyStream("snapfail")
			res := addTally(t, ctx, r, s, "a", 1)
			r.Flush()
			if res.Appended != 1 {
				t.Fatalf("Update = %+v", res)
			}
			if st := r.Stats(); st.SnapshotFailures != 1 || st.SnapshotsWritten != 0 {
				t.Fatalf("stats = %+v, want 1 snapshot failure", st)
			}
		})
	}
}

func TestSnapshotModes(t *testing.T) {
	ctx := context.Background()
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			st := be.open(t)
			reg := tallyRegistry()

			// Load-triggered: a load that replayed more than 5 events calls for a
			// snapshot after the next commit.
			lr := mustRepo(t, st, reg, Options{Snapshots: SnapshotPolicy{Mode: LoadTriggered, MaxReplayed: 5}})
			s := tallyStream("load-triggered")
			for i := range 6 {
				if res := addTally(t, ctx, lr, s, fmt.Sprint("r", i), i); res.Snapshots != 0 {
					t.Fatalf("snapshot after %d replayed events", res.Loads[0].Replayed)
				}
			}
			res := addTally(t, ctx, lr, s, "r6", 6)
			if res.Snapshots != 1 || res.Loads[0].Replayed != 6 {
				t.Fatalf("7th update: %+v, want a snapshot after replaying 6", res)
			}
			if sn, ok, err := st.LatestSnapshot(ctx, s, store.Latest); err != nil || !ok || sn.Version != 7 {
				t.Fatalf("latest snapshot = %d, %v, %v; want version 7", sn.Version, ok, err)
			}
			if res := addTally(t, ctx, lr, s, "r7", 7); res.Snapshots != 0 || res.Loads[0].Replayed != 0 {
				t.Fatalf("update after snapshot: %+v", res)
			}

			// Async: snapshots land after Flush, and after Close they are dropped.
			ar, err := New(st, reg, Options{AsyncSnapshots: true, Snapshots: SnapshotPolicy{Mode: EveryN, Every: 2}})
			if err != nil {
				t.Fatal(err)
			}
			as := tallyStream("async")
			for i := range 4 {
				addTally(t, ctx, ar, as, fmt.Sprint("a", i), i)
			}
			ar.Flush()
			if sn, ok, err := st.LatestSnapshot(ctx, as, store.Latest); err != nil || !ok || sn.Version != 4 {
				t.Fatalf("async latest snapshot = %d, %v, %v; want version 4", sn.Version, ok, err)
			}
			if st := ar.Stats(); st.SnapshotsWritten != 2 {
				t.Errorf("async snapshots written = %d, want 2", st.SnapshotsWritten)
			}
			ar.Close()
			addTally(t, ctx, ar, as, "a4", 4)
			addTally(t, ctx, ar, as, "a5", 5)
			if st := ar.Stats(); st.SnapshotsDropped != 1 || st.SnapshotsWritten != 2 {
				t.Errorf("after Close: stats %+v, want 1 dropped", st)
			}
			got, _ := loadTally(t, ctx, ar, as)
			if got.version != 6 || got.sum != 15 {
				t.Errorf("async stream state %+v", got)
			}
		})
	}
}

func TestPhaseSampleSplit(t *testing.T) {
	tests := []struct {
		name                string
		sample              phaseSample
		loop                time.Duration
		read, decode, apply time.Duration
	}{
		{"proportional", phaseSample{read: 10, decode: 20, apply: 10, n: 2}, 1000, 250, 500, 250},
		{"rounding goes to read", phaseSample{read: 1, decode: 1, apply: 1, n: 1}, 100, 34, 33, 33},
		{"no timed event", phaseSample{}, 70, 70, 0, 0},
		{"empty loop", phaseSample{read: 5, decode: 5, n: 1}, 0, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ls LoadStats
			tt.sample.split(tt.loop, &ls)
			if ls.EventRead != tt.read || ls.Decode != tt.decode || ls.Apply != tt.apply || ls.PhaseSampled != tt.sample.n {
				t.Errorf("split(%v) = read %v decode %v apply %v sampled %d, want %v %v %v %d", tt.loop,
					ls.EventRead, ls.Decode, ls.Apply, ls.PhaseSampled, tt.read, tt.decode, tt.apply, tt.sample.n)
			}
			if sum := ls.EventRead + ls.Decode + ls.Apply; sum != tt.loop {
				t.Errorf("phases sum to %v, want the loop's %v", sum, tt.loop)
			}
		})
	}
}

// TestReplayerLoadsAsLoad: a store's replay reader and its Load give the
// same fold, the same byte count and the same duplicate check, from the
// start, from a snapshot and for a retried request.
func TestReplayerLoadsAsLoad(t *testing.T) {
	ctx := context.Background()
	st := memory.New()
	if _, ok := any(st).(store.Replayer); !ok {
		t.Fatal("the memory store has no replay reader")
	}
	viaReplay := mustRepo(t, st, tallyRegistry(), Options{})
	viaLoad := mustRepo(t, loadOnly{st}, tallyRegistry(), Options{})
	s := tallyStream("replayer")
	for i := range 700 { // several of the store's pages
		addTally(t, ctx, viaReplay, s, fmt.Sprint("req-", i), i, i+1)
	}
	a, lsA := loadTally(t, ctx, viaReplay, s)
	b, lsB := loadTally(t, ctx, viaLoad, s)
	if !reflect.DeepEqual(a.trail, b.trail) || len(a.trail) != 1400 {
		t.Fatalf("replayed %d values, loaded %d; they differ or are not 1400", len(a.trail), len(b.trail))
	}
	if lsA.Bytes != lsB.Bytes || lsA.Replayed != lsB.Replayed || lsA.Version != lsB.Version || lsA.Bytes == 0 {
		t.Fatalf("replay stats %+v, load stats %+v: bytes, replayed or version differ", lsA, lsB)
	}
	// A retried request, its events found while loading, in either way.
	for _, r := range []*Repository{viaReplay, viaLoad} {
		res, err := r.Update(ctx, "req-350", []Target{tallyTarget(s)}, func([]domain.Aggregate) ([]Change, error) {
			return []Change{{Stream: s, Events: []domain.Event{&added{N: -1}}}}, nil
		})
		if err != nil || !res.AlreadyApplied {
			t.Fatalf("retry of req-350 = %+v, %v; want AlreadyApplied", res, err)
		}
	}
	// And a request that was not applied yet is not taken for one.
	res := addTally(t, ctx, viaReplay, s, "req-new", 5)
	if res.AlreadyApplied || res.Appended != 1 {
		t.Fatalf("new request = %+v, want one event appended", res)
	}
}
