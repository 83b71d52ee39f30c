// Package workload generates what esbench sends to the service: a seeded
// population of customers, title and activity distributions, an operation
// mix, arrival schedules, preload histories, and the YAML workload files and
// presets that describe them.
package workload

import "time"

// OpKind names one service operation.
type OpKind string

// The operations of the download-licensing service.
const (
	OpOpenAccount    OpKind = "open_account"
	OpRegisterDevice OpKind = "register_device"
	OpRemoveDevice   OpKind = "remove_device"
	OpAcquire        OpKind = "acquire"
	OpRenew          OpKind = "renew"
	OpRelease        OpKind = "release"
	OpPlayback       OpKind = "playback"
	OpCheck          OpKind = "check"
	// OpLoad is a plain aggregate load (replay), used by the replay studies.
	OpLoad OpKind = "load"
)

// Op is one operation to send. Generators fill a caller-owned Op to avoid an
// allocation per operation on the hot path.
type Op struct {
	Kind OpKind
	// Seq is the operation's index in the generated sequence (0-based).
	Seq uint64
	// Customer is the customer number in [0, population); CustomerID is its
	// string form as used in stream ids.
	Customer   uint64
	CustomerID string
	DeviceID   string
	TitleID    string
	StudioID   string
	// Restricted is set when the title's studio limits downloads per year
	// (AcquireLicense needs it; the catalogue decides it).
	Restricted bool
	// LicenseID names the license for renew, release and playback.
	LicenseID string
	// RequestID is deterministic (seed, sequence) so a retried op is
	// recognisable.
	RequestID string
	// Plan is set for OpOpenAccount.
	Plan string
	// At is the simulated wall-clock time the op happens at, for the
	// service's injected clock. Preload ops carry it (a history spread over
	// the span before Spec.Start) and must run with the service's clock at
	// At: the preloader predicts expiries and yearly limits from it. Measured
	// ops leave it zero: the service uses its own clock, which must be later
	// than Spec.Start.
	At time.Time
}
