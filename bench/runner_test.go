package bench

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/esbench/esbench/reports"
	"github.com/esbench/esbench/workload"
)

// TestMergeEquality checks that per-worker interval histograms, swapped and
// merged over several ticks, give exactly the distribution of one histogram
// fed every value.
func TestMergeEquality(t *testing.T) {
	tests := []struct {
		name    string
		workers int
		perTick int
		ticks   int
		gen     func(r *rand.Rand) time.Duration
	}{
		{"one worker uniform", 1, 1000, 3, func(r *rand.Rand) time.Duration { return time.Duration(r.Int64N(1e6)) }},
		{"eight workers exponential", 8, 500, 5, func(r *rand.Rand) time.Duration { return time.Duration(r.ExpFloat64() * 50e3) }},
		{"four workers heavy tail", 4, 800, 4, func(r *rand.Rand) time.Duration {
			if r.IntN(100) == 0 {
				return time.Duration(r.Int64N(int64(2 * time.Second)))
			}
			return time.Duration(r.Int64N(200e3))
		}},
		{"beyond range clamps", 2, 10, 2, func(r *rand.Rand) time.Duration { return 2 * time.Hour }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, uint64(tt.workers)))
			ws := make([]*workerRecorder, tt.workers)
			for i := range ws {
				ws[i] = newWorkerRecorder()
			}
			col := newCollector(ws, nil, time.Now())
			wantC, wantS := newDense(), newDense()
			for range tt.ticks {
				for _, w := range ws {
					for range tt.perTick {
						c := tt.gen(r)
						sv := c / 3
						w.record(&sample{kind: workload.OpAcquire, outcome: OutcomeOK, corrected: c, service: sv})
						_ = wantC.RecordValue(clampNs(c))
						_ = wantS.RecordValue(clampNs(sv))
					}
				}
				col.tick(time.Now())
			}
			got := col.cum[seriesKey{workload.OpAcquire, OutcomeOK}]
			if got == nil {
				t.Fatal("no series collected")
			}
			for _, pair := range []struct {
				name      string
				got, want interface {
					TotalCount() int64
					Max() int64
					Min() int64
					Mean() float64
					ValueAtPercentile(float64) int64
				}
			}{{"corrected", got.Corrected, wantC}, {"service", got.Service, wantS}} {
				if g, w := pair.got.TotalCount(), pair.want.TotalCount(); g != w || g != int64(tt.workers*tt.perTick*tt.ticks) {
					t.Fatalf("%s count: got %d, want %d", pair.name, g, w)
				}
				for _, q := range []float64{0, 50, 90, 99, 99.9, 99.99, 100} {
					if g, w := pair.got.ValueAtPercentile(q), pair.want.ValueAtPercentile(q); g != w {
						t.Errorf("%s p%g: got %d, want %d", pair.name, q, g, w)
					}
				}
				if pair.got.Max() != pair.want.Max() || pair.got.Min() != pair.want.Min() || pair.got.Mean() != pair.want.Mean() {
					t.Errorf("%s min/max/mean differ: got %d/%d/%g want %d/%d/%g", pair.name,
						pair.got.Min(), pair.got.Max(), pair.got.Mean(), pair.want.Min(), pair.want.Max(), pair.want.Mean())
				}
			}
			if !got.Corrected.Equals(wantC) {
				t.Error("merged corrected histogram is not equal to the single histogram")
			}
		})
	}
}

// TestCOCorrection runs a fixed-rate open loop against a target that
// stalls once: the stall must show in the corrected percentiles (every op
// queued behind it waited) while the service time stays small.
func TestCOCorrection(t *testing.T) {
	const (
		n     = 400
		gap   = 2 * time.Millisecond
		stall = 200 * time.Millisecond
	)
	target := TargetFunc(func(_ context.Context, op *workload.Op, _ *Response) error {
		if op.Seq == 50 {
			time.Sleep(stall)
		}
		return nil
	})
	r, err := NewRunner(Config{
		Workers:  1,
		Target:   target,
		Source:   func(int) OpSource { return &seqSource{kind: workload.OpCheck, n: -1} },
		Schedule: func(int) Schedule { return &fixedRate{gap: gap, n: n} },
	})
	if err != nil {
		t.Fatal(err)
	}
	st, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s := findSeries(st, workload.OpCheck, OutcomeOK)
	if s == nil || s.Corrected.TotalCount() != n {
		t.Fatalf("recorded %v ops, want %d", s, n)
	}
	// ~stall/gap = 100 ops were queued behind the stall, a quarter of the run.
	if p90 := time.Duration(s.Corrected.ValueAtPercentile(90)); p90 < 50*time.Millisecond {
		t.Errorf("corrected p90 = %s, want the stall to show (≥ 50ms)", p90)
	}
	if mx := time.Duration(s.Corrected.Max()); mx < stall {
		t.Errorf("corrected max = %s, want ≥ %s", mx, stall)
	}
	if p99 := time.Duration(s.Service.ValueAtPercentile(99)); p99 > 20*time.Millisecond {
		t.Errorf("service p99 = %s, want small: only one op stalled", p99)
	}
	if st.Late < 50 {
		t.Errorf("late ops = %d, want the ~100 queued behind the stall", st.Late)
	}
	if lagP90 := time.Duration(st.Lag.ValueAtPercentile(90)); lagP90 < 50*time.Millisecond {
		t.Errorf("start lag p90 = %s, want the stall to show", lagP90)
	}
}

