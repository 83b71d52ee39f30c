package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/esbench/esbench/reports"
	"github.com/esbench/esbench/reports/percentile"
	"github.com/esbench/esbench/target"
	"github.com/esbench/esbench/workload"
)

// Factory sets up a fresh system for one configuration.
type Factory func(ctx context.Context, cfg SystemConfig) (System, error)

// Experiment runs what a workload asks for (mixed, replay or sweep) and
// gathers the results.
type Experiment struct {
	Workload *workload.Workload
	Factory  Factory
	Progress *Progress
	// Hlog, if set, returns the interval sink of the named run (nil: none).
	Hlog func(run string, start time.Time) IntervalSink
	// Live, if set, watches every run's intervals as they close.
	Live LiveObserver
	// Log, if set, is every run's logger (see Config.Log).
	Log *slog.Logger
	// Interval and LateThreshold are passed to every run.
	Interval, LateThreshold time.Duration
	// GoTimers is passed to every run (Config.GoTimers).
	GoTimers bool
	// Classify maps errors a target left unclassified to outcomes; nil: the
	// system's own (target.Classifier), else ClassifyError.
	Classify func(error) Outcome
	// RangeSize is the customer numbers per range of a range preload (0:
	// DefaultRangeSize); Audit the customers audited after it (0:
	// DefaultAudit, negative: none).
	RangeSize uint64
	Audit     int
	// AuditWrittenOnly limits the audit to ranges this preload wrote. A run
	// sets it: ranges an earlier process preloaded may have been written by
	// runs since, so their state no longer is their history's. `esbench
	// preload` audits every range, resumed ones included (a dataset is not
	// run before it is complete).
	AuditWrittenOnly bool
	// Windows, RecoveryShare and OnStart are passed to the measured run of
	// a mixed experiment (not to its preload): the fault windows reported
	// apart, and the hook that starts their clock.
	Windows       []Window
	RecoveryShare float64
	OnStart       func(start time.Time)
	// Dataset, when set, names the preloaded dataset the system's store
	// already holds: the mixed experiment skips its preload.
	Dataset string
	// StartAt, when set, is the instant the mixed experiment's warmup
	// begins, after its preload, so that shards on several machines start
	// together; how late it began and the clock's state go into the result.
	StartAt time.Time
}

// Run executes the experiment. On cancellation it returns the runs
// finished so far and the cut-short one, with res.Partial set.
func (e *Experiment) Run(ctx context.Context, res *reports.Result) error {
	spec := e.Workload.Spec()
	var err error
	switch spec.Experiment {
	case workload.ExperimentMixed:
		err = e.mixed(ctx, res)
	case workload.ExperimentReplay, workload.ExperimentSweep:
		err = e.study(ctx, res)
	case workload.ExperimentCapacity:
		err = e.capacity(ctx, res)
	default:
		err = fmt.Errorf("bench: unknown experiment %q", spec.Experiment)
	}
	if ctx.Err() != nil && !res.Partial {
		res.Partial = true
		res.PartialReason = "interrupted: " + context.Cause(ctx).Error()
	}
	for i := range res.Runs {
		if res.Runs[i].Partial && !res.Partial {
			res.Partial, res.PartialReason = true, res.Runs[i].PartialReason
		}
	}
	return err
}

func (e *Experiment) config(sys System, name string, warmup, duration time.Duration) Config {
	classify := e.Classify
	if c, ok := sys.(target.Classifier); ok && classify == nil {
		classify = c.Classify
	}
	return Config{
		Name:          name,
		Warmup:        warmup,
		Duration:      duration,
		Interval:      e.Interval,
		LateThreshold: e.LateThreshold,
		GoTimers:      e.GoTimers,
		Classify:      classify,
		Progress:      e.Progress,
		Live:          e.Live,
		Log:           e.Log,
	}
}

