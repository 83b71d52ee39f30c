package binary

import "github.com/esbench/esbench/refimpl/domain"

// encode writes v's fields in declaration order.
func encode(w *writer, v any) error {
	switch d := v.(type) {
	case *domain.AccountOpened:
		w.str(d.CustomerID)
		w.str(d.Plan)
		w.time("At", d.At)
	case *domain.DeviceRegistered:
		w.str(d.DeviceID)
		w.time("At", d.At)
	case *domain.DeviceRemoved:
		w.str(d.DeviceID)
		w.time("At", d.At)
	case *domain.DownloadGranted:
		w.str(d.RequestID)
		w.str(d.LicenseID)
		w.str(d.DeviceID)
		w.str(d.TitleID)
		w.str(d.StudioID)
		w.bool(d.Restricted)
		w.int(d.Year)
		w.time("ExpiresAt", d.ExpiresAt)
		w.time("At", d.At)
	case *domain.DownloadRenewed:
		w.str(d.LicenseID)
		w.time("ExpiresAt", d.ExpiresAt)
		w.time("At", d.At)
	case *domain.DownloadReleased:
		w.str(d.LicenseID)
		w.str(d.DeviceID)
		w.time("At", d.At)
	case *domain.DownloadDenied:
		w.str(d.RequestID)
		w.str(d.DeviceID)
		w.str(d.TitleID)
		w.str(d.Reason)
		w.str(d.Detail)
		w.int(d.PolicyVersion)
		w.time("At", d.At)
	case *domain.LicenseIssued:
		w.str(d.LicenseID)
		w.str(d.CustomerID)
		w.str(d.DeviceID)
		w.str(d.TitleID)
		w.str(d.StudioID)
		w.int(d.PolicyVersion)
		w.time("IssuedAt", d.IssuedAt)
		w.time("ExpiresAt", d.ExpiresAt)
	case *domain.LicenseRenewed:
		w.str(d.RequestID)
		w.int(d.Renewal)
		w.time("ExpiresAt", d.ExpiresAt)
		w.time("At", d.At)
	case *domain.PlaybackStarted:
		w.time("At", d.At)
		w.time("PlaybackEndsAt", d.PlaybackEndsAt)
	case *domain.LicenseReleased:
		w.str(d.Reason)
		w.time("At", d.At)
	case *domain.LicenseActionDenied:
		w.str(d.RequestID)
		w.str(d.Action)
		w.str(d.Reason)
		w.time("At", d.At)
	default:
		return encodeSnapshot(w, v)
	}
	return nil
}

// decode reads v's fields in declaration order.
func decode(r *reader, v any) error {
	switch d := v.(type) {
	case *domain.AccountOpened:
		*d = domain.AccountOpened{CustomerID: r.str("CustomerID"), Plan: r.str("Plan"), At: r.time("At")}
	case *domain.DeviceRegistered:
		*d = domain.DeviceRegistered{DeviceID: r.str("DeviceID"), At: r.time("At")}
	case *domain.DeviceRemoved:
		*d = domain.DeviceRemoved{DeviceID: r.str("DeviceID"), At: r.time("At")}
	case *domain.DownloadGranted:
		*d = domain.DownloadGranted{RequestID: r.str("RequestID"), LicenseID: r.str("LicenseID"), DeviceID: r.str("DeviceID"),
			TitleID: r.str("TitleID"), StudioID: r.str("StudioID"), Restricted: r.bool("Restricted"), Year: r.int("Year"),
			ExpiresAt: r.time("ExpiresAt"), At: r.time("At")}
	case *domain.DownloadRenewed:
		*d = domain.DownloadRenewed{LicenseID: r.str("LicenseID"), ExpiresAt: r.time("ExpiresAt"), At: r.time("At")}
	case *domain.DownloadReleased:
		*d = domain.DownloadReleased{LicenseID: r.str("LicenseID"), DeviceID: r.str("DeviceID"), At: r.time("At")}
	case *domain.DownloadDenied:
		*d = domain.DownloadDenied{RequestID: r.str("RequestID"), DeviceID: r.str("DeviceID"), TitleID: r.str("TitleID"),
			Reason: r.str("Reason"), Detail: r.str("Detail"), PolicyVersion: r.int("PolicyVersion"), At: r.time("At")}
	case *domain.LicenseIssued:
		*d = domain.LicenseIssued{LicenseID: r.str("LicenseID"), CustomerID: r.str("CustomerID"), DeviceID: r.str("DeviceID"),
			TitleID: r.str("TitleID"), StudioID: r.str("StudioID"), PolicyVersion: r.int("PolicyVersion"),
			IssuedAt: r.time("IssuedAt"), ExpiresAt: r.time("ExpiresAt")}
	case *domain.LicenseRenewed:
		*d = domain.LicenseRenewed{RequestID: r.str("RequestID"), Renewal: r.int("Renewal"), ExpiresAt: r.time("ExpiresAt"), At: r.time("At")}
	case *domain.PlaybackStarted:
		*d = domain.PlaybackStarted{At: r.time("At"), PlaybackEndsAt: r.time("PlaybackEndsAt")}
	case *domain.LicenseReleased:
		*d = domain.LicenseReleased{Reason: r.str("Reason"), At: r.time("At")}
	case *domain.LicenseActionDenied:
		*d = domain.LicenseActionDenied{RequestID: r.str("RequestID"), Action: r.str("Action"), Reason: r.str("Reason"), At: r.time("At")}
	default:
		return decodeSnapshot(r, v)
	}
	return nil
}
