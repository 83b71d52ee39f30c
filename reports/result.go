// Package reports holds the result schema of an esbench run and its writers:
// result.json (the source of truth), summary.md, HdrHistogram interval logs
// and the console summary table.
package reports

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"
)

// SchemaVersion identifies the layout of result.json. Readers reject other
// versions rather than misreading them.
const SchemaVersion = "esbench/result/v1"

// Result is everything one esbench invocation measured.
type Result struct {
	Schema string `json:"schema"`
	// Experiment names what was run ("mixed", "replay", "sweep", ...).
	Experiment string `json:"experiment"`
	// Workload is the resolved workload specification.
	Workload    json.RawMessage `json:"workload,omitempty"`
	Environment Environment     `json:"environment"`
	Started     time.Time       `json:"started"`
	Finished    time.Time       `json:"finished"`
	// Partial is set when the run was stopped early (Ctrl-C, SIGTERM, an
	// error); PartialReason says why.
	Partial       bool   `json:"partial"`
	PartialReason string `json:"partial_reason,omitempty"`
	// Alerts are the problems the summary states at its top (see Alerts):
	// errors or fallbacks above AlertShare of the measured operations,
	// diverged streams.
	Alerts []string `json:"alerts,omitempty"`
	// AlertShare is the share of measured operations above which errors or
	// fallbacks raise an alert (0..1).
	AlertShare float64 `json:"alert_share"`
	// FaultEvents are the node actions of the run's fault windows, in
	// order (offsets from the measured run's start).
	FaultEvents []FaultEvent `json:"fault_events,omitempty"`
	// Runs holds one measured configuration each (a mixed run has one, a
	// sweep one per cell).
	Runs []Run `json:"runs"`
	// Sweep is set by the snapshot-interval sweep.
	Sweep *Sweep `json:"sweep,omitempty"`
	// BreakEven compares replay with and without snapshots, when both ran.
	BreakEven *BreakEven `json:"break_even,omitempty"`
	// Codecs is set by the codec matrix: one cell per codec (see CodecCell).
	Codecs []CodecCell `json:"codecs,omitempty"`
	// Files lists the other files written beside result.json (relative).
	Files []string `json:"files,omitempty"`
	// Process is the harness's own memory use when the run ended.
	Process *Process `json:"process,omitempty"`
	// Capacity is set by the capacity experiment; each step is also one of
	// Runs, with its full histograms.
	Capacity *Capacity `json:"capacity,omitempty"`
	// Thresholds are the workload's thresholds as run evaluated them at the
	// end of the run (relative ones are left to compare).
	Thresholds []ThresholdResult `json:"thresholds,omitempty"`
	// Merged is set on a result combined from shards by Merge.
	Merged *Merged `json:"merged,omitempty"`
	// StartAt is set when the run was told to begin its measured phase at
	// an agreed instant (esbench run --start-at), as the shards of one
	// sharded run are.
	StartAt *StartAt `json:"start_at,omitempty"`
	// Preload describes how the population's histories got into the store,
	// when they were loaded in ranges or reused from a dataset.
	Preload *Preload `json:"preload,omitempty"`
}

// StartAt records how a run met its agreed start instant: the shards of a
// run on several machines start together only as well as their clocks
// agree, so each records what it saw.
type StartAt struct {
	// At is the agreed instant; Began is when this process began its
	// warmup by its own clock, and LateNs how far after At that was (more
	// than a few milliseconds when its preload ended after At).
	At     time.Time `json:"at"`
	Began  time.Time `json:"began"`
	LateNs int64     `json:"late_ns"`
	// The kernel's view of this machine's clock when it began (Linux
	// adjtimex): whether it is synchronised (NTP), and its estimated and
	// maximum error, bounds of its skew against true time. Known is false
	// where the kernel does not say.
	ClockKnown      bool  `json:"clock_known"`
	ClockSynced     bool  `json:"clock_synced"`
	ClockEstErrorNs int64 `json:"clock_est_error_ns"`
	ClockMaxErrorNs int64 `json:"clock_max_error_ns"`
}