// measure runs cfg and appends its report to res.
func (e *Experiment) measure(ctx context.Context, res *reports.Result, cfg Config, params map[string]string) (*Stats, error) {
	start := time.Now()
	if e.Hlog != nil {
		cfg.Sink = e.Hlog(cfg.Name, start)
	}
	r, err := NewRunner(cfg)
	if err != nil {
		return nil, err
	}
	st, runErr := r.Run(ctx)
	if st == nil {
		return nil, runErr
	}
	run, err := st.Report()
	run.Params = params
	res.Runs = append(res.Runs, run)
	return st, errors.Join(runErr, err)
}

func (e *Experiment) open(ctx context.Context, cfg SystemConfig) (System, error) {
	if e.Factory == nil {
		return nil, errors.New("bench: experiment has no system factory")
	}
	sys, err := e.Factory(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("bench: setting up %s: %w", cfg.Name, err)
	}
	return sys, nil
}

// preload writes every customer's history of the shard through the target,
// in bulk when the system can (BulkPreloader).
func (e *Experiment) preload(ctx context.Context, res *reports.Result, sys System, name string, params map[string]string) error {
	if rp, ok := sys.(target.RangePreloader); ok && rp.CanPreloadRanges() {
		return e.rangePreload(ctx, res, rp, sys, name, params)
	}
	spec := e.Workload.Spec()
	workers := max(spec.Preload.Workers, 1)
	srcs := make([]*customerCounter, workers)
	for i := range srcs {
		p, err := e.Workload.Preload(i, workers)
		if err != nil {
			return err
		}
		srcs[i] = &customerCounter{p: p}
	}
	cfg := e.config(sys, name, 0, 0)
	cfg.Setup = true
	cfg.Workers = workers
	cfg.TargetFor = sys.Target
	cfg.Source = func(i int) OpSource { return srcs[i] }
	if err := bulkPreload(&cfg, sys, srcs); err != nil {
		return err
	}
	setPreloadProgress(&cfg, srcs, e.shardHistoryEvents())
	_, err := e.measure(ctx, res, cfg, params)
	return err
}

// customerCounter publishes how many account events its preloader has
// generated, so progress can count against a total known in advance (the
// customers' history lengths) without racing the worker. Every preload
// operation but a playback is one account event.
type customerCounter struct {
	p      *workload.Preloader
	events atomic.Int64
}

// Next yields the preloader's next operation.
func (c *customerCounter) Next(op *workload.Op) bool {
	ok := c.p.Next(op)
	if ok && op.Kind != workload.OpPlayback {
		c.events.Add(1)
	}
	return ok
}

func setPreloadProgress(cfg *Config, srcs []*customerCounter, events int64) {
	cfg.ExpectedOps = events
	cfg.ProgressUnit = "events"
	cfg.ProgressCount = func() (int64, int64) {
		var n int64
		for _, s := range srcs {
			n += s.events.Load()
		}
		return n, 0
	}
}

// shardHistoryEvents sums the history lengths of the shard's customers (0,
// meaning unknown, for shards too large to walk quickly).
func (e *Experiment) shardHistoryEvents() int64 {
	pop := e.Workload.Population()
	var n int64
	if e.Workload.ShardSize() > 2_000_000 {
		return 0
	}
	e.Workload.ShardCustomers(func(id uint64) bool {
		n += int64(pop.Customer(id).HistoryLen)
		return true
	})
	return n
}

