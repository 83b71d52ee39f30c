package bench

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"sync"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/esbench/esbench/reports"
	"github.com/esbench/esbench/reports/compare"
	"github.com/esbench/esbench/reports/percentile"
	"github.com/esbench/esbench/thresholds"
	"github.com/esbench/esbench/workload"
)

// AbortRule is a threshold that stops a run as soon as it fails (k6's
// abortOnFail), evaluated on the figures measured so far once Delay of
// the measured period has passed (k6's delayAbortEval): before that the
// few operations measured say little.
type AbortRule struct {
	Threshold thresholds.Threshold
	Delay     time.Duration
}

// Abort says which rule stopped a run, when and on what value.
type Abort struct {
	Rule AbortRule
	// After is the measured time when the rule failed.
	After time.Duration
	// Metric is the value that failed the rule.
	Metric thresholds.Metric
}

func (a *Abort) Error() string {
	return fmt.Sprintf("threshold %q (abort_on_fail) failed %s into the measured period: %s was %s",
		a.Rule.Threshold.Text, a.After.Round(time.Millisecond), a.Rule.Threshold.Metric, formatMetric(a.Metric))
}

// Aborter watches a run's intervals (it is a LiveObserver), keeps the
// measured period's histograms and counts so far, and calls stop once with
// the first rule that fails. The metrics are those of the result
// (compare.Metrics) computed on everything measured up to the interval
// just closed.
type Aborter struct {
	rules []AbortRule
	stop  func(*Abort)

	mu       sync.Mutex
	run      string
	start    time.Time
	series   map[seriesKey]*abortSeries
	phases   map[string]*hdr.Histogram // replay phases (loads)
	late     int64
	recorded int64
	// overdue is the latest interval's overdue count (LiveInterval.Overdue).
	overdue int64
	fired   *Abort
}

type abortSeries struct {
	corrected, service *hdr.Histogram
}

// NewAborter returns an Aborter for rules that calls stop (once) when one
// fails; every rule must be an absolute threshold.
func NewAborter(rules []AbortRule, stop func(*Abort)) *Aborter {
	return &Aborter{rules: rules, stop: stop, series: map[seriesKey]*abortSeries{}, phases: map[string]*hdr.Histogram{}}
}

// Fired is the abort that stopped the run, or nil.
func (a *Aborter) Fired() *Abort {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.fired
}