// TestClosedLoopNoCorrection checks that a closed loop records corrected
// latency equal to service time and no lag.
func TestClosedLoopNoCorrection(t *testing.T) {
	r, err := NewRunner(Config{
		Workers: 2,
		Target:  noop,
		Source:  func(int) OpSource { return &seqSource{kind: workload.OpLoad, n: 5000} },
	})
	if err != nil {
		t.Fatal(err)
	}
	st, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s := findSeries(st, workload.OpLoad, OutcomeOK)
	if s == nil || s.Corrected.TotalCount() != 10000 {
		t.Fatalf("want 10000 recorded ops, got %+v", s)
	}
	if !s.Corrected.Equals(s.Service) {
		t.Error("closed loop: corrected and service histograms differ")
	}
	if st.OpenLoop || st.Lag != nil || st.Late != 0 {
		t.Errorf("closed loop reported open-loop data: open=%v lag=%v late=%d", st.OpenLoop, st.Lag, st.Late)
	}
}

// TestWarmupExcluded checks that ops intended before the warmup boundary run
// but are not recorded.
func TestWarmupExcluded(t *testing.T) {
	const warm, meas = 30, 20
	gap := time.Millisecond
	src := func(int) OpSource {
		return &kindSource{n: warm + meas, kind: func(seq uint64) workload.OpKind {
			if seq < warm {
				return workload.OpRegisterDevice
			}
			return workload.OpAcquire
		}}
	}
	var ran int64
	target := TargetFunc(func(context.Context, *workload.Op, *Response) error { ran++; return nil })
	r, err := NewRunner(Config{
		Workers:  1,
		Target:   target,
		Source:   src,
		Schedule: func(int) Schedule { return &fixedRate{gap: gap, n: warm + meas} },
		Warmup:   time.Duration(warm) * gap,
	})
	if err != nil {
		t.Fatal(err)
	}
	st, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if ran != warm+meas || st.Executed != warm+meas {
		t.Errorf("executed %d (target saw %d), want %d", st.Executed, ran, warm+meas)
	}
	if got := st.Recorded(); got != meas {
		t.Errorf("recorded %d, want %d", got, meas)
	}
	if s := findSeries(st, workload.OpRegisterDevice, OutcomeOK); s != nil {
		t.Errorf("warmup ops recorded: %d", s.Corrected.TotalCount())
	}
	if st.Lag.TotalCount() != meas {
		t.Errorf("lag samples %d, want %d", st.Lag.TotalCount(), meas)
	}
}

var errBroken = errors.New("broken")