// Preload is what the range preload did (docs/design.md §16).
type Preload struct {
	// Method is "ranges" (loaded here at storage speed) or "dataset"
	// (reused from an earlier esbench preload).
	Method string `json:"method"`
	// Dataset is the dataset's directory or keyspace when one was used.
	Dataset string `json:"dataset,omitempty"`
	// Customers and AccountEvents count what this preload wrote (account
	// streams' events, the unit of history length); Ranges the ranges it
	// committed, Resumed those an earlier, interrupted preload had.
	Customers     int64 `json:"customers"`
	AccountEvents int64 `json:"account_events"`
	// Events counts every stream's events written.
	Events  int64 `json:"events"`
	Ranges  int   `json:"ranges"`
	Resumed int   `json:"resumed,omitempty"`
	// Refused counts history operations the service refused (nothing
	// written for them); a preload with refusals fails.
	Refused int64   `json:"refused,omitempty"`
	Seconds float64 `json:"seconds"`
	// Audited customers were decided again and compared with the store.
	Audited int `json:"audited"`
}

// New returns an empty Result of the current schema.
func New(experiment string) *Result {
	return &Result{Schema: SchemaVersion, Experiment: experiment}
}

// Run is one measured configuration.
type Run struct {
	Name string `json:"name"`
	// Params are the configuration's settings (backend options, snapshot
	// interval, history length, ...).
	Params map[string]string `json:"params,omitempty"`
	// Mode is "open" (arrival schedule, latency corrected for coordinated
	// omission) or "closed" (each worker waits for its previous operation;
	// corrected latency equals service time).
	Mode         string    `json:"mode"`
	Workers      int       `json:"workers"`
	Started      time.Time `json:"started"`
	MeasureStart time.Time `json:"measure_start"`
	Finished     time.Time `json:"finished"`
	WarmupNs     int64     `json:"warmup_ns"`
	MeasuredNs   int64     `json:"measured_ns"`
	// TargetRate and AchievedRate are operations per second.
	TargetRate   float64 `json:"target_rate,omitempty"`
	AchievedRate float64 `json:"achieved_rate"`
	// Executed counts every operation run, warmup included; Recorded only
	// the measured ones.
	Executed int64 `json:"executed"`
	Recorded int64 `json:"recorded"`
	Errors   int64 `json:"errors"`
	// Late counts measured operations whose start lagged the schedule by
	// more than LateThresholdNs.
	Late int64 `json:"late"`
	// GeneratorLate counts the late operations whose worker was free at
	// their intended start: their lag is the load generator's (or this
	// machine's) delay in starting them, not the target's backlog.
	GeneratorLate int64 `json:"generator_late,omitempty"`
	// Missed counts operations scheduled inside the measured period that
	// never started because their worker was still behind when the run
	// ended (open loop only).
	Missed          int64    `json:"missed,omitempty"`
	LateThresholdNs int64    `json:"late_threshold_ns"`
	StartLag        *Latency `json:"start_lag,omitempty"`
	// CPU is the esbench process's own CPU use during the measured period
	// (nil in results written before it was recorded).
	CPU *CPUUse `json:"cpu,omitempty"`
	// Operations holds per-operation statistics, sorted by name.
	Operations []OpStats     `json:"operations"`
	Replay     *ReplayReport `json:"replay,omitempty"`
	// ErrorSamples holds, per outcome class (unavailable, fallback, ...), the
	// first few distinct error messages of measured operations; for
	// fallbacks, the store failure that was answered permissively.
	ErrorSamples map[string][]string `json:"error_samples,omitempty"`
	// FaultWindows reports the run's fault windows, each on its own.
	FaultWindows []FaultWindow `json:"fault_windows,omitempty"`
	// Extra holds run-specific figures (bytes stored, write amplification).
	Extra         map[string]float64 `json:"extra,omitempty"`
	Partial       bool               `json:"partial,omitempty"`
	PartialReason string             `json:"partial_reason,omitempty"`
}

