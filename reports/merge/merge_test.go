package merge

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/esbench/esbench/reports"
)

// newHist has the runner's histogram geometry.
func newHist() *hdr.Histogram { return hdr.New(1, int64(time.Hour), 3) }

func summarize(t *testing.T, h *hdr.Histogram) reports.Latency {
	t.Helper()
	l, err := reports.Summarize(h)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func workloadJSON(shard string, seed int) json.RawMessage {
	return json.RawMessage(`{"name":"w","seed":` + itoa(seed) + `,"shard":"` + shard + `","arrival":{"mode":"closed","workers":2}}`)
}

func itoa(i int) string { return strconv.Itoa(i) }

// shardResult builds a shard result whose one run "mixed" records, for op
// "read", the values given, and for the replay the given (events, ns) loads.
func shardResult(t *testing.T, shard string, vals []int64, loads [][2]int64, window time.Duration) *reports.Result {
	t.Helper()
	h := newHist()
	for _, v := range vals {
		if err := h.RecordValue(v); err != nil {
			t.Fatal(err)
		}
	}
	l := summarize(t, h)
	r := reports.New("mixed")
	r.Workload = workloadJSON(shard, 7)
	r.Environment.Backend = "memory"
	r.Environment.Hostname = "host-" + shard
	run := reports.Run{Name: "mixed", Mode: "closed", Workers: 2, MeasuredNs: int64(window), Recorded: int64(len(vals)),
		Executed: int64(len(vals)) + 3, Errors: 1, Late: 2,
		Operations: []reports.OpStats{{Op: "read", Count: l.Count, Late: 2, Errors: map[string]int64{"conflict": 1},
			Corrected: l, Service: l, Outcomes: []reports.OutcomeStats{{Outcome: "ok", Count: l.Count, Corrected: l, Service: l}}}}}
	if loads != nil {
		rep := &reports.ReplayReport{}
		var bs [3]*hdr.Histogram
		var ev [3]int64
		var sx, sy float64
		total := newHist()
		for _, ld := range loads {
			b := 0
			switch {
			case ld[0] >= 100:
				b = 2
			case ld[0] >= 10:
				b = 1
			}
			if bs[b] == nil {
				bs[b] = newHist()
			}
			_ = bs[b].RecordValue(ld[1])
			_ = total.RecordValue(ld[1])
			ev[b] += ld[0]
			sx += float64(ld[0])
			sy += float64(ld[1])
			rep.Loads++
			rep.Replayed += ld[0]
		}
		rep.Phases = []reports.PhaseStats{{Phase: "total", Latency: summarize(t, total)}}
		for i, lower := range []int64{0, 10, 100} {
			if bs[i] == nil {
				continue
			}
			n := bs[i].TotalCount()
			rep.Buckets = append(rep.Buckets, reports.BucketStats{Lower: lower, MeanEvents: float64(ev[i]) / float64(n), Total: summarize(t, bs[i])})
		}
		n := float64(len(loads))
		rep.Fit = reports.LinearFit{N: int64(len(loads)), MeanX: sx / n, MeanY: sy / n}
		run.Replay = rep
	}
	r.Runs = []reports.Run{run}
	return r
}

// TestMergeMatchesUnsplit records the same values into one histogram and,
// dealt round-robin, into three shard results: the merged result's counts
// equal the sums and its percentiles equal the unsplit histogram's exactly
// (merging HdrHistograms adds bucket counts, so nothing is lost beyond the
// precision both share), and lie within that precision of the true
// percentiles of the sorted values.
func TestMergeMatchesUnsplit(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	all := newHist()
	var vals []int64
	parts := make([][]int64, 3)
	for i := range 30000 {
		// Log-normal-ish: a body around 100µs and a long tail.
		v := int64(math.Exp(rng.NormFloat64()*1.2) * 1e5)
		v = max(v, 1)
		vals = append(vals, v)
		_ = all.RecordValue(v)
		parts[i%3] = append(parts[i%3], v)
	}
	windows := []time.Duration{9 * time.Second, 10 * time.Second, 8 * time.Second}
	var ins []Input
	for i := range 3 {
		ins = append(ins, Input{Source: "d" + itoa(i), Result: shardResult(t, itoa(i)+"/3", parts[i], nil, windows[i])})
	}
	res, err := Results(ins, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Runs) != 1 || len(res.Runs[0].Operations) != 1 {
		t.Fatalf("runs %+v", res.Runs)
	}
	run := res.Runs[0]
	op := run.Operations[0]
	want := summarize(t, all)
	got := op.Corrected
	got.Histogram, want.Histogram = "", ""
	if got != want {
		t.Errorf("merged latency\n got %+v\nwant %+v", got, want)
	}
	if op.Outcomes[0].Service.P99Ns != want.P99Ns {
		t.Errorf("outcome p99 %d, want %d", op.Outcomes[0].Service.P99Ns, want.P99Ns)
	}
	slices.Sort(vals)
	for _, c := range []struct {
		q   float64
		got int64
	}{{50, got.P50Ns}, {90, got.P90Ns}, {99, got.P99Ns}, {99.9, got.P999Ns}} {
		// HdrHistogram's rank rule: the value at rank ⌊q·n + ½⌋.
		exact := vals[int(c.q/100*float64(len(vals))+0.5)-1]
		if rel := math.Abs(float64(c.got-exact)) / float64(exact); rel > 1e-3 {
			t.Errorf("p%v = %d, exact %d (relative error %.4f > 0.001)", c.q, c.got, exact, rel)
		}
	}
	if op.Count != 30000 || run.Recorded != 30000 || run.Executed != 30009 || run.Errors != 3 || run.Late != 6 ||
		op.Late != 6 || op.Errors["conflict"] != 3 || run.Workers != 6 {
		t.Errorf("sums: count %d recorded %d executed %d errors %d late %d/%d op errors %v workers %d",
			op.Count, run.Recorded, run.Executed, run.Errors, run.Late, op.Late, op.Errors, run.Workers)
	}
	if run.MeasuredNs != int64(10*time.Second) || math.Abs(op.Rate-3000) > 1e-9 || math.Abs(run.AchievedRate-3000) > 1e-9 {
		t.Errorf("window %v rate %v achieved %v, want 10s and 3000/s", time.Duration(run.MeasuredNs), op.Rate, run.AchievedRate)
	}
	m := res.Merged
	if m == nil || !m.Complete || len(m.Shards) != 3 || m.Shards[2].Shard != "2/3" {
		t.Fatalf("merged record %+v", m)
	}
	if !strings.Contains(string(res.Workload), `"shard":"0/1"`) || res.Environment.BackendOptions["merged_shards"] != "0/3,1/3,2/3" {
		t.Errorf("workload %s, backend options %v", res.Workload, res.Environment.BackendOptions)
	}
}

// TestMergeReplayFit splits loads on an exact line y = 2000 + 40·x over
// two shards; the merged fit recovers the line (up to the histograms'
// precision in the bucket means) and the exact means.
func TestMergeReplayFit(t *testing.T) {
	var a, b [][2]int64
	var sx, sy float64
	for i := range 400 {
		x := int64(i % 300)
		ld := [2]int64{x, 2000 + 40*x}
		sx += float64(x)
		sy += float64(ld[1])
		if i%2 == 0 {
			a = append(a, ld)
		} else {
			b = append(b, ld)
		}
	}
	ins := []Input{
		{Source: "a", Result: shardResult(t, "0/2", []int64{5}, a, time.Second)},
		{Source: "b", Result: shardResult(t, "1/2", []int64{6}, b, time.Second)},
	}
	res, err := Results(ins, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rp := res.Runs[0].Replay
	if rp.Loads != 400 || rp.Phases[0].Latency.Count != 400 || len(rp.Buckets) != 3 {
		t.Fatalf("replay %+v", rp)
	}
	if n := rp.Buckets[0].Total.Count + rp.Buckets[1].Total.Count + rp.Buckets[2].Total.Count; n != 400 {
		t.Errorf("bucket counts add to %d", n)
	}
	f := rp.Fit
	if !f.OK || f.N != 400 || math.Abs(f.MeanX-sx/400) > 1e-9 || math.Abs(f.MeanY-sy/400) > 1e-6 {
		t.Fatalf("fit %+v, want means %v %v", f, sx/400, sy/400)
	}
	if math.Abs(f.B-40)/40 > 0.01 || math.Abs(f.A-2000)/2000 > 0.05 {
		t.Errorf("fit a=%v b=%v, want ≈2000 and ≈40", f.A, f.B)
	}
	if len(res.Merged.Notes) == 0 {
		t.Error("the refitted slope is not noted")
	}
}

func TestMergeRefuses(t *testing.T) {
	base := func(shard string) *reports.Result { return shardResult(t, shard, []int64{10, 20}, nil, time.Second) }
	otherSeed := base("1/2")
	otherSeed.Workload = workloadJSON("1/2", 8)
	reordered := base("1/2")
	// The same workload with keys in another order and other spacing is
	// the same workload.
	reordered.Workload = json.RawMessage(`{ "arrival": {"workers":2, "mode":"closed"}, "shard":"1/2", "seed":7, "name":"w"}`)
	partial := base("1/2")
	partial.Partial, partial.PartialReason = true, "interrupted"
	schema := base("1/2")
	schema.Schema = "esbench/result/v0"
	backend := base("1/2")
	backend.Environment.Backend = "pebble"
	for _, tc := range []struct {
		name   string
		inputs []*reports.Result
		opts   Options
		want   string // "" means the merge must succeed
	}{
		{"different workload", []*reports.Result{base("0/2"), otherSeed}, Options{}, "different workloads"},
		{"same shard twice", []*reports.Result{base("0/2"), base("0/2")}, Options{}, "given twice"},
		{"overlapping shard counts", []*reports.Result{base("0/2"), base("1/3")}, Options{}, "different counts"},
		{"partial", []*reports.Result{base("0/2"), partial}, Options{}, "--allow-partial"},
		{"partial allowed", []*reports.Result{base("0/2"), partial}, Options{AllowPartial: true}, ""},
		{"schema", []*reports.Result{base("0/2"), schema}, Options{}, "schema"},
		{"backend", []*reports.Result{base("0/2"), backend}, Options{}, "backend"},
		{"one input", []*reports.Result{base("0/2")}, Options{}, "at least two"},
		{"2 of 3 shards", []*reports.Result{base("0/3"), base("1/3")}, Options{}, "only 2 of 3 shards given (missing 2/3)"},
		{"2 of 3 shards allowed", []*reports.Result{base("0/3"), base("2/3")}, Options{AllowPartial: true}, ""},
		{"canonical workload", []*reports.Result{base("0/2"), reordered}, Options{}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ins []Input
			for i, r := range tc.inputs {
				ins = append(ins, Input{Source: "dir" + itoa(i), Result: r})
			}
			res, err := Results(ins, tc.opts)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if tc.opts.AllowPartial && !res.Partial {
					t.Error("merged result of a partial shard is not partial")
				}
				return
			}
			if err == nil || !errors.Is(err, ErrMerge) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want ErrMerge mentioning %q", err, tc.want)
			}
		})
	}
}

