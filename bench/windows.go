package bench

import (
	"slices"
	"sync"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/esbench/esbench/reports"
)

// Window is a span of a run, from the run's start (warmup included), whose
// operations are reported apart: a fault window.
type Window struct {
	Name, Kind string
	Start, End time.Duration
}

// Recovery horizon: after a window, operations are counted in one-second
// buckets for this long to find when the run recovered.
const (
	recoveryBucket  = time.Second
	recoveryBuckets = int(reports.RecoveryHorizon / recoveryBucket)
)

// windowAcc accumulates the operations of one window and of the seconds
// after it, by the time each operation was issued (see record).
type windowAcc struct {
	mu        sync.Mutex
	counts    [numOutcomes]int64
	fallback  *hdr.Histogram // corrected latency of fallback answers
	samples   map[Outcome][]string
	afterOps  [recoveryBuckets]int64
	afterBad  [recoveryBuckets]int64
	lastAfter time.Duration // latest issue time seen after the window
}

// windowSet is the per-window accumulation of a run. Operations are few
// next to the locking they would need per worker, and windows are short:
// one mutex per window does.
type windowSet struct {
	windows []Window
	accs    []*windowAcc
}

func newWindowSet(ws []Window) *windowSet {
	if len(ws) == 0 {
		return nil
	}
	s := &windowSet{windows: ws}
	for range ws {
		s.accs = append(s.accs, &windowAcc{fallback: newDense()})
	}
	return s
}

// record counts one operation issued at start (from the run's start) with
// its corrected latency. Operations belong to the window in which they
// were issued, not to the one of their intended start: an open loop that
// fell behind issues, while a node is frozen, operations scheduled seconds
// earlier, and those are the ones that meet the fault; counted by intended
// start, a window's failures would land before it and the operations it
// scheduled would be counted only once the fault was over. Their latency
// stays the corrected one.
func (s *windowSet) record(start, corrected time.Duration, out Outcome, cause error) {
	if s == nil {
		return
	}
	for i, w := range s.windows {
		a := s.accs[i]
		switch {
		case start >= w.Start && start < w.End:
			a.mu.Lock()
			a.counts[out]++
			if out == OutcomeFallback {
				_ = a.fallback.RecordValue(clampNs(corrected))
			}
			if cause != nil && out != OutcomeOK && out != OutcomeDenied {
				if a.samples == nil {
					a.samples = map[Outcome][]string{}
				}
				if m := cause.Error(); len(a.samples[out]) < 3 && !slices.Contains(a.samples[out], m) {
					a.samples[out] = append(a.samples[out], m)
				}
			}
			a.mu.Unlock()
		case start >= w.End && start < w.End+reports.RecoveryHorizon:
			b := int((start - w.End) / recoveryBucket)
			a.mu.Lock()
			a.afterOps[b]++
			// The store's failures: a window's after-effects on the domain
			// (a release of a licence whose grant failed is invalid) are
			// errors, but not a store that has not recovered.
			if out == OutcomeUnavailable || out == OutcomeFallback {
				a.afterBad[b]++
			}
			a.lastAfter = max(a.lastAfter, start-w.End)
			a.mu.Unlock()
		}
	}
}

// reports summarises every window; recovered is the first second after
// the window in which at most share of the operations found the store
// unavailable or fell back.
func (s *windowSet) reports(share float64) ([]reports.FaultWindow, error) {
	if s == nil {
		return nil, nil
	}
	var out []reports.FaultWindow
	for i, w := range s.windows {
		a := s.accs[i]
		a.mu.Lock()
		fw := reports.FaultWindow{Name: w.Name, Kind: w.Kind, StartNs: int64(w.Start), EndNs: int64(w.End), RecoveryNs: -1,
			ObservedAfterNs: int64(a.lastAfter)}
		for o, n := range a.counts {
			if n == 0 {
				continue
			}
			if fw.Outcomes == nil {
				fw.Outcomes = map[string]int64{}
			}
			fw.Outcomes[Outcome(o).String()] = n
			fw.Ops += n
			if Outcome(o).IsError() {
				fw.Errors += n
			}
		}
		fw.Fallbacks = a.counts[OutcomeFallback]
		if fw.Ops > 0 {
			fw.FallbackShare = float64(fw.Fallbacks) / float64(fw.Ops)
		}
		if fw.Fallbacks > 0 {
			l, err := reports.Summarize(a.fallback)
			if err != nil {
				a.mu.Unlock()
				return nil, err
			}
			fw.FallbackLatency = &l
		}
		for o, m := range a.samples {
			if fw.ErrorSamples == nil {
				fw.ErrorSamples = map[string][]string{}
			}
			fw.ErrorSamples[o.String()] = m
		}
		for b := range recoveryBuckets {
			if a.afterOps[b] > 0 && float64(a.afterBad[b]) <= share*float64(a.afterOps[b]) {
				fw.RecoveryNs = int64(b) * int64(recoveryBucket)
				break
			}
		}
		a.mu.Unlock()
		out = append(out, fw)
	}
	return out, nil
}
