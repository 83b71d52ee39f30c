// Package workload generates what esbench sends to the service: a seeded
// population of customers, title and activity distributions, an operation
// mix, arrival schedules, preload histories, and the YAML workload files and
// presets that describe them.
//
// A workload file is read over the defaults (DefaultSpec, which is the
// "default" preset), so it names only what differs:
//
//	name: burst
//	seed: 7
//	population: {customers: 1000000, chooser: zipf, skew: 1.2}
//	mix: {acquire: 40, check: 40, release: 20}   # replaces the whole mix
//	arrival:
//	  mode: open
//	  process: poisson
//	  workers: 64
//	  stages: [{duration: 30s, rate: 2000}, {duration: 2m, rate: 2000}]
//	warmup: 30s
//
// Parse and LoadFile reject an unknown key, a wrong type or an impossible
// value with the file, line and field ("w.yaml:9: field arrival.rate: must
// be ≥ 0, got -5"); Marshal renders the resolved Spec back.
//
// New turns a Spec into a Workload. Everything about a customer derives
// from (seed, customer number), so a population of 100 million costs no
// memory per customer. A shard (--shard i/n) owns the customers whose
// activity rank is congruent to i mod n; within a shard each worker's
// Stream owns a disjoint slice again, so one account is only ever driven
// by one worker and a stream's operations are valid when run in order.
// Preload streams each customer's history (open, register devices, then a
// year of acquires, renewals, playbacks and releases) with exactly the
// customer's history length in account events. Schedule gives open-loop
// arrival offsets; closed loop has none.
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

// OpKinds returns every operation a workload can generate, in the order of
// the constants above.
func OpKinds() []OpKind {
	return []OpKind{OpOpenAccount, OpRegisterDevice, OpRemoveDevice, OpAcquire, OpRenew, OpRelease, OpPlayback, OpCheck, OpLoad}
}

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
