package cassandra

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/esbench/esbench/refimpl/store"
	"github.com/esbench/esbench/refimpl/store/storetest"
)

// The benchmarks run against the node named by ESBENCH_CASSANDRA, each
// store operation beside a plain gocql loop that sends the same statements
// over the same session, so the store's own overhead shows as a ratio:
//
//	ESBENCH_CASSANDRA=127.0.0.1:9042 go test -run '^$' -bench . -count 5 ./refimpl/store/cassandra/

var benchPayload = []byte(`{"RequestID":"req-000000000001","LicenseID":"lic-000000000001","DeviceID":"dev-1","TitleID":"title-004211","StudioID":"studio-07","Restricted":true,"Year":2026,"ExpiresAt":"2026-03-21T15:09:26Z","At":"2026-03-14T15:09:26Z"}`)

var benchTime = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

func benchRecords(from, n int) []store.Record {
	out := make([]store.Record, n)
	for i := range out {
		out[i] = store.Record{
			EventID:       "e-" + strconv.Itoa(from+i),
			Type:          "DownloadGranted",
			SchemaVersion: 1,
			Codec:         "json",
			Payload:       benchPayload,
			Metadata:      map[string]string{"request": "req-000000000001"},
			RecordedAt:    benchTime,
		}
	}
	return out
}

// uniqueCustomer names a partition no earlier run (-count repeats a
// sub-benchmark on the same keyspace) has written: appending to an old one
// would measure idempotent retries instead of writes.
func uniqueCustomer(tb testing.TB, label string) string {
	tb.Helper()
	var r [6]byte
	if _, err := rand.Read(r[:]); err != nil {
		tb.Fatal(err)
	}
	return "bench-" + label + "-" + hex.EncodeToString(r[:])
}

// benchStore opens a store of mode on a keyspace of the benchmark's own.
func benchStore(b *testing.B, mode Mode) *Store {
	b.Helper()
	cfg := newKeyspace(b, nodeConfig(b))
	cfg.Mode = mode
	cfg.PageSize = DefaultPageSize
	cfg.Retries = 0
	return openStore(b, cfg)
}

// rawAppend is the plain gocql loop's append: the statements Store.Append
// sends, without validation, decoding of failures or error mapping.
func rawAppend(ctx context.Context, s *Store, st store.StreamID, expected int64, evs []store.Record) error {
	if s.cfg.Mode == ModeUnconditional {
		bt := s.sess.Batch(gocql.UnloggedBatch).Consistency(s.writeCL)
		for i, e := range evs {
			bt.Query(s.q.insertPlain, st.Customer, st.AggregateType, st.AggregateID, expected+int64(i)+1, e.EventID, e.Type, int(e.SchemaVersion), e.Codec, e.Payload, e.Metadata, e.RecordedAt)
		}
		return bt.ExecContext(ctx)
	}
	bt := s.sess.Batch(gocql.LoggedBatch).Consistency(s.writeCL).SerialConsistency(s.serialCL)
	last := expected + int64(len(evs))
	if expected == 0 {
		bt.Query(s.q.insertHead, st.Customer, st.AggregateType, st.AggregateID, last)
	} else {
		bt.Query(s.q.updateHead, last, st.Customer, st.AggregateType, st.AggregateID, expected)
	}
	for i, e := range evs {
		bt.Query(s.q.insertEvent, st.Customer, st.AggregateType, st.AggregateID, expected+int64(i)+1, e.EventID, e.Type, int(e.SchemaVersion), e.Codec, e.Payload, e.Metadata, e.RecordedAt)
	}
	applied, it, err := bt.MapExecCASContext(ctx, map[string]any{})
	if it != nil {
		_ = it.Close()
	}
	if err != nil {
		return err
	}
	if !applied {
		return fmt.Errorf("raw append at %d not applied", expected)
	}
	return nil
}

