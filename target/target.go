// Package target is the seam between the runner and the system under test.
//
// The runner (package bench) sends operations to a Target and reads back
// what happened in a Response: the outcome class, the decision the service
// answered with, and the aggregate loads the operation performed (replay
// phases and versions). A System is one set-up configuration of the system
// under test and hands every worker its own Target. What sits behind the
// seam is a registered Driver: the reference service in this process
// (target/inproc) or a service reached over the network. See docs/design.md,
// "Stores and targets".
package target

import (
	"context"
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
	// OutcomeDiverged is a load that met two different events at one version
	// of a stream (store.ErrDiverged): writes that were not conditional both
	// landed, and the stream no longer has one history.
	OutcomeDiverged
	// OutcomeRefused is a call to a remote service whose connection was
	// refused (nothing listening).
	OutcomeRefused
	// OutcomeReset is a call to a remote service whose connection was reset
	// or closed before the answer.
	OutcomeReset
	// OutcomeTimeout is a call to a remote service that got no answer within
	// the client's deadline (a network or client timeout, as opposed to the
	// service reporting its store's deadline, which is unavailable).
	OutcomeTimeout
	// OutcomeTLS is a call to a remote service whose TLS handshake failed
	// (certificate, protocol).
	OutcomeTLS

	// NumOutcomes is the number of outcomes, for arrays indexed by outcome.
	NumOutcomes
)

var outcomeNames = [NumOutcomes]string{"ok", "denied", "fallback", "conflict", "unavailable", "invalid", "other", "diverged", "refused", "reset", "timeout", "tls"}

// String returns the outcome's name as used in reports and .hlog tags.
func (o Outcome) String() string {
	if o < NumOutcomes {
		return outcomeNames[o]
	}
	return "other"
}

// IsError reports whether the outcome is an error class (as opposed to a
// success, a denial or a fallback).
func (o Outcome) IsError() bool { return o >= OutcomeConflict }

// Outcomes lists every outcome in report order.
func Outcomes() []Outcome {
	out := make([]Outcome, NumOutcomes)
	for i := range out {
		out[i] = Outcome(i)
	}
	return out
}

// ParseOutcome returns the outcome named s (as String writes it).
func ParseOutcome(s string) (Outcome, bool) {
	for i, n := range outcomeNames {
		if n == s {
			return Outcome(i), true
		}
	}
	return OutcomeOther, false
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
	// Version is the aggregate's version after the load (0: unknown or a
	// new aggregate).
	Version uint64
	// The phases; Total is the whole load, which may exceed their sum.
	SnapshotRead, EventRead, Decode, Apply, Total time.Duration
	// PhaseSampled is how many of the replayed events were timed phase by
	// phase when the target times a sample and splits the replay time in
	// its proportions (0: not reported).
	PhaseSampled int
}

// Decision is the service's answer to a command, as far as the runner and
// API checks need it.
type Decision struct {
	// Allowed is the answer; a denial is a successful call that said no.
	Allowed bool
	// Reason names the rule behind a denial or a fallback grant.
	Reason string
	// LicenseID is the license granted, renewed, released or played.
	LicenseID string
	// AlreadyApplied is set when the request id had been applied before (a
	// retry answered from the stored state).
	AlreadyApplied bool
}

// Response is what a target reports about one operation beyond its error.
// The runner owns it and resets it before each call; a target appends to
// Loads (reusing its capacity) and may set Outcome and Decision.
type Response struct {
	// Outcome, when left at OutcomeOK with a non-nil error, is filled in by
	// the runner's classifier.
	Outcome Outcome
	// Decision is the service's answer (zero when the call failed).
	Decision Decision
	// Loads lists the aggregate loads the operation performed.
	Loads []Load
	// Cause, for a fallback, is the store failure the answer fell back from
	// (the operation itself returned no error); it feeds the error samples.
	Cause error
}

// Reset clears r for the next operation, keeping the capacity of Loads.
func (r *Response) Reset() {
	*r = Response{Loads: r.Loads[:0]}
}

// Target executes one operation. A target shared by several workers is
// called concurrently, each call with its own op and Response.
type Target interface {
	Do(ctx context.Context, op *workload.Op, resp *Response) error
}

// Func adapts a function to Target.
type Func func(ctx context.Context, op *workload.Op, resp *Response) error

// Do calls f.
func (f Func) Do(ctx context.Context, op *workload.Op, resp *Response) error {
	return f(ctx, op, resp)
}

