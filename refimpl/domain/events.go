// Package domain is the download-licensing model of the reference service:
// the DownloadAccount and License aggregates, their events and commands, and
// the versioned policy that decides what a customer may download.
//
// The decide functions are pure: they read aggregates, a policy and the
// injected clock's now, and return a decision plus the events to append.
// They never change the aggregates; the caller appends the events and, if it
// keeps the aggregates, applies them.
//
// Semantics of the edge cases:
//   - Every command but OpenAccount needs an open account (ErrUnknownCustomer).
//   - OpenAccount of an open account with the same plan is an idempotent
//     success without events; with another plan it is ErrAccountExists.
//   - RegisterDevice of a registered device is an idempotent success without
//     events. Registration is never denied: the plan limit applies to the
//     devices that hold active downloads, checked at AcquireLicense, so a
//     customer may keep more devices registered than the plan lets download.
//   - AcquireLicense, CheckDownload and RemoveDevice of an unregistered
//     device are ErrUnknownDevice.
//   - AcquireLicense retried with the request id of a grant still in the
//     state (or of one of the MaxRecentDenials latest denials) returns the
//     original decision without events.
//   - A license is active while now < ExpiresAt; playback is allowed while
//     now < PlaybackEndsAt. A renewal extends the current expiry (not now) by
//     LicenseDuration and does not reopen the playback window.
//   - ReleaseLicense of a released license is an idempotent success without
//     events; of an expired one it is recorded (the account's stale entry
//     goes).
//   - StartPlayback after the first play, inside the window, is allowed
//     without events.
//   - Restricted counts are per calendar year in UTC; releasing a download
//     does not give its yearly count back.
//   - RenewLicense retried with the request id of the license's latest
//     renewal returns that renewal without events.
//   - RemoveDevice and ReleaseLicense put events on license streams the
//     decide function did not version: the caller appends them after the
//     license stream's current version (RemoveDevice: every license it
//     names, which the caller loads).
//   - Errors (typed, in a *CommandError) mean the command could not be
//     judged; a refusal under the policy is a denial: Allowed=false, a
//     machine-readable Reason and a recorded event.
//   - State sweeps (expired downloads, past years' counts) assume event
//     times do not go backwards, which the injected clock guarantees.
package domain

import "time"

// Aggregate type names, used as the AggregateType of a store.StreamID and as
// the snapshot type.
const (
	TypeAccount = "DownloadAccount"
	TypeLicense = "License"
)

// Event is implemented by every domain event. Events travel as pointers
// (*DownloadGranted, ...): that is what decide functions return, what the
// codec registry decodes into and what Apply switches on.
type Event interface {
	// EventType is the name stored in the envelope.
	EventType() string
}

// Aggregate is the state folded from one stream's events. Aggregates are
// never stored, only their events and snapshots.
type Aggregate interface {
	AggregateType() string
	// Version is the version of the last applied event (0 for a new stream).
	Version() uint64
	// Apply folds the event at version v into the state. It returns an error,
	// never panics, for an event the aggregate cannot accept (wrong type,
	// version gap).
	Apply(v uint64, e Event) error
}

// --- DownloadAccount stream events (one stream per customer). ---

// AccountOpened starts a customer's account stream.
type AccountOpened struct {
	CustomerID string
	Plan       string
	At         time.Time
}

// DeviceRegistered adds a device that may hold downloads.
type DeviceRegistered struct {
	DeviceID string
	At       time.Time
}

// DeviceRemoved removes a device; its active downloads are released with it.
type DeviceRemoved struct {
	DeviceID string
	At       time.Time
}

// DownloadGranted records a successful AcquireLicense on the account: the
// slot on the device and the per-(title, year) count.
type DownloadGranted struct {
	RequestID  string
	LicenseID  string
	DeviceID   string
	TitleID    string
	StudioID   string
	Restricted bool
	Year       int
	ExpiresAt  time.Time
	At         time.Time
}

// DownloadRenewed moves an active download's expiry on the account.
type DownloadRenewed struct {
	LicenseID string
	ExpiresAt time.Time
	At        time.Time
}

// DownloadReleased frees a download slot (the user deleted the download).
type DownloadReleased struct {
	LicenseID string
	DeviceID  string
	At        time.Time
}

// DownloadDenied records a refused AcquireLicense with a machine-readable
// reason, for audit and debugging. This is schema version 2: version 1 had a
// free-text Reason only (see evolution.go for the upcaster).
type DownloadDenied struct {
	RequestID string
	DeviceID  string
	TitleID   string
	// Reason is a Reason value ("device_limit", ...).
	Reason string
	// Detail is the human-readable explanation (limits and counts).
	Detail        string
	PolicyVersion int
	At            time.Time
}

// --- License stream events (one stream per download). ---

// LicenseIssued starts a license stream.
type LicenseIssued struct {
	LicenseID     string
	CustomerID    string
	DeviceID      string
	TitleID       string
	StudioID      string
	PolicyVersion int
	IssuedAt      time.Time
	ExpiresAt     time.Time
}

// LicenseRenewed extends a license by the policy's duration.
type LicenseRenewed struct {
	// RequestID lets a retried RenewLicense be recognised instead of renewing
	// twice.
	RequestID string
	Renewal   int
	ExpiresAt time.Time
	At        time.Time
}

// PlaybackStarted records the first playback, which opens the playback
// window.
type PlaybackStarted struct {
	At             time.Time
	PlaybackEndsAt time.Time
}

// LicenseReleased ends a license (deleted download or removed device).
type LicenseReleased struct {
	Reason string
	At     time.Time
}

// LicenseActionDenied records a refused RenewLicense or StartPlayback.
type LicenseActionDenied struct {
	RequestID string
	Action    string
	Reason    string
	At        time.Time
}

// EventType implementations.
func (AccountOpened) EventType() string       { return "AccountOpened" }
func (DeviceRegistered) EventType() string    { return "DeviceRegistered" }
func (DeviceRemoved) EventType() string       { return "DeviceRemoved" }
func (DownloadGranted) EventType() string     { return "DownloadGranted" }
func (DownloadRenewed) EventType() string     { return "DownloadRenewed" }
func (DownloadReleased) EventType() string    { return "DownloadReleased" }
func (DownloadDenied) EventType() string      { return "DownloadDenied" }
func (LicenseIssued) EventType() string       { return "LicenseIssued" }
func (LicenseRenewed) EventType() string      { return "LicenseRenewed" }
func (PlaybackStarted) EventType() string     { return "PlaybackStarted" }
func (LicenseReleased) EventType() string     { return "LicenseReleased" }
func (LicenseActionDenied) EventType() string { return "LicenseActionDenied" }

// Snapshotter is an aggregate whose state can be captured in a snapshot and
// restored from one, so a load need not replay the whole stream.
type Snapshotter interface {
	Aggregate
	// SnapshotState returns a pointer to a registered snapshot type capturing
	// the whole state at Version().
	SnapshotState() any
	// RestoreSnapshot replaces the state with snap (as returned by the codec
	// registry for a snapshot of this aggregate type) taken at version v.
	RestoreSnapshot(v uint64, snap any) error
}

// OwnedRestorer is a Snapshotter that can take over a decoded snapshot
// instead of copying it. The caller of RestoreOwnedSnapshot gives snap away:
// it never reads or writes snap (or anything snap's slices hold) again, so
// the aggregate may keep those slices as its own state. The repository
// restores this way from the value the codec registry just decoded; the
// result is the same state RestoreSnapshot builds.
type OwnedRestorer interface {
	RestoreOwnedSnapshot(v uint64, snap any) error
}
