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
