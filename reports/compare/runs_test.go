package compare

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esbench/esbench/reports"
	"github.com/esbench/esbench/thresholds"
)

// writeRunSet writes one result directory per scale into a new directory
// and returns it, as esbench run --count lays out its runs.
func writeRunSet(t *testing.T, scales ...float64) string {
	t.Helper()
	set := t.TempDir()
	for i, s := range scales {
		dir := writeCmpResult(t, cmpFixture{scale: s, jitter: 0.01})
		// Move the fixture into the set under a run-like name.
		dst := filepath.Join(set, "tiny-"+string(rune('a'+i)))
		if err := os.Rename(dir, dst); err != nil {
			t.Fatal(err)
		}
	}
	return set
}

func mustLoadSet(t *testing.T, dir string) []*Loaded {
	t.Helper()
	ls, err := LoadResults(dir)
	if err != nil {
		t.Fatal(err)
	}
	return ls
}

// TestCompareSetsRankTest compares sets of runs whose latencies are known:
// every latency of a run is its scale times one fixed distribution, so the
// runs' p99s are ordered exactly as their scales.
func TestCompareSetsRankTest(t *testing.T) {
	base := mustLoadSet(t, writeRunSet(t, 1.00, 0.80, 1.20, 0.90, 1.10))
	tests := []struct {
		name   string
		scales []float64
		opts   thresholds.Options
		// wantP bounds the rank test's p-value of acquire.p99.
		wantPBelow, wantPAbove float64
		wantRow                string
		wantCheck              string
		wantRegressed          bool
	}{
		{
			// Every new run slower than every base run: the smallest
			// two-sided p of 5 against 5 runs, 2/C(10,5) = 0.0079.
			name: "known different", scales: []float64{1.45, 1.30, 1.50, 1.35, 1.40},
			wantPBelow: 0.01, wantRow: VerdictWorse, wantCheck: thresholds.VerdictRegression, wantRegressed: true,
		},
		{
			// Interleaved with the base runs, the median 12% higher: over
			// the 5% limit, but the ranks show no change.
			name: "known same", scales: []float64{1.12, 0.85, 1.25, 0.95, 1.15},
			wantPAbove: 0.2, wantRow: VerdictNotSignificant, wantCheck: thresholds.VerdictPass + " (" + thresholds.VerdictNotSignificant + ")",
		},
		{
			name: "known same, failing within noise", scales: []float64{1.12, 0.85, 1.25, 0.95, 1.15}, opts: thresholds.Options{FailWithinNoise: true},
			wantPAbove: 0.2, wantRow: VerdictNotSignificant, wantCheck: thresholds.VerdictRegression, wantRegressed: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cur := mustLoadSet(t, writeRunSet(t, tc.scales...))
			c, err := CompareSets(base, cur, mustThresholds(t, "acquire.p99 regression < 5%"), tc.opts, DefaultAlpha)
			if err != nil {
				t.Fatal(err)
			}
			if c.BaseRuns != 5 || c.NewRuns != 5 {
				t.Errorf("runs %d and %d, want 5 and 5", c.BaseRuns, c.NewRuns)
			}
			row, ok := findRow(c, "acquire.p99")
			if !ok || row.Rank == nil {
				t.Fatal("acquire.p99 has no rank test")
			}
			if p := row.Rank.P; (tc.wantPBelow > 0 && p >= tc.wantPBelow) || p <= tc.wantPAbove {
				t.Errorf("p = %.4f, want below %g / above %g", p, tc.wantPBelow, tc.wantPAbove)
			}
			if row.Rank.N1 != 5 || row.Rank.N2 != 5 {
				t.Errorf("rank test over %d and %d runs, want 5 and 5", row.Rank.N1, row.Rank.N2)
			}
			if row.Verdict != tc.wantRow {
				t.Errorf("acquire.p99 verdict %q, want %q", row.Verdict, tc.wantRow)
			}
			// The median of the runs, not their mean or any one run.
			one := Metrics(base[0].Result, nil)["acquire.p99"].Value
			if math.Abs(row.Base.Value-one) > 1e-9*one {
				t.Errorf("base median %v, want the scale-1.00 run's %v", row.Base.Value, one)
			}
			ch := c.Checks[0]
			if ch.Verdict != tc.wantCheck || c.Regressed != tc.wantRegressed {
				t.Errorf("check %q regressed %v, want %q %v", ch.Verdict, c.Regressed, tc.wantCheck, tc.wantRegressed)
			}
			if ch.Rank == nil || ch.Rank.P != row.Rank.P {
				t.Errorf("check rank %+v, want the row's %+v", ch.Rank, row.Rank)
			}
			var sb strings.Builder
			if err := WriteMarkdown(&sb, c); err != nil {
				t.Fatal(err)
			}
			md := sb.String()
			for _, want := range []string{"Base: 5 runs in", "new: 5 runs in", "| rank test |", "n=5+5", "Mann-Whitney U", "p < 0.05"} {
				if !strings.Contains(md, want) {
					t.Errorf("Markdown lacks %q:\n%s", want, md)
				}
			}
		})
	}
}

