package bench

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"golang.org/x/sync/errgroup"

	"github.com/esbench/esbench/reports"
	"github.com/esbench/esbench/workload"
)

// Defaults for Config fields left at zero.
const (
	DefaultInterval      = time.Second
	DefaultLateThreshold = time.Millisecond
)

// wakerSlack is the wait below which an open-loop worker hands its wait to
// the shared waker rather than its own timer: at high rates one waker sleep
// serves several workers' starts, where a timer per worker would cost a
// wake-up each. Without the precise timer it is also how long before a start
// a worker stops sleeping on its Go timer, which wakes up to a millisecond
// late on Linux.
const wakerSlack = 1200 * time.Microsecond

// Config describes one measured run.
type Config struct {
	// Name labels the run in reports.
	Name string
	// Workers is the number of concurrent workers (at least 1).
	Workers int
	// Target executes the operations.
	Target Target
	// TargetFor, if set, gives each worker its own target (for targets that
	// keep per-worker state, such as a simulated clock); it overrides Target.
	TargetFor func(worker int) Target
	// Source returns worker i's operation stream.
	Source func(worker int) OpSource
	// Schedule returns worker i's arrival schedule. Nil makes the run closed
	// loop: each worker sends its next operation as soon as the previous one
	// finishes, and intended start equals actual start (no CO correction).
	Schedule func(worker int) Schedule
	// TargetRate is the total rate in ops/s the schedules aim at, reported
	// beside the achieved rate (0 when unknown or closed loop).
	TargetRate float64
	// Warmup is the initial period whose operations are executed but not
	// recorded (by intended start time).
	Warmup time.Duration
	// Duration is the measured period after warmup. Zero runs until every
	// source or schedule ends.
	Duration time.Duration
	// Interval is the histogram interval (default 1s).
	Interval time.Duration
	// LateThreshold is the start lag above which an operation counts as late
	// (default 1ms).
	LateThreshold time.Duration
	// GoTimers makes open-loop workers wait for intended starts on Go
	// timers, which wake up to a millisecond late on Linux, instead of the
	// precise timerfd wait (deadlineTimer): more start lag, for comparison.
	GoTimers bool
	// Classify maps a target error to an outcome when the target left
	// Response.Outcome unset (default ClassifyError).
	Classify func(error) Outcome
	// Sink, if set, receives every interval's histograms (.hlog writers).
	Sink IntervalSink
	// Live, if set, watches every interval as it closes (live metrics).
	Live LiveObserver
	// Setup marks a run that prepares the measurement (a preload, a warm
	// pass) rather than being it: its live intervals say so, and
	// abort_on_fail does not judge them.
	Setup bool
	// Log, if set, receives the run's start and end (info) and its failed
	// and fallback operations (warn), at most LogPerSecond of those a
	// second (default DefaultLogPerSecond).
	Log          *slog.Logger
	LogPerSecond int
	// Progress, if set, shows the warmup and measurement phases.
	Progress *Progress
	// SeriesName, if set, names the series an operation is recorded under
	// (default: its kind), for example to split loads by history length.
	SeriesName func(op *workload.Op) string
	// ExpectedOps, if known, is how many operations the run will execute;
	// progress then shows an ETA for runs bounded by their sources.
	ExpectedOps int64
	// Windows are spans of the run (fault windows) whose operations are
	// also reported apart, with the time the run took to recover after
	// each; RecoveryShare is the share of failed or fallback operations in
	// a second at or below which the run counts as recovered (default
	// reports.DefaultAlertShare).
	Windows       []Window
	RecoveryShare float64
	// OnStart, if set, is called with the run's start time (the origin of
	// window offsets) before any operation is sent.
	OnStart func(start time.Time)
	// ProgressCount and ProgressUnit, if set, make progress count something
	// else than operations (for example customers preloaded), with
	// ExpectedOps as its total. ProgressCount must be safe to call from
	// another goroutine.
	ProgressCount func() (done, errs int64)
	ProgressUnit  string
}

