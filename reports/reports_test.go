package reports

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/esbench/esbench/reports/percentile"
)

func sampleHist(seed uint64, n int) *hdr.Histogram {
	h := hdr.New(1, int64(time.Hour), 3)
	r := rand.New(rand.NewPCG(seed, 7))
	for range n {
		_ = h.RecordValue(int64(r.ExpFloat64() * 100e3))
	}
	return h
}

func sampleResult(t *testing.T) *Result {
	t.Helper()
	lat, err := Summarize(sampleHist(1, 5000))
	if err != nil {
		t.Fatal(err)
	}
	res := New("mixed")
	res.Workload = json.RawMessage(`{"name":"default","rate":100}`)
	res.Environment = CollectEnvironment()
	res.Environment.Backend = "pebble"
	res.Started = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	res.Finished = res.Started.Add(time.Minute)
	res.Partial = true
	res.PartialReason = "interrupted: context canceled"
	res.Process = CollectProcess()
	res.Runs = []Run{{
		Name: "mixed", Mode: "open", Workers: 4, TargetRate: 100, AchievedRate: 99.5, Recorded: 5000,
		StartLag: &lat,
		Operations: []OpStats{{
			Op: "acquire", Count: 5000, Rate: 99.5, Errors: map[string]int64{"conflict": 3},
			Corrected: lat, Service: lat,
			Outcomes: []OutcomeStats{{Outcome: "ok", Count: 4997, Corrected: lat, Service: lat}, {Outcome: "conflict", Error: true, Count: 3}},
		}},
		Replay: &ReplayReport{Loads: 10, Phases: []PhaseStats{{Phase: "total", Latency: lat}},
			Buckets: []BucketStats{{Lower: 10, Upper: 20, MeanEvents: 14, Total: lat}},
			Fit:     LinearFit{A: 1000, B: 50, R2: 0.99, N: 10, OK: true}},
	}}
	return res
}

