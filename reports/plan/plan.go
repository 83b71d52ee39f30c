// Package plan projects storage, Cassandra nodes and replay latency for a
// target load from a measured result, every input labelled with its source.
package plan

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/esbench/esbench/reports"
)

// ErrInput is returned (wrapped) for a plan input that is missing or
// out of range; the message names the flag that sets it.
var ErrInput = errors.New("plan input")

// Source labels of plan inputs that did not come from a measurement.
const (
	SourceFlag    = "flag"
	SourceDefault = "assumed default"
)

// Input is one number of a capacity plan with where it came from: a flag,
// an assumed default, or a measurement ("measured: …" naming the figure).
type Input struct {
	Value  float64
	Source string
	// Flag is the command-line flag that sets the input, named in errors.
	Flag string
}

// Set records v as given by the flag.
func (i *Input) Set(v float64) { i.Value, i.Source = v, SourceFlag }

func (i Input) known() bool { return i.Source != "" }

// Inputs is everything a capacity plan is computed from.
type Inputs struct {
	Customers        Input // customers (one event stream each)
	ActiveShare      Input // share of customers active per day, (0, 1]
	OpsPerActive     Input // operations per second per active customer
	TotalOps         Input // total operations per second (instead of OpsPerActive)
	RetentionDays    Input // days events are kept
	Replication      Input // Cassandra replication factor
	SnapshotInterval Input // events between snapshots (0: none)
	PerNodeOps       Input // replica writes per second one Cassandra node sustains
	Headroom         Input // share of node capacity kept free, [0, 1)
	WritesPerOp      Input // appends (Cassandra batches) per operation
	EventsPerOp      Input // events appended per operation
	BytesPerEvent    Input // stored bytes per event
	SnapshotBytes    Input // bytes per snapshot
	// Codec is the event codec the plan is for; CodecSource where it came
	// from.
	Codec, CodecSource string
	// Fit is the measured load time ≈ A + B·events, if any.
	Fit       *reports.LinearFit
	FitSource string
	// FitRejected names a measured fit Measure did not use because its r²
	// is below reports.MinFitR2 (a line through noise would project
	// nonsense); empty when none was rejected.
	FitRejected string
	// Cells are measured sweep cells at the target snapshot interval.
	Cells      []reports.SweepCell
	CellSource string
}

// DefaultInputs returns the inputs with their flags and the defaults
// that are assumptions rather than measurements.
func DefaultInputs() Inputs {
	d := func(flag string, v float64) Input { return Input{Value: v, Source: SourceDefault, Flag: flag} }
	u := func(flag string) Input { return Input{Flag: flag} }
	return Inputs{
		Customers:        u("--customers"),
		ActiveShare:      d("--active-share", 0.1),
		OpsPerActive:     u("--ops-per-active"),
		TotalOps:         u("--total-ops"),
		RetentionDays:    d("--retention-days", 365),
		Replication:      d("--replication", 3),
		SnapshotInterval: u("--snapshot-interval"),
		// A conservative figure for a modest node writing small rows;
		// real clusters vary by an order of magnitude, so measure yours.
		PerNodeOps:    d("--per-node-ops", 10000),
		Headroom:      d("--headroom", 0.3),
		WritesPerOp:   d("--writes-per-op", 1),
		EventsPerOp:   d("--events-per-op", 1),
		BytesPerEvent: u("--bytes-per-event"),
		SnapshotBytes: u("--snapshot-bytes"),
	}
}

