package wire

import (
	"fmt"

	"github.com/esbench/esbench/refimpl/domain"
)

// The struct tags carry each codec's key: msg for MessagePack (short string
// keys), cbor for CBOR (integer keys), avro for Avro (record field names,
// which must match the schemas in package avro).

// AccountOpened mirrors domain.AccountOpened.
type AccountOpened struct {
	CustomerID string `msg:"customer_id" cbor:"1,keyasint" avro:"customer_id"`
	Plan       string `msg:"plan" cbor:"2,keyasint" avro:"plan"`
	At         int64  `msg:"at" cbor:"3,keyasint" avro:"at"`
}

// DeviceRegistered mirrors domain.DeviceRegistered.
type DeviceRegistered struct {
	DeviceID string `msg:"device_id" cbor:"1,keyasint" avro:"device_id"`
	At       int64  `msg:"at" cbor:"2,keyasint" avro:"at"`
}

// DeviceRemoved mirrors domain.DeviceRemoved.
type DeviceRemoved struct {
	DeviceID string `msg:"device_id" cbor:"1,keyasint" avro:"device_id"`
	At       int64  `msg:"at" cbor:"2,keyasint" avro:"at"`
}

// DownloadGranted mirrors domain.DownloadGranted.
type DownloadGranted struct {
	RequestID  string `msg:"request_id" cbor:"1,keyasint" avro:"request_id"`
	LicenseID  string `msg:"license_id" cbor:"2,keyasint" avro:"license_id"`
	DeviceID   string `msg:"device_id" cbor:"3,keyasint" avro:"device_id"`
	TitleID    string `msg:"title_id" cbor:"4,keyasint" avro:"title_id"`
	StudioID   string `msg:"studio_id" cbor:"5,keyasint" avro:"studio_id"`
	Restricted bool   `msg:"restricted" cbor:"6,keyasint" avro:"restricted"`
	Year       int64  `msg:"year" cbor:"7,keyasint" avro:"year"`
	ExpiresAt  int64  `msg:"expires_at" cbor:"8,keyasint" avro:"expires_at"`
	At         int64  `msg:"at" cbor:"9,keyasint" avro:"at"`
}

// DownloadRenewed mirrors domain.DownloadRenewed.
type DownloadRenewed struct {
	LicenseID string `msg:"license_id" cbor:"1,keyasint" avro:"license_id"`
	ExpiresAt int64  `msg:"expires_at" cbor:"2,keyasint" avro:"expires_at"`
	At        int64  `msg:"at" cbor:"3,keyasint" avro:"at"`
}

// DownloadReleased mirrors domain.DownloadReleased.
type DownloadReleased struct {
	LicenseID string `msg:"license_id" cbor:"1,keyasint" avro:"license_id"`
	DeviceID  string `msg:"device_id" cbor:"2,keyasint" avro:"device_id"`
	At        int64  `msg:"at" cbor:"3,keyasint" avro:"at"`
}

// DownloadDenied mirrors domain.DownloadDenied.
type DownloadDenied struct {
	RequestID     string `msg:"request_id" cbor:"1,keyasint" avro:"request_id"`
	DeviceID      string `msg:"device_id" cbor:"2,keyasint" avro:"device_id"`
	TitleID       string `msg:"title_id" cbor:"3,keyasint" avro:"title_id"`
	Reason        string `msg:"reason" cbor:"4,keyasint" avro:"reason"`
	Detail        string `msg:"detail" cbor:"5,keyasint" avro:"detail"`
	PolicyVersion int64  `msg:"policy_version" cbor:"6,keyasint" avro:"policy_version"`
	At            int64  `msg:"at" cbor:"7,keyasint" avro:"at"`
}

// LicenseIssued mirrors domain.LicenseIssued.
type LicenseIssued struct {
	LicenseID     string `msg:"license_id" cbor:"1,keyasint" avro:"license_id"`
	CustomerID    string `msg:"customer_id" cbor:"2,keyasint" avro:"customer_id"`
	DeviceID      string `msg:"device_id" cbor:"3,keyasint" avro:"device_id"`
	TitleID       string `msg:"title_id" cbor:"4,keyasint" avro:"title_id"`
	StudioID      string `msg:"studio_id" cbor:"5,keyasint" avro:"studio_id"`
	PolicyVersion int64  `msg:"policy_version" cbor:"6,keyasint" avro:"policy_version"`
	IssuedAt      int64  `msg:"issued_at" cbor:"7,keyasint" avro:"issued_at"`
	ExpiresAt     int64  `msg:"expires_at" cbor:"8,keyasint" avro:"expires_at"`
}

