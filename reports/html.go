package reports

import (
	"cmp"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/esbench/esbench/reports/percentile"
	"github.com/esbench/esbench/thresholds"
)

// chartJS is Chart.js, inlined into every report so that it reads offline
// (see assets/README.md for version and licence).
//
//go:embed assets/chart.umd.min.js
var chartJS string

// ChartLibrary names the charting library and version report.html inlines.
const ChartLibrary = "Chart.js 4.6.1"

// WriteHTML writes a self-contained HTML report: tables and charts, with
// the charting library inlined and no reference to anything outside the
// file. logs (may be nil) feed the throughput and latency over time charts.
func WriteHTML(w io.Writer, r *Result, logs []*IntervalLog) error {
	page, err := buildPage(r, logs)
	if err != nil {
		return err
	}
	if err := htmlTemplate.Execute(w, page); err != nil {
		return fmt.Errorf("reports: writing HTML report: %w", err)
	}
	return nil
}

// chartSpec is one chart as the page's script builds it: a small, library
// neutral description so the data shaping stays in Go, where it is tested.
type chartSpec struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	// Kind is the Chart.js chart type: line, scatter or bar.
	Kind   string `json:"kind"`
	XLabel string `json:"xLabel"`
	YLabel string `json:"yLabel"`
	// XScale is linear, logarithmic, category or percentile (a log axis of
	// 1/(1-q) labelled with percentiles); YScale linear or logarithmic.
	XScale   string         `json:"xScale"`
	YScale   string         `json:"yScale"`
	Labels   []string       `json:"labels,omitempty"`
	Datasets []chartDataset `json:"datasets"`
	// Windows are x ranges shaded behind the data (fault windows).
	Windows []chartWindow `json:"windows,omitempty"`
}

type chartWindow struct {
	From  float64 `json:"from"`
	To    float64 `json:"to"`
	Label string  `json:"label"`
}

type chartDataset struct {
	Label string `json:"label"`
	// Type overrides the chart's kind for this dataset (a line over bars).
	Type   string       `json:"type,omitempty"`
	Points []chartPoint `json:"points,omitempty"`
	// Values are per category label; nil draws nothing there.
	Values   []*float64 `json:"values,omitempty"`
	Dashed   bool       `json:"dashed,omitempty"`
	ShowLine bool       `json:"showLine,omitempty"`
}

type chartPoint struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

type htmlPage struct {
	R          *Result
	Generated  string
	Library    string
	Duration   string
	Runs       []htmlRun
	Sweep      *htmlSweep
	Capacity   *htmlChart
	Codecs     []htmlChart
	Charts     map[string]chartSpec
	ChartCount int
	// Script is Chart.js; PageScript draws the charts with it.
	Script     template.JS
	PageScript template.JS
	Style      template.CSS
}

type htmlChart struct {
	ID, Title string
}

type htmlRun struct {
	Run      *Run
	Line     string
	Params   string
	Note     string
	Spectrum *htmlChart
	OverTime []htmlChart
	Replay   *htmlChart
	FitLine  string
	Windows  [][]string
	Extra    []string
}

type htmlSweep struct {
	S      *Sweep
	Charts []htmlChart
}

