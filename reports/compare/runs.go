package compare

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"golang.org/x/perf/benchmath"

	"github.com/esbench/esbench/reports"
	"github.com/esbench/esbench/thresholds"
)

// DefaultAlpha is the significance level of the rank test across runs.
const DefaultAlpha = 0.05

// ErrTooFewRuns is returned (wrapped) when sets of runs are compared that
// are too small for the rank test ever to find a change significant.
var ErrTooFewRuns = errors.New("too few runs for the rank test")

// ErrMixedWorkloads is returned (wrapped) when the runs of one side did
// not all run the same workload.
var ErrMixedWorkloads = errors.New("the runs of one side ran different workloads")

// LoadResults reads every run path stands for (reports.FindResults): one
// result, or each result directory in a directory of them, such as the
// run set esbench run --count writes.
func LoadResults(path string) ([]*Loaded, error) {
	paths, err := reports.FindResults(path)
	if err != nil {
		return nil, err
	}
	out := make([]*Loaded, 0, len(paths))
	for _, p := range paths {
		l, err := LoadResult(p)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, nil
}

// minRankP is the smallest two-sided p-value the Mann-Whitney U test can
// give for samples of n1 and n2 distinct values: both orderings in which
// one sample lies entirely above the other, out of C(n1+n2, n1).
func minRankP(n1, n2 int) float64 {
	// C(n1+n2, n1) computed in floating point; it only needs to be exact
	// enough to compare with alpha.
	c := 1.0
	for i := 1; i <= n1; i++ {
		c = c * float64(n2+i) / float64(i)
	}
	return math.Min(1, 2/c)
}

// CheckRunCounts reports whether sets of n1 base and n2 new runs can show a
// significant change at alpha; one run on each side is the single-run
// comparison and needs no test.
func CheckRunCounts(n1, n2 int, alpha float64) error {
	if n1 == 1 && n2 == 1 {
		return nil
	}
	if p := minRankP(n1, n2); p >= alpha {
		need := 1
		for minRankP(need, need) >= alpha {
			need++
		}
		return fmt.Errorf("%w: with %d base and %d new runs the smallest p-value the rank test can give is %.3g, not below alpha %g, so no change could ever count as significant; give at least %d runs on each side (esbench run --count %d), or one run on each side for the single-run comparison",
			ErrTooFewRuns, n1, n2, p, alpha, need, need)
	}
	return nil
}

// checkSameWorkload makes sure every run of one side ran the same
// resolved workload and experiment.
func checkSameWorkload(side string, runs []*Loaded) error {
	first := runs[0]
	for _, l := range runs[1:] {
		if l.Result.Experiment != first.Result.Experiment {
			return fmt.Errorf("%w: %s: %s is a %s experiment and %s a %s experiment; the runs of one side must repeat one workload",
				ErrMixedWorkloads, side, first.Path, first.Result.Experiment, l.Path, l.Result.Experiment)
		}
		if field := workloadDiff(first.Result.Workload, l.Result.Workload); field != "" {
			return fmt.Errorf("%w: %s: %s and %s differ in the workload's %s; the runs of one side must repeat one workload (esbench run --count N)",
				ErrMixedWorkloads, side, first.Path, l.Path, field)
		}
	}
	return nil
}

// workloadDiff names the first top-level field in which two resolved
// workloads differ, or "" when they are the same.
func workloadDiff(a, b json.RawMessage) string {
	if bytes.Equal(a, b) {
		return ""
	}
	var ma, mb map[string]json.RawMessage
	if json.Unmarshal(a, &ma) != nil || json.Unmarshal(b, &mb) != nil {
		return "resolved workload"
	}
	keys := map[string]bool{}
	for k := range ma {
		keys[k] = true
	}
	for k := range mb {
		keys[k] = true
	}
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if !jsonEqual(ma[k], mb[k]) {
			return "field " + k
		}
	}
	return ""
}

func jsonEqual(a, b json.RawMessage) bool {
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return bytes.Equal(a, b)
	}
	ja, _ := json.Marshal(va)
	jb, _ := json.Marshal(vb)
	return bytes.Equal(ja, jb)
}

// setMetrics summarises the metrics of a set of runs: each metric every run
// has, valued at the median over the runs (Runs holds them all), with the
// within-run noise band of the median run's interval logs.
func setMetrics(runs []*Loaded) map[string]thresholds.Metric {
	per := make([]map[string]thresholds.Metric, len(runs))
	for i, l := range runs {
		per[i] = Metrics(l.Result, l.Logs)
	}
	out := map[string]thresholds.Metric{}
	for name, m := range per[0] {
		vals := make([]float64, 0, len(runs))
		noise := make([]thresholds.Metric, 0, len(runs))
		for _, pm := range per {
			v, ok := pm[name]
			if !ok {
				break
			}
			vals = append(vals, v.Value)
			noise = append(noise, v)
		}
		if len(vals) < len(runs) {
			continue
		}
		s := benchmath.NewSample(slices.Clone(vals), &benchmath.DefaultThresholds)
		m.Value = benchmath.AssumeNothing.Summary(s, 0.95).Center
		sort.Slice(noise, func(i, j int) bool { return noise[i].Noise < noise[j].Noise })
		mid := noise[len(noise)/2]
		m.Noise, m.Samples = mid.Noise, mid.Samples
		m.Runs = vals
		out[name] = m
	}
	return out
}

