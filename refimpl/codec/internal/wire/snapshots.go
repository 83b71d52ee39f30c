package wire

import (
	"fmt"

	"github.com/esbench/esbench/refimpl/domain"
)

// AccountSnapshot mirrors domain.AccountSnapshot.
type AccountSnapshot struct {
	CustomerID string           `msg:"customer_id" cbor:"1,keyasint" avro:"customer_id"`
	Plan       string           `msg:"plan" cbor:"2,keyasint" avro:"plan"`
	OpenedAt   int64            `msg:"opened_at" cbor:"3,keyasint" avro:"opened_at"`
	Devices    []DeviceEntry    `msg:"devices" cbor:"4,keyasint" avro:"devices"`
	Downloads  []DownloadEntry  `msg:"downloads" cbor:"5,keyasint" avro:"downloads"`
	TitleYears []TitleYearCount `msg:"title_years" cbor:"6,keyasint" avro:"title_years"`
	LatestYear int64            `msg:"latest_year" cbor:"7,keyasint" avro:"latest_year"`
	Denials    []Denial         `msg:"denials" cbor:"8,keyasint" avro:"denials"`
	PruneAt    int64            `msg:"prune_at" cbor:"9,keyasint" avro:"prune_at"`
	Counters   AccountCounters  `msg:"counters" cbor:"10,keyasint" avro:"counters"`
}

// DeviceEntry mirrors domain.DeviceEntry.
type DeviceEntry struct {
	DeviceID     string `msg:"device_id" cbor:"1,keyasint" avro:"device_id"`
	RegisteredAt int64  `msg:"registered_at" cbor:"2,keyasint" avro:"registered_at"`
}

// DownloadEntry mirrors domain.DownloadEntry.
type DownloadEntry struct {
	LicenseID string `msg:"license_id" cbor:"1,keyasint" avro:"license_id"`
	DeviceID  string `msg:"device_id" cbor:"2,keyasint" avro:"device_id"`
	TitleID   string `msg:"title_id" cbor:"3,keyasint" avro:"title_id"`
	ExpiresAt int64  `msg:"expires_at" cbor:"4,keyasint" avro:"expires_at"`
}

// TitleYearCount mirrors domain.TitleYearCount.
type TitleYearCount struct {
	TitleID string `msg:"title_id" cbor:"1,keyasint" avro:"title_id"`
	Year    int64  `msg:"year" cbor:"2,keyasint" avro:"year"`
	Count   int64  `msg:"count" cbor:"3,keyasint" avro:"count"`
}

// Denial mirrors domain.Denial.
type Denial struct {
	RequestID string `msg:"request_id" cbor:"1,keyasint" avro:"request_id"`
	DeviceID  string `msg:"device_id" cbor:"2,keyasint" avro:"device_id"`
	TitleID   string `msg:"title_id" cbor:"3,keyasint" avro:"title_id"`
	Reason    string `msg:"reason" cbor:"4,keyasint" avro:"reason"`
	Detail    string `msg:"detail" cbor:"5,keyasint" avro:"detail"`
	At        int64  `msg:"at" cbor:"6,keyasint" avro:"at"`
}

// AccountCounters mirrors domain.AccountCounters. The counters are uint64
// in the domain and travel as the same 64 bits in an int64 (Avro has no
// unsigned type).
type AccountCounters struct {
	Granted  int64 `msg:"granted" cbor:"1,keyasint" avro:"granted"`
	Denied   int64 `msg:"denied" cbor:"2,keyasint" avro:"denied"`
	Renewed  int64 `msg:"renewed" cbor:"3,keyasint" avro:"renewed"`
	Released int64 `msg:"released" cbor:"4,keyasint" avro:"released"`
}