// OpStats is one operation's measurements across outcomes.
type OpStats struct {
	Op    string `json:"op"`
	Count int64  `json:"count"`
	// Rate is measured operations per second; TargetRate, when known, the
	// share of the run's target rate meant for this operation.
	Rate       float64 `json:"rate"`
	TargetRate float64 `json:"target_rate,omitempty"`
	Late       int64   `json:"late"`
	// Errors counts the operation's outcomes that are errors, by class.
	Errors map[string]int64 `json:"errors,omitempty"`
	// Corrected and Service merge every outcome of the operation.
	Corrected Latency `json:"corrected"`
	Service   Latency `json:"service"`
	// Outcomes breaks the operation down by outcome (ok, denied, fallback,
	// conflict, unavailable, invalid, other).
	Outcomes []OutcomeStats `json:"outcomes"`
}

// OutcomeStats is one operation-and-outcome series.
type OutcomeStats struct {
	Outcome   string  `json:"outcome"`
	Error     bool    `json:"error"`
	Count     int64   `json:"count"`
	Late      int64   `json:"late"`
	Corrected Latency `json:"corrected"`
	Service   Latency `json:"service"`
}

// ReplayReport is the replay measurement of a run.
type ReplayReport struct {
	Loads        int64 `json:"loads"`
	FromSnapshot int64 `json:"from_snapshot"`
	Replayed     int64 `json:"events_replayed"`
	Bytes        int64 `json:"bytes_read"`
	// PhaseSampled counts the replayed events timed phase by phase. The
	// reference service times one event in 16 (and each replay as a whole)
	// and splits the replay time into event_read, decode and apply in the
	// sample's proportions, so those three phases are estimates; 0 when the
	// target does not say.
	PhaseSampled int64 `json:"phase_sampled_events,omitempty"`
	// Phases holds snapshot_read, event_read, decode, apply and total.
	Phases []PhaseStats `json:"phases"`
	// Buckets group loads by events replayed (1-2-5 bins).
	Buckets []BucketStats `json:"buckets"`
	// Fit is load time ≈ A + B·events (ns, ns per event).
	Fit LinearFit `json:"fit"`
}

// PhaseStats is the latency of one load phase.
type PhaseStats struct {
	Phase   string  `json:"phase"`
	Latency Latency `json:"latency"`
}

// BucketStats is the load time of loads that replayed [Lower, Upper) events
// (Upper 0: no upper bound).
type BucketStats struct {
	Lower      int64   `json:"lower"`
	Upper      int64   `json:"upper,omitempty"`
	MeanEvents float64 `json:"mean_events"`
	Total      Latency `json:"total"`
}

// LinearFit is y ≈ A + B·x from least squares, with r².
type LinearFit struct {
	A  float64 `json:"a_ns"`
	B  float64 `json:"b_ns_per_event"`
	R2 float64 `json:"r2"`
	N  int64   `json:"n"`
	OK bool    `json:"ok"`
	// MeanX and MeanY are the means of the points (events, ns).
	MeanX float64 `json:"mean_events"`
	MeanY float64 `json:"mean_ns"`
}

// BreakEven compares loading from a snapshot with replaying from scratch.
type BreakEven struct {
	// WithoutSnapshots and WithSnapshots name the runs compared.
	WithoutSnapshots string    `json:"without_snapshots"`
	WithSnapshots    string    `json:"with_snapshots"`
	Without          LinearFit `json:"without"`
	With             LinearFit `json:"with"`
	// Events is the history length at which replaying from scratch costs as
	// much as loading a snapshot with an empty tail; 0 when undetermined.
	Events float64 `json:"events"`
	OK     bool    `json:"ok"`
}

