package cassandra

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"
	"unsafe"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/esbench/esbench/refimpl/store"
)

// TestSnapshotOnNode covers what the conformance area Snapshots cannot see
// from outside LatestSnapshot: a payload shared with its response frame
// stays unchanged under many later reads and cannot be appended to in
// place, every column reads as the driver's own reading does, type and
// codec strings are not copied per read, and a read makes fewer
// allocations than the driver's reading into plain variables.
func TestSnapshotOnNode(t *testing.T) {
	cfg := newKeyspace(t, nodeConfig(t))
	s := openStore(t, cfg)
	ctx := context.Background()
	cust := uniqueCustomer(t, "snapshot")
	st := store.StreamID{Customer: cust, AggregateType: "account", AggregateID: cust}
	other := store.StreamID{Customer: cust, AggregateType: "account", AggregateID: cust + "-other"}
	pattern := func(n int, seed byte) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = seed + byte(i%191)
		}
		return b
	}
	created := time.Date(2026, 11, 30, 20, 30, 1, 234_000_000, time.UTC)
	saved := store.Snapshot{Stream: st, Version: 100, Type: "account", SchemaVersion: 3, Codec: "binary",
		Payload: pattern(4000, 1), CreatedAt: created}
	for _, sn := range []store.Snapshot{
		saved,
		{Stream: st, Version: 50, Type: "account", SchemaVersion: 2, Codec: "json", Payload: pattern(10, 7), CreatedAt: created.Add(-time.Hour)},
		{Stream: other, Version: 7, Type: "account", SchemaVersion: 3, Codec: "binary", Payload: bytes.Repeat([]byte{'x'}, 4000), CreatedAt: created},
	} {
		if err := s.SaveSnapshot(ctx, sn); err != nil {
			t.Fatal(err)
		}
	}
	latest := func(st store.StreamID, at uint64) store.Snapshot {
		t.Helper()
		sn, ok, err := s.LatestSnapshot(ctx, st, at)
		if err != nil || !ok {
			t.Fatalf("LatestSnapshot(%s, %d): ok %v, %v", st, at, ok, err)
		}
		return sn
	}

	t.Run("ColumnsAsTheDriverReadsThem", func(t *testing.T) {
		var (
			v, sv       int
			typ, codec  string
			payload     []byte
			createdBack time.Time
		)
		if err := s.sess.Query(s.q.latestSnap, st.Customer, st.AggregateType, st.AggregateID, int64(store.Latest>>1)).
			Consistency(s.readCL).ScanContext(ctx, &v, &typ, &sv, &codec, &payload, &createdBack); err != nil {
			t.Fatal(err)
		}
		want := store.Snapshot{Stream: st, Version: uint64(v), Type: typ, SchemaVersion: uint16(sv), Codec: codec, Payload: payload, CreatedAt: createdBack}
		got := latest(st, store.Latest)
		if got.Version != want.Version || got.Type != want.Type || got.SchemaVersion != want.SchemaVersion || got.Codec != want.Codec ||
			!bytes.Equal(got.Payload, want.Payload) || got.CreatedAt != want.CreatedAt || got.Stream != want.Stream {
			t.Fatalf("LatestSnapshot read %+v, the driver %+v", got, want)
		}
		if got.CreatedAt != created || got.CreatedAt.Location() != time.UTC {
			t.Fatalf("created at %v (%v), saved %v", got.CreatedAt, got.CreatedAt.Location(), created)
		}
		if older := latest(st, 99); older.Version != 50 || older.Codec != "json" || older.SchemaVersion != 2 || !bytes.Equal(older.Payload, pattern(10, 7)) {
			t.Fatalf("snapshot at or below 99: %+v", older)
		}
	})

	t.Run("PayloadsOutliveFrames", func(t *testing.T) {
		kept := latest(st, store.Latest)
		// Many later responses on the same connections, with payloads of
		// the same size: a driver that reused a frame buffer would
		// overwrite the kept payload with one of these.
		for range 50 {
			if sn := latest(other, store.Latest); sn.Payload[0] != 'x' {
				t.Fatalf("the other stream's payload reads %q", sn.Payload[:8])
			}
			latest(st, 99)
			for _, err := range s.Replay(ctx, other, 0, "") {
				if err != nil {
					t.Fatal(err)
				}
			}
		}
		if !bytes.Equal(kept.Payload, saved.Payload) {
			t.Fatalf("payload changed after later reads: % x..., want % x...", kept.Payload[:16], saved.Payload[:16])
		}
		if cap(kept.Payload) != len(kept.Payload) {
			t.Fatalf("payload has capacity %d past its length %d: an append would write into the frame", cap(kept.Payload), len(kept.Payload))
		}
	})

	t.Run("TextsNotCopied", func(t *testing.T) {
		a, b := latest(st, store.Latest), latest(other, store.Latest)
		if unsafe.StringData(a.Type) != unsafe.StringData(b.Type) || unsafe.StringData(a.Codec) != unsafe.StringData(b.Codec) {
			t.Fatal("type or codec copied again on a later read")
		}
	})

	t.Run("FewerAllocationsThanTheDriver", func(t *testing.T) {
		ours := testing.AllocsPerRun(200, func() {
			if _, ok, err := s.LatestSnapshot(ctx, st, store.Latest); err != nil || !ok {
				panic(err)
			}
		})
		driver := testing.AllocsPerRun(200, func() {
			var (
				v, sv      int64
				typ, codec string
				payload    []byte
				at         time.Time
			)
			err := s.sess.Query(s.q.latestSnap, st.Customer, st.AggregateType, st.AggregateID, int64(store.Latest>>1)).
				Consistency(s.readCL).Idempotent(true).ScanContext(ctx, &v, &typ, &sv, &codec, &payload, &at)
			if err != nil && !errors.Is(err, gocql.ErrNotFound) {
				panic(err)
			}
		})
		t.Logf("allocations per snapshot read: %.0f, the driver's reading into plain variables %.0f", ours, driver)
		// The payload copy and the two strings are gone at least. Counts
		// are process-wide averages, so the driver's background
		// goroutines add a little to both; 200 reads each keep that
		// small against the margin.
		if ours > driver-3 {
			t.Fatalf("LatestSnapshot allocates %.0f times, the driver's plain reading %.0f: the row reader saves nothing", ours, driver)
		}
	})
}
