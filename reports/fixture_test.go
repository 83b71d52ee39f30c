package reports

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// latencyHist records n log-normal-ish latencies around median ns.
func latencyHist(seed uint64, n int, median float64) *hdr.Histogram {
	h := hdr.New(1, int64(time.Hour), 3)
	r := rand.New(rand.NewPCG(seed, 11))
	for range n {
		_ = h.RecordValue(int64(median * math.Exp(r.NormFloat64()*0.6)))
	}
	return h
}

func mustSummarize(t testing.TB, h *hdr.Histogram) Latency {
	t.Helper()
	l, err := Summarize(h)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// fixtureOps are the operations of the fixture run with their median
// latencies in nanoseconds and counts.
var fixtureOps = []struct {
	op     string
	median float64
	count  int
}{
	{"acquire", 400e3, 6000},
	{"check", 150e3, 6000},
	{"load", 900e3, 600},
}

// fixtureResult is a complete result of every kind the report draws: a
// mixed run with replay, a sweep and a codec matrix.
func fixtureResult(t testing.TB) *Result {
	t.Helper()
	res := New("mixed")
	res.Workload = []byte(`{"name":"default","shard":"0/1","population":{"customers":1000}}`)
	res.Environment = Environment{Version: "test", Commit: "abc", GoVersion: "go1.26", GOOS: "linux", GOARCH: "amd64",
		Cores: 2, GOMAXPROCS: 2, Backend: "pebble", Codec: "json"}
	res.Started = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	res.Finished = res.Started.Add(70 * time.Second)
	run := Run{Name: "mixed", Mode: "open", Workers: 4, TargetRate: 210, AchievedRate: 209.5,
		Started: res.Started, MeasureStart: res.Started.Add(10 * time.Second), Finished: res.Finished,
		WarmupNs: int64(10 * time.Second), MeasuredNs: int64(60 * time.Second), LateThresholdNs: int64(time.Millisecond)}
	for i, o := range fixtureOps {
		h := latencyHist(uint64(i+1), o.count, o.median)
		l := mustSummarize(t, h)
		run.Operations = append(run.Operations, OpStats{
			Op: o.op, Count: int64(o.count), Rate: float64(o.count) / 60, Corrected: l, Service: l,
			Outcomes: []OutcomeStats{{Outcome: "ok", Count: int64(o.count), Corrected: l, Service: l}},
		})
		run.Recorded += int64(o.count)
	}
	var buckets []BucketStats
	for i, b := range []struct{ lo, hi int64 }{{1, 2}, {2, 5}, {5, 10}, {10, 20}, {20, 50}, {50, 100}, {100, 200}} {
		mean := float64(b.lo+b.hi) / 2
		buckets = append(buckets, BucketStats{Lower: b.lo, Upper: b.hi, MeanEvents: mean,
			Total: mustSummarize(t, latencyHist(uint64(100+i), 200, 20e3+900*mean))})
	}
	run.Replay = &ReplayReport{Loads: 1400, FromSnapshot: 300, Replayed: 40000, Bytes: 9e6,
		Phases:  []PhaseStats{{Phase: "total", Latency: buckets[3].Total}},
		Buckets: buckets,
		Fit:     LinearFit{A: 20e3, B: 900, R2: 0.97, N: 1400, OK: true}}
	fb := mustSummarize(t, latencyHist(77, 300, 2e6))
	run.FaultWindows = []FaultWindow{{Name: "errors at 30s for 10s", Kind: "errors", StartNs: int64(30 * time.Second), EndNs: int64(40 * time.Second),
		Ops: 2100, Outcomes: map[string]int64{"ok": 1500, "fallback": 300, "unavailable": 300}, Errors: 300, Fallbacks: 300,
		FallbackShare: 300.0 / 2100, FallbackLatency: &fb, RecoveryNs: int64(time.Second),
		ErrorSamples: map[string][]string{"unavailable": {"faults: injected error: store: unavailable"}}}}
	res.Runs = []Run{run}

	ms := int64(time.Millisecond)
	res.Sweep = &Sweep{TargetP99Ns: 5 * ms}
	for _, h := range []int{100, 1000} {
		for _, iv := range []int{0, 10, 100, 1000} {
			replayed := h
			if iv > 0 {
				replayed = min(h, iv)
			}
			res.Sweep.Cells = append(res.Sweep.Cells, SweepCell{
				Interval: iv, History: h, Run: "sweep",
				ReplayP50Ns: int64(20e3 + 900*float64(replayed)), ReplayP99Ns: int64(40e3 + 1800*float64(replayed)),
				ReplayP999Ns: int64(60e3 + 2500*float64(replayed)), AppendP99Ns: 300e3,
				BytesPerStrm: float64(h*220) + float64(snapshotsOf(h, iv))*1500, WriteAmplification: 1 + float64(snapshotsOf(h, iv))*1500/float64(h*220),
			})
		}
	}
	res.Sweep.Recommendations = Recommend(res.Sweep.Cells, res.Sweep.TargetP99Ns)
	res.Codecs = []CodecCell{
		{Codec: "json", EncodeNs: 1200, DecodeNs: 2100, BytesPerEvent: 310},
		{Codec: "protobuf", EncodeNs: 380, DecodeNs: 520, BytesPerEvent: 120},
		{Codec: "cbor", Compression: "zstd", EncodeNs: 900, DecodeNs: 1100, BytesPerEvent: 95},
	}
	return res
}

func snapshotsOf(history, interval int) int {
	if interval == 0 {
		return 0
	}
	return history / interval
}

// writeFixtureHlogs writes 1-second interval logs of the fixture run into
// dir: rates and latencies that drift, so the over-time charts have shape.
func writeFixtureHlogs(t testing.TB, dir string, res *Result) {
	t.Helper()
	set := DirAt(dir).NewHlogSet("mixed.", res.Started)
	r := rand.New(rand.NewPCG(5, 5))
	for sec := range 70 {
		for _, o := range fixtureOps {
			for _, outcome := range []string{"ok", "denied"} {
				h := hdr.NewPacked(1, int64(time.Hour), 3)
				n := o.count/60 + r.IntN(20)
				if outcome == "denied" {
					n /= 10
				}
				med := o.median * (1 + 0.3*float64(sec%20)/20)
				for range n {
					_ = h.RecordValue(int64(med * math.Exp(r.NormFloat64()*0.5)))
				}
				h.SetStartTimeMs(res.Started.Add(time.Duration(sec) * time.Second).UnixMilli())
				h.SetEndTimeMs(res.Started.Add(time.Duration(sec+1) * time.Second).UnixMilli())
				if err := set.WriteInterval("corrected", o.op+"."+outcome, time.Time{}, time.Time{}, h); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if err := set.Close(); err != nil {
		t.Fatal(err)
	}
	res.Files = append(res.Files, set.Files()...)
}
