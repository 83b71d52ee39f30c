package bench

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/esbench/esbench/workload"
)

// BenchmarkWakeFloor is the CPU one open-loop wait costs on its own, at a
// low rate where every start needs a thread to wake up: the floor under the
// harness's CPU per operation (BenchmarkHarnessCPU), and the alternatives
// to the runner's wait, measured the same way (process CPU by getrusage over
// a fixed number of starts, and the start lag):
//
//   - timerfd: one goroutine waiting on its deadlineTimer, the runner's wait;
//   - gotimer: one goroutine waiting on a Go timer (--no-spin);
//   - nanosleep: one goroutine locked to its thread sleeping in
//     clock_nanosleep without the runtime's syscall path (it keeps its P, so
//     it is no design for the runner, only a floor without the poller);
//   - handoff: one dispatcher waiting on its deadlineTimer that hands each
//     start to a worker goroutine over a channel, the design of a single
//     timer-driven dispatcher with a pool of workers;
//   - runner: the whole harness (Runner with one worker, no-op target,
//     recorder, interval ticks) over the same starts: what the harness adds
//     to its wait.
//
// scripts/wakefloor.c is the same loop in C, without Go's runtime.
func BenchmarkWakeFloor(b *testing.B) {
	const rate, starts = 300, 900
	gap := time.Second / rate
	for _, mode := range []string{"timerfd", "gotimer", "nanosleep", "handoff", "runner"} {
		b.Run(fmt.Sprintf("rate=%d/wait=%s", rate, mode), func(b *testing.B) {
			base := time.Now()
			lag := make([]time.Duration, 0, starts)
			cpu0 := processCPU()
			switch mode {
			case "timerfd":
				t, err := newDeadlineTimer(context.Background(), base)
				if err != nil {
					b.Skip(err)
				}
				defer t.close()
				for i := 1; i <= starts; i++ {
					off := time.Duration(i) * gap
					if !t.waitUntil(off) {
						b.Fatal("timerfd wait failed")
					}
					lag = append(lag, time.Since(base)-off)
				}
			case "gotimer":
				t := time.NewTimer(time.Hour)
				for i := 1; i <= starts; i++ {
					off := time.Duration(i) * gap
					t.Reset(off - time.Since(base))
					<-t.C
					lag = append(lag, time.Since(base)-off)
				}
			case "nanosleep":
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				// Elapsed first, as newDeadlineTimer does: no start early.
				elapsed := time.Since(base)
				var ts unix.Timespec
				_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
				mono := time.Duration(ts.Nano()) - elapsed
				for i := 1; i <= starts; i++ {
					off := time.Duration(i) * gap
					at := unix.NsecToTimespec(int64(mono + off))
					for {
						_, _, e := unix.RawSyscall6(unix.SYS_CLOCK_NANOSLEEP, unix.CLOCK_MONOTONIC, unix.TIMER_ABSTIME, uintptr(unsafe.Pointer(&at)), 0, 0, 0)
						if e != unix.EINTR {
							break
						}
					}
					lag = append(lag, time.Since(base)-off)
				}
			case "handoff":
				t, err := newDeadlineTimer(context.Background(), base)
				if err != nil {
					b.Skip(err)
				}
				defer t.close()
				work := make(chan time.Duration, 1)
				done := make(chan struct{})
				go func() {
					defer close(done)
					for off := range work {
						lag = append(lag, time.Since(base)-off)
					}
				}()
				for i := 1; i <= starts; i++ {
					off := time.Duration(i) * gap
					if !t.waitUntil(off) {
						b.Fatal("timerfd wait failed")
					}
					work <- off
				}
				close(work)
				<-done
			case "runner":
				r, err := NewRunner(Config{
					Workers:  1,
					Target:   noop,
					Source:   func(int) OpSource { return &seqSource{kind: workload.OpCheck, n: -1} },
					Schedule: func(int) Schedule { return &fixedRate{first: gap, gap: gap, n: starts} },
				})
				if err != nil {
					b.Fatal(err)
				}
				cpu0 = processCPU()
				st, err := r.Run(context.Background())
				if err != nil {
					b.Fatal(err)
				}
				if st.Recorded() != starts {
					b.Fatalf("recorded %d, want %d", st.Recorded(), starts)
				}
				for range starts {
					lag = append(lag, 0)
				}
				if st.Lag.Min() < 0 {
					b.Fatal("a start was early")
				}
				b.ReportMetric(float64(st.Lag.ValueAtPercentile(50))/1e3, "lag-p50-µs")
				b.ReportMetric(float64(st.Lag.ValueAtPercentile(99))/1e3, "lag-p99-µs")
			}
			cpu := processCPU() - cpu0
			var early int
			for _, l := range lag {
				if l < 0 {
					early++
				}
			}
			if early > 0 {
				b.Fatalf("%d of %d starts early", early, starts)
			}
			b.ReportMetric(float64(cpu.Nanoseconds())/starts/1e3, "cpu-µs/op")
			if mode != "runner" {
				b.ReportMetric(float64(lagQuantile(lag, 0.5))/1e3, "lag-p50-µs")
				b.ReportMetric(float64(lagQuantile(lag, 0.99))/1e3, "lag-p99-µs")
			}
			b.ReportMetric(0, "ns/op")
		})
	}
}

// lagQuantile is the q-quantile of lags (sorted in place).
func lagQuantile(lag []time.Duration, q float64) time.Duration {
	slices.Sort(lag)
	return lag[min(len(lag)-1, int(q*float64(len(lag))))]
}
