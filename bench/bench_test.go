package bench

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/esbench/esbench/reports"
	"github.com/esbench/esbench/target/inproc"
	"github.com/esbench/esbench/workload"
)

// BenchmarkRunnerNoop measures the runner itself — source, clock reads,
// recorder — against a no-op target in a closed loop with one worker.
// Run it with -cpu 1 for the single-core figure; it reports ops/s.
func BenchmarkRunnerNoop(b *testing.B) {
	for _, workers := range []int{1, 4} {
		b.Run(map[int]string{1: "workers=1", 4: "workers=4"}[workers], func(b *testing.B) {
			per := int64(b.N/workers) + 1
			r, err := NewRunner(Config{
				Workers: workers,
				Target:  noop,
				Source:  func(int) OpSource { return &seqSource{kind: workload.OpCheck, n: per} },
			})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			st, err := r.Run(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			if st.Recorded() != per*int64(workers) {
				b.Fatalf("recorded %d, want %d", st.Recorded(), per*int64(workers))
			}
			b.ReportMetric(float64(st.Recorded())/b.Elapsed().Seconds(), "ops/s")
		})
	}
}

// BenchmarkOpenLoopLag runs an open loop at 50,000 ops/s against a no-op
// target and reports the start lag (actual minus intended start).
func BenchmarkOpenLoopLag(b *testing.B) {
	const rate = 50000
	for _, workers := range []int{1, 4} {
		b.Run(map[int]string{1: "workers=1", 4: "workers=4"}[workers], func(b *testing.B) {
			// At least half a second of schedule so the percentiles mean something.
			n := max(int64(b.N), rate/2)
			per := n / int64(workers)
			gap := time.Duration(workers) * time.Second / rate
			r, err := NewRunner(Config{
				Workers:    workers,
				Target:     noop,
				TargetRate: rate,
				Source:     func(int) OpSource { return &seqSource{kind: workload.OpCheck, n: -1} },
				Schedule: func(w int) Schedule {
					// Workers interleave: worker w starts w/rate after worker 0.
					return &fixedRate{first: time.Duration(w) * time.Second / rate, gap: gap, n: per}
				},
			})
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			st, err := r.Run(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			b.ReportMetric(float64(st.Lag.ValueAtPercentile(50))/1e3, "lag-p50-µs")
			b.ReportMetric(float64(st.Lag.ValueAtPercentile(99))/1e3, "lag-p99-µs")
			b.ReportMetric(float64(st.Lag.ValueAtPercentile(99.9))/1e3, "lag-p99.9-µs")
			b.ReportMetric(st.AchievedRate(), "ops/s")
			b.ReportMetric(float64(st.Late)/float64(max(st.Recorded(), 1))*100, "late-%")
		})
	}
}

// BenchmarkRecord is the cost of recording one sample (lock, two latency
// histograms, the lag histogram) into a worker's recorder.
func BenchmarkRecord(b *testing.B) {
	w := newWorkerRecorder()
	s := sample{kind: workload.OpAcquire, openLoop: true}
	vals := []time.Duration{12 * time.Microsecond, 30 * time.Microsecond, 45 * time.Microsecond, 2 * time.Millisecond, 80 * time.Microsecond, 15 * time.Microsecond, 700 * time.Microsecond, 21 * time.Microsecond}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		v := vals[i&7]
		s.corrected, s.service, s.lag = v+time.Duration(i&1023), v, time.Duration(i&255)
		w.record(&s)
	}
}

// BenchmarkRecordReplay adds one aggregate load per sample.
func BenchmarkRecordReplay(b *testing.B) {
	w := newWorkerRecorder()
	loads := []Load{{Replayed: 120, Bytes: 9000, SnapshotRead: 20 * time.Microsecond, EventRead: 40 * time.Microsecond,
		Decode: 30 * time.Microsecond, Apply: 10 * time.Microsecond, Total: 105 * time.Microsecond}}
	s := sample{kind: workload.OpAcquire, loads: loads}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		loads[0].Replayed = i & 511
		s.corrected, s.service = time.Duration(i&4095)*time.Microsecond, time.Duration(i&4095)*time.Microsecond
		w.record(&s)
	}
}

