package bench

import (
	"errors"
	"testing"
	"time"
)

// TestWindowsCountByIssueTime: an operation belongs to the window in which
// it was issued, whatever its intended start (an open loop that fell behind
// issues late operations during the fault), and the recovery is found from
// the operations issued after the window.
func TestWindowsCountByIssueTime(t *testing.T) {
	s := newWindowSet([]Window{{Name: "w", Kind: "node-stop", Start: 10 * time.Second, End: 20 * time.Second}})
	cause := errors.New("node frozen")
	// Issued before the window: not the window's, however late it ended.
	s.record(9*time.Second, 15*time.Second, OutcomeUnavailable, cause)
	// Issued in the window, intended long before it (corrected latency 12 s).
	for range 4 {
		s.record(12*time.Second, 12*time.Second, OutcomeFallback, cause)
	}
	s.record(19*time.Second, time.Second, OutcomeOK, nil)
	// After the window: the first second still fails, the third is clean.
	s.record(20*time.Second, time.Second, OutcomeUnavailable, cause)
	s.record(22*time.Second+time.Millisecond, time.Millisecond, OutcomeOK, nil)
	s.record(25*time.Second, time.Millisecond, OutcomeOK, nil)
	got, err := s.reports(0.01)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("%d windows", len(got))
	}
	w := got[0]
	if w.Ops != 5 || w.Fallbacks != 4 || w.Outcomes["ok"] != 1 || w.Outcomes["unavailable"] != 0 {
		t.Errorf("window counts %+v, want the 5 operations issued in it", w)
	}
	if w.FallbackLatency == nil || w.FallbackLatency.P99Ns < int64(11*time.Second) {
		t.Errorf("fallback latency %+v, want the corrected 12 s", w.FallbackLatency)
	}
	if w.RecoveryNs != int64(2*time.Second) {
		t.Errorf("recovery %v, want 2s (the first clean second after the window)", time.Duration(w.RecoveryNs))
	}
	if w.ObservedAfterNs != int64(5*time.Second) {
		t.Errorf("observed after %v, want 5s", time.Duration(w.ObservedAfterNs))
	}
}

// TestWindowsNoRecovery: a run that ends while the store still fails
// reports no recovery (-1) and how long after the window it looked.
func TestWindowsNoRecovery(t *testing.T) {
	s := newWindowSet([]Window{{Name: "w", Kind: "node-kill", Start: time.Second, End: 2 * time.Second}})
	for i := range 3 {
		s.record(2*time.Second+time.Duration(i)*time.Second, time.Second, OutcomeUnavailable, errors.New("down"))
	}
	got, err := s.reports(0.01)
	if err != nil {
		t.Fatal(err)
	}
	if got[0].RecoveryNs != -1 || got[0].ObservedAfterNs != int64(2*time.Second) {
		t.Errorf("recovery %d, observed after %d; want -1 and 2s", got[0].RecoveryNs, got[0].ObservedAfterNs)
	}
}
