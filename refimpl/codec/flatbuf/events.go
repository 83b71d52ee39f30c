package flatbuf

import (
	"fmt"

	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/esbench/esbench/refimpl/codec/flatbuf/fb"
	"github.com/esbench/esbench/refimpl/codec/internal/wire"
	"github.com/esbench/esbench/refimpl/domain"
)

// build writes v into b and returns the root table's offset. Strings are
// created before the table is started, as FlatBuffers requires.
func build(b *flatbuffers.Builder, v any) (flatbuffers.UOffsetT, error) {
	var c wire.Conv
	var root flatbuffers.UOffsetT
	switch d := v.(type) {
	case *domain.AccountOpened:
		cust, plan := b.CreateString(d.CustomerID), b.CreateString(d.Plan)
		fb.AccountOpenedStart(b)
		fb.AccountOpenedAddCustomerId(b, cust)
		fb.AccountOpenedAddPlan(b, plan)
		fb.AccountOpenedAddAt(b, c.Nanos("At", d.At))
		root = fb.AccountOpenedEnd(b)
	case *domain.DeviceRegistered:
		dev := b.CreateString(d.DeviceID)
		fb.DeviceRegisteredStart(b)
		fb.DeviceRegisteredAddDeviceId(b, dev)
		fb.DeviceRegisteredAddAt(b, c.Nanos("At", d.At))
		root = fb.DeviceRegisteredEnd(b)
	case *domain.DeviceRemoved:
		dev := b.CreateString(d.DeviceID)
		fb.DeviceRemovedStart(b)
		fb.DeviceRemovedAddDeviceId(b, dev)
		fb.DeviceRemovedAddAt(b, c.Nanos("At", d.At))
		root = fb.DeviceRemovedEnd(b)
	case *domain.DownloadGranted:
		req, lic, dev := b.CreateString(d.RequestID), b.CreateString(d.LicenseID), b.CreateString(d.DeviceID)
		title, studio := b.CreateString(d.TitleID), b.CreateString(d.StudioID)
		fb.DownloadGrantedStart(b)
		fb.DownloadGrantedAddRequestId(b, req)
		fb.DownloadGrantedAddLicenseId(b, lic)
		fb.DownloadGrantedAddDeviceId(b, dev)
		fb.DownloadGrantedAddTitleId(b, title)
		fb.DownloadGrantedAddStudioId(b, studio)
		fb.DownloadGrantedAddRestricted(b, d.Restricted)
		fb.DownloadGrantedAddYear(b, int64(d.Year))
		fb.DownloadGrantedAddExpiresAt(b, c.Nanos("ExpiresAt", d.ExpiresAt))
		fb.DownloadGrantedAddAt(b, c.Nanos("At", d.At))
		root = fb.DownloadGrantedEnd(b)
	case *domain.DownloadRenewed:
		lic := b.CreateString(d.LicenseID)
		fb.DownloadRenewedStart(b)
		fb.DownloadRenewedAddLicenseId(b, lic)
		fb.DownloadRenewedAddExpiresAt(b, c.Nanos("ExpiresAt", d.ExpiresAt))
		fb.DownloadRenewedAddAt(b, c.Nanos("At", d.At))
		root = fb.DownloadRenewedEnd(b)
	case *domain.DownloadReleased:
		lic, dev := b.CreateString(d.LicenseID), b.CreateString(d.DeviceID)
		fb.DownloadReleasedStart(b)
		fb.DownloadReleasedAddLicenseId(b, lic)
		fb.DownloadReleasedAddDeviceId(b, dev)
		fb.DownloadReleasedAddAt(b, c.Nanos("At", d.At))
		root = fb.DownloadReleasedEnd(b)
	case *domain.DownloadDenied:
		req, dev, title, reason := b.CreateString(d.RequestID), b.CreateString(d.DeviceID), b.CreateString(d.TitleID), b.CreateString(d.Reason)
		detail := b.CreateString(d.Detail)
		fb.DownloadDeniedStart(b)
		fb.DownloadDeniedAddRequestId(b, req)
		fb.DownloadDeniedAddDeviceId(b, dev)
		fb.DownloadDeniedAddTitleId(b, title)
		fb.DownloadDeniedAddReason(b, reason)
		fb.DownloadDeniedAddDetail(b, detail)
		fb.DownloadDeniedAddPolicyVersion(b, int64(d.PolicyVersion))
		fb.DownloadDeniedAddAt(b, c.Nanos("At", d.At))
		root = fb.DownloadDeniedEnd(b)
	case *domain.LicenseIssued:
		lic, cust, dev := b.CreateString(d.LicenseID), b.CreateString(d.CustomerID), b.CreateString(d.DeviceID)
		title, studio := b.CreateString(d.TitleID), b.CreateString(d.StudioID)
		fb.LicenseIssuedStart(b)
		fb.LicenseIssuedAddLicenseId(b, lic)
		fb.LicenseIssuedAddCustomerId(b, cust)
		fb.LicenseIssuedAddDeviceId(b, dev)
		fb.LicenseIssuedAddTitleId(b, title)
		fb.LicenseIssuedAddStudioId(b, studio)
		fb.LicenseIssuedAddPolicyVersion(b, int64(d.PolicyVersion))
		fb.LicenseIssuedAddIssuedAt(b, c.Nanos("IssuedAt", d.IssuedAt))
		fb.LicenseIssuedAddExpiresAt(b, c.Nanos("ExpiresAt", d.ExpiresAt))
		root = fb.LicenseIssuedEnd(b)
	case *domain.LicenseRenewed:
		req := b.CreateString(d.RequestID)
		fb.LicenseRenewedStart(b)
		fb.LicenseRenewedAddRequestId(b, req)
		fb.LicenseRenewedAddRenewal(b, int64(d.Renewal))
		fb.LicenseRenewedAddExpiresAt(b, c.Nanos("ExpiresAt", d.ExpiresAt))
		fb.LicenseRenewedAddAt(b, c.Nanos("At", d.At))
		root = fb.LicenseRenewedEnd(b)
	case *domain.PlaybackStarted:
		fb.PlaybackStartedStart(b)
		fb.PlaybackStartedAddAt(b, c.Nanos("At", d.At))
		fb.PlaybackStartedAddPlaybackEndsAt(b, c.Nanos("PlaybackEndsAt", d.PlaybackEndsAt))
		root = fb.PlaybackStartedEnd(b)
	case *domain.LicenseReleased:
		reason := b.CreateString(d.Reason)
		fb.LicenseReleasedStart(b)
		fb.LicenseReleasedAddReason(b, reason)
		fb.LicenseReleasedAddAt(b, c.Nanos("At", d.At))
		root = fb.LicenseReleasedEnd(b)
	case *domain.LicenseActionDenied:
		req, action, reason := b.CreateString(d.RequestID), b.CreateString(d.Action), b.CreateString(d.Reason)
		fb.LicenseActionDeniedStart(b)
		fb.LicenseActionDeniedAddRequestId(b, req)
		fb.LicenseActionDeniedAddAction(b, action)
		fb.LicenseActionDeniedAddReason(b, reason)
		fb.LicenseActionDeniedAddAt(b, c.Nanos("At", d.At))
		root = fb.LicenseActionDeniedEnd(b)
	default:
		return buildSnapshot(b, v)
	}
	if c.Err != nil {
		return 0, fmt.Errorf("%T: %w", v, c.Err)
	}
	return root, nil
}

