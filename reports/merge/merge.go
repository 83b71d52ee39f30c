// Package merge combines the results of shards of one workload run on
// several machines: histograms merged (never percentiles averaged), counts
// summed, rates over the merged window, interval logs aligned.
package merge

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/esbench/esbench/reports"
)

// ErrMerge is returned (wrapped) when shard results cannot be combined.
var ErrMerge = errors.New("cannot merge")

// WindowRule is the merged measured window: shards run concurrently on
// different machines, so the longest shard window is the wall time over
// which the summed operations happened.
const WindowRule = "max of the shards' measured windows (shards run concurrently); rates are summed counts over it"

// Input is one shard result to merge; Source (a directory or file
// name) only labels errors and the Merged record.
type Input struct {
	Source string
	Result *reports.Result
}

// Options controls Merge.
type Options struct {
	// AllowPartial accepts shard results marked partial; the merged result
	// is then partial too.
	AllowPartial bool
}

// Results combines the results of shards i/n of one workload run on several
// machines. Histograms are decoded and merged (percentiles are never
// averaged), counts summed, rates recomputed over the merged window (see
// WindowRule). It refuses shards of different workloads, schemas or
// backends, a shard given twice, different shard counts, codec matrices,
// and partial results unless opts.AllowPartial.
func Results(inputs []Input, opts Options) (*reports.Result, error) {
	if len(inputs) < 2 {
		return nil, fmt.Errorf("%w: need at least two shard results, got %d", ErrMerge, len(inputs))
	}
	type shardIn struct {
		Input
		index, count int
	}
	var (
		ins      []shardIn
		canon    []byte
		first    = inputs[0]
		seen     = map[int]string{}
		partials []string
	)
	for _, in := range inputs {
		r := in.Result
		if r == nil {
			return nil, fmt.Errorf("%w: %s: no result", ErrMerge, in.Source)
		}
		if r.Schema != reports.SchemaVersion || r.Schema != first.Result.Schema {
			return nil, fmt.Errorf("%w: %s: schema %q differs from %s's %q (want %q)", ErrMerge, in.Source, r.Schema, first.Source, first.Result.Schema, reports.SchemaVersion)
		}
		if len(r.Codecs) > 0 {
			return nil, fmt.Errorf("%w: %s: codec matrix results are per-machine microbenchmarks, not shards", ErrMerge, in.Source)
		}
		shard, c, err := workloadCanon(r.Workload)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrMerge, in.Source, err)
		}
		if canon == nil {
			canon = c
		} else if !bytes.Equal(canon, c) {
			return nil, fmt.Errorf("%w: %s and %s ran different workloads (resolved workloads differ beyond their shard): %s",
				ErrMerge, first.Source, in.Source, firstDiff(canon, c))
		}
		if r.Experiment != first.Result.Experiment {
			return nil, fmt.Errorf("%w: %s is experiment %q, %s is %q", ErrMerge, in.Source, r.Experiment, first.Source, first.Result.Experiment)
		}
		if r.Environment.Backend != first.Result.Environment.Backend {
			return nil, fmt.Errorf("%w: %s ran on backend %q, %s on %q", ErrMerge, in.Source, r.Environment.Backend, first.Source, first.Result.Environment.Backend)
		}
		i, n, err := parseShard(shard)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: workload shard: %w", ErrMerge, in.Source, err)
		}
		if len(ins) > 0 && n != ins[0].count {
			return nil, fmt.Errorf("%w: %s is shard %d/%d but %s is shard %d/%d: shards of different counts split the customers differently and may overlap; rerun with one n",
				ErrMerge, in.Source, i, n, ins[0].Source, ins[0].index, ins[0].count)
		}
		if prev, dup := seen[i]; dup {
			return nil, fmt.Errorf("%w: shard %d/%d given twice (%s and %s): its customers would be counted twice", ErrMerge, i, n, prev, in.Source)
		}
		seen[i] = in.Source
		if r.Partial || anyRunPartial(r) {
			partials = append(partials, in.Source)
		}
		ins = append(ins, shardIn{Input: in, index: i, count: n})
	}
	if len(partials) > 0 && !opts.AllowPartial {
		return nil, fmt.Errorf("%w: partial results (%s); pass --allow-partial to merge them anyway", ErrMerge, strings.Join(partials, ", "))
	}
	sort.Slice(ins, func(a, b int) bool { return ins[a].index < ins[b].index })
	if n := ins[0].count; len(ins) < n && !opts.AllowPartial {
		var missing []string
		for i := 0; i < n; i++ {
			if _, ok := seen[i]; !ok {
				missing = append(missing, strconv.Itoa(i)+"/"+strconv.Itoa(n))
			}
		}
		return nil, fmt.Errorf("%w: only %d of %d shards given (missing %s): the result would cover part of the population; pass --allow-partial to merge them anyway, marked partial",
			ErrMerge, len(ins), n, strings.Join(missing, ", "))
	}

	out := reports.New(first.Result.Experiment)
	m := &reports.Merged{Complete: len(ins) == ins[0].count, Window: WindowRule}
	results := make([]*reports.Result, len(ins))
	var hosts, shardNames []string
	for k, in := range ins {
		r := in.Result
		results[k] = r
		name := strconv.Itoa(in.index) + "/" + strconv.Itoa(in.count)
		shardNames = append(shardNames, name)
		m.Shards = append(m.Shards, reports.MergedShard{Shard: name, Source: in.Source, Hostname: r.Environment.Hostname,
			Started: r.Started, Finished: r.Finished, Partial: r.Partial || anyRunPartial(r)})
		if h := r.Environment.Hostname; h != "" && !slices.Contains(hosts, h) {
			hosts = append(hosts, h)
		}
		if k == 0 || r.Started.Before(out.Started) {
			out.Started = r.Started
		}
		if r.Finished.After(out.Finished) {
			out.Finished = r.Finished
		}
		if r.Partial {
			out.Partial = true
			out.PartialReason = joinReason(out.PartialReason, name+": "+r.PartialReason)
		}
	}
	out.Environment = ins[0].Result.Environment
	out.Environment.Hostname = strings.Join(hosts, ",")
	out.Environment.Started, out.Environment.Finished = out.Started, out.Finished
	out.Environment.BackendOptions = maps.Clone(out.Environment.BackendOptions)
	if out.Environment.BackendOptions == nil {
		out.Environment.BackendOptions = map[string]string{}
	}
	out.Environment.BackendOptions["merged_shards"] = strings.Join(shardNames, ",")
	out.Workload = mergedWorkload(ins[0].Result.Workload, m.Complete, shardNames)
	if !m.Complete {
		note := fmt.Sprintf("only %d of %d shards merged: the result covers part of the population", len(ins), ins[0].count)
		m.Notes = append(m.Notes, note)
		out.Partial = true
		out.PartialReason = joinReason(out.PartialReason, note)
	}

	// Runs are matched by name: every shard runs the same configurations.
	for _, run := range ins[0].Result.Runs {
		var rs []*reports.Run
		for k, r := range results {
			j := slices.IndexFunc(r.Runs, func(x reports.Run) bool { return x.Name == run.Name })
			if j < 0 {
				return nil, fmt.Errorf("%w: %s has no run %q that %s has", ErrMerge, ins[k].Source, run.Name, ins[0].Source)
			}
			rs = append(rs, &r.Runs[j])
		}
		mr, notes, err := mergeRuns(rs)
		if err != nil {
			return nil, fmt.Errorf("%w: run %q: %w", ErrMerge, run.Name, err)
		}
		m.Notes = append(m.Notes, notes...)
		out.Runs = append(out.Runs, mr)
	}
	for k, r := range results {
		if len(r.Runs) != len(out.Runs) {
			return nil, fmt.Errorf("%w: %s has %d runs, %s has %d", ErrMerge, ins[k].Source, len(r.Runs), ins[0].Source, len(out.Runs))
		}
	}
	if s := ins[0].Result.Sweep; s != nil {
		sw, err := mergeSweep(s, results, out.Runs)
		if err != nil {
			return nil, fmt.Errorf("%w: sweep: %w", ErrMerge, err)
		}
		out.Sweep = sw
	}
	if b := ins[0].Result.BreakEven; b != nil {
		be := *b
		if w := findRun(out.Runs, b.WithoutSnapshots); w != nil && w.Replay != nil {
			be.Without = w.Replay.Fit
		}
		if w := findRun(out.Runs, b.WithSnapshots); w != nil && w.Replay != nil {
			be.With = w.Replay.Fit
		}
		be.Events, be.OK = reports.ComputeBreakEven(be.Without, be.With)
		out.BreakEven = &be
	}
	out.AlertShare = ins[0].Result.AlertShare
	out.Alerts = reports.Alerts(out, out.AlertShare)
	out.Merged = m
	return out, nil
}

