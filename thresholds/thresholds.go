// Package thresholds parses threshold checks ("replay.p99 < 5ms",
// "acquire.p99 regression < 10%") and evaluates them against named metrics.
//
// It sits below every other esbench package that uses it: workload parses a
// file's thresholds when the file is loaded, compare evaluates them against
// two results, run against one. The metrics themselves (how a result is
// flattened into names) are defined by the result schema's owners; this
// package only knows a metric's value, unit, direction and noise.
package thresholds

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/esbench/esbench/internal/suggest"
)

// Unit says how a metric is measured and rendered.
type Unit int

// Units of metrics.
const (
	UnitNs Unit = iota
	UnitRatio
	UnitFraction
	UnitRate
	UnitCount
	UnitBytes
)

// Metric is one named figure a threshold can check.
type Metric struct {
	Name  string
	Value float64
	Unit  Unit
	// HigherBetter is set for throughput and counts; latencies, error rates
	// and sizes are better lower.
	HigherBetter bool
	// Noise is the relative run-to-run spread (coefficient of variation over
	// Samples intervals, see NoiseRule); 0 when unknown.
	Noise float64
	// Samples is the number of intervals Noise was estimated from.
	Samples int
	// Runs holds the metric's value in each run when it summarises a set
	// of repeated runs (Value is then their median); nil for one run.
	Runs []float64
}

// Rank is the outcome of a rank test across runs: whether the runs of
// the base and the new set come from one distribution.
type Rank struct {
	// P is the test's p-value.
	P float64
	// N1 and N2 are the numbers of base and new runs.
	N1, N2 int
	// Alpha is the level below which P counts as a significant change.
	Alpha float64
}

// Significant reports whether the test rejected "no change" at Alpha.
func (r Rank) Significant() bool { return r.P < r.Alpha }

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

// Change is the relative change (cur-base)/base: 0 when both are zero and
// ±Inf when only base is zero, since from nothing to something (errors
// appearing) is an unbounded change no relative limit lets through.
func Change(base, cur float64) float64 {
	switch {
	case base != 0:
		return (cur - base) / base
	case cur == 0:
		return 0
	}
	return math.Inf(int(math.Copysign(1, cur)))
}

// ErrMalformed is returned (wrapped) for a threshold that cannot be parsed
// or whose limit does not fit its metric.
var ErrMalformed = errors.New("malformed threshold")

// ErrUnknownMetric is returned (wrapped) for a threshold naming a metric
// the results do not have.
var ErrUnknownMetric = errors.New("unknown metric")

// ErrNoBase is returned (wrapped) when a relative threshold is evaluated
// without a base to compare with.
var ErrNoBase = errors.New("relative threshold without a base")

// Threshold is one check: the new value (Relative false) or its relative
// change against the base in the worse direction (Relative true) compared
// with Limit.
type Threshold struct {
	// Text is the threshold as written (trimmed).
	Text   string
	Metric string
	// Relative marks "METRIC regression OP PERCENT".
	Relative bool
	// Op is one of <, <=, >, >=.
	Op string
	// Limit is in the metric's unit (ns for latencies, a fraction for
	// relative checks and error rates).
	Limit float64
	// LimitText is the limit as written.
	LimitText string
}

var (
	thresholdRe = regexp.MustCompile(`^\s*(\S+)\s+(?:(regression)\s+)?(<=|>=|<|>)\s*(\S+)\s*$`)
	// funcRe accepts the workload file's "p99(acquire)" spelling.
	funcRe = regexp.MustCompile(`^([a-z0-9_]+)\(([^()]+)\)$`)
)

