package bench

import (
	"context"
	"errors"
	"time"

	"github.com/esbench/esbench/workload"
)

// Outcome classifies how one operation ended. Each outcome of each operation
// gets its own latency histograms, so errors are measured, not just counted.
type Outcome uint8

// The outcomes the runner tells apart.
const (
	// OutcomeOK is a successful operation.
	OutcomeOK Outcome = iota
	// OutcomeDenied is a successful call whose answer was a business-rule
	// denial (the service worked; the customer was told no).
	OutcomeDenied
	// OutcomeFallback is a call the service answered with its permissive
	// fallback because the store failed; it is a degraded success.
	OutcomeFallback
	// OutcomeConflict is an optimistic-concurrency conflict that was not
	// resolved by the service's retries.
	OutcomeConflict
	// OutcomeUnavailable covers store unavailability and timeouts.
	OutcomeUnavailable
	// OutcomeInvalid is a request or stored data the service rejected.
	OutcomeInvalid
	// OutcomeOther is any error not classified above.
	OutcomeOther

	numOutcomes
)

var outcomeNames = [numOutcomes]string{"ok", "denied", "fallback", "conflict", "unavailable", "invalid", "other"}

// String returns the outcome's name as used in reports and .hlog tags.
func (o Outcome) String() string {
	if o < numOutcomes {
		return outcomeNames[o]
	}
	return "other"
}

// IsError reports whether the outcome is an error class (as opposed to a
// success, a denial or a fallback).
func (o Outcome) IsError() bool { return o >= OutcomeConflict }

// Outcomes lists every outcome in report order.
func Outcomes() []Outcome {
	out := make([]Outcome, numOutcomes)
	for i := range out {
		out[i] = Outcome(i)
	}
	return out
}

// Load is what one aggregate load cost: the phases of a snapshot-plus-tail
// replay and how many events it replayed.
type Load struct {
	// FromSnapshot is set when the load started from a snapshot.
	FromSnapshot bool
	// Replayed is the number of events applied after the snapshot (or from
	// the start of the stream).
	Replayed int
	// Bytes is the number of stored bytes read (snapshot plus events).
	Bytes int
	// The phases; Total is the whole load, which may exceed their sum.
	SnapshotRead, EventRead, Decode, Apply, Total time.Duration
}

// Response is what a target reports about one operation beyond its error.
// The runner owns it and resets it before each call; a target appends to
// Loads (reusing its capacity) and may set Outcome.
type Response struct {
	// Outcome, when left at OutcomeOK with a non-nil error, is filled in by
	// the runner's classifier.
	Outcome Outcome
	// Loads lists the aggregate loads the operation performed.
	Loads []Load
}

// Target executes one operation. It is called concurrently from every
// worker, each with its own op and Response.
type Target interface {
	Do(ctx context.Context, op *workload.Op, resp *Response) error
}

// TargetFunc adapts a function to Target.
type TargetFunc func(ctx context.Context, op *workload.Op, resp *Response) error

// Do calls f.
func (f TargetFunc) Do(ctx context.Context, op *workload.Op, resp *Response) error {
	return f(ctx, op, resp)
}

// OpSource yields the operations one worker sends, in order; it returns
// false when it has no more.
type OpSource interface {
	Next(op *workload.Op) bool
}

// Schedule yields the intended start offsets, from the start of the run, of
// one worker's operations, in non-decreasing order; ok is false when the
// schedule has ended.
type Schedule interface {
	Next() (offset time.Duration, ok bool)
}

// ClassifyError is the default classifier: timeouts count as unavailable,
// everything else as other. Targets that know their errors set
// Response.Outcome themselves or the caller supplies Config.Classify.
func ClassifyError(err error) Outcome {
	switch {
	case err == nil:
		return OutcomeOK
	case errors.Is(err, context.DeadlineExceeded):
		return OutcomeUnavailable
	default:
		return OutcomeOther
	}
}
