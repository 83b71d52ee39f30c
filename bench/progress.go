package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"
)

// DefaultPlainEvery is how often a non-terminal progress display prints.
const DefaultPlainEvery = 5 * time.Second

// IsTerminal reports whether f is a terminal with a known width (progress
// bars) rather than a file, a pipe or a size-less pseudo-terminal (plain
// progress lines, as in CI).
func IsTerminal(f *os.File) bool {
	fd := int(f.Fd())
	if !term.IsTerminal(fd) {
		return false
	}
	w, _, err := term.GetSize(fd)
	return err == nil && w > 0
}

// Progress shows the phases of a run: mpb bars on a terminal, otherwise a
// plain line per task at a fixed interval. It polls counters it is given and
// never touches the measurement path.
type Progress struct {
	out   io.Writer
	bars  *mpb.Progress // nil in plain mode
	every time.Duration
	mu    sync.Mutex // serialises plain lines from several tasks
	wg    sync.WaitGroup
}

// NewProgress returns a display writing to out. With interactive set it
// draws bars; otherwise it prints a line every `every` (DefaultPlainEvery if
// zero). A nil *Progress is valid and shows nothing.
func NewProgress(ctx context.Context, out io.Writer, interactive bool, every time.Duration) *Progress {
	p := &Progress{out: out, every: every}
	if p.every <= 0 {
		p.every = DefaultPlainEvery
	}
	if interactive {
		p.bars = mpb.NewWithContext(ctx, mpb.WithOutput(out),
			mpb.WithRefreshRate(200*time.Millisecond), mpb.WithAutoRefresh())
	}
	return p
}

// TaskSpec describes one phase shown by Progress.
type TaskSpec struct {
	Name string
	// Unit names what Count counts ("ops", "events").
	Unit string
	// Total is the expected count, or 0 when the task is time-bound or open.
	Total int64
	// Duration is the expected length of a time-bound task, or 0.
	Duration time.Duration
	// Count returns the work done so far and the errors among it.
	Count func() (done, errs int64)
}

// Task is a running phase; call Done when it ends.
type Task struct {
	p     *Progress
	spec  TaskSpec
	start time.Time
	base  int64 // counts when the task started
	baseE int64
	stop  chan struct{}
	once  sync.Once
	text  atomic.Pointer[string]
	bar   *mpb.Bar
}

// Start begins showing a task. It is a no-op on a nil Progress.
func (p *Progress) Start(spec TaskSpec) *Task {
	if p == nil {
		return nil
	}
	if spec.Unit == "" {
		spec.Unit = "ops"
	}
	if spec.Count == nil {
		spec.Count = func() (int64, int64) { return 0, 0 }
	}
	t := &Task{p: p, spec: spec, start: time.Now(), stop: make(chan struct{})}
	t.base, t.baseE = spec.Count()
	empty := ""
	t.text.Store(&empty)
	if p.bars != nil {
		t.bar = p.bars.AddBar(t.barTotal(), mpb.BarWidth(24),
			mpb.PrependDecorators(decor.Name(spec.Name, decor.WCSyncSpaceR)),
			mpb.AppendDecorators(decor.Any(func(decor.Statistics) string { return *t.text.Load() })),
		)
	}
	p.wg.Add(1)
	go t.loop()
	return t
}

func (t *Task) barTotal() int64 {
	switch {
	case t.spec.Total > 0:
		return t.spec.Total
	case t.spec.Duration > 0:
		return t.spec.Duration.Milliseconds()
	default:
		return 0
	}
}

func (t *Task) loop() {
	defer t.p.wg.Done()
	every := t.p.every
	if t.bar != nil {
		every = 200 * time.Millisecond
	}
	tk := time.NewTicker(every)
	defer tk.Stop()
	for {
		select {
		case <-t.stop:
			t.update(true)
			return
		case <-tk.C:
			t.update(false)
		}
	}
}

