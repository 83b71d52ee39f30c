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
		*d = accountOpenedFromPB(m.(*pb.AccountOpened), &c)
	case *domain.DeviceRegistered:
		*d = deviceRegisteredFromPB(m.(*pb.DeviceRegistered), &c)
	case *domain.DeviceRemoved:
		*d = deviceRemovedFromPB(m.(*pb.DeviceRemoved), &c)
	case *domain.DownloadGranted:
		*d = downloadGrantedFromPB(m.(*pb.DownloadGranted), &c)
	case *domain.DownloadRenewed:
		*d = downloadRenewedFromPB(m.(*pb.DownloadRenewed), &c)
	case *domain.DownloadReleased:
		*d = downloadReleasedFromPB(m.(*pb.DownloadReleased), &c)
	case *domain.DownloadDenied:
		*d = downloadDeniedFromPB(m.(*pb.DownloadDenied), &c)
	case *domain.LicenseIssued:
		*d = licenseIssuedFromPB(m.(*pb.LicenseIssued), &c)
	case *domain.LicenseRenewed:
		*d = licenseRenewedFromPB(m.(*pb.LicenseRenewed), &c)
	case *domain.PlaybackStarted:
		*d = playbackStartedFromPB(m.(*pb.PlaybackStarted), &c)
	case *domain.LicenseReleased:
		*d = licenseReleasedFromPB(m.(*pb.LicenseReleased), &c)
	case *domain.LicenseActionDenied:
		*d = licenseActionDeniedFromPB(m.(*pb.LicenseActionDenied), &c)
	default:
		return snapshotFromPB(m, v)
	}
	if c.Err != nil {
		return fmt.Errorf("%T: %w", v, c.Err)
	}
	return nil
}

// decodeEventVT decodes an event with the vtprotobuf-generated methods into a
// message on the stack (one concrete type per case, so nothing escapes: no
// allocation, no pool) and copies it into v; with alias its strings point
// into data (UnmarshalVTUnsafe). ok is false when v is not an event.
func decodeEventVT(data []byte, v any, alias bool) (ok bool, err error) {
	var c wire.Conv
	switch d := v.(type) {
	case *domain.AccountOpened:
		var m pb.AccountOpened
		if alias {
			err = m.UnmarshalVTUnsafe(data)
		} else {
			err = m.UnmarshalVT(data)
		}
		if err == nil {
			*d = accountOpenedFromPB(&m, &c)
		}
	case *domain.DeviceRegistered:
		var m pb.DeviceRegistered
		if alias {
			err = m.UnmarshalVTUnsafe(data)
		} else {
			err = m.UnmarshalVT(data)
		}
		if err == nil {
			*d = deviceRegisteredFromPB(&m, &c)
		}
	case *domain.DeviceRemoved:
		var m pb.DeviceRemoved
		if alias {
			err = m.UnmarshalVTUnsafe(data)
		} else {
			err = m.UnmarshalVT(data)
		}
		if err == nil {
			*d = deviceRemovedFromPB(&m, &c)
		}
	case *domain.DownloadGranted:
		var m pb.DownloadGranted
		if alias {
			err = m.UnmarshalVTUnsafe(data)
		} else {
			err = m.UnmarshalVT(data)
		}
		if err == nil {
			*d = downloadGrantedFromPB(&m, &c)
		}
	case *domain.DownloadRenewed:
		var m pb.DownloadRenewed
		if alias {
			err = m.UnmarshalVTUnsafe(data)
		} else {
			err = m.UnmarshalVT(data)
		}
		if err == nil {
			*d = downloadRenewedFromPB(&m, &c)
		}
	case *domain.DownloadReleased:
		var m pb.DownloadReleased
		if alias {
			err = m.UnmarshalVTUnsafe(data)
		} else {
			err = m.UnmarshalVT(data)
		}
		if err == nil {
			*d = downloadReleasedFromPB(&m, &c)
		}
	case *domain.DownloadDenied:
		var m pb.DownloadDenied
		if alias {
			err = m.UnmarshalVTUnsafe(data)
		} else {
			err = m.UnmarshalVT(data)
		}
		if err == nil {
			*d = downloadDeniedFromPB(&m, &c)
		}
	case *domain.LicenseIssued:
		var m pb.LicenseIssued
		if alias {
			err = m.UnmarshalVTUnsafe(data)
		} else {
			err = m.UnmarshalVT(data)
		}
		if err == nil {
			*d = licenseIssuedFromPB(&m, &c)
		}
	case *domain.LicenseRenewed:
		var m pb.LicenseRenewed
		if alias {
			err = m.UnmarshalVTUnsafe(data)
		} else {
			err = m.UnmarshalVT(data)
		}
		if err == nil {
			*d = licenseRenewedFromPB(&m, &c)
		}
	case *domain.PlaybackStarted:
		var m pb.PlaybackStarted
		if alias {
			err = m.UnmarshalVTUnsafe(data)
		} else {
			err = m.UnmarshalVT(data)
		}
		if err == nil {
			*d = playbackStartedFromPB(&m, &c)
		}
	case *domain.LicenseReleased:
		var m pb.LicenseReleased
		if alias {
			err = m.UnmarshalVTUnsafe(data)
		} else {
			err = m.UnmarshalVT(data)
		}
		if err == nil {
			*d = licenseReleasedFromPB(&m, &c)
		}
	case *domain.LicenseActionDenied:
		var m pb.LicenseActionDenied
		if alias {
			err = m.UnmarshalVTUnsafe(data)
		} else {
			err = m.UnmarshalVT(data)
		}
		if err == nil {
			*d = licenseActionDeniedFromPB(&m, &c)
		}
	default:
		return false, nil
	}
	if err == nil && c.Err != nil {
		err = fmt.Errorf("%T: %w", v, c.Err)
	}
	return true, err
}