func anyRunPartial(r *reports.Result) bool {
	return slices.ContainsFunc(r.Runs, func(x reports.Run) bool { return x.Partial })
}

func joinReason(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

func parseShard(s string) (i, n int, err error) {
	if s == "" {
		return 0, 1, nil
	}
	a, b, ok := strings.Cut(strings.TrimSpace(s), "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return 0, 0, fmt.Errorf("want i/n with 0 ≤ i < n, got %q", s)
	}
	return i, n, nil
}

// workloadCanon returns the workload's shard and its canonical JSON without
// the shard (map keys sorted by encoding/json), so formatting differences
// never make two equal workloads look different.
func workloadCanon(raw json.RawMessage) (shard string, canon []byte, err error) {
	if len(raw) == 0 {
		return "", nil, errors.New("result records no workload, so its shard cannot be checked")
	}
	var w map[string]any
	if err := json.Unmarshal(raw, &w); err != nil {
		return "", nil, fmt.Errorf("workload: %w", err)
	}
	if s, ok := w["shard"]; ok {
		str, ok := s.(string)
		if !ok {
			return "", nil, fmt.Errorf("workload shard %v is not a string", s)
		}
		shard = str
	}
	delete(w, "shard")
	canon, err = json.Marshal(w)
	if err != nil {
		return "", nil, fmt.Errorf("workload: %w", err)
	}
	return shard, canon, nil
}

// firstDiff shows where two canonical workloads part, for the error.
func firstDiff(a, b []byte) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	lo := max(0, i-40)
	cut := func(s []byte) string { return string(s[lo:min(len(s), i+40)]) }
	return fmt.Sprintf("…%s… vs …%s…", cut(a), cut(b))
}