// mixed is the mixed service load: preload, then the measured mix at the
// workload's arrival schedule (or closed loop).
func (e *Experiment) mixed(ctx context.Context, res *reports.Result) error {
	spec := e.Workload.Spec()
	sys, err := e.open(ctx, SystemConfig{Name: spec.Name, Snapshot: spec.Service.Snapshot, Codec: spec.Service.Codec, Start: spec.Start})
	if err != nil {
		return err
	}
	defer sys.Close()
	params := map[string]string{"snapshot": spec.Service.Snapshot, "codec": spec.Service.Codec}
	if e.Dataset != "" {
		res.Preload = &reports.Preload{Method: "dataset", Dataset: e.Dataset}
	} else if spec.Preload.Enabled {
		if err := e.preload(ctx, res, sys, "preload", params); err != nil || ctx.Err() != nil {
			return err
		}
	}
	if !e.StartAt.IsZero() {
		if err := e.waitStart(ctx, res); err != nil || ctx.Err() != nil {
			return err
		}
	}
	workers := spec.Arrival.Workers
	srcs := make([]OpSource, workers)
	for i := range srcs {
		limit := uint64(0)
		if spec.Operations > 0 {
			limit = spec.Operations / uint64(workers)
			if uint64(i) < spec.Operations%uint64(workers) {
				limit++
			}
			if limit == 0 {
				return fmt.Errorf("bench: %d operations cannot be split over %d workers", spec.Operations, workers)
			}
		}
		st, err := e.Workload.NewStream(i, workers, limit)
		if err != nil {
			return err
		}
		srcs[i] = st
	}
	warmup, duration := spec.Warmup, spec.Duration
	cfg := e.config(sys, spec.Name, warmup, duration)
	cfg.Workers = workers
	cfg.TargetFor = sys.Target
	cfg.Windows, cfg.RecoveryShare, cfg.OnStart = e.Windows, e.RecoveryShare, e.OnStart
	cfg.Source = func(i int) OpSource { return srcs[i] }
	if sched := e.Workload.Schedule(); sched != nil {
		arr := make([]Schedule, workers)
		for i := range arr {
			a, err := sched.Arrivals(i, workers)
			if err != nil {
				return err
			}
			arr[i] = a
		}
		cfg.Schedule = func(i int) Schedule { return arr[i] }
		if end := sched.End(); end > 0 {
			// Ramp stages cover warmup and measurement together.
			if end > warmup {
				cfg.Duration = end - warmup
			}
			if d := cfg.Duration; d > 0 {
				cfg.TargetRate = (sched.Expected(warmup+d) - sched.Expected(warmup)) / d.Seconds()
			}
		} else {
			cfg.TargetRate = spec.Arrival.Rate
		}
	}
	if spec.Operations > 0 && cfg.Duration == 0 {
		cfg.ExpectedOps = int64(spec.Operations)
	}
	_, err = e.measure(ctx, res, cfg, params)
	if n := len(res.Runs); n > 0 && cfg.TargetRate > 0 {
		setOpTargets(&res.Runs[n-1], &spec.Mix, cfg.TargetRate)
	}
	return err
}

// setOpTargets gives each operation its share of the target rate by the
// mix's weights.
func setOpTargets(run *reports.Run, m *workload.MixSpec, rate float64) {
	w := map[workload.OpKind]float64{
		workload.OpAcquire: m.Acquire, workload.OpCheck: m.Check, workload.OpRenew: m.Renew,
		workload.OpRelease: m.Release, workload.OpPlayback: m.Playback, workload.OpRegisterDevice: m.RegisterDevice,
		workload.OpRemoveDevice: m.RemoveDevice, workload.OpLoad: m.Load,
	}
	var sum float64
	for _, v := range w {
		sum += v
	}
	if sum <= 0 {
		return
	}
	for i := range run.Operations {
		op := &run.Operations[i]
		op.TargetRate = rate * w[workload.OpKind(op.Op)] / sum
	}
}

// intervalPolicy turns a sweep interval ("none" or N) into a snapshot
// policy and its number (0 for none).
func intervalPolicy(iv string) (policy string, n int, err error) {
	if iv == "none" {
		return "none", 0, nil
	}
	n, err = strconv.Atoi(iv)
	if err != nil || n < 1 {
		return "", 0, fmt.Errorf("bench: sweep interval %q is neither none nor a positive number", iv)
	}
	return "every:" + iv, n, nil
}

