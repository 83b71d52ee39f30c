package bench

import (
	"cmp"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/esbench/esbench/workload"
)

// Histogram geometry: nanoseconds from 1 ns to one hour at three significant
// digits, so microsecond operations keep their precision and a stalled run
// still fits. Values above the range are clamped to it.
const (
	histLowest  = 1
	histHighest = int64(time.Hour)
	histSigFigs = 3
)

func newDense() *hdr.Histogram { return hdr.New(histLowest, histHighest, histSigFigs) }

// Per-worker interval histograms are sparse (PackedHistogram): a dense
// histogram of this geometry is ~270 KB, and there is one per worker ×
// operation × outcome × metric × buffer, which would not stay small.
func newPacked() *hdr.PackedHistogram { return hdr.NewPacked(histLowest, histHighest, histSigFigs) }

func clampNs(d time.Duration) int64 {
	switch {
	case d < 0:
		return 0
	case int64(d) > histHighest:
		return histHighest
	default:
		return int64(d)
	}
}

// The metrics recorded per operation and outcome.
const (
	// MetricCorrected is latency from the intended start time (corrected for
	// coordinated omission). In a closed loop it equals the service time.
	MetricCorrected = "corrected"
	// MetricService is latency from the actual start time.
	MetricService = "service"
	// MetricLag is actual minus intended start time (open loop only).
	MetricLag = "lag"
)

// seriesPair holds the two latency histograms of one operation and outcome.
type seriesPair struct {
	corrected, service *hdr.PackedHistogram
	late               int64
}

type opSlot struct {
	outcomes [numOutcomes]*seriesPair
}

// workerSet is one buffer of a worker's interval data; a worker records into
// its current set while the collector folds the other one.
type workerSet struct {
	ops    map[workload.OpKind]*opSlot
	lag    *hdr.PackedHistogram
	late   int64
	replay *replaySet
}

func newWorkerSet() *workerSet {
	return &workerSet{ops: make(map[workload.OpKind]*opSlot), lag: newPacked()}
}

// workerRecorder is owned by one worker. Its mutex is only ever contended by
// the collector, once per interval, to swap the buffers.
type workerRecorder struct {
	mu    sync.Mutex
	cur   *workerSet
	spare *workerSet

	// Progress counters, read by the progress display and never locked.
	// started-done is the worker's operation in flight (0 or 1).
	started atomic.Int64
	done    atomic.Int64
	errs    atomic.Int64
	// missed counts measured-period operations the schedule intended before
	// the end of the run that the worker never started (it was behind).
	missed atomic.Int64
	// generatorLate counts measured operations that started late although
	// the worker was free at their intended start (Stats.GeneratorLate).
	generatorLate atomic.Int64
	// finished is set when the worker has returned: nothing it has not
	// started will start (the live overdue count stops there).
	finished atomic.Bool
	_        [32]byte // keep neighbouring workers' counters off this cache line
}

func newWorkerRecorder() *workerRecorder {
	return &workerRecorder{cur: newWorkerSet(), spare: newWorkerSet()}
}

// sample is one operation's measurements.
type sample struct {
	kind      workload.OpKind
	outcome   Outcome
	corrected time.Duration
	service   time.Duration
	lag       time.Duration
	openLoop  bool
	late      bool
	loads     []Load
}

func (w *workerRecorder) record(s *sample) {
	w.mu.Lock()
	set := w.cur
	slot := set.ops[s.kind]
	if slot == nil {
		slot = &opSlot{}
		set.ops[s.kind] = slot
	}
	p := slot.outcomes[s.outcome]
	if p == nil {
		p = &seriesPair{corrected: newPacked(), service: newPacked()}
		slot.outcomes[s.outcome] = p
	}
	// Errors from RecordValue are impossible: values are clamped into range.
	_ = p.corrected.RecordValue(clampNs(s.corrected))
	_ = p.service.RecordValue(clampNs(s.service))
	if s.openLoop {
		_ = set.lag.RecordValue(clampNs(s.lag))
	}
	if s.late {
		p.late++
		set.late++
	}
	if len(s.loads) > 0 {
		if set.replay == nil {
			set.replay = newReplaySet()
		}
		for i := range s.loads {
			set.replay.add(&s.loads[i])
		}
	}
	w.mu.Unlock()
}

// swap hands the current buffer to the collector and starts a fresh one.
func (w *workerRecorder) swap() *workerSet {
	w.mu.Lock()
	full := w.cur
	w.cur, w.spare = w.spare, full
	w.mu.Unlock()
	return full
}