// BenchmarkAppend appends batches of 1 and 10 events to one stream, in both
// concurrency modes, through the store and through the plain loop.
func BenchmarkAppend(b *testing.B) {
	ctx := context.Background()
	for _, mode := range []Mode{ModeConditional, ModeUnconditional} {
		b.Run("mode="+string(mode), func(b *testing.B) {
			s := benchStore(b, mode)
			for _, batch := range []int{1, 10} {
				for _, impl := range []string{"store", "gocql"} {
					b.Run(fmt.Sprintf("batch=%d/impl=%s", batch, impl), func(b *testing.B) {
						st := store.StreamID{Customer: uniqueCustomer(b, "append-"+impl), AggregateType: "DownloadAccount", AggregateID: "a"}
						var version int64
						b.ReportAllocs()
						for b.Loop() {
							evs := benchRecords(int(version), batch)
							var err error
							if impl == "store" {
								err = s.Append(ctx, store.AppendRequest{Stream: st, ExpectedVersion: uint64(version), Events: evs})
							} else {
								err = rawAppend(ctx, s, st, version, evs)
							}
							if err != nil {
								b.Fatalf("append at %d: %v", version, err)
							}
							version += int64(batch)
						}
						b.ReportMetric(float64(version)/b.Elapsed().Seconds(), "events/s")
					})
				}
			}
		})
	}
}

// snapshotLag is how far behind the head the latest snapshot of the
// with-snapshot load cases sits: a load reads one snapshot and a tail of
// this many events, whatever the history length.
const snapshotLag = 50

// BenchmarkLoad replays streams of 100, 1,000 and 10,000 events, without a
// snapshot (every event read) and with one (latest snapshot, then the tail),
// through the store and through the plain loop over the same rows.
func BenchmarkLoad(b *testing.B) {
	ctx := context.Background()
	s := benchStore(b, ModeConditional)
	for _, n := range []int{100, 1_000, 10_000} {
		st := store.StreamID{Customer: "bench-load-" + strconv.Itoa(n), AggregateType: "DownloadAccount", AggregateID: "a"}
		for i := 0; i < n; i += 100 {
			if err := s.Append(ctx, store.AppendRequest{Stream: st, ExpectedVersion: uint64(i), Events: benchRecords(i, min(100, n-i))}); err != nil {
				b.Fatalf("preload: %v", err)
			}
		}
		snapAt := uint64(n - snapshotLag)
		snapPayload := make([]byte, 2048) // an account with some history
		if err := s.SaveSnapshot(ctx, store.Snapshot{Stream: st, Version: snapAt, Type: "DownloadAccount", SchemaVersion: 1, Codec: "json", Payload: snapPayload, CreatedAt: benchTime}); err != nil {
			b.Fatalf("snapshot: %v", err)
		}
		for _, snap := range []bool{false, true} {
			want := n
			if snap {
				want = snapshotLag
			}
			for _, impl := range []string{"store", "gocql"} {
				b.Run(fmt.Sprintf("history=%d/snapshot=%v/impl=%s", n, snap, impl), func(b *testing.B) {
					b.ReportAllocs()
					loads := 0
					for b.Loop() {
						var got int
						var err error
						if impl == "store" {
							got, err = storeLoad(ctx, s, st, snap)
						} else {
							got, err = rawLoad(ctx, s, st, snap)
						}
						if err != nil {
							b.Fatalf("load: %v", err)
						}
						if got != want {
							b.Fatalf("load read %d events, want %d", got, want)
						}
						loads++
					}
					b.ReportMetric(float64(loads*want)/b.Elapsed().Seconds(), "events/s")
				})
			}
		}
	}
}

