package bench

import (
	"testing"
	"time"

	"github.com/esbench/esbench/thresholds"
	"github.com/esbench/esbench/workload"
)

// TestAborterGraceAndTotals feeds the Aborter one-second intervals whose
// acquire latency is 1 ms, then 100 ms: the rule "acquire.p50 < 50ms"
// fails only once more than half the measured operations are slow, and
// never inside its grace period.
func TestAborterGraceAndTotals(t *testing.T) {
	th, err := thresholds.Parse("acquire.p50 < 50ms")
	if err != nil {
		t.Fatal(err)
	}
	var fired []*Abort
	a := NewAborter([]AbortRule{{Threshold: th, Delay: 2 * time.Second}}, func(ab *Abort) { fired = append(fired, ab) })
	start := time.Unix(1000, 0)
	interval := func(run string, sec int, latency time.Duration, measuring bool) *LiveInterval {
		h := newPacked()
		for range 100 {
			_ = h.RecordValue(int64(latency))
		}
		return &LiveInterval{Run: run, Measuring: measuring, MeasureStart: start, Start: start.Add(time.Duration(sec) * time.Second), End: start.Add(time.Duration(sec+1) * time.Second),
			Series: []LiveSeries{{Kind: workload.OpAcquire, Outcome: OutcomeOK, Corrected: h, Service: h}}}
	}
	// Warmup intervals are not measured, however slow.
	a.ObserveInterval(interval("mixed", -1, time.Second, false))
	// Slow from the first second, but inside the 2 s grace period.
	a.ObserveInterval(interval("mixed", 0, 100*time.Millisecond, true))
	if len(fired) != 0 {
		t.Fatalf("fired inside the grace period: %v", fired[0])
	}
	// A new run starts its totals afresh: fast, fast, then slow three
	// times; with half the operations slow the median is still fast.
	for i, lat := range []time.Duration{time.Millisecond, time.Millisecond, 100 * time.Millisecond, 100 * time.Millisecond} {
		a.ObserveInterval(interval("mixed2", i, lat, true))
		if len(fired) != 0 {
			t.Fatalf("fired at second %d with the median still fast: %v", i, fired[0])
		}
	}
	a.ObserveInterval(interval("mixed2", 4, 100*time.Millisecond, true))
	if len(fired) != 1 {
		t.Fatalf("fired %d times, want once when most operations are slow", len(fired))
	}
	ab := a.Fired()
	if ab == nil || ab.After != 5*time.Second || ab.Metric.Value < float64(50*time.Millisecond) {
		t.Errorf("abort %+v: want after 5s with acquire.p50 above 50ms", ab)
	}
	a.ObserveInterval(interval("mixed2", 5, 100*time.Millisecond, true))
	if len(fired) != 1 {
		t.Errorf("fired again after the first abort")
	}
}
