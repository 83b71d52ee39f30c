package reports

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// WriteMarkdown writes summary.md: the environment and every run's tables.
func WriteMarkdown(w io.Writer, r *Result) error {
	bw := bufio.NewWriter(w)
	p := func(format string, a ...any) { fmt.Fprintf(bw, format, a...) }

	p("# esbench %s\n\n", r.Experiment)
	if r.Partial {
		p("> **Partial result**: %s. The figures cover only the time measured before the stop.\n\n", r.PartialReason)
	}
	for _, a := range r.Alerts {
		p("> **Attention**: %s\n\n", a)
	}
	p("Started %s, finished %s (%s).\n\n", r.Started.UTC().Format(time.RFC3339), r.Finished.UTC().Format(time.RFC3339),
		r.Finished.Sub(r.Started).Round(time.Millisecond))

	e := r.Environment
	p("## Environment\n\n| | |\n|---|---|\n")
	p("| esbench | %s (commit %s) |\n", e.Version, e.Commit)
	p("| Go | %s %s/%s, GOMAXPROCS %d |\n", e.GoVersion, e.GOOS, e.GOARCH, e.GOMAXPROCS)
	p("| CPU | %s, %d cores |\n", orDash(e.CPUModel), e.Cores)
	p("| host | %s |\n", orDash(e.Hostname))
	p("| backend | %s%s |\n", orDash(e.Backend), formatParams(e.BackendOptions))
	p("| codec | %s |\n", orDash(e.Codec))
	if pr := r.Process; pr != nil {
		p("| harness memory at end | heap %.1f MiB (of %.1f MiB reserved), %d GCs, %s total GC pause |\n",
			float64(pr.HeapAllocBytes)/(1<<20), float64(pr.HeapSysBytes)/(1<<20), pr.NumGC, FormatNs(int64(pr.GCPauseTotalNs)))
	}
	p("\n")

	if c := r.Capacity; c != nil {
		writeCapacityMarkdown(bw, c)
	}
	if s := r.Sweep; s != nil {
		writeSweepMarkdown(bw, r.Experiment, s)
	}
	if b := r.BreakEven; b != nil {
		p("## Snapshot break-even\n\n")
		if b.OK {
			p("Replaying about **%.0f events** from scratch costs as much as loading a snapshot (%s vs %s).\n\n",
				b.Events, b.WithoutSnapshots, b.WithSnapshots)
		} else {
			p("Not determined: the fits of %s and %s do not give a break-even.\n\n", b.WithoutSnapshots, b.WithSnapshots)
		}
	}
	for i := range r.Runs {
		writeRunMarkdown(bw, &r.Runs[i])
	}
	if len(r.Files) > 0 {
		p("## Files\n\n")
		for _, f := range r.Files {
			p("- `%s`\n", f)
		}
		p("\n")
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("reports: writing summary: %w", err)
	}
	return nil
}

// writeCapacityMarkdown writes the capacity search: the verdict (the
// sustainable rate, the first failing rate and the SLOs it broke), the
// SLOs and settings, and one row per step; each step's full tables follow
// among the runs.
func writeCapacityMarkdown(bw *bufio.Writer, c *Capacity) {
	p := func(format string, a ...any) { fmt.Fprintf(bw, format, a...) }
	p("## Capacity\n\n")
	p("| | |\n|---|---|\n")
	if c.SustainableRate > 0 {
		p("| sustainable rate | **%.1f/s** (achieved %.1f/s) |\n", c.SustainableRate, c.SustainableAchieved)
	} else {
		p("| sustainable rate | none: no rate tried met every SLO |\n")
	}
	if c.FirstFailingRate > 0 {
		p("| first failing rate | %.1f/s |\n", c.FirstFailingRate)
		p("| SLOs it broke | %s |\n", strings.Join(c.FailedSLOs, "; "))
	} else {
		p("| first failing rate | none up to %.1f/s: the sustainable rate is a lower bound |\n", c.MaxRate)
	}
	p("| SLOs | %s |\n", strings.Join(c.SLOs, "; "))
	p("| search | rates %.1f/s to %.1f/s, growth ×%g, resolution %g%% |\n", c.MinRate, c.MaxRate, c.Growth, 100*c.Resolution)
	p("| steps | %s |\n", c.StepStateText())
	p("| stopped | %s |\n\n", c.Stopped)
	p("| step | phase | target/s | achieved/s | p50 | p99 | errors | fallbacks | late | SLOs |\n")
	p("|---:|---|---:|---:|---:|---:|---:|---:|---:|---|\n")
	for i, s := range c.Steps {
		verdict := "held"
		if !s.Passed {
			verdict = "**broken**: " + strings.Join(s.Failed, "; ")
		}
		p("| %d | %s | %.1f | %.1f | %s | %s | %.2f%% | %.2f%% | %.2f%% | %s |\n", i+1, s.Phase, s.TargetRate, s.AchievedRate,
			FormatNs(s.P50Ns), FormatNs(s.P99Ns), 100*s.ErrorShare, 100*s.FallbackShare, 100*s.LateShare, verdict)
	}
	p("\nLatencies are corrected for coordinated omission, over all operations of the step; each step's run follows with its full tables.\n\n")
}

