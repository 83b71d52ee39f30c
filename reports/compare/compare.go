// Package compare compares two results metric by metric, with noise bands
// from their interval logs, and evaluates thresholds on the difference.
package compare

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/esbench/esbench/reports"
	"github.com/esbench/esbench/thresholds"
)

// Loaded is a result read back with its interval logs.
type Loaded struct {
	// Path is the result.json read.
	Path   string
	Result *reports.Result
	Logs   []*reports.IntervalLog
}

// LoadResult reads a result (a result directory or its result.json, see
// reports.OpenResult) and the interval logs beside it.
func LoadResult(path string) (*Loaded, error) {
	d, err := reports.OpenResult(path)
	if err != nil {
		return nil, err
	}
	res, err := d.ReadResult()
	if err != nil {
		return nil, err
	}
	logs, err := d.IntervalLogs()
	if err != nil {
		return nil, err
	}
	return &Loaded{Path: d.ResultPath(), Result: res, Logs: logs}, nil
}

// latencyStats are the statistics of a Latency a metric name may end in.
var latencyStats = []string{"p50", "p90", "p99", "p999", "p9999", "max", "mean"}

func latencyValue(l reports.Latency, stat string) float64 {
	switch stat {
	case "p50":
		return float64(l.P50Ns)
	case "p90":
		return float64(l.P90Ns)
	case "p99":
		return float64(l.P99Ns)
	case "p999":
		return float64(l.P999Ns)
	case "p9999":
		return float64(l.P9999Ns)
	case "max":
		return float64(l.MaxNs)
	}
	return l.MeanNs
}

// Metrics flattens a result into named metrics:
//
//	<op>.p50|p90|p99|p999|p9999|max|mean   corrected latency of an operation
//	<op>.service.<stat>                    its service time
//	<op>.<outcome>.<stat>                  one outcome's corrected latency
//	<op>.error_rate|throughput|count
//	error_share|fallback_share|late_share  shares of the run's measured operations
//	replay.<stat>                          the replay's total load time
//	phase.<name>.<stat>                    one load phase
//	sweep[history=H,interval=I].replay_p50|replay_p99|replay_p999|append_p99|bytes_per_stream|write_amp
//
// A result of several runs also names each run's metrics
// run[<name>].<metric>; a bare name is that of the first run (preload runs
// last) that has it. Noise comes from the interval logs in logs (may be nil).
func Metrics(r *reports.Result, logs []*reports.IntervalLog) map[string]thresholds.Metric {
	out := map[string]thresholds.Metric{}
	// Preload runs come first in a result but are set-up, not the
	// measurement: the bare names skip them unless nothing else ran.
	measured := 0
	for i := range r.Runs {
		if !isPreload(r.Runs[i].Name) {
			measured++
		}
	}
	for i := range r.Runs {
		run := &r.Runs[i]
		bare := measured == 0 || !isPreload(run.Name)
		for k, v := range runMetrics(run, logs) {
			if len(r.Runs) > 1 {
				pv := v
				pv.Name = "run[" + run.Name + "]." + k
				out[pv.Name] = pv
			}
			if _, taken := out[k]; bare && !taken {
				out[k] = v
			}
		}
	}
	if s := r.Sweep; s != nil {
		for _, c := range s.Cells {
			base := fmt.Sprintf("sweep[history=%d,interval=%s].", c.History, reports.IntervalName(c.Interval))
			var noise99, noise50 float64
			var n int
			for i := range r.Runs {
				if r.Runs[i].Name == c.Run {
					if l := reports.FindIntervalLog(logs, c.Run, "corrected"); l != nil {
						if ivs := l.Ops["load"]; len(ivs) > 0 {
							noise99, n = intervalNoise(ivs, func(iv reports.OpInterval) float64 { return float64(iv.P99Ns) })
							noise50, _ = intervalNoise(ivs, func(iv reports.OpInterval) float64 { return float64(iv.P50Ns) })
						}
					}
				}
			}
			add := func(name string, v float64, u thresholds.Unit, noise float64) {
				samples := n
				if noise == 0 {
					samples = 0
				}
				out[base+name] = thresholds.Metric{Name: base + name, Value: v, Unit: u, Noise: noise, Samples: samples}
			}
			add("replay_p50", float64(c.ReplayP50Ns), thresholds.UnitNs, noise50)
			add("replay_p99", float64(c.ReplayP99Ns), thresholds.UnitNs, noise99)
			add("replay_p999", float64(c.ReplayP999Ns), thresholds.UnitNs, noise99)
			add("append_p99", float64(c.AppendP99Ns), thresholds.UnitNs, 0)
			add("bytes_per_stream", c.BytesPerStrm, thresholds.UnitBytes, 0)
			add("write_amp", c.WriteAmplification, thresholds.UnitRatio, 0)
		}
	}
	return out
}

