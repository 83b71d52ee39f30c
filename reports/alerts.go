package reports

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// DefaultAlertShare is the share of measured operations ending in errors,
// or answered with the permissive fallback, above which a run's summary
// says so at the top.
const DefaultAlertShare = 0.01

// Alerts lists what must not go unnoticed in r: runs in which more than
// share (0..1) of the measured operations ended in errors or fallbacks, and
// any run that met a stream with two different events at one version
// (whatever its share: that is lost history, not load). Each alert names
// the run, the counts and a sample error message.
func Alerts(r *Result, share float64) []string {
	var out []string
	for i := range r.Runs {
		run := &r.Runs[i]
		if run.Recorded <= 0 {
			continue
		}
		byClass := map[string]int64{}
		var fallbacks int64
		for _, op := range run.Operations {
			for _, o := range op.Outcomes {
				if o.Error {
					byClass[o.Outcome] += o.Count
				}
				if o.Outcome == "fallback" {
					fallbacks += o.Count
				}
			}
		}
		n := float64(run.Recorded)
		if errs := run.Errors; errs > 0 && float64(errs) > share*n {
			out = append(out, fmt.Sprintf("%s: %.1f%% of measured operations ended in errors (%d of %d: %s)%s",
				run.Name, 100*float64(errs)/n, errs, run.Recorded, classCounts(byClass), firstSample(run, slices.Sorted(maps.Keys(byClass))...)))
		}
		if fallbacks > 0 && float64(fallbacks) > share*n {
			out = append(out, fmt.Sprintf("%s: %.1f%% of measured operations were answered with the permissive fallback because the store failed (%d of %d)%s",
				run.Name, 100*float64(fallbacks)/n, fallbacks, run.Recorded, firstSample(run, "fallback")))
		}
		if d := byClass["diverged"]; d > 0 {
			out = append(out, fmt.Sprintf("%s: %d operations met a stream holding two different events at one version: "+
				"writes without conditions both landed and one history was lost (see docs/cassandra.md, unconditional mode)", run.Name, d))
		}
	}
	// A node action that failed changes what the fault windows measured.
	for _, e := range r.FaultEvents {
		if e.Error != "" {
			out = append(out, fmt.Sprintf("fault action %q at %s failed: %s", e.Action, time.Duration(e.AtNs).Round(time.Millisecond), e.Error))
		}
	}
	return out
}

func classCounts(m map[string]int64) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

// firstSample quotes the first sample message of the first class that has
// one.
func firstSample(run *Run, classes ...string) string {
	for _, c := range classes {
		if s := run.ErrorSamples[c]; len(s) > 0 {
			return fmt.Sprintf("; e.g. %s: %q", c, s[0])
		}
	}
	return ""
}

// MaxErrorSamples is how many distinct messages per outcome class a run (or
// a merged run) keeps: enough to tell a timeout from a refused connection
// without keeping one string per failed operation.
const MaxErrorSamples = 5

// MergeErrorSamples adds src's error samples to dst (a new map when dst is
// nil), keeping at most MaxErrorSamples distinct messages per class.
func MergeErrorSamples(dst, src map[string][]string) map[string][]string {
	for class, msgs := range src {
		if dst == nil {
			dst = map[string][]string{}
		}
		for _, m := range msgs {
			if len(dst[class]) < MaxErrorSamples && !slices.Contains(dst[class], m) {
				dst[class] = append(dst[class], m)
			}
		}
	}
	return dst
}

// FaultWindowHeader names the columns of FaultWindowRows.
var FaultWindowHeader = []string{"window", "ops", "errors", "fallbacks", "fallback share", "fallback p99", "recovered after", "outcomes"}

// RecoveryHorizon is how long after a fault window esbench looks for the
// run's recovery.
const RecoveryHorizon = 2 * time.Minute

// FormatRecovery says when the run recovered after window w, or why no
// recovery was seen: the run ended first, or the store stayed unavailable
// for the whole horizon.
func FormatRecovery(w FaultWindow) string {
	switch {
	case w.RecoveryNs == 0:
		return "at once"
	case w.RecoveryNs > 0:
		return time.Duration(w.RecoveryNs).String()
	case w.ObservedAfterNs <= 0:
		return "not seen: no operation was issued after the window"
	case w.ObservedAfterNs < int64(RecoveryHorizon-time.Second):
		return fmt.Sprintf("did not recover before the run ended (%s after the window)", time.Duration(w.ObservedAfterNs).Round(time.Second))
	default:
		return fmt.Sprintf("did not recover within %s", RecoveryHorizon)
	}
}

// FaultWindowRows formats a run's fault windows, one row each, for the
// console, summary.md and report.html.
func FaultWindowRows(run *Run) [][]string {
	var rows [][]string
	for _, w := range run.FaultWindows {
		p99 := "-"
		if w.FallbackLatency != nil {
			p99 = FormatNs(w.FallbackLatency.P99Ns)
		}
		rows = append(rows, []string{w.Name, fmt.Sprint(w.Ops), fmt.Sprint(w.Errors), fmt.Sprint(w.Fallbacks),
			fmt.Sprintf("%.1f%%", 100*w.FallbackShare), p99, FormatRecovery(w), classCounts(w.Outcomes)})
	}
	return rows
}
