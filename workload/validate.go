package workload

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/esbench/esbench/thresholds"
)

// Limits of the model.
const (
	MaxCustomers   = 100_000_000
	MaxTitles      = 1_000_000
	MaxStudios     = 100_000
	MaxDevices     = 16
	MaxHistory     = 1_000_000
	MaxWorkers     = 100_000
	maxPlanDevices = MaxDevices
	// MaxRate is the highest open-loop rate (ops/s, all workers of a shard)
	// the runner can schedule: intended starts are nanosecond offsets, and
	// at the end of a run the arrivals a stalled target never started are
	// counted one by one, which must stay quick. Drive more load with more
	// shards (--shard i/n) on more machines.
	MaxRate = 1_000_000
	// MaxWarmup bounds the warmup; MaxDuration the measured duration (and
	// the stages' total). Longer runs are soak tests for several runs.
	MaxWarmup   = 24 * time.Hour
	MaxDuration = 30 * 24 * time.Hour
	// MaxOperations bounds an operation-count run.
	MaxOperations = 1_000_000_000_000
)

// ErrShard is returned for a malformed or impossible shard.
var ErrShard = errors.New("invalid shard")

// Shard is the i-th of n parts of the customer space.
type Shard struct {
	Index, Count int
}

// String renders the shard as "i/n".
func (s Shard) String() string { return strconv.Itoa(s.Index) + "/" + strconv.Itoa(s.Count) }

// ParseShard reads "i/n" with 0 ≤ i < n.
func ParseShard(s string) (Shard, error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Shard{}, fmt.Errorf("%w: want i/n such as 0/4, got %q", ErrShard, s)
	}
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("%w: want i/n with integers, got %q", ErrShard, s)
	}
	if n < 1 {
		return Shard{}, fmt.Errorf("%w: shard count must be ≥ 1, got %q", ErrShard, s)
	}
	if i < 0 || i >= n {
		return Shard{}, fmt.Errorf("%w: shard index must be in [0, %d), got %q", ErrShard, n, s)
	}
	return Shard{Index: i, Count: n}, nil
}

// Range returns the contiguous customer ids [lo, hi) of shard s of a
// population of n: contiguous ranges make overlap checks on merge trivial.
func (s Shard) Range(n uint64) (lo, hi uint64) {
	return splitRange(n, uint64(s.Index), uint64(s.Count))
}

// splitRange splits [0, n) into parts nearly equal contiguous ranges.
func splitRange(n, part, parts uint64) (lo, hi uint64) {
	q, r := n/parts, n%parts
	lo = part*q + min(part, r)
	hi = lo + q
	if part < r {
		hi++
	}
	return lo, hi
}

// ShardOf returns the shard (Index) of the spec; call after Validate.
func (s *Spec) ShardOf() Shard {
	sh, _ := ParseShard(s.Shard)
	return sh
}

// resolve fills values derived from others after decoding.
func (s *Spec) resolve() {
	for i := range s.Faults {
		s.Faults[i].resolve()
	}
	h := &s.Population.History
	if h.Distribution == HistoryGroups && len(h.Lengths) == 0 {
		h.Lengths = append([]int(nil), s.Sweep.Histories...)
	}
	if s.Arrival.Mode == ModeClosed && (s.src == nil || s.src.lines["arrival.rate"] == 0) {
		// A closed loop has no rate: the default's must not show in the
		// resolved workload as if it applied.
		s.Arrival.Rate = 0
	}
	if len(s.Arrival.Stages) > 0 {
		var total time.Duration
		for _, st := range s.Arrival.Stages {
			total += st.Duration
		}
		// A written duration is kept so Validate can check it agrees.
		written := s.src != nil && s.src.lines["duration"] > 0
		if total > s.Warmup && !written {
			s.Duration = total - s.Warmup
		}
	}
}

// Total is the whole timeline of the measured run: warmup plus duration.
func (s *Spec) Total() time.Duration { return s.Warmup + s.Duration }