type seriesKey struct {
	kind    workload.OpKind
	outcome Outcome
}

// intervalPair is the merged interval histogram of one series.
type intervalPair struct {
	corrected, service *hdr.PackedHistogram
	late               int64
}

// Series is the cumulative measurement of one operation and outcome.
type Series struct {
	Kind      workload.OpKind
	Outcome   Outcome
	Corrected *hdr.Histogram
	Service   *hdr.Histogram
	// Late counts operations that started later than the late threshold.
	Late int64
}

// IntervalSink receives each interval's merged histograms, for example to
// write HdrHistogram interval logs. The histogram is reused after the call.
type IntervalSink interface {
	WriteInterval(metric, tag string, start, end time.Time, h *hdr.PackedHistogram) error
}

// collector folds the workers' interval buffers into interval and cumulative
// histograms. Only the runner's ticker goroutine uses it.
type collector struct {
	workers  []*workerRecorder
	interval map[seriesKey]*intervalPair
	lagIv    *hdr.PackedHistogram
	cum      map[seriesKey]*Series
	lagCum   *hdr.Histogram
	late     int64
	replay   *replayTotals
	sink     IntervalSink
	last     time.Time
	sinkErr  error
	keys     []seriesKey // reused to write intervals in a stable order
	live     *liveState  // nil without a LiveObserver
}

// liveState is the collector's side of a LiveObserver.
type liveState struct {
	obs       LiveObserver
	iv        LiveInterval // Run, OpenLoop and TargetRate set once
	measureAt time.Time
	phases    [numPhases]*hdr.PackedHistogram
	// due counts each open-loop worker's due arrivals on a copy of its
	// schedule (nil entries: a schedule that cannot be copied), from base,
	// for the overdue count; warmup, end and late are the run's.
	due               []*dueCounter
	base              time.Time
	warmup, end, late time.Duration
}

// dueCounter walks a copy of one worker's schedule up to the present:
// how many of its arrivals were intended by then, in all and in the
// measured period.
type dueCounter struct {
	sched         Schedule
	next          time.Duration
	ok            bool
	all, measured int64
}

// arrivalsCloner is a schedule that copies itself at its position
// (workload.Arrivals).
type arrivalsCloner interface {
	Clone() *workload.Arrivals
}

func newLiveState(obs LiveObserver, r *Runner, measureAt time.Time) *liveState {
	cfg := &r.cfg
	l := &liveState{obs: obs, measureAt: measureAt, base: r.base, warmup: r.warmup, end: r.end, late: r.late}
	l.iv.Run, l.iv.OpenLoop, l.iv.TargetRate, l.iv.Setup = cfg.Name, cfg.Schedule != nil, cfg.TargetRate, cfg.Setup
	for p := range l.phases {
		l.phases[p] = newPacked()
	}
	if cfg.Schedule != nil {
		// Copied before any worker draws from its schedule.
		l.due = make([]*dueCounter, cfg.Workers)
		for i := range l.due {
			if c, ok := cfg.Schedule(i).(arrivalsCloner); ok {
				d := &dueCounter{sched: c.Clone()}
				d.next, d.ok = d.sched.Next()
				l.due[i] = d
			}
		}
	}
	return l
}

// overdue counts the measured-period operations intended more than the
// late threshold before now that no worker has started: a stalled
// target's backlog, which no completed operation shows yet. Each worker
// starts its arrivals in order, so its overdue ones are its due arrivals
// beyond those it started.
func (l *liveState) overdue(workers []*workerRecorder, now time.Time) int64 {
	horizon := now.Sub(l.base) - l.late
	var n int64
	for i, d := range l.due {
		if d == nil || workers[i].finished.Load() {
			continue
		}
		for d.ok && d.next <= horizon && (l.end == 0 || d.next < l.end) {
			d.all++
			if d.next >= l.warmup {
				d.measured++
			}
			d.next, d.ok = d.sched.Next()
		}
		if behind := d.all - workers[i].started.Load(); behind > 0 {
			n += min(behind, d.measured)
		}
	}
	return n
}

func newCollector(workers []*workerRecorder, sink IntervalSink, start time.Time) *collector {
	return &collector{
		workers:  workers,
		interval: make(map[seriesKey]*intervalPair),
		lagIv:    newPacked(),
		cum:      make(map[seriesKey]*Series),
		lagCum:   newDense(),
		replay:   newReplayTotals(),
		sink:     sink,
		last:     start,
	}
}

