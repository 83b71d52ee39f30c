package cassandra

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/esbench/esbench/refimpl/store"
)

// TestInFlightLimit: the bulk in-flight limit admits at most its limit,
// halves on back-pressure (never below one), grows by one after a run of
// successes as long as itself (never above BulkMaxInFlight), and a waiter
// gives up with its context.
func TestInFlightLimit(t *testing.T) {
	ctx := context.Background()
	f := newInFlight(4)
	for range 4 {
		if err := f.acquire(ctx); err != nil {
			t.Fatal(err)
		}
	}
	got := make(chan error, 1)
	go func() { got <- f.acquire(ctx) }()
	select {
	case err := <-got:
		t.Fatalf("a fifth acquire under a limit of 4 returned (%v) before any release", err)
	case <-time.After(50 * time.Millisecond):
	}
	f.release(true)
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	f.shrink()
	if f.Limit() != 2 {
		t.Fatalf("limit after one shrink from 4 = %d, want 2", f.Limit())
	}
	for range 3 {
		f.shrink()
	}
	if f.Limit() != 1 {
		t.Fatalf("limit after shrinking past 1 = %d, want 1", f.Limit())
	}
	// Four slots are held above a limit of 1: releasing them counts as a run
	// of successes, raising the limit one step per run as long as it.
	for range 4 {
		f.release(true)
	}
	if f.Limit() != 3 {
		t.Fatalf("limit after 4 successes from 1 = %d, want 3 (1→2 after one, 2→3 after two more)", f.Limit())
	}
	for range 10 * BulkMaxInFlight * BulkMaxInFlight {
		if err := f.acquire(ctx); err != nil {
			t.Fatal(err)
		}
		f.release(true)
	}
	if f.Limit() != BulkMaxInFlight {
		t.Fatalf("limit after many successes = %d, want the cap %d", f.Limit(), BulkMaxInFlight)
	}
	f.release(false)
	if f.Limit() != BulkMaxInFlight {
		t.Fatalf("a release after back-pressure changed the limit to %d", f.Limit())
	}

	g := newInFlight(1)
	if err := g.acquire(ctx); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := g.acquire(cctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("acquire on a full limit with an expiring context = %v, want DeadlineExceeded", err)
	}
}