// Validate checks every field, returning a *SpecError listing each problem
// with its file, line and field.
func (s *Spec) Validate() error {
	v := s.validator()
	if strings.TrimSpace(s.Name) == "" {
		v.add("name", "must not be empty")
	}
	switch s.Experiment {
	case ExperimentMixed, ExperimentReplay, ExperimentSweep, ExperimentCapacity:
	default:
		v.oneOf("experiment", s.Experiment, ExperimentMixed, ExperimentReplay, ExperimentSweep, ExperimentCapacity)
	}
	shard, err := ParseShard(s.Shard)
	if err != nil {
		v.add("shard", strings.TrimPrefix(err.Error(), ErrShard.Error()+": "))
	}
	if s.Start.IsZero() {
		v.add("start", "must be set")
	}

	p := &s.Population
	if p.Customers < 1 || p.Customers > MaxCustomers {
		v.addf("population.customers", "must be in [1, %d], got %d", MaxCustomers, p.Customers)
	} else if err == nil && uint64(shard.Count) > p.Customers {
		v.addf("shard", "%d shards for %d customers leaves a shard empty", shard.Count, p.Customers)
	}
	switch p.Chooser {
	case ChooserUniform:
	case ChooserZipf, ChooserLatest:
		if !(p.Skew > 1) || math.IsInf(p.Skew, 0) {
			v.addf("population.skew", "must be > 1 for the %s chooser, got %v", p.Chooser, p.Skew)
		}
	default:
		v.oneOf("population.chooser", p.Chooser, ChooserUniform, ChooserZipf, ChooserLatest)
	}
	v.weights("population.plans", []string{"basic", "standard", "premium"},
		[]float64{p.Plans.Basic, p.Plans.Standard, p.Plans.Premium})
	for i, d := range []int{p.Devices.Basic, p.Devices.Standard, p.Devices.Premium} {
		if d < 1 || d > maxPlanDevices {
			v.addf("population.devices."+planNames[i], "must be in [1, %d], got %d", maxPlanDevices, d)
		}
	}
	h := &p.History
	switch h.Distribution {
	case HistoryFixed, HistoryUniform:
	case HistoryExponential, HistoryLognormal:
		if !(h.Mean > 0) || math.IsInf(h.Mean, 0) {
			v.addf("population.history.mean", "must be > 0, got %v", h.Mean)
		}
		if h.Distribution == HistoryLognormal && (!(h.Sigma > 0) || math.IsInf(h.Sigma, 0)) {
			v.addf("population.history.sigma", "must be > 0, got %v", h.Sigma)
		}
	case HistoryGroups:
		if len(h.Lengths) == 0 {
			v.add("population.history.lengths", "must list at least one length for the groups distribution")
		}
		for i, l := range h.Lengths {
			if l < 1 || l > MaxHistory {
				v.addf(fmt.Sprintf("population.history.lengths[%d]", i), "must be in [1, %d], got %d", MaxHistory, l)
			}
		}
	default:
		v.oneOf("population.history.distribution", h.Distribution,
			HistoryFixed, HistoryUniform, HistoryExponential, HistoryLognormal, HistoryGroups)
	}
	if h.Distribution != HistoryGroups {
		if h.Min < 1 || h.Min > MaxHistory {
			v.addf("population.history.min", "must be in [1, %d], got %d", MaxHistory, h.Min)
		}
		if h.Max < h.Min || h.Max > MaxHistory {
			v.addf("population.history.max", "must be in [min=%d, %d], got %d", h.Min, MaxHistory, h.Max)
		}
	}
	if h.Span < time.Second {
		v.addf("population.history.span", "must be ≥ 1s, got %v", h.Span)
	}

	c := &s.Catalogue
	if c.Titles < 1 || c.Titles > MaxTitles {
		v.addf("catalogue.titles", "must be in [1, %d], got %d", MaxTitles, c.Titles)
	}
	if !(c.Skew >= 0) || math.IsInf(c.Skew, 0) {
		v.addf("catalogue.skew", "must be ≥ 0, got %v", c.Skew)
	}
	if c.Studios < 1 || c.Studios > MaxStudios {
		v.addf("catalogue.studios", "must be in [1, %d], got %d", MaxStudios, c.Studios)
	}
	if !(c.Restricted >= 0 && c.Restricted <= 1) {
		v.addf("catalogue.restricted", "must be a share in [0, 1], got %v", c.Restricted)
	}

	m := &s.Mix
	mixNames := []string{"acquire", "check", "renew", "release", "playback", "register_device", "remove_device", "load"}
	mixW := []float64{m.Acquire, m.Check, m.Renew, m.Release, m.Playback, m.RegisterDevice, m.RemoveDevice, m.Load}
	v.weights("mix", mixNames, mixW)

	a := &s.Arrival
	switch a.Mode {
	case ModeOpen, ModeClosed:
	default:
		v.oneOf("arrival.mode", a.Mode, ModeOpen, ModeClosed)
	}
	switch a.Process {
	case ProcessConstant, ProcessPoisson:
	default:
		v.oneOf("arrival.process", a.Process, ProcessConstant, ProcessPoisson)
	}
	if !(a.Rate >= 0) || a.Rate > MaxRate {
		v.addf("arrival.rate", "must be in [0, %d] ops/s, got %v", MaxRate, a.Rate)
	} else if a.Mode == ModeClosed && a.Rate > 0 && (v.src.flags["arrival.rate"] != "" || (v.present("arrival.rate") && v.src.flags["arrival.mode"] == "")) {
		v.add("arrival.rate", "a rate applies to open-loop arrival only, and the workload's arrival.mode is closed (set mode: open, or drop the rate)")
	} else if a.Mode == ModeOpen && len(a.Stages) == 0 && a.Rate == 0 {
		v.add("arrival.rate", "must be > 0 for open-loop arrival without stages")
	}
	var stagesTotal time.Duration
	anyRate := false
	for i, st := range a.Stages {
		f := fmt.Sprintf("arrival.stages[%d]", i)
		if st.Duration <= 0 {
			v.addf(f+".duration", "must be > 0, got %v", st.Duration)
		}
		if !(st.Rate >= 0) || st.Rate > MaxRate {
			v.addf(f+".rate", "must be in [0, %d] ops/s, got %v", MaxRate, st.Rate)
		}
		anyRate = anyRate || st.Rate > 0
		stagesTotal += st.Duration
	}
	if stagesTotal > MaxDuration {
		v.addf("arrival.stages", "the stages' total must be at most %v, got %v", MaxDuration, stagesTotal)
	}
	if len(a.Stages) > 0 {
		if a.Mode != ModeOpen {
			v.add("arrival.stages", "stages need open-loop arrival (mode: open)")
		}
		if !anyRate {
			v.add("arrival.stages", "at least one stage needs a rate > 0")
		}
		if stagesTotal > s.Warmup && s.Duration != stagesTotal-s.Warmup {
			v.addf("duration", "with arrival.stages the run lasts the stages' total: omit duration or set it to %v (stages %v less warmup %v), got %v",
				stagesTotal-s.Warmup, stagesTotal, s.Warmup, s.Duration)
		}
		if stagesTotal <= s.Warmup {
			v.addf("warmup", "must be shorter than the stages' total %v, got %v", stagesTotal, s.Warmup)
		}
	}
	if a.Workers < 1 || a.Workers > MaxWorkers {
		v.addf("arrival.workers", "must be in [1, %d], got %d", MaxWorkers, a.Workers)
	} else if s.loadsMix() && err == nil && p.Customers >= 1 && p.Customers <= MaxCustomers {
		// Each worker owns its own customers; the smallest shard has
		// ⌊N/n⌋ of them.
		if smallest := p.Customers / uint64(shard.Count); uint64(a.Workers) > smallest {
			v.addf("arrival.workers", "%d workers need at least as many customers per shard, but %d customers in %d shards leave %d in the smallest",
				a.Workers, p.Customers, shard.Count, smallest)
		}
	}
	if s.Warmup < 0 || s.Warmup > MaxWarmup {
		v.addf("warmup", "must be in [0s, %v], got %v", MaxWarmup, s.Warmup)
	}
	if s.Duration < 0 || s.Duration > MaxDuration {
		v.addf("duration", "must be in [0s, %v], got %v", MaxDuration, s.Duration)
	}
	if s.Operations > MaxOperations {
		v.addf("operations", "must be in [0, %d] (0: bounded by duration), got %d", MaxOperations, s.Operations)
	}
	if s.Experiment == ExperimentMixed && s.Duration == 0 && s.Operations == 0 {
		v.add("duration", "a mixed run needs a duration > 0 or operations > 0")
	}
	if s.Preload.Workers < 1 || s.Preload.Workers > MaxWorkers {
		v.addf("preload.workers", "must be in [1, %d], got %d", MaxWorkers, s.Preload.Workers)
	}
	// Which snapshot policies and codecs exist is the target's business:
	// the target checks them (target/inproc.CheckWorkload), with Spec.Errors
	// giving its errors this file's lines. Here only their presence.
	if strings.TrimSpace(s.Service.Snapshot) == "" {
		v.add("service.snapshot", "must not be empty")
	}
	if strings.TrimSpace(s.Service.Codec) == "" {
		v.add("service.codec", "must not be empty")
	}

	w := &s.Sweep
	for i, iv := range w.Intervals {
		if iv == "none" {
			continue
		}
		if n, err := strconv.Atoi(iv); err != nil || n < 1 {
			v.addf(fmt.Sprintf("sweep.intervals[%d]", i), "want \"none\" or an event count ≥ 1, got %q", iv)
		}
	}
	for i, l := range w.Histories {
		if l < 1 || l > MaxHistory {
			v.addf(fmt.Sprintf("sweep.histories[%d]", i), "must be in [1, %d], got %d", MaxHistory, l)
		}
	}
	if w.Customers < 1 {
		v.addf("sweep.customers", "must be ≥ 1, got %d", w.Customers)
	}
	if w.Replays < 1 {
		v.addf("sweep.replays", "must be ≥ 1, got %d", w.Replays)
	}
	if w.ReplayTarget < 0 {
		v.addf("sweep.replay_target", "must be ≥ 0, got %v", w.ReplayTarget)
	}
	s.validateCapacity(v)
	if !s.loadsMix() {
		if len(w.Intervals) == 0 {
			v.addf("sweep.intervals", "the %s experiment needs at least one interval", s.Experiment)
		}
		if len(w.Histories) == 0 {
			v.addf("sweep.histories", "the %s experiment needs at least one history length", s.Experiment)
		}
	}
	if !s.loadsMix() && h.Distribution == HistoryGroups && len(h.Lengths) > 0 && err == nil {
		for i, l := range w.Histories {
			if !slices.Contains(h.Lengths, l) {
				v.addf(fmt.Sprintf("sweep.histories[%d]", i), "history %d is not one of population.history.lengths %v", l, h.Lengths)
			}
		}
		// Each block has at least ⌊N/L⌋ customers and a shard at least
		// ⌊that/n⌋ of them (exact for uniform and latest ranks; the zipf
		// chooser's scrambled ranks share blocks only about evenly).
		perGroup := p.Customers / uint64(len(h.Lengths)) / uint64(shard.Count)
		if perGroup < uint64(w.Customers) {
			v.addf("population.customers", "%d customers in %d history groups and %d shards leave %d per group and shard, fewer than sweep.customers %d",
				p.Customers, len(h.Lengths), shard.Count, perGroup, w.Customers)
		}
	}
	if len(s.Faults) > 0 && s.Experiment != ExperimentMixed {
		v.addf("faults", "fault windows apply to the mixed experiment only, not to %s", s.Experiment)
	}
	fp := faultProblems(s.Faults, s.Total())
	for _, field := range slices.Sorted(maps.Keys(fp)) {
		v.add(field, fp[field])
	}
	for i, t := range s.Thresholds {
		field := fmt.Sprintf("thresholds[%d]", i)
		if strings.TrimSpace(t) == "" {
			v.add(field, "must not be empty")
		} else if _, err := thresholds.Parse(t); err != nil {
			v.add(field, err.Error())
		}
	}
	for i, a := range s.AbortOnFail {
		field := fmt.Sprintf("abort_on_fail[%d]", i)
		t, err := thresholds.Parse(a.Threshold)
		switch {
		case strings.TrimSpace(a.Threshold) == "":
			v.add(field+".threshold", "must not be empty: an absolute threshold such as \"acquire.p99 < 500ms\"")
		case err != nil:
			v.add(field+".threshold", err.Error())
		case t.Relative:
			v.addf(field+".threshold", "%q compares with a base run, which a running run has not: give an absolute threshold such as \"acquire.p99 < 500ms\"", a.Threshold)
		}
		if a.DelayAbortEval < 0 || (s.Duration > 0 && a.DelayAbortEval >= s.Duration) || a.DelayAbortEval > MaxDuration {
			limit := s.Duration
			if limit == 0 {
				limit = MaxDuration
			}
			v.addf(field+".delay_abort_eval", "%s: must be in [0s, %s), within the measured duration", a.DelayAbortEval, limit)
		}
	}
	return v.err()
}

