package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/esbench/esbench/reports"
)

// tinyWorkload is a mixed workload small enough for a unit test.
const tinyWorkload = `name: tiny
experiment: mixed
population:
  customers: 100
  history: {distribution: lognormal, mean: 10, sigma: 0.5, min: 5, max: 30, span: 720h}
arrival: {mode: open, process: poisson, rate: 300, workers: 2}
warmup: 200ms
duration: 700ms
preload: {enabled: true, workers: 2}
service: {snapshot: "every:10", codec: json}
`

func writeTiny(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "tiny.yaml")
	if err := os.WriteFile(p, []byte(tinyWorkload), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// resultDir returns the single result directory under out.
func resultDir(t *testing.T, out string) string {
	t.Helper()
	entries, err := os.ReadDir(out)
	if err != nil || len(entries) != 1 {
		t.Fatalf("want one result directory in %s, got %v (%v)", out, entries, err)
	}
	return filepath.Join(out, entries[0].Name())
}

func TestRunWritesResults(t *testing.T) {
	out := filepath.Join(t.TempDir(), "results")
	stdout, err := runCLI(t, "run", writeTiny(t), "--store", "memory", "--out", out, "--progress", "lines", "--progress-every", "100ms")
	if err != nil {
		t.Fatalf("run: %v\n%s", err, stdout)
	}
	dir := resultDir(t, out)
	res, err := reports.ReadFile(filepath.Join(dir, reports.ResultFile))
	if err != nil {
		t.Fatal(err)
	}
	if res.Partial || res.Experiment != "mixed" || len(res.Runs) != 2 {
		t.Fatalf("result: partial=%v experiment=%s runs=%d", res.Partial, res.Experiment, len(res.Runs))
	}
	if res.Environment.Backend != "memory" || res.Environment.GoVersion == "" || !bytes.Contains(res.Workload, []byte(`"name": "tiny"`)) && !bytes.Contains(res.Workload, []byte(`"name":"tiny"`)) {
		t.Errorf("environment/workload not recorded: %+v %s", res.Environment, res.Workload)
	}
	for _, f := range []string{reports.SummaryFile, "workload.yaml", "tiny.corrected.hlog", "tiny.service.hlog", "tiny.lag.hlog", "preload.corrected.hlog"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	// The interval logs add up to the run's recorded operations.
	f, err := os.Open(filepath.Join(dir, "tiny.corrected.hlog"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd := hdr.NewHistogramLogReader(f)
	var n int64
	for {
		h, err := rd.NextIntervalHistogram()
		if err != nil {
			t.Fatal(err)
		}
		if h == nil {
			break
		}
		n += h.TotalCount()
	}
	if n != res.Runs[1].Recorded || n == 0 {
		t.Errorf(".hlog holds %d values, the run recorded %d", n, res.Runs[1].Recorded)
	}
	for _, want := range []string{"tiny: open loop", "results: " + dir, "acquire"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("console output lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stdout, "[preload") {
		t.Errorf("no plain progress lines:\n%s", stdout)
	}
}

func TestRunInterruptedWritesPartialResults(t *testing.T) {
	out := filepath.Join(t.TempDir(), "results")
	root := newRootCmd()
	var buf bytes.Buffer
	root.SetOut(&buf)
	root.SetErr(&buf)
	root.SetArgs([]string{"run", writeTiny(t), "--store", "memory", "--out", out, "--progress", "none", "--duration", "1h"})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(1500*time.Millisecond, cancel)
	err := root.ExecuteContext(ctx)
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != exitInterrupted {
		t.Fatalf("want exit code %d, got %v\n%s", exitInterrupted, err, buf.String())
	}
	res, err := reports.ReadFile(filepath.Join(resultDir(t, out), reports.ResultFile))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Partial || !strings.Contains(res.PartialReason, "interrupted") {
		t.Errorf("partial=%v reason=%q", res.Partial, res.PartialReason)
	}
	if !strings.Contains(buf.String(), "PARTIAL RESULT") {
		t.Errorf("console summary does not say partial:\n%s", buf.String())
	}
}

func TestRunBadInput(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown preset or file", []string{"run", "no-such-workload", "--store", "memory"}, "no-such-workload"},
		{"bad progress", []string{"run", "--store", "memory", "--progress", "fancy"}, "--progress"},
		{"bad codec", []string{"run", "--store", "memory", "--codec", "xml"}, "xml"},
		{"bad mode", []string{"run", "--store", "memory", "--mode", "sideways"}, "sideways"},
	}
	for _, tt := range tests {
		out := t.TempDir()
		_, err := runCLI(t, append(tt.args, "--out", out)...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want it to mention %q", tt.name, err, tt.want)
		}
	}
}