// TestErrorClasses checks that every outcome is recorded separately and with
// its latency.
func TestErrorClasses(t *testing.T) {
	const k = uint64(numOutcomes)
	const n = 100 * k
	slow := 2 * time.Millisecond
	target := TargetFunc(func(_ context.Context, op *workload.Op, resp *Response) error {
		switch op.Seq % k {
		case 0:
			return nil
		case 1:
			resp.Outcome = OutcomeDenied
			return nil
		case 2:
			resp.Outcome = OutcomeFallback
			return nil
		case 3:
			time.Sleep(slow)
			resp.Outcome = OutcomeConflict
			return errBroken
		case 4:
			time.Sleep(slow)
			return context.DeadlineExceeded // classified as unavailable
		case 5:
			resp.Outcome = OutcomeInvalid
			return errBroken
		case 6:
			resp.Outcome = OutcomeDiverged
			return errBroken
		case 8, 9, 10, 11: // the remote target's transport classes
			resp.Outcome = Outcome(op.Seq % k)
			return errBroken
		default:
			time.Sleep(slow)
			return errBroken // classified as other
		}
	})
	r, err := NewRunner(Config{
		Workers: 1,
		Target:  target,
		Source:  func(int) OpSource { return &seqSource{kind: workload.OpRenew, n: int64(n)} },
	})
	if err != nil {
		t.Fatal(err)
	}
	st, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range Outcomes() {
		s := findSeries(st, workload.OpRenew, o)
		if s == nil || s.Corrected.TotalCount() != int64(n/k) {
			t.Errorf("%s: want %d ops recorded, got %+v", o, n/k, s)
			continue
		}
		slowClass := o == OutcomeConflict || o == OutcomeUnavailable || o == OutcomeOther
		if p50 := time.Duration(s.Service.ValueAtPercentile(50)); slowClass && p50 < slow {
			t.Errorf("%s: service p50 %s, want ≥ %s (latency recorded with the error)", o, p50, slow)
		}
	}
	var errClasses uint64
	for _, o := range Outcomes() {
		if o.IsError() {
			errClasses++
		}
	}
	wantErrs := int64(errClasses * n / k)
	_, errs := r.Completed()
	if errs != wantErrs {
		t.Errorf("error counter %d, want %d", errs, wantErrs)
	}
	run, err := st.Report()
	if err != nil {
		t.Fatal(err)
	}
	if run.Errors != wantErrs || run.Operations[0].Errors["unavailable"] != int64(n/k) {
		t.Errorf("report errors %d (%v), want %d", run.Errors, run.Operations[0].Errors, wantErrs)
	}
}

// TestPartialOnCancel checks that a cancelled run returns what it measured,
// marked partial, without an error.
func TestPartialOnCancel(t *testing.T) {
	for _, open := range []bool{false, true} {
		t.Run(map[bool]string{false: "closed", true: "open"}[open], func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			cfg := Config{
				Workers:  2,
				Target:   TargetFunc(func(context.Context, *workload.Op, *Response) error { time.Sleep(100 * time.Microsecond); return nil }),
				Source:   func(int) OpSource { return &seqSource{kind: workload.OpCheck, n: -1} },
				Duration: time.Hour,
			}
			if open {
				cfg.Schedule = func(int) Schedule { return &fixedRate{gap: time.Millisecond, n: -1} }
			}
			r, err := NewRunner(cfg)
			if err != nil {
				t.Fatal(err)
			}
			time.AfterFunc(150*time.Millisecond, cancel)
			st, err := r.Run(ctx)
			if err != nil {
				t.Fatalf("cancelled run returned error %v", err)
			}
			if !st.Partial || st.PartialReason == "" {
				t.Errorf("partial=%v reason=%q, want a partial result", st.Partial, st.PartialReason)
			}
			if st.Recorded() == 0 {
				t.Error("cancelled run recorded nothing")
			}
			if st.Measured <= 0 || st.Measured > 10*time.Second {
				t.Errorf("measured %s, want the time until cancel", st.Measured)
			}
		})
	}
}