// ComputeBreakEven returns the events at which a from-scratch replay (fit
// without) costs as much as a snapshot load with no tail. That cost is the
// snapshot loads' mean time less their mean tail at the from-scratch fit's
// cost per event: their own line spans at most one snapshot interval of
// tails, too narrow to pin its intercept against the spread in snapshot
// sizes, and is undetermined when every tail is equal. Only a with fit that
// lacks its means is taken at its intercept. A from-scratch fit with r²
// under MinFitR2 gives none: its slope would be a line through noise.
func ComputeBreakEven(without, with LinearFit) (events float64, ok bool) {
	if !FitMeaningful(without) || without.B <= 0 || with.N == 0 {
		return 0, false
	}
	withA := with.A
	if !with.OK || with.MeanY > 0 {
		withA = with.MeanY - without.B*with.MeanX
	}
	ev := (withA - without.A) / without.B
	if ev < 0 {
		return 0, true
	}
	return ev, true
}

// Sweep is the snapshot-interval sweep: one cell per interval and history
// length, and the interval recommended per history length.
type Sweep struct {
	// TargetP99Ns is the replay p99 the recommendation must meet.
	TargetP99Ns int64 `json:"target_p99_ns"`
	// Note says how the measured histories were made (their spread).
	Note            string           `json:"note,omitempty"`
	Cells           []SweepCell      `json:"cells"`
	Recommendations []Recommendation `json:"recommendations"`
}

// SweepCell is one (snapshot interval, history length) configuration.
type SweepCell struct {
	// Interval 0 means no snapshots.
	Interval int `json:"interval"`
	History  int `json:"history"`
	// Run names the Run holding the cell's full measurements.
	Run          string `json:"run"`
	ReplayP50Ns  int64  `json:"replay_p50_ns"`
	ReplayP99Ns  int64  `json:"replay_p99_ns"`
	ReplayP999Ns int64  `json:"replay_p999_ns"`
	// Loads is how many loads the cell's replay percentiles rest on.
	Loads int64 `json:"loads,omitempty"`
	// ReplayP99LowNs and ReplayP99HighNs bound the replay p99 with 95 %
	// confidence (order statistics of the cell's histogram, see
	// percentile.Interval). ReplayP99HighNs is 0 when the cell has too few
	// loads to bound its p99 from above.
	ReplayP99LowNs  int64 `json:"replay_p99_ci_low_ns,omitempty"`
	ReplayP99HighNs int64 `json:"replay_p99_ci_high_ns,omitempty"`
	// AppendP99Ns is the 99th percentile service time of the preload's
	// appends to this history length's customers: each one atomic append of
	// up to bench.PreloadBatch events of one customer's history, plus the
	// snapshots the interval calls for in them (of one preload command when
	// the system cannot preload in bulk).
	AppendP99Ns  int64   `json:"append_p99_ns"`
	BytesPerStrm float64 `json:"bytes_per_stream"`
	// WriteAmplification is bytes stored (events plus snapshots) over event
	// bytes alone.
	WriteAmplification float64 `json:"write_amplification"`
}

// Recommendation names the snapshot interval that meets the replay target
// at the least storage for one history length.
type Recommendation struct {
	History  int  `json:"history"`
	Interval int  `json:"interval"`
	Met      bool `json:"met"`
	// Uncertain is set when the chosen cell's p99 confidence interval
	// includes the target (or has no upper bound): another run may well
	// choose differently.
	Uncertain bool `json:"uncertain,omitempty"`
	// Reason explains the choice, including when no interval met the target.
	Reason string `json:"reason"`
}

