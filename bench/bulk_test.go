package bench

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/esbench/esbench/refimpl/domain"
	"github.com/esbench/esbench/refimpl/store"
	"github.com/esbench/esbench/refimpl/store/memory"
	"github.com/esbench/esbench/reports"
	"github.com/esbench/esbench/target/inproc"
	"github.com/esbench/esbench/workload"
)

// oneAtATime hides a system's bulk preloader, so the experiment sends the
// preload one operation at a time.
type oneAtATime struct{ System }

// storedRecord is what later loads see of a stored event.
type storedRecord struct {
	Version uint64
	EventID string
	Type    string
	Payload string
	Request string
}

// TestBulkPreloadMatchesOneByOne preloads the same workload histories in
// bulk and one operation at a time and checks that every customer's account
// stream ends up the same (versions, event ids, types, payloads), with the
// same snapshots, and as long as the customer's history; and that the bulk
// run records one append per batch.
func TestBulkPreloadMatchesOneByOne(t *testing.T) {
	spec := workload.DefaultSpec()
	spec.Population.Customers = 30
	spec.Population.History = workload.HistorySpec{Distribution: workload.HistoryGroups, Lengths: []int{5, 60, 250}, Span: 365 * 24 * time.Hour}
	spec.Preload.Workers = 3
	spec.Service.Snapshot = "every:7"
	w := newWorkload(t, spec)
	reg := domain.NewRegistry()
	ctx := context.Background()

	stores := map[bool]*memory.Store{}
	runs := map[bool]reports.Run{}
	for _, bulk := range []bool{false, true} {
		st := memory.New()
		stores[bulk] = st
		sys, err := inproc.New(st, inproc.Options{Registry: reg, Codec: "json", Snapshot: spec.Service.Snapshot})
		if err != nil {
			t.Fatal(err)
		}
		var target System = sys
		if !bulk {
			target = oneAtATime{sys}
		}
		exp := &Experiment{Workload: w, Classify: inproc.Classify}
		res := reports.New(spec.Experiment)
		if err := exp.preload(ctx, res, target, "preload", nil); err != nil {
			t.Fatal(err)
		}
		runs[bulk] = res.Runs[0]
		t.Cleanup(func() { sys.Close() })
	}

	read := func(st *memory.Store, id store.StreamID) (recs []storedRecord, snaps []uint64) {
		for rec, err := range st.Load(ctx, id, 0) {
			if err != nil {
				t.Fatal(err)
			}
			recs = append(recs, storedRecord{rec.Version, rec.EventID, rec.Type, string(rec.Payload), rec.Metadata["request_id"]})
		}
		at := store.Latest
		for {
			s, ok, err := st.LatestSnapshot(ctx, id, at)
			if err != nil {
				t.Fatal(err)
			}
			if !ok || s.Version == 0 {
				break
			}
			snaps = append(snaps, s.Version)
			at = s.Version - 1
		}
		return recs, snaps
	}
	pop := w.Population()
	var batches int64
	for id := range uint64(spec.Population.Customers) {
		c := workload.CustomerID(id)
		stream := store.StreamID{Customer: c, AggregateType: domain.TypeAccount, AggregateID: c}
		want, wantSnaps := read(stores[false], stream)
		got, gotSnaps := read(stores[true], stream)
		n := pop.Customer(id).HistoryLen
		if len(got) != n {
			t.Errorf("%s: %d account events stored in bulk, want its history of %d", c, len(got), n)
		}
		if !reflect.DeepEqual(want, got) {
			t.Errorf("%s: account stream differs between one at a time (%d events) and bulk (%d)", c, len(want), len(got))
		}
		if !reflect.DeepEqual(wantSnaps, gotSnaps) || (n >= 7 && len(gotSnaps) == 0) {
			t.Errorf("%s: snapshots one at a time %v, bulk %v", c, wantSnaps, gotSnaps)
		}
		batches += int64((n + PreloadBatch - 1) / PreloadBatch)
	}
	one, bulk := runs[false], runs[true]
	if one.Errors != 0 || bulk.Errors != 0 {
		t.Errorf("errors: one at a time %d, bulk %d", one.Errors, bulk.Errors)
	}
	// At least one append per PreloadBatch account events of each customer
	// (license events make some batches fill sooner).
	if bulk.Recorded < batches || bulk.Recorded >= one.Recorded {
		t.Errorf("bulk preload recorded %d appends for %d operations; want at least %d", bulk.Recorded, one.Recorded, batches)
	}
}
