package main

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/esbench/esbench/reports"
)

// runShard runs the tiny workload's shard closed-loop on the memory store
// and returns its result directory.
func runShard(t *testing.T, wl, shard string, extra ...string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "results")
	args := append([]string{"run", wl, "--store", "memory", "--out", out, "--progress", "none",
		"--shard", shard, "--mode", "closed", "--operations", "400", "--warmup", "0s"}, extra...)
	if stdout, err := runCLI(t, args...); err != nil {
		t.Fatalf("run shard %s: %v\n%s", shard, err, stdout)
	}
	return resultDir(t, out)
}

// TestMergeShardsOfRealRun runs the two halves of a workload with the real
// runner and merges them. The shards' operation sequences are not a split
// of the unsplit run's (each shard seeds its own streams and runs its own
// operation count), so the ground truth here is the shards themselves:
// every count of the merged result is the exact sum of the shards', its
// rates are those counts over the longer window, and each merged
// percentile lies between the shards' (a quantile of a mixture lies between
// the components' quantiles). That the merged percentiles equal an unsplit
// histogram's is shown in reports.TestMergeMatchesUnsplit.
func TestMergeShardsOfRealRun(t *testing.T) {
	wl := writeTiny(t)
	dirs := []string{runShard(t, wl, "0/2"), runShard(t, wl, "1/2")}
	var shards []*reports.Result
	for _, d := range dirs {
		r, err := reports.ReadFile(filepath.Join(d, reports.ResultFile))
		if err != nil {
			t.Fatal(err)
		}
		shards = append(shards, r)
	}
	out := filepath.Join(t.TempDir(), "merged")
	stdout, err := runCLI(t, "merge", dirs[0], dirs[1], "--out", out)
	if err != nil {
		t.Fatalf("merge: %v\n%s", err, stdout)
	}
	mdir := resultDir(t, out)
	for _, f := range []string{reports.ResultFile, reports.SummaryFile, reports.HTMLFile, reports.OpsCSVFile} {
		if _, err := os.Stat(filepath.Join(mdir, f)); err != nil {
			t.Errorf("merged directory lacks %s: %v", f, err)
		}
	}
	// Every interval log is merged: per tag, the merged log holds the sum
	// of the shards' values.
	logs, _ := filepath.Glob(filepath.Join(dirs[0], "*.hlog"))
	if len(logs) == 0 {
		t.Fatal("the shard wrote no interval logs")
	}
	for _, l := range logs {
		name := filepath.Base(l)
		want := map[string]int64{}
		for _, d := range dirs {
			for tag, n := range hlogCounts(t, filepath.Join(d, name)) {
				want[tag] += n
			}
		}
		got := hlogCounts(t, filepath.Join(mdir, name))
		if !maps.Equal(got, want) {
			t.Errorf("%s: merged counts by tag %v, shards sum %v", name, got, want)
		}
	}
	m, err := reports.ReadFile(filepath.Join(mdir, reports.ResultFile))
	if err != nil {
		t.Fatal(err)
	}
	if m.Merged == nil || len(m.Merged.Shards) != 2 || !m.Merged.Complete {
		t.Fatalf("merged record %+v", m.Merged)
	}
	if len(m.Runs) != len(shards[0].Runs) || len(m.Runs) == 0 {
		t.Fatalf("merged %d runs, shards have %d", len(m.Runs), len(shards[0].Runs))
	}
	for ri, run := range m.Runs {
		a, b := shards[0].Runs[ri], shards[1].Runs[ri]
		if run.Name != a.Name || run.Recorded != a.Recorded+b.Recorded || run.Executed != a.Executed+b.Executed ||
			run.Errors != a.Errors+b.Errors || run.Late != a.Late+b.Late {
			t.Errorf("run %s: recorded %d executed %d errors %d late %d, shards %+v / %+v", run.Name,
				run.Recorded, run.Executed, run.Errors, run.Late, a, b)
		}
		if run.MeasuredNs != max(a.MeasuredNs, b.MeasuredNs) {
			t.Errorf("run %s window %d, want max(%d, %d)", run.Name, run.MeasuredNs, a.MeasuredNs, b.MeasuredNs)
		}
		if run.Recorded == 0 {
			continue
		}
		var count int64
		for _, op := range run.Operations {
			count += op.Count
			var sum int64
			var las []reports.Latency
			for _, sh := range []reports.Run{a, b} {
				for _, o := range sh.Operations {
					if o.Op == op.Op {
						sum += o.Count
						las = append(las, o.Corrected)
					}
				}
			}
			if op.Count != sum || op.Corrected.Count != sum {
				t.Errorf("run %s op %s: count %d (histogram %d), shards sum %d", run.Name, op.Op, op.Count, op.Corrected.Count, sum)
			}
			if want := float64(op.Count) / (float64(run.MeasuredNs) / 1e9); op.Rate != want {
				t.Errorf("run %s op %s: rate %v, want %v", run.Name, op.Op, op.Rate, want)
			}
			if len(las) == 2 && las[0].Count > 0 && las[1].Count > 0 {
				for _, p := range []struct {
					name      string
					got, x, y int64
				}{
					{"p50", op.Corrected.P50Ns, las[0].P50Ns, las[1].P50Ns},
					{"p99", op.Corrected.P99Ns, las[0].P99Ns, las[1].P99Ns},
					{"max", op.Corrected.MaxNs, las[0].MaxNs, las[1].MaxNs},
				} {
					if p.got < min(p.x, p.y) || p.got > max(p.x, p.y) {
						t.Errorf("run %s op %s %s: merged %d outside the shards' [%d, %d]", run.Name, op.Op, p.name, p.got, min(p.x, p.y), max(p.x, p.y))
					}
				}
			}
			var oc int64
			for _, o := range op.Outcomes {
				oc += o.Count
			}
			if oc != op.Count {
				t.Errorf("run %s op %s: outcomes add to %d, not %d", run.Name, op.Op, oc, op.Count)
			}
		}
		if count != run.Recorded {
			t.Errorf("run %s: operations add to %d, recorded %d", run.Name, count, run.Recorded)
		}
	}

	// Refusals through the command line.
	other := runShard(t, wl, "1/2", "--seed", "99")
	for _, tc := range []struct {
		name string
		dirs []string
		want string
	}{
		{"same shard twice", []string{dirs[0], dirs[0]}, "given twice"},
		{"different workload", []string{dirs[0], other}, "different workloads"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "m")
			_, err := runCLI(t, append([]string{"merge", "--out", out}, tc.dirs...)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.want)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("a refused merge created %s", out)
			}
		})
	}
}

// hlogCounts totals an interval log's values by tag.
func hlogCounts(t *testing.T, path string) map[string]int64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd := hdr.NewHistogramLogReader(f)
	out := map[string]int64{}
	for {
		h, err := rd.NextIntervalHistogram()
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if h == nil {
			return out
		}
		out[h.Tag()] += h.TotalCount()
	}
}
