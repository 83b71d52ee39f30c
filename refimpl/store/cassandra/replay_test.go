package cassandra

import (
	"bytes"
	"context"
	"encoding/binary"
	"math"
	"strconv"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/esbench/esbench/refimpl/store"
)

// encodeMap serialises m as the native protocol does a map<text, text>
// (an int32 count, then each key and value as an int32 length and its
// bytes), in the order of keys.
func encodeMap(keys []string, m map[string]string) []byte {
	var b []byte
	b = binary.BigEndian.AppendUint32(b, uint32(len(keys)))
	for _, k := range keys {
		for _, s := range []string{k, m[k]} {
			b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
			b = append(b, s...)
		}
	}
	return b
}

// TestMeasuredMap: the metadata reader counts the bytes of keys and
// values as store.Record.Size does, and a map cut anywhere or with a
// length that does not fit is an error, never a panic.
func TestMeasuredMap(t *testing.T) {
	for _, tc := range []struct {
		keys []string
		m    map[string]string
	}{
		{nil, nil},
		{[]string{"node"}, map[string]string{"node": "a"}},
		{[]string{"node", "request"}, map[string]string{"node": "a", "request": "r/123"}},
		{[]string{"", "k"}, map[string]string{"": "", "k": "é"}},
	} {
		data := encodeMap(tc.keys, tc.m)
		var got measuredMap
		if err := got.UnmarshalCQL(nil, data); err != nil {
			t.Fatalf("%v: %v", tc.m, err)
		}
		if want := (store.Record{Metadata: tc.m}).Size() - (store.Record{}).Size(); got.n != want {
			t.Fatalf("%v: %d bytes, want %d", tc.m, got.n, want)
		}
		for cut := 1; cut < len(data); cut++ {
			if err := got.UnmarshalCQL(nil, data[:cut]); err == nil && len(tc.keys) > 0 {
				t.Fatalf("%v cut to %d of %d bytes: no error", tc.m, cut, len(data))
			}
		}
	}
	var got measuredMap
	if err := got.UnmarshalCQL(nil, nil); err != nil || got.n != 0 {
		t.Fatalf("null map: %d bytes, %v", got.n, err)
	}
	for _, bad := range [][]byte{
		{0xff, 0xff, 0xff, 0xff},             // negative count
		{0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff}, // negative key length
		{0, 0, 0, 1, 0x7f, 0xff, 0xff, 0xff}, // key longer than the map
		{0x7f, 0xff, 0xff, 0xff},             // more entries than bytes
	} {
		if err := got.UnmarshalCQL(nil, bad); err == nil {
			t.Fatalf("map % x: no error", bad)
		}
	}
}

// TestInternedText: repeated values are the same string, not a new copy,
// across readers of one store; values past the table's bound are still
// read right.
func TestInternedText(t *testing.T) {
	var tab textTable
	it := internedText{tab: &tab}
	read := func(s string) string {
		t.Helper()
		if err := it.UnmarshalCQL(nil, []byte(s)); err != nil {
			t.Fatal(err)
		}
		if it.s != s {
			t.Fatalf("read %q, want %q", it.s, s)
		}
		return it.s
	}
	a, b := read("DownloadGranted"), read("DownloadReleased")
	if a2 := read("DownloadGranted"); unsafe.StringData(a2) != unsafe.StringData(a) {
		t.Fatal("a repeated value was copied again")
	}
	if b2 := read("DownloadReleased"); unsafe.StringData(b2) != unsafe.StringData(b) {
		t.Fatal("a repeated value was copied again")
	}
	other := internedText{tab: &tab}
	if err := other.UnmarshalCQL(nil, []byte("DownloadGranted")); err != nil || unsafe.StringData(other.s) != unsafe.StringData(a) {
		t.Fatalf("a value another reader of the store saw was copied again (%v)", err)
	}
	for i := range 2 * maxTexts {
		read("type-" + strconv.Itoa(i))
	}
	if n := len(*tab.p.Load()); n != maxTexts {
		t.Fatalf("table holds %d values, want its bound %d", n, maxTexts)
	}
	read("")
	read("DownloadGranted")
}

// TestTextTableConcurrent: readers adding values at once (run under
// -race) all get their own value back, and each value ends up in the
// table once.
func TestTextTableConcurrent(t *testing.T) {
	var tab textTable
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				v := "v" + strconv.Itoa((i+g)%20)
				if got := tab.get([]byte(v)); got != v {
					t.Errorf("got %q, want %q", got, v)
					return
				}
			}
		})
	}
	wg.Wait()
	seen := map[string]int{}
	for _, s := range *tab.p.Load() {
		seen[s]++
	}
	if len(seen) != 20 {
		t.Fatalf("table holds %d distinct values, want 20", len(seen))
	}
	for s, n := range seen {
		if n != 1 {
			t.Fatalf("%q is in the table %d times", s, n)
		}
	}
}

// TestCQLInt: int and bigint columns, null as 0 (as the driver reads
// it), and any other width refused.
func TestCQLInt(t *testing.T) {
	var c cqlInt
	if err := c.UnmarshalCQL(nil, binary.BigEndian.AppendUint32(nil, uint32(0xfffffffe))); err != nil || c.v != -2 {
		t.Fatalf("int -2: %d, %v", c.v, err)
	}
	if err := c.UnmarshalCQL(nil, binary.BigEndian.AppendUint64(nil, 1<<40)); err != nil || c.v != 1<<40 {
		t.Fatalf("bigint 2^40: %d, %v", c.v, err)
	}
	c.v = 7
	if err := c.UnmarshalCQL(nil, nil); err != nil || c.v != 0 {
		t.Fatalf("null: %d, %v", c.v, err)
	}
	for _, n := range []int{2, 5} {
		if err := c.UnmarshalCQL(nil, make([]byte, n)); err == nil {
			t.Fatalf("%d bytes: no error", n)
		}
	}
}