// Measure fills the inputs not given by flag from a measured result: the
// codec, bytes per event, snapshot bytes, the replay fit and sweep cells.
// Inputs it cannot find stay unknown; Compute says which flag to pass.
func (in *Inputs) Measure(res *reports.Result, source string) {
	if in.Codec == "" && res.Environment.Codec != "" {
		in.Codec, in.CodecSource = res.Environment.Codec, "measured: "+source+" environment.codec"
	}
	sameCodec := in.Codec == res.Environment.Codec
	interval := int(in.SnapshotInterval.Value)
	if !in.SnapshotInterval.known() {
		if s := res.Sweep; s != nil && len(s.Recommendations) > 0 {
			// The sweep's recommendation for its longest history.
			best := s.Recommendations[0]
			for _, r := range s.Recommendations {
				if r.History > best.History {
					best = r
				}
			}
			interval = best.Interval
			in.SnapshotInterval.Value = float64(interval)
			in.SnapshotInterval.Source = fmt.Sprintf("measured: %s sweep recommendation for history %d", source, best.History)
		}
	}
	m := func(what string) string { return "measured: " + source + " " + what }
	if c := res.Capacity; c != nil && c.SustainableAchieved > 0 && in.PerNodeOps.Source == SourceDefault {
		// The capacity search's sustainable rate replaces the assumed
		// per-node figure. It is operations/s of the whole service against
		// the measured deployment, reads included, so taking it as replica
		// writes per node errs on the safe side for a one-node run.
		in.PerNodeOps = Input{Value: c.SustainableAchieved, Flag: in.PerNodeOps.Flag,
			Source: m(fmt.Sprintf("capacity sustainable rate (backend %s; every operation counted as a write)", res.Environment.Backend))}
	}
	if !in.BytesPerEvent.known() {
		switch {
		case sameCodec && replayBytes(res) != nil:
			r := replayBytes(res)
			in.BytesPerEvent = Input{Value: float64(r.Replay.Bytes) / float64(r.Replay.Replayed), Flag: in.BytesPerEvent.Flag,
				Source: m(fmt.Sprintf("run %q bytes_read ÷ events_replayed (loads without snapshots)", r.Name))}
		case sameCodec && noneCell(res) != nil:
			c := noneCell(res)
			in.BytesPerEvent = Input{Value: c.BytesPerStrm / float64(c.History), Flag: in.BytesPerEvent.Flag,
				Source: m(fmt.Sprintf("sweep cell h=%d,i=none bytes_per_stream ÷ history", c.History))}
		default:
			for _, c := range res.Codecs {
				if c.Label() == in.Codec && c.BytesPerEvent > 0 {
					in.BytesPerEvent = Input{Value: c.BytesPerEvent, Flag: in.BytesPerEvent.Flag,
						Source: m(fmt.Sprintf("codec cell %s bytes_per_event (payload only)", c.Label()))}
					break
				}
			}
		}
	}
	if !in.SnapshotBytes.known() && interval > 0 && sameCodec && in.BytesPerEvent.known() && res.Sweep != nil {
		// Write amplification (event + snapshot bytes written over event
		// bytes) at interval N writes (WA−1)·bytes/event·N per snapshot.
		var pick *reports.SweepCell
		for i := range res.Sweep.Cells {
			c := &res.Sweep.Cells[i]
			if c.Interval == interval && c.WriteAmplification > 1 && (pick == nil || c.History > pick.History) {
				pick = c
			}
		}
		if pick != nil {
			in.SnapshotBytes = Input{Value: (pick.WriteAmplification - 1) * in.BytesPerEvent.Value * float64(interval), Flag: in.SnapshotBytes.Flag,
				Source: m(fmt.Sprintf("sweep cell h=%d,i=%d (write_amplification−1)·bytes/event·interval", pick.History, interval))}
		}
	}
	if s := res.Sweep; s != nil && sameCodec {
		for _, c := range s.Cells {
			if c.Interval == interval && c.ReplayP99Ns > 0 {
				in.Cells = append(in.Cells, c)
			}
		}
		if len(in.Cells) > 0 {
			in.CellSource = m("sweep cells at interval " + reports.IntervalName(interval))
		}
	}
	if in.Fit == nil && sameCodec {
		want := "none"
		if interval > 0 {
			want = "every:" + strconv.Itoa(interval)
		}
		var any *reports.Run
		for i := range res.Runs {
			r := &res.Runs[i]
			if r.Replay == nil || !r.Replay.Fit.OK {
				continue
			}
			if !reports.FitMeaningful(r.Replay.Fit) {
				if in.FitRejected == "" {
					in.FitRejected = fmt.Sprintf("%s run %q replay fit has r² %.3f (below %g)", source, r.Name, r.Replay.Fit.R2, reports.MinFitR2)
				}
				continue
			}
			if r.Params["snapshot"] == want {
				any = r
				break
			}
			if any == nil {
				any = r
			}
		}
		if any != nil {
			f := any.Replay.Fit
			in.Fit = &f
			in.FitSource = m(fmt.Sprintf("run %q replay fit (snapshot policy %s)", any.Name, orNone(any.Params["snapshot"])))
		}
	}
}

