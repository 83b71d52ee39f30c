package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/esbench/esbench/internal/owned"
	"github.com/esbench/esbench/reports"
)

// chartsExpected returns the chart count report.html declares, or -1.
func chartsExpected(t *testing.T, page []byte) int {
	t.Helper()
	m := regexp.MustCompile(`data-charts-expected="(\d+)"`).FindSubmatch(page)
	if m == nil {
		return -1
	}
	n := 0
	for _, c := range m[1] {
		n = n*10 + int(c-'0')
	}
	return n
}

func TestReportRewritesRunReport(t *testing.T) {
	out := filepath.Join(t.TempDir(), "results")
	if stdout, err := runCLI(t, "run", writeTiny(t), "--store", "memory", "--out", out, "--progress", "none",
		// Several intervals in a sub-second run, so over-time charts exist.
		"--interval", "100ms"); err != nil {
		t.Fatalf("run: %v\n%s", err, stdout)
	}
	dir := resultDir(t, out)
	page := filepath.Join(dir, reports.HTMLFile)

	// esbench run wrote the report itself, with the over-time charts from
	// its interval logs (closed and complete by then).
	first, err := os.ReadFile(page)
	if err != nil {
		t.Fatalf("esbench run wrote no report: %v", err)
	}
	res, err := reports.ReadFile(filepath.Join(dir, reports.ResultFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(res.Files, " "), reports.HTMLFile) {
		t.Errorf("result.json files %v do not list %s", res.Files, reports.HTMLFile)
	}

	if err := os.Remove(page); err != nil {
		t.Fatal(err)
	}
	stdout, err := runCLI(t, "report", dir)
	if err != nil {
		t.Fatalf("report: %v\n%s", err, stdout)
	}
	if !strings.Contains(stdout, page) {
		t.Errorf("output does not name the report: %q", stdout)
	}
	second, err := os.ReadFile(page)
	if err != nil {
		t.Fatalf("esbench report wrote no report: %v", err)
	}
	for name, p := range map[string][]byte{"run": first, "report": second} {
		// The tiny run's spectrum, two over-time charts and replay chart;
		// the preload's spectrum.
		if n := chartsExpected(t, p); n < 5 {
			t.Errorf("%s: report.html declares %d charts, want at least 5", name, n)
		}
		for _, want := range []string{"Latency by percentile — tiny", "Throughput over time — tiny",
			"p99 latency over time — tiny", "<td>acquire</td>", "Chart.js v4.6.1"} {
			if !strings.Contains(string(p), want) {
				t.Errorf("%s: report.html lacks %q", name, want)
			}
		}
	}
	if chartsExpected(t, first) != chartsExpected(t, second) {
		t.Errorf("rewritten report has %d charts, the run's had %d", chartsExpected(t, second), chartsExpected(t, first))
	}
}

func TestReportBadDirectory(t *testing.T) {
	base := t.TempDir()
	mk := func(name string, files map[string]string) string {
		// Made as esbench makes result directories, so the command gets
		// past the ownership check to the contents.
		dir := filepath.Join(base, name)
		if err := owned.Create(dir, owned.KindResults); err != nil {
			t.Fatal(err)
		}
		for f, content := range files {
			if err := os.WriteFile(filepath.Join(dir, f), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	empty := mk("empty", nil)
	garbage := mk("garbage", map[string]string{reports.ResultFile: "{not json"})
	schema := mk("schema", map[string]string{reports.ResultFile: `{"schema": "esbench.result/v0"}`})
	var valid strings.Builder
	if err := reports.WriteJSON(&valid, reports.New("mixed")); err != nil {
		t.Fatal(err)
	}
	badLog := mk("badlog", map[string]string{reports.ResultFile: valid.String(),
		"tiny.corrected.hlog": "#[StartTime: 1.000 (seconds since epoch)]\nTag=acquire,0.000,1.000,1.000,not-a-histogram\n"})
	file := filepath.Join(base, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		dir  string
		want []string
	}{
		{"missing directory", filepath.Join(base, "nope"), []string{filepath.Join(base, "nope")}},
		{"not a directory", file, []string{file, "not a directory"}},
		{"no result.json", empty, []string{filepath.Join(empty, reports.ResultFile), "esbench result directory"}},
		{"invalid result.json", garbage, []string{filepath.Join(garbage, reports.ResultFile), "decoding"}},
		{"other schema", schema, []string{filepath.Join(schema, reports.ResultFile), "esbench.result/v0"}},
		{"corrupt interval log", badLog, []string{"tiny.corrected.hlog", filepath.Join(badLog, reports.HTMLFile)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := runCLI(t, "report", tt.dir)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if _, err := os.Stat(filepath.Join(tt.dir, reports.HTMLFile)); err == nil {
				t.Errorf("a report was written for a bad directory")
			}
		})
	}
	if _, err := runCLI(t, "report"); err == nil {
		t.Error("report without a directory succeeded")
	}
}
