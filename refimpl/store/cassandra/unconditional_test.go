package cassandra

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"testing"

	"github.com/esbench/esbench/refimpl/store"
)

// TestUnconditionalMode checks what the plain-writes mode promises: order,
// paging, snapshots and archival as in the conditional mode, and duplicates
// of one event id removed on load. It cannot refuse a conflicting writer;
// ConflictsReportedOnLoad checks that the divergence it leaves is reported,
// never hidden.
func TestUnconditionalMode(t *testing.T) {
	cfg := newKeyspace(t, nodeConfig(t))
	cfg.Mode = ModeUnconditional
	cfg.PageSize = 7
	s := openStore(t, cfg)
	ctx := context.Background()
	ev := func(prefix string, n int) []store.Record {
		out := make([]store.Record, n)
		for i := range out {
			out[i] = store.Record{EventID: fmt.Sprintf("%s-%d", prefix, i+1), Type: "T", Codec: "json", Payload: []byte(prefix),
				Metadata: map[string]string{"i": fmt.Sprint(i)}}
		}
		return out
	}
	load := func(t *testing.T, st store.StreamID, after uint64) (ids []string, versions []uint64, err error) {
		t.Helper()
		for r, lerr := range s.Load(ctx, st, after) {
			if lerr != nil {
				return ids, versions, lerr
			}
			ids = append(ids, r.EventID)
			versions = append(versions, r.Version)
		}
		return ids, versions, nil
	}
	mustAppend := func(t *testing.T, reqs ...store.AppendRequest) {
		t.Helper()
		if err := s.Append(ctx, reqs...); err != nil {
			t.Fatalf("Append: %v", err)
		}
	}
	seq := func(prefix string, n int) []string {
		var out []string
		for i := 1; i <= n; i++ {
			out = append(out, fmt.Sprintf("%s-%d", prefix, i))
		}
		return out
	}

	t.Run("OrderAndPaging", func(t *testing.T) {
		st := store.StreamID{Customer: "u-order", AggregateType: "T", AggregateID: "a"}
		for i := range 5 {
			mustAppend(t, store.AppendRequest{Stream: st, ExpectedVersion: uint64(i * 10), Events: ev(fmt.Sprintf("b%d", i), 10)})
		}
		ids, vs, err := load(t, st, 0)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for i := range 5 {
			want = append(want, seq(fmt.Sprintf("b%d", i), 10)...)
		}
		if !slices.Equal(ids, want) {
			t.Fatalf("Load = %v, want %v", ids, want)
		}
		for i, v := range vs {
			if v != uint64(i+1) {
				t.Fatalf("record %d has version %d", i, v)
			}
		}
		ids, _, err = load(t, st, 45)
		if err != nil || !slices.Equal(ids, seq("b4", 10)[5:]) {
			t.Fatalf("Load after 45 = %v (err %v)", ids, err)
		}
	})
	t.Run("RetriesDeduplicated", func(t *testing.T) {
		st := store.StreamID{Customer: "u-retry", AggregateType: "T", AggregateID: "a"}
		first := store.AppendRequest{Stream: st, Events: ev("a", 2)}
		mustAppend(t, first)
		mustAppend(t, first) // same versions: the rows are rewritten
		mustAppend(t, store.AppendRequest{Stream: st, ExpectedVersion: 2, Events: ev("b", 1)})
		// A client that retried with a re-read version writes the same
		// events again at later versions; load drops them by event id.
		mustAppend(t, store.AppendRequest{Stream: st, ExpectedVersion: 3, Events: ev("a", 2)})
		mustAppend(t, store.AppendRequest{Stream: st, ExpectedVersion: 5, Events: ev("c", 1)})
		ids, vs, err := load(t, st, 0)
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"a-1", "a-2", "b-1", "c-1"}; !slices.Equal(ids, want) {
			t.Fatalf("Load = %v, want %v", ids, want)
		}
		if want := []uint64{1, 2, 3, 6}; !slices.Equal(vs, want) {
			t.Fatalf("versions %v, want %v (stored versions, duplicates skipped)", vs, want)
		}
	})
	t.Run("ConflictsReportedOnLoad", func(t *testing.T) {
		// Two writers at one expected version both land: the store cannot
		// refuse either, but a load must not silently keep one of them.
		st := store.StreamID{Customer: "u-race", AggregateType: "T", AggregateID: "a"}
		mustAppend(t, store.AppendRequest{Stream: st, Events: ev("x", 1)})
		mustAppend(t, store.AppendRequest{Stream: st, Events: ev("y", 1)})
		mustAppend(t, store.AppendRequest{Stream: st, ExpectedVersion: 1, Events: ev("z", 1)})
		// A retried copy of x-1 at version 2 is an identical duplicate:
		// dropped, not a divergence.
		mustAppend(t, store.AppendRequest{Stream: st, ExpectedVersion: 1, Events: ev("x", 1)})
		for name, seq := range map[string]func() iter.Seq2[store.Record, error]{
			"Load":      func() iter.Seq2[store.Record, error] { return s.Load(ctx, st, 0) },
			"LoadAudit": func() iter.Seq2[store.Record, error] { return s.LoadAudit(ctx, st) },
		} {
			var got []string
			var divs []*store.DivergenceError
			for r, err := range seq() {
				var de *store.DivergenceError
				switch {
				case errors.As(err, &de):
					if !errors.Is(err, store.ErrDiverged) {
						t.Fatalf("%s: %v does not match store.ErrDiverged", name, err)
					}
					divs = append(divs, de)
				case err != nil:
					t.Fatalf("%s: %v", name, err)
				default:
					got = append(got, fmt.Sprintf("%s@%d", r.EventID, r.Version))
				}
			}
			if want := []string{"x-1@1", "z-1@2"}; !slices.Equal(got, want) {
				t.Fatalf("%s yielded %v, want %v", name, got, want)
			}
			if len(divs) != 1 || divs[0].Version != 1 || divs[0].Kept != "x-1" || divs[0].Other != "y-1" || divs[0].Stream != st {
				t.Fatalf("%s reported divergences %+v, want one at version 1 (x-1 kept, y-1 other)", name, divs)
			}
		}
		// A replay stops at the divergence.
		if _, _, err := load(t, st, 0); !errors.Is(err, store.ErrDiverged) {
			t.Fatalf("load stopping at the first error: %v, want ErrDiverged", err)
		}
		var raw []string
		for r, err := range s.ReadRaw(ctx, st) {
			if err != nil {
				t.Fatal(err)
			}
			raw = append(raw, fmt.Sprintf("%s@%d", r.EventID, r.Version))
		}
		if want := []string{"x-1@1", "y-1@1", "x-1@2", "z-1@2"}; !slices.Equal(raw, want) {
			t.Fatalf("ReadRaw = %v, want every stored row %v", raw, want)
		}
	})
	t.Run("InvalidInput", func(t *testing.T) {
		err := s.Append(ctx, store.AppendRequest{Stream: store.StreamID{Customer: "u", AggregateType: "T"}, Events: ev("z", 1)})
		if !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("Append with an empty aggregate id: %v, want ErrInvalid", err)
		}
	})
	t.Run("ArchivalAndAudit", func(t *testing.T) {
		st := store.StreamID{Customer: "u-arch", AggregateType: "T", AggregateID: "a"}
		mustAppend(t, store.AppendRequest{Stream: st, Events: ev("a", 10)})
		mustAppend(t, store.AppendRequest{Stream: st, ExpectedVersion: 10, Events: ev("b", 5)})
		if err := s.SaveSnapshot(ctx, store.Snapshot{Stream: st, Version: 10, Type: "T", Codec: "json", Payload: []byte("s")}); err != nil {
			t.Fatal(err)
		}
		n, err := s.Archive(ctx, st)
		if err != nil || n != 10 {
			t.Fatalf("Archive = %d, %v; want 10 moved", n, err)
		}
		if _, _, err := load(t, st, 3); !errors.Is(err, store.ErrArchived) {
			t.Fatalf("Load after 3: %v, want ErrArchived", err)
		}
		ids, _, err := load(t, st, 10)
		if err != nil || !slices.Equal(ids, seq("b", 5)) {
			t.Fatalf("Load after 10 = %v (err %v)", ids, err)
		}
		var audit []string
		for r, err := range s.LoadAudit(ctx, st) {
			if err != nil {
				t.Fatal(err)
			}
			audit = append(audit, r.EventID)
		}
		if want := append(seq("a", 10), seq("b", 5)...); !slices.Equal(audit, want) {
			t.Fatalf("LoadAudit = %v, want %v", audit, want)
		}
		if n, err := s.Archive(ctx, st); err != nil || n != 0 {
			t.Fatalf("second Archive = %d, %v; want 0", n, err)
		}
	})
	t.Run("SchemaNamesModeTable", func(t *testing.T) {
		if !strings.HasSuffix(s.q.hot, ".events_unconditional") {
			t.Fatalf("unconditional store writes to %s", s.q.hot)
		}
	})
}
