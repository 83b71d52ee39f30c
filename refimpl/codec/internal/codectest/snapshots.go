package codectest

import (
	"time"

	"github.com/esbench/esbench/refimpl/domain"
)

// snapshotSamples returns a full and an empty snapshot of each aggregate.
func snapshotSamples() []Sample {
	full := &domain.AccountSnapshot{
		CustomerID: "c-000042", Plan: "standard", OpenedAt: at(1, 0, 0),
		Devices: []domain.DeviceEntry{
			{DeviceID: "c-000042/d-1", RegisteredAt: at(1, 1, 0)},
			{DeviceID: "c-000042/d-2", RegisteredAt: at(1, 2, 999)},
		},
		Downloads: []domain.DownloadEntry{
			{LicenseID: "l-00af31", DeviceID: "c-000042/d-2", TitleID: "t-01873", ExpiresAt: at(8, 0, 0)},
			{LicenseID: "l-00af32", DeviceID: "c-000042/d-1", TitleID: "t-00002", ExpiresAt: at(9, 0, 0)},
			{LicenseID: "l-00af33", DeviceID: "c-000042/d-1", TitleID: "", ExpiresAt: time.Time{}},
		},
		TitleYears: []domain.TitleYearCount{{TitleID: "t-01873", Year: 2025, Count: 3}, {TitleID: "t-01873", Year: 2026, Count: 1}},
		LatestYear: 2026,
		Denials: []domain.Denial{{RequestID: "r-77", DeviceID: "c-000042/d-3", TitleID: "t-00001", Reason: "device_limit",
			Detail: "2 of 2 devices hold downloads", At: at(3, 0, 0)}},
		PruneAt:  17,
		Counters: domain.AccountCounters{Granted: 12, Denied: 1, Renewed: 4, Released: 1<<63 + 5},
	}
	return []Sample{
		{"AccountSnapshot", full},
		{"AccountSnapshot_empty", &domain.AccountSnapshot{CustomerID: "c-1"}},
		{"LicenseSnapshot", &domain.LicenseSnapshot{LicenseID: "l-00af31", CustomerID: "c-000042", DeviceID: "c-000042/d-2",
			TitleID: "t-01873", StudioID: "s-12", PolicyVersion: 3, IssuedAt: at(1, 7, 500), ExpiresAt: at(15, 7, 500),
			Renewals: 1, LastRenewal: "r-81", FirstPlayAt: at(4, 0, 0), PlaybackEndsAt: at(6, 0, 0), Released: true,
			ReleasedAt: at(20, 0, 0), ReleaseReason: "deleted", Denials: 2}},
		{"LicenseSnapshot_zero", &domain.LicenseSnapshot{}},
	}
}