func (c *Config) validate() error {
	switch {
	case c.Workers < 1:
		return fmt.Errorf("bench: workers must be at least 1, got %d", c.Workers)
	case c.Target == nil && c.TargetFor == nil:
		return errors.New("bench: no target")
	case c.Source == nil:
		return errors.New("bench: no operation source")
	case c.Warmup < 0:
		return fmt.Errorf("bench: warmup must not be negative, got %s", c.Warmup)
	case c.Duration < 0:
		return fmt.Errorf("bench: duration must not be negative, got %s", c.Duration)
	case c.Interval < 0:
		return fmt.Errorf("bench: interval must not be negative, got %s", c.Interval)
	case c.ExpectedOps < 0:
		return fmt.Errorf("bench: expected operations must not be negative, got %d", c.ExpectedOps)
	case c.TargetRate < 0:
		return fmt.Errorf("bench: target rate must not be negative, got %g", c.TargetRate)
	}
	return nil
}

// Stats is the cumulative measurement of a run.
type Stats struct {
	Name       string
	OpenLoop   bool
	Workers    int
	TargetRate float64
	// Start is when the run began; MeasureStart = Start + Warmup; End is when
	// the last operation finished.
	Start, MeasureStart, End time.Time
	Warmup                   time.Duration
	// Measured is the wall time of the measured period.
	Measured      time.Duration
	LateThreshold time.Duration
	// Series holds one entry per operation and outcome, sorted.
	Series []*Series
	// Lag is the start-lag histogram (open loop only, else nil).
	Lag *hdr.Histogram
	// Late counts recorded operations whose start lag exceeded LateThreshold.
	Late int64
	// Executed counts every operation run, warmup included.
	Executed int64
	// GeneratorLate counts the Late operations whose worker had finished its
	// previous operation by their intended start: the target was not what
	// held them back, so their lag is the generator's own wake-up or
	// scheduling delay (a harness short of CPU, or a busy machine). Lag of
	// operations whose worker was still busy is the target's backlog.
	GeneratorLate int64
	// Missed counts operations the open-loop schedule intended inside the
	// measured period that were never started because their worker was still
	// behind when the run ended. They have no latency to record; a non-zero
	// count means the corrected percentiles understate the backlog.
	Missed int64
	// Replay is nil when no operation reported loads.
	Replay *ReplayStats
	// ErrorSamples holds, per outcome class, the first few distinct error
	// messages of measured operations (for a fallback: the store failure it
	// answered), at most MaxErrorSamples each.
	ErrorSamples  map[Outcome][]string
	windows       *windowSet
	recoveryShare float64
	// CPU is the user plus system CPU time this process used during the
	// measured period: the generator, recorder and progress, and with an
	// in-process target the service and its store as well.
	CPU time.Duration
	// Partial is set when the run was stopped before it finished.
	Partial       bool
	PartialReason string
}

// MaxErrorSamples is how many distinct error messages a run keeps per
// outcome class: enough to tell a timeout from a refused connection without
// keeping one string per failed operation.
const MaxErrorSamples = reports.MaxErrorSamples

// errorSampler keeps the first distinct error messages per outcome. The
// full flags keep the hot path lock-free once every class has its samples.
type errorSampler struct {
	full [numOutcomes]atomic.Bool
	mu   sync.Mutex
	msgs [numOutcomes][]string
}

func (e *errorSampler) offer(o Outcome, err error) {
	if o >= numOutcomes || e.full[o].Load() {
		return
	}
	msg := err.Error()
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.msgs[o]) >= MaxErrorSamples || slices.Contains(e.msgs[o], msg) {
		return
	}
	e.msgs[o] = append(e.msgs[o], msg)
	if len(e.msgs[o]) == MaxErrorSamples {
		e.full[o].Store(true)
	}
}

func (e *errorSampler) samples() map[Outcome][]string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out map[Outcome][]string
	for o, m := range e.msgs {
		if len(m) > 0 {
			if out == nil {
				out = map[Outcome][]string{}
			}
			out[Outcome(o)] = slices.Clone(m)
		}
	}
	return out
}

// Recorded returns the number of measured operations.
func (s *Stats) Recorded() int64 {
	var n int64
	for _, se := range s.Series {
		n += se.Corrected.TotalCount()
	}
	return n
}

// AchievedRate returns measured operations per second of measured time.
func (s *Stats) AchievedRate() float64 {
	if s.Measured <= 0 {
		return 0
	}
	return float64(s.Recorded()) / s.Measured.Seconds()
}

