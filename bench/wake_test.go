package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/esbench/esbench/workload"
)

// TestWakerOrderAndNeverEarly sends requests out of order, as workers do,
// and checks that every requester is woken, never before its offset.
func TestWakerOrderAndNeverEarly(t *testing.T) {
	for _, seed := range []uint64{1, 2} {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			const n = 64
			base := time.Now()
			w := newWaker(base, n)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { defer close(done); w.run(ctx) }()
			rng := rand.New(rand.NewPCG(seed, 2))
			var wg sync.WaitGroup
			early := make(chan time.Duration, n)
			for range n {
				off := 5*time.Millisecond + time.Duration(rng.Int64N(int64(3*time.Millisecond)))
				ch := make(chan struct{}, 1)
				w.in <- wakeRequest{off: off, ch: ch}
				wg.Add(1)
				go func() {
					defer wg.Done()
					select {
					case <-ch:
						if d := off - time.Since(base); d > 0 {
							early <- d
						}
					case <-time.After(10 * time.Second):
						early <- -1
					}
				}()
			}
			wg.Wait()
			cancel()
			<-done
			close(early)
			for d := range early {
				if d < 0 {
					t.Fatal("a requester was never woken")
				}
				t.Errorf("woken %s before its offset", d)
			}
		})
	}
}

// TestWakerStopsOnCancel: a cancelled run does not wait for pending starts.
func TestWakerStopsOnCancel(t *testing.T) {
	w := newWaker(time.Now(), 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.run(ctx) }()
	w.in <- wakeRequest{off: time.Hour, ch: make(chan struct{}, 1)}
	time.Sleep(10 * time.Millisecond)
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("waker still running 5s after cancellation with a request an hour away")
	}
}

// TestRunRecordsProcessCPU: an open-loop run through the waker records the
// process's CPU over its measured period, and the result carries it.
func TestRunRecordsProcessCPU(t *testing.T) {
	const workers, rate = 4, 2000
	gap := time.Duration(workers) * time.Second / rate
	r, err := NewRunner(Config{
		Workers:    workers,
		Target:     noop,
		TargetRate: rate,
		Warmup:     50 * time.Millisecond,
		Duration:   250 * time.Millisecond,
		Source:     func(int) OpSource { return &seqSource{kind: workload.OpCheck, n: -1} },
		Schedule: func(w int) Schedule {
			return &fixedRate{first: time.Duration(w) * time.Second / rate, gap: gap, n: -1}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	st, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.CPU <= 0 || st.CPU > 10*st.Measured*time.Duration(max(1, runtimeCPUs())) {
		t.Fatalf("CPU = %s over a measured %s: not a plausible process CPU time", st.CPU, st.Measured)
	}
	run, err := st.Report()
	if err != nil {
		t.Fatal(err)
	}
	if run.CPU == nil || run.CPU.CPUNs != int64(st.CPU) || run.CPU.PerOpNs <= 0 {
		t.Fatalf("result CPU = %+v, want %d ns and a per-operation figure", run.CPU, st.CPU)
	}
}
func runtimeCPUs() int { return runtime.NumCPU() }