func isPreload(run string) bool { return strings.HasPrefix(run, "preload") }

func runMetrics(run *reports.Run, logs []*reports.IntervalLog) map[string]thresholds.Metric {
	out := map[string]thresholds.Metric{}
	corr := reports.FindIntervalLog(logs, run.Name, "corrected")
	serv := reports.FindIntervalLog(logs, run.Name, "service")
	noiseOf := func(l *reports.IntervalLog, op, stat string) (float64, int) {
		if l == nil || len(l.Ops[op]) == 0 {
			return 0, 0
		}
		ivs := l.Ops[op]
		switch stat {
		case "p50", "p90", "mean":
			return intervalNoise(ivs, func(iv reports.OpInterval) float64 { return float64(iv.P50Ns) })
		case "throughput", "count":
			return intervalNoise(ivs, reports.OpInterval.Rate)
		case "error_rate":
			return 0, 0
		}
		return intervalNoise(ivs, func(iv reports.OpInterval) float64 { return float64(iv.P99Ns) })
	}
	put := func(name string, v float64, u thresholds.Unit, higher bool, l *reports.IntervalLog, op, stat string) {
		noise, n := noiseOf(l, op, stat)
		out[name] = thresholds.Metric{Name: name, Value: v, Unit: u, HigherBetter: higher, Noise: noise, Samples: n}
	}
	for _, op := range run.Operations {
		for _, st := range latencyStats {
			put(op.Op+"."+st, latencyValue(op.Corrected, st), thresholds.UnitNs, false, corr, op.Op, st)
			put(op.Op+".service."+st, latencyValue(op.Service, st), thresholds.UnitNs, false, serv, op.Op, st)
		}
		var errs int64
		for _, oc := range op.Outcomes {
			if oc.Error {
				errs += oc.Count
			}
			for _, st := range latencyStats {
				put(op.Op+"."+oc.Outcome+"."+st, latencyValue(oc.Corrected, st), thresholds.UnitNs, false, nil, "", "")
			}
		}
		if len(op.Outcomes) == 0 {
			for _, n := range op.Errors {
				errs += n
			}
		}
		rate := 0.0
		if op.Count > 0 {
			rate = float64(errs) / float64(op.Count)
		}
		put(op.Op+".error_rate", rate, thresholds.UnitFraction, false, nil, "", "")
		put(op.Op+".throughput", op.Rate, thresholds.UnitRate, true, corr, op.Op, "throughput")
		put(op.Op+".count", float64(op.Count), thresholds.UnitCount, true, nil, "", "")
	}
	if run.Recorded > 0 {
		var fallbacks int64
		for _, op := range run.Operations {
			for _, oc := range op.Outcomes {
				if oc.Outcome == "fallback" {
					fallbacks += oc.Count
				}
			}
		}
		n := float64(run.Recorded)
		put("error_share", float64(run.Errors)/n, thresholds.UnitFraction, false, nil, "", "")
		put("fallback_share", float64(fallbacks)/n, thresholds.UnitFraction, false, nil, "", "")
	}
	if run.Recorded+run.Missed > 0 {
		// An operation the schedule intended but that never started is as
		// late as it gets: a run whose every operation stalled is all late.
		put("late_share", float64(run.Late+run.Missed)/float64(run.Recorded+run.Missed), thresholds.UnitFraction, false, nil, "", "")
	}
	if rp := run.Replay; rp != nil {
		for _, ph := range rp.Phases {
			for _, st := range latencyStats {
				put("phase."+ph.Phase+"."+st, latencyValue(ph.Latency, st), thresholds.UnitNs, false, nil, "", "")
				if ph.Phase == "total" {
					// A replay's loads are the run's "load" operation.
					put("replay."+st, latencyValue(ph.Latency, st), thresholds.UnitNs, false, corr, "load", st)
				}
			}
		}
	}
	return out
}