// Runner executes a Config. Its progress counters may be read while it runs.
type Runner struct {
	cfg     Config
	workers []*workerRecorder
	base    time.Time
	warmup  time.Duration
	end     time.Duration // run offset at which no new operation starts; 0 = none
	waker   *waker        // nil: closed loop, or Go timers only
	// cpuAtMeasure is the process CPU time (ns) when the measured period
	// began, set once by the tick loop.
	cpuAtMeasure atomic.Int64
	late         time.Duration
	samples      errorSampler
	windows      *windowSet
	fails        *failureLog
}

// NewRunner validates cfg and prepares a run.
func NewRunner(cfg Config) (*Runner, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.Interval == 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.LateThreshold <= 0 {
		cfg.LateThreshold = DefaultLateThreshold
	}
	if cfg.Classify == nil {
		cfg.Classify = ClassifyError
	}
	r := &Runner{cfg: cfg, warmup: cfg.Warmup, late: cfg.LateThreshold, windows: newWindowSet(cfg.Windows)}
	if cfg.Duration > 0 {
		r.end = cfg.Warmup + cfg.Duration
	}
	r.workers = make([]*workerRecorder, cfg.Workers)
	for i := range r.workers {
		r.workers[i] = newWorkerRecorder()
	}
	return r, nil
}

// Completed returns how many operations have finished so far (warmup
// included) and how many of them were errors. It reads atomic counters only.
func (r *Runner) Completed() (done, errs int64) {
	for _, w := range r.workers {
		done += w.done.Load()
		errs += w.errs.Load()
	}
	return done, errs
}

func (r *Runner) since() time.Duration { return time.Since(r.base) }

// Run executes the workload until its duration or sources end, or ctx is
// cancelled. On cancellation it still returns the measurements so far,
// marked partial, with a nil error. A Runner runs once.
func (r *Runner) Run(ctx context.Context) (*Stats, error) {
	if !r.base.IsZero() {
		return nil, errors.New("bench: runner already used")
	}
	r.base = time.Now()
	if r.warmup <= 0 {
		r.cpuAtMeasure.Store(int64(processCPU()))
	}
	if r.cfg.OnStart != nil {
		r.cfg.OnStart(r.base)
	}
	r.fails = newFailureLog(r.cfg.Log, r.cfg.Name, r.cfg.LogPerSecond)
	if l := r.cfg.Log; l != nil {
		l.LogAttrs(ctx, slog.LevelInfo, "run started", slog.String("run", r.cfg.Name), slog.Int("workers", r.cfg.Workers),
			slog.Float64("target_rate", r.cfg.TargetRate), slog.Duration("warmup", r.warmup), slog.Duration("duration", r.cfg.Duration))
	}
	col := newCollector(r.workers, r.cfg.Sink, r.base)
	if r.cfg.Live != nil {
		col.live = newLiveState(r.cfg.Live, r, r.base.Add(r.warmup))
	}
	phases := r.startProgress()

	stopTicks := make(chan struct{})
	ticksDone := make(chan struct{})
	go func() {
		defer close(ticksDone)
		r.tickLoop(col, phases, stopTicks)
	}()

	g, gctx := errgroup.WithContext(ctx)
	wakeCtx, stopWaker := context.WithCancel(gctx)
	wakerDone := make(chan struct{})
	if r.cfg.Schedule != nil && !r.cfg.GoTimers {
		r.waker = newWaker(r.base, len(r.workers))
		go func() {
			defer close(wakerDone)
			r.waker.run(wakeCtx)
		}()
	} else {
		close(wakerDone)
	}
	for i := range r.workers {
		g.Go(func() error { return r.work(gctx, i) })
	}
	werr := g.Wait()
	stopWaker()
	<-wakerDone
	endOffset := r.since()
	close(stopTicks)
	<-ticksDone
	col.tick(time.Now())
	phases.finish()

	st := r.stats(col, endOffset)
	r.fails.finish(ctx)
	if l := r.cfg.Log; l != nil {
		l.LogAttrs(ctx, slog.LevelInfo, "run finished", slog.String("run", r.cfg.Name), slog.Int64("recorded", st.Recorded()),
			slog.Float64("achieved_rate", st.AchievedRate()), slog.Int64("executed", st.Executed), slog.Int64("missed", st.Missed))
	}
	if err := ctx.Err(); err != nil {
		st.Partial = true
		st.PartialReason = "interrupted: " + context.Cause(ctx).Error()
	}
	switch {
	case werr != nil && !errors.Is(werr, context.Canceled):
		return st, werr
	case col.sinkErr != nil:
		return st, fmt.Errorf("bench: writing interval histograms: %w", col.sinkErr)
	}
	return st, nil
}