// tick closes the interval ending now.
func (c *collector) tick(now time.Time) {
	for _, w := range c.workers {
		set := w.swap()
		c.fold(set)
	}
	c.flushInterval(c.last, now)
	c.last = now
}

func (c *collector) fold(set *workerSet) {
	for kind, slot := range set.ops {
		for o, p := range slot.outcomes {
			if p == nil || p.corrected.TotalCount() == 0 {
				continue
			}
			key := seriesKey{kind, Outcome(o)}
			iv := c.interval[key]
			if iv == nil {
				iv = &intervalPair{corrected: newPacked(), service: newPacked()}
				c.interval[key] = iv
			}
			iv.corrected.Merge(p.corrected)
			iv.service.Merge(p.service)
			cs := c.series(key)
			cs.Late += p.late
			iv.late += p.late
			p.corrected.Reset()
			p.service.Reset()
			p.late = 0
		}
	}
	c.lagIv.Merge(set.lag)
	set.lag.Reset()
	c.late += set.late
	set.late = 0
	if set.replay != nil {
		if c.live != nil && set.replay.loads > 0 {
			for p, h := range set.replay.phases {
				c.live.phases[p].Merge(h)
			}
		}
		c.replay.merge(set.replay)
		set.replay.reset()
	}
}

func (c *collector) series(key seriesKey) *Series {
	s := c.cum[key]
	if s == nil {
		s = &Series{Kind: key.kind, Outcome: key.outcome, Corrected: newDense(), Service: newDense()}
		c.cum[key] = s
	}
	return s
}

func (c *collector) flushInterval(start, end time.Time) {
	c.keys = c.keys[:0]
	for key, iv := range c.interval {
		if iv.corrected.TotalCount() > 0 {
			c.keys = append(c.keys, key)
		}
	}
	slices.SortFunc(c.keys, func(a, b seriesKey) int {
		return cmp.Or(cmp.Compare(a.kind, b.kind), cmp.Compare(a.outcome, b.outcome))
	})
	for _, key := range c.keys {
		iv := c.interval[key]
		cs := c.series(key)
		iv.corrected.MergeInto(cs.Corrected)
		iv.service.MergeInto(cs.Service)
		tag := string(key.kind) + "." + key.outcome.String()
		c.write(MetricCorrected, tag, start, end, iv.corrected)
		c.write(MetricService, tag, start, end, iv.service)
	}
	if c.lagIv.TotalCount() > 0 {
		c.lagIv.MergeInto(c.lagCum)
		c.write(MetricLag, "", start, end, c.lagIv)
	}
	if c.live != nil {
		c.observe(start, end)
	}
	for _, key := range c.keys {
		iv := c.interval[key]
		iv.corrected.Reset()
		iv.service.Reset()
		iv.late = 0
	}
	c.lagIv.Reset()
}

// observe hands the interval just closed to the live observer.
func (c *collector) observe(start, end time.Time) {
	l := c.live
	iv := &l.iv
	iv.Start, iv.End = start, end
	iv.Measuring = !end.Before(l.measureAt)
	iv.MeasureStart = l.measureAt
	iv.Series = iv.Series[:0]
	for _, key := range c.keys {
		p := c.interval[key]
		iv.Series = append(iv.Series, LiveSeries{Kind: key.kind, Outcome: key.outcome, Corrected: p.corrected, Service: p.service, Late: p.late})
	}
	iv.Lag = nil
	if iv.OpenLoop {
		iv.Lag = c.lagIv
	}
	iv.Phases = iv.Phases[:0]
	for p, h := range l.phases {
		if h.TotalCount() > 0 {
			iv.Phases = append(iv.Phases, LivePhase{Name: Phase(p).String(), H: h})
		}
	}
	iv.Started, iv.Completed, iv.Errors = 0, 0, 0
	for _, w := range c.workers {
		iv.Started += w.started.Load()
		iv.Completed += w.done.Load()
		iv.Errors += w.errs.Load()
	}
	iv.Overdue = l.overdue(c.workers, end)
	l.obs.ObserveInterval(iv)
	for _, h := range l.phases {
		h.Reset()
	}
}

func (c *collector) write(metric, tag string, start, end time.Time, h *hdr.PackedHistogram) {
	if c.sink == nil || c.sinkErr != nil {
		return
	}
	h.SetStartTimeMs(start.UnixMilli())
	h.SetEndTimeMs(end.UnixMilli())
	if err := c.sink.WriteInterval(metric, tag, start, end, h); err != nil {
		c.sinkErr = err
	}
}