// minNoiseIntervals is the fewest intervals a noise estimate is made from;
// with fewer the spread says little.
const minNoiseIntervals = 3

// intervalNoise is the coefficient of variation of f over the intervals
// with operations in them, and how many there were.
func intervalNoise(ivs []reports.OpInterval, f func(reports.OpInterval) float64) (float64, int) {
	var xs []float64
	for _, iv := range ivs {
		if iv.Count > 0 {
			xs = append(xs, f(iv))
		}
	}
	if len(xs) < minNoiseIntervals {
		return 0, 0
	}
	var sum float64
	for _, x := range xs {
		sum += x
	}
	mean := sum / float64(len(xs))
	if mean <= 0 {
		return 0, 0
	}
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	sd := math.Sqrt(ss / float64(len(xs)-1))
	return sd / mean, len(xs)
}

// Verdicts of a compared row, beside the thresholds' verdicts.
const (
	VerdictBetter = "better"
	VerdictWorse  = "worse"
	VerdictSame   = "same"
	VerdictNew    = "new"
	VerdictGone   = "gone"
	// VerdictNotSignificant: across runs, the rank test found no change.
	VerdictNotSignificant = "no significant change"
)

// Row is one metric side by side.
type Row struct {
	Name      string
	Base, New *thresholds.Metric
	// Delta is (new-base)/base (thresholds.Change); NaN when a side is
	// missing.
	Delta float64
	// Band is the noise band (thresholds.NoiseBand); 0 when unknown.
	Band float64
	// Rank is the rank test across runs when both sides are sets of runs
	// (CompareSets); nil for a single-run comparison.
	Rank    *thresholds.Rank
	Verdict string
}

// Comparison is a base and a new result compared.
type Comparison struct {
	BasePath, NewPath string
	Base, New         *reports.Result
	// Sections group the rows (per run's operations, replay, sweep).
	Sections []Section
	Checks   []thresholds.Check
	// Regressed is set when any check failed.
	Regressed bool
	Options   thresholds.Options
	// BaseRuns and NewRuns are the numbers of runs on each side; more than
	// one on a side makes a comparison across runs (CompareSets), whose
	// rows carry a rank test at Alpha.
	BaseRuns, NewRuns int
	Alpha             float64
	// Partial is set when any compared run is partial.
	Partial bool
}

// Section is a titled group of rows.
type Section struct {
	Title string
	Rows  []Row
}

// Compare compares cur against base and evaluates the thresholds on their
// metrics (see thresholds.Evaluate for the errors).
func Compare(base, cur *Loaded, ths []thresholds.Threshold, opts thresholds.Options) (*Comparison, error) {
	bm := Metrics(base.Result, base.Logs)
	nm := Metrics(cur.Result, cur.Logs)
	checks, err := thresholds.Evaluate(ths, bm, nm, opts)
	if err != nil {
		return nil, err
	}
	c := &Comparison{BasePath: base.Path, NewPath: cur.Path, Base: base.Result, New: cur.Result, Options: opts, Checks: checks, BaseRuns: 1, NewRuns: 1}
	c.Regressed = len(thresholds.Failed(checks)) > 0
	c.Sections = sections(base.Result, cur.Result, bm, nm)
	return c, nil
}

func makeRow(name string, b, n *thresholds.Metric) Row {
	r := Row{Name: name, Base: b, New: n, Delta: math.NaN()}
	switch {
	case b == nil:
		r.Verdict = VerdictNew
		return r
	case n == nil:
		r.Verdict = VerdictGone
		return r
	}
	r.Delta = thresholds.Change(b.Value, n.Value)
	r.Band = thresholds.NoiseBand(*b, *n)
	switch {
	case r.Delta == 0:
		r.Verdict = VerdictSame
	case r.Band > 0 && math.Abs(r.Delta) <= r.Band:
		r.Verdict = thresholds.VerdictWithinNoise
	case (n.Value > b.Value) == n.HigherBetter:
		r.Verdict = VerdictBetter
	default:
		r.Verdict = VerdictWorse
	}
	return r
}

