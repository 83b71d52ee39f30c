package bench

import (
	"context"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/esbench/esbench/refimpl/codec"
	"github.com/esbench/esbench/refimpl/domain"
	"github.com/esbench/esbench/refimpl/store"
	"github.com/esbench/esbench/refimpl/store/memory"
	"github.com/esbench/esbench/refimpl/store/pebble"
	"github.com/esbench/esbench/reports"
	"github.com/esbench/esbench/target"
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

// bulkOnly hides a system's range preloader, so the experiment appends
// the preload in batches.
type bulkOnly struct{ *inproc.System }

func (bulkOnly) CanPreloadRanges() bool { return false }

// TestBulkPreloadMatchesOneByOne preloads the same workload histories one
// operation at a time, in bulk appends, and in ranges loaded in bulk (on
// memory and on pebble, in several ranges, resumed after the first), and
// checks that every customer's account stream ends up the same (versions,
// event ids, types, payloads), with the same snapshots, and as long as the
// customer's history; that the bulk run records one append per batch; and
// that the range preload audits its customers.
func TestBulkPreloadMatchesOneByOne(t *testing.T) {
	spec := workload.DefaultSpec()
	spec.Population.Customers = 30
	spec.Population.History = workload.HistorySpec{Distribution: workload.HistoryGroups, Lengths: []int{5, 60, 250}, Span: 365 * 24 * time.Hour}
	spec.Preload.Workers = 3
	spec.Service.Snapshot = "every:7"
	w := newWorkload(t, spec)
	reg := domain.NewRegistry()
	ctx := context.Background()

	modes := []string{"one", "bulk", "ranges", "ranges-pebble"}
	stores := map[string]store.Store{}
	runs := map[string]reports.Run{}
	for _, mode := range modes {
		var st store.Store = memory.New()
		if mode == "ranges-pebble" {
			ps, err := pebble.Open(pebble.Options{Dir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			st = ps
		}
		stores[mode] = st
		sys, err := inproc.New(st, inproc.Options{Registry: reg, Codec: "json", Snapshot: spec.Service.Snapshot})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sys.Close() })
		var target System = sys
		switch mode {
		case "one":
			target = oneAtATime{sys}
		case "bulk":
			target = bulkOnly{sys}
		}
		exp := &Experiment{Workload: w, Classify: inproc.Classify, RangeSize: 7}
		res := reports.New(spec.Experiment)
		if err := exp.preload(ctx, res, target, "preload", nil); err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		if mode == "one" || mode == "bulk" {
			runs[mode] = res.Runs[0]
			continue
		}
		pl := res.Preload
		if pl == nil || pl.Method != "ranges" || pl.Customers != 30 || pl.Ranges != 5 || pl.Refused != 0 || pl.Audited != DefaultAudit && pl.Audited != 30 {
			t.Fatalf("%s: preload summary %+v, want 30 customers in 5 ranges, none refused, all audited", mode, pl)
		}
		// Everything is marked done: a second preload has nothing to do.
		res = reports.New(spec.Experiment)
		if err := exp.preload(ctx, res, target, "preload", nil); err != nil {
			t.Fatalf("%s again: %v", mode, err)
		}
		if pl := res.Preload; pl.Ranges != 0 || pl.Resumed != 5 || pl.Customers != 0 {
			t.Fatalf("%s again: preload summary %+v, want nothing written and 5 ranges resumed", mode, pl)
		}
	}

	read := func(st store.Store, id store.StreamID) (recs []storedRecord, snaps []uint64) {
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
		want, wantSnaps := read(stores["one"], stream)
		n := pop.Customer(id).HistoryLen
		for _, mode := range modes[1:] {
			got, gotSnaps := read(stores[mode], stream)
			if len(got) != n {
				t.Errorf("%s: %d account events stored by %s, want its history of %d", c, len(got), mode, n)
			}
			if !reflect.DeepEqual(want, got) {
				t.Errorf("%s: account stream differs between one at a time (%d events) and %s (%d)", c, len(want), mode, len(got))
			}
			if !reflect.DeepEqual(wantSnaps, gotSnaps) || (n >= 7 && len(gotSnaps) == 0) {
				t.Errorf("%s: snapshots one at a time %v, %s %v", c, wantSnaps, mode, gotSnaps)
			}
		}
		batches += int64((n + PreloadBatch - 1) / PreloadBatch)
	}
	one, bulk := runs["one"], runs["bulk"]
	if one.Errors != 0 || bulk.Errors != 0 {
		t.Errorf("errors: one at a time %d, bulk %d", one.Errors, bulk.Errors)
	}
	// At least one append per PreloadBatch account events of each customer
	// (license events make some batches fill sooner).
	if bulk.Recorded < batches || bulk.Recorded >= one.Recorded {
		t.Errorf("bulk preload recorded %d appends for %d operations; want at least %d", bulk.Recorded, one.Recorded, batches)
	}
}

// TestPreloadAuditFindsDivergence changes one preloaded customer's account
// behind the preload's back and checks that the audit reports it.
func TestPreloadAuditFindsDivergence(t *testing.T) {
	spec := workload.DefaultSpec()
	spec.Population.Customers = 20
	spec.Preload.Workers = 2
	w := newWorkload(t, spec)
	ctx := context.Background()
	st := memory.New()
	sys, err := inproc.New(st, inproc.Options{Registry: domain.NewRegistry(), Codec: "json", Snapshot: "none"})
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close()
	exp := &Experiment{Workload: w, Classify: inproc.Classify, Audit: 20}
	if err := exp.preload(ctx, reports.New(spec.Experiment), sys, "preload", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := exp.auditPreload(ctx, sys, func(uint64) bool { return true }); err != nil {
		t.Fatalf("audit of an untouched preload: %v", err)
	}
	// Customer c0 gets one of its events again, as a new event.
	c := workload.CustomerID(0)
	id := store.StreamID{Customer: c, AggregateType: domain.TypeAccount, AggregateID: c}
	var last store.Record
	for r, err := range st.Load(ctx, id, 0) {
		if err != nil {
			t.Fatal(err)
		}
		last = r
	}
	last.EventID = "00000000-0000-0000-0000-000000000001"
	if err := st.Append(ctx, store.AppendRequest{Stream: id, ExpectedVersion: last.Version, Events: []store.Record{last}}); err != nil {
		t.Fatal(err)
	}
	_, err = exp.auditPreload(ctx, sys, func(uint64) bool { return true })
	if err == nil || !strings.Contains(err.Error(), "audit of "+c+":") || !strings.Contains(err.Error(), "1 of 20 customers differ") {
		t.Fatalf("audit after changing %s: %v, want it to name %s as the one customer that differs", c, err, c)
	}
}

// interruptAfter cancels the preload once n ranges are committed, as a
// Ctrl-C half-way would.
type interruptAfter struct {
	*inproc.System
	n      int64
	done   atomic.Int64
	cancel context.CancelFunc
}

func (s *interruptAfter) NewRangeWriter(ctx context.Context) (target.RangeWriter, error) {
	w, err := s.System.NewRangeWriter(ctx)
	return &interruptingWriter{RangeWriter: w, s: s}, err
}

type interruptingWriter struct {
	target.RangeWriter
	s *interruptAfter
}

func (w *interruptingWriter) Commit(ctx context.Context, r target.Range) (int64, error) {
	n, err := w.RangeWriter.Commit(ctx, r)
	if err == nil && w.s.done.Add(1) >= w.s.n {
		w.s.cancel()
	}
	return n, err
}

// TestRangePreloadResumes interrupts a range preload into pebble after two
// of its eight ranges, reopens the store as a new process would, and
// preloads again: only the remaining ranges are written, and every
// customer ends up with its whole history.
func TestRangePreloadResumes(t *testing.T) {
	spec := workload.DefaultSpec()
	spec.Population.Customers = 40
	spec.Preload.Workers = 1 // one range at a time, so the interruption is exact
	w := newWorkload(t, spec)
	dir := t.TempDir()
	reg := domain.NewRegistry()
	open := func() *inproc.System { return openPebbleSystem(t, dir, reg, spec) }
	exp := &Experiment{Workload: w, Classify: inproc.Classify, RangeSize: 5, Audit: 40}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sys := open()
	first := reports.New(spec.Experiment)
	if err := exp.preload(ctx, first, &interruptAfter{System: sys, n: 2, cancel: cancel}, "preload", nil); err != nil {
		t.Fatal(err)
	}
	if err := sys.Close(); err != nil {
		t.Fatal(err)
	}
	if pl := first.Preload; pl == nil || pl.Ranges != 2 || pl.Customers != 10 || pl.Audited != 0 {
		t.Fatalf("interrupted preload: %+v, want 2 ranges of 10 customers and no audit", pl)
	}

	sys = open()
	defer sys.Close()
	second := reports.New(spec.Experiment)
	if err := exp.preload(context.Background(), second, sys, "preload", nil); err != nil {
		t.Fatal(err)
	}
	if pl := second.Preload; pl.Resumed != 2 || pl.Ranges != 6 || pl.Customers != 30 || pl.Audited != 40 {
		t.Fatalf("resumed preload: %+v, want 6 more ranges of 30 customers, 2 resumed, all 40 audited", pl)
	}
	// The audit of all 40 (decided again, compared with the stored
	// account) passed: every history is whole.

}

// TestRangePreloadAuditWrittenOnly preloads two of eight ranges, lets a
// "run" write to a customer of the first range, and preloads the rest: the
// full audit (esbench preload's) finds that customer's state moved on from
// its history, while a run's audit (AuditWrittenOnly) checks only the
// customers of the ranges it wrote and passes.
func TestRangePreloadAuditWrittenOnly(t *testing.T) {
	spec := workload.DefaultSpec()
	spec.Population.Customers = 40
	spec.Preload.Workers = 1
	w := newWorkload(t, spec)
	for _, tc := range []struct {
		name        string
		writtenOnly bool
	}{{"every range", false}, {"written only", true}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			reg := domain.NewRegistry()
			open := func() *inproc.System { return openPebbleSystem(t, dir, reg, spec) }
			exp := &Experiment{Workload: w, Classify: inproc.Classify, RangeSize: 5, Audit: 40, AuditWrittenOnly: tc.writtenOnly}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			sys := open()
			if err := exp.preload(ctx, reports.New(spec.Experiment), &interruptAfter{System: sys, n: 2, cancel: cancel}, "preload", nil); err != nil {
				t.Fatal(err)
			}
			// An earlier run's write to customer 0, in a preloaded range.
			op := workload.Op{Kind: workload.OpRegisterDevice, CustomerID: workload.CustomerID(0), DeviceID: "run-device", RequestID: "run-request"}
			var resp target.Response
			if err := sys.Target(0).Do(context.Background(), &op, &resp); err != nil {
				t.Fatal(err)
			}
			if err := sys.Close(); err != nil {
				t.Fatal(err)
			}
			sys = open()
			defer sys.Close()
			res := reports.New(spec.Experiment)
			err := exp.preload(context.Background(), res, sys, "preload", nil)
			if !tc.writtenOnly {
				if err == nil || !strings.Contains(err.Error(), "preload audit") {
					t.Fatalf("full audit after a run's write: %v, want the audit to find the difference", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if pl := res.Preload; pl.Resumed != 2 || pl.Audited != 30 {
				t.Fatalf("resumed preload %+v: want 2 ranges resumed and the 30 customers written audited", pl)
			}
		})
	}
}

// openPebbleSystem opens the pebble store in dir, as a new process would,
// behind the in-process service.
func openPebbleSystem(t *testing.T, dir string, reg *codec.Registry, spec workload.Spec) *inproc.System {
	t.Helper()
	st, err := pebble.Open(pebble.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	sys, err := inproc.New(st, inproc.Options{Registry: reg, Codec: "json", Snapshot: spec.Service.Snapshot})
	if err != nil {
		t.Fatal(err)
	}
	return sys
}