// TestCQLTimestamp: as the driver reads a timestamp into a time.Time
// (milliseconds since the epoch, UTC; null is the zero time), and any
// other width refused.
func TestCQLTimestamp(t *testing.T) {
	var c cqlTimestamp
	for _, ms := range []int64{0, 1, -1, -1001, 1764532800123, math.MaxInt64 / 1_000_000} {
		if err := c.UnmarshalCQL(nil, binary.BigEndian.AppendUint64(nil, uint64(ms))); err != nil {
			t.Fatalf("%d ms: %v", ms, err)
		}
		if want := time.UnixMilli(ms).UTC(); c.t != want || c.t.Location() != time.UTC {
			t.Fatalf("%d ms: %v, want %v", ms, c.t, want)
		}
	}
	c.t = time.Now()
	if err := c.UnmarshalCQL(nil, nil); err != nil || !c.t.IsZero() {
		t.Fatalf("null: %v, %v", c.t, err)
	}
	for _, n := range []int{1, 4, 9} {
		if err := c.UnmarshalCQL(nil, make([]byte, n)); err == nil {
			t.Fatalf("%d bytes: no error", n)
		}
	}
}

// TestReplayOnNode covers what the conformance area Replay cannot see from
// outside: payloads shared with response frames stay unchanged under many
// later reads, and a replay allocates nothing per row.
func TestReplayOnNode(t *testing.T) {
	cfg := newKeyspace(t, nodeConfig(t))
	s := openStore(t, cfg)
	ctx := context.Background()
	cust := uniqueCustomer(t, "replay")
	st := store.StreamID{Customer: cust, AggregateType: "account", AggregateID: cust}
	const n = 250 // one page (nodeConfig's page size is 300)
	recs := benchRecords(1, n)
	for i := 0; i < n; i += 50 {
		if err := s.Append(ctx, store.AppendRequest{Stream: st, ExpectedVersion: uint64(i), Events: recs[i : i+50]}); err != nil {
			t.Fatal(err)
		}
	}
	replay := func(st store.StreamID, after uint64) []store.Replayed {
		var out []store.Replayed
		for r, err := range s.Replay(ctx, st, after, "") {
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, r)
		}
		return out
	}

	t.Run("PayloadsOutliveFrames", func(t *testing.T) {
		kept := replay(st, 0)
		if len(kept) != n {
			t.Fatalf("%d events, want %d", len(kept), n)
		}
		// Many later responses of every kind on the same connections: a
		// driver that reused a frame buffer would overwrite the kept
		// payloads with one of these.
		other := store.StreamID{Customer: cust, AggregateType: "account", AggregateID: cust + "-other"}
		more := benchRecords(1, 50)
		for i := range more {
			more[i].Payload = bytes.Repeat([]byte{'x'}, len(more[i].Payload))
		}
		if err := s.Append(ctx, store.AppendRequest{Stream: other, Events: more}); err != nil {
			t.Fatal(err)
		}
		for range 20 {
			replay(other, 0)
			for _, err := range s.Load(ctx, other, 0) {
				if err != nil {
					t.Fatal(err)
				}
			}
			replay(st, 100)
		}
		for i, r := range kept {
			if !bytes.Equal(r.Payload, recs[i].Payload) {
				t.Fatalf("payload of version %d changed after later reads: %q, want %q", r.Version, r.Payload, recs[i].Payload)
			}
			if cap(r.Payload) != len(r.Payload) {
				t.Fatalf("payload of version %d has capacity %d past its length %d: an append would write into the frame", r.Version, cap(r.Payload), len(r.Payload))
			}
		}
	})

	t.Run("NoAllocationPerRow", func(t *testing.T) {
		// Two replays in one page, of 10 and of 250 events: the driver's
		// per-request allocations are the same, so the difference is what
		// the rows cost. Load allocates several times per row.
		allocs := func(after uint64) float64 {
			return testing.AllocsPerRun(20, func() {
				for _, err := range s.Replay(ctx, st, after, "") {
					if err != nil {
						panic(err)
					}
				}
			})
		}
		few, many := allocs(n-10), allocs(0)
		loadMany := testing.AllocsPerRun(5, func() {
			for _, err := range s.Load(ctx, st, 0) {
				if err != nil {
					panic(err)
				}
			}
		})
		t.Logf("allocations per replay: %.0f for 10 events, %.0f for %d; Load of %d: %.0f", few, many, n, n, loadMany)
		// A few per replay may differ (a frame of another size class, the
		// type table's first strings); none per row.
		if perRow := (many - few) / (n - 10); perRow > 0.05 {
			t.Fatalf("%.2f allocations per row (%.0f for 10 events, %.0f for %d)", perRow, few, many, n)
		}
		if loadMany < many+n {
			t.Fatalf("Load of %d events allocated %.0f times, Replay %.0f: the comparison no longer shows a per-row cost", n, loadMany, many)
		}
	})
}
