package reports

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fixtureCapacity is a capacity search that grew to 400/s, failed there on
// acquire.p99, and bisected to 300/s.
func fixtureCapacity() *Capacity {
	ms := int64(time.Millisecond)
	return &Capacity{
		SLOs:            []string{"acquire.p99 < 20ms", "error_share < 1%"},
		SustainableRate: 300, SustainableAchieved: 298.5, FirstFailingRate: 350,
		FailedSLOs: []string{"acquire.p99 < 20ms (was 31.00ms)"},
		MaxRate:    10000, MinRate: 10, Growth: 2, Resolution: 0.2, Stopped: "resolution reached",
		Steps: []CapacityStep{
			{Run: "cap.step01", Phase: "step", TargetRate: 100, AchievedRate: 99.1, P50Ns: ms / 2, P99Ns: 3 * ms, Passed: true},
			{Run: "cap.step02", Phase: "step", TargetRate: 200, AchievedRate: 201.3, P50Ns: ms / 2, P99Ns: 5 * ms, Passed: true},
			{Run: "cap.step03", Phase: "step", TargetRate: 400, AchievedRate: 371.0, P50Ns: 4 * ms, P99Ns: 90 * ms, LateShare: 0.2, Failed: []string{"acquire.p99 < 20ms (was 95.00ms)"}},
			{Run: "cap.step04", Phase: "bisect", TargetRate: 300, AchievedRate: 298.5, P50Ns: ms, P99Ns: 12 * ms, Passed: true},
			{Run: "cap.step05", Phase: "bisect", TargetRate: 350, AchievedRate: 345.2, P50Ns: 2 * ms, P99Ns: 31 * ms, Failed: []string{"acquire.p99 < 20ms (was 31.00ms)"}},
		},
	}
}

func TestCapacityChart(t *testing.T) {
	c := capacityChart(fixtureCapacity())
	if c == nil || c.Title != CapacityChartTitle || c.YScale != "logarithmic" {
		t.Fatalf("chart %+v", c)
	}
	byLabel := map[string]chartDataset{}
	for _, d := range c.Datasets {
		byLabel[d.Label] = d
	}
	p99 := byLabel["p99"].Points
	if len(p99) != 5 || len(byLabel["p50"].Points) != 5 {
		t.Fatalf("p50/p99 series: %v", c.Datasets)
	}
	for i := 1; i < len(p99); i++ {
		if p99[i].X < p99[i-1].X {
			t.Errorf("points not in achieved-rate order: %v", p99)
		}
	}
	// Units are ms (p99 up to 90 ms): the 20 ms SLO line sits at y = 20.
	slo := byLabel["SLO acquire.p99 < 20ms"]
	if len(slo.Points) != 2 || slo.Points[0].Y != 20 || slo.Points[1].Y != 20 || slo.Points[0].X != 99.1 || slo.Points[1].X != 371 {
		t.Errorf("SLO line %+v", slo)
	}
	if _, ok := byLabel["SLO error_share < 1%"]; ok {
		t.Error("a share SLO drawn on the latency axis")
	}
	knee := byLabel["knee: sustainable 300/s"]
	if len(knee.Points) != 2 || knee.Points[0].X != 298.5 || knee.Points[1].X != 298.5 || !(knee.Points[1].Y > knee.Points[0].Y) {
		t.Errorf("knee line %+v", knee)
	}
	if capacityChart(nil) != nil || capacityChart(&Capacity{}) != nil {
		t.Error("a chart without steps")
	}
}

func TestCapacityInReport(t *testing.T) {
	r := New("capacity")
	r.Capacity = fixtureCapacity()
	var b strings.Builder
	if err := WriteCapacity(&b, r.Capacity); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"sustainable rate 300.0/s", "first failing rate 350.0/s", "BROKEN: acquire.p99 < 20ms (was 95.00ms)", "bisect"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("console output lacks %q:\n%s", want, b.String())
		}
	}
	dir := t.TempDir()
	if err := DirAt(dir).WriteHTML(r); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(dir, HTMLFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<h2 id="capacity">`, "cap.step05", "broken: acquire.p99 &lt; 20ms (was 31.00ms)", `aria-label="` + CapacityChartTitle} {
		if !strings.Contains(string(page), want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
}
