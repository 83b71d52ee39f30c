package bench

import (
	"context"
	"errors"
	"time"

	"github.com/esbench/esbench/target"
	"github.com/esbench/esbench/workload"
)

// The runner drives the system under test through the target seam; these
// are its types under the names the runner's code and tests use.
type (
	// Outcome is target.Outcome.
	Outcome = target.Outcome
	// Load is target.Load.
	Load = target.Load
	// Response is target.Response.
	Response = target.Response
	// Target is target.Target.
	Target = target.Target
	// TargetFunc is target.Func.
	TargetFunc = target.Func
	// SystemConfig is target.Config.
	SystemConfig = target.Config
	// System is target.System.
	System = target.System
	// Storage is target.Storage.
	Storage = target.Storage
	// StorageReporter is target.StorageReporter.
	StorageReporter = target.StorageReporter
	// BulkPreloader is target.BulkPreloader.
	BulkPreloader = target.BulkPreloader
	// BulkWriter is target.BulkWriter.
	BulkWriter = target.BulkWriter
)

// The outcomes, as in package target.
const (
	OutcomeOK          = target.OutcomeOK
	OutcomeDenied      = target.OutcomeDenied
	OutcomeFallback    = target.OutcomeFallback
	OutcomeConflict    = target.OutcomeConflict
	OutcomeUnavailable = target.OutcomeUnavailable
	OutcomeInvalid     = target.OutcomeInvalid
	OutcomeOther       = target.OutcomeOther
	OutcomeDiverged    = target.OutcomeDiverged

	numOutcomes = target.NumOutcomes
)

// Outcomes lists every outcome in report order.
func Outcomes() []Outcome { return target.Outcomes() }

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
// Response.Outcome themselves, their system implements target.Classifier,
// or the caller supplies Config.Classify.
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