func buildPage(r *Result, logs []*IntervalLog) (*htmlPage, error) {
	p := &htmlPage{
		R:          r,
		Generated:  time.Now().UTC().Format(time.RFC3339),
		Library:    ChartLibrary,
		Duration:   r.Finished.Sub(r.Started).Round(time.Millisecond).String(),
		Charts:     map[string]chartSpec{},
		Script:     template.JS(chartJS),
		PageScript: template.JS(pageScript),
		Style:      template.CSS(pageStyle),
	}
	add := func(c chartSpec) *htmlChart {
		c.ID = fmt.Sprintf("chart-%d", len(p.Charts)+1)
		p.Charts[c.ID] = c
		return &htmlChart{ID: c.ID, Title: c.Title}
	}
	for i := range r.Runs {
		run := &r.Runs[i]
		hr := htmlRun{Run: run, Line: runLine(run), Params: strings.TrimPrefix(formatParams(run.Params), " "), Note: correctedNote(run)}
		hr.Windows = FaultWindowRows(run)
		spec, err := spectrumChart(run)
		if err != nil {
			return nil, err
		}
		if spec != nil {
			hr.Spectrum = add(*spec)
		}
		// A single interval (a run shorter than the log interval, such as a
		// quick preload) is one invisible point, not a trend: no chart.
		if l := FindIntervalLog(logs, run.Name, "corrected"); l != nil && maxIntervals(l) >= 2 {
			for _, c := range overTimeCharts(run.Name, l) {
				for _, w := range run.FaultWindows {
					c.Windows = append(c.Windows, chartWindow{From: round4(float64(w.StartNs) / 1e9), To: round4(float64(w.EndNs) / 1e9), Label: w.Kind})
				}
				hr.OverTime = append(hr.OverTime, *add(c))
			}
		}
		if rp := run.Replay; rp != nil {
			if c := replayChart(run.Name, rp); c != nil {
				hr.Replay = add(*c)
			}
			hr.FitLine = fitLine(rp.Fit)
		}
		for _, k := range slices.Sorted(maps.Keys(run.Extra)) {
			hr.Extra = append(hr.Extra, fmt.Sprintf("%s = %.4g", k, run.Extra[k]))
		}
		p.Runs = append(p.Runs, hr)
	}
	if s := r.Sweep; s != nil && len(s.Cells) > 0 {
		hs := &htmlSweep{S: s}
		for _, c := range sweepCharts(s) {
			hs.Charts = append(hs.Charts, *add(c))
		}
		p.Sweep = hs
	}
	if c := capacityChart(r.Capacity); c != nil {
		p.Capacity = add(*c)
	}
	if len(r.Codecs) > 0 {
		for _, c := range codecCharts(r.Codecs) {
			p.Codecs = append(p.Codecs, *add(c))
		}
	}
	p.ChartCount = len(p.Charts)
	return p, nil
}

// latencyUnit picks the unit a chart of latencies up to maxNs reads best in.
func latencyUnit(maxNs float64) (string, float64) {
	switch {
	case maxNs < 1e6:
		return "µs", 1e3
	case maxNs < 10e9:
		return "ms", 1e6
	default:
		return "s", 1e9
	}
}

// spectrumChart plots each operation's latency against percentile on the
// HdrHistogram scale: x is 1/(1-q), so 90%, 99%, 99.9% are evenly spaced.
func spectrumChart(run *Run) (*chartSpec, error) {
	type series struct {
		op string
		h  *hdr.Histogram
	}
	var all []series
	maxNs := 0.0
	for _, op := range run.Operations {
		if op.Corrected.Histogram == "" || op.Corrected.Count == 0 {
			continue
		}
		h, err := op.Corrected.Decode()
		if err != nil {
			return nil, fmt.Errorf("reports: run %s, operation %s: %w", run.Name, op.Op, err)
		}
		all = append(all, series{op.Op, h})
		maxNs = max(maxNs, float64(h.Max()))
	}
	if len(all) == 0 {
		return nil, nil
	}
	unit, div := latencyUnit(maxNs)
	c := &chartSpec{
		Title:  fmt.Sprintf("Latency by percentile — %s", run.Name),
		Kind:   "line",
		XLabel: "percentile",
		YLabel: "latency (" + unit + ")",
		XScale: "percentile",
		YScale: "logarithmic",
	}
	for _, s := range all {
		c.Datasets = append(c.Datasets, chartDataset{Label: s.op, Points: spectrumPoints(s.h, div)})
	}
	return c, nil
}

// spectrumPoints samples h at x = 10^e, e in steps of 0.05, up to the
// count (beyond which a percentile says nothing new), then the maximum.
func spectrumPoints(h *hdr.Histogram, div float64) []chartPoint {
	n := float64(h.TotalCount())
	var pcts []float64
	var xs []float64
	for e := 0.0; math.Pow(10, e) < n; e += 0.05 {
		x := math.Pow(10, e)
		xs = append(xs, x)
		pcts = append(pcts, 100*(1-1/x))
	}
	vals := percentile.Values(h, pcts...)
	pts := make([]chartPoint, 0, len(xs)+1)
	for i, x := range xs {
		pts = append(pts, chartPoint{X: round4(x), Y: round4(float64(vals[i]) / div)})
	}
	return append(pts, chartPoint{X: round4(max(n, 1)), Y: round4(float64(h.Max()) / div)})
}