func writeRunMarkdown(bw *bufio.Writer, run *Run) {
	p := func(format string, a ...any) { fmt.Fprintf(bw, format, a...) }
	p("## Run %s\n\n", run.Name)
	if run.Partial {
		p("> Partial: %s\n\n", run.PartialReason)
	}
	p("%s\n\n", runLine(run))
	for _, w := range Warnings(run) {
		p("> **Warning**: %s\n\n", w)
	}
	if len(run.Params) > 0 {
		p("Parameters:%s\n\n", formatParams(run.Params))
	}
	if len(run.Operations) > 0 {
		p("Latency from the intended start (%s) and service time:\n\n", correctedNote(run))
		p("| op | count | rate/s (target) | errors | late | p50 | p90 | p99 | p99.9 | p99.99 | max | service p50 | service p99 | service max |\n")
		p("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
		for _, op := range run.Operations {
			c, s := op.Corrected, op.Service
			p("| %s | %d | %s | %d | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
				op.Op, op.Count, rateCell(op), sumErrors(op.Errors), op.Late,
				FormatNs(c.P50Ns), FormatNs(c.P90Ns), FormatNs(c.P99Ns), FormatNs(c.P999Ns), FormatNs(c.P9999Ns), FormatNs(c.MaxNs),
				FormatNs(s.P50Ns), FormatNs(s.P99Ns), FormatNs(s.MaxNs))
		}
		p("\nBy outcome:\n\n| op | outcome | count | p50 | p99 | p99.9 | max | service p99 |\n|---|---|--:|--:|--:|--:|--:|--:|\n")
		for _, op := range run.Operations {
			for _, o := range op.Outcomes {
				c := o.Corrected
				p("| %s | %s | %d | %s | %s | %s | %s | %s |\n", op.Op, o.Outcome, o.Count,
					FormatNs(c.P50Ns), FormatNs(c.P99Ns), FormatNs(c.P999Ns), FormatNs(c.MaxNs), FormatNs(o.Service.P99Ns))
			}
		}
		p("\n")
	}
	if rows := FaultWindowRows(run); len(rows) > 0 {
		p("Fault windows (operations by intended start inside each window):\n\n| %s |\n|%s\n", strings.Join(FaultWindowHeader, " | "), strings.Repeat("---|", len(FaultWindowHeader)))
		for _, r := range rows {
			p("| %s |\n", strings.Join(r, " | "))
		}
		p("\n")
		for _, w := range run.FaultWindows {
			for _, class := range slices.Sorted(maps.Keys(w.ErrorSamples)) {
				for _, m := range w.ErrorSamples[class] {
					p("- %s, %s: `%s`\n", w.Name, class, strings.ReplaceAll(m, "`", "'"))
				}
			}
		}
		p("\n")
	}
	if len(run.ErrorSamples) > 0 {
		p("Error samples (first distinct messages per outcome):\n\n")
		for _, class := range slices.Sorted(maps.Keys(run.ErrorSamples)) {
			for _, m := range run.ErrorSamples[class] {
				p("- %s: `%s`\n", class, strings.ReplaceAll(m, "`", "'"))
			}
		}
		p("\n")
	}
	if rp := run.Replay; rp != nil {
		writeReplayMarkdown(bw, rp)
	}
	if len(run.Extra) > 0 {
		p("| figure | value |\n|---|--:|\n")
		for _, k := range slices.Sorted(maps.Keys(run.Extra)) {
			p("| %s | %.4g |\n", k, run.Extra[k])
		}
		p("\n")
	}
}

func writeReplayMarkdown(bw *bufio.Writer, rp *ReplayReport) {
	p := func(format string, a ...any) { fmt.Fprintf(bw, format, a...) }
	p("### Replay\n\n%d loads (%d from a snapshot), %d events replayed, %d bytes read.\n\n",
		rp.Loads, rp.FromSnapshot, rp.Replayed, rp.Bytes)
	p("| phase | p50 | p90 | p99 | p99.9 | max | mean |\n|---|--:|--:|--:|--:|--:|--:|\n")
	for _, ph := range rp.Phases {
		l := ph.Latency
		p("| %s | %s | %s | %s | %s | %s | %s |\n", ph.Phase, FormatNs(l.P50Ns), FormatNs(l.P90Ns),
			FormatNs(l.P99Ns), FormatNs(l.P999Ns), FormatNs(l.MaxNs), FormatNs(int64(l.MeanNs)))
	}
	p("\n| events replayed | loads | mean events | p50 | p99 | p99.9 | max |\n|---|--:|--:|--:|--:|--:|--:|\n")
	for _, b := range rp.Buckets {
		l := b.Total
		p("| %s | %d | %.1f | %s | %s | %s | %s |\n", bucketRange(b), l.Count, b.MeanEvents,
			FormatNs(l.P50Ns), FormatNs(l.P99Ns), FormatNs(l.P999Ns), FormatNs(l.MaxNs))
	}
	p("\n%s\n\n", fitLine(rp.Fit))
}

func writeSweepMarkdown(bw *bufio.Writer, experiment string, s *Sweep) {
	p := func(format string, a ...any) { fmt.Fprintf(bw, format, a...) }
	title := "Snapshot-interval sweep"
	if experiment != "sweep" {
		title = "Replay against history length"
	}
	p("## %s\n\nReplay target: p99 ≤ %s.\n\n", title, FormatNs(s.TargetP99Ns))
	if s.Note != "" {
		p("%s.\n\n", s.Note)
	}
	p("| history | interval | loads | replay p50 | replay p99 | p99 95%% CI | replay p99.9 | append p99 | bytes/stream | write amp. |\n")
	p("|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, c := range SortedCells(s.Cells) {
		p("| %d | %s | %d | %s | %s | %s | %s | %s | %.0f | %.2f |\n", c.History, IntervalName(c.Interval), c.Loads,
			FormatNs(c.ReplayP50Ns), FormatNs(c.ReplayP99Ns), p99Interval(c), FormatNs(c.ReplayP999Ns), FormatNs(c.AppendP99Ns),
			c.BytesPerStrm, c.WriteAmplification)
	}
	p("\n")
	if len(s.Recommendations) == 0 {
		return
	}
	p("| history | recommended interval | |\n|--:|--:|---|\n")
	for _, rec := range s.Recommendations {
		mark := ""
		if !rec.Met {
			mark = " (target not met)"
		}
		p("| %d | %s%s | %s |\n", rec.History, IntervalName(rec.Interval), mark, rec.Reason)
	}
	p("\n")
}

// SortedCells returns the cells ordered by history length, then interval
// ("none" first).
func SortedCells(cells []SweepCell) []SweepCell {
	out := slices.Clone(cells)
	slices.SortStableFunc(out, func(a, b SweepCell) int {
		if a.History != b.History {
			return a.History - b.History
		}
		return a.Interval - b.Interval
	})
	return out
}

func runLine(run *Run) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s loop, %d workers, measured %s after %s warmup: %d ops at %.1f/s",
		run.Mode, run.Workers, time.Duration(run.MeasuredNs).Round(time.Millisecond),
		time.Duration(run.WarmupNs).Round(time.Millisecond), run.Recorded, run.AchievedRate)
	if run.TargetRate > 0 {
		fmt.Fprintf(&b, " (target %.1f/s, %.1f%%)", run.TargetRate, 100*run.AchievedRate/run.TargetRate)
	}
	fmt.Fprintf(&b, ", %d errors", run.Errors)
	if run.Mode == "open" {
		fmt.Fprintf(&b, ", %d late (start lag > %s", run.Late, FormatNs(run.LateThresholdNs))
		if run.GeneratorLate > 0 {
			fmt.Fprintf(&b, "; %d with their worker free", run.GeneratorLate)
		}
		b.WriteString(")")
		if run.Missed > 0 {
			fmt.Fprintf(&b, ", %d scheduled but never started", run.Missed)
		}
		if l := run.StartLag; l != nil && l.Count > 0 {
			fmt.Fprintf(&b, ", start lag p50 %s p99 %s max %s", FormatNs(l.P50Ns), FormatNs(l.P99Ns), FormatNs(l.MaxNs))
		}
	}
	if c := run.CPU; c != nil {
		fmt.Fprintf(&b, ", esbench process CPU %s/op (%.0f%% of %d CPUs)", FormatNs(int64(c.PerOpNs)), 100*c.MachineShare, c.CPUs)
	}
	return b.String()
}

