package avro

import (
	"github.com/hamba/avro/v2"

	"github.com/esbench/esbench/refimpl/codec/internal/wire"
	"github.com/esbench/esbench/refimpl/domain"
)

// readEvent decodes an event written with its own schema straight into the
// domain value with hamba/avro's reader primitives, field by field in the
// schema's order (schemas.go): what the library's reflection-driven
// decoder does for a tagged struct, without a mirror struct to allocate and
// copy. Strings come from the reader's slab. ok is false for a snapshot,
// which goes through its wire mirror. A test decodes every sample both
// ways, so a field order that disagrees with the schema fails it.
func readEvent(r *avro.Reader, v any) (ok bool, err error) {
	var c wire.Conv
	t := func() int64 { return r.ReadLong() }
	switch d := v.(type) {
	case *domain.AccountOpened:
		d.CustomerID, d.Plan = r.ReadString(), r.ReadString()
		d.At = wire.Time(t())
	case *domain.DeviceRegistered:
		d.DeviceID = r.ReadString()
		d.At = wire.Time(t())
	case *domain.DeviceRemoved:
		d.DeviceID = r.ReadString()
		d.At = wire.Time(t())
	case *domain.DownloadGranted:
		d.RequestID, d.LicenseID, d.DeviceID = r.ReadString(), r.ReadString(), r.ReadString()
		d.TitleID, d.StudioID = r.ReadString(), r.ReadString()
		d.Restricted = r.ReadBool()
		d.Year = c.Int("Year", r.ReadLong())
		d.ExpiresAt = wire.Time(t())
		d.At = wire.Time(t())
	case *domain.DownloadRenewed:
		d.LicenseID = r.ReadString()
		d.ExpiresAt = wire.Time(t())
		d.At = wire.Time(t())
	case *domain.DownloadReleased:
		d.LicenseID, d.DeviceID = r.ReadString(), r.ReadString()
		d.At = wire.Time(t())
	case *domain.DownloadDenied:
		d.RequestID, d.DeviceID, d.TitleID = r.ReadString(), r.ReadString(), r.ReadString()
		d.Reason, d.Detail = r.ReadString(), r.ReadString()
		d.PolicyVersion = c.Int("PolicyVersion", r.ReadLong())
		d.At = wire.Time(t())
	case *domain.LicenseIssued:
		d.LicenseID, d.CustomerID, d.DeviceID = r.ReadString(), r.ReadString(), r.ReadString()
		d.TitleID, d.StudioID = r.ReadString(), r.ReadString()
		d.PolicyVersion = c.Int("PolicyVersion", r.ReadLong())
		d.IssuedAt = wire.Time(t())
		d.ExpiresAt = wire.Time(t())
	case *domain.LicenseRenewed:
		d.RequestID = r.ReadString()
		d.Renewal = c.Int("Renewal", r.ReadLong())
		d.ExpiresAt = wire.Time(t())
		d.At = wire.Time(t())
	case *domain.PlaybackStarted:
		d.At = wire.Time(t())
		d.PlaybackEndsAt = wire.Time(t())
	case *domain.LicenseReleased:
		d.Reason = r.ReadString()
		d.At = wire.Time(t())
	case *domain.LicenseActionDenied:
		d.RequestID, d.Action, d.Reason = r.ReadString(), r.ReadString(), r.ReadString()
		d.At = wire.Time(t())
	default:
		return false, nil
	}
	return true, c.Err
}
