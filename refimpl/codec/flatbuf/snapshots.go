package flatbuf

import (
	"fmt"

	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/esbench/esbench/refimpl/codec/flatbuf/fb"
	"github.com/esbench/esbench/refimpl/codec/internal/wire"
	"github.com/esbench/esbench/refimpl/domain"
)

// tableVector writes the already-built tables offs as a vector. FlatBuffers
// builds back to front, so the offsets are prepended in reverse.
func tableVector(b *flatbuffers.Builder, start func(*flatbuffers.Builder, int) flatbuffers.UOffsetT, offs []flatbuffers.UOffsetT) flatbuffers.UOffsetT {
	start(b, len(offs))
	for i := len(offs) - 1; i >= 0; i-- {
		b.PrependUOffsetT(offs[i])
	}
	return b.EndVector(len(offs))
}

func buildSnapshot(b *flatbuffers.Builder, v any) (flatbuffers.UOffsetT, error) {
	var c wire.Conv
	var root flatbuffers.UOffsetT
	switch d := v.(type) {
	case *domain.AccountSnapshot:
		var devices, downloads, titleYears, denials flatbuffers.UOffsetT
		if len(d.Devices) > 0 {
			offs := make([]flatbuffers.UOffsetT, len(d.Devices))
			for i, e := range d.Devices {
				id := b.CreateString(e.DeviceID)
				fb.DeviceEntryStart(b)
				fb.DeviceEntryAddDeviceId(b, id)
				fb.DeviceEntryAddRegisteredAt(b, c.Nanos("Devices.RegisteredAt", e.RegisteredAt))
				offs[i] = fb.DeviceEntryEnd(b)
			}
			devices = tableVector(b, fb.AccountSnapshotStartDevicesVector, offs)
		}
		if len(d.Downloads) > 0 {
			offs := make([]flatbuffers.UOffsetT, len(d.Downloads))
			for i, e := range d.Downloads {
				lic, dev, title := b.CreateString(e.LicenseID), b.CreateString(e.DeviceID), b.CreateString(e.TitleID)
				fb.DownloadEntryStart(b)
				fb.DownloadEntryAddLicenseId(b, lic)
				fb.DownloadEntryAddDeviceId(b, dev)
				fb.DownloadEntryAddTitleId(b, title)
				fb.DownloadEntryAddExpiresAt(b, c.Nanos("Downloads.ExpiresAt", e.ExpiresAt))
				offs[i] = fb.DownloadEntryEnd(b)
			}
			downloads = tableVector(b, fb.AccountSnapshotStartDownloadsVector, offs)
		}
		if ty := d.TitleYearCounts(); len(ty) > 0 {
			offs := make([]flatbuffers.UOffsetT, len(ty))
			for i, e := range ty {
				title := b.CreateString(e.TitleID)
				fb.TitleYearCountStart(b)
				fb.TitleYearCountAddTitleId(b, title)
				fb.TitleYearCountAddYear(b, int64(e.Year))
				fb.TitleYearCountAddCount(b, int64(e.Count))
				offs[i] = fb.TitleYearCountEnd(b)
			}
			titleYears = tableVector(b, fb.AccountSnapshotStartTitleYearsVector, offs)
		}
		if dn := d.RecentDenials(); len(dn) > 0 {
			offs := make([]flatbuffers.UOffsetT, len(dn))
			for i, e := range dn {
				req, dev, title := b.CreateString(e.RequestID), b.CreateString(e.DeviceID), b.CreateString(e.TitleID)
				reason, detail := b.CreateString(string(e.Reason)), b.CreateString(e.Detail)
				fb.DenialStart(b)
				fb.DenialAddRequestId(b, req)
				fb.DenialAddDeviceId(b, dev)
				fb.DenialAddTitleId(b, title)
				fb.DenialAddReason(b, reason)
				fb.DenialAddDetail(b, detail)
				fb.DenialAddAt(b, c.Nanos("Denials.At", e.At))
				offs[i] = fb.DenialEnd(b)
			}
			denials = tableVector(b, fb.AccountSnapshotStartDenialsVector, offs)
		}
		cust, plan := b.CreateString(d.CustomerID), b.CreateString(d.Plan)
		fb.AccountSnapshotStart(b)
		fb.AccountSnapshotAddCustomerId(b, cust)
		fb.AccountSnapshotAddPlan(b, plan)
		fb.AccountSnapshotAddOpenedAt(b, c.Nanos("OpenedAt", d.OpenedAt))
		if devices != 0 {
			fb.AccountSnapshotAddDevices(b, devices)
		}
		if downloads != 0 {
			fb.AccountSnapshotAddDownloads(b, downloads)
		}
		if titleYears != 0 {
			fb.AccountSnapshotAddTitleYears(b, titleYears)
		}
		fb.AccountSnapshotAddLatestYear(b, int64(d.LatestYear))
		if denials != 0 {
			fb.AccountSnapshotAddDenials(b, denials)
		}
		fb.AccountSnapshotAddPruneAt(b, int64(d.PruneAt))
		k := d.Counters
		fb.AccountSnapshotAddCounters(b, fb.CreateAccountCounters(b, k.Granted, k.Denied, k.Renewed, k.Released))
		root = fb.AccountSnapshotEnd(b)
	case *domain.LicenseSnapshot:
		lic, cust, dev := b.CreateString(d.LicenseID), b.CreateString(d.CustomerID), b.CreateString(d.DeviceID)
		title, studio := b.CreateString(d.TitleID), b.CreateString(d.StudioID)
		last, reason := b.CreateString(d.LastRenewal), b.CreateString(d.ReleaseReason)
		fb.LicenseSnapshotStart(b)
		fb.LicenseSnapshotAddLicenseId(b, lic)
		fb.LicenseSnapshotAddCustomerId(b, cust)
		fb.LicenseSnapshotAddDeviceId(b, dev)
		fb.LicenseSnapshotAddTitleId(b, title)
		fb.LicenseSnapshotAddStudioId(b, studio)
		fb.LicenseSnapshotAddPolicyVersion(b, int64(d.PolicyVersion))
		fb.LicenseSnapshotAddIssuedAt(b, c.Nanos("IssuedAt", d.IssuedAt))
		fb.LicenseSnapshotAddExpiresAt(b, c.Nanos("ExpiresAt", d.ExpiresAt))
		fb.LicenseSnapshotAddRenewals(b, int64(d.Renewals))
		fb.LicenseSnapshotAddLastRenewal(b, last)
		fb.LicenseSnapshotAddFirstPlayAt(b, c.Nanos("FirstPlayAt", d.FirstPlayAt))
		fb.LicenseSnapshotAddPlaybackEndsAt(b, c.Nanos("PlaybackEndsAt", d.PlaybackEndsAt))
		fb.LicenseSnapshotAddReleased(b, d.Released)
		fb.LicenseSnapshotAddReleasedAt(b, c.Nanos("ReleasedAt", d.ReleasedAt))
		fb.LicenseSnapshotAddReleaseReason(b, reason)
		fb.LicenseSnapshotAddDenials(b, int64(d.Denials))
		root = fb.LicenseSnapshotEnd(b)
	default:
		return 0, &wire.UnsupportedError{Value: v}
	}
	if c.Err != nil {
		return 0, fmt.Errorf("%T: %w", v, c.Err)
	}
	return root, nil
}