// Recommend picks, per history length, the cheapest cell (least bytes per
// stream; equal bytes: the larger interval, which writes snapshots less
// often) whose replay p99 is not over the target with 95 % confidence.
//
// A cell whose p99 confidence interval includes the target is tied with it:
// the data cannot tell on which side the cell is, and the tie goes to the
// cheaper configuration, so that noise moving a cell's point estimate
// across the target does not change the recommendation (the rule of
// docs/design.md, "Sweep recommendation"). Such a choice is marked
// uncertain; Met says whether its point estimate is at or under the target.
// Cells with the same bytes per stream wrote the same data (intervals
// longer than the histories write no snapshot): one configuration, so one
// of them under the target stands for all. When every cell is over the
// target with confidence, it names the fastest, the cells whose intervals
// overlap the fastest's being tied with it and the cheapest of them chosen.
func Recommend(cells []SweepCell, targetP99Ns int64) []Recommendation {
	byHistory := map[int][]SweepCell{}
	var order []int
	for _, c := range cells {
		if _, ok := byHistory[c.History]; !ok {
			order = append(order, c.History)
		}
		byHistory[c.History] = append(byHistory[c.History], c)
	}
	var out []Recommendation
	for _, h := range order {
		if rec, ok := recommend(byHistory[h], targetP99Ns); ok {
			out = append(out, rec)
		}
	}
	return out
}

// cheaper reports whether c costs less to store than than (nil: anything
// does): fewer bytes per stream, or the same bytes and snapshots written
// less often.
func cheaper(c, than *SweepCell) bool {
	return than == nil || c.BytesPerStrm < than.BytesPerStrm ||
		(c.BytesPerStrm == than.BytesPerStrm && intervalRank(c.Interval) > intervalRank(than.Interval))
}

// p99Bounds is the cell's p99 confidence interval; without one (results
// written before intervals were kept) both ends are the point estimate,
// and without an upper bound (too few loads) the upper end is unbounded.
func p99Bounds(c *SweepCell) (lo, hi int64) {
	switch {
	case c.Loads == 0:
		return c.ReplayP99Ns, c.ReplayP99Ns
	case c.ReplayP99HighNs == 0:
		return c.ReplayP99LowNs, math.MaxInt64
	}
	return c.ReplayP99LowNs, c.ReplayP99HighNs
}

// recommend applies Recommend's rule to the cells of one history length.
func recommend(cells []SweepCell, targetP99Ns int64) (Recommendation, bool) {
	var best, fastest *SweepCell
	for i := range cells {
		c := &cells[i]
		if fastest == nil || c.ReplayP99Ns < fastest.ReplayP99Ns {
			fastest = c
		}
		if lo, _ := p99Bounds(c); lo <= targetP99Ns && cheaper(c, best) {
			best = c
		}
	}
	if fastest == nil {
		return Recommendation{}, false
	}
	if best == nil {
		// Every cell is over the target with confidence: the fastest, or
		// the cheapest of the cells the data cannot tell from it.
		_, fhi := p99Bounds(fastest)
		pick := fastest
		for i := range cells {
			c := &cells[i]
			if lo, _ := p99Bounds(c); lo <= fhi && cheaper(c, pick) {
				pick = c
			}
		}
		rec := Recommendation{History: pick.History, Interval: pick.Interval,
			Reason: fmt.Sprintf("no interval meets target %s; fastest replay p99 is %s", FormatNs(targetP99Ns), FormatNs(fastest.ReplayP99Ns))}
		if pick != fastest {
			rec.Reason += fmt.Sprintf(" (interval %s), whose 95%% interval overlaps that of the cheaper interval %s (p99 %s), chosen",
				IntervalName(fastest.Interval), IntervalName(pick.Interval), FormatNs(pick.ReplayP99Ns))
		}
		return rec, true
	}
	// Cells with best's bytes are the same configuration: the tie-break
	// among them is the interval's, not their measurements', and the
	// measurement best placed under the target speaks for them all (a stall
	// in one measurement's loads does not make the configuration worse).
	evidence := best
	for i := range cells {
		c := &cells[i]
		if c.BytesPerStrm != best.BytesPerStrm {
			continue
		}
		_, hi := p99Bounds(c)
		_, ehi := p99Bounds(evidence)
		if hi < ehi || (hi == ehi && c.ReplayP99Ns < evidence.ReplayP99Ns) {
			evidence = c
		}
	}
	for i := range cells {
		if c := &cells[i]; c.BytesPerStrm == best.BytesPerStrm && cheaper(c, best) {
			best = c
		}
	}
	rec := Recommendation{History: best.History, Interval: best.Interval, Met: evidence.ReplayP99Ns <= targetP99Ns}
	verb := "≤"
	if !rec.Met {
		verb = ">"
	}
	rec.Reason = fmt.Sprintf("replay p99 %s %s target %s at %.0f bytes/stream", FormatNs(evidence.ReplayP99Ns), verb, FormatNs(targetP99Ns), best.BytesPerStrm)
	if evidence != best {
		rec.Reason += fmt.Sprintf(", measured as interval %s, which wrote the same bytes", IntervalName(evidence.Interval))
	}
	if why := uncertainty(evidence, targetP99Ns); why != "" {
		rec.Uncertain = true
		rec.Reason += " (uncertain: " + why + "; a tie with the target goes to the cheaper configuration)"
	}
	return rec, true
}

