package domain

import (
	"fmt"
	"time"
)

// LicenseStatus is a license's state as of a given time.
type LicenseStatus string

// License statuses. A license is active until it is released or until its
// expiry (exclusive: at ExpiresAt it is expired).
const (
	StatusNone     LicenseStatus = ""
	StatusActive   LicenseStatus = "active"
	StatusReleased LicenseStatus = "released"
	StatusExpired  LicenseStatus = "expired"
)

// License is the aggregate of one download: customer, device, title,
// studio, issue and expiry, renewals, first playback and status.
type License struct {
	id            string
	version       uint64
	customerID    string
	deviceID      string
	titleID       string
	studioID      string
	policyVersion int
	issuedAt      time.Time
	expiresAt     time.Time
	renewals      int
	// lastRenewal is the request id of the latest renewal, so an immediate
	// retry is recognised.
	lastRenewal    string
	firstPlayAt    time.Time
	playbackEndsAt time.Time
	released       bool
	releasedAt     time.Time
	releaseReason  string
	denials        int
}

// NewLicense returns the empty license licenseID, ready for replay.
func NewLicense(licenseID string) *License { return &License{id: licenseID} }

// AggregateType returns TypeLicense.
func (l *License) AggregateType() string { return TypeLicense }

// Version is the version of the last applied event.
func (l *License) Version() uint64 { return l.version }

// ID is the license id.
func (l *License) ID() string { return l.id }

// Issued reports whether LicenseIssued was applied.
func (l *License) Issued() bool { return l.version > 0 }

// CustomerID is the customer the license was issued to.
func (l *License) CustomerID() string { return l.customerID }

// DeviceID is the device holding the download.
func (l *License) DeviceID() string { return l.deviceID }

// TitleID is the downloaded title.
func (l *License) TitleID() string { return l.titleID }

// StudioID is the title's studio.
func (l *License) StudioID() string { return l.studioID }

// PolicyVersion is the policy version that issued the license.
func (l *License) PolicyVersion() int { return l.policyVersion }

// IssuedAt is when the license was issued.
func (l *License) IssuedAt() time.Time { return l.issuedAt }

// ExpiresAt is the current expiry, renewals included.
func (l *License) ExpiresAt() time.Time { return l.expiresAt }

// Renewals is how many times the license was renewed.
func (l *License) Renewals() int { return l.renewals }

// FirstPlaybackAt is the first playback's time, zero if never played.
func (l *License) FirstPlaybackAt() time.Time { return l.firstPlayAt }

// PlaybackEndsAt is when the playback window closes, zero if never played.
func (l *License) PlaybackEndsAt() time.Time { return l.playbackEndsAt }

// ReleasedAt and ReleaseReason describe the release, zero if not released.
func (l *License) ReleasedAt() time.Time { return l.releasedAt }

// ReleaseReason is LicenseReleased.Reason, empty if not released.
func (l *License) ReleaseReason() string { return l.releaseReason }

// Denials counts the refused renewals and playbacks.
func (l *License) Denials() int { return l.denials }

// Status returns the license's status at now.
func (l *License) Status(now time.Time) LicenseStatus {
	switch {
	case l.version == 0:
		return StatusNone
	case l.released:
		return StatusReleased
	case !now.Before(l.expiresAt):
		return StatusExpired
	}
	return StatusActive
}

func (l *License) fail(v uint64, e Event, err error) error {
	return &ApplyError{Aggregate: TypeLicense, ID: l.id, Version: v, Event: eventName(e), Err: err}
}

