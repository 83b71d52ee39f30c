package protobuf

import (
	"fmt"

	"github.com/esbench/esbench/refimpl/codec/internal/wire"
	"github.com/esbench/esbench/refimpl/codec/protobuf/pb"
	"github.com/esbench/esbench/refimpl/domain"
)

// toPB maps a domain event or snapshot to its generated message.
func toPB(v any) (message, error) {
	var c wire.Conv
	var m message
	switch d := v.(type) {
	case *domain.AccountOpened:
		m = &pb.AccountOpened{CustomerId: d.CustomerID, Plan: d.Plan, At: c.Nanos("At", d.At)}
	case *domain.DeviceRegistered:
		m = &pb.DeviceRegistered{DeviceId: d.DeviceID, At: c.Nanos("At", d.At)}
	case *domain.DeviceRemoved:
		m = &pb.DeviceRemoved{DeviceId: d.DeviceID, At: c.Nanos("At", d.At)}
	case *domain.DownloadGranted:
		m = &pb.DownloadGranted{RequestId: d.RequestID, LicenseId: d.LicenseID, DeviceId: d.DeviceID, TitleId: d.TitleID,
			StudioId: d.StudioID, Restricted: d.Restricted, Year: int64(d.Year),
			ExpiresAt: c.Nanos("ExpiresAt", d.ExpiresAt), At: c.Nanos("At", d.At)}
	case *domain.DownloadRenewed:
		m = &pb.DownloadRenewed{LicenseId: d.LicenseID, ExpiresAt: c.Nanos("ExpiresAt", d.ExpiresAt), At: c.Nanos("At", d.At)}
	case *domain.DownloadReleased:
		m = &pb.DownloadReleased{LicenseId: d.LicenseID, DeviceId: d.DeviceID, At: c.Nanos("At", d.At)}
	case *domain.DownloadDenied:
		m = &pb.DownloadDenied{RequestId: d.RequestID, DeviceId: d.DeviceID, TitleId: d.TitleID, Reason: d.Reason,
			Detail: d.Detail, PolicyVersion: int64(d.PolicyVersion), At: c.Nanos("At", d.At)}
	case *domain.LicenseIssued:
		m = &pb.LicenseIssued{LicenseId: d.LicenseID, CustomerId: d.CustomerID, DeviceId: d.DeviceID, TitleId: d.TitleID,
			StudioId: d.StudioID, PolicyVersion: int64(d.PolicyVersion),
			IssuedAt: c.Nanos("IssuedAt", d.IssuedAt), ExpiresAt: c.Nanos("ExpiresAt", d.ExpiresAt)}
	case *domain.LicenseRenewed:
		m = &pb.LicenseRenewed{RequestId: d.RequestID, Renewal: int64(d.Renewal), ExpiresAt: c.Nanos("ExpiresAt", d.ExpiresAt), At: c.Nanos("At", d.At)}
	case *domain.PlaybackStarted:
		m = &pb.PlaybackStarted{At: c.Nanos("At", d.At), PlaybackEndsAt: c.Nanos("PlaybackEndsAt", d.PlaybackEndsAt)}
	case *domain.LicenseReleased:
		m = &pb.LicenseReleased{Reason: d.Reason, At: c.Nanos("At", d.At)}
	case *domain.LicenseActionDenied:
		m = &pb.LicenseActionDenied{RequestId: d.RequestID, Action: d.Action, Reason: d.Reason, At: c.Nanos("At", d.At)}
	default:
		return snapshotToPB(v)
	}
	if c.Err != nil {
		return nil, fmt.Errorf("%T: %w", v, c.Err)
	}
	return m, nil
}

// newPB returns an empty generated message for v's type from its pool;
// the caller returns it with ReturnToVTPool once fromPB has copied it out.
func newPB(v any) (message, error) {
	switch v.(type) {
	case *domain.AccountOpened:
		return pb.AccountOpenedFromVTPool(), nil
	case *domain.DeviceRegistered:
		return pb.DeviceRegisteredFromVTPool(), nil
	case *domain.DeviceRemoved:
		return pb.DeviceRemovedFromVTPool(), nil
	case *domain.DownloadGranted:
		return pb.DownloadGrantedFromVTPool(), nil
	case *domain.DownloadRenewed:
		return pb.DownloadRenewedFromVTPool(), nil
	case *domain.DownloadReleased:
		return pb.DownloadReleasedFromVTPool(), nil
	case *domain.DownloadDenied:
		return pb.DownloadDeniedFromVTPool(), nil
	case *domain.LicenseIssued:
		return pb.LicenseIssuedFromVTPool(), nil
	case *domain.LicenseRenewed:
		return pb.LicenseRenewedFromVTPool(), nil
	case *domain.PlaybackStarted:
		return pb.PlaybackStartedFromVTPool(), nil
	case *domain.LicenseReleased:
		return pb.LicenseReleasedFromVTPool(), nil
	case *domain.LicenseActionDenied:
		return pb.LicenseActionDeniedFromVTPool(), nil
	}
	return newSnapshotPB(v)
}

