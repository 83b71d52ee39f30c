package bench

import (
	"context"
	"sync"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/esbench/esbench/workload"
)

// seqSource yields n ops (n < 0: unbounded) of one kind, numbered from 0.
type seqSource struct {
	kind workload.OpKind
	n    int64
	seq  uint64
}

func (s *seqSource) Next(op *workload.Op) bool {
	if s.n >= 0 && int64(s.seq) >= s.n {
		return false
	}
	op.Kind = s.kind
	op.Seq = s.seq
	s.seq++
	return true
}

// kindSource picks the kind of each op with a function of its sequence.
type kindSource struct {
	n    uint64
	seq  uint64
	kind func(seq uint64) workload.OpKind
}

func (s *kindSource) Next(op *workload.Op) bool {
	if s.seq >= s.n {
		return false
	}
	op.Kind = s.kind(s.seq)
	op.Seq = s.seq
	s.seq++
	return true
}

// fixedRate is a schedule of n starts every gap from first (n < 0: endless).
type fixedRate struct {
	first, gap time.Duration
	n, i       int64
}

func (f *fixedRate) Next() (time.Duration, bool) {
	if f.n >= 0 && f.i >= f.n {
		return 0, false
	}
	off := f.first + time.Duration(f.i)*f.gap
	f.i++
	return off, true
}

// noop is the cheapest possible target.
var noop = TargetFunc(func(context.Context, *workload.Op, *Response) error { return nil })

// memSink keeps every interval histogram it is given, per metric and tag.
type memSink struct {
	mu     sync.Mutex
	counts map[string]int64
	lines  int
}

func (m *memSink) WriteInterval(metric, tag string, start, end time.Time, h *hdr.PackedHistogram) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.counts == nil {
		m.counts = map[string]int64{}
	}
	m.counts[metric+"/"+tag] += h.TotalCount()
	m.lines++
	return nil
}

func findSeries(st *Stats, kind workload.OpKind, o Outcome) *Series {
	for _, s := range st.Series {
		if s.Kind == kind && s.Outcome == o {
			return s
		}
	}
	return nil
}
