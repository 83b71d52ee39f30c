package pebble

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/esbench/esbench/refimpl/store"
)

func sampleRecords() []store.Record {
	return []store.Record{
		{EventID: "e", Type: "T"},
		{EventID: "req-1/0", Type: "DownloadGranted", SchemaVersion: 3, Codec: "json", Payload: []byte(`{"a":1}`),
			Metadata: map[string]string{"k": "v", "": "empty key", "x\x00": "\xff"}, RecordedAt: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)},
		{EventID: "old", Type: "T", RecordedAt: time.Date(1601, 1, 1, 0, 0, 0, 999_999_999, time.UTC)},
	}
}

func TestRecordRoundTrip(t *testing.T) {
	for _, r := range sampleRecords() {
		got, err := decodeRecord(encodeRecord(r), 7, nil)
		if err != nil {
			t.Fatalf("decode %q: %v", r.EventID, err)
		}
		r.Version = 7
		if got.EventID != r.EventID || got.Type != r.Type || got.SchemaVersion != r.SchemaVersion || got.Codec != r.Codec ||
			!bytes.Equal(got.Payload, r.Payload) || !got.RecordedAt.Equal(r.RecordedAt) || got.Version != 7 || len(got.Metadata) != len(r.Metadata) {
			t.Fatalf("round trip of %+v gave %+v", r, got)
		}
		for k, v := range r.Metadata {
			if got.Metadata[k] != v {
				t.Fatalf("metadata %q = %q, want %q", k, got.Metadata[k], v)
			}
		}
	}
}

// TestDecodeTruncated: every strict prefix of a valid value is rejected
// with errCorrupt, never a panic or a silently short record.
func TestDecodeTruncated(t *testing.T) {
	for _, r := range sampleRecords() {
		b := encodeRecord(r)
		for n := range len(b) {
			if _, err := decodeRecord(b[:n], 1, nil); !errors.Is(err, errCorrupt) {
				t.Fatalf("record %q cut to %d of %d bytes: %v, want errCorrupt", r.EventID, n, len(b), err)
			}
		}
		if _, err := decodeRecord(append(b, 0), 1, nil); !errors.Is(err, errCorrupt) {
			t.Fatalf("record %q with a trailing byte: %v, want errCorrupt", r.EventID, err)
		}
	}
	sn := encodeSnapshot(store.Snapshot{Type: "T", Codec: "json", Payload: []byte("state"), CreatedAt: time.Unix(5, 5)})
	for n := range len(sn) {
		if _, err := decodeSnapshot(sn[:n], store.StreamID{}, 1); !errors.Is(err, errCorrupt) {
			t.Fatalf("snapshot cut to %d bytes: %v, want errCorrupt", n, err)
		}
	}
	if _, err := decodeMeta([]byte{valueFormat, 1}); !errors.Is(err, errCorrupt) {
		t.Fatalf("short meta: %v, want errCorrupt", err)
	}
}

func FuzzDecodeRecord(f *testing.F) {
	for _, r := range sampleRecords() {
		f.Add(encodeRecord(r))
	}
	f.Add(encodeSnapshot(store.Snapshot{Type: "T", Payload: []byte("x")}))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeRecord(b, 1, &interner{})
		if err != nil {
			return
		}
		again, err := decodeRecord(encodeRecord(r), 1, nil)
		if err != nil || again.EventID != r.EventID || !bytes.Equal(again.Payload, r.Payload) || len(again.Metadata) != len(r.Metadata) {
			t.Fatalf("re-encoding %+v gave %+v, %v", r, again, err)
		}
		_, _ = decodeSnapshot(b, store.StreamID{}, 1)
		_, _ = decodeEventID(b)
		_, _ = decodeMeta(b)
	})
}

// TestKeysPrefixFree: a stream's keys never start with another stream's
// prefix, for ids built to collide under naive concatenation.
func TestKeysPrefixFree(t *testing.T) {
	ids := []store.StreamID{
		{Customer: "a", AggregateType: "b", AggregateID: "c"},
		{Customer: "a", AggregateType: "b", AggregateID: "cd"},
		{Customer: "a", AggregateType: "bc", AggregateID: "d"},
		{Customer: "ab", AggregateType: "c", AggregateID: "d"},
		{Customer: "a\x01", AggregateType: "b", AggregateID: "c"},
		{Customer: "a", AggregateType: "b\x01c", AggregateID: "c"},
		{Customer: string(bytes.Repeat([]byte("x"), 200)), AggregateType: "b", AggregateID: "c"},
	}
	for _, a := range ids {
		for _, b := range ids {
			if a == b {
				continue
			}
			pa := streamPrefix(kindEvent, a)
			for _, k := range [][]byte{eventKey(streamPrefix(kindEvent, b), 1), streamPrefix(kindEvent, b)} {
				if bytes.HasPrefix(k, pa) {
					t.Fatalf("key %q of %q starts with the prefix of %q", k, b, a)
				}
			}
			if end := prefixEnd(pa); bytes.Compare(eventKey(pa, ^uint64(0)), end) >= 0 {
				t.Fatalf("prefixEnd(%q) does not bound its keys", a)
			}
		}
	}
}

// TestBulkAddSortsWithoutSortingEvents checks that a bulk Add leaves a
// customer's event and meta keys in key order however its streams come
// (license streams named so that first-written is not first in key order,
// one id a prefix of another), so that Commit never sorts a range's events.
func TestBulkAddSortsWithoutSortingEvents(t *testing.T) {
	st, err := Open(Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	bb, err := st.NewBulkBatch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer bb.Abort()
	recs := func(n int) []store.Record {
		out := make([]store.Record, n)
		for i := range out {
			out[i] = store.Record{EventID: fmt.Sprintf("e%d", i), Type: "T", Codec: "json", Payload: []byte("{}")}
		}
		return out
	}
	for _, c := range []string{"c1", "c2"} {
		var reqs []store.AppendRequest
		for _, s := range []store.StreamID{
			{Customer: c, AggregateType: "License", AggregateID: "zz"},
			{Customer: c, AggregateType: "DownloadAccount", AggregateID: c},
			{Customer: c, AggregateType: "License", AggregateID: "a"},
			{Customer: c, AggregateType: "License", AggregateID: "ab"},
			{Customer: c, AggregateType: "License", AggregateID: "b"},
		} {
			reqs = append(reqs, store.AppendRequest{Stream: s, Events: recs(1 + len(reqs)*3)})
		}
		if err := bb.Add(ctx, reqs, nil); err != nil {
			t.Fatal(err)
		}
	}
	b := bb.(*bulkBatch)
	if len(b.events) != 2*(1+4+7+10+13) || len(b.metas) != 10 {
		t.Fatalf("%d event keys and %d metas", len(b.events), len(b.metas))
	}
	for _, kvs := range [][]kv{b.events, b.metas} {
		if !slices.IsSortedFunc(kvs, compareKV) {
			t.Fatal("a bulk batch's keys are not in key order after Add")
		}
	}
}
