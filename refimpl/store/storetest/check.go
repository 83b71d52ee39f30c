package storetest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"
)

// Status is how one area of the suite ended.
type Status string

// The statuses of a Result.
const (
	Pass Status = "pass"
	Fail Status = "fail"
	Skip Status = "skip"
	// NotRun is an area left out because the run was cancelled.
	NotRun Status = "not run"
)

// Result is one contract area's outcome in a Check run.
type Result struct {
	// Name is the area's name (see Areas).
	Name   string
	Status Status
	// Reason is why the area was skipped.
	Reason string
	// Failures are the failure messages, each prefixed with the subtest
	// it came from.
	Failures []string
	Duration time.Duration
}

// Check runs the suite against the backend of h outside go test, one area
// at a time in run order, and calls report (if not nil) after each. It
// stops before the next area when ctx is done, returning the areas not run
// as NotRun; the area running then finishes, as the suite's calls do not
// take a context. The error is for a harness the suite cannot run.
func Check(ctx context.Context, h Harness, report func(Result)) ([]Result, error) {
	if h.Open == nil {
		return nil, errors.New("storetest: Harness.Open is nil")
	}
	if err := h.checkSkips(); err != nil {
		return nil, err
	}
	out := make([]Result, 0, len(areas))
	for _, a := range areas {
		res := Result{Name: a.name, Status: NotRun}
		if ctx.Err() == nil {
			ct := &checkT{name: a.name}
			start := time.Now()
			ct.run(func(t T) { h.runArea(t, a) })
			res.Duration = time.Since(start)
			res.Status, res.Reason, res.Failures = ct.result()
		}
		out = append(out, res)
		if report != nil {
			report(res)
		}
	}
	return out, nil
}

// checkT is the T of a Check run: like testing's, a Fatal or Skip ends the
// (sub)test's goroutine, cleanups run last-in first-out, and a subtest's
// failure fails its parent.
type checkT struct {
	name string

	mu       sync.Mutex
	failed   bool
	skipped  bool
	reason   string
	failures []string
	cleanups []func()
}

var _ T = (*checkT)(nil)

func (t *checkT) Helper()      {}
func (t *checkT) Name() string { return t.name }

// Logf is dropped: a report lists failures, not chatter.
func (t *checkT) Logf(string, ...any) {}

func (t *checkT) Errorf(format string, args ...any) {
	t.fail(fmt.Sprintf(format, args...))
}

func (t *checkT) Fatal(args ...any) {
	t.fail(strings.TrimSuffix(fmt.Sprintln(args...), "\n"))
	runtime.Goexit()
}

func (t *checkT) Fatalf(format string, args ...any) {
	t.fail(fmt.Sprintf(format, args...))
	runtime.Goexit()
}

func (t *checkT) Skip(args ...any) {
	t.mu.Lock()
	t.skipped, t.reason = true, strings.TrimSuffix(fmt.Sprintln(args...), "\n")
	t.mu.Unlock()
	runtime.Goexit()
}

func (t *checkT) Failed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.failed
}

func (t *checkT) Cleanup(f func()) {
	t.mu.Lock()
	t.cleanups = append(t.cleanups, f)
	t.mu.Unlock()
}

// TempDir returns a new directory removed when the test ends.
func (t *checkT) TempDir() string {
	dir, err := os.MkdirTemp("", "esbench-conformance-")
	if err != nil {
		t.Fatalf("TempDir: %v", err)
	}
	t.Cleanup(func() {
		if err := os.RemoveAll(dir); err != nil {
			t.Errorf("removing %s: %v", dir, err)
		}
	})
	return dir
}

// Run runs f as subtest name and reports whether it passed.
func (t *checkT) Run(name string, f func(t T)) bool {
	sub := &checkT{name: t.name + "/" + name}
	sub.run(f)
	if sub.Failed() {
		t.mu.Lock()
		t.failed = true
		t.failures = append(t.failures, sub.failures...)
		t.mu.Unlock()
		return false
	}
	return true
}

func (t *checkT) fail(msg string) {
	t.mu.Lock()
	t.failed = true
	t.failures = append(t.failures, t.name+": "+msg)
	t.mu.Unlock()
}

// run runs f on its own goroutine, so Fatal and Skip can end it, and waits
// for it and its cleanups.
func (t *checkT) run(f func(t T)) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer t.runCleanups()
		defer t.recoverPanic()
		f(t)
	}()
	<-done
}

func (t *checkT) recoverPanic() {
	if r := recover(); r != nil {
		t.fail(fmt.Sprintf("panic: %v\n%s", r, debug.Stack()))
	}
}

func (t *checkT) runCleanups() {
	for {
		t.mu.Lock()
		n := len(t.cleanups)
		if n == 0 {
			t.mu.Unlock()
			return
		}
		f := t.cleanups[n-1]
		t.cleanups = t.cleanups[:n-1]
		t.mu.Unlock()
		func() {
			defer t.recoverPanic()
			f()
		}()
	}
}

func (t *checkT) result() (Status, string, []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case t.failed:
		return Fail, "", t.failures
	case t.skipped:
		return Skip, t.reason, nil
	}
	return Pass, "", nil
}
