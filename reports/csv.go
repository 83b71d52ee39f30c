package reports

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
)

// opsCSVHeader is the header row of ops.csv. Each row is one run, operation,
// outcome ("all" for every outcome merged) and latency kind ("corrected" or
// "service").
var opsCSVHeader = []string{"run", "op", "outcome", "error", "metric", "count", "rate",
	"min_ns", "mean_ns", "stddev_ns", "p50_ns", "p90_ns", "p99_ns", "p999_ns", "p9999_ns", "max_ns"}

// sweepCSVHeader is the header row of sweep.csv, one row per cell.
var sweepCSVHeader = []string{"history", "interval", "run", "replay_p50_ns", "replay_p99_ns", "replay_p999_ns",
	"append_p99_ns", "bytes_per_stream", "write_amplification", "recommended"}

// WriteOpsCSV writes ops.csv: a header, then per run, operation and
// outcome (the merged "all" first) a row for corrected latency and one for
// service time.
func WriteOpsCSV(w io.Writer, r *Result) error {
	cw := csv.NewWriter(w)
	_ = cw.Write(opsCSVHeader)
	ff := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	row := func(run, op, outcome string, isErr bool, metric string, count int64, rate float64, l Latency) {
		_ = cw.Write([]string{run, op, outcome, strconv.FormatBool(isErr), metric,
			strconv.FormatInt(count, 10), ff(rate),
			strconv.FormatInt(l.MinNs, 10), ff(l.MeanNs), ff(l.StdDevNs),
			strconv.FormatInt(l.P50Ns, 10), strconv.FormatInt(l.P90Ns, 10), strconv.FormatInt(l.P99Ns, 10),
			strconv.FormatInt(l.P999Ns, 10), strconv.FormatInt(l.P9999Ns, 10), strconv.FormatInt(l.MaxNs, 10)})
	}
	for _, run := range r.Runs {
		secs := float64(run.MeasuredNs) / 1e9
		for _, op := range run.Operations {
			row(run.Name, op.Op, "all", false, "corrected", op.Count, op.Rate, op.Corrected)
			row(run.Name, op.Op, "all", false, "service", op.Count, op.Rate, op.Service)
			for _, oc := range op.Outcomes {
				rate := 0.0
				if secs > 0 {
					rate = float64(oc.Count) / secs
				}
				row(run.Name, op.Op, oc.Outcome, oc.Error, "corrected", oc.Count, rate, oc.Corrected)
				row(run.Name, op.Op, oc.Outcome, oc.Error, "service", oc.Count, rate, oc.Service)
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("reports: writing %s: %w", OpsCSVFile, err)
	}
	return nil
}

// WriteSweepCSV writes sweep.csv: a header, then one row per sweep cell
// (none when the result has no sweep). The interval is "none" for no
// snapshots; recommended marks the interval recommended for its history.
func WriteSweepCSV(w io.Writer, r *Result) error {
	cw := csv.NewWriter(w)
	_ = cw.Write(sweepCSVHeader)
	if s := r.Sweep; s != nil {
		rec := map[[2]int]bool{}
		for _, rc := range s.Recommendations {
			if rc.Met {
				rec[[2]int{rc.History, rc.Interval}] = true
			}
		}
		ff := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
		for _, c := range s.Cells {
			_ = cw.Write([]string{strconv.Itoa(c.History), IntervalName(c.Interval), c.Run,
				strconv.FormatInt(c.ReplayP50Ns, 10), strconv.FormatInt(c.ReplayP99Ns, 10), strconv.FormatInt(c.ReplayP999Ns, 10),
				strconv.FormatInt(c.AppendP99Ns, 10), ff(c.BytesPerStrm), ff(c.WriteAmplification),
				strconv.FormatBool(rec[[2]int{c.History, c.Interval}])})
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("reports: writing %s: %w", SweepCSVFile, err)
	}
	return nil
}