// mergedWorkload is the shards' workload with its shard set to 0/1 when the
// shards cover the population, else to the list of shards merged.
func mergedWorkload(raw json.RawMessage, complete bool, shards []string) json.RawMessage {
	var w map[string]any
	if err := json.Unmarshal(raw, &w); err != nil {
		return raw
	}
	if complete {
		w["shard"] = "0/1"
	} else {
		w["shard"] = strings.Join(shards, "+")
	}
	out, err := json.Marshal(w)
	if err != nil {
		return raw
	}
	return out
}

func findRun(runs []reports.Run, name string) *reports.Run {
	for i := range runs {
		if runs[i].Name == name {
			return &runs[i]
		}
	}
	return nil
}

// Latencies decodes each latency's histogram and merges them into one
// histogram wide enough for all, then summarises it. Latencies with no
// values are skipped; a latency with values but no histogram is an error,
// since its distribution cannot be recombined.
func Latencies(ls ...reports.Latency) (reports.Latency, error) {
	var hs []*hdr.Histogram
	for _, l := range ls {
		if l.Count == 0 {
			continue
		}
		h, err := l.Decode()
		if err != nil {
			return reports.Latency{}, err
		}
		hs = append(hs, h)
	}
	if len(hs) == 0 {
		return reports.Latency{}, nil
	}
	lo, hi, sig := hs[0].LowestTrackableValue(), hs[0].HighestTrackableValue(), hs[0].SignificantFigures()
	for _, h := range hs[1:] {
		lo, hi, sig = min(lo, h.LowestTrackableValue()), max(hi, h.HighestTrackableValue()), max(sig, h.SignificantFigures())
	}
	out := hdr.New(lo, hi, int(sig))
	for _, h := range hs {
		if dropped := out.Merge(h); dropped > 0 {
			return reports.Latency{}, fmt.Errorf("merge: merging histograms dropped %d values", dropped)
		}
	}
	return reports.Summarize(out)
}