// LicenseSnapshot mirrors domain.LicenseSnapshot.
type LicenseSnapshot struct {
	LicenseID      string `msg:"license_id" cbor:"1,keyasint" avro:"license_id"`
	CustomerID     string `msg:"customer_id" cbor:"2,keyasint" avro:"customer_id"`
	DeviceID       string `msg:"device_id" cbor:"3,keyasint" avro:"device_id"`
	TitleID        string `msg:"title_id" cbor:"4,keyasint" avro:"title_id"`
	StudioID       string `msg:"studio_id" cbor:"5,keyasint" avro:"studio_id"`
	PolicyVersion  int64  `msg:"policy_version" cbor:"6,keyasint" avro:"policy_version"`
	IssuedAt       int64  `msg:"issued_at" cbor:"7,keyasint" avro:"issued_at"`
	ExpiresAt      int64  `msg:"expires_at" cbor:"8,keyasint" avro:"expires_at"`
	Renewals       int64  `msg:"renewals" cbor:"9,keyasint" avro:"renewals"`
	LastRenewal    string `msg:"last_renewal" cbor:"10,keyasint" avro:"last_renewal"`
	FirstPlayAt    int64  `msg:"first_play_at" cbor:"11,keyasint" avro:"first_play_at"`
	PlaybackEndsAt int64  `msg:"playback_ends_at" cbor:"12,keyasint" avro:"playback_ends_at"`
	Released       bool   `msg:"released" cbor:"13,keyasint" avro:"released"`
	ReleasedAt     int64  `msg:"released_at" cbor:"14,keyasint" avro:"released_at"`
	ReleaseReason  string `msg:"release_reason" cbor:"15,keyasint" avro:"release_reason"`
	Denials        int64  `msg:"denials" cbor:"16,keyasint" avro:"denials"`
}

func fromSnapshot(v any) (any, error) {
	var c Conv
	var w any
	switch d := v.(type) {
	case *domain.AccountSnapshot:
		s := &AccountSnapshot{CustomerID: d.CustomerID, Plan: d.Plan, OpenedAt: c.Nanos("OpenedAt", d.OpenedAt),
			LatestYear: int64(d.LatestYear), PruneAt: int64(d.PruneAt),
			Counters: AccountCounters{Granted: int64(d.Counters.Granted), Denied: int64(d.Counters.Denied),
				Renewed: int64(d.Counters.Renewed), Released: int64(d.Counters.Released)}}
		if len(d.Devices) > 0 {
			s.Devices = make([]DeviceEntry, len(d.Devices))
			for i, e := range d.Devices {
				s.Devices[i] = DeviceEntry{DeviceID: e.DeviceID, RegisteredAt: c.Nanos("Devices.RegisteredAt", e.RegisteredAt)}
			}
		}
		if len(d.Downloads) > 0 {
			s.Downloads = make([]DownloadEntry, len(d.Downloads))
			for i, e := range d.Downloads {
				s.Downloads[i] = DownloadEntry{LicenseID: e.LicenseID, DeviceID: e.DeviceID, TitleID: e.TitleID,
					ExpiresAt: c.Nanos("Downloads.ExpiresAt", e.ExpiresAt)}
			}
		}
		if ty := d.TitleYearCounts(); len(ty) > 0 {
			s.TitleYears = make([]TitleYearCount, len(ty))
			for i, e := range ty {
				s.TitleYears[i] = TitleYearCount{TitleID: e.TitleID, Year: int64(e.Year), Count: int64(e.Count)}
			}
		}
		if dn := d.RecentDenials(); len(dn) > 0 {
			s.Denials = make([]Denial, len(dn))
			for i, e := range dn {
				s.Denials[i] = Denial{RequestID: e.RequestID, DeviceID: e.DeviceID, TitleID: e.TitleID, Reason: string(e.Reason),
					Detail: e.Detail, At: c.Nanos("Denials.At", e.At)}
			}
		}
		w = s
	case *domain.LicenseSnapshot:
		w = &LicenseSnapshot{LicenseID: d.LicenseID, CustomerID: d.CustomerID, DeviceID: d.DeviceID, TitleID: d.TitleID,
			StudioID: d.StudioID, PolicyVersion: int64(d.PolicyVersion), IssuedAt: c.Nanos("IssuedAt", d.IssuedAt),
			ExpiresAt: c.Nanos("ExpiresAt", d.ExpiresAt), Renewals: int64(d.Renewals), LastRenewal: d.LastRenewal,
			FirstPlayAt: c.Nanos("FirstPlayAt", d.FirstPlayAt), PlaybackEndsAt: c.Nanos("PlaybackEndsAt", d.PlaybackEndsAt),
			Released: d.Released, ReleasedAt: c.Nanos("ReleasedAt", d.ReleasedAt), ReleaseReason: d.ReleaseReason,
			Denials: int64(d.Denials)}
	default:
		return nil, &UnsupportedError{Value: v}
	}
	if c.Err != nil {
		return nil, fmt.Errorf("%T: %w", v, c.Err)
	}
	return w, nil
}