func accountOpenedFromPB(s *pb.AccountOpened, _ *wire.Conv) domain.AccountOpened {
	return domain.AccountOpened{CustomerID: s.CustomerId, Plan: s.Plan, At: wire.Time(s.At)}
}

func deviceRegisteredFromPB(s *pb.DeviceRegistered, _ *wire.Conv) domain.DeviceRegistered {
	return domain.DeviceRegistered{DeviceID: s.DeviceId, At: wire.Time(s.At)}
}

func deviceRemovedFromPB(s *pb.DeviceRemoved, _ *wire.Conv) domain.DeviceRemoved {
	return domain.DeviceRemoved{DeviceID: s.DeviceId, At: wire.Time(s.At)}
}

func downloadGrantedFromPB(s *pb.DownloadGranted, c *wire.Conv) domain.DownloadGranted {
	return domain.DownloadGranted{RequestID: s.RequestId, LicenseID: s.LicenseId, DeviceID: s.DeviceId, TitleID: s.TitleId,
		StudioID: s.StudioId, Restricted: s.Restricted, Year: c.Int("Year", s.Year),
		ExpiresAt: wire.Time(s.ExpiresAt), At: wire.Time(s.At)}
}

func downloadRenewedFromPB(s *pb.DownloadRenewed, _ *wire.Conv) domain.DownloadRenewed {
	return domain.DownloadRenewed{LicenseID: s.LicenseId, ExpiresAt: wire.Time(s.ExpiresAt), At: wire.Time(s.At)}
}

func downloadReleasedFromPB(s *pb.DownloadReleased, _ *wire.Conv) domain.DownloadReleased {
	return domain.DownloadReleased{LicenseID: s.LicenseId, DeviceID: s.DeviceId, At: wire.Time(s.At)}
}

func downloadDeniedFromPB(s *pb.DownloadDenied, c *wire.Conv) domain.DownloadDenied {
	return domain.DownloadDenied{RequestID: s.RequestId, DeviceID: s.DeviceId, TitleID: s.TitleId, Reason: s.Reason,
		Detail: s.Detail, PolicyVersion: c.Int("PolicyVersion", s.PolicyVersion), At: wire.Time(s.At)}
}

func licenseIssuedFromPB(s *pb.LicenseIssued, c *wire.Conv) domain.LicenseIssued {
	return domain.LicenseIssued{LicenseID: s.LicenseId, CustomerID: s.CustomerId, DeviceID: s.DeviceId, TitleID: s.TitleId,
		StudioID: s.StudioId, PolicyVersion: c.Int("PolicyVersion", s.PolicyVersion),
		IssuedAt: wire.Time(s.IssuedAt), ExpiresAt: wire.Time(s.ExpiresAt)}
}

func licenseRenewedFromPB(s *pb.LicenseRenewed, c *wire.Conv) domain.LicenseRenewed {
	return domain.LicenseRenewed{RequestID: s.RequestId, Renewal: c.Int("Renewal", s.Renewal), ExpiresAt: wire.Time(s.ExpiresAt), At: wire.Time(s.At)}
}

func playbackStartedFromPB(s *pb.PlaybackStarted, _ *wire.Conv) domain.PlaybackStarted {
	return domain.PlaybackStarted{At: wire.Time(s.At), PlaybackEndsAt: wire.Time(s.PlaybackEndsAt)}
}

func licenseReleasedFromPB(s *pb.LicenseReleased, _ *wire.Conv) domain.LicenseReleased {
	return domain.LicenseReleased{Reason: s.Reason, At: wire.Time(s.At)}
}

func licenseActionDeniedFromPB(s *pb.LicenseActionDenied, _ *wire.Conv) domain.LicenseActionDenied {
	return domain.LicenseActionDenied{RequestID: s.RequestId, Action: s.Action, Reason: s.Reason, At: wire.Time(s.At)}
}