// uncertainty says why c's p99 cannot be placed on one side of the target
// with 95 % confidence, or "" when it can (or the cell has no interval).
func uncertainty(c *SweepCell, targetP99Ns int64) string {
	switch {
	case c.Loads == 0:
		return ""
	case c.ReplayP99HighNs == 0 && c.ReplayP99LowNs <= targetP99Ns:
		return fmt.Sprintf("%d loads are too few to bound the p99 from above", c.Loads)
	case c.ReplayP99HighNs > 0 && c.ReplayP99LowNs <= targetP99Ns && targetP99Ns <= c.ReplayP99HighNs:
		return fmt.Sprintf("the p99's 95%% interval %s..%s includes the target", FormatNs(c.ReplayP99LowNs), FormatNs(c.ReplayP99HighNs))
	}
	return ""
}

// intervalRank orders intervals by how rarely they snapshot: "none" (0)
// snapshots least of all.
func intervalRank(interval int) int {
	if interval == 0 {
		return int(^uint(0) >> 1)
	}
	return interval
}

// IntervalName renders a snapshot interval (0 is "none").
func IntervalName(interval int) string {
	if interval == 0 {
		return "none"
	}
	return fmt.Sprint(interval)
}

// WriteJSON writes r as indented JSON.
func WriteJSON(w io.Writer, r *Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("reports: encoding result: %w", err)
	}
	return nil
}

// ErrSchema is returned (wrapped) for a result file of another schema.
var ErrSchema = errors.New("reports: unsupported result schema")

// ReadJSON decodes a result and checks its schema version.
func ReadJSON(r io.Reader) (*Result, error) {
	var res Result
	dec := json.NewDecoder(r)
	if err := dec.Decode(&res); err != nil {
		return nil, fmt.Errorf("reports: decoding result: %w", err)
	}
	if res.Schema != SchemaVersion {
		return nil, fmt.Errorf("%w: schema %q, want %q", ErrSchema, res.Schema, SchemaVersion)
	}
	return &res, nil
}

// ReadFile reads a result.json file.
func ReadFile(path string) (*Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reports: %w", err)
	}
	defer f.Close()
	res, err := ReadJSON(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return res, nil
}

// Merged records, in a merged result, which shard results it combines and
// how its measured window was chosen.
type Merged struct {
	// Shards lists the inputs in shard order.
	Shards []MergedShard `json:"shards"`
	// Complete is true when the shards cover every i of their common n.
	Complete bool `json:"complete"`
	// Window says how each run's MeasuredNs (and so its rates) was derived.
	Window string `json:"window"`
	// Notes lists what the merge could not combine exactly.
	Notes []string `json:"notes,omitempty"`
}