func mergeRuns(rs []*reports.Run) (reports.Run, []string, error) {
	var notes []string
	out := *rs[0]
	out.Params = maps.Clone(rs[0].Params)
	out.Workers, out.TargetRate = 0, 0
	out.Executed, out.Recorded, out.Errors, out.Late = 0, 0, 0, 0
	out.MeasuredNs, out.WarmupNs = 0, 0
	out.Partial, out.PartialReason = false, ""
	out.ErrorSamples = nil
	var lags []reports.Latency
	for k, r := range rs {
		out.ErrorSamples = reports.MergeErrorSamples(out.ErrorSamples, r.ErrorSamples)
		if r.Mode != out.Mode {
			return reports.Run{}, nil, fmt.Errorf("mode %q and %q differ", r.Mode, out.Mode)
		}
		if r.LateThresholdNs != out.LateThresholdNs {
			return reports.Run{}, nil, fmt.Errorf("late thresholds %s and %s differ: late counts cannot be added (rerun with one --late)",
				time.Duration(r.LateThresholdNs), time.Duration(out.LateThresholdNs))
		}
		if k > 0 && r.Started.Before(out.Started) {
			out.Started = r.Started
		}
		if k > 0 && r.MeasureStart.Before(out.MeasureStart) {
			out.MeasureStart = r.MeasureStart
		}
		if r.Finished.After(out.Finished) {
			out.Finished = r.Finished
		}
		out.Workers += r.Workers
		out.TargetRate += r.TargetRate
		out.Executed += r.Executed
		out.Recorded += r.Recorded
		out.Errors += r.Errors
		out.Late += r.Late
		out.Missed += r.Missed
		out.MeasuredNs = max(out.MeasuredNs, r.MeasuredNs)
		out.WarmupNs = max(out.WarmupNs, r.WarmupNs)
		if r.Partial {
			out.Partial = true
			out.PartialReason = joinReason(out.PartialReason, r.PartialReason)
		}
		if r.StartLag != nil {
			lags = append(lags, *r.StartLag)
		}
	}
	secs := float64(out.MeasuredNs) / 1e9
	out.AchievedRate = 0
	if secs > 0 {
		out.AchievedRate = float64(out.Recorded) / secs
	}
	if out.StartLag != nil {
		l, err := Latencies(lags...)
		if err != nil {
			return reports.Run{}, nil, fmt.Errorf("start lag: %w", err)
		}
		out.StartLag = &l
	}
	ops, err := mergeOps(rs, secs)
	if err != nil {
		return reports.Run{}, nil, err
	}
	out.Operations = ops
	if rs[0].Replay != nil {
		rep, note, err := mergeReplay(rs)
		if err != nil {
			return reports.Run{}, nil, err
		}
		if note != "" {
			notes = append(notes, out.Name+": "+note)
		}
		out.Replay = rep
	}
	// Extra figures have no common rule (sums, ratios): keep those every
	// shard agrees on, note the rest.
	out.Extra = nil
	for key, v := range rs[0].Extra {
		same := true
		for _, r := range rs[1:] {
			if w, ok := r.Extra[key]; !ok || w != v {
				same = false
			}
		}
		if same {
			if out.Extra == nil {
				out.Extra = map[string]float64{}
			}
			out.Extra[key] = v
		} else {
			notes = append(notes, fmt.Sprintf("%s: extra %q differs between shards and is left out (see the shard results)", out.Name, key))
		}
	}
	sort.Strings(notes)
	return out, notes, nil
}