func orNone(s string) string {
	if s == "" {
		return "unrecorded"
	}
	return s
}

// replayBytes is a run whose loads all replayed from the start, so its
// bytes read per event are event bytes alone.
func replayBytes(res *reports.Result) *reports.Run {
	for i := range res.Runs {
		r := &res.Runs[i]
		if rp := r.Replay; rp != nil && rp.FromSnapshot == 0 && rp.Replayed > 0 && rp.Bytes > 0 {
			return r
		}
	}
	return nil
}

func noneCell(res *reports.Result) *reports.SweepCell {
	if res.Sweep == nil {
		return nil
	}
	var pick *reports.SweepCell
	for i := range res.Sweep.Cells {
		c := &res.Sweep.Cells[i]
		if c.Interval == 0 && c.BytesPerStrm > 0 && c.History > 0 && (pick == nil || c.History > pick.History) {
			pick = c
		}
	}
	return pick
}

// Plan is a capacity projection and the inputs it came from.
type Plan struct {
	Inputs      Inputs
	Assumptions []string

	ActiveCustomers float64
	OpsPerSec       float64
	EventsPerDay    float64
	// BytesPerDay is event bytes written per day, all replicas.
	BytesPerDay float64
	// EventsPerStream is one customer's events over the retention.
	EventsPerStream    float64
	SnapshotsPerStream float64
	EventBytesTotal    float64
	SnapshotBytesTotal float64
	StorageBytes       float64
	// ReplicaWritesPerSec counts appends and snapshot writes on every
	// replica.
	ReplicaWritesPerSec float64
	Nodes               int
	// ReplayMeanNs and ReplayP99FitNs come from the fit (0 without one);
	// ReplayP99CellNs from the sweep cell nearest the projected history.
	ReplayMeanNs    float64
	ReplayP99FitNs  float64
	ReplayP99CellNs int64
	ReplayCell      *reports.SweepCell
}

func checkInput(i Input, what string, lo float64, loOpen bool, hi float64, hiOpen bool) error {
	if !i.known() {
		return fmt.Errorf("%w: %s (%s) is required", ErrInput, i.Flag, what)
	}
	v := i.Value
	bad := math.IsNaN(v) || math.IsInf(v, 0) || v < lo || (loOpen && v == lo) || v > hi || (hiOpen && v == hi)
	if bad {
		rng := fmt.Sprintf("%s%g, %g%s", map[bool]string{true: "(", false: "["}[loOpen], lo,
			hi, map[bool]string{true: ")", false: "]"}[hiOpen])
		if math.IsInf(hi, 1) {
			rng = fmt.Sprintf("%s%g, ∞)", map[bool]string{true: "(", false: "["}[loOpen], lo)
		}
		return fmt.Errorf("%w: %s = %g (%s, %s) must be in %s", ErrInput, i.Flag, v, what, i.Source, rng)
	}
	return nil
}

