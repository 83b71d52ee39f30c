package ledger

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/esbench/esbench/refimpl/store"
	"github.com/esbench/esbench/refimpl/store/memory"
	"github.com/esbench/esbench/refimpl/store/pebble"
)

// TestWrapKeepsBulkLoading checks that the ledger passes a store's bulk
// loader through and records what its batches do, on real stores: a
// committed batch is acknowledged (and found by the audit), while the
// events of a batch aborted after adds, of a failed Add and of a failed
// Commit are unknown, each on its own (a bulk batch is not atomic), and
// resolve as present or absent, never partial.
func TestWrapKeepsBulkLoading(t *testing.T) {
	for _, c := range []struct {
		name string
		open func(t *testing.T) store.Store
		// writesAtAdd: the backend writes during Add (memory), so what an
		// aborted batch was given is stored anyway.
		writesAtAdd bool
	}{
		{"memory", func(*testing.T) store.Store { return memory.New() }, true},
		{"pebble", func(t *testing.T) store.Store {
			st, err := pebble.Open(pebble.Options{Dir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			return st
		}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			st := c.open(t)
			defer st.Close()
			path, w := newLedger(t)
			bl, ok := Wrap(st, w).(store.BulkLoader)
			if !ok {
				t.Fatal("the ledger hides the store's bulk loader")
			}
			must := func(err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}
			customer := func(c string, ids ...string) []store.AppendRequest {
				return []store.AppendRequest{
					{Stream: stream(c), Events: ev(ids...)},
					{Stream: store.StreamID{Customer: c, AggregateType: "license", AggregateID: c + "-l"}, Events: ev(c + "-l1")},
				}
			}

			// Committed: acknowledged. The caller's requests are reused
			// after Add, as a preload may: the ledger keeps its own copy.
			b, err := bl.NewBulkBatch(ctx)
			must(err)
			r1 := customer("c1", "c1-1", "c1-2", "c1-3")
			must(b.Add(ctx, r1, nil))
			r1[0].Events[0].EventID, r1[0].Stream.Customer = "scribbled", "scribbled"
			must(b.Add(ctx, customer("c2", "c2-1"), nil))
			must(b.Commit(ctx, store.BulkMark{From: 0, To: 2}))
			b.Abort() // harmless after Commit: nothing more is recorded

			// Aborted after an add.
			b, err = bl.NewBulkBatch(ctx)
			must(err)
			must(b.Add(ctx, customer("c3", "c3-1", "c3-2"), nil))
			b.Abort()

			// An Add refused (an event without a type) after a good one;
			// the caller then aborts.
			b, err = bl.NewBulkBatch(ctx)
			must(err)
			must(b.Add(ctx, customer("c4", "c4-1"), nil))
			bad := []store.AppendRequest{{Stream: stream("c5"), Events: []store.Record{{EventID: "c5-1", Codec: "json", Payload: []byte("{}")}}}}
			if err := b.Add(ctx, bad, nil); !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("add of an event without a type: %v, want ErrInvalid", err)
			}
			b.Abort()

			// A Commit that fails.
			b, err = bl.NewBulkBatch(ctx)
			must(err)
			must(b.Add(ctx, customer("c6", "c6-1"), nil))
			cancelled, cancel := context.WithCancel(ctx)
			cancel()
			if err := b.Commit(cancelled, store.BulkMark{From: 5, To: 6}); err == nil {
				t.Fatal("commit with a cancelled context succeeded")
			}
			b.Abort()

			marks, err := bl.BulkMarks(ctx)
			must(err)
			if want := []store.BulkMark{{From: 0, To: 2}}; !reflect.DeepEqual(marks, want) {
				t.Fatalf("marks %v, want %v", marks, want)
			}
			must(w.Close())
			l, err := Read(path)
			must(err)
			wantAcked := []Append{
				{Stream: stream("c1"), First: 1, EventIDs: []string{"c1-1", "c1-2", "c1-3"}},
				{Stream: store.StreamID{Customer: "c1", AggregateType: "license", AggregateID: "c1-l"}, First: 1, EventIDs: []string{"c1-l1"}},
				{Stream: stream("c2"), First: 1, EventIDs: []string{"c2-1"}},
				{Stream: store.StreamID{Customer: "c2", AggregateType: "license", AggregateID: "c2-l"}, First: 1, EventIDs: []string{"c2-l1"}},
			}
			if !reflect.DeepEqual(l.Acked, wantAcked) {
				t.Fatalf("acknowledged %+v\nwant         %+v", l.Acked, wantAcked)
			}
			// c3: 3 events, c4: 2, the refused c5: 1, c6: 2; one call each.
			if len(l.Unknown) != 8 {
				t.Fatalf("%d unknown outcomes, want 8: %+v", len(l.Unknown), l.Unknown)
			}
			for _, call := range l.Unknown {
				if len(call) != 1 || len(call[0].EventIDs) != 1 {
					t.Fatalf("an unknown outcome of a bulk batch holds more than one event: %+v", call)
				}
			}
			rep, err := Audit(ctx, st, []*Ledger{l})
			must(err)
			// Stored anyway: memory writes c3 and c4 at Add; c6 is written at
			// Add on memory and never on pebble (its Commit failed).
			present := int64(0)
			if c.writesAtAdd {
				present = 3 + 2 + 2
			}
			if !rep.OK() || rep.Acknowledged != 6 || rep.Found != 6 || rep.Lost != 0 ||
				rep.Unknown != 8 || rep.UnknownPresent != present || rep.UnknownAbsent != 8-present || rep.UnknownPartial != 0 {
				t.Fatalf("audit: %+v", rep)
			}
		})
	}
}

// TestWrapWithoutBulkLoader checks that a store that cannot load in bulk
// does not gain a bulk loader from the ledger.
func TestWrapWithoutBulkLoader(t *testing.T) {
	_, w := newLedger(t)
	defer w.Close()
	if _, ok := Wrap(struct{ store.Store }{memory.New()}, w).(store.BulkLoader); ok {
		t.Fatal("the ledger offers a bulk loader its store does not have")
	}
}