// LicenseRenewed mirrors domain.LicenseRenewed.
type LicenseRenewed struct {
	RequestID string `msg:"request_id" cbor:"1,keyasint" avro:"request_id"`
	Renewal   int64  `msg:"renewal" cbor:"2,keyasint" avro:"renewal"`
	ExpiresAt int64  `msg:"expires_at" cbor:"3,keyasint" avro:"expires_at"`
	At        int64  `msg:"at" cbor:"4,keyasint" avro:"at"`
}

// PlaybackStarted mirrors domain.PlaybackStarted.
type PlaybackStarted struct {
	At             int64 `msg:"at" cbor:"1,keyasint" avro:"at"`
	PlaybackEndsAt int64 `msg:"playback_ends_at" cbor:"2,keyasint" avro:"playback_ends_at"`
}

// LicenseReleased mirrors domain.LicenseReleased.
type LicenseReleased struct {
	Reason string `msg:"reason" cbor:"1,keyasint" avro:"reason"`
	At     int64  `msg:"at" cbor:"2,keyasint" avro:"at"`
}

// LicenseActionDenied mirrors domain.LicenseActionDenied.
type LicenseActionDenied struct {
	RequestID string `msg:"request_id" cbor:"1,keyasint" avro:"request_id"`
	Action    string `msg:"action" cbor:"2,keyasint" avro:"action"`
	Reason    string `msg:"reason" cbor:"3,keyasint" avro:"reason"`
	At        int64  `msg:"at" cbor:"4,keyasint" avro:"at"`
}

// From converts a pointer to a domain event or snapshot into a pointer to
// its wire mirror.
func From(v any) (any, error) {
	var c Conv
	var w any
	switch d := v.(type) {
	case *domain.AccountOpened:
		w = &AccountOpened{CustomerID: d.CustomerID, Plan: d.Plan, At: c.Nanos("At", d.At)}
	case *domain.DeviceRegistered:
		w = &DeviceRegistered{DeviceID: d.DeviceID, At: c.Nanos("At", d.At)}
	case *domain.DeviceRemoved:
		w = &DeviceRemoved{DeviceID: d.DeviceID, At: c.Nanos("At", d.At)}
	case *domain.DownloadGranted:
		w = &DownloadGranted{RequestID: d.RequestID, LicenseID: d.LicenseID, DeviceID: d.DeviceID, TitleID: d.TitleID,
			StudioID: d.StudioID, Restricted: d.Restricted, Year: int64(d.Year),
			ExpiresAt: c.Nanos("ExpiresAt", d.ExpiresAt), At: c.Nanos("At", d.At)}
	case *domain.DownloadRenewed:
		w = &DownloadRenewed{LicenseID: d.LicenseID, ExpiresAt: c.Nanos("ExpiresAt", d.ExpiresAt), At: c.Nanos("At", d.At)}
	case *domain.DownloadReleased:
		w = &DownloadReleased{LicenseID: d.LicenseID, DeviceID: d.DeviceID, At: c.Nanos("At", d.At)}
	case *domain.DownloadDenied:
		w = &DownloadDenied{RequestID: d.RequestID, DeviceID: d.DeviceID, TitleID: d.TitleID, Reason: d.Reason,
			Detail: d.Detail, PolicyVersion: int64(d.PolicyVersion), At: c.Nanos("At", d.At)}
	case *domain.LicenseIssued:
		w = &LicenseIssued{LicenseID: d.LicenseID, CustomerID: d.CustomerID, DeviceID: d.DeviceID, TitleID: d.TitleID,
			StudioID: d.StudioID, PolicyVersion: int64(d.PolicyVersion),
			IssuedAt: c.Nanos("IssuedAt", d.IssuedAt), ExpiresAt: c.Nanos("ExpiresAt", d.ExpiresAt)}
	case *domain.LicenseRenewed:
		w = &LicenseRenewed{RequestID: d.RequestID, Renewal: int64(d.Renewal), ExpiresAt: c.Nanos("ExpiresAt", d.ExpiresAt), At: c.Nanos("At", d.At)}
	case *domain.PlaybackStarted:
		w = &PlaybackStarted{At: c.Nanos("At", d.At), PlaybackEndsAt: c.Nanos("PlaybackEndsAt", d.PlaybackEndsAt)}
	case *domain.LicenseReleased:
		w = &LicenseReleased{Reason: d.Reason, At: c.Nanos("At", d.At)}
	case *domain.LicenseActionDenied:
		w = &LicenseActionDenied{RequestID: d.RequestID, Action: d.Action, Reason: d.Reason, At: c.Nanos("At", d.At)}
	default:
		return fromSnapshot(v)
	}
	if c.Err != nil {
		return nil, fmt.Errorf("%T: %w", v, c.Err)
	}
	return w, nil
}

