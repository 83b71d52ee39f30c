package bench

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/esbench/esbench/workload"
)

// TestErrorSamples checks that a run keeps the first distinct messages per
// outcome class, measured operations only, at most MaxErrorSamples each,
// with a fallback's store failure as its message.
func TestErrorSamples(t *testing.T) {
	target := TargetFunc(func(_ context.Context, op *workload.Op, resp *Response) error {
		switch {
		case op.Seq < 10: // intended inside the warmup (see Warmup below)
			return fmt.Errorf("warmup failure %d", op.Seq)
		case op.Seq%3 == 0:
			resp.Outcome = OutcomeUnavailable
			return fmt.Errorf("node down %d", op.Seq%21) // 7 distinct messages
		case op.Seq%3 == 1:
			resp.Outcome = OutcomeFallback
			resp.Cause = errors.New("store timed out")
			return nil
		}
		return nil
	})
	// Open loop: the first 10 ops are intended inside the warmup.
	r, err := NewRunner(Config{
		Workers: 1, Target: target,
		Source:   func(int) OpSource { return &seqSource{kind: workload.OpAcquire, n: 100} },
		Schedule: func(int) Schedule { return &fixedRate{gap: 100 * time.Microsecond, n: 100} },
		Warmup:   time.Millisecond - 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	st, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	un := st.ErrorSamples[OutcomeUnavailable]
	if len(un) != MaxErrorSamples {
		t.Fatalf("unavailable samples %q: want %d distinct", un, MaxErrorSamples)
	}
	if len(un) != len(slices.Compact(slices.Sorted(slices.Values(un)))) {
		t.Fatalf("unavailable samples repeat a message: %q", un)
	}
	if fb := st.ErrorSamples[OutcomeFallback]; !slices.Equal(fb, []string{"store timed out"}) {
		t.Fatalf("fallback samples %q, want the store failure once", fb)
	}
	for o, msgs := range st.ErrorSamples {
		for _, m := range msgs {
			if len(m) >= 6 && m[:6] == "warmup" {
				t.Fatalf("%s sample %q comes from the warmup", o, m)
			}
		}
	}
	if _, ok := st.ErrorSamples[OutcomeOK]; ok {
		t.Fatal("successful operations have samples")
	}
	rep, err := st.Report()
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.ErrorSamples["unavailable"]) != MaxErrorSamples || len(rep.ErrorSamples["fallback"]) != 1 {
		t.Fatalf("report error samples %v", rep.ErrorSamples)
	}
}
