package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/esbench/esbench/refimpl/store"
)

func snapshot(st store.StreamID, v uint64, payload string) store.Snapshot {
	return store.Snapshot{
		Stream:        st,
		Version:       v,
		Type:          st.AggregateType,
		SchemaVersion: uint16(v%3 + 1),
		Codec:         []string{"json", "gob"}[v%2],
		Payload:       []byte(payload),
		CreatedAt:     baseTime.Add(time.Duration(v) * time.Millisecond),
	}
}

func saveOK(tb T, s store.Store, snaps ...store.Snapshot) {
	tb.Helper()
	for _, sn := range snaps {
		if err := s.SaveSnapshot(context.Background(), sn); err != nil {
			tb.Fatalf("SaveSnapshot(%s at %d): %v", sn.Stream, sn.Version, err)
		}
	}
}

func sameSnapshot(want, got store.Snapshot) error {
	switch {
	case want.Stream != got.Stream:
		return fmt.Errorf("stream %s, want %s", got.Stream, want.Stream)
	case want.Version != got.Version:
		return fmt.Errorf("version %d, want %d", got.Version, want.Version)
	case want.Type != got.Type:
		return fmt.Errorf("type %q, want %q", got.Type, want.Type)
	case want.SchemaVersion != got.SchemaVersion:
		return fmt.Errorf("schema version %d, want %d", got.SchemaVersion, want.SchemaVersion)
	case want.Codec != got.Codec:
		return fmt.Errorf("codec %q, want %q", got.Codec, want.Codec)
	case !bytes.Equal(want.Payload, got.Payload):
		return fmt.Errorf("payload %q, want %q", got.Payload, want.Payload)
	case !want.CreatedAt.Equal(got.CreatedAt):
		return fmt.Errorf("created at %v, want %v", got.CreatedAt, want.CreatedAt)
	}
	return nil
}

// checkLatest asserts LatestSnapshot(st, atOrBelow) returns want, or none
// when want is nil.
func checkLatest(tb T, s store.Store, st store.StreamID, atOrBelow uint64, want *store.Snapshot) {
	tb.Helper()
	got, ok, err := s.LatestSnapshot(context.Background(), st, atOrBelow)
	if err != nil {
		tb.Fatalf("LatestSnapshot(%s, %d): %v", st, atOrBelow, err)
	}
	if want == nil {
		if ok {
			tb.Fatalf("LatestSnapshot(%s, %d) = version %d, want none", st, atOrBelow, got.Version)
		}
		return
	}
	if !ok {
		tb.Fatalf("LatestSnapshot(%s, %d) = none, want version %d", st, atOrBelow, want.Version)
	}
	if err := sameSnapshot(*want, got); err != nil {
		tb.Fatalf("LatestSnapshot(%s, %d): %v", st, atOrBelow, err)
	}
}