func (s *Spec) validator() *validator {
	v := &validator{src: s.src}
	if v.src == nil {
		v.src = &source{file: "workload " + strconv.Quote(s.Name), lines: map[string]int{}}
	}
	return v
}

// err is the problems found, as a *SpecError in file order, or nil.
func (v *validator) err() error {
	if len(v.errs) == 0 {
		return nil
	}
	// File order reads best; fields not in the file (line 0) last.
	sort.SliceStable(v.errs, func(i, j int) bool {
		li, lj := v.errs[i].Line, v.errs[j].Line
		return li != 0 && (lj == 0 || li < lj)
	})
	return &SpecError{Errs: v.errs}
}

// Errors locates problems a caller found in the spec (for example a target
// that does not know the service's codec): each message keyed by its field
// path ("service.codec") becomes a FieldError naming the file and line the
// field was read from. Nil when problems is empty.
func (s *Spec) Errors(problems map[string]string) error {
	if len(problems) == 0 {
		return nil
	}
	v := s.validator()
	for _, field := range slices.Sorted(maps.Keys(problems)) {
		v.add(field, problems[field])
	}
	return v.err()
}

var planNames = [...]string{"basic", "standard", "premium"}

type validator struct {
	src  *source
	errs []*FieldError
}

// line finds the line of field, or of its nearest written parent.
func (v *validator) line(field string) int {
	for f := field; f != ""; {
		if l, ok := v.src.lines[f]; ok {
			return l
		}
		i := strings.LastIndexAny(f, ".[")
		if i < 0 {
			break
		}
		f = f[:i]
	}
	return 0
}

