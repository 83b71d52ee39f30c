package target

import "testing"

func TestOutcomeNames(t *testing.T) {
	for _, o := range Outcomes() {
		got, ok := ParseOutcome(o.String())
		if !ok || got != o {
			t.Errorf("ParseOutcome(%q) = %v, %v; want %v", o.String(), got, ok, o)
		}
	}
	if _, ok := ParseOutcome("nope"); ok {
		t.Error(`ParseOutcome("nope") succeeded`)
	}
	if OutcomeDenied.IsError() || OutcomeFallback.IsError() || !OutcomeConflict.IsError() {
		t.Error("IsError: denials and fallbacks are not errors, conflicts are")
	}
}

func TestResponseResetKeepsCapacity(t *testing.T) {
	r := Response{Outcome: OutcomeDenied, Decision: Decision{Reason: "x"}, Loads: make([]Load, 3, 8)}
	r.Reset()
	if r.Outcome != OutcomeOK || r.Decision != (Decision{}) || len(r.Loads) != 0 || cap(r.Loads) != 8 {
		t.Fatalf("after Reset: %+v (cap %d)", r, cap(r.Loads))
	}
}
