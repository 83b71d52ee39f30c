package reports

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromiumPath returns the Chromium the browser test drives. Without one
// the test skips, unless the environment says a browser is required (CI,
// scripts/test.sh): a report nobody looked at in a browser is not checked.
func chromiumPath(t *testing.T) string {
	t.Helper()
	candidates := []string{"/usr/bin/chromium", "chromium", "chromium-browser"}
	if p := os.Getenv("ESBENCH_CHROMIUM"); p != "" {
		candidates = []string{p}
	}
	for _, p := range candidates {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	msg := "no Chromium found (install it with scripts/chromium.sh ensure, or set ESBENCH_CHROMIUM)"
	if os.Getenv("CI") == "true" || os.Getenv("ESBENCH_REQUIRE_BROWSER") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// newBrowser starts one headless Chromium for the test; each page gets its
// own tab from the returned context.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless,
		// Root in a container has no user namespace to sandbox into.
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.WindowSize(1280, 1000),
		// A report must draw without reaching anything: any fetch fails.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND"),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc() })
	// Start the browser now, so a broken installation fails here.
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return bctx
}

// chartState is what the page reports about one canvas after loading.
type chartState struct {
	ID         string   `json:"id"`
	HasChart   bool     `json:"hasChart"`
	Title      string   `json:"title"`
	Type       string   `json:"type"`
	XScale     string   `json:"xScale"`
	YScale     string   `json:"yScale"`
	XTitle     string   `json:"xTitle"`
	YTitle     string   `json:"yTitle"`
	Datasets   int      `json:"datasets"`
	Legend     []string `json:"legend"`
	EmptySets  []string `json:"emptySets"`
	Width      int      `json:"width"`
	Height     int      `json:"height"`
	Painted    int      `json:"painted"`
	AriaLabel  string   `json:"ariaLabel"`
	FigCaption string   `json:"figCaption"`
	// FaultWindows is how many fault windows the page's plugin shaded.
	FaultWindows int `json:"faultWindows"`
}

type pageState struct {
	Expected int          `json:"expected"`
	Drawn    string       `json:"drawn"`
	Charts   []chartState `json:"charts"`
}

// inspectJS asks Chart.js itself what it drew on each canvas, and counts
// the canvas's painted pixels so a chart that exists but drew nothing (all
// points off a log axis, a zero-sized box) still fails.
const inspectJS = `(() => {
  const out = {expected: Number(document.body.dataset.chartsExpected), drawn: document.body.dataset.chartsDrawn || "", charts: []};
  document.querySelectorAll("canvas[data-chart]").forEach(c => {
    const ch = window.Chart ? Chart.getChart(c) : undefined;
    const s = {id: c.dataset.chart, hasChart: !!ch, width: c.width, height: c.height, painted: 0,
      ariaLabel: c.getAttribute("aria-label") || "", legend: [], emptySets: [], datasets: 0,
      figCaption: (c.closest("figure") && c.closest("figure").querySelector("figcaption") || {}).textContent || "",
      faultWindows: Number(c.dataset.faultWindows || 0)};
    if (ch) {
      s.title = String(ch.options.plugins.title.text);
      s.type = ch.config.type;
      s.xScale = ch.scales.x.type; s.yScale = ch.scales.y.type;
      s.xTitle = ch.scales.x.options.title.text; s.yTitle = ch.scales.y.options.title.text;
      s.datasets = ch.data.datasets.length;
      s.legend = ch.legend && ch.legend.legendItems ? ch.legend.legendItems.map(i => i.text) : [];
      ch.data.datasets.forEach((ds, i) => {
        const els = ch.getDatasetMeta(i).data.filter(e => Number.isFinite(e.x) && Number.isFinite(e.y) && !e.skip);
        if (els.length === 0) { s.emptySets.push(ds.label); }
      });
    }
    if (c.width > 0 && c.height > 0) {
      const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
      for (let i = 3; i < d.length; i += 4) { if (d[i] !== 0) { s.painted++; } }
    }
    out.charts.push(s);
  });
  return out;
})()`

// pageRun is the outcome of loading one page: its charts, and every error
// the browser reported while loading and drawing it.
type pageRun struct {
	State    pageState
	Errors   []string
	Requests []string
	Shot     []byte
}

// loadPage opens path in a fresh tab of the browser, waits for the load
// event, inspects the charts and collects console errors, uncaught
// exceptions, browser log errors and every request other than the page.
func loadPage(t *testing.T, browser context.Context, path string, screenshot bool) *pageRun {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 30*time.Second)
	defer cancelTimeout()

	pageURL := (&url.URL{Scheme: "file", Path: path}).String()
	var mu sync.Mutex
	res := &pageRun{}
	add := func(list *[]string, s string) {
		mu.Lock()
		defer mu.Unlock()
		*list = append(*list, s)
	}
	err := chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				var parts []string
				for _, a := range ev.Args {
					if len(a.Value) > 0 {
						parts = append(parts, string(a.Value))
					} else {
						parts = append(parts, a.Description)
					}
				}
				add(&res.Errors, fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(parts, " ")))
			}
		case *runtime.EventExceptionThrown:
			add(&res.Errors, "uncaught "+(&chromedp.ExceptionError{ExceptionDetails: ev.ExceptionDetails}).Error())
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError {
				add(&res.Errors, fmt.Sprintf("browser log (%s): %s %s", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL))
			}
		case *network.EventRequestWillBeSent:
			if u := ev.Request.URL; u != pageURL {
				add(&res.Requests, u)
			}
		}
	})
	if err != nil {
		t.Fatalf("listening to the page: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(pageURL)); err != nil {
		t.Fatalf("loading %s: %v", path, err)
	}
	res.State, err = chromedp.Run(ctx, chromedp.Evaluate[pageState](inspectJS))
	if err != nil {
		t.Fatalf("inspecting the charts of %s: %v", path, err)
	}
	if screenshot {
		if res.Shot, err = chromedp.Run(ctx, chromedp.FullScreenshot(100)); err != nil {
			t.Fatalf("screenshot: %v", err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	res.Errors = slices.Clone(res.Errors)
	res.Requests = slices.Clone(res.Requests)
	return res
}

type chartWant struct {
	typ, xScale, yScale string
	// windows is how many fault windows the chart shades.
	windows int
}

// fixtureCharts are the charts the fixture report must draw, by title, with
// the y axis each needs: latencies spanning decades read on a log axis.
var fixtureCharts = map[string]chartWant{
	"Latency by percentile — mixed":               {"line", "logarithmic", "logarithmic", 0},
	"Throughput over time — mixed":                {"line", "linear", "linear", 1},
	"p99 latency over time — mixed":               {"line", "linear", "logarithmic", 1},
	"Replay time against events replayed — mixed": {"scatter", "logarithmic", "logarithmic", 0},
	"Replay p99 by snapshot interval":             {"bar", "category", "logarithmic", 0},
	"Storage per stream by snapshot interval":     {"bar", "category", "logarithmic", 0},
	"Codec cost per event":                        {"bar", "category", "linear", 0},
	"Codec size per event":                        {"bar", "category", "linear", 0},
}

// pageProblems lists everything wrong with a loaded report: browser errors,
// outside requests, and charts that are missing, unlabelled or blank.
func pageProblems(r *pageRun, want map[string]chartWant) []string {
	var out []string
	for _, e := range r.Errors {
		out = append(out, "browser error: "+e)
	}
	for _, u := range r.Requests {
		out = append(out, "the page requested "+u)
	}
	s := r.State
	if s.Drawn != fmt.Sprint(s.Expected) || len(s.Charts) != s.Expected {
		out = append(out, fmt.Sprintf("%d canvases, %s charts drawn, %d expected", len(s.Charts), orNo(s.Drawn), s.Expected))
	}
	seen := map[string]bool{}
	for _, c := range s.Charts {
		if !c.HasChart {
			out = append(out, fmt.Sprintf("canvas %s (%s) has no chart", c.ID, c.AriaLabel))
			continue
		}
		seen[c.Title] = true
		if c.Title == "" || c.Title != c.AriaLabel {
			out = append(out, fmt.Sprintf("chart %s: title %q, aria-label %q", c.ID, c.Title, c.AriaLabel))
		}
		if c.XTitle == "" || c.YTitle == "" {
			out = append(out, fmt.Sprintf("chart %q: axis titles %q and %q", c.Title, c.XTitle, c.YTitle))
		}
		if c.Datasets == 0 || len(c.EmptySets) > 0 {
			out = append(out, fmt.Sprintf("chart %q: %d series, drawn without points: %v", c.Title, c.Datasets, c.EmptySets))
		}
		if len(c.Legend) != c.Datasets {
			out = append(out, fmt.Sprintf("chart %q: legend %v for %d series", c.Title, c.Legend, c.Datasets))
		}
		// At least 2% of the canvas is ink: axes, labels and data, not a
		// blank box with a title.
		if c.Width < 300 || c.Height < 200 || c.Painted < c.Width*c.Height/50 {
			out = append(out, fmt.Sprintf("chart %q: %dx%d canvas with %d painted pixels", c.Title, c.Width, c.Height, c.Painted))
		}
		if want, ok := want[c.Title]; ok && c.FaultWindows != want.windows {
			out = append(out, fmt.Sprintf("chart %q: %d fault windows shaded, want %d", c.Title, c.FaultWindows, want.windows))
		}
		if want, ok := want[c.Title]; ok && (c.Type != want.typ || c.XScale != want.xScale || c.YScale != want.yScale) {
			out = append(out, fmt.Sprintf("chart %q: %s chart with %s x and %s y axes, want %s, %s, %s",
				c.Title, c.Type, c.XScale, c.YScale, want.typ, want.xScale, want.yScale))
		}
	}
	for title := range want {
		if !seen[title] {
			out = append(out, fmt.Sprintf("chart %q not drawn", title))
		}
	}
	slices.Sort(out)
	return out
}

func orNo(s string) string {
	if s == "" {
		return "no"
	}
	return s
}

func TestHTMLInBrowser(t *testing.T) {
	browser := newBrowser(t)
	dir := writeFixtureReport(t)
	page := filepath.Join(dir, HTMLFile)

	r := loadPage(t, browser, page, os.Getenv("ESBENCH_REPORT_SCREENSHOT") != "")
	if shot := os.Getenv("ESBENCH_REPORT_SCREENSHOT"); shot != "" {
		if err := os.WriteFile(shot, r.Shot, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if problems := pageProblems(r, fixtureCharts); len(problems) > 0 {
		t.Fatalf("report.html in Chromium:\n%s", strings.Join(problems, "\n"))
	}
	if r.State.Expected != len(fixtureCharts) {
		t.Errorf("page expects %d charts, the fixture has %d", r.State.Expected, len(fixtureCharts))
	}

	// The checks above must be able to fail: break a copy of the page in
	// each way they guard against and see the breakage reported.
	orig, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		broken func([]byte) []byte
		want   string
	}{
		{"uncaught exception", inject(`<script>noSuchFunction();</script>`), "uncaught exception"},
		{"console error", inject(`<script>console.error("deliberate");</script>`), `console.error: "deliberate"`},
		{"chart library missing", func(p []byte) []byte {
			return bytes.Replace(p, []byte("new Chart(canvas"), []byte("new NoChart(canvas"), 1)
		}, "NoChart is not defined"},
		{"chart destroyed", inject(`<script>Chart.getChart(document.querySelector("canvas")).destroy();</script>`), "has no chart"},
		{"fault windows not shaded", func(p []byte) []byte {
			return bytes.Replace(p, []byte("cfg.plugins = [windowsPlugin"), []byte("cfg.unused = [windowsPlugin"), 1)
		}, "0 fault windows shaded, want 1"},
		{"outside fetch", inject(`<img alt="" src="https://example.invalid/x.png">`), "requested https://example.invalid/x.png"},
		{"empty series", func(p []byte) []byte {
			// The spectrum's series lose their points, as a data bug would.
			return inject(`<script>(function () { var c = Chart.getChart(document.querySelector("canvas"));
				c.data.datasets.forEach(function (d) { d.data = []; }); c.update(); })();</script>`)(p)
		}, "drawn without points"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), HTMLFile)
			broken := tt.broken(orig)
			if bytes.Equal(broken, orig) {
				t.Fatal("the breakage did not change the page")
			}
			if err := os.WriteFile(p, broken, 0o644); err != nil {
				t.Fatal(err)
			}
			problems := pageProblems(loadPage(t, browser, p, false), fixtureCharts)
			if !slices.ContainsFunc(problems, func(s string) bool { return strings.Contains(s, tt.want) }) {
				t.Errorf("problem %q not detected; reported:\n%s", tt.want, strings.Join(problems, "\n"))
			}
		})
	}
}

// inject returns a breakage that adds html at the end of the page's body.
func inject(html string) func([]byte) []byte {
	return func(p []byte) []byte {
		i := bytes.LastIndex(p, []byte("</body>"))
		if i < 0 {
			return p
		}
		return slices.Concat(p[:i], []byte(html+"\n"), p[i:])
	}
}

// TestHTMLInBrowserSparse renders results that hold only some of the
// sections: every chart the page declares must still draw, without errors.
func TestHTMLInBrowserSparse(t *testing.T) {
	browser := newBrowser(t)
	full := fixtureResult(t)
	opsOnly := *full
	opsOnly.Runs = []Run{full.Runs[0]}
	opsOnly.Runs[0].Replay = nil
	opsOnly.Sweep, opsOnly.Codecs, opsOnly.BreakEven = nil, nil, nil
	codecsOnly := *New("codecs")
	codecsOnly.Codecs = full.Codecs
	capacity := *New("capacity")
	capacity.Capacity = fixtureCapacity()
	tests := []struct {
		name   string
		res    *Result
		charts map[string]chartWant
	}{
		{"operations without interval logs", &opsOnly, map[string]chartWant{"Latency by percentile — mixed": fixtureCharts["Latency by percentile — mixed"]}},
		{"codec matrix only", &codecsOnly, map[string]chartWant{"Codec cost per event": fixtureCharts["Codec cost per event"], "Codec size per event": fixtureCharts["Codec size per event"]}},
		{"capacity search", &capacity, map[string]chartWant{CapacityChartTitle: {"scatter", "linear", "logarithmic", 0}}},
		{"nothing to chart", New("mixed"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := DirAt(dir).WriteHTML(tt.res); err != nil {
				t.Fatal(err)
			}
			r := loadPage(t, browser, filepath.Join(dir, HTMLFile), false)
			if problems := pageProblems(r, tt.charts); len(problems) > 0 {
				t.Errorf("report.html in Chromium:\n%s", strings.Join(problems, "\n"))
			}
			if r.State.Expected != len(tt.charts) {
				t.Errorf("page declares %d charts, want %d", r.State.Expected, len(tt.charts))
			}
		})
	}
}

// TestHTMLInBrowserFile checks any report.html named by
// ESBENCH_REPORT_CHECK (say, of a real run) and screenshots it to
// ESBENCH_REPORT_SCREENSHOT: a development aid, skipped by default.
func TestHTMLInBrowserFile(t *testing.T) {
	page := os.Getenv("ESBENCH_REPORT_CHECK")
	if page == "" {
		t.Skip("set ESBENCH_REPORT_CHECK to a report.html to check it")
	}
	abs, err := filepath.Abs(page)
	if err != nil {
		t.Fatal(err)
	}
	shot := os.Getenv("ESBENCH_REPORT_SCREENSHOT")
	r := loadPage(t, newBrowser(t), abs, shot != "")
	if shot != "" {
		if err := os.WriteFile(shot, r.Shot, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if problems := pageProblems(r, nil); len(problems) > 0 {
		t.Errorf("%s in Chromium:\n%s", page, strings.Join(problems, "\n"))
	}
	if r.State.Expected == 0 {
		t.Errorf("%s declares no charts", page)
	}
}

// A run shorter than one log interval has a single point per operation:
// no over-time charts for it, since a lone point draws as nothing.
func TestHTMLOverTimeNeedsTwoIntervals(t *testing.T) {
	res := fixtureResult(t)
	for _, tt := range []struct {
		intervals, want int
	}{{0, 0}, {1, 0}, {2, 2}} {
		l := &IntervalLog{File: "mixed.corrected.hlog", Prefix: "mixed.", Metric: "corrected", Ops: map[string][]OpInterval{}}
		for i := range tt.intervals {
			l.Ops["acquire"] = append(l.Ops["acquire"], OpInterval{StartS: float64(i), DurS: 1, Count: 100, P50Ns: 1e5, P99Ns: 1e6, MaxNs: 2e6})
		}
		page, err := buildPage(res, []*IntervalLog{l})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(page.Runs[0].OverTime); got != tt.want {
			t.Errorf("%d intervals: %d over-time charts, want %d", tt.intervals, got, tt.want)
		}
	}
}