func mergeOps(rs []*reports.Run, secs float64) ([]reports.OpStats, error) {
	byOp := map[string][]*reports.OpStats{}
	for _, r := range rs {
		for i := range r.Operations {
			o := &r.Operations[i]
			byOp[o.Op] = append(byOp[o.Op], o)
		}
	}
	var out []reports.OpStats
	for _, name := range slices.Sorted(maps.Keys(byOp)) {
		os := byOp[name]
		m := reports.OpStats{Op: name}
		var corr, svc []reports.Latency
		outcomes := map[string][]*reports.OutcomeStats{}
		for _, o := range os {
			m.Count += o.Count
			m.TargetRate += o.TargetRate
			m.Late += o.Late
			for k, v := range o.Errors {
				if m.Errors == nil {
					m.Errors = map[string]int64{}
				}
				m.Errors[k] += v
			}
			corr, svc = append(corr, o.Corrected), append(svc, o.Service)
			for i := range o.Outcomes {
				oc := &o.Outcomes[i]
				outcomes[oc.Outcome] = append(outcomes[oc.Outcome], oc)
			}
		}
		if secs > 0 {
			m.Rate = float64(m.Count) / secs
		}
		var err error
		if m.Corrected, err = Latencies(corr...); err != nil {
			return nil, fmt.Errorf("operation %s corrected: %w", name, err)
		}
		if m.Service, err = Latencies(svc...); err != nil {
			return nil, fmt.Errorf("operation %s service: %w", name, err)
		}
		// Outcomes keep the order of their first appearance, as the runner
		// sorts them.
		var order []string
		for _, o := range os {
			for _, oc := range o.Outcomes {
				if !slices.Contains(order, oc.Outcome) {
					order = append(order, oc.Outcome)
				}
			}
		}
		for _, oname := range order {
			ocs := outcomes[oname]
			mo := reports.OutcomeStats{Outcome: oname, Error: ocs[0].Error}
			corr, svc = corr[:0], svc[:0]
			for _, oc := range ocs {
				mo.Count += oc.Count
				mo.Late += oc.Late
				corr, svc = append(corr, oc.Corrected), append(svc, oc.Service)
			}
			if mo.Corrected, err = Latencies(corr...); err != nil {
				return nil, fmt.Errorf("operation %s outcome %s corrected: %w", name, oname, err)
			}
			if mo.Service, err = Latencies(svc...); err != nil {
				return nil, fmt.Errorf("operation %s outcome %s service: %w", name, oname, err)
			}
			m.Outcomes = append(m.Outcomes, mo)
		}
		out = append(out, m)
	}
	return out, nil
}

// mergeReplay sums the replay counters, merges phase and bucket histograms
// and refits the line (see mergeFit).
func mergeReplay(rs []*reports.Run) (*reports.ReplayReport, string, error) {
	out := &reports.ReplayReport{}
	phases := map[string][]reports.Latency{}
	var phaseOrder []string
	type bucketAcc struct {
		upper  int64
		events float64
		lats   []reports.Latency
	}
	buckets := map[int64]*bucketAcc{}
	var fits []reports.LinearFit
	for _, r := range rs {
		rp := r.Replay
		if rp == nil {
			continue
		}
		out.Loads += rp.Loads
		out.FromSnapshot += rp.FromSnapshot
		out.Replayed += rp.Replayed
		out.Bytes += rp.Bytes
		out.PhaseSampled += rp.PhaseSampled
		for _, p := range rp.Phases {
			if _, ok := phases[p.Phase]; !ok {
				phaseOrder = append(phaseOrder, p.Phase)
			}
			phases[p.Phase] = append(phases[p.Phase], p.Latency)
		}
		for _, b := range rp.Buckets {
			acc := buckets[b.Lower]
			if acc == nil {
				acc = &bucketAcc{upper: b.Upper}
				buckets[b.Lower] = acc
			}
			acc.events += b.MeanEvents * float64(b.Total.Count)
			acc.lats = append(acc.lats, b.Total)
		}
		fits = append(fits, rp.Fit)
	}
	for _, name := range phaseOrder {
		l, err := Latencies(phases[name]...)
		if err != nil {
			return nil, "", fmt.Errorf("replay phase %s: %w", name, err)
		}
		out.Phases = append(out.Phases, reports.PhaseStats{Phase: name, Latency: l})
	}
	for _, lower := range slices.Sorted(maps.Keys(buckets)) {
		acc := buckets[lower]
		l, err := Latencies(acc.lats...)
		if err != nil {
			return nil, "", fmt.Errorf("replay bucket %d: %w", lower, err)
		}
		b := reports.BucketStats{Lower: lower, Upper: acc.upper, Total: l}
		if l.Count > 0 {
			b.MeanEvents = acc.events / float64(l.Count)
		}
		out.Buckets = append(out.Buckets, b)
	}
	fit, note := mergeFit(fits, out.Buckets)
	out.Fit = fit
	return out, note, nil
}

