package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

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
		if entries, _ := os.ReadDir(filepath.Join(ds, dataset.RunsDir)); len(entries) != 1 { // the marker only
			t.Fatalf("run %d left checkpoints behind: %v", i, entries)
		}
	}
	after, _ := os.ReadFile(filepath.Join(ds, dataset.File))
	if !bytes.Equal(before, after) {
		t.Fatal("running on the dataset changed its manifest")
	}

	// A tampered dataset is refused before any work, naming the table: one
	// byte changed (every table of this small dataset is checked byte for
	// byte), a table grown, removed, or one added. The runs above left its
	// tables as the manifest lists them.
	if n := len(m.Tables); n == 0 || n > verifySample {
		t.Fatalf("the manifest lists %d tables; this test wants 1 to %d, all checked byte for byte", n, verifySample)
	}
	table := filepath.Join(ds, filepath.FromSlash(m.Tables[0].Path))
	orig, err := os.ReadFile(table)
	if err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(orig)
	flipped[len(flipped)/2] ^= 0x40
	extra := filepath.Join(ds, "hot", "999999.sst")
	for _, tc := range []struct {
		name, want   string
		tamper, undo func() error
	}{
		{"byte changed", "has CRC-32C", func() error { return os.WriteFile(table, flipped, 0o644) }, func() error { return os.WriteFile(table, orig, 0o644) }},
		{"table grown", fmt.Sprintf("has %d bytes, the manifest says %d", len(orig)+1, len(orig)),
			func() error { return os.WriteFile(table, append(bytes.Clone(orig), 0), 0o644) }, func() error { return os.WriteFile(table, orig, 0o644) }},
		{"table removed", "table " + m.Tables[0].Path + " is missing", func() error { return os.Remove(table) }, func() error { return os.WriteFile(table, orig, 0o644) }},
		{"table added", "table hot/999999.sst is not the dataset's", func() error { return os.WriteFile(extra, orig, 0o644) }, func() error { return os.Remove(extra) }},
	} {
		if err := tc.tamper(); err != nil {
			t.Fatal(err)
		}
		out, err = runCLI(t, append([]string{"run", wl, "--out", t.TempDir()}, pebbleArgs...)...)
		if err == nil || !strings.Contains(err.Error(), "dataset files differ from its manifest") || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("run on a dataset with a %s: %v, want a refusal saying %q\n%s", tc.name, err, tc.want, out)
		}
		if err := tc.undo(); err != nil {
			t.Fatal(err)
		}
	}
	out, err = runCLI(t, append([]string{"run", wl, "--out", t.TempDir()}, pebbleArgs...)...)
	if err != nil || !strings.Contains(out, "reusing the dataset in "+ds) {
		t.Fatalf("run on the restored dataset: %v\n%s", err, out)
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

// TestShardedRunWithStartAt runs one workload as three shards in three
// processes that begin together (--start-at), merges them, and checks the
// merge against the same workload run unsharded: the same number of
// operations executed, each shard's start and clock recorded.
func TestShardedRunWithStartAt(t *testing.T) {
	wl := writeTiny(t)
	base := []string{"run", wl, "--store", "memory", "--progress", "none", "--duration", "0s", "--warmup", "0s"}
	dir := t.TempDir()
	startAt := time.Now().Add(4 * time.Second).UTC().Truncate(time.Millisecond)
	var procs []*exec.Cmd
	var outs []*bytes.Buffer
	for i := range 3 {
		args := append(slices.Clone(base), "--operations", "100", "--shard", fmt.Sprintf("%d/3", i),
			"--start-at", startAt.Format(time.RFC3339Nano), "--out", filepath.Join(dir, fmt.Sprintf("shard-%d", i)))
		cmd := exec.Command(esbenchBin, args...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		procs, outs = append(procs, cmd), append(outs, &out)
	}
	for i, p := range procs {
		if err := p.Wait(); err != nil {
			t.Fatalf("shard %d: %v\n%s", i, err, outs[i])
		}
	}
	var began []time.Time
	for i := range 3 {
		r, err := reports.ReadFile(filepath.Join(reports.FindResult(filepath.Join(dir, fmt.Sprintf("shard-%d", i))), reports.ResultFile))
		if err != nil {
			t.Fatal(err)
		}
		st := r.StartAt
		if st == nil || !st.At.Equal(startAt) || st.LateNs < 0 || st.LateNs > int64(2*time.Second) {
			t.Fatalf("shard %d: start %+v, want it to begin at %s, not before and not seconds late", i, st, startAt)
		}
		began = append(began, st.Began)
	}
	slices.SortFunc(began, time.Time.Compare)
	if spread := began[2].Sub(began[0]); spread > 2*time.Second {
		t.Errorf("shards began %s apart, want together", spread)
	}

	merged := filepath.Join(dir, "merged")
	out, err := runCLI(t, "merge", "--out", merged, filepath.Join(dir, "shard-0"), filepath.Join(dir, "shard-1"), filepath.Join(dir, "shard-2"))
	if err != nil {
		t.Fatalf("merge: %v\n%s", err, out)
	}
	m, err := reports.ReadFile(filepath.Join(resultDir(t, merged), reports.ResultFile))
	if err != nil {
		t.Fatal(err)
	}
	single := filepath.Join(dir, "single")
	if out, err := runCLI(t, append(slices.Clone(base), "--operations", "300", "--out", single)...); err != nil {
		t.Fatalf("unsharded run: %v\n%s", err, out)
	}
	s, err := reports.ReadFile(filepath.Join(resultDir(t, single), reports.ResultFile))
	if err != nil {
		t.Fatal(err)
	}
	mr, sr := m.Runs[len(m.Runs)-1], s.Runs[len(s.Runs)-1]
	if m.Merged == nil || !m.Merged.Complete || len(m.Merged.Shards) != 3 {
		t.Fatalf("merged: %+v, want 3 shards, complete", m.Merged)
	}
	if mr.Executed != 300 || mr.Executed != sr.Executed || mr.Recorded != sr.Recorded || mr.Errors != sr.Errors {
		t.Fatalf("merged shards executed %d, recorded %d, %d errors; the unsharded run %d, %d, %d", mr.Executed, mr.Recorded, mr.Errors, sr.Executed, sr.Recorded, sr.Errors)
	}
}
