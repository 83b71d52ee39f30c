package bench

import (
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/esbench/esbench/workload"
)

// LiveObserver watches a run while it runs, for example to serve live
// metrics. The runner's collector calls it once per closed interval (about
// once a second) from its own goroutine, after folding the workers'
// buffers: workers never call it, so it adds nothing to an operation's path.
// The histograms are only valid during the call.
type LiveObserver interface {
	ObserveInterval(iv *LiveInterval)
}

// LiveSeries is one operation and outcome's interval histograms.
type LiveSeries struct {
	Kind               workload.OpKind
	Outcome            Outcome
	Corrected, Service *hdr.PackedHistogram
	// Late counts the interval's operations that started late.
	Late int64
}

// LivePhase is one replay phase's interval histogram.
type LivePhase struct {
	Name string
	H    *hdr.PackedHistogram
}

// LiveInterval is what one interval of a run measured. Only operations
// intended after the warmup are in the histograms; the counters include the
// warmup.
type LiveInterval struct {
	Run string
	// Setup is set for a run that prepares the measurement (Config.Setup).
	Setup      bool
	OpenLoop   bool
	TargetRate float64
	Start, End time.Time
	// Measuring is set once the warmup is over; MeasureStart is when it
	// ended (the first measured interval may begin before it).
	Measuring    bool
	MeasureStart time.Time
	Series       []LiveSeries
	// Lag is the start-lag histogram (nil in a closed loop).
	Lag    *hdr.PackedHistogram
	Phases []LivePhase
	// Started and Completed count operations since the run began, warmup
	// included; Errors the completed ones that ended in an error class.
	Started, Completed, Errors int64
	// Overdue counts the measured-period operations of an open loop whose
	// intended start lies more than the late threshold before End and that
	// had not started by then: a stalled target's backlog, late whenever
	// they start, or never started at all (Stats.Missed at the end). No
	// completed operation shows them yet, so a live late_share counts
	// them as late operations.
	Overdue int64
}

// InFlight is the number of operations started and not yet finished.
func (iv *LiveInterval) InFlight() int64 { return max(iv.Started-iv.Completed, 0) }