func round4(v float64) float64 {
	if v == 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return v
	}
	mag := math.Pow(10, 4-math.Ceil(math.Log10(math.Abs(v))))
	return math.Round(v*mag) / mag
}

// maxIntervals returns the most intervals any operation of l has.
func maxIntervals(l *IntervalLog) int {
	n := 0
	for _, ivs := range l.Ops {
		n = max(n, len(ivs))
	}
	return n
}

// overTimeCharts draws throughput and p99 per interval for each operation.
func overTimeCharts(run string, l *IntervalLog) []chartSpec {
	maxNs := 0.0
	for _, ivs := range l.Ops {
		for _, iv := range ivs {
			maxNs = max(maxNs, float64(iv.P99Ns))
		}
	}
	unit, div := latencyUnit(maxNs)
	tput := chartSpec{
		Title: "Throughput over time — " + run, Kind: "line",
		XLabel: "seconds since start", YLabel: "operations/s", XScale: "linear", YScale: "linear",
	}
	lat := chartSpec{
		Title: "p99 latency over time — " + run, Kind: "line",
		XLabel: "seconds since start", YLabel: "p99 latency (" + unit + ")", XScale: "linear", YScale: "logarithmic",
	}
	total := map[float64]float64{}
	for _, op := range l.OpNames() {
		var tp, lp []chartPoint
		for _, iv := range l.Ops[op] {
			end := round4(iv.StartS + iv.DurS)
			tp = append(tp, chartPoint{X: end, Y: round4(iv.Rate())})
			total[end] += iv.Rate()
			if iv.Count > 0 {
				lp = append(lp, chartPoint{X: end, Y: round4(float64(iv.P99Ns) / div)})
			}
		}
		tput.Datasets = append(tput.Datasets, chartDataset{Label: op, Points: tp})
		lat.Datasets = append(lat.Datasets, chartDataset{Label: op, Points: lp})
	}
	if len(l.Ops) > 1 {
		var tp []chartPoint
		for _, x := range slices.Sorted(maps.Keys(total)) {
			tp = append(tp, chartPoint{X: x, Y: round4(total[x])})
		}
		tput.Datasets = append([]chartDataset{{Label: "all operations", Points: tp, Dashed: true}}, tput.Datasets...)
	}
	return []chartSpec{tput, lat}
}

// replayChart plots the load time of each events-replayed bucket (p50 and
// p99 at the bucket's mean events) with the fitted mean A + B·events.
func replayChart(run string, rp *ReplayReport) *chartSpec {
	var buckets []BucketStats
	maxNs := 0.0
	for _, b := range rp.Buckets {
		if b.Total.Count > 0 {
			buckets = append(buckets, b)
			maxNs = max(maxNs, float64(b.Total.P99Ns))
		}
	}
	if len(buckets) == 0 {
		return nil
	}
	unit, div := latencyUnit(maxNs)
	c := &chartSpec{
		Title: "Replay time against events replayed — " + run, Kind: "scatter",
		XLabel: "events replayed (bucket mean)", YLabel: "load time (" + unit + ")", XScale: "logarithmic", YScale: "logarithmic",
	}
	var p50, p99, mean []chartPoint
	lo, hi := math.Inf(1), 0.0
	for _, b := range buckets {
		x := max(b.MeanEvents, 1)
		lo, hi = min(lo, x), max(hi, x)
		p50 = append(p50, chartPoint{X: round4(x), Y: round4(float64(b.Total.P50Ns) / div)})
		p99 = append(p99, chartPoint{X: round4(x), Y: round4(float64(b.Total.P99Ns) / div)})
		mean = append(mean, chartPoint{X: round4(x), Y: round4(b.Total.MeanNs / div)})
	}
	c.Datasets = []chartDataset{{Label: "mean", Points: mean}, {Label: "p50", Points: p50}, {Label: "p99", Points: p99}}
	if f := rp.Fit; FitMeaningful(f) {
		var fit []chartPoint
		// Sampled evenly on the log axis, where a straight line bends.
		const steps = 32
		for i := 0; i <= steps; i++ {
			x := lo * math.Pow(hi/lo, float64(i)/steps)
			if y := f.A + f.B*x; y > 0 {
				fit = append(fit, chartPoint{X: round4(x), Y: round4(y / div)})
			}
		}
		c.Datasets = append(c.Datasets, chartDataset{
			Label: fmt.Sprintf("fit: %s + %.1f ns × events (r² %.3f)", FormatNs(int64(f.A)), f.B, f.R2),
			Type:  "line", Points: fit, Dashed: true, ShowLine: true,
		})
	}
	return c
}