// study is the replay experiment and the snapshot-interval sweep: for each
// interval a fresh system is preloaded with customers of each history
// length, every customer is loaded once to warm caches, then loads are
// measured, each history length as its own series ("hN").
//
// A group's histories are spread around its length (see studySpread and
// workload.SpreadHistories), the same in every configuration, so that the
// events a load replays after the latest snapshot are spread over the
// interval as they are for real accounts, instead of all being the group
// length mod the interval (0 for every interval dividing it).
func (e *Experiment) study(ctx context.Context, res *reports.Result) error {
	spec := e.Workload.Spec()
	sw := spec.Sweep
	var intervals []int
	for _, iv := range sw.Intervals {
		_, n, err := intervalPolicy(iv)
		if err != nil {
			return err
		}
		intervals = append(intervals, n)
	}
	pop := e.Workload.Population()
	groups := make([][]uint64, len(sw.Histories))
	var all []uint64
	lengths := map[uint64]int{}
	var ranges []string
	for i, h := range sw.Histories {
		ids := e.Workload.CustomersWithHistory(h, sw.Customers)
		if len(ids) == 0 {
			return fmt.Errorf("bench: no customer has a history of exactly %d events (sweep.histories); use the groups history distribution", h)
		}
		groups[i] = ids
		all = append(all, ids...)
		spread := studySpread(h, intervals)
		for j, l := range pop.SpreadHistories(ids, spread) {
			lengths[ids[j]] = l
		}
		if spread > 1 {
			ranges = append(ranges, fmt.Sprintf("%d: %d..%d", h, h-spread/2, h-spread/2+spread-1))
		} else {
			ranges = append(ranges, fmt.Sprintf("%d: %d", h, h))
		}
	}
	names := map[int]string{}
	for _, h := range sw.Histories {
		names[h] = "h" + strconv.Itoa(h)
	}
	byHistory := func(op *workload.Op) string {
		if n, ok := names[pop.Customer(op.Customer).HistoryLen]; ok {
			return n
		}
		return "hother"
	}
	sweep := &reports.Sweep{TargetP99Ns: int64(sw.ReplayTarget), Note: "histories " + strings.Join(ranges, ", ") +
		" events, spread so that the events a load replays after the latest snapshot are uniform over the interval"}
	fits := map[int]reports.LinearFit{}
	for i, iv := range sw.Intervals {
		policy, n := "none", intervals[i]
		if n > 0 {
			policy = "every:" + iv
		}
		cfgName := "snapshots=" + iv
		sys, err := e.open(ctx, SystemConfig{Name: cfgName, Snapshot: policy, Codec: spec.Service.Codec, Start: spec.Start, Isolated: true})
		if err != nil {
			return err
		}
		fit, err := e.studyConfig(ctx, res, sys, cfgName, n, policy, groups, all, lengths, byHistory, sweep)
		if cerr := sys.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("bench: closing %s: %w", cfgName, cerr)
		}
		if err != nil || ctx.Err() != nil {
			return err
		}
		if fit.N > 0 {
			fits[n] = fit
		}
	}
	if spec.Experiment == workload.ExperimentSweep {
		sweep.Recommendations = reports.Recommend(sweep.Cells, sweep.TargetP99Ns)
	}
	res.Sweep = sweep
	if without, ok := fits[0]; ok {
		// Compare with the most frequent snapshots studied.
		best := 0
		for n := range fits {
			if n > 0 && (best == 0 || n < best) {
				best = n
			}
		}
		if best > 0 {
			with := fits[best]
			ev, ok := reports.ComputeBreakEven(without, with)
			res.BreakEven = &reports.BreakEven{
				WithoutSnapshots: "snapshots=none", WithSnapshots: "snapshots=" + strconv.Itoa(best),
				Without: without, With: with, Events: ev, OK: ok,
			}
		}
	}
	return nil
}