// Compute projects the plan. Formulas (see docs/plan.md):
//
//	active          = customers × active share
//	ops/s           = total ops/s, or active × ops/s per active customer
//	events/day      = ops/s × 86400 × events/op
//	bytes/day       = events/day × bytes/event × RF
//	events/stream   = events/day × retention / customers
//	snapshots/strm  = ⌊events/stream ÷ interval⌋ (every snapshot kept)
//	storage         = events/day × retention × bytes/event × RF + customers × snapshots/stream × snapshot bytes × RF
//	replica writes  = (ops/s × writes/op + ops/s × events/op ÷ interval) × RF
//	nodes           = max(RF, ⌈replica writes ÷ (per-node × (1 − headroom))⌉)
//	replay mean/p99 = A + B·(interval/2), A + B·(0.99·interval); with no snapshots A + B·events/stream
func Compute(in Inputs) (*Plan, error) {
	inf := math.Inf(1)
	checks := []error{
		checkInput(in.Customers, "customers", 0, true, inf, false),
		checkInput(in.ActiveShare, "daily active share", 0, true, 1, false),
		checkInput(in.RetentionDays, "retention in days", 0, true, inf, false),
		checkInput(in.Replication, "replication factor", 1, false, inf, false),
		checkInput(in.PerNodeOps, "writes/s per Cassandra node", 0, true, inf, false),
		checkInput(in.Headroom, "share of capacity kept free", 0, false, 1, true),
		checkInput(in.WritesPerOp, "writes per operation", 0, false, inf, false),
		checkInput(in.EventsPerOp, "events per operation", 0, false, inf, false),
		checkInput(in.SnapshotInterval, "events between snapshots, 0 for none", 0, false, inf, false),
	}
	if err := errors.Join(checks...); err != nil {
		return nil, err
	}
	switch {
	case in.OpsPerActive.known() && in.TotalOps.known():
		return nil, fmt.Errorf("%w: give %s or %s, not both", ErrInput, in.OpsPerActive.Flag, in.TotalOps.Flag)
	case in.OpsPerActive.known():
		if err := checkInput(in.OpsPerActive, "ops/s per active customer", 0, true, inf, false); err != nil {
			return nil, err
		}
	case in.TotalOps.known():
		if err := checkInput(in.TotalOps, "total ops/s", 0, true, inf, false); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%w: the load is required: give %s or %s", ErrInput, in.OpsPerActive.Flag, in.TotalOps.Flag)
	}
	if !in.BytesPerEvent.known() {
		return nil, fmt.Errorf("%w: no bytes-per-event measurement for codec %q in the result (it needs a replay without snapshots, a sweep cell without snapshots, or a codec cell): pass %s",
			ErrInput, in.Codec, in.BytesPerEvent.Flag)
	}
	if err := checkInput(in.BytesPerEvent, "stored bytes per event", 0, true, inf, false); err != nil {
		return nil, err
	}
	interval := in.SnapshotInterval.Value
	if interval > 0 {
		if !in.SnapshotBytes.known() {
			return nil, fmt.Errorf("%w: no snapshot-size measurement at interval %g in the result (it needs a sweep cell at that interval): pass %s",
				ErrInput, interval, in.SnapshotBytes.Flag)
		}
		if err := checkInput(in.SnapshotBytes, "bytes per snapshot", 0, false, inf, false); err != nil {
			return nil, err
		}
	}

	p := &Plan{Inputs: in}
	rf := in.Replication.Value
	p.ActiveCustomers = in.Customers.Value * in.ActiveShare.Value
	if in.TotalOps.known() {
		p.OpsPerSec = in.TotalOps.Value
	} else {
		p.OpsPerSec = p.ActiveCustomers * in.OpsPerActive.Value
	}
	eventsPerSec := p.OpsPerSec * in.EventsPerOp.Value
	p.EventsPerDay = eventsPerSec * 86400
	p.BytesPerDay = p.EventsPerDay * in.BytesPerEvent.Value * rf
	p.EventsPerStream = p.EventsPerDay * in.RetentionDays.Value / in.Customers.Value
	p.EventBytesTotal = p.BytesPerDay * in.RetentionDays.Value
	writes := p.OpsPerSec * in.WritesPerOp.Value
	if interval > 0 {
		p.SnapshotsPerStream = math.Floor(p.EventsPerStream / interval)
		p.SnapshotBytesTotal = in.Customers.Value * p.SnapshotsPerStream * in.SnapshotBytes.Value * rf
		writes += eventsPerSec / interval
	}
	p.StorageBytes = p.EventBytesTotal + p.SnapshotBytesTotal
	p.ReplicaWritesPerSec = writes * rf
	p.Nodes = int(math.Ceil(p.ReplicaWritesPerSec / (in.PerNodeOps.Value * (1 - in.Headroom.Value))))
	p.Nodes = max(p.Nodes, int(math.Ceil(rf)))

	p.Assumptions = append(p.Assumptions,
		"one event stream per customer, events spread evenly over customers and days",
		"every snapshot is kept for the retention (an upper bound when the store keeps only the latest)",
		"a node's throughput counts replica writes: each append and snapshot is written RF times")
	if in.PerNodeOps.Source == SourceDefault {
		p.Assumptions = append(p.Assumptions, fmt.Sprintf("per-node throughput %g writes/s is an assumed conservative figure: measure your nodes and pass %s",
			in.PerNodeOps.Value, in.PerNodeOps.Flag))
	}
	if f := in.Fit; f != nil && f.OK {
		xMean, xP99 := interval/2, 0.99*interval
		if interval == 0 {
			xMean, xP99 = p.EventsPerStream, p.EventsPerStream
			p.Assumptions = append(p.Assumptions, "without snapshots a load replays the whole stream: replay projected at events/stream (end of retention)")
		} else {
			p.Assumptions = append(p.Assumptions, "a load replays the tail after the latest snapshot, uniform over [0, interval): mean at interval/2, p99 at 0.99·interval; the fit's p99 ignores noise around the line, so it is a lower bound")
		}
		p.ReplayMeanNs = f.A + f.B*xMean
		p.ReplayP99FitNs = f.A + f.B*xP99
	}
	if len(in.Cells) > 0 {
		// The cell whose history is nearest the projected stream length.
		best := in.Cells[0]
		for _, c := range in.Cells[1:] {
			if math.Abs(float64(c.History)-p.EventsPerStream) < math.Abs(float64(best.History)-p.EventsPerStream) {
				best = c
			}
		}
		p.ReplayCell = &best
		p.ReplayP99CellNs = best.ReplayP99Ns
	}
	switch {
	case p.ReplayCell != nil || in.Fit != nil:
	case in.FitRejected != "":
		p.Assumptions = append(p.Assumptions, "replay latency not projected: "+in.FitRejected+
			", so load time does not follow events replayed there; a sweep (experiment: sweep) measures it per history length")
	default:
		p.Assumptions = append(p.Assumptions, "the result has no replay measurement for this codec: replay latency not projected")
	}
	return p, nil
}

