package reports

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteConsole prints the summary table of every run.
func WriteConsole(w io.Writer, r *Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	p := func(format string, a ...any) { fmt.Fprintf(tw, format, a...) }
	if r.Partial {
		p("PARTIAL RESULT: %s\n", r.PartialReason)
	}
	for _, a := range r.Alerts {
		p("ATTENTION: %s\n", a)
	}
	for i := range r.Runs {
		run := &r.Runs[i]
		p("\n%s: %s\n", run.Name, runLine(run))
		for _, w := range Warnings(run) {
			p("WARNING: %s\n", w)
		}
		if rows := FaultWindowRows(run); len(rows) > 0 {
			p("%s\t\n", strings.Join(FaultWindowHeader, "\t"))
			for _, r := range rows {
				p("%s\t\n", strings.Join(r, "\t"))
			}
		}
		if len(run.Operations) > 0 {
			p("op\toutcome\tcount\trate/s\tp50\tp90\tp99\tp99.9\tmax\tsvc p99\t\n")
			for _, op := range run.Operations {
				c := op.Corrected
				p("%s\tall\t%d\t%.1f\t%s\t%s\t%s\t%s\t%s\t%s\t\n", op.Op, op.Count, op.Rate,
					FormatNs(c.P50Ns), FormatNs(c.P90Ns), FormatNs(c.P99Ns), FormatNs(c.P999Ns), FormatNs(c.MaxNs), FormatNs(op.Service.P99Ns))
				if len(op.Outcomes) > 1 || (len(op.Outcomes) == 1 && op.Outcomes[0].Outcome != "ok") {
					for _, o := range op.Outcomes {
						oc := o.Corrected
						p("\t%s\t%d\t\t%s\t%s\t%s\t%s\t%s\t%s\t\n", o.Outcome, o.Count,
							FormatNs(oc.P50Ns), FormatNs(oc.P90Ns), FormatNs(oc.P99Ns), FormatNs(oc.P999Ns), FormatNs(oc.MaxNs), FormatNs(o.Service.P99Ns))
					}
				}
			}
		}
		if rp := run.Replay; rp != nil {
			p("phase\t\tloads\t\tp50\tp90\tp99\tp99.9\tmax\t\t\n")
			for _, ph := range rp.Phases {
				l := ph.Latency
				p("%s\t\t%d\t\t%s\t%s\t%s\t%s\t%s\t\t\n", ph.Phase, l.Count, FormatNs(l.P50Ns), FormatNs(l.P90Ns),
					FormatNs(l.P99Ns), FormatNs(l.P999Ns), FormatNs(l.MaxNs))
			}
			p("%s\n", fitLine(rp.Fit))
			if rp.PhaseSampled > 0 && rp.Replayed > 0 {
				p("event_read, decode and apply: the replay time split as timed on %d of %d replayed events (1 in %.0f)\n",
					rp.PhaseSampled, rp.Replayed, float64(rp.Replayed)/float64(rp.PhaseSampled))
			}
		}
	}
	if s := r.Sweep; s != nil {
		p("\nreplay by history length and snapshot interval (target p99 %s)\n", FormatNs(s.TargetP99Ns))
		if s.Note != "" {
			p("%s\n", s.Note)
		}
		p("history\tinterval\tloads\treplay p50\treplay p99\tp99 95%% CI\treplay p99.9\tappend p99\tbytes/stream\twrite amp\t\n")
		for _, c := range SortedCells(s.Cells) {
			p("%d\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%.0f\t%.2f\t\n", c.History, IntervalName(c.Interval), c.Loads, FormatNs(c.ReplayP50Ns),
				FormatNs(c.ReplayP99Ns), p99Interval(c), FormatNs(c.ReplayP999Ns), FormatNs(c.AppendP99Ns), c.BytesPerStrm, c.WriteAmplification)
		}
		for _, rec := range s.Recommendations {
			p("history %d: interval %s — %s\n", rec.History, IntervalName(rec.Interval), rec.Reason)
		}
	}
	if b := r.BreakEven; b != nil && b.OK {
		p("\nsnapshot break-even: ~%.0f events\n", b.Events)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("reports: writing console summary: %w", err)
	}
	return nil
}

// WriteThresholds prints the thresholds run evaluated, one per line.
func WriteThresholds(w io.Writer, ts []ThresholdResult) error {
	if len(ts) == 0 {
		return nil
	}
	width := 0
	for _, t := range ts {
		width = max(width, len(t.Threshold))
	}
	var b strings.Builder
	b.WriteString("thresholds:\n")
	for _, t := range ts {
		fmt.Fprintf(&b, "  %-*s  %-12s  %s\n", width, t.Threshold, t.Verdict, t.FormatValue())
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteCapacity prints a capacity search's steps and its verdict.
func WriteCapacity(w io.Writer, c *Capacity) error {
	if c == nil {
		return nil
	}
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "step\tphase\ttarget/s\tachieved/s\tp50\tp99\terrors\tfallbacks\tlate\tSLOs\t\n")
	for i, s := range c.Steps {
		verdict := "held"
		if !s.Passed {
			verdict = "BROKEN: " + strings.Join(s.Failed, "; ")
		}
		fmt.Fprintf(tw, "%d\t%s\t%.1f\t%.1f\t%s\t%s\t%.2f%%\t%.2f%%\t%.2f%%\t%s\t\n", i+1, s.Phase, s.TargetRate, s.AchievedRate,
			FormatNs(s.P50Ns), FormatNs(s.P99Ns), 100*s.ErrorShare, 100*s.FallbackShare, 100*s.LateShare, verdict)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(&b, "capacity steps: %s\n", c.StepStateText())
	fmt.Fprintf(&b, "capacity: %s\n", c.Verdict())
	_, err := io.WriteString(w, b.String())
	return err
}

// p99Interval formats a sweep cell's p99 confidence interval; an open upper
// end means the cell had too few loads to bound its p99 from above.
func p99Interval(c SweepCell) string {
	switch {
	case c.Loads == 0:
		return "-"
	case c.ReplayP99HighNs == 0:
		return FormatNs(c.ReplayP99LowNs) + "..? (too few loads)"
	}
	return FormatNs(c.ReplayP99LowNs) + ".." + FormatNs(c.ReplayP99HighNs)
}