// Warnings lists what makes a run's figures suspect: a target rate not
// reached, or many operations starting late.
func Warnings(run *Run) []string {
	var out []string
	if run.TargetRate > 0 && run.AchievedRate < 0.95*run.TargetRate && run.MeasuredNs > 0 {
		out = append(out, fmt.Sprintf("achieved %.1f/s, %.0f%% of the %.1f/s target", run.AchievedRate, 100*run.AchievedRate/run.TargetRate, run.TargetRate))
	}
	// Late starts whose worker was free are the generator's (generatorWarning).
	if backlog := run.Late - run.GeneratorLate; run.Mode == "open" && run.Recorded > 0 && float64(backlog) > 0.01*float64(run.Recorded) {
		out = append(out, fmt.Sprintf("%.1f%% of operations started more than %s late: the system under test (or this machine) "+
			"did not keep up with the schedule, and corrected latencies include the queueing", 100*float64(backlog)/float64(run.Recorded), FormatNs(run.LateThresholdNs)))
	}
	if w := generatorWarning(run); w != "" {
		out = append(out, w)
	}
	if run.Missed > 0 {
		out = append(out, fmt.Sprintf("%d scheduled operations never started before the run ended: they have no latency, so the "+
			"corrected percentiles understate the backlog", run.Missed))
	}
	return out
}