// MergedShard is one input of a merge.
type MergedShard struct {
	Shard    string    `json:"shard"`
	Source   string    `json:"source,omitempty"`
	Hostname string    `json:"hostname,omitempty"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	Partial  bool      `json:"partial,omitempty"`
}

// Verdicts of a threshold evaluated by run.
const (
	ThresholdPass = "pass"
	ThresholdFail = "FAIL"
	// ThresholdNoData: the run has no such metric (for example an outcome
	// that never occurred); nothing to hold to the limit, not a failure.
	ThresholdNoData = "no data"
	// ThresholdCompareOnly: a relative threshold, which needs a base run
	// and is evaluated by compare.
	ThresholdCompareOnly = "compare only"
)

// ThresholdResult is one threshold checked against a run's own figures.
type ThresholdResult struct {
	Threshold string `json:"threshold"`
	Metric    string `json:"metric"`
	// Value is the metric's value in its unit (ns for latencies, a
	// fraction for error rates); nil without data.
	Value *float64 `json:"value,omitempty"`
	// Unit is "ns", "fraction", "ops/s", "count", "bytes" or "ratio".
	Unit    string `json:"unit,omitempty"`
	Verdict string `json:"verdict"`
	Failed  bool   `json:"failed"`
}

// FormatValue renders the threshold's value in its unit.
func (t ThresholdResult) FormatValue() string {
	if t.Value == nil {
		return "-"
	}
	v := *t.Value
	switch t.Unit {
	case "ns":
		return FormatNs(int64(v))
	case "fraction":
		return fmt.Sprintf("%.3g%%", 100*v)
	case "ops/s":
		return fmt.Sprintf("%.1f/s", v)
	}
	return fmt.Sprintf("%.4g", v)
}

// FaultWindow is what happened during one fault window of a run: the
// operations whose intended start fell inside it, by outcome; the
// permissive fallbacks (count, share, latency); sample error messages; and
// how long after the window the run took to recover.
type FaultWindow struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
	// StartNs and EndNs are offsets from the run's start, warmup included.
	StartNs  int64            `json:"start_ns"`
	EndNs    int64            `json:"end_ns"`
	Ops      int64            `json:"ops"`
	Outcomes map[string]int64 `json:"outcomes,omitempty"`
	Errors   int64            `json:"errors"`
	// Fallbacks counts permissive answers; FallbackShare is their share of
	// Ops; FallbackLatency their corrected latency.
	Fallbacks       int64               `json:"fallbacks"`
	FallbackShare   float64             `json:"fallback_share"`
	FallbackLatency *Latency            `json:"fallback_latency,omitempty"`
	ErrorSamples    map[string][]string `json:"error_samples,omitempty"`
	// RecoveryNs is the start of the first second after the window in
	// which at most the alert share of operations found the store
	// unavailable or fell back (0: at once); -1 when that did not happen
	// within two minutes or before the run ended. Other errors after a
	// window (a release of a licence whose grant failed is invalid) are the
	// domain's after-effects, not the store's recovery.
	RecoveryNs int64 `json:"recovery_ns"`
	// ObservedAfterNs is how long after the window operations were still
	// issued (the latest one, within the two-minute horizon): with
	// RecoveryNs -1 it tells a run that ended too soon to see a recovery
	// from one that did not recover in that time.
	ObservedAfterNs int64 `json:"observed_after_ns"`
}

// FaultEvent is one node action of a fault window (SIGSTOP, SIGCONT,
// SIGKILL, restart) and its error, if it failed.
type FaultEvent struct {
	AtNs   int64  `json:"at_ns"`
	Action string `json:"action"`
	Error  string `json:"error,omitempty"`
}

// Capacity is the outcome of a capacity search: the highest arrival rate at
// which every SLO held, the first at which one broke, and every step.
type Capacity struct {
	// SLOs are the limits every step was held to, as written.
	SLOs []string `json:"slos"`
	// SustainableRate is the highest target rate (ops/s) whose step met
	// every SLO (0: not even the starting rate did).
	SustainableRate float64 `json:"sustainable_rate"`
	// SustainableAchieved is the rate that step actually achieved.
	SustainableAchieved float64 `json:"sustainable_achieved"`
	// FirstFailingRate is the lowest target rate whose step broke an SLO
	// (0: none did up to MaxRate, so SustainableRate is a lower bound).
	FirstFailingRate float64 `json:"first_failing_rate,omitempty"`
	// FailedSLOs are the SLOs broken at FirstFailingRate.
	FailedSLOs []string `json:"failed_slos,omitempty"`
	// MaxRate, MinRate, Growth and Resolution are the search's settings.
	MaxRate    float64 `json:"max_rate"`
	MinRate    float64 `json:"min_rate"`
	Growth     float64 `json:"growth"`
	Resolution float64 `json:"resolution"`
	// StepState says what state each step started from: CapacityForked
	// or CapacityCumulative (empty in results written before it existed:
	// cumulative).
	StepState string `json:"step_state,omitempty"`
	// Steps are in the order they ran.
	Steps []CapacityStep `json:"steps"`
	// Stopped says why the search ended.
	Stopped string `json:"stopped"`
}

// The states a capacity step starts from (Capacity.StepState).
const (
	// CapacityForked: every step ran on a fork of the preloaded store (a
	// checkpoint), with the operation streams from their start: the state
	// a fixed-rate run on a fresh preload starts from.
	CapacityForked = "forked"
	// CapacityCumulative: the steps ran one after another on one store,
	// each on what the preload and the steps before it left.
	CapacityCumulative = "cumulative"
)

// StepStateText says in words what state the steps started from.
func (c *Capacity) StepStateText() string {
	if c.StepState == CapacityForked {
		return "each on a fork of the preloaded store, with the operation streams from their start (as a fixed-rate run on a fresh preload)"
	}
	return "one after another on one store, each on what the preload and the steps before it left"
}

// CapacityStep is one rate tried.
type CapacityStep struct {
	// Run names the step's entry in Result.Runs.
	Run          string  `json:"run"`
	TargetRate   float64 `json:"target_rate"`
	AchievedRate float64 `json:"achieved_rate"`
	// Phase is "step" (geometric growth), "step down" (geometric descent
	// after a failing start) or "bisect".
	Phase string `json:"phase"`
	// P50Ns and P99Ns are the corrected latency of all operations together.
	P50Ns int64 `json:"p50_ns"`
	P99Ns int64 `json:"p99_ns"`
	// Shares of measured operations: errors, fallbacks and late starts.
	ErrorShare    float64 `json:"error_share"`
	FallbackShare float64 `json:"fallback_share"`
	LateShare     float64 `json:"late_share"`
	Passed        bool    `json:"passed"`
	// Failed lists the SLOs the step broke, with the measured value.
	Failed []string `json:"failed,omitempty"`
}

// Verdict states the search's outcome in one sentence.
func (c *Capacity) Verdict() string {
	switch {
	case c.SustainableRate == 0 && c.FirstFailingRate > 0:
		return fmt.Sprintf("no rate tried met every SLO (lowest tried %.1f/s broke %s; %s)",
			c.FirstFailingRate, strings.Join(c.FailedSLOs, "; "), c.Stopped)
	case c.FirstFailingRate == 0:
		return fmt.Sprintf("sustainable rate at least %.1f/s (achieved %.1f/s): %s", c.SustainableRate, c.SustainableAchieved, c.Stopped)
	}
	return fmt.Sprintf("sustainable rate %.1f/s (achieved %.1f/s); first failing rate %.1f/s broke %s (%s)",
		c.SustainableRate, c.SustainableAchieved, c.FirstFailingRate, strings.Join(c.FailedSLOs, "; "), c.Stopped)
}