// TestReplayMeasurement checks the phases, buckets and the fit.
func TestReplayMeasurement(t *testing.T) {
	const n = 2000
	target := TargetFunc(func(_ context.Context, op *workload.Op, resp *Response) error {
		ev := int(op.Seq % 1000)
		total := time.Duration(1000 + 50*ev)
		resp.Loads = append(resp.Loads, Load{
			FromSnapshot: op.Seq%2 == 0, Replayed: ev, Bytes: 100 * ev,
			SnapshotRead: 300, EventRead: total / 2, Decode: total / 4, Apply: total / 8, Total: total,
		})
		return nil
	})
	r, err := NewRunner(Config{
		Workers: 2,
		Target:  target,
		Source:  func(int) OpSource { return &seqSource{kind: workload.OpLoad, n: n / 2} },
	})
	if err != nil {
		t.Fatal(err)
	}
	st, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	rp := st.Replay
	if rp == nil || rp.Loads != n {
		t.Fatalf("replay loads: %+v", rp)
	}
	if rp.FromSnapshot != n/2 {
		t.Errorf("from snapshot %d, want %d", rp.FromSnapshot, n/2)
	}
	if !rp.Fit.OK || abs(rp.Fit.A-1000) > 1e-6 || abs(rp.Fit.B-50) > 1e-9 || rp.Fit.R2 < 0.999999 {
		t.Errorf("fit = %+v, want a=1000 b=50 r2=1", rp.Fit)
	}
	var inBuckets int64
	for _, b := range rp.Buckets {
		inBuckets += b.Total.TotalCount()
	}
	if inBuckets != n {
		t.Errorf("buckets hold %d loads, want %d", inBuckets, n)
	}
	// Seq 0..999 per worker: events 0 occur once per worker.
	if b := rp.Buckets[0]; b.Lower != 0 || b.Upper != 1 || b.Total.TotalCount() != 2 {
		t.Errorf("bucket 0 = [%d,%d) count %d, want [0,1) count 2", b.Lower, b.Upper, b.Total.TotalCount())
	}
	if got := rp.Phases[PhaseSnapshotRead].ValueAtPercentile(50); got != 300 {
		t.Errorf("snapshot read p50 %d, want 300", got)
	}
	if got := rp.Phases[PhaseTotal].Max(); got < 50900 || got > 51000 {
		t.Errorf("total max %d, want ~50950", got)
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func TestBucketIndex(t *testing.T) {
	tests := []struct {
		events int
		lower  int64
	}{{0, 0}, {1, 1}, {2, 2}, {4, 2}, {5, 5}, {9, 5}, {10, 10}, {19, 10}, {20, 20}, {99, 50}, {100, 100}, {10000, 10000}, {12345, 10000}, {1 << 40, 20000000}}
	for _, tt := range tests {
		if got := BucketLower(bucketIndex(tt.events)); got != tt.lower {
			t.Errorf("events %d: bucket lower %d, want %d", tt.events, got, tt.lower)
		}
	}
}

// TestIntervalSink checks that the interval histograms handed to the sink
// add up to the cumulative totals.
func TestIntervalSink(t *testing.T) {
	sink := &memSink{}
	r, err := NewRunner(Config{
		Workers:  3,
		Target:   noop,
		Source:   func(int) OpSource { return &seqSource{kind: workload.OpPlayback, n: -1} },
		Schedule: func(int) Schedule { return &fixedRate{gap: 200 * time.Microsecond, n: 1500} },
		Interval: 50 * time.Millisecond,
		Sink:     sink,
	})
	if err != nil {
		t.Fatal(err)
	}
	st, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s := findSeries(st, workload.OpPlayback, OutcomeOK)
	if s == nil || s.Corrected.TotalCount() != 4500 {
		t.Fatalf("recorded %+v, want 4500", s)
	}
	for _, key := range []string{"corrected/playback.ok", "service/playback.ok", "lag/"} {
		if sink.counts[key] != 4500 {
			t.Errorf("sink %s total %d, want 4500", key, sink.counts[key])
		}
	}
	if sink.lines < 3*3 {
		t.Errorf("sink got %d interval lines, want several intervals", sink.lines)
	}
}

func TestConfigValidation(t *testing.T) {
	ok := Config{Workers: 1, Target: noop, Source: func(int) OpSource { return &seqSource{n: 1} }}
	tests := []struct {
		name string
		mod  func(c *Config)
	}{
		{"no workers", func(c *Config) { c.Workers = 0 }},
		{"no target", func(c *Config) { c.Target = nil }},
		{"no source", func(c *Config) { c.Source = nil }},
		{"negative warmup", func(c *Config) { c.Warmup = -1 }},
		{"negative duration", func(c *Config) { c.Duration = -time.Second }},
		{"negative rate", func(c *Config) { c.TargetRate = -5 }},
	}
	for _, tt := range tests {
		c := ok
		tt.mod(&c)
		if _, err := NewRunner(c); err == nil {
			t.Errorf("%s: accepted", tt.name)
		}
	}
	if _, err := NewRunner(ok); err != nil {
		t.Errorf("valid config rejected: %v", err)
	}
}

// TestMissedAtEnd stalls the target past the end of a timed open-loop run:
// the operations scheduled during the stall never start, and they must be
// counted as missed rather than vanish from the result.
func TestMissedAtEnd(t *testing.T) {
	const gap = 2 * time.Millisecond
	target := TargetFunc(func(_ context.Context, op *workload.Op, _ *Response) error {
		if op.Seq == 10 {
			time.Sleep(300 * time.Millisecond)
		}
		return nil
	})
	r, err := NewRunner(Config{
		Workers:  1,
		Duration: 100 * time.Millisecond,
		Target:   target,
		Source:   func(int) OpSource { return &seqSource{kind: workload.OpCheck, n: -1} },
		Schedule: func(int) Schedule { return &fixedRate{gap: gap, n: -1} },
	})
	if err != nil {
		t.Fatal(err)
	}
	st, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// 50 ops fit in 100 ms; 11 ran before the stall ended the run's window.
	recorded := findSeries(st, workload.OpCheck, OutcomeOK).Corrected.TotalCount()
	if st.Missed < 30 || recorded+st.Missed != 50 {
		t.Fatalf("recorded %d + missed %d, want 50 scheduled with most of them missed", recorded, st.Missed)
	}
	run, err := st.Report()
	if err != nil {
		t.Fatal(err)
	}
	if run.Missed != st.Missed || len(reports.Warnings(&run)) == 0 {
		t.Fatalf("report: missed %d, warnings %v", run.Missed, reports.Warnings(&run))
	}
}

// slowSource makes every odd-numbered operation ready only 10ms after its
// intended start (operation i at i*gap from the run's start), as a
// generator short of CPU would. It sleeps to absolute times, so a loaded
// machine's oversleeping does not accumulate.
type slowSource struct {
	seqSource
	gap   time.Duration
	start time.Time // set by the run's OnStart
}

func (s *slowSource) Next(op *workload.Op) bool {
	if s.seq%2 == 1 {
		time.Sleep(time.Until(s.start.Add(time.Duration(s.seq)*s.gap + 10*time.Millisecond)))
	}
	return s.seqSource.Next(op)
}

// TestGeneratorLate: late starts are the generator's when the worker was
// free at the intended start (here: generating the operation took past it),
// and the target's backlog when the worker was still busy with the previous
// operation. Only the first kind counts as GeneratorLate, and the result
// warns about it.
func TestGeneratorLate(t *testing.T) {
	slowTarget := TargetFunc(func(context.Context, *workload.Op, *Response) error {
		time.Sleep(5 * time.Millisecond)
		return nil
	})
	for _, tc := range []struct {
		name      string
		n         int64
		gap       time.Duration
		source    OpSource
		target    Target
		generator bool
	}{
		// Every odd operation is ready 10ms after its intended start, its
		// worker idle since the previous one: late, and the generator's.
		// The next start is 40ms later: the worker is free again by then.
		{"slow generator", 10, 50 * time.Millisecond, &slowSource{seqSource: seqSource{kind: workload.OpCheck, n: 10}, gap: 50 * time.Millisecond}, noop, true},
		// A 5ms target at one start a millisecond: every start after the
		// first waits for the previous operation, the target's backlog.
		// Only the first, whose worker is free, may be late for the
		// generator's sake (on a loaded machine): under 1%, no warning.
		{"slow target", 120, time.Millisecond, &seqSource{kind: workload.OpCheck, n: 120}, slowTarget, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := NewRunner(Config{
				Workers: 1,
				Target:  tc.target,
				OnStart: func(start time.Time) {
					if s, ok := tc.source.(*slowSource); ok {
						s.start = start
					}
				},
				Source:   func(int) OpSource { return tc.source },
				Schedule: func(int) Schedule { return &fixedRate{gap: tc.gap, n: tc.n} },
			})
			if err != nil {
				t.Fatal(err)
			}
			st, err := r.Run(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if tc.generator {
				// The odd half is always late; each is the generator's unless
				// a stall of 40ms put its worker behind (allow one).
				if st.Late < tc.n/2 || st.GeneratorLate < tc.n/2-1 {
					t.Fatalf("late %d, of them the generator's %d: want at least %d, nearly all the generator's", st.Late, st.GeneratorLate, tc.n/2)
				}
			} else if st.Late < tc.n/2 || st.GeneratorLate > 1 {
				t.Fatalf("late %d, of them the generator's %d: want at least %d, at most the first the generator's", st.Late, st.GeneratorLate, tc.n/2)
			}
			run, err := st.Report()
			if err != nil {
				t.Fatal(err)
			}
			var warned bool
			for _, w := range reports.Warnings(&run) {
				warned = warned || strings.Contains(w, "worker was free")
			}
			if run.GeneratorLate != st.GeneratorLate || warned != tc.generator {
				t.Fatalf("report: generator late %d (stats %d), generator warning %v, want %v", run.GeneratorLate, st.GeneratorLate, warned, tc.generator)
			}
		})
	}
}