// sections picks the rows shown side by side: per operation the count,
// throughput, error rate and corrected and service percentiles; the replay
// total; each sweep cell's replay, append, size and write amplification.
func sections(base, cur *reports.Result, bm, nm map[string]thresholds.Metric) []Section {
	get := func(m map[string]thresholds.Metric, k string) *thresholds.Metric {
		if v, ok := m[k]; ok {
			return &v
		}
		return nil
	}
	row := func(k string) (Row, bool) {
		b, n := get(bm, k), get(nm, k)
		if b == nil && n == nil {
			return Row{}, false
		}
		return makeRow(k, b, n), true
	}
	var out []Section
	ops := map[string]bool{}
	for _, m := range []map[string]thresholds.Metric{bm, nm} {
		for k, v := range m {
			if op, ok := strings.CutSuffix(k, ".count"); ok && v.Unit == thresholds.UnitCount && !strings.Contains(op, "[") {
				ops[op] = true
			}
		}
	}
	names := make([]string, 0, len(ops))
	for k := range ops {
		names = append(names, k)
	}
	sort.Strings(names)
	if len(names) > 0 {
		s := Section{Title: "Operations"}
		for _, op := range names {
			for _, suf := range []string{"count", "throughput", "error_rate", "p50", "p99", "p999", "service.p50", "service.p99", "service.p999"} {
				if r, ok := row(op + "." + suf); ok {
					s.Rows = append(s.Rows, r)
				}
			}
		}
		out = append(out, s)
	}
	var rs Section
	rs.Title = "Replay"
	for _, st := range []string{"p50", "p99", "p999"} {
		if r, ok := row("replay." + st); ok {
			rs.Rows = append(rs.Rows, r)
		}
	}
	if len(rs.Rows) > 0 {
		out = append(out, rs)
	}
	var cells []string
	seen := map[string]bool{}
	for _, r := range [](*reports.Result){base, cur} {
		if r.Sweep == nil {
			continue
		}
		for _, c := range r.Sweep.Cells {
			k := fmt.Sprintf("sweep[history=%d,interval=%s].", c.History, reports.IntervalName(c.Interval))
			if !seen[k] {
				seen[k] = true
				cells = append(cells, k)
			}
		}
	}
	if len(cells) > 0 {
		s := Section{Title: "Sweep"}
		for _, k := range cells {
			for _, suf := range []string{"replay_p50", "replay_p99", "append_p99", "bytes_per_stream", "write_amp"} {
				if r, ok := row(k + suf); ok {
					s.Rows = append(s.Rows, r)
				}
			}
		}
		out = append(out, s)
	}
	return out
}