func TestMergeLatenciesNeedsHistogram(t *testing.T) {
	if _, err := Latencies(reports.Latency{Count: 3, P99Ns: 10}); err == nil {
		t.Fatal("a latency with values but no histogram merged")
	}
	l, err := Latencies(reports.Latency{}, reports.Latency{})
	if err != nil || l.Count != 0 {
		t.Fatalf("empty latencies: %+v %v", l, err)
	}
}

// writeLog writes an interval log whose intervals of ivMs start at origin
// + k·ivMs + skew, each holding value v recorded k+1 times.
func writeLog(t *testing.T, path string, origin, skew, ivMs int64, v int64, steps int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lw := hdr.NewHistogramLogWriter(f)
	lw.SetBaseTime(origin)
	if err := errors.Join(lw.OutputStartTime(origin), lw.OutputBaseTime(origin), lw.OutputLegend()); err != nil {
		t.Fatal(err)
	}
	for k := range steps {
		h := newHist()
		_ = h.RecordValues(v, int64(k+1))
		h.SetTag("read.ok")
		start := origin + int64(k)*ivMs + skew
		h.SetStartTimeMs(start)
		h.SetEndTimeMs(start + ivMs)
		if err := lw.OutputIntervalHistogram(h); err != nil {
			t.Fatal(err)
		}
	}
}

