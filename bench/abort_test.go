package bench

import (
	"context"
	"slices"
	"sync"
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

// liveLog keeps what each measured interval said about the backlog.
type liveLog struct {
	mu                 sync.Mutex
	overdue, completed []int64
}

func (l *liveLog) ObserveInterval(iv *LiveInterval) {
	if !iv.Measuring {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.overdue = append(l.overdue, iv.Overdue)
	l.completed = append(l.completed, iv.Completed)
}

// stallRun runs 2 workers at 200/s (a Poisson workload schedule) for 3 s
// against a target that, from operation seq stallAt of each worker on,
// blocks until the run is cancelled (stallAt < 0: never), with an Aborter
// holding late_share < 10% from the start.
func stallRun(t *testing.T, stallAt int64, late time.Duration) (*Aborter, *liveLog, *Stats) {
	t.Helper()
	spec := workload.DefaultSpec()
	spec.Population.Customers = 100
	spec.Arrival.Rate = 200
	spec.Arrival.Workers = 2
	spec.Warmup = 0
	spec.Duration = 3 * time.Second
	w := newWorkload(t, spec)
	th, err := thresholds.Parse("late_share < 10%")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	ab := NewAborter([]AbortRule{{Threshold: th}}, func(a *Abort) { cancel(a) })
	log := &liveLog{}
	arr := make([]Schedule, 2)
	for i := range arr {
		if arr[i], err = w.Schedule().Arrivals(i, 2); err != nil {
			t.Fatal(err)
		}
	}
	r, err := NewRunner(Config{
		Name:          "stall",
		Workers:       2,
		Duration:      spec.Duration,
		Interval:      100 * time.Millisecond,
		LateThreshold: late,
		Target: TargetFunc(func(ctx context.Context, op *workload.Op, _ *Response) error {
			if stallAt >= 0 && int64(op.Seq) >= stallAt {
				<-ctx.Done()
				return ctx.Err()
			}
			return nil
		}),
		Source:   func(int) OpSource { return &seqSource{kind: workload.OpCheck, n: -1} },
		Schedule: func(i int) Schedule { return arr[i] },
		Live:     Observers{log, ab},
	})
	if err != nil {
		t.Fatal(err)
	}
	st, err := r.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return ab, log, st
}

// TestLiveLateShareCountsOverdue: a target that stops answering leaves
// nothing completed to measure, yet the schedule keeps intending
// operations no worker starts. The live count of those overdue operations
// makes a running late_share see the stall, so abort_on_fail stops the run
// within a second or so, not never.
func TestLiveLateShareCountsOverdue(t *testing.T) {
	ab, log, st := stallRun(t, 10, 20*time.Millisecond)
	a := ab.Fired()
	if a == nil {
		t.Fatalf("the stalled run was not aborted (overdue per interval %v)", log.overdue)
	}
	if a.After > 1500*time.Millisecond || a.Metric.Value < 0.1 {
		t.Errorf("aborted after %s at late_share %.3f: want within 1.5 s, above 10%%", a.After, a.Metric.Value)
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	// The interval that aborted is the last with the workers still behind.
	peak := slices.Max(log.overdue)
	at := slices.Index(log.overdue, peak)
	if peak == 0 || log.overdue[0] >= peak || log.completed[at] != log.completed[0] {
		t.Errorf("overdue %v, completed %v: want the backlog growing while nothing completes", log.overdue, log.completed)
	}
	// Every overdue operation was intended before the abort, at 200/s.
	if most := int64(200 * (a.After.Seconds() + 0.2)); peak > most {
		t.Errorf("overdue %d after %s at 200/s: more than were ever scheduled", peak, a.After)
	}
	if st.Recorded() > 30 {
		t.Errorf("recorded %d operations: the target stalled after 10 per worker", st.Recorded())
	}
}

// TestLiveOverdueZeroWhenKeepingUp: a target that keeps up leaves nothing
// overdue, and the late_share rule holds for the whole run.
func TestLiveOverdueZeroWhenKeepingUp(t *testing.T) {
	ab, log, st := stallRun(t, -1, 100*time.Millisecond)
	if a := ab.Fired(); a != nil {
		t.Fatalf("aborted a run that kept up: %v", a)
	}
	for i, n := range log.overdue {
		if n != 0 {
			t.Errorf("interval %d: %d overdue with a target that answers at once", i, n)
		}
	}
	if st.Recorded() < 400 {
		t.Errorf("recorded %d operations in 3 s at 200/s", st.Recorded())
	}
}