// mergeFit combines the shards' load-time fits. The result keeps only each
// fit's coefficients and means, not its sums of squares, so the pooled
// least-squares line cannot be rebuilt exactly: N and the means are exact
// (count-weighted), the slope is refitted from the merged buckets (each
// bucket's mean events against its mean load time, weighted by its loads),
// and the intercept passes through the exact means. A single shard's fit
// is returned unchanged.
func mergeFit(fits []reports.LinearFit, buckets []reports.BucketStats) (reports.LinearFit, string) {
	if len(fits) == 1 {
		return fits[0], ""
	}
	var out reports.LinearFit
	var sx, sy float64
	for _, f := range fits {
		out.N += f.N
		sx += f.MeanX * float64(f.N)
		sy += f.MeanY * float64(f.N)
	}
	if out.N == 0 {
		return out, ""
	}
	out.MeanX, out.MeanY = sx/float64(out.N), sy/float64(out.N)
	var w, wx, wy, wxx, wxy, wyy float64
	for _, b := range buckets {
		n := float64(b.Total.Count)
		if n == 0 {
			continue
		}
		x, y := b.MeanEvents, b.Total.MeanNs
		w += n
		wx += n * x
		wy += n * y
		wxx += n * x * x
		wxy += n * x * y
		wyy += n * y * y
	}
	den := w*wxx - wx*wx
	if w < 2 || den <= 0 || math.Abs(den) < 1e-9*w*wxx {
		return out, "replay fit: the merged buckets do not determine a line (means kept, no slope)"
	}
	out.B = (w*wxy - wx*wy) / den
	out.A = out.MeanY - out.B*out.MeanX
	out.OK = true
	if vy := w*wyy - wy*wy; vy > 0 {
		r := (w*wxy - wx*wy) / math.Sqrt(den*vy)
		out.R2 = r * r
	}
	return out, "replay fit: slope refitted from the merged replay buckets' means (the result keeps no sums of squares); r² is that of the bucket means"
}

// mergeSweep rebuilds the sweep cells from the merged runs: replay
// percentiles from the merged "h<history>" series of the cell's run, the
// append p99 from the same series of its preload run. Storage per stream
// and write amplification are per-machine store figures: their mean over
// the shards is used (shards hold near-equal customer counts).
func mergeSweep(s *reports.Sweep, results []*reports.Result, runs []reports.Run) (*reports.Sweep, error) {
	out := &reports.Sweep{TargetP99Ns: s.TargetP99Ns, Note: s.Note}
	for ci, c := range s.Cells {
		cell := c
		series := "h" + strconv.Itoa(c.History)
		if r := findRun(runs, c.Run); r != nil {
			if op := findOp(r, series); op != nil && op.Service.Count > 0 {
				cell.ReplayP50Ns, cell.ReplayP99Ns, cell.ReplayP999Ns = op.Service.P50Ns, op.Service.P99Ns, op.Service.P999Ns
			}
		}
		if r := findRun(runs, "preload "+c.Run); r != nil {
			if op := findOp(r, series); op != nil && op.Service.Count > 0 {
				cell.AppendP99Ns = op.Service.P99Ns
			}
		}
		var bytes, amp float64
		for _, res := range results {
			if res.Sweep == nil || len(res.Sweep.Cells) != len(s.Cells) {
				return nil, errors.New("the shards' sweeps have different cells")
			}
			oc := res.Sweep.Cells[ci]
			if oc.Interval != c.Interval || oc.History != c.History {
				return nil, fmt.Errorf("cell %d is interval %d history %d in one shard, interval %d history %d in another",
					ci, c.Interval, c.History, oc.Interval, oc.History)
			}
			bytes += oc.BytesPerStrm
			amp += oc.WriteAmplification
		}
		cell.BytesPerStrm = bytes / float64(len(results))
		cell.WriteAmplification = amp / float64(len(results))
		out.Cells = append(out.Cells, cell)
	}
	out.Recommendations = reports.Recommend(out.Cells, out.TargetP99Ns)
	return out, nil
}

