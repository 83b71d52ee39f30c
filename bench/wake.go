package bench

import (
	"container/heap"
	"context"
	"time"

	"golang.org/x/sys/unix"
)

// maxFineSleep bounds one precise sleep of the waker, so that a request
// that arrives while it sleeps, due earlier than the one it sleeps for, is
// served at most this late.
const maxFineSleep = 500 * time.Microsecond

// waker serves open-loop waits shorter than wakerSlack (high rates), and
// the last wakerSlack of every wait where there is no deadlineTimer: one
// goroutine that sleeps in the kernel (nanosleep, whose wake-up error is the
// thread's timer slack, about 50µs) until the earliest pending start and
// wakes its worker. At high rates one sleep serves several workers' starts,
// where a timer per worker would cost a wake-up each; at low rates the
// per-worker deadlineTimer costs less, since each hand-off to the waker
// wakes two goroutines and its sleep wakes the runtime's monitor thread.
// See docs/design.md §8.
type waker struct {
	base time.Time
	in   chan wakeRequest
}

// wakeRequest asks the waker to signal ch at run offset off.
type wakeRequest struct {
	off time.Duration
	ch  chan<- struct{}
}

func newWaker(base time.Time, workers int) *waker {
	return &waker{base: base, in: make(chan wakeRequest, workers)}
}

// run serves requests until ctx ends.
func (w *waker) run(ctx context.Context) {
	var pending wakeHeap
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		if len(pending) == 0 {
			select {
			case r := <-w.in:
				pending.push(r)
			case <-ctx.Done():
				return
			}
			continue
		}
		// Take in what arrived meanwhile: it may be due before the head.
	drain:
		for {
			select {
			case r := <-w.in:
				pending.push(r)
			default:
				break drain
			}
		}
		wait := pending[0].off - time.Since(w.base)
		switch {
		case wait <= 0:
			pending.pop().ch <- struct{}{} // buffered: never blocks
		case wait > 2*time.Millisecond:
			// Only a late worker's request can be this far off; wait on a
			// Go timer, still listening for earlier requests.
			timer.Reset(wait - time.Millisecond)
			select {
			case r := <-w.in:
				pending.push(r)
				timer.Stop()
			case <-timer.C:
			case <-ctx.Done():
				return
			}
		default:
			if ctx.Err() != nil {
				return
			}
			w.sleep(min(wait, maxFineSleep))
		}
	}
}

// sleep blocks the calling thread in the kernel for d. It goes through the
// runtime's syscall path, so the scheduler can hand the waker's P to a
// worker or the system under test meanwhile: a raw syscall that kept the P
// measured more late starts with an in-process service (docs/benchmarks.md).
func (w *waker) sleep(d time.Duration) {
	ts := unix.NsecToTimespec(int64(d))
	_ = unix.Nanosleep(&ts, nil) // EINTR only shortens the sleep: run rechecks
}

// wakeHeap orders pending requests by offset. push and pop go through
// heap.Fix rather than heap.Push and heap.Pop, which box every request in
// an interface: at 50,000 starts a second that was two allocations per
// start, and a garbage collection every second or two (docs/design.md §8).
type wakeHeap []wakeRequest

func (h wakeHeap) Len() int           { return len(h) }
func (h wakeHeap) Less(i, j int) bool { return h[i].off < h[j].off }
func (h wakeHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }

// Push and Pop complete heap.Interface; the waker uses push and pop.
func (h *wakeHeap) Push(x any) { *h = append(*h, x.(wakeRequest)) }
func (h *wakeHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func (h *wakeHeap) push(r wakeRequest) {
	*h = append(*h, r)
	heap.Fix(h, len(*h)-1)
}

// pop removes and returns the earliest request; h must not be empty.
func (h *wakeHeap) pop() wakeRequest {
	old := *h
	r, last := old[0], len(old)-1
	old[0] = old[last]
	old[last] = wakeRequest{} // drop the channel reference
	*h = old[:last]
	if last > 0 {
		heap.Fix(h, 0)
	}
	return r
}
