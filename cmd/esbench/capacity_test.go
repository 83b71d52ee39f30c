package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/esbench/esbench/bench/dataset"
	"github.com/esbench/esbench/reports"
)

// capacityWorkload searches the memory store with an SLO whose breaking
// point is known in advance: acquire is 30% of the mix, so "acquire
// throughput below 90/s" holds up to a target rate of about 300/s. The
// margins are Poisson counts over a 1 s step: at 200/s acquire runs at
// 60 ± 8/s and at 400/s at 120 ± 11/s, 2.7 standard deviations from the
// limit either way, so the first three verdicts are all but certain; the
// bisection's are whatever was measured, and the test checks each follows
// its measured figure.
const capacityWorkload = `name: cap
experiment: capacity
population:
  customers: 500
  history: {distribution: lognormal, mean: 10, sigma: 0.5, min: 5, max: 30, span: 720h}
arrival: {mode: open, process: poisson, rate: 100, workers: 4}
warmup: 200ms
duration: 1s
preload: {enabled: true, workers: 2}
service: {snapshot: "every:10", codec: json}
capacity:
  max_rate: 3200
  min_rate: 10
  growth: 2
  resolution: 0.2
  min_operations: 50
  max_steps: 8
  settle: 300ms
  slos: ["acquire.throughput < 90", "acquire.unavailable.p99 < 1s"]
`

// runCapacity runs the capacity workload wl with args and returns its
// result directory, result, the result's runs by name and the output.
func runCapacity(t *testing.T, wl string, args ...string) (string, *reports.Result, map[string]*reports.Run, string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "results")
	stdout, err := runCLI(t, append([]string{"run", writeWorkload(t, wl), "--out", out, "--progress", "none"}, args...)...)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, stdout)
	}
	dir := resultDir(t, out)
	res, err := reports.ReadFile(filepath.Join(dir, reports.ResultFile))
	if err != nil {
		t.Fatal(err)
	}
	runs := map[string]*reports.Run{}
	for i := range res.Runs {
		runs[res.Runs[i].Name] = &res.Runs[i]
	}
	return dir, res, runs, stdout
}

func TestCapacitySearch(t *testing.T) {
	dir, res, runs, stdout := runCapacity(t, capacityWorkload, "--store", "memory")
	c := res.Capacity
	if c == nil || len(c.Steps) < 4 {
		t.Fatalf("capacity %+v: want at least 4 steps", c)
	}
	if !strings.Contains(stdout, "capacity: sustainable rate") {
		t.Errorf("no capacity verdict in\n%s", stdout)
	}
	// Growth first: 100, 200, 400 (the first to fail), then bisection.
	for i, want := range []float64{100, 200, 400} {
		if s := c.Steps[i]; s.TargetRate != want || s.Phase != "step" {
			t.Errorf("step %d: %s at %g/s, want step at %g/s", i+1, s.Phase, s.TargetRate, want)
		}
	}
	var maxPass, minFail float64
	for _, s := range c.Steps[3:] {
		if s.Phase != "bisect" {
			t.Errorf("step at %g/s: phase %s after the first failure, want bisect", s.TargetRate, s.Phase)
		}
	}
	for i, s := range c.Steps {
		run := runs[s.Run]
		if run == nil {
			t.Fatalf("step %s has no run in the result", s.Run)
		}
		// capacity.settle lengthens the first step's warmup only.
		if want := 200 * time.Millisecond; i != 0 && time.Duration(run.WarmupNs) != want {
			t.Errorf("%s: warmup %s, want %s", s.Run, time.Duration(run.WarmupNs), want)
		}
		if i == 0 && time.Duration(run.WarmupNs) != 500*time.Millisecond {
			t.Errorf("%s: warmup %s, want 500ms (200ms and the 300ms settle)", s.Run, time.Duration(run.WarmupNs))
		}
		var acq float64
		for _, op := range run.Operations {
			if op.Op == "acquire" {
				acq = op.Rate
				if op.Corrected.Histogram == "" {
					t.Errorf("%s: acquire has no histogram", s.Run)
				}
			}
		}
		// The verdict follows the measured figure, whatever the noise.
		if s.Passed != (acq < 90) {
			t.Errorf("%s at %g/s: passed=%v with acquire throughput %.1f/s (failed: %v)", s.Run, s.TargetRate, s.Passed, acq, s.Failed)
		}
		if _, err := os.Stat(filepath.Join(dir, s.Run+".corrected.hlog")); err != nil {
			t.Errorf("%s: no interval log: %v", s.Run, err)
		}
		if s.Passed {
			maxPass = max(maxPass, s.TargetRate)
		} else if minFail == 0 || s.TargetRate < minFail {
			minFail = s.TargetRate
		}
	}
	if c.SustainableRate != maxPass || c.FirstFailingRate != minFail || !(maxPass < minFail) {
		t.Errorf("sustainable %g, first failing %g; steps say %g and %g", c.SustainableRate, c.FirstFailingRate, maxPass, minFail)
	}
	if len(c.FailedSLOs) != 1 || !strings.HasPrefix(c.FailedSLOs[0], "acquire.throughput < 90") {
		t.Errorf("failed SLOs %v, want the throughput one (an outcome that never occurred is no breach)", c.FailedSLOs)
	}
	if c.Stopped != "resolution reached" && c.Stopped != "capacity.max_steps reached" {
		t.Errorf("stopped: %q", c.Stopped)
	}
	// Expect the knee between 200 and 400 (acquire at 30% of the mix).
	if !(c.SustainableRate >= 200 && c.SustainableRate < 400) {
		t.Errorf("sustainable rate %g outside [200, 400)", c.SustainableRate)
	}
	if c.StepState != reports.CapacityCumulative {
		t.Errorf("step state %q on the memory store, which cannot fork: want %q", c.StepState, reports.CapacityCumulative)
	}
	checkCapacitySummary(t, dir, c)
}