func correctedNote(run *Run) string {
	if run.Mode == "open" {
		return "corrected for coordinated omission"
	}
	return "closed loop: equal to service time, no coordinated-omission correction"
}

func fitLine(f LinearFit) string {
	if !f.OK {
		if f.N > 0 {
			return fmt.Sprintf("Fit: not determined: the %d loads all replayed about %.0f events (mean load time %s).", f.N, f.MeanX, FormatNs(int64(f.MeanY)))
		}
		return "Fit: not determined (no loads)."
	}
	if !FitMeaningful(f) {
		return fmt.Sprintf("Fit: no line: r² = %.3f over %d loads, load time barely follows events replayed here (mean %.0f events, mean load time %s).",
			f.R2, f.N, f.MeanX, FormatNs(int64(f.MeanY)))
	}
	return fmt.Sprintf("Fit: load time ≈ %s + %.1f ns × events (r² = %.3f, %d loads).", FormatNs(int64(f.A)), f.B, f.R2, f.N)
}

// MinFitR2 is the coefficient of determination below which a replay fit is
// reported as no line: with snapshots the events replayed are a short tail
// and the load time is mostly the snapshot's, so a line through the noise
// (often with a negative slope) would mislead.
const MinFitR2 = 0.5

// FitMeaningful reports whether f is a line worth drawing: determined, with
// r² at least MinFitR2.
func FitMeaningful(f LinearFit) bool { return f.OK && f.R2 >= MinFitR2 }

func bucketRange(b BucketStats) string {
	switch {
	case b.Upper == 0:
		return fmt.Sprintf("≥ %d", b.Lower)
	case b.Upper == b.Lower+1:
		return fmt.Sprint(b.Lower)
	default:
		return fmt.Sprintf("%d–%d", b.Lower, b.Upper-1)
	}
}

func rateCell(op OpStats) string {
	if op.TargetRate > 0 {
		return fmt.Sprintf("%.1f (%.1f)", op.Rate, op.TargetRate)
	}
	return fmt.Sprintf("%.1f", op.Rate)
}

func sumErrors(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

func formatParams(m map[string]string) string {
	if len(m) == 0 {
		return ""
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+"="+m[k])
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}