func testSnapshots(t T, h Harness) {
	s := h.Open(t)
	ctx := context.Background()
	st := stream(customer(t, "snap"), "acc")
	checkLatest(t, s, st, store.Latest, nil)

	s5, s7, s10, s15 := snapshot(st, 5, "v5"), snapshot(st, 7, "v7"), snapshot(st, 10, "v10"), snapshot(st, 15, "v15")
	saveOK(t, s, s5, s10, s15)
	for _, tc := range []struct {
		at   uint64
		want *store.Snapshot
	}{
		{0, nil}, {4, nil}, {5, &s5}, {9, &s5}, {10, &s10}, {14, &s10}, {15, &s15}, {1000, &s15}, {store.Latest, &s15},
	} {
		run(t, fmt.Sprintf("AtOrBelow=%d", tc.at), func(t T) { checkLatest(t, s, st, tc.at, tc.want) })
	}
	run(t, "SavedOutOfOrder", func(t T) {
		saveOK(t, s, s7)
		checkLatest(t, s, st, store.Latest, &s15)
		checkLatest(t, s, st, 8, &s7)
		checkLatest(t, s, st, 6, &s5)
	})
	run(t, "ReplaceSameVersion", func(t T) {
		s10 = snapshot(st, 10, "v10-again")
		s10.Codec = "other"
		saveOK(t, s, s10)
		checkLatest(t, s, st, 10, &s10)
		checkLatest(t, s, st, 12, &s10)
	})
	run(t, "TrimKeepsNewest", func(t T) {
		if err := s.TrimSnapshots(ctx, st, 10); err != nil {
			t.Fatalf("TrimSnapshots(10): %v", err)
		}
		// Nothing trimmed: 5, 7, 10 and 15 are all there, 10 only once.
		checkLatest(t, s, st, 5, &s5)
		checkLatest(t, s, st, 7, &s7)
		if err := s.TrimSnapshots(ctx, st, 3); err != nil {
			t.Fatalf("TrimSnapshots(3): %v", err)
		}
		// Had 10 been stored twice, keeping 3 would also drop 7.
		checkLatest(t, s, st, 7, &s7)
		checkLatest(t, s, st, 6, nil)
		if err := s.TrimSnapshots(ctx, st, 2); err != nil {
			t.Fatalf("TrimSnapshots(2): %v", err)
		}
		checkLatest(t, s, st, 9, nil)
		checkLatest(t, s, st, 10, &s10)
		checkLatest(t, s, st, store.Latest, &s15)
		if err := s.TrimSnapshots(ctx, st, 0); err != nil {
			t.Fatalf("TrimSnapshots(0): %v", err)
		}
		checkLatest(t, s, st, store.Latest, nil)
	})
	run(t, "TrimMissingStream", func(t T) {
		if err := s.TrimSnapshots(ctx, stream(st.Customer, "none"), 1); err != nil {
			t.Fatalf("TrimSnapshots on a stream without snapshots: %v", err)
		}
	})
}

func testSnapshotIsolation(t T, h Harness) {
	s := h.Open(t)
	c := customer(t, "sniso")
	streams := []store.StreamID{
		{Customer: c, AggregateType: "T", AggregateID: "a"},
		{Customer: c, AggregateType: "T", AggregateID: "ab"},
		{Customer: c, AggregateType: "T", AggregateID: "a/b"},
		{Customer: c, AggregateType: "T/a", AggregateID: "b"},
		{Customer: c, AggregateType: "T", AggregateID: "a\x00"},
	}
	for i, st := range streams {
		saveOK(t, s, snapshot(st, uint64(i+1), st.String()))
	}
	if err := s.TrimSnapshots(context.Background(), streams[0], 0); err != nil {
		t.Fatalf("TrimSnapshots: %v", err)
	}
	checkLatest(t, s, streams[0], store.Latest, nil)
	for i, st := range streams[1:] {
		want := snapshot(st, uint64(i+2), st.String())
		checkLatest(t, s, st, store.Latest, &want)
	}
}

// --- archival ---

func archiveOK(tb T, s store.Store, st store.StreamID, want int) {
	tb.Helper()
	n, err := s.Archive(context.Background(), st)
	if err != nil {
		tb.Fatalf("Archive(%s): %v", st, err)
	}
	if n != want {
		tb.Fatalf("Archive(%s) moved %d events, want %d", st, n, want)
	}
}

func checkArchived(tb T, s store.Store, st store.StreamID, after uint64) {
	tb.Helper()
	got, err := loadAll(context.Background(), s, st, after)
	if !errors.Is(err, store.ErrArchived) {
		tb.Fatalf("Load(%s, after %d) = %d records, err %v; want ErrArchived", st, after, len(got), err)
	}
	if len(got) != 0 {
		tb.Fatalf("Load(%s, after %d) yielded %d records before ErrArchived", st, after, len(got))
	}
}

func checkAudit(tb T, s store.Store, st store.StreamID, want []store.Record) {
	tb.Helper()
	got, err := auditAll(context.Background(), s, st)
	if err != nil {
		tb.Fatalf("LoadAudit(%s): %v", st, err)
	}
	checkRecords(tb, "LoadAudit", want, got)
}

