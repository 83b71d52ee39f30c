package storetest

import (
	"context"
	"slices"

	"github.com/esbench/esbench/refimpl/store"
)

// testBulk checks a store.BulkLoader: what a committed batch holds loads
// like appended data (records, snapshots, the stream's head for later
// appends), its mark is listed, and both survive a reopen.
func testBulk(t T, h Harness) {
	ctx := context.Background()
	s := h.Open(t)
	bl, ok := s.(store.BulkLoader)
	if !ok {
		t.Skip("the backend has no bulk loader")
	}
	c1, c2 := customer(t, "bulk1"), customer(t, "bulk2")
	acc1, lic1, acc2 := stream(c1, c1), store.StreamID{Customer: c1, AggregateType: "DownloadLicense", AggregateID: "l1"}, stream(c2, c2)
	recs := map[store.StreamID][]store.Record{acc1: events("b1", 7), lic1: events("l1", 2), acc2: events("b2", 3)}
	snap := func(id store.StreamID, v uint64) store.Snapshot {
		return store.Snapshot{Stream: id, Version: v, Type: "AccountSnapshot", SchemaVersion: 1, Codec: "json",
			Payload: []byte(id.AggregateID + "@" + string(rune('0'+v))), CreatedAt: baseTime}
	}
	b, err := bl.NewBulkBatch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Add(ctx, []store.AppendRequest{{Stream: acc1, Events: recs[acc1]}, {Stream: lic1, Events: recs[lic1]}},
		[]store.Snapshot{snap(acc1, 3), snap(acc1, 6)}); err != nil {
		t.Fatalf("Add: %v", err)
	}
	if err := b.Add(ctx, []store.AppendRequest{{Stream: acc2, Events: recs[acc2]}}, nil); err != nil {
		t.Fatalf("Add: %v", err)
	}
	mark := store.BulkMark{Part: 3, From: 1000, To: 2000}
	if err := b.Commit(ctx, mark); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	b.Abort() // after Commit: harmless

	check := func(s store.Store) {
		t.Helper()
		for id, want := range recs {
			checkRecords(t, "bulk-loaded "+id.String(), withVersions(want, 1), mustLoad(t, s, id, 0))
		}
		for _, c := range []struct{ at, want uint64 }{{store.Latest, 6}, {5, 3}} {
			sn, ok, err := s.LatestSnapshot(ctx, acc1, c.at)
			if err != nil || !ok || sn.Version != c.want || string(sn.Payload) != string(snap(acc1, c.want).Payload) {
				t.Fatalf("LatestSnapshot(%s, %d) = version %d %q, %v, %v; want version %d", acc1, c.at, sn.Version, sn.Payload, ok, err, c.want)
			}
		}
		marks, err := s.(store.BulkLoader).BulkMarks(ctx)
		if err != nil {
			t.Fatalf("BulkMarks: %v", err)
		}
		if !slices.Contains(marks, mark) {
			t.Fatalf("BulkMarks = %v, want it to hold %v", marks, mark)
		}
	}
	check(s)
	if h.Reopen != nil {
		s = h.Reopen(t, s)
		check(s)
	}
	// Appends continue after the loaded head, and the head is enforced.
	more := events("b1-more", 1)
	if err := s.Append(ctx, store.AppendRequest{Stream: acc1, ExpectedVersion: 0, Events: more}); err == nil {
		t.Fatal("append at version 0 onto a bulk-loaded stream of 7 events succeeded")
	}
	appendOK(t, s, store.AppendRequest{Stream: acc1, ExpectedVersion: 7, Events: more})
	if got := mustLoad(t, s, acc1, 7); len(got) != 1 || got[0].Version != 8 {
		t.Fatalf("after the bulk load, the appended event loads as %v, want version 8", versionSummary(got))
	}

	// A request that does not start a stream is refused.
	b2, err := s.(store.BulkLoader).NewBulkBatch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Abort()
	c3 := customer(t, "bulk3")
	if err := b2.Add(ctx, []store.AppendRequest{{Stream: stream(c3, c3), ExpectedVersion: 4, Events: events("b3", 1)}}, nil); err == nil {
		t.Fatal("Add of a request at expected version 4 succeeded")
	}
}
