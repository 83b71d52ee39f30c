package memory

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/esbench/esbench/refimpl/store"
)

// TestUvMatchesUvarint: the replay's inlined varint reader agrees with
// encoding/binary on every length, and reports a truncated or missing one.
func TestUvMatchesUvarint(t *testing.T) {
	for _, v := range []uint64{0, 1, 0x7f, 0x80, 300, 1 << 21, 1<<35 + 7, 1 << 56, math.MaxUint64} {
		b := binary.AppendUvarint([]byte{0xff, 0x00}, v)
		b = append(b, 0x42)
		got, next := uv(b, 2)
		if got != v || next != len(b)-1 {
			t.Errorf("uv(%d) = %d, %d; want %d, %d", v, got, next, v, len(b)-1)
		}
		if _, next := uv(b[:len(b)-2], 2); len(b)-2 > 2 && b[len(b)-2] >= 0x80 && next != -1 {
			t.Errorf("uv of truncated %d: index %d, want -1", v, next)
		}
	}
	for _, i := range []int{-1, 3, 4} {
		if _, next := uv([]byte{1, 2, 3}, i); next != -1 {
			t.Errorf("uv at %d of 3 bytes: index %d, want -1", i, next)
		}
	}
	if _, next := uv([]byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, 0); next != -1 {
		t.Errorf("uv of an eleven-byte varint: index %d, want -1", next)
	}
}

// TestReplayRecordCorrupt: a record cut anywhere, or garbage, is an error
// or a read within its bytes, never a panic; the whole record reads as
// appended.
func TestReplayRecordCorrupt(t *testing.T) {
	s := New()
	recs := []store.Record{
		{EventID: "0b5e4c1e-3d6f-5a43-9c1e-2f8a4b6c8d0e", Type: "DownloadGranted", SchemaVersion: 300, Codec: "binary",
			Payload: make([]byte, 200), Metadata: map[string]string{"request_id": "r-1", "node": "a"}, RecordedAt: time.Unix(1_700_000_000, 123)},
		{EventID: "not-a-uuid", Type: "DownloadReleased", Codec: "json", Payload: []byte("{}")},
	}
	table := func() []string { return s.names.table() }
	for _, r := range recs {
		b := s.appendRecord(nil, &r)
		w := watchFor(r.EventID)
		var got store.Replayed
		err := replayRecord(b, table(), &w, &got)
		if err != nil || got.Type != r.Type || got.SchemaVersion != r.SchemaVersion || got.Codec != r.Codec ||
			string(got.Payload) != string(r.Payload) || got.Size != r.Size() || !got.Watched {
			t.Fatalf("replayRecord of %q = %+v, %v", r.EventID, got, err)
		}
		for cut := range len(b) {
			if err := replayRecord(b[:cut], table(), &w, &got); err == nil {
				t.Fatalf("record %q cut at %d of %d read as %+v", r.EventID, cut, len(b), got)
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		b := make([]byte, rng.IntN(64))
		for i := range b {
			b[i] = byte(rng.UintN(256))
		}
		w := watchFor("x")
		var got store.Replayed
		if err := replayRecord(b, table(), &w, &got); err == nil && cap(got.Payload) > len(b) {
			t.Fatalf("garbage %x read a payload beyond its bytes", b)
		}
	}
}