// WriteMarkdown writes the plan as Markdown tables: inputs with their
// sources, assumptions, and outputs with their formulas.
func (p *Plan) WriteMarkdown(w io.Writer) error {
	bw := bufio.NewWriter(w)
	pr := func(format string, a ...any) { fmt.Fprintf(bw, format, a...) }
	in := p.Inputs
	pr("# esbench capacity plan\n\n## Inputs\n\n| input | value | source |\n|---|---:|---|\n")
	row := func(name string, i Input, unit string) {
		if !i.known() {
			return
		}
		pr("| %s (%s) | %s%s | %s |\n", name, i.Flag, num(i.Value), unit, i.Source)
	}
	row("customers", in.Customers, "")
	row("daily active share", in.ActiveShare, "")
	row("ops/s per active customer", in.OpsPerActive, "")
	row("total ops/s", in.TotalOps, "")
	row("retention", in.RetentionDays, " days")
	row("replication factor", in.Replication, "")
	row("snapshot interval", in.SnapshotInterval, " events")
	row("per-node throughput", in.PerNodeOps, " writes/s")
	row("headroom", in.Headroom, "")
	row("writes per operation", in.WritesPerOp, "")
	row("events per operation", in.EventsPerOp, "")
	row("bytes per event", in.BytesPerEvent, " B")
	if in.SnapshotInterval.Value > 0 {
		row("bytes per snapshot", in.SnapshotBytes, " B")
	}
	if in.Codec != "" {
		pr("| codec | %s | %s |\n", in.Codec, in.CodecSource)
	}
	if f := in.Fit; f != nil {
		pr("| replay fit | %s + %.1f ns × events (r² %.3f, %d loads) | %s |\n", reports.FormatNs(int64(f.A)), f.B, f.R2, f.N, in.FitSource)
	}
	if c := p.ReplayCell; c != nil {
		pr("| replay cell | h=%d, i=%s: p99 %s | %s |\n", c.History, reports.IntervalName(c.Interval), reports.FormatNs(c.ReplayP99Ns), in.CellSource)
	}
	pr("\n## Assumptions\n\n")
	for _, a := range p.Assumptions {
		pr("- %s\n", a)
	}
	pr("\n## Projection\n\n| output | value | formula |\n|---|---:|---|\n")
	out := func(name, value, formula string) { pr("| %s | %s | %s |\n", name, value, formula) }
	out("active customers", num(p.ActiveCustomers), "customers × active share")
	out("operations/s", num(p.OpsPerSec), opsFormula(in))
	out("events/day", num(p.EventsPerDay), "ops/s × 86400 × events/op")
	out("event bytes/day", bytesStr(p.BytesPerDay), "events/day × bytes/event × RF")
	out("events per stream", num(p.EventsPerStream), "events/day × retention ÷ customers")
	out("event storage", bytesStr(p.EventBytesTotal), "bytes/day × retention")
	if in.SnapshotInterval.Value > 0 {
		out("snapshots per stream", num(p.SnapshotsPerStream), "⌊events per stream ÷ interval⌋")
		out("snapshot storage", bytesStr(p.SnapshotBytesTotal), "customers × snapshots/stream × snapshot bytes × RF")
	}
	out("total storage", bytesStr(p.StorageBytes), "event + snapshot storage")
	out("replica writes/s", num(p.ReplicaWritesPerSec), "(ops/s × writes/op + events/s ÷ interval) × RF")
	out("Cassandra nodes", strconv.Itoa(p.Nodes), "max(RF, ⌈replica writes/s ÷ (per-node × (1 − headroom))⌉)")
	if in.Fit != nil && in.Fit.OK {
		if in.SnapshotInterval.Value > 0 {
			out("replay mean (fit)", reports.FormatNs(int64(p.ReplayMeanNs)), "A + B × interval/2")
			out("replay p99 (fit)", reports.FormatNs(int64(p.ReplayP99FitNs)), "A + B × 0.99·interval")
		} else {
			out("replay at end of retention (fit)", reports.FormatNs(int64(p.ReplayMeanNs)), "A + B × events per stream")
		}
	}
	if c := p.ReplayCell; c != nil {
		out("replay p99 (measured)", reports.FormatNs(p.ReplayP99CellNs), fmt.Sprintf("sweep cell h=%d, i=%s", c.History, reports.IntervalName(c.Interval)))
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("plan: writing plan: %w", err)
	}
	return nil
}

func opsFormula(in Inputs) string {
	if in.TotalOps.known() {
		return "total ops/s"
	}
	return "active × ops/s per active customer"
}

// num renders a count compactly but exactly enough to check by hand.
func num(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', 6, 64)
}

func bytesStr(b float64) string {
	units := []string{"B", "KB", "MB", "GB", "TB", "PB"}
	i := 0
	v := b
	for v >= 1000 && i < len(units)-1 {
		v /= 1000
		i++
	}
	s := strconv.FormatFloat(v, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s + " " + units[i]
}