// Parse parses "METRIC OP VALUE" (an absolute limit on the new run:
// `replay.p99 < 5ms`, `acquire.error_rate < 1%`) or "METRIC regression OP
// PERCENT" (the change against the base in the metric's worse direction:
// `acquire.p99 regression < 10%`). METRIC may also be written STAT(OP), as
// in `p99(acquire) < 20ms`. Errors wrap ErrMalformed.
func Parse(text string) (Threshold, error) {
	m := thresholdRe.FindStringSubmatch(text)
	if m == nil {
		return Threshold{}, fmt.Errorf("%w %q: want \"METRIC < VALUE\" or \"METRIC regression < PERCENT\"", ErrMalformed, text)
	}
	t := Threshold{Text: strings.TrimSpace(text), Metric: m[1], Relative: m[2] != "", Op: m[3], LimitText: m[4]}
	if f := funcRe.FindStringSubmatch(t.Metric); f != nil {
		t.Metric = f[2] + "." + f[1]
	}
	if t.Relative && !strings.HasSuffix(m[4], "%") {
		return Threshold{}, fmt.Errorf("%w %q: a regression limit is a percentage like 10%%, not %q", ErrMalformed, text, m[4])
	}
	v, err := parseLimit(m[4])
	if err != nil {
		return Threshold{}, fmt.Errorf("%w %q: limit %q: %v", ErrMalformed, text, m[4], err)
	}
	if v < 0 {
		return Threshold{}, fmt.Errorf("%w %q: limit %q: must not be negative (latencies, rates, counts and changes are limited from 0 up)", ErrMalformed, text, m[4])
	}
	t.Limit = v
	return t, nil
}

