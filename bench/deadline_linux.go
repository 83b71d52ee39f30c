//go:build linux

package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// deadlineTimer is one open-loop worker's wait for its next intended start:
// a timerfd armed at the start's absolute CLOCK_MONOTONIC time and read
// through the runtime's network poller.
//
// Go's timers wake up to a millisecond late on Linux (the poller sleeps in
// whole milliseconds), which shows as start lag. Spinning the last
// millisecond costs a core at a few hundred operations a second, and handing
// the last stretch to a goroutine that sleeps in the kernel costs several
// thread wake-ups per operation. A timerfd expires on a high-resolution
// timer, without timer slack, and wakes the thread blocked in the poller
// directly: one wake-up per operation, with the worker's goroutine run by
// the thread that woke. The whole wait is on the timerfd, so no Go timer
// is armed for it either. See docs/design.md §8, "Open-loop
// waiting".
type deadlineTimer struct {
	f    *os.File
	rc   syscall.RawConn
	mono time.Duration // CLOCK_MONOTONIC at run offset 0, read after the run's base
	stop func() bool
	// spec is the deadline the next read arms; armed says it is armed.
	spec  unix.ItimerSpec
	armed bool
	err   error
	read  func(fd uintptr) bool
	buf   [8]byte
}

// errNoDeadlineTimer says the precise timer is not available here; the
// worker then waits on Go timers.
var errNoDeadlineTimer = errors.New("bench: no pollable timerfd")

// newDeadlineTimer returns a timer for offsets from base. Reading the
// monotonic clock after base was taken makes every deadline fall at or
// after its offset: a worker is never woken early. When ctx ends, a pending
// wait returns at once.
func newDeadlineTimer(ctx context.Context, base time.Time) (*deadlineTimer, error) {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errNoDeadlineTimer, err)
	}
	f := os.NewFile(uintptr(fd), "timerfd")
	// A deadline works only on a file the poller watches: that is the test
	// that reads will park the goroutine instead of blocking a thread.
	if err := f.SetReadDeadline(time.Time{}); err != nil {
		f.Close()
		return nil, fmt.Errorf("%w: %w", errNoDeadlineTimer, err)
	}
	// Elapsed first, then the clock: the offset-0 time computed from them
	// is at or after the true one (Go's monotonic clock is CLOCK_MONOTONIC).
	elapsed := time.Since(base)
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		f.Close()
		return nil, fmt.Errorf("%w: %w", errNoDeadlineTimer, err)
	}
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%w: %w", errNoDeadlineTimer, err)
	}
	t := &deadlineTimer{f: f, rc: rc, mono: time.Duration(ts.Nano()) - elapsed}
	t.read = t.readExpiry
	// Any past deadline makes the pending and every later read fail at once.
	t.stop = context.AfterFunc(ctx, func() { _ = f.SetReadDeadline(time.Unix(1, 0)) })
	return t, nil
}

// waitUntil blocks until run offset off (the caller has checked that it is
// still ahead). It returns false if ctx ended, or the timer failed.
func (t *deadlineTimer) waitUntil(off time.Duration) bool {
	t.spec.Value = unix.NsecToTimespec(int64(t.mono + off))
	t.armed, t.err = false, nil
	if err := t.rc.Read(t.read); err != nil {
		return false
	}
	return t.err == nil
}

// readExpiry is called by the poller's read loop: first to arm the timer,
// then, each time the poller reports it readable, to consume its expiry
// count. It returns false to wait for the poller. Arming inside the loop,
// after the poller has reset the descriptor's readiness, means an expiry
// that comes before the goroutine parks is not lost; and the first call
// needs no read, which could only fail with EAGAIN.
func (t *deadlineTimer) readExpiry(fd uintptr) bool {
	if !t.armed {
		t.armed = true
		// Raw syscalls, neither of which blocks: the runtime's syscall path
		// would wake its monitor thread (sysmon) from its idle sleep on
		// every call, which at a few hundred operations a second costs
		// more than the wait itself.
		if _, _, e := unix.RawSyscall6(unix.SYS_TIMERFD_SETTIME, fd, unix.TFD_TIMER_ABSTIME, uintptr(unsafe.Pointer(&t.spec)), 0, 0, 0); e != 0 {
			t.err = e
			return true
		}
		return false
	}
	_, _, e := unix.RawSyscall(unix.SYS_READ, fd, uintptr(unsafe.Pointer(&t.buf[0])), uintptr(len(t.buf)))
	switch e {
	case 0:
		t.err = nil
	case unix.EAGAIN, unix.EINTR:
		return false
	default:
		t.err = e
	}
	return true
}

// close releases the timerfd.
func (t *deadlineTimer) close() {
	t.stop()
	_ = t.f.Close()
}