// TestMergeHlogsAligns merges two shard logs that started 2.3 s apart (and
// whose intervals jitter by up to 40 ms): interval k of one meets interval
// k of the other, so the merged interval k holds k+1 values of each.
func TestMergeHlogsAligns(t *testing.T) {
	a, b, dst := t.TempDir(), t.TempDir(), t.TempDir()
	writeLog(t, filepath.Join(a, "run.corrected.hlog"), 1_700_000_000_000, 0, 1000, 1000, 4)
	writeLog(t, filepath.Join(b, "run.corrected.hlog"), 1_700_000_002_300, 40, 1000, 5000, 4)
	writeLog(t, filepath.Join(b, "only-b.hlog"), 1_700_000_000_000, 0, 1000, 7, 1)
	written, skipped, err := Hlogs(reports.DirAt(dst), []reports.Dir{reports.DirAt(a), reports.DirAt(b)})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(written, []string{"run.corrected.hlog"}) || !slices.Equal(skipped, []string{"only-b.hlog"}) {
		t.Fatalf("written %v skipped %v", written, skipped)
	}
	hs, err := readHlog(filepath.Join(dst, "run.corrected.hlog"))
	if err != nil {
		t.Fatal(err)
	}
	if len(hs) != 4 {
		t.Fatalf("%d merged intervals, want 4", len(hs))
	}
	for k, h := range hs {
		n := int64(k + 1)
		// Half the values at 1000 and half at 5000: the lower quartile is
		// 1000 and the upper 5000 only if both shards' interval k met.
		lo, hi := h.ValueAtQuantile(25), h.ValueAtQuantile(75)
		if h.TotalCount() != 2*n || !h.ValuesAreEquivalent(lo, 1000) || !h.ValuesAreEquivalent(hi, 5000) {
			t.Errorf("interval %d: %d values, quartiles %d and %d; want %d values, quartiles 1000 and 5000",
				k, h.TotalCount(), lo, hi, 2*n)
		}
		if want := int64(1_700_000_000_000) + int64(k)*1000; h.StartTimeMs() != want || h.Tag() != "read.ok" {
			t.Errorf("interval %d starts %d tag %q, want %d read.ok", k, h.StartTimeMs(), h.Tag(), want)
		}
	}
}