// sweepCharts draws replay p99 and storage per stream against snapshot
// interval, one bar series per history length.
func sweepCharts(s *Sweep) []chartSpec {
	var intervals, histories []int
	for _, c := range s.Cells {
		if !slices.Contains(intervals, c.Interval) {
			intervals = append(intervals, c.Interval)
		}
		if !slices.Contains(histories, c.History) {
			histories = append(histories, c.History)
		}
	}
	sort.Slice(intervals, func(i, j int) bool { return intervalRank(intervals[i]) > intervalRank(intervals[j]) })
	sort.Ints(histories)
	labels := make([]string, len(intervals))
	for i, iv := range intervals {
		labels[i] = IntervalName(iv)
	}
	maxNs := float64(s.TargetP99Ns)
	for _, c := range s.Cells {
		maxNs = max(maxNs, float64(c.ReplayP99Ns))
	}
	unit, div := latencyUnit(maxNs)
	replay := chartSpec{
		Title: "Replay p99 by snapshot interval", Kind: "bar",
		XLabel: "snapshot interval (events)", YLabel: "replay p99 (" + unit + ")", XScale: "category", YScale: "logarithmic", Labels: labels,
	}
	storage := chartSpec{
		Title: "Storage per stream by snapshot interval", Kind: "bar",
		XLabel: "snapshot interval (events)", YLabel: "bytes per stream", XScale: "category", YScale: "logarithmic", Labels: labels,
	}
	for _, h := range histories {
		rv := make([]*float64, len(intervals))
		sv := make([]*float64, len(intervals))
		for _, c := range s.Cells {
			if c.History != h {
				continue
			}
			i := slices.Index(intervals, c.Interval)
			if c.ReplayP99Ns > 0 {
				rv[i] = ptr(round4(float64(c.ReplayP99Ns) / div))
			}
			if c.BytesPerStrm > 0 {
				sv[i] = ptr(round4(c.BytesPerStrm))
			}
		}
		label := fmt.Sprintf("history %d", h)
		replay.Datasets = append(replay.Datasets, chartDataset{Label: label, Values: rv})
		storage.Datasets = append(storage.Datasets, chartDataset{Label: label, Values: sv})
	}
	if s.TargetP99Ns > 0 {
		tv := make([]*float64, len(intervals))
		for i := range tv {
			tv[i] = ptr(round4(float64(s.TargetP99Ns) / div))
		}
		replay.Datasets = append(replay.Datasets, chartDataset{Label: "target p99", Type: "line", Values: tv, Dashed: true})
	}
	return []chartSpec{replay, storage}
}

// codecCharts draws the codec matrix: time per event and size per event.
func codecCharts(cells []CodecCell) []chartSpec {
	labels := make([]string, len(cells))
	enc := make([]*float64, len(cells))
	dec := make([]*float64, len(cells))
	size := make([]*float64, len(cells))
	for i, c := range cells {
		labels[i] = c.Label()
		enc[i] = ptr(round4(c.EncodeNs))
		dec[i] = ptr(round4(c.DecodeNs))
		size[i] = ptr(round4(c.BytesPerEvent))
	}
	return []chartSpec{
		{
			Title: "Codec cost per event", Kind: "bar", XLabel: "codec", YLabel: "nanoseconds per event",
			XScale: "category", YScale: "linear", Labels: labels,
			Datasets: []chartDataset{{Label: "encode", Values: enc}, {Label: "decode", Values: dec}},
		},
		{
			Title: "Codec size per event", Kind: "bar", XLabel: "codec", YLabel: "bytes per event",
			XScale: "category", YScale: "linear", Labels: labels,
			Datasets: []chartDataset{{Label: "bytes per event", Values: size}},
		},
	}
}