func testArchival(t T, h Harness) {
	s := h.Open(t)
	ctx := context.Background()
	st := stream(customer(t, "arch"), "acc")
	recs := events("ar", 30)
	build(t, s, st, recs, 10)
	all := withVersions(recs, 1)

	run(t, "NoSnapshotMovesNothing", func(t T) {
		archiveOK(t, s, st, 0)
		checkRecords(t, "Load", all, mustLoad(t, s, st, 0))
		checkAudit(t, s, st, all)
	})
	saveOK(t, s, snapshot(st, 10, "v10"), snapshot(st, 20, "v20"))
	run(t, "UpToOldestKeptSnapshot", func(t T) {
		archiveOK(t, s, st, 10)
		for _, after := range []uint64{0, 5, 9} {
			checkArchived(t, s, st, after)
		}
		checkRecords(t, "Load after the watermark", all[10:], mustLoad(t, s, st, 10))
		checkRecords(t, "Load after the newest snapshot", all[20:], mustLoad(t, s, st, 20))
		checkAudit(t, s, st, all)
	})
	run(t, "Idempotent", func(t T) {
		archiveOK(t, s, st, 0)
		checkAudit(t, s, st, all)
		checkRecords(t, "Load", all[10:], mustLoad(t, s, st, 10))
	})
	run(t, "AppendAfterArchival", func(t T) {
		more := events("ar2", 1)
		appendOK(t, s, store.AppendRequest{Stream: st, ExpectedVersion: 30, Events: more})
		all = append(all, withVersions(more, 31)...)
		checkRecords(t, "Load", all[10:], mustLoad(t, s, st, 10))
		checkAudit(t, s, st, all)
	})
	run(t, "RetryOfArchivedAppend", func(t T) {
		// The first batch (versions 1..10) now lives in the cold tier; its
		// retry is still recognised.
		if err := s.Append(ctx, store.AppendRequest{Stream: st, ExpectedVersion: 0, Events: recs[:10]}); err != nil {
			t.Fatalf("retry of an archived append: %v, want success", err)
		}
		err := s.Append(ctx, store.AppendRequest{Stream: st, ExpectedVersion: 0, Events: events("zz", 10)})
		checkConflict(t, err, st, 0, 31)
		checkAudit(t, s, st, all)
	})
	run(t, "AfterTrim", func(t T) {
		if err := s.TrimSnapshots(ctx, st, 1); err != nil {
			t.Fatalf("TrimSnapshots: %v", err)
		}
		archiveOK(t, s, st, 10)
		checkArchived(t, s, st, 10)
		checkArchived(t, s, st, 19)
		checkRecords(t, "Load", all[20:], mustLoad(t, s, st, 20))
		checkAudit(t, s, st, all)
		want := snapshot(st, 20, "v20")
		checkLatest(t, s, st, store.Latest, &want)
	})
	run(t, "WholeStream", func(t T) {
		saveOK(t, s, snapshot(st, 31, "v31"))
		if err := s.TrimSnapshots(ctx, st, 1); err != nil {
			t.Fatalf("TrimSnapshots: %v", err)
		}
		archiveOK(t, s, st, 11)
		checkArchived(t, s, st, 30)
		if got := mustLoad(t, s, st, 31); len(got) != 0 {
			t.Fatalf("Load after the head yielded %d records", len(got))
		}
		checkAudit(t, s, st, all)
		// The version survives archival of every hot event.
		err := s.Append(ctx, store.AppendRequest{Stream: st, ExpectedVersion: 0, Events: events("new", 1)})
		checkConflict(t, err, st, 0, 31)
		more := events("ar3", 2)
		appendOK(t, s, store.AppendRequest{Stream: st, ExpectedVersion: 31, Events: more})
		all = append(all, withVersions(more, 32)...)
		checkRecords(t, "Load", all[31:], mustLoad(t, s, st, 31))
		checkAudit(t, s, st, all)
	})
}