// TestCapacityStepsOnForks: on pebble every step runs on a fork of the
// preloaded store (result, console and summary say so), each step settles
// as the first does, no step audits a ledger, and every fork is removed
// when the search ends.
func TestCapacityStepsOnForks(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	wl := strings.Replace(capacityWorkload, "max_steps: 8", "max_steps: 3", 1)
	dir, res, runs, stdout := runCapacity(t, wl, "--store", "pebble")
	c := res.Capacity
	if c == nil || len(c.Steps) != 3 {
		t.Fatalf("capacity %+v: want 3 steps", c)
	}
	if c.StepState != reports.CapacityForked {
		t.Errorf("step state %q on pebble, want %q", c.StepState, reports.CapacityForked)
	}
	if !strings.Contains(stdout, "capacity steps: each on a fork of the preloaded store") {
		t.Errorf("the console does not say the steps ran on forks:\n%s", stdout)
	}
	for _, s := range c.Steps {
		// Each step is a freshly preloaded system: each settles.
		if w := time.Duration(runs[s.Run].WarmupNs); w != 500*time.Millisecond {
			t.Errorf("%s: warmup %s, want 500ms (200ms and the 300ms settle)", s.Run, w)
		}
	}
	left, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range left {
		t.Errorf("left behind in the temporary directory: %s", e.Name())
	}
	checkCapacitySummary(t, dir, c)
	md, err := os.ReadFile(filepath.Join(dir, reports.SummaryFile))
	if err != nil || !strings.Contains(string(md), "| steps | each on a fork of the preloaded store") {
		t.Errorf("summary.md does not say the steps ran on forks (%v)", err)
	}
}

