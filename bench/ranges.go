package bench

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/esbench/esbench/reports"
	"github.com/esbench/esbench/target"
	"github.com/esbench/esbench/workload"
)

// DefaultRangeSize is how many customer numbers one preload range spans:
// large enough that a range's tables are a few megabytes, small enough that
// an interrupted preload loses little and the workers' buffers stay small.
const DefaultRangeSize = 1024

// DefaultAudit is how many preloaded customers the audit checks.
const DefaultAudit = 32

// rangePreload writes the shard's histories through rp at storage speed:
// the customers in ranges of consecutive numbers (the store's key order),
// each range decided by the domain and committed whole, ranges in parallel.
// Ranges an earlier, interrupted preload committed are skipped. Afterwards
// a sample of customers is audited when sys can (target.PreloadAuditor).
func (e *Experiment) rangePreload(ctx context.Context, res *reports.Result, rp target.RangePreloader, sys target.System, name string, params map[string]string) error {
	w := e.Workload
	spec := w.Spec()
	n := spec.Population.Customers
	size := e.RangeSize
	if size == 0 {
		size = DefaultRangeSize
	}
	part := uint32(w.Shard().Index)
	done, err := rp.PreloadedRanges(ctx)
	if err != nil {
		return fmt.Errorf("bench: preload: %w", err)
	}
	doneSet := map[uint64]bool{}
	for _, r := range done {
		if r.Part != part {
			continue
		}
		if want := (target.Range{Part: part, From: r.From, To: min(r.From+size, n)}); r.From%size != 0 || r != want {
			return fmt.Errorf("bench: preload: the store holds the preloaded range %d-%d, which a preload of %d customers in ranges of %d does not make: it was preloaded for another population", r.From, r.To, n, size)
		}
		doneSet[r.From] = true
	}
	var todo []target.Range
	for from := uint64(0); from < n; from += size {
		if !doneSet[from] {
			todo = append(todo, target.Range{Part: part, From: from, To: min(from+size, n)})
		}
	}
	pop := w.Population()
	var total int64
	for _, r := range todo {
		for id := r.From; id < r.To; id++ {
			if w.InShard(id) {
				total += int64(pop.Customer(id).HistoryLen)
			}
		}
	}

	q := &rangeQueue{todo: todo}
	rt := &rangeTarget{w: w, rp: rp, q: q}
	workers := min(max(spec.Preload.Workers, 1), 2*runtime.GOMAXPROCS(0), max(len(todo), 1))
	cfg := e.config(sys, name, 0, 0)
	cfg.Setup = true
	cfg.Workers = workers
	cfg.Target = rt
	cfg.Source = func(int) OpSource { return q }
	cfg.ExpectedOps = total
	cfg.ProgressUnit = "events"
	cfg.ProgressCount = func() (int64, int64) { return rt.acct.Load(), rt.refused.Load() }
	start := time.Now()
	if len(todo) > 0 {
		_, err = e.measure(ctx, res, cfg, params)
	}
	pl := &reports.Preload{
		Method:        "ranges",
		Customers:     rt.custs.Load(),
		AccountEvents: rt.acct.Load(),
		Events:        rt.events.Load(),
		Ranges:        int(rt.ranges.Load()),
		Resumed:       len(doneSet),
		Refused:       rt.refused.Load(),
		Seconds:       time.Since(start).Seconds(),
	}
	res.Preload = pl
	if err != nil || ctx.Err() != nil {
		return err
	}
	if p := rt.failed.Load(); p != nil {
		return fmt.Errorf("bench: preload: %w", *p)
	}
	if p := rt.firstRefusal.Load(); p != nil {
		return fmt.Errorf("bench: preload: the service refused %d history operations, first %w", pl.Refused, *p)
	}
	if a, ok := sys.(target.PreloadAuditor); ok && (len(todo) > 0 || !e.AuditWrittenOnly) {
		audit := func(uint64) bool { return true }
		if e.AuditWrittenOnly {
			audit = func(id uint64) bool { return !doneSet[id-id%size] }
		}
		n, err := e.auditPreload(ctx, a, audit)
		pl.Audited = n
		if err != nil {
			return err
		}
	}
	return nil
}

// OpPreloadRange is the series kind of one range of a range preload: the
// histories of up to RangeSize customers decided and committed.
const OpPreloadRange workload.OpKind = "range"

// rangeQueue hands the ranges to do to whichever worker asks next.
type rangeQueue struct {
	todo []target.Range
	next atomic.Int64
}

func (q *rangeQueue) Next(op *workload.Op) bool {
	i := q.next.Add(1) - 1
	if i >= int64(len(q.todo)) {
		return false
	}
	r := q.todo[i]
	*op = workload.Op{Kind: OpPreloadRange, Seq: uint64(i), Customer: r.From, CustomerID: workload.CustomerID(r.From)}
	return true
}

// rangeTarget decides and commits one range per operation.
type rangeTarget struct {
	w  *workload.Workload
	rp target.RangePreloader
	q  *rangeQueue

	acct, events, custs, refused, ranges atomic.Int64
	firstRefusal, failed                 atomic.Pointer[error]
}