func (t *Task) update(final bool) {
	done, errs := t.spec.Count()
	done -= t.base
	errs -= t.baseE
	el := time.Since(t.start)
	rate := 0.0
	if el > 0 {
		rate = float64(done) / el.Seconds()
	}
	var eta time.Duration
	switch {
	case t.spec.Total > 0 && rate > 0:
		eta = time.Duration(float64(t.spec.Total-done) / rate * float64(time.Second))
	case t.spec.Duration > 0:
		eta = t.spec.Duration - el
	}
	eta = max(eta, 0)
	withETA := !final && (t.spec.Total > 0 || t.spec.Duration > 0)
	if t.bar != nil {
		// Bars share a terminal line with the name and the bar: keep it short.
		line := fmt.Sprintf("%s %s  %s/s  err %s  %s", compact(float64(done)), t.spec.Unit, compact(rate), compact(float64(errs)), el.Round(time.Second))
		if withETA {
			line += "  ETA " + eta.Round(time.Second).String()
		}
		t.text.Store(&line)
		cur := done
		if t.spec.Total <= 0 {
			cur = el.Milliseconds()
		}
		if final {
			// A bar built with a total completes itself when current reaches
			// it (SetTotal is then ignored); an open one needs SetTotal.
			if tot := t.barTotal(); tot > 0 {
				t.bar.SetCurrent(tot)
			} else {
				t.bar.SetTotal(-1, true)
			}
			return
		}
		// Stay below the total until Done: reaching it completes the bar.
		if tot := t.barTotal(); tot > 0 && cur >= tot {
			cur = tot - 1
		}
		t.bar.SetCurrent(cur)
		return
	}
	line := fmt.Sprintf("%d %s  %.0f %s/s  errors %d  elapsed %s", done, t.spec.Unit, rate, t.spec.Unit, errs, el.Round(time.Second))
	if withETA {
		line += "  ETA " + eta.Round(time.Second).String()
	}
	t.p.mu.Lock()
	defer t.p.mu.Unlock()
	state := ""
	if final {
		state = " done"
	}
	fmt.Fprintf(t.p.out, "[%s%s] %s\n", t.spec.Name, state, line)
}

// compact renders a count or rate with a k or M suffix.
func compact(x float64) string {
	switch {
	case x < 10_000:
		return fmt.Sprintf("%.0f", x)
	case x < 1_000_000:
		return fmt.Sprintf("%.1fk", x/1e3)
	default:
		return fmt.Sprintf("%.2fM", x/1e6)
	}
}

// Done ends the task, showing its final count. Safe on a nil Task and
// idempotent.
func (t *Task) Done() {
	if t == nil {
		return
	}
	t.once.Do(func() { close(t.stop) })
}

// Wait blocks until every task has printed its final state and the bars
// have been drawn. Call it after all tasks are Done.
func (p *Progress) Wait() {
	if p == nil {
		return
	}
	p.wg.Wait()
	if p.bars != nil {
		p.bars.Wait()
	}
}

// runPhases drives the warmup and measurement tasks of one run.
type runPhases struct {
	r      *Runner
	warmup *Task
	meas   *Task
	mu     sync.Mutex
}

func (r *Runner) startProgress() *runPhases {
	ph := &runPhases{r: r}
	if r.cfg.Progress == nil {
		return ph
	}
	if r.warmup > 0 {
		ph.warmup = r.cfg.Progress.Start(TaskSpec{
			Name: phaseLabel(r.cfg.Name, "warmup"), Duration: r.warmup, Count: r.Completed,
		})
		return ph
	}
	ph.measure()
	return ph
}

func phaseLabel(name, phase string) string {
	if name == "" {
		return phase
	}
	return name + " " + phase
}

// measure switches from warmup to measurement.
func (ph *runPhases) measure() {
	ph.mu.Lock()
	defer ph.mu.Unlock()
	if ph.r.cfg.Progress == nil || ph.meas != nil {
		return
	}
	ph.warmup.Done()
	name := ph.r.cfg.Name
	if ph.r.warmup > 0 || name == "" {
		name = phaseLabel(name, "measure")
	}
	var total int64
	if ph.r.cfg.Duration == 0 {
		total = ph.r.cfg.ExpectedOps
	}
	count, unit := ph.r.Completed, "ops"
	if ph.r.cfg.ProgressCount != nil {
		count, unit = ph.r.cfg.ProgressCount, ph.r.cfg.ProgressUnit
	}
	ph.meas = ph.r.cfg.Progress.Start(TaskSpec{
		Name: name, Unit: unit, Duration: ph.r.cfg.Duration, Total: total, Count: count,
	})
}

func (ph *runPhases) finish() {
	ph.mu.Lock()
	defer ph.mu.Unlock()
	ph.warmup.Done()
	ph.meas.Done()
}
