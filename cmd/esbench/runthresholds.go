package main

import (
	"fmt"

	"github.com/esbench/esbench/bench"
	"github.com/esbench/esbench/reports"
	"github.com/esbench/esbench/reports/compare"
	"github.com/esbench/esbench/target"
	"github.com/esbench/esbench/thresholds"
	"github.com/esbench/esbench/workload"
)

// exitThresholds is the exit code of a run (or comparison) that finished
// and wrote its results but failed a threshold: distinct from errors (1)
// and interrupts (130), the same code compare uses for a regression.
const exitThresholds = 3

// thresholdVocabulary is what a workload's thresholds may name before the
// run: every operation (the preload's appends included) and outcome class.
func thresholdVocabulary() compare.Vocabulary {
	var v compare.Vocabulary
	for _, k := range workload.OpKinds() {
		v.Ops = append(v.Ops, string(k))
	}
	v.Ops = append(v.Ops, string(bench.OpPreloadAppend))
	for _, o := range target.Outcomes() {
		v.Outcomes = append(v.Outcomes, o.String())
	}
	return v
}

// checkThresholds checks each of spec's thresholds names a metric a run can
// produce and writes its limit in that metric's unit, before any work starts.
func checkThresholds(name string, spec *workload.Spec) ([]thresholds.Threshold, error) {
	ths, err := thresholds.ParseAll(spec.Thresholds)
	if err != nil {
		return nil, fmt.Errorf("%s: thresholds: %w", name, err)
	}
	voc := thresholdVocabulary()
	check := func(field string, ts []thresholds.Threshold) error {
		for i, t := range ts {
			u, err := compare.MetricUnit(t.Metric, voc)
			if err == nil {
				err = t.CheckUnit(u)
			}
			if err != nil {
				return fmt.Errorf("%s: %s[%d]: %w", name, field, i, err)
			}
		}
		return nil
	}
	if err := check("thresholds", ths); err != nil {
		return nil, err
	}
	for i, a := range spec.AbortOnFail {
		t, err := thresholds.Parse(a.Threshold) // its syntax checked by the workload
		if err != nil {
			return nil, fmt.Errorf("%s: abort_on_fail[%d].threshold: %w", name, i, err)
		}
		u, err := compare.MetricUnit(t.Metric, voc)
		if err == nil {
			err = t.CheckUnit(u)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: abort_on_fail[%d].threshold: %w", name, i, err)
		}
	}
	if spec.Experiment == workload.ExperimentCapacity {
		slos, err := thresholds.ParseAll(spec.Capacity.SLOs)
		if err != nil {
			return nil, fmt.Errorf("%s: capacity.slos: %w", name, err)
		}
		if err := check("capacity.slos", slos); err != nil {
			return nil, err
		}
	}
	return ths, nil
}

// abortRules are the workload's abort_on_fail thresholds (checked by
// checkThresholds when the workload was loaded).
func abortRules(spec *workload.Spec) []bench.AbortRule {
	var rules []bench.AbortRule
	for _, a := range spec.AbortOnFail {
		if t, err := thresholds.Parse(a.Threshold); err == nil {
			rules = append(rules, bench.AbortRule{Threshold: t, Delay: a.DelayAbortEval})
		}
	}
	return rules
}

// endThresholds are the thresholds a run evaluates at its end: the
// workload's thresholds and its abort_on_fail ones.
func endThresholds(spec *workload.Spec) []thresholds.Threshold {
	ths, _ := thresholds.ParseAll(spec.Thresholds) // checked by resolveWorkload
	for _, r := range abortRules(spec) {
		ths = append(ths, r.Threshold)
	}
	return ths
}

// evaluateThresholds checks ths against the run's own result and records
// the outcome in it; it returns the failed thresholds' texts.
func evaluateThresholds(res *reports.Result, ths []thresholds.Threshold) ([]string, error) {
	if len(ths) == 0 {
		return nil, nil
	}
	rs, err := compare.EvaluateRun(res, ths)
	if err != nil {
		return nil, fmt.Errorf("evaluating thresholds: %w", err)
	}
	res.Thresholds = rs
	var failed []string
	for _, r := range rs {
		if r.Failed {
			failed = append(failed, r.Threshold)
		}
	}
	return failed, nil
}
