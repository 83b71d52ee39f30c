package bench

import (
	"context"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/esbench/esbench/reports"
	"github.com/esbench/esbench/reports/compare"
	"github.com/esbench/esbench/reports/percentile"
	"github.com/esbench/esbench/target"
	"github.com/esbench/esbench/thresholds"
)

// Reasons a capacity search stops.
const (
	capacityResolved = "resolution reached"
	capacityAtMax    = "every SLO held up to capacity.max_rate"
	capacitySteps    = "capacity.max_steps reached"
	capacityFloor    = "no rate down to capacity.min_rate met every SLO"
)

// capacity searches for the highest open-loop arrival rate at which every
// SLO holds: starting at arrival.rate it multiplies the rate by growth while
// the SLOs hold, then bisects between the last passing and the first failing
// rate until they are within resolution of each other. Every step is a run
// of its own (warmup, then at least duration and min_operations), on one
// preloaded system, so its full histograms stay in the result. See
// docs/capacity.md.
func (e *Experiment) capacity(ctx context.Context, res *reports.Result) error {
	spec := e.Workload.Spec()
	c := spec.Capacity
	slos, err := thresholds.ParseAll(c.SLOs)
	if err != nil {
		return fmt.Errorf("bench: capacity.slos: %w", err)
	}
	sys, err := e.open(ctx, SystemConfig{Name: spec.Name, Snapshot: spec.Service.Snapshot, Codec: spec.Service.Codec, Start: spec.Start})
	if err != nil {
		return err
	}
	// sys becomes the frozen fork below: the one open then is closed.
	defer func() { _ = sys.Close() }()
	params := map[string]string{"snapshot": spec.Service.Snapshot, "codec": spec.Service.Codec}
	if e.Dataset != "" {
		res.Preload = &reports.Preload{Method: "dataset", Dataset: e.Dataset}
	} else if spec.Preload.Enabled {
		if err := e.preload(ctx, res, sys, "preload", params); err != nil || ctx.Err() != nil {
			return err
		}
	}
	workers := spec.Arrival.Workers
	streams := func() ([]OpSource, error) {
		srcs := make([]OpSource, workers)
		for i := range srcs {
			st, err := e.Workload.NewStream(i, workers, 0)
			if err != nil {
				return nil, err
			}
			srcs[i] = st
		}
		return srcs, nil
	}
	srcs, err := streams()
	if err != nil {
		return err
	}
	base := e.Workload.Schedule()
	if base == nil {
		return fmt.Errorf("bench: the capacity experiment needs open-loop arrival")
	}
	out := &reports.Capacity{SLOs: c.SLOs, MaxRate: c.MaxRate, MinRate: c.MinRate, Growth: c.Growth, Resolution: c.Resolution,
		StepState: reports.CapacityCumulative}
	// Every step on a fork of the preloaded system where the store can
	// fork: each starts from the state a fixed-rate run on a fresh preload
	// starts from, with the same operation streams, so that the step and a
	// run confirming it measure the same thing (docs/design.md).
	//
	// The steps fork a frozen fork of the preloaded system, and the system
	// itself is closed: nothing compacts the preload's tables but each
	// step's own store, as in a fixed-rate run.
	var fk target.Forker
	if f, ok := sys.(target.Forker); ok && f.CanFork() {
		tmpl, err := f.Fork(ctx, true)
		if err != nil {
			return fmt.Errorf("bench: capacity: forking the preloaded system: %w", err)
		}
		if err := sys.Close(); err != nil {
			_ = tmpl.Close()
			return fmt.Errorf("bench: capacity: closing the preloaded system: %w", err)
		}
		sys = tmpl
		fk = tmpl.(target.Forker)
		out.StepState = reports.CapacityForked
	}
	forked := fk != nil
	res.Capacity = out

	step := func(rate float64, phase string) (passed bool, err error) {
		n := len(out.Steps) + 1
		dur := spec.Duration
		if need := time.Duration(float64(c.MinOperations) / rate * float64(time.Second)); need > dur {
			dur = need
		}
		warm := spec.Warmup
		stepSys, stepSrcs := sys, srcs
		if forked {
			// Each step is a freshly preloaded system: each settles.
			warm += c.Settle
			f, err := fk.Fork(ctx, false)
			if err != nil {
				return false, fmt.Errorf("bench: capacity step %d: %w", n, err)
			}
			defer func() {
				if cerr := f.Close(); cerr != nil && err == nil {
					err = fmt.Errorf("bench: capacity step %d: closing its fork: %w", n, cerr)
				}
			}()
			if stepSrcs, err = streams(); err != nil {
				return false, err
			}
			stepSys = f
		} else if n == 1 {
			warm += c.Settle
		}
		cfg := e.config(stepSys, fmt.Sprintf("%s.step%02d", spec.Name, n), warm, dur)
		cfg.Workers = workers
		cfg.TargetFor = stepSys.Target
		cfg.Source = func(i int) OpSource { return stepSrcs[i] }
		sched := base.AtRate(rate, warm+dur, uint64(n))
		arr := make([]Schedule, workers)
		for i := range arr {
			a, err := sched.Arrivals(i, workers)
			if err != nil {
				return false, err
			}
			arr[i] = a
		}
		cfg.Schedule = func(i int) Schedule { return arr[i] }
		cfg.TargetRate = rate
		p := maps.Clone(params)
		p["target_rate"] = strconv.FormatFloat(rate, 'f', -1, 64)
		p["capacity_phase"] = phase
		st, err := e.measure(ctx, res, cfg, p)
		if err != nil || ctx.Err() != nil || st == nil {
			return false, err
		}
		run := &res.Runs[len(res.Runs)-1]
		setOpTargets(run, &spec.Mix, rate)
		s := evaluateStep(run, st, slos)
		s.Phase = phase
		out.Steps = append(out.Steps, s)
		return s.Passed, nil
	}

	var lo, hi float64 // highest passing and lowest failing rate
	// An interrupt or an abort_on_fail rule ends the search early: the
	// steps measured so far still give a (partial) verdict.
	stopped := func() bool {
		if ctx.Err() != nil && out.Stopped == "" {
			out.Stopped = "stopped early: " + context.Cause(ctx).Error()
		}
		return out.Stopped != ""
	}
	rate := spec.Arrival.Rate
	for len(out.Steps) < c.MaxSteps {
		rate = min(rate, c.MaxRate)
		ok, err := step(rate, "step")
		if err != nil && ctx.Err() == nil {
			return err
		}
		if stopped() {
			break
		}
		if !ok {
			hi = rate
			break
		}
		lo = rate
		if rate >= c.MaxRate {
			out.Stopped = capacityAtMax
			break
		}
		rate *= c.Growth
	}
	// The starting rate already failed: step down the same way, no lower
	// than min_rate, so every step stays bounded in time.
	for !stopped() && lo == 0 && hi > 0 && len(out.Steps) < c.MaxSteps {
		rate = hi / c.Growth
		if rate < c.MinRate {
			out.Stopped = capacityFloor
			break
		}
		ok, err := step(rate, "step down")
		if err != nil && ctx.Err() == nil {
			return err
		}
		if stopped() {
			break
		}
		if ok {
			lo = rate
		} else {
			hi = rate
		}
	}
	for !stopped() && lo > 0 && hi > 0 && len(out.Steps) < c.MaxSteps && hi-lo > c.Resolution*lo {
		mid := (lo + hi) / 2
		ok, err := step(mid, "bisect")
		if err != nil && ctx.Err() == nil {
			return err
		}
		if stopped() {
			break
		}
		if ok {
			lo = mid
		} else {
			hi = mid
		}
	}
	switch {
	case out.Stopped != "":
	case hi > 0 && lo > 0 && hi-lo <= c.Resolution*lo:
		out.Stopped = capacityResolved
	default:
		out.Stopped = capacitySteps
	}
	out.SustainableRate, out.FirstFailingRate = lo, hi
	for _, s := range out.Steps {
		switch s.TargetRate {
		case lo:
			out.SustainableAchieved = s.AchievedRate
		case hi:
			out.FailedSLOs = s.Failed
		}
	}
	return nil
}