// checkCapacitySummary checks summary.md carries the capacity section:
// the verdict figures of result.json and one row per step.
func checkCapacitySummary(t *testing.T, dir string, c *reports.Capacity) {
	t.Helper()
	md, err := os.ReadFile(filepath.Join(dir, reports.SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	summary := string(md)
	want := []string{"## Capacity", "| SLOs | " + strings.Join(c.SLOs, "; ") + " |", "| stopped | " + c.Stopped + " |"}
	if c.SustainableRate > 0 {
		want = append(want, fmt.Sprintf("| sustainable rate | **%.1f/s** (achieved %.1f/s) |", c.SustainableRate, c.SustainableAchieved))
	}
	if c.FirstFailingRate > 0 {
		want = append(want, fmt.Sprintf("| first failing rate | %.1f/s |", c.FirstFailingRate), "| SLOs it broke | "+strings.Join(c.FailedSLOs, "; ")+" |")
	}
	for i, s := range c.Steps {
		want = append(want, fmt.Sprintf("| %d | %s | %.1f | %.1f |", i+1, s.Phase, s.TargetRate, s.AchievedRate))
	}
	for _, w := range want {
		if !strings.Contains(summary, w) {
			t.Errorf("summary.md lacks %q:\n%s", w, summary)
		}
	}
}

func TestCapacityBadInput(t *testing.T) {
	tests := []struct{ replace, with, want string }{
		{"max_rate: 3200", "max_rate: 50", "capacity.max_rate"},
		{"max_rate: 3200", "max_rate: 0", "capacity.max_rate"},
		{"min_rate: 10", "min_rate: 500", "capacity.min_rate"},
		{"min_rate: 10", "min_rate: 0", "capacity.min_rate"},
		{"growth: 2", "growth: 1", "capacity.growth"},
		{"growth: 2", "growth: 11", "capacity.growth"},
		{"resolution: 0.2", "resolution: 0", "capacity.resolution"},
		{"resolution: 0.2", "resolution: 0.9", "capacity.resolution"},
		{"min_operations: 50", "min_operations: 0", "capacity.min_operations"},
		{"max_steps: 8", "max_steps: 1", "capacity.max_steps"},
		{"max_steps: 8", "max_steps: 51", "capacity.max_steps"},
		{`slos: ["acquire.throughput < 90", "acquire.unavailable.p99 < 1s"]`, "slos: []", "capacity.slos"},
		{`"acquire.throughput < 90"`, `"acquire.p99 < 20"`, "needs a unit"},
		{`"acquire.throughput < 90"`, `"acquire.p99 regression < 10%"`, "absolute limit"},
		{`"acquire.throughput < 90"`, `"acquire.p99 << 1ms"`, "capacity.slos[0]"},
		{`"acquire.throughput < 90"`, `"nope.p99 < 1ms"`, "capacity.slos[0]"},
		{"mode: open", "mode: closed", "arrival.mode"},
		{"duration: 1s", "duration: 0s", "duration"},
		{"max_steps: 8", "max_steps: eight", "capacity.max_steps"},
		{"growth: 2", "growth: 2\n  speed: 3", "speed"},
		{"settle: 300ms", "settle: -1s", "capacity.settle"},
		{"settle: 300ms", "settle: 30", "want a duration such as 10s"},
		{"settle: 300ms", "settle: 25h", "capacity.settle"},
	}
	for _, tt := range tests {
		wl := strings.Replace(capacityWorkload, tt.replace, tt.with, 1)
		if wl == capacityWorkload {
			t.Fatalf("%q not in the workload", tt.replace)
		}
		out := filepath.Join(t.TempDir(), "results")
		_, err := runCLI(t, "run", writeWorkload(t, wl), "--store", "memory", "--out", out, "--progress", "none")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s → %s: error %v, want it to mention %q", tt.replace, tt.with, err, tt.want)
		}
		if _, serr := os.Stat(out); !os.IsNotExist(serr) {
			t.Errorf("%s → %s: %s was created before the workload was rejected", tt.replace, tt.with, out)
		}
	}
}

// The arrival flags apply to a capacity workload: --rate is the starting
// rate (a rate above max_rate is rejected by the workload's validation).
func TestCapacityTakesArrivalFlags(t *testing.T) {
	out := filepath.Join(t.TempDir(), "results")
	_, err := runCLI(t, "run", writeWorkload(t, capacityWorkload), "--store", "memory", "--out", out, "--rate", "5000")
	if err == nil || !strings.Contains(err.Error(), "capacity.max_rate") || !strings.Contains(err.Error(), "--rate") {
		t.Errorf("--rate above max_rate: %v, want the max_rate check naming the override", err)
	}
}

// TestCapacitySearchRemote runs the search against a remote target: the
// reference service served by esbench serve over its network API. Half the
// in-process test's rates (acquire.throughput < 45 breaks near 150/s), so a
// busy machine's loopback HTTP keeps up; the test checks the search ran on
// the remote target, each verdict follows its measured figure, and the
// summary carries the section.
func TestCapacitySearchRemote(t *testing.T) {
	url, _, _ := startServe(t, "--store", "memory")
	wl := strings.NewReplacer("rate: 100,", "rate: 50,", "acquire.throughput < 90", "acquire.throughput < 45", "min_rate: 10", "min_rate: 5").Replace(capacityWorkload)
	dir, res, runs, _ := runCapacity(t, wl, "--target", url)
	if res.Environment.Backend != "remote" {
		t.Errorf("backend %q, want remote", res.Environment.Backend)
	}
	c := res.Capacity
	if c == nil || len(c.Steps) < 3 {
		t.Fatalf("capacity %+v: want at least 3 steps", c)
	}
	for _, s := range c.Steps {
		run := runs[s.Run]
		if run == nil {
			t.Fatalf("step %s has no run in the result", s.Run)
		}
		var acq float64
		for _, op := range run.Operations {
			if op.Op == "acquire" {
				acq = op.Rate
			}
		}
		if s.Passed != (acq < 45) {
			t.Errorf("%s at %g/s: passed=%v with acquire throughput %.1f/s", s.Run, s.TargetRate, s.Passed, acq)
		}
	}
	if c.SustainableRate == 0 || c.FirstFailingRate <= c.SustainableRate {
		t.Errorf("sustainable %g, first failing %g: want a knee", c.SustainableRate, c.FirstFailingRate)
	}
	checkCapacitySummary(t, dir, c)
}

// TestCapacityOnDatasetForks runs a capacity search on an esbench preload
// dataset: the run reuses the dataset instead of preloading, every step
// runs on a fork of the run's checkpoint, and afterwards neither the
// checkpoint nor a fork is left and the dataset is as it was (its manifest
// unchanged, its tables still what the manifest lists: a second search on
// it is accepted).
func TestCapacityOnDatasetForks(t *testing.T) {
	search := strings.Replace(capacityWorkload, "max_steps: 8", "max_steps: 2", 1)
	wl := writeWorkload(t, search)
	// The dataset is built from the mixed workload of the same population
	// (esbench preload builds datasets for mixed workloads).
	mixed := strings.Replace(search[:strings.Index(search, "capacity:\n")], "experiment: capacity", "experiment: mixed", 1)
	ds := filepath.Join(t.TempDir(), "ds")
	pebbleArgs := []string{"--data-dir", ds, "--pebble-sync=false", "--progress", "none"}
	if out, err := runCLI(t, append([]string{"preload", writeWorkload(t, mixed)}, pebbleArgs...)...); err != nil {
		t.Fatalf("preload: %v\n%s", err, out)
	}
	before, err := os.ReadFile(filepath.Join(ds, dataset.File))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		out := t.TempDir()
		stdout, err := runCLI(t, append([]string{"run", wl, "--out", out}, pebbleArgs...)...)
		if err != nil || !strings.Contains(stdout, "reusing the dataset in "+ds) {
			t.Fatalf("capacity search %d on the dataset: %v\n%s", i, err, stdout)
		}
		res, err := reports.ReadFile(filepath.Join(resultDir(t, out), reports.ResultFile))
		if err != nil {
			t.Fatal(err)
		}
		if c := res.Capacity; c == nil || len(c.Steps) != 2 || c.StepState != reports.CapacityForked {
			t.Fatalf("search %d: capacity %+v, want 2 steps on forks", i, c)
		}
		if res.Preload == nil || res.Preload.Method != "dataset" {
			t.Errorf("search %d: preload %+v, want the dataset reused", i, res.Preload)
		}
		if entries, _ := os.ReadDir(filepath.Join(ds, dataset.RunsDir)); len(entries) != 1 { // the marker only
			t.Fatalf("search %d left a checkpoint or forks behind: %v", i, entries)
		}
	}
	after, _ := os.ReadFile(filepath.Join(ds, dataset.File))
	if !bytes.Equal(before, after) {
		t.Fatal("capacity searches on the dataset changed its manifest")
	}
}
