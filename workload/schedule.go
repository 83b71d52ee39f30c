package workload

import (
	"math"
	"math/rand/v2"
	"time"
)

// Schedule is the open-loop arrival plan of a shard: the target rate over
// time (constant, or piecewise-linear ramp stages) and the arrival process
// (evenly spaced or Poisson). Workers each draw their own arrivals with
// Arrivals, together adding up to the target rate.
type Schedule struct {
	poisson bool
	stages  []rampStage
	// end is the schedule's length; 0 means unbounded.
	end  time.Duration
	seed uint64
}

type rampStage struct {
	start, dur time.Duration
	r0, r1     float64 // ops/s at the stage's start and end
	// cum is the expected number of arrivals (over all workers) before the
	// stage starts.
	cum float64
}

// Schedule returns the open-loop schedule, or nil for closed-loop arrival.
func (w *Workload) Schedule() *Schedule {
	a := &w.spec.Arrival
	if a.Mode != ModeOpen {
		return nil
	}
	s := &Schedule{poisson: a.Process == ProcessPoisson, seed: w.spec.Seed ^ uint64(w.shard.Index)<<40}
	if len(a.Stages) == 0 {
		// A run bounded by its operation count (no duration) has no end:
		// cutting the schedule at the warmup would leave nothing measured.
		if w.spec.Duration > 0 {
			s.end = w.spec.Total()
		}
		s.stages = []rampStage{{dur: s.end, r0: a.Rate, r1: a.Rate}}
		if s.end == 0 {
			s.stages[0].dur = math.MaxInt64
		}
		return s
	}
	prev := 0.0
	var at time.Duration
	cum := 0.0
	for _, st := range a.Stages {
		s.stages = append(s.stages, rampStage{start: at, dur: st.Duration, r0: prev, r1: st.Rate, cum: cum})
		cum += (prev + st.Rate) / 2 * st.Duration.Seconds()
		at += st.Duration
		prev = st.Rate
	}
	s.end = at
	return s
}

// End is the schedule's length (0: unbounded, the run ends by operation
// count).
func (s *Schedule) End() time.Duration { return s.end }

// RateAt is the target rate in ops/s at offset t.
func (s *Schedule) RateAt(t time.Duration) float64 {
	for _, st := range s.stages {
		if t >= st.start && t-st.start < st.dur {
			return st.r0 + (st.r1-st.r0)*float64(t-st.start)/float64(st.dur)
		}
	}
	return 0
}

// Expected is the number of arrivals the schedule targets before offset t.
func (s *Schedule) Expected(t time.Duration) float64 {
	total := 0.0
	for _, st := range s.stages {
		if t <= st.start {
			break
		}
		x := min(t-st.start, st.dur).Seconds()
		d := st.dur.Seconds()
		total = st.cum + st.r0*x + (st.r1-st.r0)*x*x/(2*d)
	}
	return total
}

// Arrivals is one worker's sequence of intended start offsets.
type Arrivals struct {
	s       *Schedule
	workers float64
	src     *rand.PCG
	stage   int
	// next is the worker's cumulative expected-arrival count (in this
	// worker's units, 1 per arrival) of its next arrival.
	next float64
}

// Arrivals returns worker's (0-based, of workers) arrival offsets from the
// start of the run. Evenly spaced arrivals are staggered across workers.
func (s *Schedule) Arrivals(worker, workers int) (*Arrivals, error) {
	if err := checkWorkers(worker, workers); err != nil {
		return nil, err
	}
	a := &Arrivals{
		s:       s,
		workers: float64(workers),
		src:     rand.NewPCG(hash3(s.seed, uint64(worker), saltStream+7), uint64(worker)),
	}
	if s.poisson {
		a.next = a.exp()
	} else {
		a.next = float64(worker) / float64(workers)
	}
	return a, nil
}

// Clone returns an independent copy of the sequence at its current
// position: it yields the same offsets a's next calls will. A runner counts
// a worker's arrivals that are due but not started on a clone, without
// touching the worker's own.
func (a *Arrivals) Clone() *Arrivals {
	c := *a
	src := *a.src
	c.src = &src
	return &c
}

func (a *Arrivals) exp() float64 {
	return -math.Log1p(-unit(a.src.Uint64()))
}

// Next returns the next intended start offset, or false when the schedule
// has ended.
func (a *Arrivals) Next() (time.Duration, bool) {
	// In all-worker units the target is next×workers arrivals.
	target := a.next * a.workers
	stages := a.s.stages
	for a.stage < len(stages) {
		st := &stages[a.stage]
		d := st.dur.Seconds()
		inStage := (st.r0 + st.r1) / 2 * d
		if st.dur == math.MaxInt64 {
			inStage = math.Inf(1)
		}
		if target-st.cum < inStage {
			x := solveRamp(st.r0, st.r1, d, target-st.cum)
			if a.s.poisson {
				a.next += a.exp()
			} else {
				a.next++
			}
			return st.start + time.Duration(x*float64(time.Second)), true
		}
		a.stage++
	}
	return 0, false
}

// solveRamp finds x in [0, d] with r0·x + (r1−r0)·x²/(2d) = n.
// It uses 2n/(√(r0²+2kn)+r0), the cancellation-free form of the quadratic
// root, which also covers a flat stage (k = 0).
func solveRamp(r0, r1, d, n float64) float64 {
	k := (r1 - r0) / d
	disc := max(r0*r0+2*k*n, 0)
	den := math.Sqrt(disc) + r0
	if den <= 0 {
		return 0
	}
	return min(max(2*n/den, 0), d)
}

// AtRate returns a schedule with the same arrival process at a constant
// rate for end (the capacity experiment's steps). salt varies the arrival
// draws between steps.
func (s *Schedule) AtRate(rate float64, end time.Duration, salt uint64) *Schedule {
	return &Schedule{
		poisson: s.poisson,
		stages:  []rampStage{{dur: end, r0: rate, r1: rate}},
		end:     end,
		seed:    hash3(s.seed, salt, saltStream+11),
	}
}