func testArchivalEdges(t T, h Harness) {
	s := h.Open(t)
	c := customer(t, "arch2")
	run(t, "MissingStream", func(t T) {
		st := stream(c, "missing")
		archiveOK(t, s, st, 0)
		checkAudit(t, s, st, nil)
	})
	run(t, "SnapshotBeyondHead", func(t T) {
		st := stream(c, "beyond")
		recs := events("b", 5)
		build(t, s, st, recs, 5)
		saveOK(t, s, snapshot(st, 8, "v8"))
		archiveOK(t, s, st, 5)
		checkArchived(t, s, st, 4)
		// Versions 6..8 are written after archival and stay hot.
		more := events("b2", 3)
		appendOK(t, s, store.AppendRequest{Stream: st, ExpectedVersion: 5, Events: more})
		checkRecords(t, "Load", withVersions(more, 6), mustLoad(t, s, st, 5))
		checkAudit(t, s, st, append(withVersions(recs, 1), withVersions(more, 6)...))
	})
	run(t, "OtherStreamsUntouched", func(t T) {
		a, b := stream(c, "x"), stream(c, "xy")
		build(t, s, a, events("a", 6), 6)
		build(t, s, b, events("b", 6), 6)
		saveOK(t, s, snapshot(a, 3, "a3"))
		archiveOK(t, s, a, 3)
		checkRecords(t, "other stream", withVersions(events("b", 6), 1), mustLoad(t, s, b, 0))
		checkAudit(t, s, b, withVersions(events("b", 6), 1))
		checkAudit(t, s, a, withVersions(events("a", 6), 1))
	})
}

// --- context, reopen, close ---