// Apply folds the license event e at version v. It accepts the pointer
// event types of the license stream and returns an *ApplyError for a
// version gap, an account event, a nil event or a misplaced LicenseIssued.
func (l *License) Apply(v uint64, e Event) error {
	if v != l.version+1 {
		return l.fail(v, e, fmt.Errorf("%w: aggregate at %d", ErrVersionGap, l.version))
	}
	if is, ok := e.(*LicenseIssued); ok {
		if is == nil || l.version != 0 {
			return l.fail(v, e, ErrUnexpectedEvent)
		}
		if l.id != "" && is.LicenseID != l.id {
			return l.fail(v, e, fmt.Errorf("%w: license issued as %q", ErrWrongAggregate, is.LicenseID))
		}
		l.id = is.LicenseID
		l.customerID = is.CustomerID
		l.deviceID = is.DeviceID
		l.titleID = is.TitleID
		l.studioID = is.StudioID
		l.policyVersion = is.PolicyVersion
		l.issuedAt = is.IssuedAt.UTC()
		l.expiresAt = is.ExpiresAt.UTC()
		l.version = v
		return nil
	}
	if l.version == 0 {
		return l.fail(v, e, fmt.Errorf("%w: the stream must start with LicenseIssued", ErrUnexpectedEvent))
	}
	switch ev := e.(type) {
	case *LicenseRenewed:
		if ev == nil {
			return l.fail(v, e, ErrUnexpectedEvent)
		}
		l.renewals = ev.Renewal
		l.lastRenewal = ev.RequestID
		l.expiresAt = ev.ExpiresAt.UTC()
	case *PlaybackStarted:
		if ev == nil {
			return l.fail(v, e, ErrUnexpectedEvent)
		}
		l.firstPlayAt = ev.At.UTC()
		l.playbackEndsAt = ev.PlaybackEndsAt.UTC()
	case *LicenseReleased:
		if ev == nil {
			return l.fail(v, e, ErrUnexpectedEvent)
		}
		l.released = true
		l.releasedAt = ev.At.UTC()
		l.releaseReason = ev.Reason
	case *LicenseActionDenied:
		if ev == nil {
			return l.fail(v, e, ErrUnexpectedEvent)
		}
		l.denials++
	case nil:
		return l.fail(v, e, ErrUnexpectedEvent)
	default:
		return l.fail(v, e, fmt.Errorf("%w: %s is not a license event", ErrWrongAggregate, e.EventType()))
	}
	l.version = v
	return nil
}

// LicenseSnapshot is the codec-friendly state of a License.
type LicenseSnapshot struct {
	LicenseID      string
	CustomerID     string
	DeviceID       string
	TitleID        string
	StudioID       string
	PolicyVersion  int
	IssuedAt       time.Time
	ExpiresAt      time.Time
	Renewals       int
	LastRenewal    string
	FirstPlayAt    time.Time
	PlaybackEndsAt time.Time
	Released       bool
	ReleasedAt     time.Time
	ReleaseReason  string
	Denials        int
}

// SnapshotState returns a *LicenseSnapshot of the current state.
func (l *License) SnapshotState() any {
	return &LicenseSnapshot{
		LicenseID: l.id, CustomerID: l.customerID, DeviceID: l.deviceID, TitleID: l.titleID,
		StudioID: l.studioID, PolicyVersion: l.policyVersion, IssuedAt: l.issuedAt,
		ExpiresAt: l.expiresAt, Renewals: l.renewals, LastRenewal: l.lastRenewal, FirstPlayAt: l.firstPlayAt,
		PlaybackEndsAt: l.playbackEndsAt, Released: l.released, ReleasedAt: l.releasedAt,
		ReleaseReason: l.releaseReason, Denials: l.denials,
	}
}

// RestoreSnapshot replaces the state with snap, a *LicenseSnapshot taken at
// version v, refusing another license's snapshot.
func (l *License) RestoreSnapshot(v uint64, snap any) error {
	var s *LicenseSnapshot
	switch x := snap.(type) {
	case *LicenseSnapshot:
		s = x
	case LicenseSnapshot:
		s = &x
	}
	fail := func(err error) error {
		return &ApplyError{Aggregate: TypeLicense, ID: l.id, Version: v, Event: fmt.Sprintf("snapshot %T", snap), Err: err}
	}
	if s == nil {
		return fail(fmt.Errorf("%w: not a license snapshot", ErrWrongAggregate))
	}
	if v == 0 {
		return fail(fmt.Errorf("%w: snapshot at version 0", ErrUnexpectedEvent))
	}
	if l.id != "" && s.LicenseID != l.id {
		return fail(fmt.Errorf("%w: snapshot of license %q", ErrWrongAggregate, s.LicenseID))
	}
	if s.Renewals < 0 || s.Denials < 0 {
		return fail(fmt.Errorf("%w: negative counts in snapshot (renewals %d, denials %d)", ErrUnexpectedEvent, s.Renewals, s.Denials))
	}
	*l = License{
		id: s.LicenseID, version: v, customerID: s.CustomerID, deviceID: s.DeviceID,
		titleID: s.TitleID, studioID: s.StudioID, policyVersion: s.PolicyVersion,
		issuedAt: s.IssuedAt.UTC(), expiresAt: s.ExpiresAt.UTC(), renewals: s.Renewals,
		lastRenewal: s.LastRenewal, firstPlayAt: s.FirstPlayAt.UTC(), playbackEndsAt: s.PlaybackEndsAt.UTC(),
		released: s.Released, releasedAt: s.ReleasedAt.UTC(), releaseReason: s.ReleaseReason,
		denials: s.Denials,
	}
	return nil
}