// read decodes the table at root of data into v; str turns each string
// field's bytes into a string (a copy, or an alias of data).
func read(data []byte, root flatbuffers.UOffsetT, v any, str func([]byte) string) error {
	var c wire.Conv
	switch d := v.(type) {
	case *domain.AccountOpened:
		var s fb.AccountOpened
		s.Init(data, root)
		*d = domain.AccountOpened{CustomerID: str(s.CustomerId()), Plan: str(s.Plan()), At: wire.Time(s.At())}
	case *domain.DeviceRegistered:
		var s fb.DeviceRegistered
		s.Init(data, root)
		*d = domain.DeviceRegistered{DeviceID: str(s.DeviceId()), At: wire.Time(s.At())}
	case *domain.DeviceRemoved:
		var s fb.DeviceRemoved
		s.Init(data, root)
		*d = domain.DeviceRemoved{DeviceID: str(s.DeviceId()), At: wire.Time(s.At())}
	case *domain.DownloadGranted:
		var s fb.DownloadGranted
		s.Init(data, root)
		*d = domain.DownloadGranted{RequestID: str(s.RequestId()), LicenseID: str(s.LicenseId()), DeviceID: str(s.DeviceId()),
			TitleID: str(s.TitleId()), StudioID: str(s.StudioId()), Restricted: s.Restricted(), Year: c.Int("Year", s.Year()),
			ExpiresAt: wire.Time(s.ExpiresAt()), At: wire.Time(s.At())}
	case *domain.DownloadRenewed:
		var s fb.DownloadRenewed
		s.Init(data, root)
		*d = domain.DownloadRenewed{LicenseID: str(s.LicenseId()), ExpiresAt: wire.Time(s.ExpiresAt()), At: wire.Time(s.At())}
	case *domain.DownloadReleased:
		var s fb.DownloadReleased
		s.Init(data, root)
		*d = domain.DownloadReleased{LicenseID: str(s.LicenseId()), DeviceID: str(s.DeviceId()), At: wire.Time(s.At())}
	case *domain.DownloadDenied:
		var s fb.DownloadDenied
		s.Init(data, root)
		*d = domain.DownloadDenied{RequestID: str(s.RequestId()), DeviceID: str(s.DeviceId()), TitleID: str(s.TitleId()),
			Reason: str(s.Reason()), Detail: str(s.Detail()), PolicyVersion: c.Int("PolicyVersion", s.PolicyVersion()),
			At: wire.Time(s.At())}
	case *domain.LicenseIssued:
		var s fb.LicenseIssued
		s.Init(data, root)
		*d = domain.LicenseIssued{LicenseID: str(s.LicenseId()), CustomerID: str(s.CustomerId()), DeviceID: str(s.DeviceId()),
			TitleID: str(s.TitleId()), StudioID: str(s.StudioId()), PolicyVersion: c.Int("PolicyVersion", s.PolicyVersion()),
			IssuedAt: wire.Time(s.IssuedAt()), ExpiresAt: wire.Time(s.ExpiresAt())}
	case *domain.LicenseRenewed:
		var s fb.LicenseRenewed
		s.Init(data, root)
		*d = domain.LicenseRenewed{RequestID: str(s.RequestId()), Renewal: c.Int("Renewal", s.Renewal()), ExpiresAt: wire.Time(s.ExpiresAt()), At: wire.Time(s.At())}
	case *domain.PlaybackStarted:
		var s fb.PlaybackStarted
		s.Init(data, root)
		*d = domain.PlaybackStarted{At: wire.Time(s.At()), PlaybackEndsAt: wire.Time(s.PlaybackEndsAt())}
	case *domain.LicenseReleased:
		var s fb.LicenseReleased
		s.Init(data, root)
		*d = domain.LicenseReleased{Reason: str(s.Reason()), At: wire.Time(s.At())}
	case *domain.LicenseActionDenied:
		var s fb.LicenseActionDenied
		s.Init(data, root)
		*d = domain.LicenseActionDenied{RequestID: str(s.RequestId()), Action: str(s.Action()), Reason: str(s.Reason()), At: wire.Time(s.At())}
	default:
		return readSnapshot(data, root, v, str)
	}
	if c.Err != nil {
		return fmt.Errorf("%T: %w", v, c.Err)
	}
	return nil
}
