package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/esbench/esbench/internal/owned"
	"github.com/esbench/esbench/reports"
	"github.com/esbench/esbench/reports/compare"
)

// TestCompareCommand compares two real result directories made in-process
// by `esbench run` of the tiny workload on the memory store.
func TestCompareCommand(t *testing.T) {
	tiny := writeTiny(t)
	var dirs [2]string
	for i := range dirs {
		out := filepath.Join(t.TempDir(), "results")
		if stdout, err := runCLI(t, "run", tiny, "--store", "memory", "--out", out, "--progress", "none"); err != nil {
			t.Fatalf("run: %v\n%s", err, stdout)
		}
		dirs[i] = resultDir(t, out)
	}
	base, cur := dirs[0], dirs[1]
	// The run also wrote its CSV exports, listed among its files.
	for _, f := range []string{reports.OpsCSVFile, reports.SweepCSVFile} {
		fh, err := os.Open(filepath.Join(base, f))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(fh).ReadAll()
		fh.Close()
		if err != nil || len(rows) == 0 {
			t.Fatalf("%s: %v (%d rows)", f, err, len(rows))
		}
		if f == reports.OpsCSVFile && len(rows) < 3 {
			t.Errorf("ops.csv has no operation rows: %v", rows)
		}
	}
	res, err := reports.ReadFile(filepath.Join(base, reports.ResultFile))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(res.Files, reports.OpsCSVFile) || !slices.Contains(res.Files, reports.SweepCSVFile) {
		t.Errorf("result files %v do not list the CSVs", res.Files)
	}
	wl := filepath.Join(t.TempDir(), "thresholds.yaml")
	if err := os.WriteFile(wl, []byte(strings.Replace(tinyWorkload, "name: tiny\n", "name: tiny\nthresholds: [\"p99(acquire) < 1ns\"]\n", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	report := filepath.Join(t.TempDir(), "compare.md")

	tests := []struct {
		name     string
		args     []string
		wantCode int
		// want are strings the output or error must hold.
		want []string
	}{
		{name: "pass", args: []string{base, cur, "--threshold", "acquire.p99 < 10s", "--threshold", "replay.p99 < 10s", "--threshold", "check.error_rate <= 100%", "--out", report},
			wantCode: exitComparePass, want: []string{"# esbench compare: **pass**", "| `acquire.p99 < 10s` |", "## Operations"}},
		{name: "result.json files", args: []string{filepath.Join(base, "result.json"), filepath.Join(cur, "result.json"), "--threshold", "acquire.p50 < 10s"},
			wantCode: exitComparePass, want: []string{"**pass**"}},
		{name: "absolute regression", args: []string{base, cur, "--threshold", "acquire.p50 < 1ns", "--threshold", "check.p99 < 10s"},
			wantCode: exitCompareRegression, want: []string{"**REGRESSION**", "acquire.p50 < 1ns"}},
		{name: "relative regression strict", args: []string{cur, cur, "--threshold", "acquire.p99 regression < 0%", "--fail-within-noise"},
			wantCode: exitCompareRegression, want: []string{"acquire.p99 regression < 0%"}},
		{name: "workload thresholds", args: []string{base, cur, "--workload", wl},
			wantCode: exitCompareRegression, want: []string{"p99(acquire) < 1ns"}},
		{name: "unknown metric", args: []string{base, cur, "--threshold", "acquire.p9 < 5ms"},
			wantCode: exitCompareFailure, want: []string{"unknown metric", `"acquire.p9"`, "acquire.p99"}},
		{name: "malformed threshold", args: []string{base, cur, "--threshold", "acquire.p99 is fast"},
			wantCode: exitCompareFailure, want: []string{"malformed threshold", `"acquire.p99 is fast"`}},
		{name: "missing result", args: []string{base, filepath.Join(t.TempDir(), "nope"), "--threshold", "acquire.p99 < 5ms"},
			wantCode: exitCompareFailure, want: []string{"new:", "nope"}},
		{name: "one argument", args: []string{base}, wantCode: exitCompareFailure, want: []string{"compare takes BASE NEW (2 arguments)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runCLI(t, append([]string{"compare"}, tt.args...)...)
			code := exitComparePass
			if err != nil {
				code = exitCode(err)
				out += "\n" + err.Error()
			}
			if code != tt.wantCode {
				t.Fatalf("exit code %d, want %d:\n%s", code, tt.wantCode, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
	md, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "# esbench compare: **pass**") || !strings.Contains(string(md), "within noise") {
		t.Errorf("--out file is not the report:\n%s", md)
	}
}

// TestCompareCommittedBaseline checks that the committed CI workload's
// thresholds parse and name metrics the committed baseline has: compared
// with itself it must pass.
func TestCompareCommittedBaseline(t *testing.T) {
	base := filepath.Join("..", "..", "bench", "baseline", "result")
	wl := filepath.Join("..", "..", "bench", "baseline", "ci.yaml")
	out, err := runCLI(t, "compare", base, base, "--workload", wl)
	if err != nil {
		t.Fatalf("exit %d: %v\n%s", exitCode(err), err, out)
	}
	if !strings.Contains(out, "**pass**") || !strings.Contains(out, "`acquire.service.p99 regression < 100%`") {
		t.Errorf("report lacks the verdict or the workload's thresholds:\n%s", out)
	}
}

// TestRunCountAndCompareSets repeats the tiny workload with --count on two
// sides and compares the sets: the runs land in one directory per side,
// each a result directory, and compare reads them as sets with a rank test.
func TestRunCountAndCompareSets(t *testing.T) {
	tiny := writeTiny(t)
	var sets [2]string
	for i := range sets {
		out := filepath.Join(t.TempDir(), "results")
		stdout, err := runCLI(t, "run", tiny, "--store", "memory", "--out", out, "--progress", "none", "--count", "4")
		if err != nil {
			t.Fatalf("run --count 4: %v\n%s", err, stdout)
		}
		sets[i] = resultDir(t, out)
		if !strings.Contains(stdout, "4 runs: "+sets[i]) {
			t.Errorf("run --count 4 does not name its set %s:\n%s", sets[i], stdout)
		}
		runs, err := reports.FindResults(sets[i])
		if err != nil || len(runs) != 4 {
			t.Fatalf("set %s: %v runs (%v), want 4", sets[i], runs, err)
		}
		if !owned.Owns(sets[i], owned.KindRunSet) {
			t.Errorf("%s is not marked as esbench's run set", sets[i])
		}
	}
	files := t.TempDir()
	jsonPath, csvPath := filepath.Join(files, "c.json"), filepath.Join(files, "c.csv")
	stdout, err := runCLI(t, "compare", sets[0], sets[1], "--threshold", "acquire.count > 0", "--json", jsonPath, "--csv", csvPath)
	if err != nil {
		t.Fatalf("compare: %v\n%s", err, stdout)
	}
	// The rank test is in the JSON and CSV files too.
	jb, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var doc compare.JSONComparison
	if err := json.Unmarshal(jb, &doc); err != nil {
		t.Fatal(err)
	}
	var ranked int
	for _, m := range doc.Metrics {
		if r := m.Rank; r != nil && r.NBase == 4 && r.NNew == 4 && r.P > 0 && r.P <= 1 && len(m.BaseRuns) == 4 {
			ranked++
		}
	}
	if doc.Base.Runs != 4 || ranked == 0 || len(doc.Checks) != 1 {
		t.Errorf("--json: %d runs, %d metrics with a 4+4 rank test, %d checks", doc.Base.Runs, ranked, len(doc.Checks))
	}
	cb, err := os.ReadFile(csvPath)
	if err != nil || !strings.Contains(string(cb), ",4,4,0.05,") {
		t.Errorf("--csv lacks rank tests over 4+4 runs at alpha 0.05 (%v):\n%s", err, cb)
	}
	// An earlier compare output may be overwritten.
	if _, err := runCLI(t, "compare", sets[0], sets[1], "--json", jsonPath, "--csv", csvPath); err != nil {
		t.Errorf("compare over its own JSON and CSV: %v", err)
	}
	for _, want := range []string{"Base: 4 runs in `" + sets[0] + "`", "new: 4 runs in `" + sets[1] + "`", "n=4+4", "| rank test |", "Mann-Whitney U"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("compare output lacks %q:\n%s", want, stdout)
		}
	}
	// The same runs listed one by one around --: the same comparison.
	runs0, _ := reports.FindResults(sets[0])
	runs1, _ := reports.FindResults(sets[1])
	args := append(append(append([]string{"compare"}, runs0...), "--"), runs1...)
	if stdout, err := runCLI(t, args...); err != nil || !strings.Contains(stdout, "n=4+4") {
		t.Errorf("compare B... -- N...: %v\n%s", err, stdout)
	}
}
