package workload

import (
	"math"
	"sort"
	"testing"
	"time"
)

func scheduleFor(t *testing.T, mutate func(*Spec)) *Schedule {
	t.Helper()
	s := DefaultSpec()
	s.Warmup = 0
	mutate(&s)
	s.resolve()
	w, err := New(&s, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	return w.Schedule()
}

func arrivals(t *testing.T, sc *Schedule, workers int) []time.Duration {
	t.Helper()
	var all []time.Duration
	for i := range workers {
		a, err := sc.Arrivals(i, workers)
		if err != nil {
			t.Fatal(err)
		}
		prev := time.Duration(-1)
		for {
			at, ok := a.Next()
			if !ok {
				break
			}
			if at < prev {
				t.Fatalf("worker %d: arrival %v before %v", i, at, prev)
			}
			if sc.End() > 0 && at >= sc.End() {
				t.Fatalf("arrival %v after the end %v", at, sc.End())
			}
			prev = at
			all = append(all, at)
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	return all
}

func TestConstantArrivalsAreEvenAcrossWorkers(t *testing.T) {
	sc := scheduleFor(t, func(s *Spec) {
		s.Arrival.Process = ProcessConstant
		s.Arrival.Rate = 1000
		s.Duration = 10 * time.Second
	})
	for _, workers := range []int{1, 4, 7} {
		all := arrivals(t, sc, workers)
		if len(all) < 9999 || len(all) > 10000 {
			t.Fatalf("%d workers: %d arrivals in 10s at 1000/s", workers, len(all))
		}
		for i := 1; i < len(all); i++ {
			if gap := all[i] - all[i-1]; gap < 990*time.Microsecond || gap > 1010*time.Microsecond {
				t.Fatalf("%d workers: gap %v between arrivals %d and %d, want 1ms", workers, gap, i-1, i)
			}
		}
	}
}

func TestPoissonArrivals(t *testing.T) {
	sc := scheduleFor(t, func(s *Spec) {
		s.Arrival.Process = ProcessPoisson
		s.Arrival.Rate = 2000
		s.Duration = 20 * time.Second
	})
	all := arrivals(t, sc, 4)
	// 40,000 expected; the standard deviation is 200.
	if math.Abs(float64(len(all))-40000) > 1000 {
		t.Fatalf("%d arrivals, want about 40000", len(all))
	}
	// Exponential gaps: their standard deviation equals their mean.
	var sum, sq float64
	for i := 1; i < len(all); i++ {
		g := (all[i] - all[i-1]).Seconds()
		sum += g
		sq += g * g
	}
	n := float64(len(all) - 1)
	mean := sum / n
	sd := math.Sqrt(sq/n - mean*mean)
	if math.Abs(sd/mean-1) > 0.05 {
		t.Errorf("gap sd/mean %.3f, want about 1 for Poisson", sd/mean)
	}
	again := arrivals(t, sc, 4)
	if len(again) != len(all) || again[len(again)/2] != all[len(all)/2] {
		t.Error("the same schedule gave different arrivals")
	}
}

func TestRampStages(t *testing.T) {
	sc := scheduleFor(t, func(s *Spec) {
		s.Arrival.Process = ProcessConstant
		s.Arrival.Stages = []StageSpec{{Duration: 10 * time.Second, Rate: 1000}, {Duration: 10 * time.Second, Rate: 1000}, {Duration: 5 * time.Second, Rate: 0}}
		s.Warmup = 2 * time.Second
	})
	if sc.End() != 25*time.Second {
		t.Fatalf("end %v, want 25s", sc.End())
	}
	all := arrivals(t, sc, 3)
	// 0→1000 over 10s: 5000; flat: 10000; 1000→0 over 5s: 2500.
	if math.Abs(float64(len(all))-17500) > 3 {
		t.Fatalf("%d arrivals, want 17500", len(all))
	}
	countBefore := func(d time.Duration) int {
		return sort.Search(len(all), func(i int) bool { return all[i] >= d })
	}
	for _, c := range []struct {
		at   time.Duration
		want float64
	}{{5 * time.Second, 1250}, {10 * time.Second, 5000}, {15 * time.Second, 10000}, {22500 * time.Millisecond, 16875}} {
		if got := countBefore(c.at); math.Abs(float64(got)-c.want) > 3 {
			t.Errorf("%d arrivals before %v, want %.0f", got, c.at, c.want)
		}
		if e := sc.Expected(c.at); math.Abs(e-c.want) > 1e-6*c.want {
			t.Errorf("Expected(%v) = %v, want %v", c.at, e, c.want)
		}
	}
	if r := sc.RateAt(5 * time.Second); math.Abs(r-500) > 1e-9 {
		t.Errorf("rate at 5s %v, want 500", r)
	}
}

func TestClosedLoopHasNoSchedule(t *testing.T) {
	s := DefaultSpec()
	s.Arrival.Mode = ModeClosed
	w, err := New(&s, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if w.Schedule() != nil {
		t.Error("closed loop returned a schedule")
	}
}

func TestUnboundedScheduleForOperationCount(t *testing.T) {
	sc := scheduleFor(t, func(s *Spec) {
		s.Arrival.Process = ProcessConstant
		s.Arrival.Rate = 100
		s.Duration = 0
		s.Operations = 1000
	})
	a, err := sc.Arrivals(0, 1)
	if err != nil {
		t.Fatal(err)
	}
	var at time.Duration
	for range 100000 {
		var ok bool
		if at, ok = a.Next(); !ok {
			t.Fatal("an operation-count run's schedule ended")
		}
	}
	if at < 999*time.Second || at > 1000*time.Second {
		t.Errorf("100000th arrival at %v, want about 1000s", at)
	}
}

// TestArrivalsClone: a clone yields exactly the offsets the original yields
// from the same position, and advancing one does not move the other.
func TestArrivalsClone(t *testing.T) {
	sc := scheduleFor(t, func(s *Spec) {
		s.Arrival.Process = ProcessPoisson
		s.Arrival.Rate = 500
		s.Duration = 2 * time.Second
	})
	a, err := sc.Arrivals(1, 3)
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		a.Next()
	}
	c := a.Clone()
	var fromClone []time.Duration
	for {
		at, ok := c.Next()
		if !ok {
			break
		}
		fromClone = append(fromClone, at)
	}
	if len(fromClone) < 100 {
		t.Fatalf("clone yielded %d offsets, want the rest of about 333", len(fromClone))
	}
	for i, want := range fromClone {
		at, ok := a.Next()
		if !ok || at != want {
			t.Fatalf("offset %d: original %v (%v), clone %v", i, at, ok, want)
		}
	}
	if _, ok := a.Next(); ok {
		t.Fatal("the original has offsets the clone did not yield")
	}
}