func (v *validator) present(field string) bool {
	_, ok := v.src.lines[field]
	return ok
}

func (v *validator) add(field, msg string) {
	if flag := v.src.flags[field]; flag != "" {
		// The value came from the command line: name the flag, not a line
		// of the file that the flag overrode.
		v.errs = append(v.errs, &FieldError{File: v.src.file, Flag: flag, Field: field, Msg: msg})
		return
	}
	v.errs = append(v.errs, &FieldError{File: v.src.file, Line: v.line(field), Field: field, Msg: msg})
}

func (v *validator) addf(field, format string, args ...any) {
	v.add(field, fmt.Sprintf(format, args...))
}

func (v *validator) oneOf(field, got string, want ...string) {
	v.addf(field, "want one of %s, got %q", strings.Join(want, ", "), got)
}

func (v *validator) weights(field string, names []string, w []float64) {
	sum := 0.0
	bad := false
	for i, x := range w {
		if !(x >= 0) || math.IsInf(x, 0) {
			v.addf(field+"."+names[i], "weight must be ≥ 0, got %v", x)
			bad = true
		}
		sum += x
	}
	if !bad && !(sum > 0) {
		v.add(field, "weights sum to zero")
	}
}

// loadsMix reports whether the experiment drives the operation mix (as
// opposed to the replay studies).
func (s *Spec) loadsMix() bool {
	return s.Experiment == ExperimentMixed || s.Experiment == ExperimentCapacity
}