// FormatValue renders a metric value in its unit.
func FormatValue(v float64, u thresholds.Unit) string {
	switch u {
	case thresholds.UnitNs:
		return reports.FormatNs(int64(math.Round(v)))
	case thresholds.UnitRatio:
		return fmt.Sprintf("%.3g", v)
	case thresholds.UnitFraction:
		return fmt.Sprintf("%.3g%%", v*100)
	case thresholds.UnitRate:
		return fmt.Sprintf("%.1f/s", v)
	case thresholds.UnitBytes:
		return fmt.Sprintf("%.0f B", v)
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// WriteMarkdown writes the comparison as Markdown for a CI comment:
// the threshold checks first, then every section side by side.
func WriteMarkdown(w io.Writer, c *Comparison) error {
	bw := bufio.NewWriter(w)
	p := func(format string, a ...any) { fmt.Fprintf(bw, format, a...) }
	verdict := "**pass**"
	if c.Regressed {
		verdict = "**REGRESSION**"
	}
	p("# esbench compare: %s\n\n", verdict)
	runs := c.BaseRuns > 1 || c.NewRuns > 1
	if runs {
		p("Base: %d runs in `%s` (%s, %s), new: %d runs in `%s` (%s, %s). Values are medians over each side's runs.\n\n",
			c.BaseRuns, c.BasePath, c.Base.Experiment, describeEnv(c.Base), c.NewRuns, c.NewPath, c.New.Experiment, describeEnv(c.New))
	} else {
		p("Base `%s` (%s, %s), new `%s` (%s, %s).\n\n", c.BasePath, c.Base.Experiment, describeEnv(c.Base),
			c.NewPath, c.New.Experiment, describeEnv(c.New))
	}
	if c.Partial {
		p("> **Warning**: a compared result is partial.\n\n")
	}
	for _, r := range []*reports.Result{c.Base, c.New} {
		if r.Partial && !c.Partial {
			p("> **Warning**: a compared result is partial (%s).\n\n", r.PartialReason)
		}
	}
	if c.Base.Environment.CPUModel != c.New.Environment.CPUModel || c.Base.Environment.Cores != c.New.Environment.Cores {
		p("> **Note**: the runs are from different machines; absolute differences include the hardware.\n\n")
	}
	head := "| %s | base | new | Δ | noise band | verdict |\n|---|---:|---:|---:|---:|---|\n"
	if runs {
		head = "| %s | base | new | Δ | rank test | noise band | verdict |\n|---|---:|---:|---:|---:|---:|---|\n"
	}
	rankCell := func(r *thresholds.Rank) string {
		if !runs {
			return ""
		}
		return " " + formatRank(r) + " |"
	}
	if len(c.Checks) > 0 {
		p("## Thresholds\n\n"+head, "threshold")
		for _, ch := range c.Checks {
			v := ch.Verdict
			if ch.Failed {
				v = "**" + v + "**"
			}
			p("| `%s` | %s | %s | %s |%s %s | %s |\n", ch.Threshold.Text, cellValue(ch.Base), cellValue(ch.New),
				formatDelta(ch.Delta), rankCell(ch.Rank), formatBand(ch.Band), v)
		}
		p("\n")
	} else {
		p("No thresholds given: nothing can fail.\n\n")
	}
	for _, s := range c.Sections {
		p("## %s\n\n"+head, s.Title, "metric")
		for _, r := range s.Rows {
			p("| %s | %s | %s | %s |%s %s | %s |\n", r.Name, cellValue(r.Base), cellValue(r.New), formatDelta(r.Delta), rankCell(r.Rank), formatBand(r.Band), r.Verdict)
		}
		p("\n")
	}
	p("Δ is (new − base) / base. Latencies are corrected for coordinated omission unless named `service`. ")
	p("A relative threshold (`METRIC regression < N%%`) compares the change in the metric's worse direction (up for latency, error rate and size; down for throughput and count)")
	if c.Options.FailWithinNoise {
		p(" and fails even within noise. ")
	} else {
		p("; a change beyond its limit but within the noise band passes, marked *within noise*. Absolute thresholds are never relaxed. ")
	}
	p("%s\n", thresholds.NoiseRule)
	if runs {
		p("\nAcross runs: each metric is the median of its value in each run; the rank test is the two-sided Mann-Whitney U test "+
			"(golang.org/x/perf/benchmath) of the base runs' values against the new runs', p its p-value and n the runs on each side. "+
			"A change counts only when p < %g; the noise band (that of the median run) is the second signal, "+
			"and a significant change within it is marked *within noise*. ", c.Alpha)
		if c.Options.FailWithinNoise {
			p("A relative threshold fails on its limit alone (--fail-within-noise). ")
		} else {
			p("A relative threshold exceeded by a change that is not significant passes, marked *not significant*. ")
		}
		p("Absolute thresholds check the median.\n")
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("reports: writing comparison: %w", err)
	}
	return nil
}

func describeEnv(r *reports.Result) string {
	e := r.Environment
	return fmt.Sprintf("%s, %d cores, %s", dash(e.Backend), e.Cores, dash(e.Commit))
}

func cellValue(m *thresholds.Metric) string {
	if m == nil {
		return "–"
	}
	return FormatValue(m.Value, m.Unit)
}

func formatDelta(d float64) string {
	switch {
	case math.IsNaN(d):
		return "–"
	case math.IsInf(d, 1):
		return "+∞"
	case math.IsInf(d, -1):
		return "−∞"
	}
	return fmt.Sprintf("%+.1f%%", d*100)
}

func formatBand(b float64) string {
	if b == 0 {
		return "–"
	}
	return fmt.Sprintf("±%.1f%%", b*100)
}

func dash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}