func TestResultRoundTrip(t *testing.T) {
	res := sampleResult(t)
	var buf bytes.Buffer
	if err := WriteJSON(&buf, res); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"schema": "esbench/result/v1"`) {
		t.Errorf("schema version missing from JSON:\n%.300s", buf.String())
	}
	got, err := ReadJSON(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	// Compare through JSON again: times and raw messages normalise there.
	var again bytes.Buffer
	if err := WriteJSON(&again, got); err != nil {
		t.Fatal(err)
	}
	if again.String() != buf.String() {
		t.Error("result changed in a JSON round trip")
	}
	if !reflect.DeepEqual(got.Runs, res.Runs) {
		t.Error("runs differ after round trip")
	}
	h, err := got.Runs[0].Operations[0].Corrected.Decode()
	if err != nil {
		t.Fatal(err)
	}
	if want := sampleHist(1, 5000); !h.Equals(want) {
		t.Error("decoded histogram differs from the one summarised")
	}
}

func TestReadJSONRejectsOtherSchemas(t *testing.T) {
	tests := []struct{ name, doc string }{
		{"other version", `{"schema":"esbench/result/v0","runs":[]}`},
		{"missing", `{"runs":[]}`},
		{"not json", `{"schema":`},
	}
	for _, tt := range tests {
		_, err := ReadJSON(strings.NewReader(tt.doc))
		if err == nil {
			t.Errorf("%s: accepted", tt.name)
		}
		if tt.name != "not json" && !errors.Is(err, ErrSchema) {
			t.Errorf("%s: error %v is not ErrSchema", tt.name, err)
		}
	}
}

func TestSummarize(t *testing.T) {
	h := sampleHist(2, 10000)
	l, err := Summarize(h)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]int64{
		"p50": {l.P50Ns, percentile.Value(h, 50)}, "p90": {l.P90Ns, percentile.Value(h, 90)},
		"p99": {l.P99Ns, percentile.Value(h, 99)}, "p99.9": {l.P999Ns, percentile.Value(h, 99.9)},
		"p99.99": {l.P9999Ns, percentile.Value(h, 99.99)}, "max": {l.MaxNs, h.Max()}, "count": {l.Count, 10000},
	}
	for k, v := range want {
		if v[0] != v[1] {
			t.Errorf("%s = %d, want %d", k, v[0], v[1])
		}
	}
	if !(l.P50Ns <= l.P90Ns && l.P90Ns <= l.P99Ns && l.P99Ns <= l.P999Ns && l.P999Ns <= l.MaxNs) {
		t.Errorf("percentiles not ordered: %+v", l)
	}
	empty, err := Summarize(nil)
	if err != nil || empty != (Latency{}) {
		t.Errorf("nil histogram: %+v, %v", empty, err)
	}
	if _, err := (Latency{}).Decode(); err == nil {
		t.Error("decoding an empty latency succeeded")
	}
	if _, err := (Latency{Histogram: "HISTnotbase64!"}).Decode(); err == nil {
		t.Error("decoding a corrupt histogram succeeded")
	}
}

// TestHlogReadable writes interval logs and reads them back with the
// HdrHistogram log reader.
func TestHlogReadable(t *testing.T) {
	dir := t.TempDir()
	// A start with milliseconds: the header keeps them.
	start := time.Date(2026, 1, 1, 0, 0, 0, 567_000_000, time.UTC)
	set := DirAt(dir).NewHlogSet("run1.", start)
	type line struct {
		tag   string
		count int64
		max   int64
	}
	var want []line
	for i := range 3 {
		for _, tag := range []string{"acquire.ok", "acquire.conflict"} {
			h := hdr.NewPacked(1, int64(time.Hour), 3)
			n := int64(10 * (i + 1))
			for v := range n {
				_ = h.RecordValue(1000 * (v + 1))
			}
			h.SetStartTimeMs(start.Add(time.Duration(i) * time.Second).UnixMilli())
			h.SetEndTimeMs(start.Add(time.Duration(i+1) * time.Second).UnixMilli())
			if err := set.WriteInterval("corrected", tag, time.Time{}, time.Time{}, h); err != nil {
				t.Fatal(err)
			}
			want = append(want, line{tag, n, h.Max()})
		}
	}
	if err := set.Close(); err != nil {
		t.Fatal(err)
	}
	if files := set.Files(); len(files) != 1 || files[0] != "run1.corrected.hlog" {
		t.Fatalf("files = %v", files)
	}
	f, err := os.Open(filepath.Join(dir, "run1.corrected.hlog"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd := hdr.NewHistogramLogReader(f)
	var got []line
	for i := 0; ; i++ {
		h, err := rd.NextIntervalHistogram()
		if err != nil {
			t.Fatal(err)
		}
		if h == nil {
			break
		}
		got = append(got, line{h.Tag(), h.TotalCount(), h.Max()})
		// The reader rebuilds absolute times from BaseTime plus the offset
		// (in float seconds, truncated to ms: allow 1 ms).
		wantMs := start.Add(time.Duration(i/2) * time.Second).UnixMilli()
		if d := h.StartTimeMs() - wantMs; d < -1 || d > 1 {
			t.Errorf("interval %d starts at %d ms, want %d", i, h.StartTimeMs(), wantMs)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("read back %v, want %v", got, want)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	head, _ := io.ReadAll(f)
	if !bytes.Contains(head, []byte("#[Histogram log format version")) || !bytes.Contains(head, []byte("#[StartTime: 1767225600.567 (seconds since epoch), 2026-01-01T00:00:00.567Z]")) ||
		!bytes.Contains(head, []byte("#[BaseTime: 1767225600.567 (seconds since epoch)]")) {
		t.Errorf("log header missing:\n%.300s", head)
	}
}

func TestRecommend(t *testing.T) {
	ms := int64(time.Millisecond)
	cells := []SweepCell{
		{History: 1000, Interval: 0, ReplayP99Ns: 20 * ms, BytesPerStrm: 100e3},
		{History: 1000, Interval: 100, ReplayP99Ns: 2 * ms, BytesPerStrm: 150e3},
		{History: 1000, Interval: 500, ReplayP99Ns: 4 * ms, BytesPerStrm: 110e3},
		{History: 1000, Interval: 1000, ReplayP99Ns: 9 * ms, BytesPerStrm: 105e3},
		{History: 10, Interval: 0, ReplayP99Ns: ms / 10, BytesPerStrm: 1000},
		{History: 10, Interval: 10, ReplayP99Ns: ms / 10, BytesPerStrm: 1500},
		{History: 10000, Interval: 0, ReplayP99Ns: 200 * ms, BytesPerStrm: 1e6},
		{History: 10000, Interval: 50, ReplayP99Ns: 6 * ms, BytesPerStrm: 3e6},
	}
	got := Recommend(cells, 5*ms)
	want := []struct {
		history, interval int
		met               bool
	}{{1000, 500, true}, {10, 0, true}, {10000, 50, false}}
	if len(got) != len(want) {
		t.Fatalf("got %d recommendations, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.History != w.history || g.Interval != w.interval || g.Met != w.met || g.Reason == "" {
			t.Errorf("history %d: got interval %d met %v (%q), want %d met %v", w.history, g.Interval, g.Met, g.Reason, w.interval, w.met)
		}
	}
}

func TestSortedCells(t *testing.T) {
	cells := []SweepCell{{History: 100, Interval: 10}, {History: 10, Interval: 50}, {History: 100, Interval: 0}, {History: 10, Interval: 0}}
	got := SortedCells(cells)
	want := []SweepCell{{History: 10, Interval: 0}, {History: 10, Interval: 50}, {History: 100, Interval: 0}, {History: 100, Interval: 10}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if cells[0].History != 100 {
		t.Error("SortedCells reordered its input")
	}
}

func TestComputeBreakEven(t *testing.T) {
	tests := []struct {
		name          string
		without, with LinearFit
		events        float64
		ok            bool
	}{
		{"snapshot costs 200 events", LinearFit{A: 1000, B: 50, R2: 0.9, OK: true, N: 9}, LinearFit{A: 11000, B: 50, OK: true, N: 9}, 200, true},
		{"snapshot cheaper than empty replay", LinearFit{A: 5000, B: 50, R2: 0.9, OK: true, N: 9}, LinearFit{A: 1000, B: 50, OK: true, N: 9}, 0, true},
		{"equal tails: intercept from the replay slope", LinearFit{A: 1000, B: 50, R2: 0.9, OK: true, N: 9}, LinearFit{N: 10, MeanX: 5, MeanY: 1500}, 5, true},
		{"short tails: means, not the noisy line", LinearFit{A: 1000, B: 50, R2: 0.9, OK: true, N: 9}, LinearFit{A: 200, B: 900, OK: true, N: 10, MeanX: 5, MeanY: 11250}, 200, true},
		{"no snapshot loads", LinearFit{A: 1000, B: 50, R2: 0.9, OK: true, N: 9}, LinearFit{}, 0, false},
		{"no fit", LinearFit{}, LinearFit{A: 1, OK: true, N: 3}, 0, false},
		{"flat replay", LinearFit{A: 1000, B: 0, R2: 0.9, OK: true, N: 9}, LinearFit{A: 2000, OK: true, N: 9}, 0, false},
		{"replay fit under the r² threshold: no line to read it from", LinearFit{A: 1000, B: 50, R2: MinFitR2 / 2, OK: true, N: 9}, LinearFit{A: 11000, B: 50, OK: true, N: 9}, 0, false},
	}
	for _, tt := range tests {
		ev, ok := ComputeBreakEven(tt.without, tt.with)
		if ok != tt.ok || ev != tt.events {
			t.Errorf("%s: got %g/%v, want %g/%v", tt.name, ev, ok, tt.events, tt.ok)
		}
	}
}

func TestWriteDirAndSummaries(t *testing.T) {
	dir := t.TempDir()
	res := sampleResult(t)
	res.Sweep = &Sweep{TargetP99Ns: 5e6, Cells: []SweepCell{{History: 100, Interval: 10, ReplayP99Ns: 1e6, BytesPerStrm: 5000, WriteAmplification: 1.4}}}
	res.Sweep.Recommendations = Recommend(res.Sweep.Cells, res.Sweep.TargetP99Ns)
	if err := DirAt(dir).Write(res); err != nil {
		t.Fatal(err)
	}
	got, err := ReadFile(filepath.Join(dir, ResultFile))
	if err != nil {
		t.Fatal(err)
	}
	if !got.Partial || got.Runs[0].Operations[0].Count != 5000 {
		t.Errorf("result.json content wrong: partial=%v", got.Partial)
	}
	md, err := os.ReadFile(filepath.Join(dir, SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Partial result", "| acquire | 5000 |", "harness memory at end", "| acquire | conflict | 3 |", "Fit: load time ≈", "| 100 | 10 |", "coordinated omission"} {
		if !bytes.Contains(md, []byte(want)) {
			t.Errorf("summary.md lacks %q", want)
		}
	}
	var con bytes.Buffer
	if err := WriteConsole(&con, res); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"PARTIAL RESULT", "acquire", "conflict", "history 100: interval 10"} {
		if !strings.Contains(con.String(), want) {
			t.Errorf("console summary lacks %q:\n%s", want, con.String())
		}
	}
	entries, _ := os.ReadDir(dir)
	want := []string{ResultFile, SummaryFile, HTMLFile, OpsCSVFile, SweepCSVFile}
	if len(entries) != len(want) {
		t.Errorf("directory holds %d entries, want %d (temporary files left?)", len(entries), len(want))
	}
	if !slices.Equal(got.Files, want) {
		t.Errorf("result.json lists files %v, want %v", got.Files, want)
	}
}

func TestCreateDir(t *testing.T) {
	base := filepath.Join(t.TempDir(), "results")
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	a, err := CreateDir(base, "mixed run", at)
	if err != nil {
		t.Fatal(err)
	}
	b, err := CreateDir(base, "mixed run", at)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(a.Path()) != "mixed_run-20260304-050607" || a.Path() == b.Path() {
		t.Errorf("dirs %q and %q", a, b)
	}
}

func TestOpenDir(t *testing.T) {
	dir := t.TempDir()
	if _, err := OpenDir(dir); !errors.Is(err, ErrNotResultDir) || !strings.Contains(err.Error(), dir) {
		t.Fatalf("OpenDir of an empty directory: %v, want ErrNotResultDir naming it", err)
	}
	if _, err := OpenDir(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("OpenDir of a missing path: %v, want ErrNotExist", err)
	}
	res := sampleResult(t)
	if err := DirAt(dir).Write(res); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenDir(filepath.Join(dir, ResultFile)); !errors.Is(err, ErrNotResultDir) || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("OpenDir of a file: %v, want ErrNotResultDir saying it is not a directory", err)
	}
	for _, p := range []string{dir, filepath.Join(dir, ResultFile)} {
		d, err := OpenResult(p)
		if err != nil {
			t.Fatal(err)
		}
		if d.Path() != dir || d.ResultPath() != filepath.Join(dir, ResultFile) {
			t.Errorf("OpenResult(%s) = %q, %q", p, d.Path(), d.ResultPath())
		}
		if got, err := d.ReadResult(); err != nil || got.Experiment != res.Experiment {
			t.Errorf("ReadResult = %v, %v", got, err)
		}
	}
}

func TestWarnings(t *testing.T) {
	tests := []struct {
		name string
		run  Run
		want int
	}{
		{"fine", Run{Mode: "open", TargetRate: 100, AchievedRate: 99, MeasuredNs: 1, Recorded: 1000, Late: 5}, 0},
		{"slow", Run{Mode: "open", TargetRate: 100, AchievedRate: 50, MeasuredNs: 1, Recorded: 1000}, 1},
		{"late and slow", Run{Mode: "open", TargetRate: 100, AchievedRate: 50, MeasuredNs: 1, Recorded: 1000, Late: 500}, 2},
		{"closed loop", Run{Mode: "closed", Recorded: 1000}, 0},
	}
	for _, tt := range tests {
		if got := Warnings(&tt.run); len(got) != tt.want {
			t.Errorf("%s: %d warnings %q, want %d", tt.name, len(got), got, tt.want)
		}
	}
}

func TestCPUModel(t *testing.T) {
	p := filepath.Join(t.TempDir(), "cpuinfo")
	if err := os.WriteFile(p, []byte("processor\t: 0\nvendor_id\t: X\nmodel name\t: Test CPU 3000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := cpuModel(p); got != "Test CPU 3000" {
		t.Errorf("cpuModel = %q", got)
	}
	if got := cpuModel(filepath.Join(t.TempDir(), "missing")); got != "" {
		t.Errorf("missing file gave %q", got)
	}
}

func TestFindResult(t *testing.T) {
	out := t.TempDir()
	if got := FindResult(out); got != out {
		t.Errorf("FindResult of an empty --out = %q, want it back", got)
	}
	d, err := CreateDir(out, "mixed", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Write(sampleResult(t)); err != nil {
		t.Fatal(err)
	}
	if got := FindResult(out); got != d.Path() {
		t.Errorf("FindResult of an --out holding one result = %q, want %q", got, d.Path())
	}
	if got := FindResult(d.Path()); got != d.Path() {
		t.Errorf("FindResult of a result directory = %q, want it back", got)
	}
	d2, err := CreateDir(out, "mixed", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := d2.Write(sampleResult(t)); err != nil {
		t.Fatal(err)
	}
	if got := FindResult(out); got != out {
		t.Errorf("FindResult of an --out holding two results = %q, want it back (ambiguous)", got)
	}
}

func TestRunFile(t *testing.T) {
	for name, want := range map[string]bool{
		WorkloadFile: true, "mixed.corrected.hlog": true, "none.ledger": true,
		ResultFile: false, HTMLFile: false, "notes.txt": false,
	} {
		if RunFile(name) != want {
			t.Errorf("RunFile(%q) = %v, want %v", name, !want, want)
		}
	}
}
