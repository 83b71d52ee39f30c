package compare

import (
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/esbench/esbench/reports"
	"github.com/esbench/esbench/thresholds"
)

// cmpFixture describes a synthetic result for compare tests: every latency
// is scale times the reference distribution; jitter is the relative
// interval-to-interval swing written into the interval logs.
type cmpFixture struct {
	scale  float64
	jitter float64
	// errs is the number of acquire operations that failed.
	errs int64
}

// writeCmpResult writes a result directory with a mixed run (acquire with
// ok and conflict outcomes, check, load with replay phases), a preload run
// and a two-cell sweep, plus 20 one-second interval logs of the mixed run.
func writeCmpResult(t *testing.T, f cmpFixture) string {
	t.Helper()
	dir := t.TempDir()
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	hist := func(seed uint64, median float64) reports.Latency {
		h := hdr.New(1, int64(time.Hour), 3)
		r := rand.New(rand.NewPCG(seed, 3))
		for range 4000 {
			_ = h.RecordValue(int64(f.scale * median * math.Exp(r.NormFloat64()*0.5)))
		}
		return mustSummarize(t, h)
	}
	res := reports.New("mixed")
	res.Started, res.Finished = start, start.Add(20*time.Second)
	res.Environment = reports.Environment{Backend: "memory", Cores: 2, CPUModel: "test"}
	pre := reports.Run{Name: "preload", Operations: []reports.OpStats{{Op: "acquire", Count: 10, Rate: 1, Corrected: hist(9, 50e6)}}}
	run := reports.Run{Name: "mixed", Mode: "open", MeasuredNs: int64(20 * time.Second)}
	acq := hist(1, 400e3)
	run.Operations = []reports.OpStats{
		{Op: "acquire", Count: 4000, Rate: 200, Corrected: acq, Service: hist(2, 300e3),
			Outcomes: []reports.OutcomeStats{
				{Outcome: "ok", Count: 4000 - f.errs, Corrected: acq, Service: acq},
				{Outcome: "conflict", Error: true, Count: f.errs, Corrected: hist(3, 900e3)},
			}},
		{Op: "check", Count: 4000, Rate: 200, Corrected: hist(4, 150e3), Service: hist(5, 100e3)},
		{Op: "load", Count: 4000, Rate: 200, Corrected: hist(6, 1e6), Service: hist(6, 1e6)},
	}
	run.Replay = &reports.ReplayReport{Loads: 4000, Phases: []reports.PhaseStats{
		{Phase: "decode", Latency: hist(7, 300e3)}, {Phase: "total", Latency: hist(6, 1e6)},
	}}
	res.Runs = []reports.Run{pre, run}
	res.Sweep = &reports.Sweep{TargetP99Ns: 5e6, Cells: []reports.SweepCell{
		{Interval: 0, History: 1000, Run: "none", ReplayP99Ns: int64(f.scale * 8e6), BytesPerStrm: 1e5, WriteAmplification: 1},
		{Interval: 100, History: 1000, Run: "every100", ReplayP99Ns: int64(f.scale * 1e6), BytesPerStrm: 1.2e5, WriteAmplification: 1.2},
	}}
	set := reports.DirAt(dir).NewHlogSet("mixed.", start)
	r := rand.New(rand.NewPCG(7, 7))
	for sec := range 20 {
		swing := 1 + f.jitter*float64(2*(sec%2)-1)
		for _, op := range []struct {
			name   string
			median float64
		}{{"acquire", 400e3}, {"check", 150e3}, {"load", 1e6}} {
			for _, metric := range []string{"corrected", "service"} {
				h := hdr.NewPacked(1, int64(time.Hour), 3)
				for range 200 {
					_ = h.RecordValue(int64(f.scale * swing * op.median * math.Exp(r.NormFloat64()*0.1)))
				}
				h.SetStartTimeMs(start.Add(time.Duration(sec) * time.Second).UnixMilli())
				h.SetEndTimeMs(start.Add(time.Duration(sec+1) * time.Second).UnixMilli())
				if err := set.WriteInterval(metric, op.name+".ok", time.Time{}, time.Time{}, h); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if err := set.Close(); err != nil {
		t.Fatal(err)
	}
	if err := reports.DirAt(dir).Write(res); err != nil {
		t.Fatal(err)
	}
	return dir
}

func mustLoad(t *testing.T, dir string) *Loaded {
	t.Helper()
	l, err := LoadResult(dir)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func mustThresholds(t *testing.T, texts ...string) []thresholds.Threshold {
	t.Helper()
	out, err := thresholds.ParseAll(texts)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mustSummarize(t testing.TB, h *hdr.Histogram) reports.Latency {
	t.Helper()
	l, err := reports.Summarize(h)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestCompareThresholds(t *testing.T) {
	base := mustLoad(t, writeCmpResult(t, cmpFixture{scale: 1, jitter: 0.01}))
	tests := []struct {
		name          string
		cur           cmpFixture
		thresholds    []string
		wantRegressed bool
		// wantChecks are the verdicts of the checks in order.
		wantChecks []string
		// wantRow is a row name and its expected verdict.
		wantRow, wantRowVerdict string
	}{
		{name: "pass", cur: cmpFixture{scale: 1, jitter: 0.01},
			thresholds: []string{"replay.p99 < 1s", "acquire.p99 regression < 10%", "acquire.error_rate < 1%"},
			wantChecks: []string{thresholds.VerdictPass, thresholds.VerdictPass, thresholds.VerdictPass}, wantRow: "acquire.p99", wantRowVerdict: VerdictSame},
		{name: "absolute regression", cur: cmpFixture{scale: 1, jitter: 0.01},
			thresholds:    []string{"replay.p99 < 100µs", "check.p50 < 1s"},
			wantRegressed: true, wantChecks: []string{thresholds.VerdictRegression, thresholds.VerdictPass}},
		{name: "relative regression", cur: cmpFixture{scale: 1.5, jitter: 0.01},
			thresholds:    []string{"acquire.p99 regression < 10%", "acquire.p50 regression < 60%"},
			wantRegressed: true, wantChecks: []string{thresholds.VerdictRegression, thresholds.VerdictPass}, wantRow: "acquire.p99", wantRowVerdict: VerdictWorse},
		{name: "sweep cell regression", cur: cmpFixture{scale: 1.5, jitter: 0.01},
			thresholds:    []string{"sweep[history=1000,interval=100].replay_p99 regression < 10%", "sweep[history=1000,interval=none].write_amp <= 1"},
			wantRegressed: true, wantChecks: []string{thresholds.VerdictRegression, thresholds.VerdictPass}},
		{name: "improvement", cur: cmpFixture{scale: 0.5, jitter: 0.01},
			thresholds: []string{"acquire.p99 regression < 10%", "replay.p999 regression < 0%"},
			wantChecks: []string{thresholds.VerdictPass, thresholds.VerdictPass}, wantRow: "acquire.p99", wantRowVerdict: VerdictBetter},
		{name: "error rate", cur: cmpFixture{scale: 1, jitter: 0.01, errs: 200},
			thresholds:    []string{"acquire.error_rate < 1%", "check.error_rate < 1%"},
			wantRegressed: true, wantChecks: []string{thresholds.VerdictRegression, thresholds.VerdictPass}},
		// Errors appearing where there were none is an unbounded change.
		{name: "error rate from zero", cur: cmpFixture{scale: 1, jitter: 0.01, errs: 2},
			thresholds:    []string{"acquire.error_rate regression < 1000%", "acquire.error_rate < 1%"},
			wantRegressed: true, wantChecks: []string{thresholds.VerdictRegression, thresholds.VerdictPass}, wantRow: "acquire.error_rate", wantRowVerdict: VerdictWorse},
		{name: "throughput is better higher", cur: cmpFixture{scale: 1, jitter: 0.01},
			thresholds: []string{"check.throughput >= 200", "check.throughput regression < 1%"},
			wantChecks: []string{thresholds.VerdictPass, thresholds.VerdictPass}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cur := mustLoad(t, writeCmpResult(t, tt.cur))
			c, err := Compare(base, cur, mustThresholds(t, tt.thresholds...), thresholds.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if c.Regressed != tt.wantRegressed {
				t.Errorf("Regressed = %v, want %v", c.Regressed, tt.wantRegressed)
			}
			if len(c.Checks) != len(tt.wantChecks) {
				t.Fatalf("%d checks, want %d", len(c.Checks), len(tt.wantChecks))
			}
			for i, ch := range c.Checks {
				if ch.Verdict != tt.wantChecks[i] {
					t.Errorf("check %q: verdict %q (value %g, delta %g, band %g), want %q", ch.Threshold.Text, ch.Verdict, ch.Value, ch.Delta, ch.Band, tt.wantChecks[i])
				}
			}
			if tt.wantRow != "" {
				r, ok := findRow(c, tt.wantRow)
				if !ok {
					t.Fatalf("no row %s", tt.wantRow)
				}
				if r.Verdict != tt.wantRowVerdict {
					t.Errorf("row %s verdict %q (delta %g band %g), want %q", r.Name, r.Verdict, r.Delta, r.Band, tt.wantRowVerdict)
				}
			}
		})
	}
}

func findRow(c *Comparison, name string) (Row, bool) {
	for _, s := range c.Sections {
		for _, r := range s.Rows {
			if r.Name == name {
				return r, true
			}
		}
	}
	return Row{}, false
}

func TestCompareUnknownMetric(t *testing.T) {
	dir := writeCmpResult(t, cmpFixture{scale: 1})
	l := mustLoad(t, dir)
	tests := []struct {
		threshold string
		want      []string
	}{
		{"acquir.p99 < 5ms", []string{`"acquir.p99"`, "acquire.p99"}},
		{"acquire.p98 regression < 5%", []string{"acquire.p99"}},
		{"renew.p99 < 5ms", []string{`"renew.p99"`}},
		{"sweep[history=1000,interval=50].replay_p99 < 5ms", []string{"sweep[history=1000,interval=100].replay_p99"}},
	}
	for _, tt := range tests {
		t.Run(tt.threshold, func(t *testing.T) {
			_, err := Compare(l, l, mustThresholds(t, tt.threshold), thresholds.Options{})
			if !errors.Is(err, thresholds.ErrUnknownMetric) {
				t.Fatalf("error %v, want thresholds.ErrUnknownMetric", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %s", err, w)
				}
			}
		})
	}
}

func TestCompareDurationLimitOnNonLatency(t *testing.T) {
	l := mustLoad(t, writeCmpResult(t, cmpFixture{scale: 1}))
	_, err := Compare(l, l, mustThresholds(t, "acquire.throughput > 5ms"), thresholds.Options{})
	if !errors.Is(err, thresholds.ErrMalformed) || !strings.Contains(err.Error(), "acquire.throughput > 5ms") {
		t.Fatalf("error %v, want thresholds.ErrMalformed naming the text", err)
	}
}

func TestCompareNoise(t *testing.T) {
	tests := []struct {
		name            string
		jitter, scale   float64
		failWithinNoise bool
		wantRow         string
		wantFailed      bool
		wantNoise       bool
	}{
		// A 5% change against ±30% interval swings is noise.
		{name: "noisy", jitter: 0.3, scale: 1.05, wantRow: thresholds.VerdictWithinNoise, wantNoise: true},
		{name: "noisy strict", jitter: 0.3, scale: 1.05, failWithinNoise: true, wantRow: thresholds.VerdictWithinNoise, wantFailed: true},
		// The same change against steady intervals is real.
		{name: "steady", jitter: 0.005, scale: 1.05, wantRow: VerdictWorse, wantFailed: true},
		// A large change is beyond even wide noise.
		{name: "noisy but large", jitter: 0.3, scale: 2, wantRow: VerdictWorse, wantFailed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := mustLoad(t, writeCmpResult(t, cmpFixture{scale: 1, jitter: tt.jitter}))
			cur := mustLoad(t, writeCmpResult(t, cmpFixture{scale: tt.scale, jitter: tt.jitter}))
			c, err := Compare(base, cur, mustThresholds(t, "acquire.p99 regression < 2%"), thresholds.Options{FailWithinNoise: tt.failWithinNoise})
			if err != nil {
				t.Fatal(err)
			}
			ch := c.Checks[0]
			if ch.Band <= 0 {
				t.Fatalf("no noise band estimated: %+v", ch)
			}
			row, ok := findRow(c, "acquire.p99")
			if !ok {
				t.Fatal("no row acquire.p99")
			}
			if row.Verdict != tt.wantRow || ch.Failed != tt.wantFailed || ch.Noise != tt.wantNoise || c.Regressed != tt.wantFailed {
				t.Errorf("row %q failed %v noise %v regressed %v (delta %.3f band %.3f); want row %q failed %v noise %v",
					row.Verdict, ch.Failed, ch.Noise, c.Regressed, ch.Delta, ch.Band, tt.wantRow, tt.wantFailed, tt.wantNoise)
			}
		})
	}
}

func TestIntervalNoise(t *testing.T) {
	ivs := []reports.OpInterval{{Count: 1, P99Ns: 90}, {Count: 1, P99Ns: 110}, {Count: 1, P99Ns: 100}, {Count: 0, P99Ns: 1e9}}
	cv, n := intervalNoise(ivs, func(iv reports.OpInterval) float64 { return float64(iv.P99Ns) })
	if n != 3 || math.Abs(cv-0.1) > 1e-9 {
		t.Errorf("cv %g n %d, want 0.1 over 3 (empty intervals skipped)", cv, n)
	}
	if _, n := intervalNoise(ivs[:2], func(iv reports.OpInterval) float64 { return float64(iv.P99Ns) }); n != 0 {
		t.Errorf("two intervals gave an estimate (n=%d)", n)
	}
}

func TestMetricsNames(t *testing.T) {
	l := mustLoad(t, writeCmpResult(t, cmpFixture{scale: 1, errs: 40}))
	m := Metrics(l.Result, l.Logs)
	mixed := l.Result.Runs[1]
	tests := []struct {
		name string
		want float64
	}{
		{"acquire.p99", float64(mixed.Operations[0].Corrected.P99Ns)},
		{"acquire.service.p50", float64(mixed.Operations[0].Service.P50Ns)},
		{"acquire.conflict.p99", float64(mixed.Operations[0].Outcomes[1].Corrected.P99Ns)},
		{"acquire.error_rate", 0.01},
		{"acquire.throughput", 200},
		{"run[preload].acquire.p99", float64(l.Result.Runs[0].Operations[0].Corrected.P99Ns)},
		{"replay.p99", float64(mixed.Replay.Phases[1].Latency.P99Ns)},
		{"phase.decode.p50", float64(mixed.Replay.Phases[0].Latency.P50Ns)},
		{"sweep[history=1000,interval=none].replay_p99", 8e6},
		{"sweep[history=1000,interval=100].bytes_per_stream", 1.2e5},
	}
	for _, tt := range tests {
		got, ok := m[tt.name]
		if !ok {
			t.Errorf("no metric %s", tt.name)
			continue
		}
		if math.Abs(got.Value-tt.want) > 1e-9 {
			t.Errorf("%s = %g, want %g", tt.name, got.Value, tt.want)
		}
	}
	if m["acquire.p99"].Samples != 20 || m["acquire.p99"].Noise <= 0 {
		t.Errorf("acquire.p99 noise from %d intervals (%g), want 20", m["acquire.p99"].Samples, m["acquire.p99"].Noise)
	}
}

func TestWriteMarkdown(t *testing.T) {
	base := mustLoad(t, writeCmpResult(t, cmpFixture{scale: 1, jitter: 0.01}))
	cur := mustLoad(t, writeCmpResult(t, cmpFixture{scale: 1.5, jitter: 0.01}))
	c, err := Compare(base, cur, mustThresholds(t, "acquire.p99 regression < 10%"), thresholds.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	if err := WriteMarkdown(&sb, c); err != nil {
		t.Fatal(err)
	}
	md := sb.String()
	for _, want := range []string{
		"# esbench compare: **REGRESSION**",
		"| threshold | base | new | Δ | noise band | verdict |",
		"| `acquire.p99 regression < 10%` |",
		"**REGRESSION** |",
		"## Operations", "## Replay", "## Sweep",
		"| sweep[history=1000,interval=100].replay_p99 | 1.00ms | 1.50ms | +50.0% |",
		"within noise",
		"2·sqrt(cv_base²/n_base + cv_new²/n_new)",
		filepath.Base(filepath.Dir(cur.Path)),
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}
