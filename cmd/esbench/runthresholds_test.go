package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/esbench/esbench/reports"
)

func writeTinyWith(t *testing.T, extra string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "tiny.yaml")
	if err := os.WriteFile(p, []byte(tinyWorkload+extra), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// A run whose threshold fails still writes its results, prints the
// verdicts and exits with the threshold code; one whose thresholds hold
// exits 0. Absent metrics and relative thresholds are reported, not failed.
func TestRunEnforcesThresholds(t *testing.T) {
	tests := []struct {
		name       string
		thresholds string
		failed     bool
		verdicts   map[string]string
	}{
		{"fails", `thresholds: ["acquire.p50 < 1ns", "check.error_rate < 50%"]`, true,
			map[string]string{"acquire.p50 < 1ns": reports.ThresholdFail, "check.error_rate < 50%": reports.ThresholdPass}},
		{"holds", `thresholds: ["p99(acquire) < 1h", "acquire.unavailable.p99 < 1ms", "acquire.p99 regression < 10%", "acquire.throughput > 1"]`, false,
			map[string]string{"p99(acquire) < 1h": reports.ThresholdPass, "acquire.unavailable.p99 < 1ms": reports.ThresholdNoData,
				"acquire.p99 regression < 10%": reports.ThresholdCompareOnly, "acquire.throughput > 1": reports.ThresholdPass}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "results")
			stdout, err := runCLI(t, "run", writeTinyWith(t, tt.thresholds+"\n"), "--store", "memory", "--out", out, "--progress", "none")
			var ee *exitError
			switch {
			case tt.failed && (!errors.As(err, &ee) || ee.code != exitThresholds):
				t.Fatalf("want exit %d, got %v\n%s", exitThresholds, err, stdout)
			case !tt.failed && err != nil:
				t.Fatalf("run: %v\n%s", err, stdout)
			}
			if !strings.Contains(stdout, "thresholds:") || !strings.Contains(stdout, "results: ") {
				t.Errorf("no threshold table or results line in\n%s", stdout)
			}
			res, err := reports.ReadFile(filepath.Join(resultDir(t, out), reports.ResultFile))
			if err != nil {
				t.Fatal(err)
			}
			if res.Partial {
				t.Errorf("result partial: %s", res.PartialReason)
			}
			got := map[string]string{}
			for _, r := range res.Thresholds {
				got[r.Threshold] = r.Verdict
				if (r.Verdict == reports.ThresholdPass || r.Verdict == reports.ThresholdFail) && r.Value == nil {
					t.Errorf("%s: evaluated without a value", r.Threshold)
				}
			}
			for k, v := range tt.verdicts {
				if got[k] != v {
					t.Errorf("%s: verdict %q, want %q (all: %v)", k, got[k], v, got)
				}
			}
		})
	}
}

// Thresholds are checked when the workload is loaded: nothing runs and no
// result directory is created.
func TestRunRejectsBadThresholds(t *testing.T) {
	tests := []struct {
		threshold, want string
	}{
		{"acquire.p99 < 20", "needs a unit"},
		{"acquire.p99 < 0", "needs a unit"},
		{"acquire.error_rate < 5ms", "not a latency"},
		{"acquire.throughput > 1s", "not a latency"},
		{"aquire.p99 < 20ms", "OP one of"},
		{"acquire.p98 < 20ms", "STAT one of"},
		{"acquire.explosion.p99 < 20ms", "OUTCOME one of"},
		{"acquire.service.error_rate < 1%", "latency statistic"},
		{"phase.parse.p99 < 1ms", "PHASE one of"},
		{"replay.rate < 1", "replay.STAT"},
		{"sweep[history=10,interval=none].speed < 1", "sweep cell"},
		{"acquire.p99 << 20ms", "thresholds"},
		{"acquire.p99 regression < 10ms", "percentage"},
	}
	for _, tt := range tests {
		out := filepath.Join(t.TempDir(), "results")
		_, err := runCLI(t, "run", writeTinyWith(t, "thresholds: [\""+tt.threshold+"\"]\n"), "--store", "memory", "--out", out, "--progress", "none")
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "thresholds") {
			t.Errorf("%q: error %v, want it to name thresholds and mention %q", tt.threshold, err, tt.want)
		}
		if _, serr := os.Stat(out); !os.IsNotExist(serr) {
			t.Errorf("%q: %s was created before the workload was rejected", tt.threshold, out)
		}
	}
}