// studySpread is how widely the histories of the group of length h are
// spread (0: all exactly h), given the study's snapshot intervals (0 for
// none). Lengths over a multiple of an interval N have tails uniform over
// [0, N), so the spread is the least common multiple of the intervals up to
// h. It never exceeds h, which keeps the group's lengths within h/2..3h/2;
// when the multiple would, it is the largest interval up to h and the other
// intervals' tails are only roughly uniform. Intervals above h need no
// spread: an account that short has no snapshot yet and replays its whole
// history.
func studySpread(h int, intervals []int) int {
	spread, largest := 1, 0
	for _, n := range intervals {
		if n <= 0 || n > h {
			continue
		}
		largest = max(largest, n)
		if spread > 0 {
			spread = spread / gcd(spread, n) * n
			if spread > h {
				spread = 0
			}
		}
	}
	if spread == 0 {
		return largest
	}
	if largest == 0 {
		return 0
	}
	return spread
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func (e *Experiment) studyConfig(ctx context.Context, res *reports.Result, sys System, cfgName string, interval int,
	policy string, groups [][]uint64, all []uint64, lengths map[uint64]int, byHistory func(*workload.Op) string, sweep *reports.Sweep,
) (reports.LinearFit, error) {
	spec := e.Workload.Spec()
	sw := spec.Sweep
	params := map[string]string{"snapshot": policy, "codec": spec.Service.Codec, "config": cfgName}

	// Preload, split over the preload workers.
	workers := min(max(spec.Preload.Workers, 1), len(all))
	srcs := make([]*customerCounter, workers)
	for i := range srcs {
		var ids []uint64
		var ls []int
		for j := i; j < len(all); j += workers {
			ids = append(ids, all[j])
			ls = append(ls, lengths[all[j]])
		}
		p, err := e.Workload.PreloadHistories(ids, ls)
		if err != nil {
			return reports.LinearFit{}, err
		}
		srcs[i] = &customerCounter{p: p}
	}
	pcfg := e.config(sys, "preload "+cfgName, 0, 0)
	pcfg.Setup = true
	pcfg.Workers = workers
	pcfg.TargetFor = sys.Target
	pcfg.Source = func(i int) OpSource { return srcs[i] }
	pcfg.SeriesName = byHistory
	// With a bulk preloader each recorded operation is one batched append,
	// whose service time the cells' append p99 summarises (see bulkWorker).
	if err := bulkPreload(&pcfg, sys, srcs); err != nil {
		return reports.LinearFit{}, err
	}
	var events int64
	for _, l := range lengths {
		events += int64(l)
	}
	setPreloadProgress(&pcfg, srcs, events)
	pst, err := e.measure(ctx, res, pcfg, params)
	if err != nil || ctx.Err() != nil {
		return reports.LinearFit{}, err
	}

	// Warm pass: every customer once, not reported.
	lw := min(max(spec.Arrival.Workers, 1), len(all))
	wcfg := e.config(sys, "warm "+cfgName, 0, 0)
	wcfg.Setup = true
	wcfg.Workers = lw
	wcfg.TargetFor = sys.Target
	wcfg.Source = func(i int) OpSource { return newLoadSource(all, i, lw, 1) }
	wcfg.ExpectedOps = int64(len(all))
	wr, err := NewRunner(wcfg)
	if err != nil {
		return reports.LinearFit{}, err
	}
	if _, err := wr.Run(ctx); err != nil || ctx.Err() != nil {
		return reports.LinearFit{}, err
	}

	// Measured loads: Replays per history length, interleaved. The
	// preload's garbage is collected first, so that collecting it does not
	// land on whichever loads happen to run meanwhile: each cell's tail is
	// then the loads' own (their own allocation's GC share included).
	runtime.GC()
	order := interleave(groups, sw.Replays)
	mcfg := e.config(sys, cfgName, 0, spec.Duration)
	mcfg.Workers = lw
	mcfg.TargetFor = sys.Target
	mcfg.Source = func(i int) OpSource { return newLoadSource(order, i, lw, 1) }
	mcfg.SeriesName = byHistory
	mcfg.ExpectedOps = int64(len(order))
	mparams := map[string]string{"snapshot": policy, "codec": spec.Service.Codec, "config": cfgName, "phase": "load"}
	mst, err := e.measure(ctx, res, mcfg, mparams)
	if err != nil {
		return reports.LinearFit{}, err
	}

	var stor map[int]Storage
	if sr, ok := sys.(StorageReporter); ok {
		stor = map[int]Storage{}
		for i, h := range sw.Histories {
			ids := make([]string, len(groups[i]))
			for j, id := range groups[i] {
				ids[j] = workload.CustomerID(id)
			}
			s, err := sr.Storage(ctx, ids)
			if err != nil {
				return reports.LinearFit{}, fmt.Errorf("bench: measuring storage of %s: %w", cfgName, err)
			}
			stor[h] = s
		}
	}
	for _, h := range sw.Histories {
		name := "h" + strconv.Itoa(h)
		cell := reports.SweepCell{Interval: interval, History: h, Run: cfgName}
		if lat := mergedSeries(mst, name); lat != nil {
			ps := percentile.Values(lat, 50, 99, 99.9)
			cell.ReplayP50Ns, cell.ReplayP99Ns, cell.ReplayP999Ns = ps[0], ps[1], ps[2]
			cell.Loads = lat.TotalCount()
			lo, hi, ok := percentile.Interval(lat, 99, 1.96)
			cell.ReplayP99LowNs = lo
			if ok {
				cell.ReplayP99HighNs = hi
			}
		}
		if lat := mergedSeries(pst, name); lat != nil {
			cell.AppendP99Ns = percentile.Value(lat, 99)
		}
		if s, ok := stor[h]; ok && s.Streams > 0 {
			cell.BytesPerStrm = float64(s.EventBytes+s.SnapshotBytes) / float64(s.Streams)
			if s.EventBytes > 0 {
				cell.WriteAmplification = float64(s.EventBytes+s.SnapshotBytesWritten) / float64(s.EventBytes)
			}
		}
		sweep.Cells = append(sweep.Cells, cell)
	}
	if mst.Replay == nil {
		return reports.LinearFit{}, nil
	}
	return linearFit(mst.Replay.Fit), nil
}

// mergedSeries merges the service-time histograms of every outcome of one
// series name (nil when absent).
func mergedSeries(st *Stats, name string) *hdr.Histogram {
	var out *hdr.Histogram
	for _, s := range st.Series {
		if string(s.Kind) != name {
			continue
		}
		if out == nil {
			out = newDense()
		}
		out.Merge(s.Service)
	}
	return out
}

// interleave lists replays loads per group, round-robin over groups and
// over each group's customers.
func interleave(groups [][]uint64, replays int) []uint64 {
	var out []uint64
	for r := range replays {
		for _, g := range groups {
			out = append(out, g[r%len(g)])
		}
	}
	return out
}

// loadSource yields plain aggregate loads of its share of ids.
type loadSource struct {
	ids  []uint64
	next int
	step int
	seq  uint64
}

func newLoadSource(ids []uint64, worker, workers, _ int) *loadSource {
	return &loadSource{ids: ids, next: worker, step: workers}
}

// Next fills op with a load of the next customer.
func (s *loadSource) Next(op *workload.Op) bool {
	if s.next >= len(s.ids) {
		return false
	}
	id := s.ids[s.next]
	s.next += s.step
	*op = workload.Op{Kind: workload.OpLoad, Seq: s.seq, Customer: id, CustomerID: workload.CustomerID(id)}
	s.seq++
	return true
}

// waitStart sleeps until e.StartAt and records when the run began.
func (e *Experiment) waitStart(ctx context.Context, res *reports.Result) error {
	if d := time.Until(e.StartAt); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
	began := time.Now()
	st := &reports.StartAt{At: e.StartAt, Began: began, LateNs: int64(began.Sub(e.StartAt))}
	var est, maxErr time.Duration
	st.ClockKnown, st.ClockSynced, est, maxErr = clockState()
	st.ClockEstErrorNs, st.ClockMaxErrorNs = int64(est), int64(maxErr)
	res.StartAt = st
	return nil
}