func (t *rangeTarget) Do(ctx context.Context, op *workload.Op, _ *Response) error {
	r := t.q.todo[op.Seq]
	var ids []uint64
	for id := r.From; id < r.To; id++ {
		if t.w.InShard(id) {
			ids = append(ids, id)
		}
	}
	err := t.do(ctx, r, ids)
	if err != nil && ctx.Err() == nil {
		err = fmt.Errorf("range %d-%d: %w", r.From, r.To, err)
		t.failed.CompareAndSwap(nil, &err)
	}
	return err
}

func (t *rangeTarget) do(ctx context.Context, r target.Range, ids []uint64) error {
	p, err := t.w.PreloadCustomers(ids)
	if err != nil {
		return err
	}
	rw, err := t.rp.NewRangeWriter(ctx)
	if err != nil {
		return err
	}
	var op workload.Op
	for k := 0; p.Next(&op); k++ {
		if k%256 == 0 && ctx.Err() != nil {
			rw.Abort()
			return ctx.Err()
		}
		if op.Kind != workload.OpPlayback {
			t.acct.Add(1)
		}
		if err := rw.Add(&op); err != nil {
			t.refused.Add(1)
			err = fmt.Errorf("%s %s of customer %s: %w", op.Kind, op.RequestID, op.CustomerID, err)
			t.firstRefusal.CompareAndSwap(nil, &err)
		}
	}
	written, err := rw.Commit(ctx, r)
	if err != nil {
		return err
	}
	t.events.Add(written)
	t.custs.Add(int64(len(ids)))
	t.ranges.Add(1)
	return nil
}

// auditPreload checks up to e.Audit customers spread over the shard (those
// for which audit is true): their history as the generator makes it has the
// length the population says, and the state the system stored is the state
// that history gives.
func (e *Experiment) auditPreload(ctx context.Context, a target.PreloadAuditor, audit func(id uint64) bool) (int, error) {
	w := e.Workload
	want := e.Audit
	if want == 0 {
		want = DefaultAudit
	}
	if want < 0 {
		return 0, nil
	}
	size := w.ShardSize()
	if size == 0 {
		return 0, nil
	}
	var ids []uint64
	seen := map[uint64]bool{}
	n := w.Spec().Population.Customers
	for i := range uint64(want) {
		// Evenly spread over the numbers, then the next customer of the shard.
		for id := i * n / uint64(want); id < n; id++ {
			if w.InShard(id) && audit(id) {
				if !seen[id] {
					seen[id] = true
					ids = append(ids, id)
				}
				break
			}
		}
	}
	var (
		mu   sync.Mutex
		errs []error
	)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for _, id := range ids {
		g.Go(func() error {
			p, err := w.PreloadCustomers([]uint64{id})
			if err != nil {
				return err
			}
			var ops []workload.Op
			var op workload.Op
			account := 0
			for p.Next(&op) {
				ops = append(ops, op)
				if op.Kind != workload.OpPlayback {
					account++
				}
			}
			var err2 error
			if hl := w.Population().Customer(id).HistoryLen; account != hl {
				err2 = fmt.Errorf("customer %s: the generator made %d account operations for a history of %d", workload.CustomerID(id), account, hl)
			} else {
				err2 = a.AuditPreload(gctx, ops)
			}
			if err2 != nil {
				mu.Lock()
				errs = append(errs, err2)
				mu.Unlock()
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return 0, err
	}
	if len(errs) > 0 {
		return len(ids), fmt.Errorf("bench: preload audit: %d of %d customers differ: %w", len(errs), len(ids), errors.Join(errs...))
	}
	return len(ids), nil
}

// ErrNoRangePreload is returned by Preload for a system whose store cannot
// load in ranges.
var ErrNoRangePreload = errors.New("bench: the system's store has no bulk loader, so it cannot hold a preloaded dataset")

// Preload only preloads: it opens the mixed workload's system, writes the
// shard's histories in ranges (resuming after ranges an earlier, interrupted
// preload committed), audits a sample and closes the system. It is esbench
// preload's experiment.
func (e *Experiment) Preload(ctx context.Context, res *reports.Result) error {
	spec := e.Workload.Spec()
	sys, err := e.open(ctx, SystemConfig{Name: spec.Name, Snapshot: spec.Service.Snapshot, Codec: spec.Service.Codec, Start: spec.Start})
	if err != nil {
		return err
	}
	rp, ok := sys.(target.RangePreloader)
	if !ok || !rp.CanPreloadRanges() {
		return errors.Join(ErrNoRangePreload, sys.Close())
	}
	params := map[string]string{"snapshot": spec.Service.Snapshot, "codec": spec.Service.Codec}
	err = e.rangePreload(ctx, res, rp, sys, "preload", params)
	if ctx.Err() != nil && !res.Partial {
		res.Partial, res.PartialReason = true, "interrupted: "+context.Cause(ctx).Error()
	}
	return errors.Join(err, sys.Close())
}