// fromPB copies a decoded message (from newPB(v)) into v.
func fromPB(m message, v any) error {
	var c wire.Conv
	switch d := v.(type) {
	case *domain.AccountOpened:
		s := m.(*pb.AccountOpened)
		*d = domain.AccountOpened{CustomerID: s.CustomerId, Plan: s.Plan, At: wire.Time(s.At)}
	case *domain.DeviceRegistered:
		s := m.(*pb.DeviceRegistered)
		*d = domain.DeviceRegistered{DeviceID: s.DeviceId, At: wire.Time(s.At)}
	case *domain.DeviceRemoved:
		s := m.(*pb.DeviceRemoved)
		*d = domain.DeviceRemoved{DeviceID: s.DeviceId, At: wire.Time(s.At)}
	case *domain.DownloadGranted:
		s := m.(*pb.DownloadGranted)
		*d = domain.DownloadGranted{RequestID: s.RequestId, LicenseID: s.LicenseId, DeviceID: s.DeviceId, TitleID: s.TitleId,
			StudioID: s.StudioId, Restricted: s.Restricted, Year: c.Int("Year", s.Year),
			ExpiresAt: wire.Time(s.ExpiresAt), At: wire.Time(s.At)}
	case *domain.DownloadRenewed:
		s := m.(*pb.DownloadRenewed)
		*d = domain.DownloadRenewed{LicenseID: s.LicenseId, ExpiresAt: wire.Time(s.ExpiresAt), At: wire.Time(s.At)}
	case *domain.DownloadReleased:
		s := m.(*pb.DownloadReleased)
		*d = domain.DownloadReleased{LicenseID: s.LicenseId, DeviceID: s.DeviceId, At: wire.Time(s.At)}
	case *domain.DownloadDenied:
		s := m.(*pb.DownloadDenied)
		*d = domain.DownloadDenied{RequestID: s.RequestId, DeviceID: s.DeviceId, TitleID: s.TitleId, Reason: s.Reason,
			Detail: s.Detail, PolicyVersion: c.Int("PolicyVersion", s.PolicyVersion), At: wire.Time(s.At)}
	case *domain.LicenseIssued:
		s := m.(*pb.LicenseIssued)
		*d = domain.LicenseIssued{LicenseID: s.LicenseId, CustomerID: s.CustomerId, DeviceID: s.DeviceId, TitleID: s.TitleId,
			StudioID: s.StudioId, PolicyVersion: c.Int("PolicyVersion", s.PolicyVersion),
			IssuedAt: wire.Time(s.IssuedAt), ExpiresAt: wire.Time(s.ExpiresAt)}
	case *domain.LicenseRenewed:
		s := m.(*pb.LicenseRenewed)
		*d = domain.LicenseRenewed{RequestID: s.RequestId, Renewal: c.Int("Renewal", s.Renewal), ExpiresAt: wire.Time(s.ExpiresAt), At: wire.Time(s.At)}
	case *domain.PlaybackStarted:
		s := m.(*pb.PlaybackStarted)
		*d = domain.PlaybackStarted{At: wire.Time(s.At), PlaybackEndsAt: wire.Time(s.PlaybackEndsAt)}
	case *domain.LicenseReleased:
		s := m.(*pb.LicenseReleased)
		*d = domain.LicenseReleased{Reason: s.Reason, At: wire.Time(s.At)}
	case *domain.LicenseActionDenied:
		s := m.(*pb.LicenseActionDenied)
		*d = domain.LicenseActionDenied{RequestID: s.RequestId, Action: s.Action, Reason: s.Reason, At: wire.Time(s.At)}
	default:
		return snapshotFromPB(m, v)
	}
	if c.Err != nil {
		return fmt.Errorf("%T: %w", v, c.Err)
	}
	return nil
}