// ObserveInterval folds the interval into the measured totals and checks
// the rules whose delay has passed. Every measured run of any experiment
// is judged on its own (a mixed run, a capacity step, a replay or sweep
// configuration's loads); runs that only prepare one (preloads, warm
// passes) are not.
func (a *Aborter) ObserveInterval(iv *LiveInterval) {
	if !iv.Measuring || iv.Setup {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.fired != nil {
		return
	}
	if iv.Run != a.run {
		// A new run (another step or configuration) starts from nothing.
		a.run, a.start = iv.Run, iv.MeasureStart
		a.series = map[seriesKey]*abortSeries{}
		a.phases = map[string]*hdr.Histogram{}
		a.late, a.recorded = 0, 0
	}
	for _, p := range iv.Phases {
		h := a.phases[p.Name]
		if h == nil {
			h = newHist()
			a.phases[p.Name] = h
		}
		p.H.MergeInto(h)
	}
	a.overdue = iv.Overdue
	for _, s := range iv.Series {
		k := seriesKey{s.Kind, s.Outcome}
		as := a.series[k]
		if as == nil {
			as = &abortSeries{corrected: newHist(), service: newHist()}
			a.series[k] = as
		}
		if s.Corrected != nil {
			s.Corrected.MergeInto(as.corrected)
			a.recorded += s.Corrected.TotalCount()
		}
		if s.Service != nil {
			s.Service.MergeInto(as.service)
		}
		a.late += s.Late
	}
	elapsed := iv.End.Sub(a.start)
	var due []AbortRule
	for _, r := range a.rules {
		if elapsed >= r.Delay {
			due = append(due, r)
		}
	}
	if len(due) == 0 || a.recorded+a.overdue == 0 {
		return
	}
	metrics := compare.Metrics(&reports.Result{Runs: []reports.Run{a.snapshot(elapsed)}}, nil)
	for _, r := range due {
		m, ok := metrics[r.Threshold.Metric]
		if !ok {
			// Not measured yet (an outcome that has not occurred): the
			// end-of-run evaluation decides.
			continue
		}
		if !r.Threshold.Holds(m.Value) {
			a.fired = &Abort{Rule: r, After: elapsed, Metric: m}
			a.stop(a.fired)
			return
		}
	}
}

// snapshot is the measured period so far as a result run.
func (a *Aborter) snapshot(elapsed time.Duration) reports.Run {
	byOp := map[workload.OpKind][]seriesKey{}
	for k := range a.series {
		byOp[k.kind] = append(byOp[k.kind], k)
	}
	ops := make([]workload.OpKind, 0, len(byOp))
	for op := range byOp {
		ops = append(ops, op)
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i] < ops[j] })
	// The overdue operations count as the result counts the never-started
	// ones: late, and in late_share's denominator.
	run := reports.Run{Name: a.run, MeasuredNs: int64(elapsed), Late: a.late, Recorded: a.recorded, Missed: a.overdue}
	secs := elapsed.Seconds()
	for _, op := range ops {
		keys := byOp[op]
		sort.Slice(keys, func(i, j int) bool { return keys[i].outcome < keys[j].outcome })
		corr, serv := newHist(), newHist()
		st := reports.OpStats{Op: string(op)}
		for _, k := range keys {
			s := a.series[k]
			corr.Merge(s.corrected)
			serv.Merge(s.service)
			n := s.corrected.TotalCount()
			st.Outcomes = append(st.Outcomes, reports.OutcomeStats{Outcome: k.outcome.String(), Error: k.outcome.IsError(),
				Count: n, Corrected: quickLatency(s.corrected), Service: quickLatency(s.service)})
			if k.outcome.IsError() {
				run.Errors += n
			}
		}
		st.Count = corr.TotalCount()
		if secs > 0 {
			st.Rate = float64(st.Count) / secs
		}
		st.Corrected, st.Service = quickLatency(corr), quickLatency(serv)
		run.Operations = append(run.Operations, st)
	}
	if len(a.phases) > 0 {
		// The loads' phases so far, for replay.* and phase.* thresholds.
		rp := &reports.ReplayReport{}
		for _, name := range slices.Sorted(maps.Keys(a.phases)) {
			h := a.phases[name]
			rp.Phases = append(rp.Phases, reports.PhaseStats{Phase: name, Latency: quickLatency(h)})
			if name == "total" {
				rp.Loads = h.TotalCount()
			}
		}
		run.Replay = rp
	}
	return run
}

// quickLatency summarises h with the result's percentile rule, without
// encoding the histogram (a running check needs the figures only).
func quickLatency(h *hdr.Histogram) reports.Latency {
	if h.TotalCount() == 0 {
		return reports.Latency{}
	}
	ps := percentile.Values(h, 50, 90, 99, 99.9, 99.99)
	return reports.Latency{Count: h.TotalCount(), MinNs: h.Min(), MeanNs: h.Mean(), StdDevNs: h.StdDev(),
		P50Ns: ps[0], P90Ns: ps[1], P99Ns: ps[2], P999Ns: ps[3], P9999Ns: ps[4], MaxNs: h.Max()}
}

func newHist() *hdr.Histogram { return hdr.New(histLowest, histHighest, histSigFigs) }

// Observers fans every interval out to several observers, in order.
type Observers []LiveObserver

// ObserveInterval passes iv to each observer.
func (obs Observers) ObserveInterval(iv *LiveInterval) {
	for _, o := range obs {
		o.ObserveInterval(iv)
	}
}
