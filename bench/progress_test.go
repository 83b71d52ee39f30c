package bench

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/esbench/esbench/workload"
)

// lockedBuffer is a bytes.Buffer safe for the progress goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestProgressPlain(t *testing.T) {
	var out lockedBuffer
	p := NewProgress(context.Background(), &out, false, 10*time.Millisecond)
	var n atomic.Int64
	n.Store(5) // done before the task started: not counted
	task := p.Start(TaskSpec{Name: "preload", Unit: "events", Total: 100, Count: func() (int64, int64) { return n.Load(), 1 }})
	for range 42 {
		n.Add(1)
	}
	// Wait (bounded) for a periodic line rather than sleeping a fixed
	// time: a loaded machine may not tick within a few intervals.
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(out.String(), "[preload] 42 events"); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			break
		}
	}
	task.Done()
	task.Done() // idempotent
	p.Wait()
	s := out.String()
	if !strings.Contains(s, "[preload] 42 events") || !strings.Contains(s, "ETA") {
		t.Errorf("no periodic progress line with count and ETA:\n%s", s)
	}
	if !strings.Contains(s, "[preload done] 42 events") {
		t.Errorf("no final line:\n%s", s)
	}
}

func TestProgressBarsDoNotBlock(t *testing.T) {
	var out lockedBuffer
	p := NewProgress(context.Background(), &out, true, 0)
	r, err := NewRunner(Config{
		Name:     "noop",
		Workers:  2,
		Target:   noop,
		Source:   func(int) OpSource { return &seqSource{kind: workload.OpCheck, n: -1} },
		Warmup:   50 * time.Millisecond,
		Duration: 250 * time.Millisecond,
		Progress: p,
	})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, err := r.Run(context.Background()); err != nil {
			t.Error(err)
		}
		p.Wait()
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("run with progress bars did not finish")
	}
	s := out.String()
	for _, want := range []string{"noop warmup", "noop measure", " ops ", "/s"} {
		if !strings.Contains(s, want) {
			t.Errorf("bar output lacks %q:\n%s", want, s)
		}
	}
}

func TestCompact(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{{0, "0"}, {9999, "9999"}, {12345, "12.3k"}, {2500000, "2.50M"}}
	for _, tt := range tests {
		if got := compact(tt.in); got != tt.want {
			t.Errorf("compact(%g) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNilProgress(t *testing.T) {
	var p *Progress
	task := p.Start(TaskSpec{Name: "x"})
	task.Done()
	p.Wait()
}
