package reports

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Unit says how a compared metric is measured and rendered.
type Unit int

// Units of compared metrics.
const (
	UnitNs Unit = iota
	UnitRatio
	UnitFraction
	UnitRate
	UnitCount
	UnitBytes
)

// Metric is one named figure of a result that compare can check.
type Metric struct {
	Name  string
	Value float64
	Unit  Unit
	// HigherBetter is set for throughput and counts; latencies, error rates
	// and sizes are better lower.
	HigherBetter bool
	// Noise is the relative run-to-run spread estimated from the interval
	// logs (see NoiseRule); 0 when no intervals were found.
	Noise float64
	// Samples is the number of intervals Noise was estimated from.
	Samples int
}

// Loaded is a result read back with its interval logs.
type Loaded struct {
	// Path is the result.json read.
	Path   string
	Result *Result
	Logs   []*IntervalLog
}

// LoadResult reads a result directory (or its result.json) and the
// interval logs beside it.
func LoadResult(path string) (*Loaded, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("reports: %w", err)
	}
	file := path
	if fi.IsDir() {
		file = filepath.Join(path, ResultFile)
	}
	res, err := ReadFile(file)
	if err != nil {
		return nil, err
	}
	logs, err := ReadIntervalLogs(filepath.Dir(file))
	if err != nil {
		return nil, err
	}
	return &Loaded{Path: file, Result: res, Logs: logs}, nil
}

// latencyStats are the statistics of a Latency a metric name may end in.
var latencyStats = []string{"p50", "p90", "p99", "p999", "p9999", "max", "mean"}

func latencyValue(l Latency, stat string) float64 {
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
//	replay.<stat>                          the replay's total load time
//	phase.<name>.<stat>                    one load phase
//	sweep[history=H,interval=I].replay_p50|replay_p99|replay_p999|append_p99|bytes_per_stream|write_amp
//
// A result of several runs also names each run's metrics
// run[<name>].<metric>; a bare name is that of the first run (preload runs
// last) that has it. Noise comes from the interval logs in logs (may be nil).
func Metrics(r *Result, logs []*IntervalLog) map[string]Metric {
	out := map[string]Metric{}
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
			base := fmt.Sprintf("sweep[history=%d,interval=%s].", c.History, IntervalName(c.Interval))
			var noise99, noise50 float64
			var n int
			for i := range r.Runs {
				if r.Runs[i].Name == c.Run {
					if l := FindIntervalLog(logs, c.Run, "corrected"); l != nil {
						if ivs := l.Ops["load"]; len(ivs) > 0 {
							noise99, n = intervalNoise(ivs, func(iv OpInterval) float64 { return float64(iv.P99Ns) })
							noise50, _ = intervalNoise(ivs, func(iv OpInterval) float64 { return float64(iv.P50Ns) })
						}
					}
				}
			}
			add := func(name string, v float64, u Unit, noise float64) {
				samples := n
				if noise == 0 {
					samples = 0
				}
				out[base+name] = Metric{Name: base + name, Value: v, Unit: u, Noise: noise, Samples: samples}
			}
			add("replay_p50", float64(c.ReplayP50Ns), UnitNs, noise50)
			add("replay_p99", float64(c.ReplayP99Ns), UnitNs, noise99)
			add("replay_p999", float64(c.ReplayP999Ns), UnitNs, noise99)
			add("append_p99", float64(c.AppendP99Ns), UnitNs, 0)
			add("bytes_per_stream", c.BytesPerStrm, UnitBytes, 0)
			add("write_amp", c.WriteAmplification, UnitRatio, 0)
		}
	}
	return out
}

func isPreload(run string) bool { return strings.HasPrefix(run, "preload") }

