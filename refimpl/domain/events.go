// Package domain is the download-licensing model of the reference service:
// the DownloadAccount and License aggregates, their events and commands, and
// the versioned policy that decides what a customer may download.
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
