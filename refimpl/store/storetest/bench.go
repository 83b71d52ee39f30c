package storetest

import (
	"context"
	"strconv"
	"sync"
	"testing"

	"github.com/esbench/esbench/refimpl/store"
)

// HistoryLengths are the stream lengths the load benchmarks run at.
var historyLengths = []int{100, 1_000, 10_000}

// benchPayload is about the size of an encoded DownloadGranted event.
var benchPayload = []byte(`{"RequestID":"req-000000000001","LicenseID":"lic-000000000001","DeviceID":"dev-1","TitleID":"title-004211","StudioID":"studio-07","Restricted":true,"Year":2026,"ExpiresAt":"2026-03-21T15:09:26Z","At":"2026-03-14T15:09:26Z"}`)

func benchEvents(prefix string, from, n int) []store.Record {
	out := make([]store.Record, n)
	for i := range out {
		out[i] = store.Record{
			EventID:       prefix + strconv.Itoa(from+i),
			Type:          "DownloadGranted",
			SchemaVersion: 1,
			Codec:         "json",
			Payload:       benchPayload,
			Metadata:      map[string]string{"request": "req-000000000001"},
			RecordedAt:    baseTime,
		}
	}
	return out
}

// appendStreamLength is where the append benchmarks move on to a new
// stream: the longest history the harness studies, so no stream grows
// beyond what a real one would.
const appendStreamLength = 10_000

// BenchAppend measures Append of batches of 1 and 10 events, as
// sub-benchmarks batch=1 and batch=10, to streams of up to 10,000 events;
// it reports events/s. open returns an empty store and registers its Close
// with b.Cleanup.
func BenchAppend(b *testing.B, open func(tb T) store.Store) {
	for _, batch := range []int{1, 10} {
		b.Run("batch="+strconv.Itoa(batch), func(b *testing.B) {
			s := open(b)
			ctx := context.Background()
			cust := customer(b, "bench")
			var (
				total, version uint64
				streams        int
			)
			st := stream(cust, "acc0")
			b.ReportAllocs()
			for b.Loop() {
				if version >= appendStreamLength {
					streams++
					st, version = stream(cust, "acc"+strconv.Itoa(streams)), 0
				}
				evs := benchEvents("e-", int(version), batch)
				if err := s.Append(ctx, store.AppendRequest{Stream: st, ExpectedVersion: version, Events: evs}); err != nil {
					b.Fatalf("Append to %s at %d: %v", st, version, err)
				}
				version += uint64(batch)
				total += uint64(batch)
			}
			b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchLoad measures a full Load of a stream of 100, 1,000 and 10,000
// events, as sub-benchmarks events=N; it reports events/s.
func BenchLoad(b *testing.B, open func(tb T) store.Store) {
	for _, n := range historyLengths {
		b.Run("events="+strconv.Itoa(n), func(b *testing.B) {
			s := open(b)
			ctx := context.Background()
			st := stream(customer(b, "bench"), "acc")
			for i := 0; i < n; i += 100 {
				k := min(100, n-i)
				if err := s.Append(ctx, store.AppendRequest{Stream: st, ExpectedVersion: uint64(i), Events: benchEvents("e-", i, k)}); err != nil {
					b.Fatalf("preload: %v", err)
				}
			}
			loads := 0
			b.ReportAllocs()
			for b.Loop() {
				got := 0
				for _, err := range s.Load(ctx, st, 0) {
					if err != nil {
						b.Fatalf("Load: %v", err)
					}
					got++
				}
				if got != n {
					b.Fatalf("Load yielded %d events, want %d", got, n)
				}
				loads++
			}
			b.ReportMetric(float64(loads*n)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchLatestSnapshot measures LatestSnapshot on a stream holding 10
// snapshots, asking for the newest at or below a version in the middle.
func BenchLatestSnapshot(b *testing.B, open func(tb T) store.Store) {
	s := open(b)
	ctx := context.Background()
	st := stream(customer(b, "bench"), "acc")
	for v := uint64(100); v <= 1000; v += 100 {
		if err := s.SaveSnapshot(ctx, store.Snapshot{Stream: st, Version: v, Type: "DownloadAccount", Codec: "json", Payload: benchPayload, CreatedAt: baseTime}); err != nil {
			b.Fatalf("SaveSnapshot: %v", err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		sn, ok, err := s.LatestSnapshot(ctx, st, 550)
		if err != nil || !ok || sn.Version != 500 {
			b.Fatalf("LatestSnapshot = %d, %v, %v; want 500", sn.Version, ok, err)
		}
	}
}

// BenchAppendParallel measures single-event appends from 4×GOMAXPROCS
// goroutines, each on its own customer's stream, so a backend that groups
// concurrent commits (one fsync for many appends) shows it; it reports
// events/s.
func BenchAppendParallel(b *testing.B, open func(tb T) store.Store) {
	s := open(b)
	ctx := context.Background()
	var (
		mu      sync.Mutex
		streams int
	)
	b.SetParallelism(4)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		mu.Lock()
		streams++
		st := stream(customer(b, "benchp"+strconv.Itoa(streams)), "acc")
		mu.Unlock()
		var version uint64
		for pb.Next() {
			if err := s.Append(ctx, store.AppendRequest{Stream: st, ExpectedVersion: version, Events: benchEvents("e-", int(version), 1)}); err != nil {
				b.Errorf("Append at %d: %v", version, err)
				return
			}
			version++
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
