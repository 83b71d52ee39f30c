package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esbench/esbench/bench/dataset"
	"github.com/esbench/esbench/reports"
)

func runCLIContext(t *testing.T, ctx context.Context, args ...string) (string, error) {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	return out.String(), err
}

// TestPreloadDatasetLifecycle builds a dataset with esbench preload after an
// interrupted first attempt (resumed, not restarted), then runs on it twice
// (each on a checkpoint, the dataset untouched) and checks that a workload
// it was not made for is refused.
func TestPreloadDatasetLifecycle(t *testing.T) {
	wl := writeTiny(t)
	ds := filepath.Join(t.TempDir(), "ds")
	pebbleArgs := []string{"--data-dir", ds, "--pebble-sync=false", "--progress", "none"}

	// Interrupted before any range is committed: the manifest says so and
	// a run refuses the dataset.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out, err := runCLIContext(t, ctx, append([]string{"preload", wl}, pebbleArgs...)...)
	if exitCode(err) != exitInterrupted || !strings.Contains(err.Error(), "run the same esbench preload again") {
		t.Fatalf("cancelled preload: %v (exit %d)\n%s", err, exitCode(err), out)
	}
	m, ok, err := dataset.Read(ds)
	if err != nil || !ok || m.Complete || m.Sessions != 1 {
		t.Fatalf("manifest after the interrupted preload: %+v, %v, %v; want an incomplete one", m, ok, err)
	}
	out, err = runCLI(t, append([]string{"run", wl, "--out", t.TempDir()}, pebbleArgs...)...)
	if err == nil || !strings.Contains(err.Error(), "dataset preload not finished") {
		t.Fatalf("run on an unfinished dataset: %v\n%s", err, out)
	}

	// Resumed: completes, and the manifest counts the whole population.
	out, err = runCLI(t, append([]string{"preload", wl}, pebbleArgs...)...)
	if err != nil || !strings.Contains(out, "preloaded 100 customers") || !strings.Contains(out, "complete") {
		t.Fatalf("resumed preload: %v\n%s", err, out)
	}
	m, _, _ = dataset.Read(ds)
	if !m.Complete || m.Sessions != 2 || m.Counts.Customers != 100 || m.Counts.Events <= m.Counts.AccountEvents || m.Counts.Audited == 0 || m.Fingerprint == "" {
		t.Fatalf("manifest after the resumed preload: %+v", m)
	}
	before, err := os.ReadFile(filepath.Join(ds, dataset.File))
	if err != nil {
		t.Fatal(err)
	}
	out, err = runCLI(t, append([]string{"preload", wl}, pebbleArgs...)...)
	if err != nil || !strings.Contains(out, "is complete") || !strings.Contains(out, "nothing to do") {
		t.Fatalf("preload of a complete dataset: %v\n%s", err, out)
	}

	// Two runs reuse it, each on its own checkpoint that is removed after.
	for i := range 2 {
		res := t.TempDir()
		out, err = runCLI(t, append([]string{"run", wl, "--out", res}, pebbleArgs...)...)
		if err != nil || !strings.Contains(out, "reusing the dataset in "+ds) {
			t.Fatalf("run %d on the dataset: %v\n%s", i, err, out)
		}
		r, err := reports.ReadFile(filepath.Join(resultDir(t, res), reports.ResultFile))
		if err != nil {
			t.Fatal(err)
		}
		if r.Preload == nil || r.Preload.Method != "dataset" || r.Preload.Dataset != ds || len(r.Runs) != 1 || r.Runs[0].Errors != 0 {
			t.Fatalf("run %d: preload %+v, %d runs; want the dataset reused and one measured run without errors", i, r.Preload, len(r.Runs))
		}
		if entries, _ := os.ReadDir(filepath.Join(ds, runsDir)); len(entries) != 1 { // the marker only
			t.Fatalf("run %d left checkpoints behind: %v", i, entries)
		}
	}
	after, _ := os.ReadFile(filepath.Join(ds, dataset.File))
	if !bytes.Equal(before, after) {
		t.Fatal("running on the dataset changed its manifest")
	}

	// A workload it was not made for is refused, naming the difference.
	out, err = runCLI(t, append([]string{"run", wl, "--out", t.TempDir(), "--seed", "7"}, pebbleArgs...)...)
	if err == nil || !strings.Contains(err.Error(), "seed is 1 in the dataset, 7 in the workload") {
		t.Fatalf("run of another seed on the dataset: %v\n%s", err, out)
	}
	out, err = runCLI(t, append([]string{"preload", wl, "--customers", "99"}, pebbleArgs...)...)
	if err == nil || !strings.Contains(err.Error(), "population.customers is 100 in the dataset, 99 in the workload") {
		t.Fatalf("preload of another population into the dataset: %v\n%s", err, out)
	}
}