// BenchmarkLongRunMemory drives the runner for a fixed wall time with fast
// interval ticks and reports the live heap before and after: histograms are
// reused, so the heap must not grow with the number of operations.
func BenchmarkLongRunMemory(b *testing.B) {
	kinds := []workload.OpKind{workload.OpAcquire, workload.OpRenew, workload.OpRelease, workload.OpCheck}
	for b.Loop() {
		run := func(d time.Duration) (uint64, int64) {
			r, err := NewRunner(Config{
				Workers: 4,
				Target: TargetFunc(func(_ context.Context, op *workload.Op, resp *Response) error {
					resp.Outcome = Outcome(op.Seq % 3)
					return nil
				}),
				Source: func(int) OpSource {
					return &kindSource{n: 1 << 62, kind: func(s uint64) workload.OpKind { return kinds[s%4] }}
				},
				Duration: d,
				Interval: 10 * time.Millisecond,
			})
			if err != nil {
				b.Fatal(err)
			}
			st, err := r.Run(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			runtime.KeepAlive(st)
			return ms.HeapAlloc, st.Recorded()
		}
		short, nShort := run(200 * time.Millisecond)
		long, nLong := run(2 * time.Second)
		b.ReportMetric(float64(short)/(1<<20), "heap-MB-short")
		b.ReportMetric(float64(long)/(1<<20), "heap-MB-long")
		b.ReportMetric(float64(nLong)/float64(max(nShort, 1)), "ops-ratio")
	}
}

// BenchmarkRunnerWorkloadNoop is the generator and the recorder together:
// the default workload's operation stream, one worker, a no-op target, in a
// closed loop. Run with -cpu 1 for the one-core figure.
func BenchmarkRunnerWorkloadNoop(b *testing.B) {
	spec := workload.DefaultSpec()
	w, err := workload.New(&spec, inproc.WorkloadOptions(""))
	if err != nil {
		b.Fatal(err)
	}
	st, err := w.NewStream(0, 1, uint64(b.N))
	if err != nil {
		b.Fatal(err)
	}
	r, err := NewRunner(Config{Workers: 1, Target: noop, Source: func(int) OpSource { return st }})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	stats, err := r.Run(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	if stats.Recorded() != int64(b.N) {
		b.Fatalf("recorded %d, want %d", stats.Recorded(), b.N)
	}
	b.ReportMetric(float64(stats.Recorded())/b.Elapsed().Seconds(), "ops/s")
}

// BenchmarkHarnessCPU is the harness's own CPU per operation of an open
// loop against a no-op target, at a low and a high rate, with the precise
// wait (the default) and with Go timers (--no-spin), and the start lag each
// gives. The harness is the whole of it as `esbench run` has it: the
// generator, the recorder writing its per-second .hlog files, and a
// progress display (bars, drawn to nowhere). The CPU is the process's
// user+system time (getrusage) over the measured period after a warmup, as
// every result records it (Stats.CPU): the run's set-up is not spread over
// its operations. At 300/s the precise wait also runs with one worker, to
// show what 16 workers add to it (docs/benchmarks.md).
func BenchmarkHarnessCPU(b *testing.B) {
	for _, rate := range []int{300, 50000} {
		for _, mode := range []struct {
			name     string
			goTimers bool
			workers  []int
		}{{"precise", false, []int{16, 1}}, {"timers", true, []int{16}}} {
			for _, workers := range mode.workers {
				if workers == 1 && rate > 300 {
					continue
				}
				b.Run(fmt.Sprintf("rate=%d/wait=%s/workers=%d", rate, mode.name, workers), func(b *testing.B) {
					harnessCPU(b, rate, workers, mode.goTimers)
				})
			}
		}
	}
}

func harnessCPU(b *testing.B, rate, workers int, goTimers bool) {
	gap := time.Duration(workers) * time.Second / time.Duration(rate)
	hlogs := reports.DirAt(b.TempDir()).NewHlogSet("harness.", time.Now())
	defer hlogs.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	progress := NewProgress(ctx, io.Discard, true, 0)
	r, err := NewRunner(Config{
		Workers:    workers,
		Target:     noop,
		TargetRate: float64(rate),
		GoTimers:   goTimers,
		// A few seconds whatever b.N: CPU per operation needs
		// enough operations at the low rate.
		Warmup:   500 * time.Millisecond,
		Duration: 4 * time.Second,
		Sink:     hlogs,
		Progress: progress,
		Source:   func(int) OpSource { return &seqSource{kind: workload.OpCheck, n: -1} },
		Schedule: func(w int) Schedule {
			return &fixedRate{first: time.Duration(w) * time.Second / time.Duration(rate), gap: gap, n: -1}
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	st, err := r.Run(ctx)
	if err != nil {
		b.Fatal(err)
	}
	progress.Wait()
	if len(hlogs.Files()) == 0 {
		b.Fatal("no interval log written")
	}
	ops := max(st.Recorded(), 1)
	b.ReportMetric(float64(st.CPU.Nanoseconds())/float64(ops)/1e3, "cpu-µs/op")
	b.ReportMetric(float64(st.Lag.ValueAtPercentile(50))/1e3, "lag-p50-µs")
	b.ReportMetric(float64(st.Lag.ValueAtPercentile(99))/1e3, "lag-p99-µs")
	b.ReportMetric(0, "ns/op")
}
