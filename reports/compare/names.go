package compare

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/esbench/esbench/reports"
	"github.com/esbench/esbench/thresholds"
)

// Vocabulary is what a workload can name in a threshold before it runs:
// its operations and the outcome classes the runner tells apart.
type Vocabulary struct {
	Ops      []string
	Outcomes []string
}

// runShares are the run-wide shares of measured operations.
var runShares = []string{"error_share", "fallback_share", "late_share"}

// replayPhases are the phase names of a result's replay report.
var replayPhases = []string{"snapshot_read", "event_read", "decode", "apply", "total"}

var sweepStats = map[string]thresholds.Unit{
	"replay_p50": thresholds.UnitNs, "replay_p99": thresholds.UnitNs, "replay_p999": thresholds.UnitNs,
	"append_p99": thresholds.UnitNs, "bytes_per_stream": thresholds.UnitBytes, "write_amp": thresholds.UnitRatio,
}

var (
	runPrefixRe = regexp.MustCompile(`^run\[[^\]]+\]\.`)
	sweepRe     = regexp.MustCompile(`^sweep\[history=\d+,interval=[^\]]+\]\.(.+)$`)
)

// MetricUnit checks that name is a metric Metrics can produce for a
// workload with vocabulary v (see Metrics for the grammar) and returns its
// unit, so a threshold can be checked before the run that measures it.
func MetricUnit(name string, v Vocabulary) (thresholds.Unit, error) {
	rest := runPrefixRe.ReplaceAllString(name, "")
	if m := sweepRe.FindStringSubmatch(rest); m != nil {
		if u, ok := sweepStats[m[1]]; ok {
			return u, nil
		}
		return 0, fmt.Errorf("%w: %q: a sweep cell's metric is one of %s", thresholds.ErrUnknownMetric, name, strings.Join(sortedKeys(sweepStats), ", "))
	}
	if slices.Contains(runShares, rest) {
		return thresholds.UnitFraction, nil
	}
	parts := strings.Split(rest, ".")
	stat := parts[len(parts)-1]
	isLat := slices.Contains(latencyStats, stat)
	bad := func(want string) (thresholds.Unit, error) {
		return 0, fmt.Errorf("%w: %q: want %s", thresholds.ErrUnknownMetric, name, want)
	}
	switch {
	case len(parts) == 2 && parts[0] == "replay":
		if isLat {
			return thresholds.UnitNs, nil
		}
		return bad("replay.STAT with STAT one of " + strings.Join(latencyStats, ", "))
	case len(parts) == 3 && parts[0] == "phase":
		if !slices.Contains(replayPhases, parts[1]) {
			return bad("phase.PHASE.STAT with PHASE one of " + strings.Join(replayPhases, ", "))
		}
		if isLat {
			return thresholds.UnitNs, nil
		}
		return bad("phase.PHASE.STAT with STAT one of " + strings.Join(latencyStats, ", "))
	}
	if len(parts) < 2 || len(parts) > 3 || !slices.Contains(v.Ops, parts[0]) {
		return bad("OP.STAT, OP.service.STAT, OP.OUTCOME.STAT or OP.error_rate|throughput|count with OP one of " +
			strings.Join(v.Ops, ", ") + " (or replay.STAT, phase.PHASE.STAT, " + strings.Join(runShares, ", ") + ")")
	}
	if len(parts) == 3 {
		if parts[1] != "service" && !slices.Contains(v.Outcomes, parts[1]) {
			return bad("OP.service.STAT or OP.OUTCOME.STAT with OUTCOME one of " + strings.Join(v.Outcomes, ", "))
		}
		if isLat {
			return thresholds.UnitNs, nil
		}
		return bad("a latency statistic after " + parts[0] + "." + parts[1] + ": one of " + strings.Join(latencyStats, ", "))
	}
	switch {
	case isLat:
		return thresholds.UnitNs, nil
	case stat == "error_rate":
		return thresholds.UnitFraction, nil
	case stat == "throughput":
		return thresholds.UnitRate, nil
	case stat == "count":
		return thresholds.UnitCount, nil
	}
	return bad("OP.STAT with STAT one of " + strings.Join(latencyStats, ", ") + ", error_rate, throughput, count")
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// EvaluateRun checks the absolute thresholds ths against res's own
// figures, as run does at the end of a run: a threshold whose metric the
// run lacks (an outcome that never occurred) gets "no data", a relative one
// "compare only"; neither fails. Evaluation errors (a limit that does not
// fit its metric's unit) are returned joined.
func EvaluateRun(res *reports.Result, ths []thresholds.Threshold) ([]reports.ThresholdResult, error) {
	metrics := Metrics(res, nil)
	var out []reports.ThresholdResult
	var errs []error
	for _, t := range ths {
		r := reports.ThresholdResult{Threshold: t.Text, Metric: t.Metric}
		m, ok := metrics[t.Metric]
		switch {
		case t.Relative:
			r.Verdict = reports.ThresholdCompareOnly
		case !ok:
			r.Verdict = reports.ThresholdNoData
		default:
			checks, err := thresholds.Evaluate([]thresholds.Threshold{t}, nil, metrics, thresholds.Options{})
			if err != nil {
				errs = append(errs, err)
				continue
			}
			v := m.Value
			r.Value = &v
			r.Unit = unitName(m.Unit)
			r.Failed = checks[0].Failed
			r.Verdict = reports.ThresholdPass
			if r.Failed {
				r.Verdict = reports.ThresholdFail
			}
		}
		out = append(out, r)
	}
	return out, errors.Join(errs...)
}

func unitName(u thresholds.Unit) string {
	switch u {
	case thresholds.UnitNs:
		return "ns"
	case thresholds.UnitFraction:
		return "fraction"
	case thresholds.UnitRate:
		return "ops/s"
	case thresholds.UnitCount:
		return "count"
	case thresholds.UnitBytes:
		return "bytes"
	}
	return "ratio"
}