// New returns a pointer to a zero wire mirror for v, a pointer to a domain
// event or snapshot.
func New(v any) (any, error) {
	switch v.(type) {
	case *domain.AccountOpened:
		return &AccountOpened{}, nil
	case *domain.DeviceRegistered:
		return &DeviceRegistered{}, nil
	case *domain.DeviceRemoved:
		return &DeviceRemoved{}, nil
	case *domain.DownloadGranted:
		return &DownloadGranted{}, nil
	case *domain.DownloadRenewed:
		return &DownloadRenewed{}, nil
	case *domain.DownloadReleased:
		return &DownloadReleased{}, nil
	case *domain.DownloadDenied:
		return &DownloadDenied{}, nil
	case *domain.LicenseIssued:
		return &LicenseIssued{}, nil
	case *domain.LicenseRenewed:
		return &LicenseRenewed{}, nil
	case *domain.PlaybackStarted:
		return &PlaybackStarted{}, nil
	case *domain.LicenseReleased:
		return &LicenseReleased{}, nil
	case *domain.LicenseActionDenied:
		return &LicenseActionDenied{}, nil
	}
	return newSnapshot(v)
}

// To copies the wire mirror w (as returned by New for v) into the domain
// value v points to.
func To(w, v any) error {
	var c Conv
	switch d := v.(type) {
	case *domain.AccountOpened:
		s := w.(*AccountOpened)
		*d = domain.AccountOpened{CustomerID: s.CustomerID, Plan: s.Plan, At: Time(s.At)}
	case *domain.DeviceRegistered:
		s := w.(*DeviceRegistered)
		*d = domain.DeviceRegistered{DeviceID: s.DeviceID, At: Time(s.At)}
	case *domain.DeviceRemoved:
		s := w.(*DeviceRemoved)
		*d = domain.DeviceRemoved{DeviceID: s.DeviceID, At: Time(s.At)}
	case *domain.DownloadGranted:
		s := w.(*DownloadGranted)
		*d = domain.DownloadGranted{RequestID: s.RequestID, LicenseID: s.LicenseID, DeviceID: s.DeviceID, TitleID: s.TitleID,
			StudioID: s.StudioID, Restricted: s.Restricted, Year: c.Int("Year", s.Year),
			ExpiresAt: Time(s.ExpiresAt), At: Time(s.At)}
	case *domain.DownloadRenewed:
		s := w.(*DownloadRenewed)
		*d = domain.DownloadRenewed{LicenseID: s.LicenseID, ExpiresAt: Time(s.ExpiresAt), At: Time(s.At)}
	case *domain.DownloadReleased:
		s := w.(*DownloadReleased)
		*d = domain.DownloadReleased{LicenseID: s.LicenseID, DeviceID: s.DeviceID, At: Time(s.At)}
	case *domain.DownloadDenied:
		s := w.(*DownloadDenied)
		*d = domain.DownloadDenied{RequestID: s.RequestID, DeviceID: s.DeviceID, TitleID: s.TitleID, Reason: s.Reason,
			Detail: s.Detail, PolicyVersion: c.Int("PolicyVersion", s.PolicyVersion), At: Time(s.At)}
	case *domain.LicenseIssued:
		s := w.(*LicenseIssued)
		*d = domain.LicenseIssued{LicenseID: s.LicenseID, CustomerID: s.CustomerID, DeviceID: s.DeviceID, TitleID: s.TitleID,
			StudioID: s.StudioID, PolicyVersion: c.Int("PolicyVersion", s.PolicyVersion),
			IssuedAt: Time(s.IssuedAt), ExpiresAt: Time(s.ExpiresAt)}
	case *domain.LicenseRenewed:
		s := w.(*LicenseRenewed)
		*d = domain.LicenseRenewed{RequestID: s.RequestID, Renewal: c.Int("Renewal", s.Renewal), ExpiresAt: Time(s.ExpiresAt), At: Time(s.At)}
	case *domain.PlaybackStarted:
		s := w.(*PlaybackStarted)
		*d = domain.PlaybackStarted{At: Time(s.At), PlaybackEndsAt: Time(s.PlaybackEndsAt)}
	case *domain.LicenseReleased:
		s := w.(*LicenseReleased)
		*d = domain.LicenseReleased{Reason: s.Reason, At: Time(s.At)}
	case *domain.LicenseActionDenied:
		s := w.(*LicenseActionDenied)
		*d = domain.LicenseActionDenied{RequestID: s.RequestID, Action: s.Action, Reason: s.Reason, At: Time(s.At)}
	default:
		return toSnapshot(w, v)
	}
	if c.Err != nil {
		return fmt.Errorf("%T: %w", v, c.Err)
	}
	return nil
}

// UnsupportedError is returned for a Go type the schema-driven codecs have
// no schema for.
type UnsupportedError struct{ Value any }

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("no wire schema for Go type %T (only pointers to domain events and snapshots)", e.Value)
}