// An abort_on_fail threshold stops the run once it fails after its grace
// period: the run writes its results marked partial, says which threshold
// stopped it and when, and exits with the threshold code; one that holds
// lets the run finish.
func TestRunAbortOnFail(t *testing.T) {
	// Five seconds measured, 100 ms intervals: an abort after a 500 ms
	// grace period ends the run well before its duration.
	workload := strings.Replace(tinyWorkload, "duration: 700ms", "duration: 5s", 1)
	tests := []struct {
		name    string
		abort   string
		aborted bool
	}{
		{"fails", `abort_on_fail: [{threshold: "acquire.p50 < 1ns", delay_abort_eval: 500ms}]`, true},
		{"holds", `abort_on_fail: [{threshold: "acquire.p99 < 1h", delay_abort_eval: 100ms}]`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "abort.yaml")
			if err := os.WriteFile(p, []byte(workload+tt.abort+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(t.TempDir(), "results")
			stdout, stderr, err := runCLIErr(t, "run", p, "--store", "memory", "--out", out, "--progress", "none", "--interval", "100ms")
			res, rerr := reports.ReadFile(filepath.Join(resultDir(t, out), reports.ResultFile))
			if rerr != nil {
				t.Fatal(rerr)
			}
			measured := time.Duration(res.Runs[len(res.Runs)-1].MeasuredNs)
			if !tt.aborted {
				if err != nil || res.Partial || measured < 4900*time.Millisecond {
					t.Fatalf("run: %v, partial %v (%s), measured %s: want a whole run\n%s%s", err, res.Partial, res.PartialReason, measured, stdout, stderr)
				}
				return
			}
			var ee *exitError
			if !errors.As(err, &ee) || ee.code != exitThresholds {
				t.Fatalf("want exit %d, got %v\n%s%s", exitThresholds, err, stdout, stderr)
			}
			for _, want := range []string{"run aborted", `threshold "acquire.p50 < 1ns" (abort_on_fail) failed`, "into the measured period", "partial results written"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
			if !strings.Contains(stderr, "aborting the run") {
				t.Errorf("stderr does not announce the abort:\n%s", stderr)
			}
			if !res.Partial || !strings.HasPrefix(res.PartialReason, "aborted: ") {
				t.Errorf("result partial %v reason %q: want partial, aborted", res.Partial, res.PartialReason)
			}
			// Aborted after the 500 ms grace period, long before 5 s.
			if measured < 500*time.Millisecond || measured > 3*time.Second {
				t.Errorf("measured %s: want the run stopped soon after the 500ms grace period", measured)
			}
			var verdict string
			for _, r := range res.Thresholds {
				if r.Threshold == "acquire.p50 < 1ns" {
					verdict = r.Verdict
				}
			}
			if verdict != reports.ThresholdFail {
				t.Errorf("the abort threshold's end verdict is %q, want %q", verdict, reports.ThresholdFail)
			}
		})
	}
}

// studyWorkload is a small replay study whose first configuration's
// measured loads take a few seconds: long enough for an abort to cut them.
const studyWorkload = `name: study
experiment: %s
population:
  customers: 20
  chooser: uniform
  plans: {basic: 0, standard: 100, premium: 0}
  history: {distribution: groups, lengths: [10, 1000], span: 8760h}
mix: {load: 1}
arrival: {mode: closed, workers: 1}
warmup: 0s
duration: 20s
preload: {enabled: true, workers: 2}
service: {snapshot: none, codec: json}
sweep: {intervals: [none, 100], histories: [10, 1000], customers: 5, replays: 20000, replay_target: 5ms}
abort_on_fail: [{threshold: "replay.p50 < 1ns", delay_abort_eval: 300ms}]
`

// abort_on_fail works in every experiment: each measured run (a replay or
// sweep configuration's loads, a capacity step) is judged on its own, the
// first failure stops the whole experiment with exit 3 and partial results
// marked aborted, and the preloads (set-up) are never judged.
func TestRunAbortOnFailEveryExperiment(t *testing.T) {
	capacity := strings.Replace(capacityWorkload, "duration: 1s", "duration: 5s", 1) +
		"abort_on_fail: [{threshold: \"acquire.p50 < 1ns\", delay_abort_eval: 300ms}]\n"
	tests := []struct {
		name, workload, rule, run string
	}{
		{"replay", fmt.Sprintf(studyWorkload, "replay"), "replay.p50 < 1ns", "snapshots=none"},
		{"sweep", fmt.Sprintf(studyWorkload, "sweep"), "replay.p50 < 1ns", "snapshots=none"},
		{"capacity", capacity, "acquire.p50 < 1ns", "cap.step01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "results")
			stdout, stderr, err := runCLIErr(t, "run", writeWorkload(t, tt.workload), "--store", "memory", "--out", out, "--progress", "none", "--interval", "100ms")
			var ee *exitError
			if !errors.As(err, &ee) || ee.code != exitThresholds {
				t.Fatalf("want exit %d, got %v\n%s%s", exitThresholds, err, stdout, stderr)
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("threshold %q (abort_on_fail) failed", tt.rule)) {
				t.Errorf("error %q does not name the rule", err)
			}
			res, rerr := reports.ReadFile(filepath.Join(resultDir(t, out), reports.ResultFile))
			if rerr != nil {
				t.Fatal(rerr)
			}
			if !res.Partial || !strings.HasPrefix(res.PartialReason, "aborted: ") {
				t.Errorf("result partial %v reason %q: want partial, aborted", res.Partial, res.PartialReason)
			}
			// The measured run the rule stopped is the last; nothing after it ran.
			last := res.Runs[len(res.Runs)-1]
			if last.Name != tt.run {
				t.Fatalf("last run %q, want %q: the abort must stop the first measured run (preloads are not judged)", last.Name, tt.run)
			}
			if m := time.Duration(last.MeasuredNs); m < 300*time.Millisecond || m > 3*time.Second {
				t.Errorf("%s measured %s: want it stopped soon after the 300ms grace period", last.Name, m)
			}
			if tt.name == "capacity" {
				c := res.Capacity
				if c == nil || len(c.Steps) != 0 || !strings.HasPrefix(c.Stopped, "stopped early: threshold") {
					t.Errorf("capacity %+v: want no step judged and the search stopped early by the rule", c)
				}
			}
		})
	}
}