func (s *Spec) validateCapacity(v *validator) {
	c := &s.Capacity
	if s.Experiment != ExperimentCapacity {
		// Like sweep:, the block is part of every resolved workload.
		return
	}
	a := &s.Arrival
	if a.Mode != ModeOpen {
		v.add("arrival.mode", "the capacity experiment searches open-loop arrival rates: mode must be open")
	}
	if len(a.Stages) > 0 {
		v.add("arrival.stages", "the capacity experiment sets the rate of each step itself: remove the stages")
	}
	if s.Duration <= 0 {
		v.add("duration", "the capacity experiment needs each step's measured duration > 0")
	}
	if s.Operations > 0 {
		v.add("operations", "the capacity experiment's steps are bounded by duration and capacity.min_operations, not operations")
	}
	if !(c.MaxRate > 0 && c.MaxRate <= MaxCapacityRate) {
		v.addf("capacity.max_rate", "must be in (0, %d] ops/s, got %v", MaxCapacityRate, c.MaxRate)
	} else if a.Rate > 0 && c.MaxRate <= a.Rate {
		v.addf("capacity.max_rate", "must be above the starting rate arrival.rate %v, got %v", a.Rate, c.MaxRate)
	}
	if !(c.MinRate >= 0.1 && c.MinRate <= MaxCapacityRate) {
		v.addf("capacity.min_rate", "must be in [0.1, %d] ops/s, got %v", MaxCapacityRate, c.MinRate)
	} else if a.Rate > 0 && c.MinRate > a.Rate {
		v.addf("capacity.min_rate", "must not be above the starting rate arrival.rate %v, got %v", a.Rate, c.MinRate)
	}
	if !(c.Growth > 1 && c.Growth <= 10) {
		v.addf("capacity.growth", "must be in (1, 10], got %v", c.Growth)
	}
	if !(c.Resolution >= 0.01 && c.Resolution <= 0.5) {
		v.addf("capacity.resolution", "must be a share in [0.01, 0.5], got %v", c.Resolution)
	}
	if c.MinOperations < 1 || c.MinOperations > 1_000_000_000 {
		v.addf("capacity.min_operations", "must be in [1, 1000000000], got %d", c.MinOperations)
	}
	if c.Settle < 0 || c.Settle > MaxWarmup {
		v.addf("capacity.settle", "must be in [0s, %s], got %s", MaxWarmup, c.Settle)
	}
	if c.MaxSteps < 2 || c.MaxSteps > MaxCapacitySteps {
		v.addf("capacity.max_steps", "must be in [2, %d], got %d", MaxCapacitySteps, c.MaxSteps)
	}
	if len(c.SLOs) == 0 {
		v.add("capacity.slos", "the capacity experiment needs at least one SLO, e.g. \"acquire.p99 < 20ms\"")
	}
	for i, t := range c.SLOs {
		field := fmt.Sprintf("capacity.slos[%d]", i)
		th, err := thresholds.Parse(t)
		switch {
		case strings.TrimSpace(t) == "":
			v.add(field, "must not be empty")
		case err != nil:
			v.add(field, err.Error())
		case th.Relative:
			v.add(field, "an SLO is an absolute limit (\"acquire.p99 < 20ms\"), not a regression against a base run")
		}
	}
}