func (r *Runner) tickLoop(col *collector, ph *runPhases, stop <-chan struct{}) {
	t := time.NewTicker(r.cfg.Interval)
	defer t.Stop()
	var warm <-chan time.Time
	if r.warmup > 0 {
		wt := time.NewTimer(r.warmup - r.since())
		defer wt.Stop()
		warm = wt.C
	}
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			col.tick(now)
		case <-warm:
			warm = nil
			r.cpuAtMeasure.Store(int64(processCPU()))
			ph.measure()
		}
	}
}

func (r *Runner) work(ctx context.Context, id int) error {
	src := r.cfg.Source(id)
	if src == nil {
		return fmt.Errorf("bench: worker %d has no operation source", id)
	}
	var sched Schedule
	if r.cfg.Schedule != nil {
		if sched = r.cfg.Schedule(id); sched == nil {
			return fmt.Errorf("bench: worker %d has no schedule", id)
		}
	}
	target := r.cfg.Target
	if r.cfg.TargetFor != nil {
		if target = r.cfg.TargetFor(id); target == nil {
			return fmt.Errorf("bench: worker %d has no target", id)
		}
	}
	rec := r.workers[id]
	defer rec.finished.Store(true)
	var w waiter
	if sched != nil {
		w.init(ctx, r.base, r.waker)
		defer w.close()
	}
	var (
		op   workload.Op
		resp Response
		s    sample
	)
	s.openLoop = sched != nil
	// last is when the previous operation ended (before the first: the
	// run's start, when the worker is free): the loop's end check needs no
	// clock read of its own.
	var last time.Duration
	for ctx.Err() == nil {
		// In an open loop too: a target that cannot keep up must not stretch
		// the run; the shortfall shows in the achieved rate.
		if r.end > 0 && last >= r.end {
			if sched != nil {
				rec.missed.Add(r.countMissed(ctx, sched))
			}
			return nil
		}
		// The op is generated before waiting, so generation never adds lag.
		if !src.Next(&op) {
			return nil
		}
		var intended time.Duration
		if sched != nil {
			off, ok := sched.Next()
			if !ok || (r.end > 0 && off >= r.end) {
				return nil
			}
			if !w.waitUntil(ctx, off) {
				return nil
			}
			intended = off
		}
		start := r.since()
		if sched == nil {
			intended = start
		}
		resp.Reset()
		rec.started.Add(1)
		err := target.Do(ctx, &op, &resp)
		end := r.since()
		// The target was idle at the intended start if the previous
		// operation had ended by then: a late start is then the generator's.
		free := last <= intended
		last = end
		out := resp.Outcome
		if err != nil {
			if ctx.Err() != nil {
				// Cut short by the stop itself: not a measurement of the target.
				return nil
			}
			if out == OutcomeOK {
				out = r.cfg.Classify(err)
			}
		}
		rec.done.Add(1)
		if out.IsError() {
			rec.errs.Add(1)
		}
		r.windows.record(start, end-intended, out, cmp.Or(err, resp.Cause))
		if out != OutcomeOK && out != OutcomeDenied {
			r.fails.offer(ctx, &op, out, cmp.Or(err, resp.Cause))
		}
		if intended < r.warmup {
			continue
		}
		if out != OutcomeOK {
			if cause := cmp.Or(err, resp.Cause); cause != nil {
				r.samples.offer(out, cause)
			}
		}
		s.kind = op.Kind
		if r.cfg.SeriesName != nil {
			s.kind = workload.OpKind(r.cfg.SeriesName(&op))
		}
		s.outcome = out
		s.corrected = end - intended
		s.service = end - start
		s.lag = start - intended
		s.late = s.openLoop && s.lag > r.late
		if s.late && free {
			rec.generatorLate.Add(1)
		}
		s.loads = resp.Loads
		rec.record(&s)
	}
	return nil
}