// evaluateStep summarises one step and holds it to the SLOs. An SLO on a
// metric the step did not produce fails ("no measurements"), except one
// on a single outcome (acquire.unavailable.p99): no such operation is no
// breach.
func evaluateStep(run *reports.Run, st *Stats, slos []thresholds.Threshold) reports.CapacityStep {
	s := reports.CapacityStep{Run: run.Name, TargetRate: run.TargetRate, AchievedRate: run.AchievedRate}
	all := newDense()
	for _, se := range st.Series {
		all.Merge(se.Corrected)
	}
	ps := percentile.Values(all, 50, 99)
	s.P50Ns, s.P99Ns = ps[0], ps[1]
	metrics := compare.Metrics(&reports.Result{Runs: []reports.Run{*run}}, nil)
	s.ErrorShare = metrics["error_share"].Value
	s.FallbackShare = metrics["fallback_share"].Value
	s.LateShare = metrics["late_share"].Value
	for _, t := range slos {
		m, ok := metrics[t.Metric]
		switch {
		case !ok && outcomeMetric(t.Metric):
		case !ok:
			s.Failed = append(s.Failed, t.Text+" (no measurements)")
		case !t.Holds(m.Value):
			s.Failed = append(s.Failed, fmt.Sprintf("%s (was %s)", t.Text, formatMetric(m)))
		}
	}
	s.Passed = len(s.Failed) == 0
	return s
}

// outcomeMetric reports whether name is one outcome's latency
// (OP.OUTCOME.STAT, not OP.service.STAT or phase.PHASE.STAT).
func outcomeMetric(name string) bool {
	parts := strings.Split(name, ".")
	return len(parts) == 3 && parts[1] != "service" && parts[0] != "phase"
}

func formatMetric(m thresholds.Metric) string {
	switch m.Unit {
	case thresholds.UnitNs:
		return reports.FormatNs(int64(m.Value))
	case thresholds.UnitFraction:
		return fmt.Sprintf("%.3g%%", 100*m.Value)
	}
	return strconv.FormatFloat(m.Value, 'g', 4, 64)
}