func testContext(t T, h Harness) {
	s := h.Open(t)
	st := stream(customer(t, "ctx"), "acc")
	build(t, s, st, events("c", 4), 4)
	saveOK(t, s, snapshot(st, 2, "v2"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	calls := []struct {
		name string
		call func() error
	}{
		{"Append", func() error {
			return s.Append(ctx, store.AppendRequest{Stream: st, ExpectedVersion: 4, Events: events("d", 1)})
		}},
		{"Load", func() error { _, err := loadAll(ctx, s, st, 0); return err }},
		{"LoadAudit", func() error { _, err := auditAll(ctx, s, st); return err }},
		{"SaveSnapshot", func() error { return s.SaveSnapshot(ctx, snapshot(st, 3, "v3")) }},
		{"LatestSnapshot", func() error { _, _, err := s.LatestSnapshot(ctx, st, store.Latest); return err }},
		{"TrimSnapshots", func() error { return s.TrimSnapshots(ctx, st, 0) }},
		{"Archive", func() error { _, err := s.Archive(ctx, st); return err }},
	}
	for _, tc := range calls {
		run(t, tc.name, func(t T) {
			if err := tc.call(); !errors.Is(err, context.Canceled) {
				t.Fatalf("%s with a cancelled context: %v, want context.Canceled", tc.name, err)
			}
		})
	}
	checkRecords(t, "stream after cancelled calls", withVersions(events("c", 4), 1), mustLoad(t, s, st, 0))
	want := snapshot(st, 2, "v2")
	checkLatest(t, s, st, store.Latest, &want)
}

func testReopen(t T, h Harness) {
	if h.Reopen == nil {
		t.Skip("backend is not durable")
	}
	s := h.Open(t)
	ctx := context.Background()
	c := customer(t, "reopen")
	a, b := stream(c, "acc"), store.StreamID{Customer: c, AggregateType: "License", AggregateID: "l1"}
	recsA := events("ra", 25)
	build(t, s, a, recsA, 10)
	appendOK(t, s, store.AppendRequest{Stream: b, Events: events("rb", 3)})
	s10, s20, sb := snapshot(a, 10, "a10"), snapshot(a, 20, "a20"), snapshot(b, 3, "b3")
	saveOK(t, s, s10, s20, sb)
	archiveOK(t, s, a, 10)
	allA := withVersions(recsA, 1)

	check := func(t T, s store.Store) {
		t.Helper()
		checkRecords(t, "hot events", allA[10:], mustLoad(t, s, a, 10))
		checkArchived(t, s, a, 0)
		checkAudit(t, s, a, allA)
		checkRecords(t, "other stream", withVersions(events("rb", 3), 1), mustLoad(t, s, b, 0))
		checkLatest(t, s, a, store.Latest, &s20)
		checkLatest(t, s, a, 15, &s10)
		checkLatest(t, s, b, store.Latest, &sb)
		err := s.Append(ctx, store.AppendRequest{Stream: a, ExpectedVersion: 24, Events: events("late", 1)})
		checkConflict(t, err, a, 24, uint64(len(allA)))
		if err := s.Append(ctx, store.AppendRequest{Stream: a, ExpectedVersion: 20, Events: recsA[20:25]}); err != nil {
			t.Fatalf("retry after reopen: %v, want success", err)
		}
	}
	s = h.Reopen(t, s)
	run(t, "First", func(t T) { check(t, s) })
	more := events("ra2", 2)
	appendOK(t, s, store.AppendRequest{Stream: a, ExpectedVersion: 25, Events: more})
	allA = append(allA, withVersions(more, 26)...)
	s = h.Reopen(t, s)
	run(t, "Second", func(t T) { check(t, s) })
}

func testClosed(t T, h Harness) {
	s := h.Open(t)
	ctx := context.Background()
	st := stream(customer(t, "closed"), "acc")
	appendOK(t, s, store.AppendRequest{Stream: st, Events: events("c", 1)})
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	calls := []struct {
		name string
		call func() error
	}{
		{"Append", func() error {
			return s.Append(ctx, store.AppendRequest{Stream: st, ExpectedVersion: 1, Events: events("d", 1)})
		}},
		{"Load", func() error { _, err := loadAll(ctx, s, st, 0); return err }},
		{"LoadAudit", func() error { _, err := auditAll(ctx, s, st); return err }},
		{"SaveSnapshot", func() error { return s.SaveSnapshot(ctx, snapshot(st, 1, "v1")) }},
		{"LatestSnapshot", func() error { _, _, err := s.LatestSnapshot(ctx, st, store.Latest); return err }},
		{"TrimSnapshots", func() error { return s.TrimSnapshots(ctx, st, 0) }},
		{"Archive", func() error { _, err := s.Archive(ctx, st); return err }},
	}
	for _, tc := range calls {
		run(t, tc.name, func(t T) {
			if err := tc.call(); !errors.Is(err, store.ErrClosed) {
				t.Fatalf("%s after Close: %v, want ErrClosed", tc.name, err)
			}
		})
	}
	run(t, "DuringLoad", func(t T) {
		// Close while a consumer is between records: the load ends cleanly,
		// with what it already read or ErrClosed, and never panics.
		s := h.Open(t)
		st := stream(customer(t, "closing"), "acc")
		n := min(h.large(), 2_000)
		build(t, s, st, events("cl", n), 100)
		var (
			read int
			last error
		)
		for r, err := range s.Load(ctx, st, 0) {
			if err != nil {
				last = err
				break
			}
			read++
			if r.Version != uint64(read) {
				t.Fatalf("record %d has version %d", read, r.Version)
			}
			if read == 1 {
				if err := s.Close(); err != nil {
					t.Fatalf("Close: %v", err)
				}
			}
		}
		if last != nil && !errors.Is(last, store.ErrClosed) {
			t.Fatalf("load interrupted by Close ended with %v, want ErrClosed", last)
		}
		if last == nil && read != n {
			t.Fatalf("load interrupted by Close ended without error after %d of %d records", read, n)
		}
	})
	run(t, "CloseAgain", func(t T) {
		if err := s.Close(); err != nil && !errors.Is(err, store.ErrClosed) {
			t.Fatalf("second Close: %v, want nil or ErrClosed", err)
		}
	})
}
