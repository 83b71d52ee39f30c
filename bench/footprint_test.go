package bench

import (
	"context"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"testing"
	"time"

	"github.com/esbench/esbench/refimpl/domain"
	"github.com/esbench/esbench/refimpl/store"
	"github.com/esbench/esbench/refimpl/store/memory"
	"github.com/esbench/esbench/reports"
	"github.com/esbench/esbench/target/inproc"
	"github.com/esbench/esbench/workload"
)

// TestMemoryFootprint preloads the default population's histories into the
// memory store and checks the live heap per event against the encoded
// payload (docs/design.md §16: at most 2× the payload).
// ESBENCH_FOOTPRINT_CUSTOMERS sets the population (default 2,000).
func TestMemoryFootprint(t *testing.T) {
	customers := uint64(2000)
	if v := os.Getenv("ESBENCH_FOOTPRINT_CUSTOMERS"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("ESBENCH_FOOTPRINT_CUSTOMERS=%q: %v", v, err)
		}
		customers = n
	}
	spec, err := workload.Load("default")
	if err != nil {
		t.Fatal(err)
	}
	spec.Population.Customers = customers
	w := newWorkload(t, *spec)
	reg := domain.NewRegistry()
	ctx := context.Background()

	before := liveHeap()
	st := memory.New()
	sys, err := inproc.New(st, inproc.Options{Registry: reg, Codec: spec.Service.Codec, Snapshot: spec.Service.Snapshot})
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close()
	exp := &Experiment{Workload: w, Classify: inproc.Classify}
	res := reports.New(spec.Experiment)
	start := time.Now()
	if err := exp.preload(ctx, res, sys, "preload", nil); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	heap := liveHeap() - before
	u, err := st.Usage()
	if err != nil {
		t.Fatal(err)
	}
	runtime.KeepAlive(st)
	perEvent := float64(heap) / float64(u.Events)
	payload := float64(u.PayloadBytes) / float64(u.Events)
	t.Logf("%d customers: %d streams, %d events, %d snapshots in %v (%.0f events/s); live heap %.1f MB, %.0f B/event, payload %.0f B/event, ratio %.2f",
		customers, u.Streams, u.Events, u.Snapshots, took.Round(time.Millisecond), float64(u.Events)/took.Seconds(),
		float64(heap)/1e6, perEvent, payload, perEvent/payload)
	t.Logf("records %.0f B/event in arenas; %d customers, %.1f streams per customer", float64(u.ArenaBytes)/float64(u.Events), u.Customers, float64(u.Streams)/float64(u.Customers))
	if f := os.Getenv("ESBENCH_FOOTPRINT_HEAPPROFILE"); f != "" {
		out, err := os.Create(f)
		if err != nil {
			t.Fatal(err)
		}
		pprof.WriteHeapProfile(out)
		out.Close()
	}
	if perEvent > 2*payload {
		t.Errorf("memory store holds %.0f bytes per event for %.0f payload bytes: more than 2×", perEvent, payload)
	}
}

func liveHeap() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// TestMemoryPreloadRaw sets the memory store's preload beside its raw
// write rate, measured in one process: the default population preloaded
// through the domain (decisions, encoding, the bulk path) into one store,
// then the same encoded records appended to a fresh store with plain
// Append calls, one per customer with all its streams, and no domain. Only
// the appends are timed in the raw loop; reading the records back out of
// the first store is not. Set ESBENCH_RAW_MEMORY_CUSTOMERS to run it
// (it holds two stores: about 2 × 280 bytes per event of live heap).
func TestMemoryPreloadRaw(t *testing.T) {
	v := os.Getenv("ESBENCH_RAW_MEMORY_CUSTOMERS")
	if v == "" {
		t.Skip("ESBENCH_RAW_MEMORY_CUSTOMERS not set")
	}
	customers, err := strconv.ParseUint(v, 10, 64)
	if err != nil || customers == 0 {
		t.Fatalf("ESBENCH_RAW_MEMORY_CUSTOMERS=%q: want a positive number of customers", v)
	}
	spec, err := workload.Load("default")
	if err != nil {
		t.Fatal(err)
	}
	spec.Population.Customers = customers
	w := newWorkload(t, *spec)
	ctx := context.Background()

	before := liveHeap()
	src := memory.New()
	sys, err := inproc.New(src, inproc.Options{Registry: domain.NewRegistry(), Codec: spec.Service.Codec, Snapshot: spec.Service.Snapshot})
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close()
	exp := &Experiment{Workload: w, Classify: inproc.Classify}
	start := time.Now()
	if err := exp.preload(ctx, reports.New(spec.Experiment), sys, "preload", nil); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	heap := liveHeap() - before
	u, err := src.Usage()
	if err != nil {
		t.Fatal(err)
	}

	dst := memory.New()
	var (
		raw            time.Duration
		events, copied int
		reqs           []store.AppendRequest
	)
	flush := func() {
		if len(reqs) == 0 {
			return
		}
		t0 := time.Now()
		if err := dst.Append(ctx, reqs...); err != nil {
			t.Fatalf("raw append of %s: %v", reqs[0].Stream.Customer, err)
		}
		raw += time.Since(t0)
		copied++
		reqs = reqs[:0]
	}
	for id := range src.Streams() {
		if len(reqs) > 0 && reqs[0].Stream.Customer != id.Customer {
			flush()
		}
		var recs []store.Record
		for rec, err := range src.LoadAudit(ctx, id) {
			if err != nil {
				t.Fatal(err)
			}
			recs = append(recs, rec)
		}
		events += len(recs)
		reqs = append(reqs, store.AppendRequest{Stream: id, Events: recs})
	}
	flush()
	if events != u.Events || copied != u.Customers {
		t.Fatalf("raw loop copied %d events of %d customers, the preload wrote %d events of %d", events, copied, u.Events, u.Customers)
	}
	pre, rawRate := float64(u.Events)/took.Seconds(), float64(events)/raw.Seconds()
	t.Logf("%d customers, %d events: preload %v, %.0f events/s, %.0f customers/s; raw append loop %v, %.0f events/s, %.0f customers/s; preload/raw %.2f",
		customers, u.Events, took.Round(time.Millisecond), pre, float64(customers)/took.Seconds(),
		raw.Round(time.Millisecond), rawRate, float64(copied)/raw.Seconds(), pre/rawRate)
	t.Logf("after the preload: live heap %.1f MB, %.0f B/event for %.0f payload bytes per event (%.2f×)",
		float64(heap)/1e6, float64(heap)/float64(u.Events), float64(u.PayloadBytes)/float64(u.Events), float64(heap)/float64(u.PayloadBytes))
	runtime.KeepAlive(src)
	runtime.KeepAlive(dst)
}