func TestCheckRunCounts(t *testing.T) {
	tests := []struct {
		n1, n2 int
		alpha  float64
		ok     bool
	}{
		{1, 1, 0.05, true}, // the single-run comparison
		{3, 3, 0.05, false},
		{4, 4, 0.05, true},
		{2, 10, 0.05, true}, // 2/C(12,2) = 0.030
		{2, 5, 0.05, false}, // 2/C(7,2) = 0.095
		{1, 5, 0.05, false},
		{4, 4, 0.01, false},
		{5, 5, 0.01, true},
	}
	for _, tc := range tests {
		err := CheckRunCounts(tc.n1, tc.n2, tc.alpha)
		if (err == nil) != tc.ok {
			t.Errorf("%d and %d runs at %g: %v, want ok %v", tc.n1, tc.n2, tc.alpha, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrTooFewRuns) {
			t.Errorf("%v does not wrap ErrTooFewRuns", err)
		}
	}
}

func TestCompareSetsMixedWorkloads(t *testing.T) {
	set := writeRunSet(t, 1, 1, 1, 1)
	runs := mustLoadSet(t, set)
	runs[2].Result.Workload = json.RawMessage(`{"name":"tiny","duration":"2s"}`)
	runs[0].Result.Workload = json.RawMessage(`{"name":"tiny","duration":"1s"}`)
	runs[1].Result.Workload, runs[3].Result.Workload = runs[0].Result.Workload, runs[0].Result.Workload
	_, err := CompareSets(mustLoadSet(t, set), runs, nil, thresholds.Options{}, DefaultAlpha)
	if !errors.Is(err, ErrMixedWorkloads) || !strings.Contains(err.Error(), "new:") || !strings.Contains(err.Error(), "field duration") {
		t.Errorf("error %v: want ErrMixedWorkloads naming the new side and field duration", err)
	}
	runs[2].Result.Experiment = "sweep"
	if _, err := CompareSets(mustLoadSet(t, set), runs, nil, thresholds.Options{}, DefaultAlpha); !errors.Is(err, ErrMixedWorkloads) || !strings.Contains(err.Error(), "sweep") {
		t.Errorf("error %v: want ErrMixedWorkloads naming the sweep experiment", err)
	}
}

func TestFindResults(t *testing.T) {
	set := writeRunSet(t, 1, 1, 1)
	got, err := reports.FindResults(set)
	if err != nil || len(got) != 3 {
		t.Fatalf("FindResults(set) = %v, %v: want 3 runs", got, err)
	}
	one, err := reports.FindResults(got[1])
	if err != nil || len(one) != 1 || one[0] != got[1] {
		t.Errorf("FindResults(run) = %v, %v: want the run itself", one, err)
	}
	if _, err := reports.FindResults(t.TempDir()); !errors.Is(err, reports.ErrNotResultDir) {
		t.Errorf("empty directory: %v, want ErrNotResultDir", err)
	}
}
