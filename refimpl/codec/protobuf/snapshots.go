package protobuf

import (
	"fmt"

	"github.com/esbench/esbench/refimpl/codec/internal/wire"
	"github.com/esbench/esbench/refimpl/codec/protobuf/pb"
	"github.com/esbench/esbench/refimpl/domain"
)

func snapshotToPB(v any) (message, error) {
	var c wire.Conv
	var m message
	switch d := v.(type) {
	case *domain.AccountSnapshot:
		s := &pb.AccountSnapshot{CustomerId: d.CustomerID, Plan: d.Plan, OpenedAt: c.Nanos("OpenedAt", d.OpenedAt),
			LatestYear: int64(d.LatestYear), PruneAt: int64(d.PruneAt),
			Counters: &pb.AccountCounters{Granted: d.Counters.Granted, Denied: d.Counters.Denied,
				Renewed: d.Counters.Renewed, Released: d.Counters.Released}}
		if len(d.Devices) > 0 {
			s.Devices = make([]*pb.DeviceEntry, len(d.Devices))
			for i, e := range d.Devices {
				s.Devices[i] = &pb.DeviceEntry{DeviceId: e.DeviceID, RegisteredAt: c.Nanos("Devices.RegisteredAt", e.RegisteredAt)}
			}
		}
		if len(d.Downloads) > 0 {
			s.Downloads = make([]*pb.DownloadEntry, len(d.Downloads))
			for i, e := range d.Downloads {
				s.Downloads[i] = &pb.DownloadEntry{LicenseId: e.LicenseID, DeviceId: e.DeviceID, TitleId: e.TitleID,
					ExpiresAt: c.Nanos("Downloads.ExpiresAt", e.ExpiresAt)}
			}
		}
		if ty := d.TitleYearCounts(); len(ty) > 0 {
			s.TitleYears = make([]*pb.TitleYearCount, len(ty))
			for i, e := range ty {
				s.TitleYears[i] = &pb.TitleYearCount{TitleId: e.TitleID, Year: int64(e.Year), Count: int64(e.Count)}
			}
		}
		if dn := d.RecentDenials(); len(dn) > 0 {
			s.Denials = make([]*pb.Denial, len(dn))
			for i, e := range dn {
				s.Denials[i] = &pb.Denial{RequestId: e.RequestID, DeviceId: e.DeviceID, TitleId: e.TitleID, Reason: string(e.Reason),
					Detail: e.Detail, At: c.Nanos("Denials.At", e.At)}
			}
		}
		m = s
	case *domain.LicenseSnapshot:
		m = &pb.LicenseSnapshot{LicenseId: d.LicenseID, CustomerId: d.CustomerID, DeviceId: d.DeviceID, TitleId: d.TitleID,
			StudioId: d.StudioID, PolicyVersion: int64(d.PolicyVersion), IssuedAt: c.Nanos("IssuedAt", d.IssuedAt),
			ExpiresAt: c.Nanos("ExpiresAt", d.ExpiresAt), Renewals: int64(d.Renewals), LastRenewal: d.LastRenewal,
			FirstPlayAt: c.Nanos("FirstPlayAt", d.FirstPlayAt), PlaybackEndsAt: c.Nanos("PlaybackEndsAt", d.PlaybackEndsAt),
			Released: d.Released, ReleasedAt: c.Nanos("ReleasedAt", d.ReleasedAt), ReleaseReason: d.ReleaseReason,
			Denials: int64(d.Denials)}
	default:
		return nil, &wire.UnsupportedError{Value: v}
	}
	if c.Err != nil {
		return nil, fmt.Errorf("%T: %w", v, c.Err)
	}
	return m, nil
}

func newSnapshotPB(v any) (message, error) {
	switch v.(type) {
	case *domain.AccountSnapshot:
		return pb.AccountSnapshotFromVTPool(), nil
	case *domain.LicenseSnapshot:
		return pb.LicenseSnapshotFromVTPool(), nil
	}
	return nil, &wire.UnsupportedError{Value: v}
}

func snapshotFromPB(m message, v any) error {
	var c wire.Conv
	switch d := v.(type) {
	case *domain.AccountSnapshot:
		s := m.(*pb.AccountSnapshot)
		*d = domain.AccountSnapshot{CustomerID: s.CustomerId, Plan: s.Plan, OpenedAt: wire.Time(s.OpenedAt),
			LatestYear: c.Int("LatestYear", s.LatestYear), PruneAt: c.Int("PruneAt", s.PruneAt)}
		if k := s.Counters; k != nil {
			d.Counters = domain.AccountCounters{Granted: k.Granted, Denied: k.Denied, Renewed: k.Renewed, Released: k.Released}
		}
		if len(s.Devices) > 0 {
			d.Devices = make([]domain.DeviceEntry, len(s.Devices))
			for i, e := range s.Devices {
				d.Devices[i] = domain.DeviceEntry{DeviceID: e.DeviceId, RegisteredAt: wire.Time(e.RegisteredAt)}
			}
		}
		if len(s.Downloads) > 0 {
			d.Downloads = make([]domain.DownloadEntry, len(s.Downloads))
			for i, e := range s.Downloads {
				d.Downloads[i] = domain.DownloadEntry{LicenseID: e.LicenseId, DeviceID: e.DeviceId, TitleID: e.TitleId, ExpiresAt: wire.Time(e.ExpiresAt)}
			}
		}
		if len(s.TitleYears) > 0 {
			d.TitleYears = make([]domain.TitleYearCount, len(s.TitleYears))
			for i, e := range s.TitleYears {
				d.TitleYears[i] = domain.TitleYearCount{TitleID: e.TitleId, Year: c.Int("TitleYears.Year", e.Year), Count: c.Int("TitleYears.Count", e.Count)}
			}
		}
		if len(s.Denials) > 0 {
			d.Denials = make([]domain.Denial, len(s.Denials))
			for i, e := range s.Denials {
				d.Denials[i] = domain.Denial{RequestID: e.RequestId, DeviceID: e.DeviceId, TitleID: e.TitleId,
					Reason: domain.Reason(e.Reason), Detail: e.Detail, At: wire.Time(e.At)}
			}
		}
	case *domain.LicenseSnapshot:
		s := m.(*pb.LicenseSnapshot)
		*d = domain.LicenseSnapshot{LicenseID: s.LicenseId, CustomerID: s.CustomerId, DeviceID: s.DeviceId, TitleID: s.TitleId,
			StudioID: s.StudioId, PolicyVersion: c.Int("PolicyVersion", s.PolicyVersion), IssuedAt: wire.Time(s.IssuedAt),
			ExpiresAt: wire.Time(s.ExpiresAt), Renewals: c.Int("Renewals", s.Renewals), LastRenewal: s.LastRenewal,
			FirstPlayAt: wire.Time(s.FirstPlayAt), PlaybackEndsAt: wire.Time(s.PlaybackEndsAt), Released: s.Released,
			ReleasedAt: wire.Time(s.ReleasedAt), ReleaseReason: s.ReleaseReason, Denials: c.Int("Denials", s.Denials)}
	default:
		return &wire.UnsupportedError{Value: v}
	}
	if c.Err != nil {
		return fmt.Errorf("%T: %w", v, c.Err)
	}
	return nil
}
