package bench

import (
	"math"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Phase names one part of an aggregate load.
type Phase uint8

// The phases of a load, in report order.
const (
	PhaseSnapshotRead Phase = iota
	PhaseEventRead
	PhaseDecode
	PhaseApply
	PhaseTotal

	numPhases
)

var phaseNames = [numPhases]string{"snapshot_read", "event_read", "decode", "apply", "total"}

// String returns the phase name used in reports.
func (p Phase) String() string {
	if p < numPhases {
		return phaseNames[p]
	}
	return "unknown"
}

// phaseOf returns the duration of phase p of load l.
func phaseOf(l *Load, p Phase) time.Duration {
	switch p {
	case PhaseSnapshotRead:
		return l.SnapshotRead
	case PhaseEventRead:
		return l.EventRead
	case PhaseDecode:
		return l.Decode
	case PhaseApply:
		return l.Apply
	default:
		return l.Total
	}
}

// Replay buckets use a 1-2-5 series of lower bounds (0, 1, 2, 5, 10, 20,
// 50, ...), which keeps a few buckets per decade from 1 to 10^7 events.
const numBuckets = 24

// bucketIndex returns the bucket of a load that replayed n events.
func bucketIndex(n int) int {
	if n <= 0 {
		return 0
	}
	i := 1
	for i+1 < numBuckets && BucketLower(i+1) <= int64(n) {
		i++
	}
	return i
}

// BucketLower returns the smallest event count of replay bucket i.
func BucketLower(i int) int64 {
	if i <= 0 {
		return 0
	}
	mant := [3]int64{1, 2, 5}[(i-1)%3]
	for range (i - 1) / 3 {
		mant *= 10
	}
	return mant
}

// fitSums accumulates a least-squares fit of load time against events
// replayed in O(1) memory.
type fitSums struct {
	n, sx, sy, sxx, sxy, syy float64
}

func (f *fitSums) add(x, y float64) {
	f.n++
	f.sx += x
	f.sy += y
	f.sxx += x * x
	f.sxy += x * y
	f.syy += y * y
}

func (f *fitSums) merge(o *fitSums) {
	f.n += o.n
	f.sx += o.sx
	f.sy += o.sy
	f.sxx += o.sxx
	f.sxy += o.sxy
	f.syy += o.syy
}

// Fit is a least-squares line y ≈ A + B·x with its coefficient of
// determination. For replay, x is events replayed and y nanoseconds.
type Fit struct {
	A, B, R2 float64
	N        int64
	// MeanX and MeanY are the means of the points, known even when the
	// line is not (for example when every load replayed the same tail).
	MeanX, MeanY float64
	// OK is false when the points do not determine a line (fewer than two
	// distinct x values).
	OK bool
}

func (f *fitSums) fit() Fit {
	out := Fit{N: int64(f.n)}
	if f.n == 0 {
		return out
	}
	out.MeanX, out.MeanY = f.sx/f.n, f.sy/f.n
	if f.n < 2 {
		return out
	}
	den := f.n*f.sxx - f.sx*f.sx
	if den <= 0 || math.Abs(den) < 1e-9*f.n*f.sxx {
		return out
	}
	out.B = (f.n*f.sxy - f.sx*f.sy) / den
	out.A = (f.sy - out.B*f.sx) / f.n
	out.OK = true
	vy := f.n*f.syy - f.sy*f.sy
	if vy > 0 {
		r := (f.n*f.sxy - f.sx*f.sy) / math.Sqrt(den*vy)
		out.R2 = r * r
	} else {
		out.R2 = 1
	}
	return out
}

type bucketAcc struct {
	h      *hdr.PackedHistogram
	events int64
}

// replaySet is a worker's interval replay data.
type replaySet struct {
	phases       [numPhases]*hdr.PackedHistogram
	buckets      [numBuckets]bucketAcc
	fit          fitSums
	loads        int64
	fromSnapshot int64
	replayed     int64
	bytes        int64
	phaseSampled int64
}

func newReplaySet() *replaySet {
	r := &replaySet{}
	for i := range r.phases {
		r.phases[i] = newPacked()
	}
	return r
}

func (r *replaySet) add(l *Load) {
	for p := range numPhases {
		_ = r.phases[p].RecordValue(clampNs(phaseOf(l, p)))
	}
	b := &r.buckets[bucketIndex(l.Replayed)]
	if b.h == nil {
		b.h = newPacked()
	}
	_ = b.h.RecordValue(clampNs(l.Total))
	b.events += int64(l.Replayed)
	r.fit.add(float64(l.Replayed), float64(l.Total))
	r.loads++
	if l.FromSnapshot {
		r.fromSnapshot++
	}
	r.replayed += int64(l.Replayed)
	r.bytes += int64(l.Bytes)
	r.phaseSampled += int64(l.PhaseSampled)
}

func (r *replaySet) reset() {
	for _, h := range r.phases {
		h.Reset()
	}
	for i := range r.buckets {
		if r.buckets[i].h != nil {
			r.buckets[i].h.Reset()
		}
		r.buckets[i].events = 0
	}
	r.fit = fitSums{}
	r.loads, r.fromSnapshot, r.replayed, r.bytes, r.phaseSampled = 0, 0, 0, 0, 0
}

// ReplayBucket is the cumulative load time of loads that replayed between
// Lower and the next bucket's lower bound (exclusive) events.
type ReplayBucket struct {
	Lower, Upper int64 // Upper is exclusive; 0 for the last bucket
	Events       int64 // total events replayed by the loads in the bucket
	Total        *hdr.Histogram
}

// ReplayStats is the cumulative replay measurement of a run.
type ReplayStats struct {
	Loads        int64
	FromSnapshot int64
	Replayed     int64
	Bytes        int64
	// PhaseSampled counts the replayed events the target timed phase by
	// phase (see target.Load.PhaseSampled).
	PhaseSampled int64
	Phases       [numPhases]*hdr.Histogram
	Buckets      []ReplayBucket
	Fit          Fit
}

type replayTotals struct {
	phases       [numPhases]*hdr.Histogram
	buckets      [numBuckets]*hdr.Histogram
	events       [numBuckets]int64
	fit          fitSums
	loads        int64
	fromSnapshot int64
	replayed     int64
	bytes        int64
	phaseSampled int64
}

func newReplayTotals() *replayTotals { return &replayTotals{} }

func (t *replayTotals) merge(r *replaySet) {
	if r.loads == 0 {
		return
	}
	for p := range numPhases {
		if t.phases[p] == nil {
			t.phases[p] = newDense()
		}
		r.phases[p].MergeInto(t.phases[p])
	}
	for i := range r.buckets {
		b := &r.buckets[i]
		if b.h == nil || b.h.TotalCount() == 0 {
			continue
		}
		if t.buckets[i] == nil {
			t.buckets[i] = newDense()
		}
		b.h.MergeInto(t.buckets[i])
		t.events[i] += b.events
	}
	t.fit.merge(&r.fit)
	t.loads += r.loads
	t.fromSnapshot += r.fromSnapshot
	t.replayed += r.replayed
	t.bytes += r.bytes
	t.phaseSampled += r.phaseSampled
}

func (t *replayTotals) stats() *ReplayStats {
	if t.loads == 0 {
		return nil
	}
	s := &ReplayStats{
		Loads:        t.loads,
		FromSnapshot: t.fromSnapshot,
		Replayed:     t.replayed,
		Bytes:        t.bytes,
		PhaseSampled: t.phaseSampled,
		Phases:       t.phases,
		Fit:          t.fit.fit(),
	}
	for i, h := range t.buckets {
		if h == nil {
			continue
		}
		b := ReplayBucket{Lower: BucketLower(i), Events: t.events[i], Total: h}
		if i+1 < numBuckets {
			b.Upper = BucketLower(i + 1)
		}
		s.Buckets = append(s.Buckets, b)
	}
	return s
}

// Phases lists the load phases in report order.
func Phases() []Phase {
	out := make([]Phase, numPhases)
	for i := range out {
		out[i] = Phase(i)
	}
	return out
}
