package reports

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/esbench/esbench/reports/percentile"
)

// writeFixtureReport writes the fixture result, its interval logs and
// report.html into a fresh directory and returns the directory.
func writeFixtureReport(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	res := fixtureResult(t)
	writeFixtureHlogs(t, dir, res)
	if err := DirAt(dir).WriteHTML(res); err != nil {
		t.Fatal(err)
	}
	if out := os.Getenv("ESBENCH_REPORT_OUT"); out != "" {
		data, _ := os.ReadFile(filepath.Join(dir, HTMLFile))
		_ = os.WriteFile(out, data, 0o644)
	}
	return dir
}

func TestHTMLSelfContained(t *testing.T) {
	dir := writeFixtureReport(t)
	page, err := os.ReadFile(filepath.Join(dir, HTMLFile))
	if err != nil {
		t.Fatal(err)
	}
	// Nothing may be loaded from elsewhere: no src or href attributes, no
	// stylesheet links, no CSS imports or url() references.
	for _, re := range []*regexp.Regexp{
		regexp.MustCompile(`(?i)<[a-z]+[^>]*\s(src|href)\s*=`),
		regexp.MustCompile(`(?i)<link\b`),
		regexp.MustCompile(`(?is)<style>[^<]*(@import|url\()`),
		regexp.MustCompile(`sourceMappingURL`),
	} {
		if loc := re.FindIndex(page); loc != nil {
			t.Errorf("report references an outside resource (%s): %q", re, page[max(0, loc[0]-40):min(len(page), loc[1]+40)])
		}
	}
	if !bytes.Contains(page, []byte("Chart.js v4.6.1")) {
		t.Error("Chart.js is not inlined")
	}
	canvases := regexp.MustCompile(`<canvas data-chart="(chart-\d+)"`).FindAllSubmatch(page, -1)
	// spectrum + 2 over time + replay + 2 sweep + 2 codec.
	if len(canvases) != 8 {
		t.Errorf("report has %d chart canvases, want 8", len(canvases))
	}
	for _, want := range []string{
		"Latency by percentile — mixed", "Throughput over time — mixed", "p99 latency over time — mixed",
		"Replay time against events replayed — mixed", "Replay p99 by snapshot interval",
		"Storage per stream by snapshot interval", "Codec cost per event", "Codec size per event",
		"<td>acquire</td>", "cbor+zstd", "Snapshot-interval sweep", `data-charts-expected="8"`,
	} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("report lacks %q", want)
		}
	}
}

func TestHTMLChartData(t *testing.T) {
	res := fixtureResult(t)
	dir := t.TempDir()
	writeFixtureHlogs(t, dir, res)
	logs, err := DirAt(dir).IntervalLogs()
	if err != nil {
		t.Fatal(err)
	}
	page, err := buildPage(res, logs)
	if err != nil {
		t.Fatal(err)
	}
	byTitle := map[string]chartSpec{}
	for _, c := range page.Charts {
		byTitle[c.Title] = c
	}

	spec := byTitle["Latency by percentile — mixed"]
	if len(spec.Datasets) != len(fixtureOps) {
		t.Fatalf("spectrum has %d series, want %d", len(spec.Datasets), len(fixtureOps))
	}
	for i, ds := range spec.Datasets {
		h, _ := res.Runs[0].Operations[i].Corrected.Decode()
		pts := ds.Points
		for j := 1; j < len(pts); j++ {
			if pts[j].X <= pts[j-1].X || pts[j].Y < pts[j-1].Y {
				t.Errorf("%s: spectrum not monotonic at %d: %v then %v", ds.Label, j, pts[j-1], pts[j])
			}
		}
		last := pts[len(pts)-1]
		if last.X != float64(h.TotalCount()) || last.Y != round4(float64(h.Max())/1e6) {
			t.Errorf("%s: last point %v, want (count %d, max %g ms)", ds.Label, last, h.TotalCount(), float64(h.Max())/1e6)
		}
		// x = 100 is the 99th percentile.
		for _, p := range pts {
			if p.X == 100 && p.Y != round4(float64(percentile.Value(h, 99))/1e6) {
				t.Errorf("%s: p99 point %v, want %g", ds.Label, p, float64(percentile.Value(h, 99))/1e6)
			}
		}
	}

	tput := byTitle["Throughput over time — mixed"]
	if tput.Datasets[0].Label != "all operations" || len(tput.Datasets[0].Points) != 70 {
		t.Fatalf("throughput: first series %q with %d points, want the 70-interval total", tput.Datasets[0].Label, len(tput.Datasets[0].Points))
	}
	var sum float64
	for _, ds := range tput.Datasets[1:] {
		sum += ds.Points[10].Y
	}
	if d := sum - tput.Datasets[0].Points[10].Y; d > 1 || d < -1 {
		t.Errorf("total throughput %g differs from the sum of operations %g", tput.Datasets[0].Points[10].Y, sum)
	}

	rep := byTitle["Replay time against events replayed — mixed"]
	fit := rep.Datasets[len(rep.Datasets)-1]
	if !strings.HasPrefix(fit.Label, "fit:") || fit.Type != "line" {
		t.Fatalf("replay chart's last series is %q, want the fit line", fit.Label)
	}
	for _, p := range fit.Points {
		// 20µs + 900ns × events, in µs or ms depending on the chart unit.
		want := (20e3 + 900*p.X) / 1e6
		if strings.Contains(rep.YLabel, "µs") {
			want *= 1e3
		}
		if d := (p.Y - want) / want; d > 0.01 || d < -0.01 {
			t.Errorf("fit point %v, want y %g", p, want)
		}
	}

	sweep := byTitle["Replay p99 by snapshot interval"]
	if got := strings.Join(sweep.Labels, ","); got != "none,1000,100,10" {
		t.Errorf("sweep intervals %s, want none,1000,100,10", got)
	}
	if n := len(sweep.Datasets); n != 3 || sweep.Datasets[2].Label != "target p99" {
		t.Errorf("sweep chart has %d series, want two histories and the target", n)
	}
}