func newSnapshot(v any) (any, error) {
	switch v.(type) {
	case *domain.AccountSnapshot:
		return &AccountSnapshot{}, nil
	case *domain.LicenseSnapshot:
		return &LicenseSnapshot{}, nil
	}
	return nil, &UnsupportedError{Value: v}
}

func toSnapshot(w, v any) error {
	var c Conv
	switch d := v.(type) {
	case *domain.AccountSnapshot:
		s := w.(*AccountSnapshot)
		*d = domain.AccountSnapshot{CustomerID: s.CustomerID, Plan: s.Plan, OpenedAt: Time(s.OpenedAt),
			LatestYear: c.Int("LatestYear", s.LatestYear), PruneAt: c.Int("PruneAt", s.PruneAt),
			Counters: domain.AccountCounters{Granted: uint64(s.Counters.Granted), Denied: uint64(s.Counters.Denied),
				Renewed: uint64(s.Counters.Renewed), Released: uint64(s.Counters.Released)}}
		if len(s.Devices) > 0 {
			d.Devices = make([]domain.DeviceEntry, len(s.Devices))
			for i, e := range s.Devices {
				d.Devices[i] = domain.DeviceEntry{DeviceID: e.DeviceID, RegisteredAt: Time(e.RegisteredAt)}
			}
		}
		if len(s.Downloads) > 0 {
			d.Downloads = make([]domain.DownloadEntry, len(s.Downloads))
			for i, e := range s.Downloads {
				d.Downloads[i] = domain.DownloadEntry{LicenseID: e.LicenseID, DeviceID: e.DeviceID, TitleID: e.TitleID, ExpiresAt: Time(e.ExpiresAt)}
			}
		}
		if len(s.TitleYears) > 0 {
			d.TitleYears = make([]domain.TitleYearCount, len(s.TitleYears))
			for i, e := range s.TitleYears {
				d.TitleYears[i] = domain.TitleYearCount{TitleID: e.TitleID, Year: c.Int("TitleYears.Year", e.Year), Count: c.Int("TitleYears.Count", e.Count)}
			}
		}
		if len(s.Denials) > 0 {
			d.Denials = make([]domain.Denial, len(s.Denials))
			for i, e := range s.Denials {
				d.Denials[i] = domain.Denial{RequestID: e.RequestID, DeviceID: e.DeviceID, TitleID: e.TitleID,
					Reason: domain.Reason(e.Reason), Detail: e.Detail, At: Time(e.At)}
			}
		}
	case *domain.LicenseSnapshot:
		s := w.(*LicenseSnapshot)
		*d = domain.LicenseSnapshot{LicenseID: s.LicenseID, CustomerID: s.CustomerID, DeviceID: s.DeviceID, TitleID: s.TitleID,
			StudioID: s.StudioID, PolicyVersion: c.Int("PolicyVersion", s.PolicyVersion), IssuedAt: Time(s.IssuedAt),
			ExpiresAt: Time(s.ExpiresAt), Renewals: c.Int("Renewals", s.Renewals), LastRenewal: s.LastRenewal,
			FirstPlayAt: Time(s.FirstPlayAt), PlaybackEndsAt: Time(s.PlaybackEndsAt), Released: s.Released,
			ReleasedAt: Time(s.ReleasedAt), ReleaseReason: s.ReleaseReason, Denials: c.Int("Denials", s.Denials)}
	default:
		return &UnsupportedError{Value: v}
	}
	if c.Err != nil {
		return fmt.Errorf("%T: %w", v, c.Err)
	}
	return nil
}
