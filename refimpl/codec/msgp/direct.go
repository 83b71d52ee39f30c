package msgp

//go:generate go tool msgp -file direct.go -o direct_msgp.go -tests=false -io=false -unexported

import (
	"time"

	"github.com/esbench/esbench/refimpl/codec/internal/wire"
)

// The domain events have the same fields, in the same order and of the same
// types, as the structs below; only the msg tags (the keys on the wire,
// shared with the wire mirrors) differ. Go converts a pointer between two
// such struct types for free, so msgp's generated UnmarshalMsg fills the
// domain value itself: no mirror, no copy (Codec.Unmarshal). A time travels
// as int64 Unix nanoseconds through the shim below, as in every other
// codec. Adding a field to a domain event breaks the conversion at compile
// time until it is added here too.

//msgp:shim time.Time as:int64 using:timeNanos/wire.Time witherr:false

// timeNanos is the encoding side of the shim, used only by the test that
// compares these structs' bytes with the wire mirrors': Marshal goes
// through the mirrors, whose errors name the field of an out-of-range time.
func timeNanos(t time.Time) int64 {
	n, _ := wire.Nanos("", t)
	return n
}

type accountOpened struct {
	CustomerID string    `msg:"customer_id"`
	Plan       string    `msg:"plan"`
	At         time.Time `msg:"at"`
}

type deviceRegistered struct {
	DeviceID string    `msg:"device_id"`
	At       time.Time `msg:"at"`
}

type deviceRemoved struct {
	DeviceID string    `msg:"device_id"`
	At       time.Time `msg:"at"`
}

type downloadGranted struct {
	RequestID  string    `msg:"request_id"`
	LicenseID  string    `msg:"license_id"`
	DeviceID   string    `msg:"device_id"`
	TitleID    string    `msg:"title_id"`
	StudioID   string    `msg:"studio_id"`
	Restricted bool      `msg:"restricted"`
	Year       int       `msg:"year"`
	ExpiresAt  time.Time `msg:"expires_at"`
	At         time.Time `msg:"at"`
}

type downloadRenewed struct {
	LicenseID string    `msg:"license_id"`
	ExpiresAt time.Time `msg:"expires_at"`
	At        time.Time `msg:"at"`
}

type downloadReleased struct {
	LicenseID string    `msg:"license_id"`
	DeviceID  string    `msg:"device_id"`
	At        time.Time `msg:"at"`
}

type downloadDenied struct {
	RequestID     string    `msg:"request_id"`
	DeviceID      string    `msg:"device_id"`
	TitleID       string    `msg:"title_id"`
	Reason        string    `msg:"reason"`
	Detail        string    `msg:"detail"`
	PolicyVersion int       `msg:"policy_version"`
	At            time.Time `msg:"at"`
}

type licenseIssued struct {
	LicenseID     string    `msg:"license_id"`
	CustomerID    string    `msg:"customer_id"`
	DeviceID      string    `msg:"device_id"`
	TitleID       string    `msg:"title_id"`
	StudioID      string    `msg:"studio_id"`
	PolicyVersion int       `msg:"policy_version"`
	IssuedAt      time.Time `msg:"issued_at"`
	ExpiresAt     time.Time `msg:"expires_at"`
}

type licenseRenewed struct {
	RequestID string    `msg:"request_id"`
	Renewal   int       `msg:"renewal"`
	ExpiresAt time.Time `msg:"expires_at"`
	At        time.Time `msg:"at"`
}

type playbackStarted struct {
	At             time.Time `msg:"at"`
	PlaybackEndsAt time.Time `msg:"playback_ends_at"`
}

type licenseReleased struct {
	Reason string    `msg:"reason"`
	At     time.Time `msg:"at"`
}

type licenseActionDenied struct {
	RequestID string    `msg:"request_id"`
	Action    string    `msg:"action"`
	Reason    string    `msg:"reason"`
	At        time.Time `msg:"at"`
}
