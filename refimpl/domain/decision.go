package domain

import (
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
	return uuid.NewSHA1(licenseNamespace, []byte(requestID)).String()
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
