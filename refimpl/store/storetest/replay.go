package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/google/uuid"

	"github.com/esbench/esbench/refimpl/store"
)

// testReplay checks a store.Replayer against Load: the same versions and
// fields after every starting point, across pages; Size equal to the
// loaded record's; Watched on exactly the event with the watched id, for
// UUID ids (which backends may keep compactly) and others; the shared
// payloads unchanged by later appends; and Load's errors.
func testReplay(t T, h Harness) {
	ctx := context.Background()
	s := h.Open(t)
	rp, ok := s.(store.Replayer)
	if !ok {
		t.Skip("the backend has no replay reader")
	}
	st := stream(customer(t, "replay"), "acc")
	n := 600 // more than two pages of any backend so far
	recs := events("rp", n)
	for i := range recs {
		switch i % 4 {
		case 0, 1:
			recs[i].EventID = uuid.NewString()
		case 2: // a UUID not in canonical form stays what it was
			recs[i].EventID = strings.ToUpper(uuid.NewString())
		}
	}
	build(t, s, st, recs, 250)
	want := withVersions(recs, 1)

	replayAll := func(t T, after uint64, watch string) []store.Replayed {
		t.Helper()
		var out []store.Replayed
		for r, err := range rp.Replay(ctx, st, after, watch) {
			if err != nil {
				t.Fatalf("Replay(%s, after %d): %v", st, after, err)
			}
			out = append(out, r)
		}
		return out
	}
	check := func(t T, what string, want []store.Record, got []store.Replayed, watch string) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %d events, want %d", what, len(got), len(want))
		}
		for i, w := range want {
			g := got[i]
			var err error
			switch {
			case g.Version != w.Version:
				err = fmt.Errorf("version %d, want %d", g.Version, w.Version)
			case g.Type != w.Type || g.SchemaVersion != w.SchemaVersion || g.Codec != w.Codec:
				err = fmt.Errorf("type %q/%d/%q, want %q/%d/%q", g.Type, g.SchemaVersion, g.Codec, w.Type, w.SchemaVersion, w.Codec)
			case !bytes.Equal(g.Payload, w.Payload):
				err = fmt.Errorf("payload %q, want %q", g.Payload, w.Payload)
			case g.Size != w.Size():
				err = fmt.Errorf("size %d, want the loaded record's %d", g.Size, w.Size())
			case g.Watched != (watch != "" && w.EventID == watch):
				err = fmt.Errorf("watched %v for event id %q, watching %q", g.Watched, w.EventID, watch)
			}
			if err != nil {
				t.Fatalf("%s: event %d: %v", what, i, err)
			}
		}
	}

	run(t, "SameAsLoad", func(t T) {
		for _, after := range []uint64{0, 1, 255, 256, 257, 511, 512, uint64(n - 1), uint64(n), uint64(n + 5), math.MaxUint64} {
			from := min(after, uint64(n))
			check(t, fmt.Sprintf("after %d", after), want[from:], replayAll(t, after, ""), "")
		}
	})
	run(t, "Watch", func(t T) {
		for _, i := range []int{0, 1, 2, 3, 300, n - 1} {
			id := recs[i].EventID
			check(t, fmt.Sprintf("watching %q (event %d)", id, i), want, replayAll(t, 0, id), id)
		}
		// Ids that are not in the stream: another UUID, the lower-case
		// form of a stored upper-case one, the upper-case form of a stored
		// lower-case one, a prefix.
		for _, id := range []string{uuid.NewString(), strings.ToLower(recs[2].EventID), strings.ToUpper(recs[0].EventID), recs[3].EventID[:2]} {
			check(t, fmt.Sprintf("watching %q", id), want, replayAll(t, 0, id), id)
		}
	})
	run(t, "PayloadsStay", func(t T) {
		got := replayAll(t, 0, "")
		kept := make([][]byte, len(got))
		for i, r := range got {
			kept[i] = r.Payload
		}
		more := events("rp-more", 3000)
		for i := 0; i < len(more); i += 100 {
			appendOK(t, s, store.AppendRequest{Stream: st, ExpectedVersion: uint64(n + i), Events: more[i : i+100]})
		}
		other := stream(st.Customer, "other")
		appendOK(t, s, store.AppendRequest{Stream: other, Events: events("rp-other", 50)})
		for i, p := range kept {
			if !bytes.Equal(p, want[i].Payload) {
				t.Fatalf("payload of version %d changed after later appends: %q, want %q", i+1, p, want[i].Payload)
			}
		}
		check(t, "after later appends", append(want, withVersions(more, uint64(n+1))...), replayAll(t, 0, ""), "")
	})
	run(t, "Errors", func(t T) {
		if err := firstErr(rp.Replay(ctx, store.StreamID{Customer: st.Customer}, 0, "")); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("Replay of an invalid stream: %v, want ErrInvalid", err)
		}
		if got := replayAll(t, 0, ""); len(got) == 0 {
			t.Fatal("Replay yielded nothing")
		}
		if got := replayAllAt(t, rp, stream(st.Customer, "missing"), 0); len(got) != 0 {
			t.Fatalf("Replay of a missing stream yielded %d events", len(got))
		}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := firstErr(rp.Replay(cctx, st, 0, "")); !errors.Is(err, context.Canceled) {
			t.Fatalf("Replay with a cancelled context: %v, want context.Canceled", err)
		}
		seen := 0
		for _, err := range rp.Replay(ctx, st, 0, "") {
			if err != nil {
				t.Fatal(err)
			}
			if seen++; seen == 3 {
				break
			}
		}
		arch := stream(st.Customer, "archived")
		build(t, s, arch, events("rp-arch", 20), 20)
		saveOK(t, s, snapshot(arch, 10, "v10"))
		archiveOK(t, s, arch, 10)
		if err := firstErr(rp.Replay(ctx, arch, 5, "")); !errors.Is(err, store.ErrArchived) {
			t.Fatalf("Replay of archived versions: %v, want ErrArchived", err)
		}
		check(t, "after the watermark", withVersions(events("rp-arch", 20), 1)[10:], replayAllAt(t, rp, arch, 10), "")
	})
}

func firstErr(seq func(func(store.Replayed, error) bool)) error {
	for _, err := range seq {
		if err != nil {
			return err
		}
	}
	return nil
}

func replayAllAt(t T, rp store.Replayer, st store.StreamID, after uint64) []store.Replayed {
	t.Helper()
	var out []store.Replayed
	for r, err := range rp.Replay(context.Background(), st, after, "") {
		if err != nil {
			t.Fatalf("Replay(%s, after %d): %v", st, after, err)
		}
		out = append(out, r)
	}
	return out
}