// TestBulkLoad loads many customers in both modes through concurrent bulk
// batches on a real node, some customers larger than one batch, and reads
// every stream back: the rows, the snapshots, the marks; in conditional
// mode an append continues each stream after its loaded head.
func TestBulkLoad(t *testing.T) {
	base := nodeConfig(t)
	for _, mode := range []Mode{ModeConditional, ModeUnconditional} {
		t.Run(string(mode), func(t *testing.T) {
			cfg := newKeyspace(t, base)
			cfg.Mode = mode
			s := openStore(t, cfg)
			ctx := context.Background()
			const customers, batches = 60, 3
			type cust struct {
				reqs  []store.AppendRequest
				snaps []store.Snapshot
			}
			at := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
			gen := func(c int) cust {
				id := fmt.Sprintf("bulk-%s-%03d", mode, c)
				n := 5 + c%40
				// Every seventh customer is larger than one batch.
				payload := []byte(strings.Repeat("x", 50))
				if c%7 == 0 {
					payload = []byte(strings.Repeat("y", 2000))
				}
				var out cust
				for k, typ := range []string{"DownloadAccount", "License"} {
					st := store.StreamID{Customer: id, AggregateType: typ, AggregateID: fmt.Sprintf("%s-%d", id, k)}
					recs := make([]store.Record, n)
					for i := range recs {
						recs[i] = store.Record{EventID: fmt.Sprintf("%s/%d/%d", id, k, i), Type: "T", SchemaVersion: 1, Codec: "json",
							Payload: payload, Metadata: map[string]string{"request_id": fmt.Sprint(i)}, RecordedAt: at}
					}
					out.reqs = append(out.reqs, store.AppendRequest{Stream: st, Events: recs})
					out.snaps = append(out.snaps, store.Snapshot{Stream: st, Version: uint64(n), Type: "S", SchemaVersion: 1, Codec: "json",
						Payload: []byte(id), CreatedAt: at})
				}
				return out
			}
			all := make([]cust, customers)
			for c := range all {
				all[c] = gen(c)
			}
			var wg sync.WaitGroup
			errs := make(chan error, batches)
			per := customers / batches
			for b := range batches {
				wg.Add(1)
				go func() {
					defer wg.Done()
					bb, err := s.NewBulkBatch(ctx)
					if err != nil {
						errs <- err
						return
					}
					for c := b * per; c < (b+1)*per; c++ {
						if err := bb.Add(ctx, all[c].reqs, all[c].snaps); err != nil {
							errs <- err
							return
						}
					}
					errs <- bb.Commit(ctx, store.BulkMark{Part: 1, From: uint64(b * per), To: uint64((b + 1) * per)})
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatalf("bulk batch: %v", err)
				}
			}
			marks, err := s.BulkMarks(ctx)
			if err != nil {
				t.Fatal(err)
			}
			slices.SortFunc(marks, func(a, b store.BulkMark) int { return int(a.From) - int(b.From) })
			want := []store.BulkMark{{Part: 1, From: 0, To: 20}, {Part: 1, From: 20, To: 40}, {Part: 1, From: 40, To: 60}}
			if !slices.Equal(marks, want) {
				t.Fatalf("BulkMarks = %v, want %v", marks, want)
			}
			for _, c := range all {
				for i, r := range c.reqs {
					var got []store.Record
					for rec, err := range s.Load(ctx, r.Stream, 0) {
						if err != nil {
							t.Fatalf("Load %s: %v", r.Stream, err)
						}
						got = append(got, rec)
					}
					if len(got) != len(r.Events) {
						t.Fatalf("%s: loaded %d records, bulk-loaded %d", r.Stream, len(got), len(r.Events))
					}
					for k, rec := range got {
						w := r.Events[k]
						if rec.Version != uint64(k+1) || rec.EventID != w.EventID || string(rec.Payload) != string(w.Payload) ||
							rec.Metadata["request_id"] != w.Metadata["request_id"] || !rec.RecordedAt.Equal(w.RecordedAt) {
							t.Fatalf("%s: record %d loads as %+v, want version %d of %+v", r.Stream, k, rec, k+1, w)
						}
					}
					sn, ok, err := s.LatestSnapshot(ctx, r.Stream, store.Latest)
					if err != nil || !ok || sn.Version != c.snaps[i].Version || string(sn.Payload) != string(c.snaps[i].Payload) {
						t.Fatalf("%s: latest snapshot = version %d %q, %v, %v; want version %d", r.Stream, sn.Version, sn.Payload, ok, err, c.snaps[i].Version)
					}
					if mode == ModeConditional {
						next := store.Record{EventID: r.Stream.AggregateID + "/next", Type: "T", Codec: "json", Payload: []byte("n"), RecordedAt: at}
						if err := s.Append(ctx, store.AppendRequest{Stream: r.Stream, ExpectedVersion: uint64(len(r.Events)), Events: []store.Record{next}}); err != nil {
							t.Fatalf("%s: append after the bulk-loaded head %d: %v", r.Stream, len(r.Events), err)
						}
					}
				}
			}
			if mode != ModeConditional {
				return
			}
			// A late preload of the same customer (another process) leaves
			// the heads the appends above moved: its rows are older.
			late, err := s.NewBulkBatch(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := late.Add(ctx, all[1].reqs, all[1].snaps); err != nil {
				t.Fatal(err)
			}
			if err := late.Commit(ctx, store.BulkMark{Part: 2, From: 1, To: 2}); err != nil {
				t.Fatal(err)
			}
			for _, r := range all[1].reqs {
				next := store.Record{EventID: r.Stream.AggregateID + "/after-late", Type: "T", Codec: "json", Payload: []byte("n"), RecordedAt: at}
				if err := s.Append(ctx, store.AppendRequest{Stream: r.Stream, ExpectedVersion: uint64(len(r.Events)) + 1, Events: []store.Record{next}}); err != nil {
					t.Fatalf("%s: append at %d after a late bulk load of the stream: %v", r.Stream, len(r.Events)+1, err)
				}
			}
		})
	}
}