func findOp(r *reports.Run, name string) *reports.OpStats {
	for i := range r.Operations {
		if r.Operations[i].Op == name {
			return &r.Operations[i]
		}
	}
	return nil
}

// Hlogs merges the interval logs (.hlog) the shard directories have in
// common into dst, and returns the names written. Intervals are aligned by
// their offset from each shard log's first interval (shards start at
// slightly different times on different machines), in steps of the first
// log's interval length; histograms of one tag in one step are merged.
// Logs missing from some shard are skipped and returned in skipped.
func Hlogs(dst reports.Dir, srcs []reports.Dir) (written, skipped []string, err error) {
	counts := map[string]int{}
	for _, dir := range srcs {
		names, err := dir.HlogNames()
		if err != nil {
			return nil, nil, err
		}
		for _, n := range names {
			counts[n]++
		}
	}
	for _, name := range slices.Sorted(maps.Keys(counts)) {
		if counts[name] != len(srcs) {
			skipped = append(skipped, name)
			continue
		}
		if err := mergeHlog(dst, srcs, name); err != nil {
			return written, skipped, err
		}
		written = append(written, name)
	}
	return written, skipped, nil
}

func mergeHlog(dst reports.Dir, srcs []reports.Dir, name string) error {
	type key struct {
		tag  string
		step int64
	}
	merged := map[key]*hdr.Histogram{}
	var ivMs, base int64 = 0, -1
	for _, dir := range srcs {
		path := dir.File(name)
		hs, err := readHlog(path)
		if err != nil {
			return err
		}
		if len(hs) == 0 {
			continue
		}
		origin := hs[0].StartTimeMs()
		for _, h := range hs {
			origin = min(origin, h.StartTimeMs())
		}
		if base < 0 || origin < base {
			base = origin
		}
		if ivMs == 0 {
			ivMs = max(hs[0].EndTimeMs()-hs[0].StartTimeMs(), 1)
		}
		for _, h := range hs {
			k := key{h.Tag(), int64(math.Round(float64(h.StartTimeMs()-origin) / float64(ivMs)))}
			m := merged[k]
			if m == nil {
				m = hdr.New(h.LowestTrackableValue(), h.HighestTrackableValue(), int(h.SignificantFigures()))
				merged[k] = m
			}
			if dropped := m.Merge(h); dropped > 0 {
				return fmt.Errorf("merge: %s: merging interval %s dropped %d values", path, h.Tag(), dropped)
			}
		}
	}
	keys := slices.SortedFunc(maps.Keys(merged), func(a, b key) int {
		if a.step != b.step {
			return int(a.step - b.step)
		}
		return strings.Compare(a.tag, b.tag)
	})
	return dst.WriteFile(name, func(w io.Writer) error {
		base = max(base, 0)
		lw, err := reports.StartHlog(w, fmt.Sprintf("esbench merged interval log of %d shards; latency in nanoseconds; tags are <operation>.<outcome>", len(srcs)), base)
		for _, k := range keys {
			h := merged[k]
			h.SetStartTimeMs(base + k.step*ivMs)
			h.SetEndTimeMs(base + (k.step+1)*ivMs)
			h.SetTag(k.tag)
			err = errors.Join(err, lw.OutputIntervalHistogram(h))
		}
		if err != nil {
			return fmt.Errorf("merge: writing %s: %w", dst.File(name), err)
		}
		return nil
	})
}

// readHlog reads every interval histogram of an interval log.
func readHlog(path string) ([]*hdr.Histogram, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	defer f.Close()
	rd := hdr.NewHistogramLogReader(f)
	var out []*hdr.Histogram
	for {
		h, err := rd.NextIntervalHistogram()
		if err != nil {
			return nil, fmt.Errorf("merge: reading %s: %w", path, err)
		}
		if h == nil {
			return out, nil
		}
		out = append(out, h)
	}
}
