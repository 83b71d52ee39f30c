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

// confirmWorkload is the capacity workload the confirmation searches, as a
// template: %s is the experiment, %s the lines that follow (the capacity
// block for the search, the thresholds for a fixed-rate run).
//
// The SLOs are chosen for a sharp, stable knee: p90 limits, not p99 ones.
// A stall of the machine (a GC, an fsync, another process) delays the
// operations of its own length only, so it moves a p99 but needs to cover
// a tenth of a step to move a p90; past the saturation rate the queue grows
// for the whole step and every percentile above the median climbs at once.
// late_share catches a generator that cannot keep its schedule.
const confirmWorkload = `name: confirm
experiment: %s
seed: 1
population:
  customers: 2000
  chooser: zipf
  skew: 1.1
  plans: {basic: 30, standard: 50, premium: 20}
  devices: {basic: 1, standard: 2, premium: 4}
  history: {distribution: lognormal, mean: 12, sigma: 1, min: 5, max: 100, span: 8760h}
mix: {acquire: 30, check: 30, renew: 10, release: 15, playback: 10, register_device: 1, remove_device: 1, load: 3}
arrival: {mode: open, process: poisson, rate: %g, workers: 64}
warmup: 3s
duration: 12s
preload: {enabled: true, workers: 4}
service: {snapshot: every:100, codec: json}
%s`

// confirmCapacity is one store's capacity block: the starting rate, the
// rate floor and the latency limit of its SLOs.
type confirmCase struct {
	name string
	// args are the store flags of the run named run.
	args  func(run string) []string
	start float64
	floor float64
	limit string
	// settle is the first step's extra warmup (capacity.settle).
	settle time.Duration
}

// slos are the SLOs of the search and the thresholds of the fixed-rate
// runs.
func (c confirmCase) slos() []string {
	return []string{"acquire.p90 < " + c.limit, "check.p90 < " + c.limit, "late_share < 20%"}
}

// search is the capacity workload; fixed the mixed one at rate with the
// SLOs as thresholds.
func (c confirmCase) search() string {
	return fmt.Sprintf(confirmWorkload, "capacity", c.start, fmt.Sprintf(`capacity:
  max_rate: 20000
  min_rate: %g
  growth: 2
  resolution: 0.1
  min_operations: 1000
  max_steps: 10
  settle: %s
  slos: [%q, %q, %q]
`, c.floor, c.settle, c.slos()[0], c.slos()[1], c.slos()[2]))
}

// fixed is the mixed workload at rate with the SLOs as thresholds. Each
// fixed-rate run preloads a system of its own, so its warmup includes the
// search's settle: it is judged as settled as the search's steps were (on
// pebble each step is a fork of the freshly preloaded store and settles).
func (c confirmCase) fixed(rate float64) string {
	w := fmt.Sprintf(confirmWorkload, "mixed", rate, fmt.Sprintf("thresholds: [%q, %q, %q]\n", c.slos()[0], c.slos()[1], c.slos()[2]))
	return strings.Replace(w, "warmup: 3s", "warmup: "+(3*time.Second+c.settle).String(), 1)
}

// searchBound is the longest the search may take: max_steps steps of
// warmup plus the longer of the duration and min_operations at the floor
// rate, plus the preload and set-up.
func (c confirmCase) searchBound() time.Duration {
	step := 3*time.Second + max(12*time.Second, time.Duration(1000/c.floor*float64(time.Second)))
	return 10*step + c.settle + 2*time.Minute
}

// TestCapacityConfirm is the capacity search's proof: on a store, a search
// finishes within its bound and finds a knee, and its sustainable rate R is
// confirmed by two fixed-rate runs of the same workload with the SLOs as
// thresholds: at 0.9×R every SLO holds (esbench run exits 0), at 1.2×R one
// breaks (exit 3).
//
// Tolerance: exactly those margins, one attempt each, nothing widened. The
// search resolves the knee to 10%, so 1.2×R lies at least 9% above a rate
// that failed, and 0.9×R 10% below one that held. What the margins cannot
// absorb is the machine changing between the runs (the saturation rate of
// a shared machine moves with its other load), so the test is opt-in:
// ESBENCH_CAPACITY_CONFIRM=1 on a quiet machine. It runs on pebble, and on
// the Cassandra node named by ESBENCH_CASSANDRA as well when that is set.
// It logs the load average before and after each store.
func TestCapacityConfirm(t *testing.T) {
	if os.Getenv("ESBENCH_CAPACITY_CONFIRM") != "1" {
		t.Skip("ESBENCH_CAPACITY_CONFIRM=1 runs the capacity confirmation (minutes; wants a quiet machine)")
	}
	// On pebble every step runs on a fork of the preloaded store, as
	// freshly preloaded as a fixed-rate run's: no settling.
	cases := []confirmCase{{name: "pebble", start: 100, floor: 25, limit: "50ms",
		args: func(string) []string { return []string{"--store", "pebble"} }}}
	if addr := os.Getenv("ESBENCH_CASSANDRA"); addr != "" {
		// A keyspace of its own for each run: each preloads its population.
		ks := fmt.Sprintf("esbench_capacity_%d", time.Now().Unix())
		// A node just sent the preload is still flushing and compacting it,
		// and its JIT still compiling: half a minute at the starting rate
		// before the first step is judged.
		// Its acquire is a Paxos round on a node sharing two cores with the
		// harness: p90 100 ms is reached well below saturation.
		cases = append(cases, confirmCase{name: "cassandra", start: 25, floor: 5, limit: "250ms", settle: 30 * time.Second,
			args: func(run string) []string {
				return []string{"--store", "cassandra", "--cassandra-hosts", addr, "--cassandra-keyspace", ks + "_" + run,
					"--cassandra-timeout", "30s", "--cassandra-connect-timeout", "30s", "--ledger=false"}
			}})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { confirmCapacity(t, c) })
	}
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

