package memory_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/esbench/esbench/refimpl/store"
	"github.com/esbench/esbench/refimpl/store/memory"
	"github.com/esbench/esbench/refimpl/store/storetest"
)

func open(tb storetest.T) store.Store {
	s := memory.New()
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Harness{Open: open})
}

func BenchmarkAppend(b *testing.B) { storetest.BenchAppend(b, open) }

func BenchmarkLoad(b *testing.B) { storetest.BenchLoad(b, open) }

func BenchmarkLatestSnapshot(b *testing.B) { storetest.BenchLatestSnapshot(b, open) }

func BenchmarkAppendParallel(b *testing.B) { storetest.BenchAppendParallel(b, open) }

// TestLoadPageRecords: a page's records share one buffer for their ids and
// payloads; each must still read back exactly (UUID ids in canonical form,
// other ids as written) and be the caller's own, even when appended to.
func TestLoadPageRecords(t *testing.T) {
	ctx := context.Background()
	s := memory.New()
	st := store.StreamID{Customer: "page", AggregateType: "DownloadAccount", AggregateID: "page"}
	var want []store.Record
	for i := range 600 { // more than two pages
		id := uuid.NewString()
		if i%7 == 3 {
			id = fmt.Sprint("not-a-uuid-", i)
		}
		want = append(want, store.Record{Version: uint64(i + 1), EventID: id, Type: "DownloadGranted", SchemaVersion: 1,
			Codec: "json", Payload: []byte(strings.Repeat(fmt.Sprint(i, ";"), 1+i%5)), RecordedAt: time.Unix(int64(i), 0).UTC()})
	}
	if err := s.Append(ctx, store.AppendRequest{Stream: st, Events: want}); err != nil {
		t.Fatal(err)
	}
	var got []store.Record
	for rec, err := range s.Load(ctx, st, 0) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, rec)
	}
	if len(got) != len(want) {
		t.Fatalf("loaded %d records, want %d", len(got), len(want))
	}
	for i := range got {
		_ = append(got[i].Payload, "overwrite?"...)
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.EventID != w.EventID || string(g.Payload) != string(w.Payload) || g.Version != w.Version || !g.RecordedAt.Equal(w.RecordedAt) {
			t.Fatalf("record %d = %q %q v%d, want %q %q v%d", i, g.EventID, g.Payload, g.Version, w.EventID, w.Payload, w.Version)
		}
	}
}

// BenchmarkReplay reads a 10,000-event stream through Replay and, for
// comparison, Load: the store's share of a repository replay.
func BenchmarkReplay(b *testing.B) {
	ctx := context.Background()
	s := memory.New()
	st := store.StreamID{Customer: "bench", AggregateType: "DownloadAccount", AggregateID: "bench"}
	recs := make([]store.Record, 10000)
	for i := range recs {
		recs[i] = store.Record{EventID: uuid.NewString(), Type: "DownloadGranted", SchemaVersion: 1, Codec: "binary",
			Payload: []byte(strings.Repeat("x", 60+i%40)), Metadata: map[string]string{"request_id": fmt.Sprint("req-", i)},
			RecordedAt: time.Unix(1_700_000_000+int64(i), int64(i))}
	}
	if err := s.Append(ctx, store.AppendRequest{Stream: st, Events: recs}); err != nil {
		b.Fatal(err)
	}
	watch := recs[5000].EventID
	b.Run("replay", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			n, w := 0, 0
			for r, err := range s.Replay(ctx, st, 0, watch) {
				if err != nil {
					b.Fatal(err)
				}
				n += len(r.Payload)
				if r.Watched {
					w++
				}
			}
			if w != 1 || n == 0 {
				b.Fatalf("watched %d, payload bytes %d", w, n)
			}
		}
	})
	b.Run("load", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			n := 0
			for r, err := range s.Load(ctx, st, 0) {
				if err != nil {
					b.Fatal(err)
				}
				n += len(r.Payload)
			}
			if n == 0 {
				b.Fatal("no payload")
			}
		}
	})
}

// TestStreams: every stream is listed once, a customer's streams together.
func TestStreams(t *testing.T) {
	ctx := context.Background()
	s := memory.New()
	want := map[store.StreamID]bool{}
	for c := range 5 {
		for i := range c + 1 {
			id := store.StreamID{Customer: fmt.Sprint("c", c), AggregateType: "T", AggregateID: fmt.Sprint("s", i)}
			want[id] = true
			if err := s.Append(ctx, store.AppendRequest{Stream: id, Events: []store.Record{{EventID: "e", Type: "E"}}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	seen := map[store.StreamID]bool{}
	done := map[string]bool{}
	last := ""
	for id := range s.Streams() {
		if seen[id] || !want[id] {
			t.Fatalf("stream %s listed twice or never written", id)
		}
		if id.Customer != last && done[id.Customer] {
			t.Fatalf("customer %s's streams are not together", id.Customer)
		}
		seen[id], done[id.Customer], last = true, true, id.Customer
	}
	if len(seen) != len(want) {
		t.Fatalf("listed %d streams, want %d", len(seen), len(want))
	}
}

// TestLatestSnapshotSharesPayload: LatestSnapshot hands out the stored
// bytes, not a copy (read-only, store.SnapshotStore), capped so that an
// append by the caller cannot write into the store.
func TestLatestSnapshotSharesPayload(t *testing.T) {
	ctx := context.Background()
	s := memory.New()
	st := store.StreamID{Customer: "c", AggregateType: "DownloadAccount", AggregateID: "c"}
	if err := s.SaveSnapshot(ctx, store.Snapshot{Stream: st, Version: 1, Type: "DownloadAccount", SchemaVersion: 2, Codec: "binary", Payload: []byte("state")}); err != nil {
		t.Fatal(err)
	}
	a, _, err := s.LatestSnapshot(ctx, st, store.Latest)
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := s.LatestSnapshot(ctx, st, store.Latest)
	if err != nil {
		t.Fatal(err)
	}
	if &a.Payload[0] != &b.Payload[0] || cap(a.Payload) != len(a.Payload) {
		t.Fatalf("two reads share bytes: %v, capacity %d for %d bytes; want shared and capped", &a.Payload[0] == &b.Payload[0], cap(a.Payload), len(a.Payload))
	}
	if allocs := testing.AllocsPerRun(100, func() { _, _, _ = s.LatestSnapshot(ctx, st, store.Latest) }); allocs != 0 {
		t.Fatalf("LatestSnapshot allocates %.0f times; want 0", allocs)
	}
	_ = append(a.Payload, 'X')
	if c, _, _ := s.LatestSnapshot(ctx, st, store.Latest); string(c.Payload) != "state" {
		t.Fatalf("payload %q after a caller appended to its copy", c.Payload)
	}
}
