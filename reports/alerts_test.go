package reports

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// alertRun is a run of n measured operations with the given outcome counts
// (the rest ok).
func alertRun(n int64, counts map[string]int64) Run {
	op := OpStats{Op: "acquire", Count: n}
	ok := n
	run := Run{Name: "mixed", Recorded: n}
	for class, c := range counts {
		isErr := class != "fallback" && class != "denied"
		op.Outcomes = append(op.Outcomes, OutcomeStats{Outcome: class, Error: isErr, Count: c})
		if isErr {
			run.Errors += c
		}
		ok -= c
	}
	op.Outcomes = append(op.Outcomes, OutcomeStats{Outcome: "ok", Count: ok})
	run.Operations = []OpStats{op}
	return run
}

func TestAlerts(t *testing.T) {
	tests := []struct {
		name   string
		counts map[string]int64
		share  float64
		want   []string // substrings, one per alert, in order
	}{
		{"clean", nil, 0.01, nil},
		{"errors under the share", map[string]int64{"unavailable": 9}, 0.01, nil},
		{"errors at the share are not above it", map[string]int64{"unavailable": 10}, 0.01, nil},
		{"errors above the share", map[string]int64{"unavailable": 11, "other": 4}, 0.01,
			[]string{"1.5% of measured operations ended in errors (15 of 1000: other 4, unavailable 11); e.g. other: \"boom\""}},
		{"fallbacks above the share", map[string]int64{"fallback": 500}, 0.01,
			[]string{"50.0% of measured operations were answered with the permissive fallback because the store failed (500 of 1000); e.g. fallback: \"store timed out\""}},
		{"denials are not failures", map[string]int64{"denied": 900}, 0.01, nil},
		{"zero share: any error", map[string]int64{"conflict": 1}, 0, []string{"0.1% of measured operations ended in errors"}},
		{"divergence whatever the share", map[string]int64{"diverged": 1}, 0.5,
			[]string{"1 operations met a stream holding two different events at one version"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := New("mixed")
			run := alertRun(1000, tt.counts)
			run.ErrorSamples = map[string][]string{"other": {"boom"}, "unavailable": {"down"}, "fallback": {"store timed out"}}
			r.Runs = []Run{run}
			got := Alerts(r, tt.share)
			if len(got) != len(tt.want) {
				t.Fatalf("Alerts = %q, want %d alerts", got, len(tt.want))
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("alert %d = %q, want it to contain %q", i, got[i], w)
				}
			}
		})
	}
}

// TestAlertsAtTheTop checks that every summary states the alerts before
// anything else about the run, and that samples reach summary.md and
// report.html.
func TestAlertsAtTheTop(t *testing.T) {
	r := fixtureResult(t)
	r.Runs[0].ErrorSamples = map[string][]string{"unavailable": {"cassandra: append: no hosts available"}}
	r.Alerts = []string{"mixed: 12.0% of measured operations ended in errors"}
	var console, md, html bytes.Buffer
	if err := WriteConsole(&console, r); err != nil {
		t.Fatal(err)
	}
	if err := WriteMarkdown(&md, r); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(&html, r, nil); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, text, alert, before string
	}{
		{"console", console.String(), "ATTENTION: mixed: 12.0%", "mixed: open loop"},
		{"summary.md", md.String(), "> **Attention**: mixed: 12.0%", "## Environment"},
		{"report.html", html.String(), `<p class="alert"><strong>Attention:</strong> mixed: 12.0%`, "<h2>Environment</h2>"},
	} {
		i, j := strings.Index(c.text, c.alert), strings.Index(c.text, c.before)
		if i < 0 || j < 0 || i > j {
			t.Errorf("%s: alert at %d, %q at %d; want the alert first:\n%s", c.name, i, c.before, j, c.text[:min(len(c.text), 600)])
		}
	}
	for name, text := range map[string]string{"summary.md": md.String(), "report.html": html.String()} {
		if !strings.Contains(text, "cassandra: append: no hosts available") {
			t.Errorf("%s lacks the error sample", name)
		}
	}
}

// TestFormatRecovery: a window the run never recovered from says why
// (the run ended first, or the horizon passed), never a negative duration.
func TestFormatRecovery(t *testing.T) {
	tests := []struct {
		name string
		w    FaultWindow
		want string
	}{
		{"at once", FaultWindow{RecoveryNs: 0, ObservedAfterNs: 5e9}, "at once"},
		{"after 3s", FaultWindow{RecoveryNs: 3e9, ObservedAfterNs: 5e9}, "3s"},
		{"run ended", FaultWindow{RecoveryNs: -1, ObservedAfterNs: 4.6e9}, "did not recover before the run ended (5s after the window)"},
		{"horizon", FaultWindow{RecoveryNs: -1, ObservedAfterNs: int64(RecoveryHorizon - 500*time.Millisecond)}, "did not recover within 2m0s"},
		{"nothing after", FaultWindow{RecoveryNs: -1}, "not seen: no operation was issued after the window"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FormatRecovery(tt.w); got != tt.want {
				t.Errorf("FormatRecovery(%+v) = %q, want %q", tt.w, got, tt.want)
			}
		})
	}
}

// TestAlertsFailedFaultAction: a node action that failed (a restarted node
// that died) is said at the top, not only in result.json.
func TestAlertsFailedFaultAction(t *testing.T) {
	r := &Result{Runs: []Run{alertRun(100, nil)}, FaultEvents: []FaultEvent{
		{AtNs: 10e9, Action: "SIGKILL node 3"},
		{AtNs: 95e9, Action: "node 3 at the end of the run", Error: "restarted, but no longer runs"},
	}}
	got := Alerts(r, 0.01)
	if len(got) != 1 || !strings.Contains(got[0], `fault action "node 3 at the end of the run" at 1m35s failed: restarted, but no longer runs`) {
		t.Fatalf("alerts %q, want the failed node action", got)
	}
}
