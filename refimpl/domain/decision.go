package domain

import (
	"crypto/sha1"
	"time"

	"github.com/google/uuid"
)

// Reason is the machine-readable why of a denial (or of a fallback grant).
type Reason string

// Reasons recorded in denial events and returned in decisions.
const (
	// ReasonDeviceLimit: the plan's number of devices already hold active
	// downloads and this device holds none.
	ReasonDeviceLimit Reason = "device_limit"
	// ReasonDeviceNotRegistered: the license's device was removed from the
	// account (renewing it would revive a download on an unknown device).
	ReasonDeviceNotRegistered Reason = "device_not_registered"
	// ReasonDownloadLimit: the device holds the maximum of active downloads.
	ReasonDownloadLimit Reason = "device_download_limit"
	// ReasonTitleYearLimit: the restricted studio's downloads per title and
	// calendar year are used up.
	ReasonTitleYearLimit Reason = "title_year_limit"
	// ReasonRenewalLimit: the license was renewed the maximum number of times.
	ReasonRenewalLimit Reason = "renewal_limit"
	// ReasonLicenseExpired: the license expired.
	ReasonLicenseExpired Reason = "license_expired"
	// ReasonLicenseReleased: the license was released.
	ReasonLicenseReleased Reason = "license_released"
	// ReasonPlaybackWindowOver: the playback window opened by the first play
	// has closed.
	ReasonPlaybackWindowOver Reason = "playback_window_over"
	// ReasonStoreUnavailable marks a fallback grant: the store failed, so the
	// service allowed the download with a short license.
	ReasonStoreUnavailable Reason = "store_unavailable"
	// ReasonUnspecified is what a version 1 DownloadDenied upcasts to when its
	// free-text reason matches no known reason.
	ReasonUnspecified Reason = "unspecified"
)

// Values of LicenseReleased.Reason.
const (
	ReleaseUserDeleted   = "user_deleted"
	ReleaseDeviceRemoved = "device_removed"
)

// Values of LicenseActionDenied.Action.
const (
	ActionRenew    = "renew"
	ActionPlayback = "playback"
)

// Decision is the answer to a command, returned to the caller.
type Decision struct {
	Allowed bool
	// Reason is set for denials and fallback grants, empty otherwise.
	Reason Reason
	// Detail is a human-readable explanation (limits and counts).
	Detail string
	// LicenseID is the license granted, renewed, released or played.
	LicenseID string
	// ExpiresAt is the license's expiry after the command (zero if none).
	ExpiresAt time.Time
	// Fallback marks a grant made without the store (see FallbackDecision).
	Fallback      bool
	PolicyVersion int
}

// Outcome is a decision plus the events to append atomically: Account for the
// customer's account stream, Licenses per license stream. A command that
// changes nothing (an idempotent retry) has no events.
type Outcome struct {
	Decision Decision
	Account  []Event
	// Licenses maps a license id to the events for that license's stream.
	Licenses map[string][]Event
}

// licenseNamespace scopes license ids so they cannot collide with other
// SHA-1 name-based UUIDs derived from the same request ids.
var licenseNamespace = uuid.MustParse("6f1c2d3e-9a4b-5c6d-8e7f-0a1b2c3d4e5f")

// LicenseIDFor derives the license id of an AcquireLicense from its request
// id, so a retried request names the same license stream.
func LicenseIDFor(requestID string) string {
	// uuid.NewSHA1's hash (the namespace, then the name) built on the stack:
	// an id is made for every download a preload grants.
	// TestLicenseIDIsUUIDv5 holds this to uuid.NewSHA1.
	var buf [128]byte
	in := append(buf[:0], licenseNamespace[:]...)
	in = append(in, requestID...)
	return NameUUID(in)
}

// NameUUID returns the version-5 UUID of in, which holds a namespace UUID
// followed by a name: uuid.NewSHA1's result without its allocations, for
// ids made on the preload's hot path (license and event ids).
func NameUUID(in []byte) string {
	sum := sha1.Sum(in)
	var u uuid.UUID
	copy(u[:], sum[:])
	u[6] = (u[6] & 0x0f) | 0x50 // version 5
	u[8] = (u[8] & 0x3f) | 0x80 // RFC 4122 variant
	return u.String()
}

// FallbackDecision is the permissive answer the service gives when the store
// fails or times out: allow with the policy's short fallback license, marked
// so the caller and the report can count it.
func FallbackDecision(c AcquireLicense, p Policy, now time.Time) Decision {
	return Decision{
		Allowed:       true,
		Reason:        ReasonStoreUnavailable,
		Detail:        "store unavailable: short fallback license",
		LicenseID:     LicenseIDFor(c.RequestID),
		ExpiresAt:     now.UTC().Add(p.FallbackLicense),
		Fallback:      true,
		PolicyVersion: p.Version,
	}
}