// Config is how one configuration of the system under test is set up. A
// study sets up one per snapshot interval; a mixed run sets up one.
type Config struct {
	// Name labels the configuration ("snapshots=100").
	Name string
	// Snapshot is the snapshot policy ("none", "every:N", ...).
	Snapshot string
	// Codec is the event codec id.
	Codec string
	// Start is the simulated time measured operations begin at; operations
	// that carry no time of their own (op.At) happen at Start plus the time
	// elapsed since the first such operation.
	Start time.Time
	// Isolated asks for a configuration that sees nothing another
	// configuration of the same run stored (its own directory or keyspace).
	Isolated bool
}

// System is one set-up configuration of the system under test.
type System interface {
	// Target returns worker i's target; each worker gets its own so a
	// target may keep per-worker state.
	Target(worker int) Target
	Close() error
}

// Classifier is implemented by systems that know their errors: the runner
// uses it for errors a target returned without setting Response.Outcome.
type Classifier interface {
	Classify(err error) Outcome
}

// Storage is what a configuration stored for a set of customers.
type Storage struct {
	Streams int64
	// EventBytes and SnapshotBytes are stored now; SnapshotBytesWritten
	// includes snapshots since trimmed.
	EventBytes, SnapshotBytes, SnapshotBytesWritten int64
}

// StorageReporter is implemented by systems that can measure their storage.
type StorageReporter interface {
	Storage(ctx context.Context, customers []string) (Storage, error)
}

// RangePreloader is implemented by systems whose store loads fresh
// histories at storage speed (the reference service on a store with a
// bulk loader). The preload hands it the histories of one range of
// customer numbers at a time; a committed range is durable and marked, so a
// preload that died half-way resumes with the ranges not marked
// (docs/design.md §16).
type RangePreloader interface {
	// CanPreloadRanges reports whether the system's store loads in bulk;
	// when false the preload sends histories the other ways.
	CanPreloadRanges() bool
	// PreloadedRanges lists the ranges committed so far.
	PreloadedRanges(ctx context.Context) ([]Range, error)
	// NewRangeWriter starts writing one range.
	NewRangeWriter(ctx context.Context) (RangeWriter, error)
}

// Forker is a system that can start a copy of itself on a fork of its
// store (store.Forker): the same service on an independent copy of what the
// store holds now, which outlives this system. The capacity search runs
// every step on a fork of the preloaded system, so each step starts from
// the state a fixed-rate run on a fresh preload starts from; a system that
// cannot fork runs the steps one after another on itself.
type Forker interface {
	// CanFork reports whether Fork works on this system's store.
	CanFork() bool
	// Fork returns the new system; closing it removes the copy. A frozen
	// fork does no background work of its own (no compactions), so that
	// its own forks all start from the state it was made in.
	Fork(ctx context.Context, frozen bool) (System, error)
}

// Range is the customers numbered From (inclusive) to To (exclusive) of
// one part of the population: Part is the shard index, as shards of one
// run each preload their own customers.
type Range struct {
	Part     uint32
	From, To uint64
}

// RangeWriter decides one range's history operations, customer by customer,
// and writes them when committed.
type RangeWriter interface {
	// Add decides one history operation in memory; a customer's operations
	// come together, in order. An error is a refused operation: nothing of
	// it is written, the rest of the history still is.
	Add(op *workload.Op) error
	// Commit writes every decided history, marks r done and returns the
	// number of events written (all streams).
	Commit(ctx context.Context, r Range) (events int64, err error)
	// Abort drops what Commit has not written.
	Abort()
}

// PreloadAuditor is implemented by systems that can check a preloaded
// customer: ops (one customer's whole history, as the generator makes it)
// are decided afresh in memory and the state that gives is compared with
// the state loaded from the store.
type PreloadAuditor interface {
	AuditPreload(ctx context.Context, ops []workload.Op) error
}

// BulkPreloader is implemented by systems that can write preload histories
// in bulk: deciding each history operation on the customer's aggregates
// kept in memory and appending many operations' events at once, instead of
// re-loading the account for every operation (O(n²) for a history of n
// events without snapshots). The experiments use it when the system has it.
type BulkPreloader interface {
	// BulkWriter returns preload worker i's writer.
	BulkWriter(worker int) (BulkWriter, error)
}

// BulkWriter writes one worker's preload histories, one customer at a time.
type BulkWriter interface {
	// Add decides one history operation in memory. An operation for another
	// customer than the pending events' starts that customer afresh, so the
	// caller flushes before moving on.
	Add(op *workload.Op) error
	// Pending is the number of events decided and not yet appended.
	Pending() int
	// Flush appends the pending events in one atomic append and writes the
	// snapshots the policy calls for in them.
	Flush(ctx context.Context) error
	// Discard drops the pending events and the current customer, after a
	// Flush failed.
	Discard()
}