func storeLoad(ctx context.Context, s *Store, st store.StreamID, snap bool) (int, error) {
	var after uint64
	if snap {
		sn, ok, err := s.LatestSnapshot(ctx, st, store.Latest)
		if err != nil {
			return 0, err
		}
		if ok {
			after = sn.Version
		}
	}
	n := 0
	for _, err := range s.Load(ctx, st, after) {
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// rawLoad sends the statements of storeLoad and scans the same columns.
func rawLoad(ctx context.Context, s *Store, st store.StreamID, snap bool) (int, error) {
	var after int64
	if snap {
		var (
			v        int64
			typ, cdc string
			sv       int
			payload  []byte
			created  time.Time
		)
		err := s.sess.Query(s.q.latestSnap, st.Customer, st.AggregateType, st.AggregateID, int64(1<<62)).
			Consistency(s.readCL).ScanContext(ctx, &v, &typ, &sv, &cdc, &payload, &created)
		if err != nil {
			return 0, err
		}
		after = v
	}
	it := s.sess.Query(s.q.load, st.Customer, st.AggregateType, st.AggregateID, max(after, 1)).
		Consistency(s.readCL).PageSize(s.cfg.PageSize).IterContext(ctx)
	var (
		v             int64
		eid, typ, cdc string
		sv            int
		payload       []byte
		md            map[string]string
		at            time.Time
	)
	n := 0
	for it.Scan(&v, &eid, &typ, &sv, &cdc, &payload, &md, &at) {
		if v > after {
			n++
		}
	}
	return n, it.Close()
}

// BenchmarkConformance runs the shared store benchmarks of storetest, the
// same ones memory and pebble run, for comparison across backends.
func BenchmarkConformance(b *testing.B) {
	cfg := newKeyspace(b, nodeConfig(b))
	open := func(tb storetest.T) store.Store { return openStore(tb, cfg) }
	b.Run("Append", func(b *testing.B) { storetest.BenchAppend(b, open) })
	b.Run("Load", func(b *testing.B) { storetest.BenchLoad(b, open) })
	b.Run("LatestSnapshot", func(b *testing.B) { storetest.BenchLatestSnapshot(b, open) })
}

// BenchmarkOverhead alternates a store call and the plain loop's call in
// every iteration, so both see the same background load (the machine is
// shared), and reports each side's mean time and their ratio; ns/op is the
// pair's time.
func BenchmarkOverhead(b *testing.B) {
	ctx := context.Background()
	report := func(b *testing.B, tStore, tRaw time.Duration, n int) {
		b.ReportMetric(float64(tStore.Microseconds())/float64(n), "store-us/op")
		b.ReportMetric(float64(tRaw.Microseconds())/float64(n), "gocql-us/op")
		b.ReportMetric(float64(tStore)/float64(tRaw), "store/gocql")
	}
	for _, mode := range []Mode{ModeConditional, ModeUnconditional} {
		b.Run("append/mode="+string(mode), func(b *testing.B) {
			s := benchStore(b, mode)
			for _, batch := range []int{1, 10} {
				b.Run("batch="+strconv.Itoa(batch), func(b *testing.B) {
					a := store.StreamID{Customer: uniqueCustomer(b, "ovh-store"), AggregateType: "DownloadAccount", AggregateID: "a"}
					r := store.StreamID{Customer: uniqueCustomer(b, "ovh-gocql"), AggregateType: "DownloadAccount", AggregateID: "a"}
					var version int64
					var tStore, tRaw time.Duration
					n := 0
					for b.Loop() {
						evs := benchRecords(int(version), batch)
						t0 := time.Now()
						if err := s.Append(ctx, store.AppendRequest{Stream: a, ExpectedVersion: uint64(version), Events: evs}); err != nil {
							b.Fatalf("store append at %d: %v", version, err)
						}
						t1 := time.Now()
						if err := rawAppend(ctx, s, r, version, evs); err != nil {
							b.Fatalf("gocql append at %d: %v", version, err)
						}
						tStore += t1.Sub(t0)
						tRaw += time.Since(t1)
						version += int64(batch)
						n++
					}
					report(b, tStore, tRaw, n)
				})
			}
		})
	}
	b.Run("load", func(b *testing.B) {
		s := benchStore(b, ModeConditional)
		for _, n := range []int{100, 1_000, 10_000} {
			st := store.StreamID{Customer: "ovh-load-" + strconv.Itoa(n), AggregateType: "DownloadAccount", AggregateID: "a"}
			for i := 0; i < n; i += 100 {
				if err := s.Append(ctx, store.AppendRequest{Stream: st, ExpectedVersion: uint64(i), Events: benchRecords(i, min(100, n-i))}); err != nil {
					b.Fatalf("preload: %v", err)
				}
			}
			if err := s.SaveSnapshot(ctx, store.Snapshot{Stream: st, Version: uint64(n - snapshotLag), Type: "DownloadAccount", SchemaVersion: 1, Codec: "json", Payload: make([]byte, 2048), CreatedAt: benchTime}); err != nil {
				b.Fatalf("snapshot: %v", err)
			}
			for _, snap := range []bool{false, true} {
				b.Run(fmt.Sprintf("history=%d/snapshot=%v", n, snap), func(b *testing.B) {
					var tStore, tRaw time.Duration
					loads := 0
					for b.Loop() {
						t0 := time.Now()
						got1, err := storeLoad(ctx, s, st, snap)
						if err != nil {
							b.Fatalf("store load: %v", err)
						}
						t1 := time.Now()
						got2, err := rawLoad(ctx, s, st, snap)
						if err != nil {
							b.Fatalf("gocql load: %v", err)
						}
						tStore += t1.Sub(t0)
						tRaw += time.Since(t1)
						if got1 != got2 {
							b.Fatalf("store read %d events, the plain loop %d", got1, got2)
						}
						loads++
					}
					report(b, tStore, tRaw, loads)
				})
			}
		}
	})
}