// countMissed drains the rest of a worker's schedule when the run ends with
// the worker behind it: operations intended inside the measured period but
// never started would otherwise vanish from the results, hiding exactly the
// stall that coordinated-omission correction exists to show. The count
// takes time proportional to the rate (bounded by workload.MaxRate), so it
// stops, short, when ctx ends.
func (r *Runner) countMissed(ctx context.Context, sched Schedule) int64 {
	var n int64
	for i := 0; ; i++ {
		if i%4096 == 0 && ctx.Err() != nil {
			return n
		}
		off, ok := sched.Next()
		if !ok || off >= r.end {
			return n
		}
		if off >= r.warmup {
			n++
		}
	}
}

// waiter is one open-loop worker's wait for its intended starts: waits
// longer than wakerSlack on the worker's precise deadlineTimer where it is
// available, else on a Go timer until wakerSlack before the start; shorter
// waits through the shared waker. With Go timers only (no waker), all of it
// on a Go timer.
type waiter struct {
	base    time.Time
	precise *deadlineTimer
	timer   *time.Timer
	waker   *waker
	wake    chan struct{}
}

func (w *waiter) init(ctx context.Context, base time.Time, wk *waker) {
	w.base, w.waker = base, wk
	if wk != nil {
		w.wake = make(chan struct{}, 1)
		if t, err := newDeadlineTimer(ctx, base); err == nil {
			w.precise = t
			return
		}
	}
	w.timer = time.NewTimer(time.Hour)
	w.timer.Stop()
}

func (w *waiter) close() {
	if w.precise != nil {
		w.precise.close()
	}
	if w.timer != nil {
		w.timer.Stop()
	}
}

// waitUntil blocks until run offset off. It returns false if ctx ends first.
func (w *waiter) waitUntil(ctx context.Context, off time.Duration) bool {
	for {
		wait := off - time.Since(w.base)
		switch {
		case wait <= 0:
			return true
		case ctx.Err() != nil:
			return false
		case w.waker != nil && wait <= wakerSlack:
			w.waker.in <- wakeRequest{off: off, ch: w.wake}
			select {
			case <-w.wake:
				return true
			case <-ctx.Done():
				return false
			}
		case w.precise != nil:
			if !w.precise.waitUntil(off) && ctx.Err() == nil {
				// The timer failed (it does not, short of running out of
				// file descriptors): go on with Go timers and the waker.
				w.precise.close()
				w.precise = nil
				w.timer = time.NewTimer(time.Hour)
				w.timer.Stop()
			}
		default:
			if w.waker != nil {
				wait -= wakerSlack
			}
			w.timer.Reset(wait)
			select {
			case <-w.timer.C:
			case <-ctx.Done():
				w.timer.Stop()
				return false
			}
		}
	}
}

func (r *Runner) stats(col *collector, endOffset time.Duration) *Stats {
	st := &Stats{
		Name:          r.cfg.Name,
		OpenLoop:      r.cfg.Schedule != nil,
		Workers:       r.cfg.Workers,
		TargetRate:    r.cfg.TargetRate,
		Start:         r.base,
		MeasureStart:  r.base.Add(r.warmup),
		End:           r.base.Add(endOffset),
		Warmup:        r.warmup,
		LateThreshold: r.late,
		Late:          col.late,
		Replay:        col.replay.stats(),
		ErrorSamples:  r.samples.samples(),
		windows:       r.windows,
		recoveryShare: cmp.Or(r.cfg.RecoveryShare, reports.DefaultAlertShare),
	}
	if endOffset > r.warmup {
		st.Measured = endOffset - r.warmup
		if at := r.cpuAtMeasure.Load(); at > 0 {
			st.CPU = processCPU() - time.Duration(at)
		}
	}
	if st.OpenLoop {
		st.Lag = col.lagCum
	}
	st.Executed, _ = r.Completed()
	for _, w := range r.workers {
		st.Missed += w.missed.Load()
		st.GeneratorLate += w.generatorLate.Load()
	}
	for _, s := range col.cum {
		if s.Corrected.TotalCount() > 0 {
			st.Series = append(st.Series, s)
		}
	}
	slices.SortFunc(st.Series, func(a, b *Series) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Outcome, b.Outcome))
	})
	return st
}
