package binary

import "github.com/esbench/esbench/refimpl/domain"

// Collections are a uvarint element count followed by the elements, each
// laid out like a struct. Counters are uvarints.

func encodeSnapshot(w *writer, v any) error {
	switch d := v.(type) {
	case *domain.AccountSnapshot:
		w.str(d.CustomerID)
		w.str(d.Plan)
		w.time("OpenedAt", d.OpenedAt)
		w.uint(uint64(len(d.Devices)))
		for _, e := range d.Devices {
			w.str(e.DeviceID)
			w.time("Devices.RegisteredAt", e.RegisteredAt)
		}
		w.uint(uint64(len(d.Downloads)))
		for _, e := range d.Downloads {
			w.str(e.LicenseID)
			w.str(e.DeviceID)
			w.str(e.TitleID)
			w.time("Downloads.ExpiresAt", e.ExpiresAt)
		}
		w.uint(uint64(len(d.TitleYears)))
		for _, e := range d.TitleYears {
			w.str(e.TitleID)
			w.int(e.Year)
			w.int(e.Count)
		}
		w.int(d.LatestYear)
		w.uint(uint64(len(d.Denials)))
		for _, e := range d.Denials {
			w.str(e.RequestID)
			w.str(e.DeviceID)
			w.str(e.TitleID)
			w.str(string(e.Reason))
			w.str(e.Detail)
			w.time("Denials.At", e.At)
		}
		w.int(d.PruneAt)
		w.uint(d.Counters.Granted)
		w.uint(d.Counters.Denied)
		w.uint(d.Counters.Renewed)
		w.uint(d.Counters.Released)
	case *domain.LicenseSnapshot:
		w.str(d.LicenseID)
		w.str(d.CustomerID)
		w.str(d.DeviceID)
		w.str(d.TitleID)
		w.str(d.StudioID)
		w.int(d.PolicyVersion)
		w.time("IssuedAt", d.IssuedAt)
		w.time("ExpiresAt", d.ExpiresAt)
		w.int(d.Renewals)
		w.str(d.LastRenewal)
		w.time("FirstPlayAt", d.FirstPlayAt)
		w.time("PlaybackEndsAt", d.PlaybackEndsAt)
		w.bool(d.Released)
		w.time("ReleasedAt", d.ReleasedAt)
		w.str(d.ReleaseReason)
		w.int(d.Denials)
	default:
		return unsupported(v)
	}
	return nil
}

func decodeSnapshot(r *reader, v any) error {
	switch d := v.(type) {
	case *domain.AccountSnapshot:
		*d = domain.AccountSnapshot{CustomerID: r.str("CustomerID"), Plan: r.str("Plan"), OpenedAt: r.time("OpenedAt")}
		// Minimum encoded element sizes: a 1-byte string length plus the
		// fixed 8-byte time, and so on.
		if n := r.count("Devices", 9); n > 0 {
			d.Devices = make([]domain.DeviceEntry, n)
			for i := range d.Devices {
				d.Devices[i] = domain.DeviceEntry{DeviceID: r.str("Devices.DeviceID"), RegisteredAt: r.time("Devices.RegisteredAt")}
			}
		}
		if n := r.count("Downloads", 11); n > 0 {
			d.Downloads = make([]domain.DownloadEntry, n)
			for i := range d.Downloads {
				d.Downloads[i] = domain.DownloadEntry{LicenseID: r.str("Downloads.LicenseID"), DeviceID: r.str("Downloads.DeviceID"),
					TitleID: r.str("Downloads.TitleID"), ExpiresAt: r.time("Downloads.ExpiresAt")}
			}
		}
		if n := r.count("TitleYears", 3); n > 0 {
			d.TitleYears = make([]domain.TitleYearCount, n)
			for i := range d.TitleYears {
				d.TitleYears[i] = domain.TitleYearCount{TitleID: r.str("TitleYears.TitleID"), Year: r.int("TitleYears.Year"),
					Count: r.int("TitleYears.Count")}
			}
		}
		d.LatestYear = r.int("LatestYear")
		if n := r.count("Denials", 13); n > 0 {
			d.Denials = make([]domain.Denial, n)
			for i := range d.Denials {
				d.Denials[i] = domain.Denial{RequestID: r.str("Denials.RequestID"), DeviceID: r.str("Denials.DeviceID"),
					TitleID: r.str("Denials.TitleID"), Reason: domain.Reason(r.str("Denials.Reason")), Detail: r.str("Denials.Detail"),
					At: r.time("Denials.At")}
			}
		}
		d.PruneAt = r.int("PruneAt")
		d.Counters = domain.AccountCounters{Granted: r.uint("Counters.Granted"), Denied: r.uint("Counters.Denied"),
			Renewed: r.uint("Counters.Renewed"), Released: r.uint("Counters.Released")}
	case *domain.LicenseSnapshot:
		*d = domain.LicenseSnapshot{LicenseID: r.str("LicenseID"), CustomerID: r.str("CustomerID"), DeviceID: r.str("DeviceID"),
			TitleID: r.str("TitleID"), StudioID: r.str("StudioID"), PolicyVersion: r.int("PolicyVersion"),
			IssuedAt: r.time("IssuedAt"), ExpiresAt: r.time("ExpiresAt"), Renewals: r.int("Renewals"),
			LastRenewal: r.str("LastRenewal"), FirstPlayAt: r.time("FirstPlayAt"), PlaybackEndsAt: r.time("PlaybackEndsAt"),
			Released: r.bool("Released"), ReleasedAt: r.time("ReleasedAt"), ReleaseReason: r.str("ReleaseReason"),
			Denials: r.int("Denials")}
	default:
		return unsupported(v)
	}
	return nil
}