// vectorLen checks a vector length read from the buffer against the bytes
// that could hold it (4 per table offset) before anything is allocated.
func vectorLen(field string, n, bufLen int) (int, error) {
	if n < 0 || n > bufLen/flatbuffers.SizeUOffsetT {
		return 0, fmt.Errorf("field %s: vector of %d elements cannot fit in %d bytes", field, n, bufLen)
	}
	return n, nil
}

func readSnapshot(data []byte, root flatbuffers.UOffsetT, v any, str func([]byte) string) error {
	var c wire.Conv
	switch d := v.(type) {
	case *domain.AccountSnapshot:
		var s fb.AccountSnapshot
		s.Init(data, root)
		*d = domain.AccountSnapshot{CustomerID: str(s.CustomerId()), Plan: str(s.Plan()), OpenedAt: wire.Time(s.OpenedAt()),
			LatestYear: c.Int("LatestYear", s.LatestYear()), PruneAt: c.Int("PruneAt", s.PruneAt())}
		var k fb.AccountCounters
		if s.Counters(&k) != nil {
			d.Counters = domain.AccountCounters{Granted: k.Granted(), Denied: k.Denied(), Renewed: k.Renewed(), Released: k.Released()}
		}
		n, err := vectorLen("Devices", s.DevicesLength(), len(data))
		if err != nil {
			return err
		}
		if n > 0 {
			d.Devices = make([]domain.DeviceEntry, n)
			var e fb.DeviceEntry
			for i := range n {
				s.Devices(&e, i)
				d.Devices[i] = domain.DeviceEntry{DeviceID: str(e.DeviceId()), RegisteredAt: wire.Time(e.RegisteredAt())}
			}
		}
		if n, err = vectorLen("Downloads", s.DownloadsLength(), len(data)); err != nil {
			return err
		}
		if n > 0 {
			d.Downloads = make([]domain.DownloadEntry, n)
			var e fb.DownloadEntry
			for i := range n {
				s.Downloads(&e, i)
				d.Downloads[i] = domain.DownloadEntry{LicenseID: str(e.LicenseId()), DeviceID: str(e.DeviceId()),
					TitleID: str(e.TitleId()), ExpiresAt: wire.Time(e.ExpiresAt())}
			}
		}
		if n, err = vectorLen("TitleYears", s.TitleYearsLength(), len(data)); err != nil {
			return err
		}
		if n > 0 {
			d.TitleYears = make([]domain.TitleYearCount, n)
			var e fb.TitleYearCount
			for i := range n {
				s.TitleYears(&e, i)
				d.TitleYears[i] = domain.TitleYearCount{TitleID: str(e.TitleId()), Year: c.Int("TitleYears.Year", e.Year()),
					Count: c.Int("TitleYears.Count", e.Count())}
			}
		}
		if n, err = vectorLen("Denials", s.DenialsLength(), len(data)); err != nil {
			return err
		}
		if n > 0 {
			d.Denials = make([]domain.Denial, n)
			var e fb.Denial
			for i := range n {
				s.Denials(&e, i)
				d.Denials[i] = domain.Denial{RequestID: str(e.RequestId()), DeviceID: str(e.DeviceId()), TitleID: str(e.TitleId()),
					Reason: domain.Reason(str(e.Reason())), Detail: str(e.Detail()), At: wire.Time(e.At())}
			}
		}
	case *domain.LicenseSnapshot:
		var s fb.LicenseSnapshot
		s.Init(data, root)
		*d = domain.LicenseSnapshot{LicenseID: str(s.LicenseId()), CustomerID: str(s.CustomerId()), DeviceID: str(s.DeviceId()),
			TitleID: str(s.TitleId()), StudioID: str(s.StudioId()), PolicyVersion: c.Int("PolicyVersion", s.PolicyVersion()),
			IssuedAt: wire.Time(s.IssuedAt()), ExpiresAt: wire.Time(s.ExpiresAt()), Renewals: c.Int("Renewals", s.Renewals()),
			LastRenewal: str(s.LastRenewal()), FirstPlayAt: wire.Time(s.FirstPlayAt()), PlaybackEndsAt: wire.Time(s.PlaybackEndsAt()),
			Released: s.Released(), ReleasedAt: wire.Time(s.ReleasedAt()), ReleaseReason: str(s.ReleaseReason()),
			Denials: c.Int("Denials", s.Denials())}
	default:
		return &wire.UnsupportedError{Value: v}
	}
	if c.Err != nil {
		return fmt.Errorf("%T: %w", v, c.Err)
	}
	return nil
}