func runMetrics(run *Run, logs []*IntervalLog) map[string]Metric {
	out := map[string]Metric{}
	corr := FindIntervalLog(logs, run.Name, "corrected")
	serv := FindIntervalLog(logs, run.Name, "service")
	noiseOf := func(l *IntervalLog, op, stat string) (float64, int) {
		if l == nil || len(l.Ops[op]) == 0 {
			return 0, 0
		}
		ivs := l.Ops[op]
		switch stat {
		case "p50", "p90", "mean":
			return intervalNoise(ivs, func(iv OpInterval) float64 { return float64(iv.P50Ns) })
		case "throughput", "count":
			return intervalNoise(ivs, OpInterval.Rate)
		case "error_rate":
			return 0, 0
		}
		return intervalNoise(ivs, func(iv OpInterval) float64 { return float64(iv.P99Ns) })
	}
	put := func(name string, v float64, u Unit, higher bool, l *IntervalLog, op, stat string) {
		noise, n := noiseOf(l, op, stat)
		out[name] = Metric{Name: name, Value: v, Unit: u, HigherBetter: higher, Noise: noise, Samples: n}
	}
	for _, op := range run.Operations {
		for _, st := range latencyStats {
			put(op.Op+"."+st, latencyValue(op.Corrected, st), UnitNs, false, corr, op.Op, st)
			put(op.Op+".service."+st, latencyValue(op.Service, st), UnitNs, false, serv, op.Op, st)
		}
		var errs int64
		for _, oc := range op.Outcomes {
			if oc.Error {
				errs += oc.Count
			}
			for _, st := range latencyStats {
				put(op.Op+"."+oc.Outcome+"."+st, latencyValue(oc.Corrected, st), UnitNs, false, nil, "", "")
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
		put(op.Op+".error_rate", rate, UnitFraction, false, nil, "", "")
		put(op.Op+".throughput", op.Rate, UnitRate, true, corr, op.Op, "throughput")
		put(op.Op+".count", float64(op.Count), UnitCount, true, nil, "", "")
	}
	if rp := run.Replay; rp != nil {
		for _, ph := range rp.Phases {
			for _, st := range latencyStats {
				put("phase."+ph.Phase+"."+st, latencyValue(ph.Latency, st), UnitNs, false, nil, "", "")
				if ph.Phase == "total" {
					// A replay's loads are the run's "load" operation.
					put("replay."+st, latencyValue(ph.Latency, st), UnitNs, false, corr, "load", st)
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
func intervalNoise(ivs []OpInterval, f func(OpInterval) float64) (float64, int) {
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

// NoiseBand is the relative change within which two metrics are taken to
// differ by noise alone: twice the standard error of the difference of the
// per-interval means, sqrt(cv_base²/n_base + cv_new²/n_new). Zero when
// either side has no estimate.
func NoiseBand(base, cur Metric) float64 {
	if base.Samples == 0 || cur.Samples == 0 {
		return 0
	}
	return 2 * math.Sqrt(base.Noise*base.Noise/float64(base.Samples)+cur.Noise*cur.Noise/float64(cur.Samples))
}

// NoiseRule states the rule NoiseBand applies, for report footnotes.
const NoiseRule = "Noise: each run's interval logs give the metric per interval (interval p99 for tail " +
	"percentiles and max, interval p50 for p50/p90/mean, interval rate for throughput); cv is their " +
	"coefficient of variation over n intervals. A change is *within noise* when |Δ| ≤ 2·sqrt(cv_base²/n_base + cv_new²/n_new) " +
	"(about a 95% band for the difference of the interval means). Metrics without interval data get no band."

// ErrThreshold is returned (wrapped) for a threshold that cannot be parsed.
var ErrThreshold = errors.New("malformed threshold")

// ErrUnknownMetric is returned (wrapped) for a threshold naming a metric
// the results do not have.
var ErrUnknownMetric = errors.New("unknown metric")

// Threshold is one check: the new value (Relative false) or its relative
// change against the base in the worse direction (Relative true) compared
// with Limit.
type Threshold struct {
	Text     string
	Metric   string
	Relative bool
	// Op is one of <, <=, >, >=.
	Op string
	// Limit is in the metric's unit (ns for latencies, a fraction for
	// relative checks and error rates).
	Limit float64
	// limitText is the limit as written, kept for the report.
	limitText string
}

var (
	thresholdRe = regexp.MustCompile(`^\s*(\S+)\s+(?:(regression)\s+)?(<=|>=|<|>)\s*(\S+)\s*$`)
	// funcRe accepts the workload file's "p99(acquire)" spelling.
	funcRe = regexp.MustCompile(`^([a-z0-9_]+)\(([^()]+)\)$`)
)

// ParseThreshold parses "METRIC OP VALUE" (an absolute limit on the new
// run: `replay.p99 < 5ms`, `acquire.error_rate < 1%`) or
// "METRIC regression OP PERCENT" (the change against the base in the
// metric's worse direction: `acquire.p99 regression < 10%`). METRIC may
// also be written STAT(OP), as in `p99(acquire) < 20ms`.
func ParseThreshold(text string) (Threshold, error) {
	m := thresholdRe.FindStringSubmatch(text)
	if m == nil {
		return Threshold{}, fmt.Errorf("%w %q: want \"METRIC < VALUE\" or \"METRIC regression < PERCENT\"", ErrThreshold, text)
	}
	t := Threshold{Text: strings.TrimSpace(text), Metric: m[1], Relative: m[2] != "", Op: m[3], limitText: m[4]}
	if f := funcRe.FindStringSubmatch(t.Metric); f != nil {
		t.Metric = f[2] + "." + f[1]
	}
	if t.Relative {
		if !strings.HasSuffix(m[4], "%") {
			return Threshold{}, fmt.Errorf("%w %q: a regression limit is a percentage like 10%%, not %q", ErrThreshold, text, m[4])
		}
	}
	v, err := parseLimit(m[4])
	if err != nil {
		return Threshold{}, fmt.Errorf("%w %q: limit %q: %v", ErrThreshold, text, m[4], err)
	}
	t.Limit = v
	return t, nil
}

// parseLimit reads a duration (as ns), a percentage (as a fraction) or a
// plain number.
func parseLimit(s string) (float64, error) {
	if p, ok := strings.CutSuffix(s, "%"); ok {
		v, err := strconv.ParseFloat(p, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, errors.New("not a percentage")
		}
		return v / 100, nil
	}
	if v, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(v) && !math.IsInf(v, 0) {
		return v, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, errors.New("not a duration (5ms), percentage (10%) or number")
	}
	return float64(d), nil
}

func (t Threshold) isDuration() bool {
	_, err := time.ParseDuration(t.limitText)
	return err == nil && t.limitText != "0"
}

func holds(v float64, op string, limit float64) bool {
	switch op {
	case "<":
		return v < limit
	case "<=":
		return v <= limit
	case ">":
		return v > limit
	}
	return v >= limit
}

// Verdicts of a compared row.
const (
	VerdictPass        = "pass"
	VerdictRegression  = "REGRESSION"
	VerdictWithinNoise = "within noise"
	VerdictBetter      = "better"
	VerdictWorse       = "worse"
	VerdictSame        = "same"
	VerdictNew         = "new"
	VerdictGone        = "gone"
)

// Row is one metric side by side.
type Row struct {
	Name      string
	Base, New *Metric
	// Delta is (new-base)/base; ±Inf when only base is zero, NaN when a
	// side is missing.
	Delta float64
	// Band is the noise band (NoiseBand); 0 when unknown.
	Band    float64
	Verdict string
}

// Check is a threshold's outcome.
type Check struct {
	Threshold Threshold
	Row       Row
	// Value is what was compared with the limit: the new value, or the
	// relative change in the worse direction.
	Value  float64
	Failed bool
	// Noise is set when a relative check exceeded its limit but the change
	// is within the noise band, so it was not counted as a failure.
	Noise   bool
	Verdict string
}

// CompareOptions tune Compare.
type CompareOptions struct {
	// FailWithinNoise counts a relative regression as a failure even when
	// the change is within the noise band.
	FailWithinNoise bool
}

// Comparison is a base and a new result compared.
type Comparison struct {
	BasePath, NewPath string
	Base, New         *Result
	// Sections group the rows (per run's operations, replay, sweep).
	Sections []Section
	Checks   []Check
	// Regressed is set when any check failed.
	Regressed bool
	Options   CompareOptions
}

// Section is a titled group of rows.
type Section struct {
	Title string
	Rows  []Row
}

// Compare compares cur against base and evaluates the thresholds. A
// threshold naming a metric missing from the new run (or, for a relative
// check, from either) is an error wrapping ErrUnknownMetric that lists
// close matches.
func Compare(base, cur *Loaded, thresholds []Threshold, opts CompareOptions) (*Comparison, error) {
	bm := Metrics(base.Result, base.Logs)
	nm := Metrics(cur.Result, cur.Logs)
	c := &Comparison{BasePath: base.Path, NewPath: cur.Path, Base: base.Result, New: cur.Result, Options: opts}

	var errs []error
	for _, t := range thresholds {
		n, okN := nm[t.Metric]
		b, okB := bm[t.Metric]
		if !okN || (t.Relative && !okB) {
			where := "the new run"
			if okN {
				where = "the base run"
			}
			all := slices.Collect(func(yield func(string) bool) {
				for k := range nm {
					if !yield(k) {
						return
					}
				}
			})
			msg := fmt.Sprintf("%s: threshold %q: %q is not in %s", ErrUnknownMetric, t.Text, t.Metric, where)
			if cm := closeMatches(t.Metric, all, 5); len(cm) > 0 {
				msg += "; did you mean " + strings.Join(cm, ", ") + "?"
			}
			errs = append(errs, &unknownMetricError{msg: msg})
			continue
		}
		if t.isDuration() && n.Unit != UnitNs {
			errs = append(errs, fmt.Errorf("%w %q: %s is not a latency, the limit %s must be a number", ErrThreshold, t.Text, t.Metric, t.limitText))
			continue
		}
		var bp *Metric
		if okB {
			bp = &b
		}
		row := makeRow(t.Metric, bp, &n)
		ch := Check{Threshold: t, Row: row}
		if t.Relative {
			ch.Value = worseChange(row, n.HigherBetter)
			if math.IsNaN(ch.Value) {
				ch.Value = 0
			}
			ch.Failed = !holds(ch.Value, t.Op, t.Limit)
			if ch.Failed && row.Band > 0 && math.Abs(row.Delta) <= row.Band && !opts.FailWithinNoise {
				ch.Failed, ch.Noise = false, true
			}
		} else {
			ch.Value = n.Value
			ch.Failed = !holds(n.Value, t.Op, t.Limit)
		}
		switch {
		case ch.Failed:
			ch.Verdict = VerdictRegression
			c.Regressed = true
		case ch.Noise:
			ch.Verdict = VerdictPass + " (" + VerdictWithinNoise + ")"
		default:
			ch.Verdict = VerdictPass
		}
		c.Checks = append(c.Checks, ch)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	c.Sections = sections(base.Result, cur.Result, bm, nm)
	return c, nil
}

type unknownMetricError struct{ msg string }

func (e *unknownMetricError) Error() string { return e.msg }
func (e *unknownMetricError) Unwrap() error { return ErrUnknownMetric }

// worseChange is the relative change in the metric's worse direction
// (positive: worse).
func worseChange(r Row, higherBetter bool) float64 {
	if higherBetter {
		return -r.Delta
	}
	return r.Delta
}

func makeRow(name string, b, n *Metric) Row {
	r := Row{Name: name, Base: b, New: n, Delta: math.NaN()}
	switch {
	case b == nil:
		r.Verdict = VerdictNew
		return r
	case n == nil:
		r.Verdict = VerdictGone
		return r
	}
	switch {
	case b.Value != 0:
		r.Delta = (n.Value - b.Value) / b.Value
	case n.Value == 0:
		r.Delta = 0
	default:
		// From nothing to something (errors appearing) is an unbounded
		// change, which no relative limit lets through.
		r.Delta = math.Inf(int(math.Copysign(1, n.Value)))
	}
	r.Band = NoiseBand(*b, *n)
	switch {
	case r.Delta == 0:
		r.Verdict = VerdictSame
	case r.Band > 0 && math.Abs(r.Delta) <= r.Band:
		r.Verdict = VerdictWithinNoise
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
func sections(base, cur *Result, bm, nm map[string]Metric) []Section {
	get := func(m map[string]Metric, k string) *Metric {
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
	for _, m := range []map[string]Metric{bm, nm} {
		for k, v := range m {
			if op, ok := strings.CutSuffix(k, ".count"); ok && v.Unit == UnitCount && !strings.Contains(op, "[") {
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
	for _, r := range [](*Result){base, cur} {
		if r.Sweep == nil {
			continue
		}
		for _, c := range r.Sweep.Cells {
			k := fmt.Sprintf("sweep[history=%d,interval=%s].", c.History, IntervalName(c.Interval))
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

// closeMatches returns up to n names near want: those sharing its first
// dotted component and then the smallest edit distances.
func closeMatches(want string, names []string, n int) []string {
	type cand struct {
		name string
		d    int
	}
	var cs []cand
	head, _, _ := strings.Cut(want, ".")
	limit := max(3, len(want)/3)
	for _, k := range names {
		d := editDistance(want, k)
		h, _, _ := strings.Cut(k, ".")
		if d <= limit || (h == head && strings.Count(k, ".") == strings.Count(want, ".")) {
			cs = append(cs, cand{k, d})
		}
	}
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].d != cs[j].d {
			return cs[i].d < cs[j].d
		}
		return cs[i].name < cs[j].name
	})
	var out []string
	for i := 0; i < len(cs) && i < n; i++ {
		out = append(out, cs[i].name)
	}
	return out
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// FormatValue renders a metric value in its unit.
func FormatValue(v float64, u Unit) string {
	switch u {
	case UnitNs:
		return FormatNs(int64(math.Round(v)))
	case UnitRatio:
		return fmt.Sprintf("%.3g", v)
	case UnitFraction:
		return fmt.Sprintf("%.3g%%", v*100)
	case UnitRate:
		return fmt.Sprintf("%.1f/s", v)
	case UnitBytes:
		return fmt.Sprintf("%.0f B", v)
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// WriteCompareMarkdown writes the comparison as Markdown for a CI comment:
// the threshold checks first, then every section side by side.
func WriteCompareMarkdown(w io.Writer, c *Comparison) error {
	bw := bufio.NewWriter(w)
	p := func(format string, a ...any) { fmt.Fprintf(bw, format, a...) }
	verdict := "**pass**"
	if c.Regressed {
		verdict = "**REGRESSION**"
	}
	p("# esbench compare: %s\n\n", verdict)
	p("Base `%s` (%s, %s), new `%s` (%s, %s).\n\n", c.BasePath, c.Base.Experiment, describeEnv(c.Base),
		c.NewPath, c.New.Experiment, describeEnv(c.New))
	for _, r := range []*Result{c.Base, c.New} {
		if r.Partial {
			p("> **Warning**: a compared result is partial (%s).\n\n", r.PartialReason)
		}
	}
	if c.Base.Environment.CPUModel != c.New.Environment.CPUModel || c.Base.Environment.Cores != c.New.Environment.Cores {
		p("> **Note**: the runs are from different machines; absolute differences include the hardware.\n\n")
	}
	if len(c.Checks) > 0 {
		p("## Thresholds\n\n| threshold | base | new | Δ | noise band | verdict |\n|---|---:|---:|---:|---:|---|\n")
		for _, ch := range c.Checks {
			v := ch.Verdict
			if ch.Failed {
				v = "**" + v + "**"
			}
			p("| `%s` | %s | %s | %s | %s | %s |\n", ch.Threshold.Text, cellValue(ch.Row.Base), cellValue(ch.Row.New),
				formatDelta(ch.Row.Delta), formatBand(ch.Row.Band), v)
		}
		p("\n")
	} else {
		p("No thresholds given: nothing can fail.\n\n")
	}
	for _, s := range c.Sections {
		p("## %s\n\n| metric | base | new | Δ | noise band | verdict |\n|---|---:|---:|---:|---:|---|\n", s.Title)
		for _, r := range s.Rows {
			p("| %s | %s | %s | %s | %s | %s |\n", r.Name, cellValue(r.Base), cellValue(r.New), formatDelta(r.Delta), formatBand(r.Band), r.Verdict)
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
	p("%s\n", NoiseRule)
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("reports: writing comparison: %w", err)
	}
	return nil
}

func describeEnv(r *Result) string {
	e := r.Environment
	return fmt.Sprintf("%s, %d cores, %s", orDash(e.Backend), e.Cores, orDash(e.Commit))
}

func cellValue(m *Metric) string {
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