// rankTest is the Mann-Whitney U test of benchmath (its "assume nothing"
// comparison), two-sided, at alpha.
func rankTest(alpha float64) func(base, cur []float64) thresholds.Rank {
	th := benchmath.Thresholds{CompareAlpha: alpha}
	return func(base, cur []float64) thresholds.Rank {
		c := benchmath.AssumeNothing.Compare(benchmath.NewSample(slices.Clone(base), &th), benchmath.NewSample(slices.Clone(cur), &th))
		return thresholds.Rank{P: c.P, N1: c.N1, N2: c.N2, Alpha: alpha}
	}
}

// CompareSets compares a set of base runs with a set of new runs. One run
// on each side is Compare. Otherwise each side must repeat one workload and
// hold enough runs for the rank test (CheckRunCounts); each metric is the
// median over its side's runs, every row carries the Mann-Whitney U test
// across the runs (p-value and numbers of runs) beside the within-run noise
// band, and a relative threshold exceeded by a change the test does not
// find significant passes, marked not significant.
func CompareSets(base, cur []*Loaded, ths []thresholds.Threshold, opts thresholds.Options, alpha float64) (*Comparison, error) {
	if len(base) == 0 || len(cur) == 0 {
		return nil, errors.New("compare: a side without runs")
	}
	if len(base) == 1 && len(cur) == 1 {
		return Compare(base[0], cur[0], ths, opts)
	}
	if !(alpha > 0 && alpha < 1) {
		return nil, fmt.Errorf("compare: alpha %g: must lie in (0, 1)", alpha)
	}
	if err := CheckRunCounts(len(base), len(cur), alpha); err != nil {
		return nil, err
	}
	if err := errors.Join(checkSameWorkload("base", base), checkSameWorkload("new", cur)); err != nil {
		return nil, err
	}
	bm, nm := setMetrics(base), setMetrics(cur)
	opts.RankTest = rankTest(alpha)
	checks, err := thresholds.Evaluate(ths, bm, nm, opts)
	if err != nil {
		return nil, err
	}
	c := &Comparison{
		BasePath: sideName(base), NewPath: sideName(cur),
		Base: base[0].Result, New: cur[0].Result, Options: opts, Checks: checks,
		BaseRuns: len(base), NewRuns: len(cur), Alpha: alpha,
	}
	for _, l := range base {
		c.Partial = c.Partial || l.Result.Partial
	}
	for _, l := range cur {
		c.Partial = c.Partial || l.Result.Partial
	}
	c.Regressed = len(thresholds.Failed(checks)) > 0
	c.Sections = sections(base[0].Result, cur[0].Result, bm, nm)
	test := opts.RankTest
	for i := range c.Sections {
		for j := range c.Sections[i].Rows {
			r := &c.Sections[i].Rows[j]
			if r.Base == nil || r.New == nil {
				continue
			}
			rk := test(r.Base.Runs, r.New.Runs)
			r.Rank = &rk
			r.Verdict = rankVerdict(*r)
		}
	}
	return c, nil
}

// rankVerdict is a row's verdict across runs: the rank test decides
// whether there is a change; the within-run noise band says whether it is
// also larger than one run's own spread.
func rankVerdict(r Row) string {
	switch {
	case r.Delta == 0 || !r.Rank.Significant():
		return VerdictNotSignificant
	case (r.New.Value > r.Base.Value) == r.New.HigherBetter:
		if r.Band > 0 && math.Abs(r.Delta) <= r.Band {
			return VerdictBetter + ", " + thresholds.VerdictWithinNoise
		}
		return VerdictBetter
	default:
		if r.Band > 0 && math.Abs(r.Delta) <= r.Band {
			return VerdictWorse + ", " + thresholds.VerdictWithinNoise
		}
		return VerdictWorse
	}
}

// sideName names a side's runs for the report: the one path, the
// directory they share, or every run's directory.
func sideName(runs []*Loaded) string {
	if len(runs) == 1 {
		return runs[0].Path
	}
	dirs := make([]string, len(runs))
	for i, l := range runs {
		dirs[i] = filepath.Dir(l.Path)
	}
	parent := filepath.Dir(dirs[0])
	for _, d := range dirs {
		if filepath.Dir(d) != parent {
			return strings.Join(dirs, "`, `")
		}
	}
	return parent
}

// formatRank renders a row's rank test: p-value and runs.
func formatRank(r *thresholds.Rank) string {
	if r == nil {
		return "–"
	}
	return fmt.Sprintf("p=%.3f n=%d+%d", r.P, r.N1, r.N2)
}