func confirmCapacity(t *testing.T, c confirmCase) {
	t.Logf("load average before: %s", loadAverage())
	defer func() { t.Logf("load average after: %s", loadAverage()) }()
	dir := t.TempDir()
	common := func(run string) []string {
		return append([]string{"--out", filepath.Join(dir, "results"), "--progress", "none", "--late", "50ms"}, c.args(run)...)
	}

	began := time.Now()
	stdout, err := runCLI(t, append([]string{"run", writeWorkload(t, c.search())}, common("search")...)...)
	took := time.Since(began)
	if err != nil {
		t.Fatalf("search: %v\n%s", err, stdout)
	}
	res, err := reports.ReadFile(filepath.Join(lastResult(t, filepath.Join(dir, "results")), reports.ResultFile))
	if err != nil {
		t.Fatal(err)
	}
	capa := res.Capacity
	t.Logf("search: %d steps in %s: %s", len(capa.Steps), took.Round(time.Second), capa.Verdict())
	for i, s := range capa.Steps {
		t.Logf("  step %d %-9s %7.1f/s achieved %7.1f/s p50 %s p99 %s late %.1f%% %v", i+1, s.Phase, s.TargetRate, s.AchievedRate,
			reports.FormatNs(s.P50Ns), reports.FormatNs(s.P99Ns), 100*s.LateShare, s.Failed)
	}
	if bound := c.searchBound(); took > bound {
		t.Errorf("the search took %s, more than its bound %s", took.Round(time.Second), bound)
	}
	if capa.SustainableRate == 0 || capa.FirstFailingRate == 0 {
		t.Fatalf("no knee to confirm: %s", capa.Verdict())
	}
	for _, tc := range []struct {
		factor float64
		hold   bool
	}{{0.9, true}, {1.2, false}} {
		rate := tc.factor * capa.SustainableRate
		stdout, err := runCLI(t, append([]string{"run", writeWorkload(t, c.fixed(rate))}, common(fmt.Sprintf("x%02.0f", 10*tc.factor))...)...)
		var ee *exitError
		failed := errors.As(err, &ee) && ee.code == exitThresholds
		if err != nil && !failed {
			t.Fatalf("%g× (%.1f/s): %v\n%s", tc.factor, rate, err, stdout)
		}
		res, rerr := reports.ReadFile(filepath.Join(lastResult(t, filepath.Join(dir, "results")), reports.ResultFile))
		if rerr != nil {
			t.Fatal(rerr)
		}
		var vals []string
		for _, r := range res.Thresholds {
			v := "-"
			if r.Value != nil {
				v = fmt.Sprintf("%.4g", *r.Value)
				switch r.Unit {
				case "ns":
					v = reports.FormatNs(int64(*r.Value))
				case "fraction":
					v = fmt.Sprintf("%.1f%%", 100**r.Value)
				}
			}
			vals = append(vals, fmt.Sprintf("%s: %s (%s)", r.Threshold, r.Verdict, v))
		}
		t.Logf("%g× = %.1f/s: SLOs %s; %s", tc.factor, rate, map[bool]string{true: "held", false: "broken"}[!failed], strings.Join(vals, "; "))
		if failed == tc.hold {
			t.Errorf("%g× the sustainable rate (%.1f/s): SLOs held %v, want %v", tc.factor, rate, !failed, tc.hold)
		}
	}
}

// lastResult is the newest result directory under out (their names sort
// by start time).
func lastResult(t *testing.T, out string) string {
	t.Helper()
	entries, err := os.ReadDir(out)
	if err != nil || len(entries) == 0 {
		t.Fatalf("no result directory in %s: %v", out, err)
	}
	return filepath.Join(out, entries[len(entries)-1].Name())
}