func ptr(v float64) *float64 { return &v }

// The page's template, style sheet and script are files in assets/, kept
// out of Go strings so they read (and lint) as what they are.
var (
	//go:embed assets/report.html.tmpl
	htmlSource string
	//go:embed assets/report.css
	pageStyle string
	//go:embed assets/report.js
	pageScript string
)

var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"ns":           FormatNs,
	"windowHeader": func() []string { return FaultWindowHeader },
	"interval":     IntervalName,
	"time":         func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"sumErrors": func(m map[string]int64) int64 {
		return sumErrors(m)
	},
	"f1":  func(v float64) string { return fmt.Sprintf("%.1f", v) },
	"f2":  func(v float64) string { return fmt.Sprintf("%.2f", v) },
	"f0":  func(v float64) string { return fmt.Sprintf("%.0f", v) },
	"pct": func(v float64) string { return fmt.Sprintf("%.2f%%", 100*v) },
}).Parse(htmlSource))

// CapacityChartTitle is the title of a capacity search's chart.
const CapacityChartTitle = "Throughput against latency — capacity search"

// capacityChart draws a capacity search's throughput–latency curve: each
// step's achieved rate against its p50 and p99 (all operations, corrected),
// the SLOs on p99-style latencies as horizontal lines and the sustainable
// rate (the knee) as a vertical one.
func capacityChart(c *Capacity) *chartSpec {
	if c == nil || len(c.Steps) == 0 {
		return nil
	}
	steps := slices.Clone(c.Steps)
	slices.SortFunc(steps, func(a, b CapacityStep) int { return cmp.Compare(a.AchievedRate, b.AchievedRate) })
	type limit struct {
		label string
		ns    float64
	}
	var limits []limit
	maxNs, minNs := 0.0, math.Inf(1)
	for _, s := range steps {
		maxNs = max(maxNs, float64(s.P99Ns))
		minNs = min(minNs, float64(max(s.P50Ns, 1)))
	}
	for _, text := range c.SLOs {
		t, err := thresholds.Parse(text)
		if err != nil || t.Relative || !strings.Contains(t.Metric, ".p") {
			continue
		}
		if _, err := time.ParseDuration(t.LimitText); err != nil {
			continue
		}
		limits = append(limits, limit{"SLO " + t.Text, t.Limit})
		maxNs = max(maxNs, t.Limit)
		minNs = min(minNs, t.Limit)
	}
	unit, div := latencyUnit(maxNs)
	ch := &chartSpec{
		Title: CapacityChartTitle, Kind: "scatter",
		XLabel: "achieved rate (operations/s)", YLabel: "latency, all operations (" + unit + ")",
		XScale: "linear", YScale: "logarithmic",
	}
	var p50, p99 []chartPoint
	lo, hi := math.Inf(1), 0.0
	for _, s := range steps {
		lo, hi = min(lo, s.AchievedRate), max(hi, s.AchievedRate)
		p50 = append(p50, chartPoint{X: round4(s.AchievedRate), Y: round4(float64(max(s.P50Ns, 1)) / div)})
		p99 = append(p99, chartPoint{X: round4(s.AchievedRate), Y: round4(float64(max(s.P99Ns, 1)) / div)})
	}
	ch.Datasets = []chartDataset{{Label: "p50", Points: p50, ShowLine: true}, {Label: "p99", Points: p99, ShowLine: true}}
	for _, l := range limits {
		ch.Datasets = append(ch.Datasets, chartDataset{Label: l.label, Type: "line", Dashed: true, ShowLine: true,
			Points: []chartPoint{{X: round4(lo), Y: round4(l.ns / div)}, {X: round4(hi), Y: round4(l.ns / div)}}})
	}
	if c.SustainableRate > 0 {
		x := round4(c.SustainableAchieved)
		ch.Datasets = append(ch.Datasets, chartDataset{Label: fmt.Sprintf("knee: sustainable %.0f/s", c.SustainableRate), Type: "line", Dashed: true, ShowLine: true,
			Points: []chartPoint{{X: x, Y: round4(minNs / div)}, {X: x, Y: round4(maxNs / div)}}})
	}
	return ch
}