// ParseAll parses every text and joins the errors of those that fail.
func ParseAll(texts []string) ([]Threshold, error) {
	var out []Threshold
	var errs []error
	for _, s := range texts {
		t, err := Parse(s)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, t)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
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

// isDuration reports whether the limit was written as a duration, which
// only a latency can be held to.
func (t Threshold) isDuration() bool {
	_, err := time.ParseDuration(t.LimitText)
	return err == nil && t.LimitText != "0"
}

// Holds reports whether v satisfies the threshold's operator and limit.
func (t Threshold) Holds(v float64) bool {
	switch t.Op {
	case "<":
		return v < t.Limit
	case "<=":
		return v <= t.Limit
	case ">":
		return v > t.Limit
	}
	return v >= t.Limit
}

// Verdicts of a check.
const (
	VerdictPass        = "pass"
	VerdictRegression  = "REGRESSION"
	VerdictWithinNoise = "within noise"
)

// Check is a threshold's outcome.
type Check struct {
	Threshold Threshold
	// Base is nil when evaluated without a base; New is never nil.
	Base, New *Metric
	// Delta is the relative change from Base to New (Change); NaN without
	// a base.
	Delta float64
	// Band is the noise band (NoiseBand); 0 when unknown.
	Band float64
	// Value is what was compared with the limit: the new value, or the
	// relative change in the worse direction.
	Value  float64
	Failed bool
	// Noise is set when a relative check exceeded its limit but the change
	// is within the noise band, so it was not counted as a failure.
	Noise bool
	// Rank is the rank test across runs when both sides are sets of runs
	// (Options.RankTest); nil otherwise.
	Rank *Rank
	// NotSignificant is set when a relative check exceeded its limit but
	// the rank test found no significant change, so it was not counted as
	// a failure.
	NotSignificant bool
	Verdict        string
}

// Options tune Evaluate.
type Options struct {
	// FailWithinNoise counts a relative regression as a failure even when
	// the change is within the noise band.
	FailWithinNoise bool
	// RankTest, when set, tests the runs of a base and a new metric that
	// are both sets of runs (Metric.Runs); a relative regression the test
	// does not find significant passes, marked not significant, unless
	// FailWithinNoise is set.
	RankTest func(base, cur []float64) Rank
}

// VerdictNotSignificant marks a relative check that exceeded its limit by
// a change the rank test across runs did not find significant.
const VerdictNotSignificant = "not significant"

// Evaluate checks every threshold against the metrics of the new run cur
// and, for relative thresholds, of the base run (base may be nil when
// there is none). A threshold naming a metric the runs lack is an error
// wrapping ErrUnknownMetric that lists close matches; a relative one
// without a base wraps ErrNoBase; a duration limit on a metric that is not
// a latency wraps ErrMalformed. All such errors are joined and no checks
// are returned with them.
func Evaluate(ts []Threshold, base, cur map[string]Metric, opts Options) ([]Check, error) {
	var checks []Check
	var errs []error
	for _, t := range ts {
		if t.Relative && base == nil {
			errs = append(errs, fmt.Errorf("%w: threshold %q compares with a base run, and there is none", ErrNoBase, t.Text))
			continue
		}
		n, okN := cur[t.Metric]
		b, okB := base[t.Metric]
		if !okN || (t.Relative && !okB) {
			where := "the new run"
			if okN {
				where = "the base run"
			}
			msg := fmt.Sprintf("%s: threshold %q: %q is not in %s", ErrUnknownMetric, t.Text, t.Metric, where)
			if cm := closeMatches(t.Metric, names(cur), 5); len(cm) > 0 {
				msg += "; did you mean " + strings.Join(cm, ", ") + "?"
			}
			errs = append(errs, &unknownMetricError{msg: msg})
			continue
		}
		if err := t.CheckUnit(n.Unit); err != nil {
			errs = append(errs, err)
			continue
		}
		ch := Check{Threshold: t, New: &n, Delta: math.NaN()}
		if okB {
			ch.Base = &b
			ch.Delta = Change(b.Value, n.Value)
			ch.Band = NoiseBand(b, n)
			if opts.RankTest != nil && len(b.Runs) > 0 && len(n.Runs) > 0 {
				r := opts.RankTest(b.Runs, n.Runs)
				ch.Rank = &r
			}
		}
		if t.Relative {
			ch.Value = ch.Delta
			if n.HigherBetter {
				ch.Value = -ch.Delta
			}
			if math.IsNaN(ch.Value) {
				ch.Value = 0
			}
			ch.Failed = !t.Holds(ch.Value)
			if ch.Failed && ch.Band > 0 && math.Abs(ch.Delta) <= ch.Band && !opts.FailWithinNoise {
				ch.Failed, ch.Noise = false, true
			}
			if ch.Failed && ch.Rank != nil && !ch.Rank.Significant() && !opts.FailWithinNoise {
				ch.Failed, ch.NotSignificant = false, true
			}
		} else {
			ch.Value = n.Value
			ch.Failed = !t.Holds(n.Value)
		}
		switch {
		case ch.Failed:
			ch.Verdict = VerdictRegression
		case ch.Noise:
			ch.Verdict = VerdictPass + " (" + VerdictWithinNoise + ")"
		case ch.NotSignificant:
			ch.Verdict = VerdictPass + " (" + VerdictNotSignificant + ")"
		default:
			ch.Verdict = VerdictPass
		}
		checks = append(checks, ch)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return checks, nil
}

// Failed returns the texts of the failed checks.
func Failed(checks []Check) []string {
	var out []string
	for _, ch := range checks {
		if ch.Failed {
			out = append(out, ch.Threshold.Text)
		}
	}
	return out
}

type unknownMetricError struct{ msg string }

func (e *unknownMetricError) Error() string { return e.msg }
func (e *unknownMetricError) Unwrap() error { return ErrUnknownMetric }

func names(m map[string]Metric) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
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
		d := suggest.Distance(want, k)
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

// CheckUnit checks that the threshold's limit is written in a way metrics of
// unit u can be held to: a latency limit is a duration with its unit (5ms,
// not 5 or 5000000), anything else a number or a percentage. A relative
// threshold's limit is always a percentage (Parse checks it). Errors wrap
// ErrMalformed.
func (t Threshold) CheckUnit(u Unit) error {
	if t.Relative {
		return nil
	}
	switch {
	case u == UnitNs && !t.isDuration():
		return fmt.Errorf("%w %q: %s is a latency: its limit needs a unit, like 20ms or 500us, not %q", ErrMalformed, t.Text, t.Metric, t.LimitText)
	case u != UnitNs && t.isDuration():
		return fmt.Errorf("%w %q: %s is not a latency, the limit %s must be a number or a percentage", ErrMalformed, t.Text, t.Metric, t.LimitText)
	}
	return nil
}
