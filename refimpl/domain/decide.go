package domain

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// acquireCheck is what DecideAcquire and Check share.
type acquireCheck struct {
	cmd        string
	customerID string
	deviceID   string
	titleID    string
	restricted bool
}

func requireAccount(cmd string, a *Account, customerID string) error {
	if a == nil || !a.Opened() {
		return cmdErr(cmd, "CustomerID", customerID, ErrUnknownCustomer)
	}
	if a.id != customerID {
		return cmdErr(cmd, "CustomerID", customerID,
			fmt.Errorf("%w: the account loaded is customer %q's", ErrUnknownCustomer, a.id))
	}
	return nil
}

func requireLicense(cmd string, l *License, customerID, licenseID string) error {
	if l == nil || !l.Issued() || l.id != licenseID || l.customerID != customerID {
		return cmdErr(cmd, "LicenseID", licenseID, ErrUnknownLicense)
	}
	return nil
}

func deny(p Policy, r Reason, format string, args ...any) Decision {
	return Decision{Reason: r, Detail: fmt.Sprintf(format, args...), PolicyVersion: p.Version}
}

// evaluate applies the download rules in a fixed order (device limit,
// downloads per device, restricted title per year) and returns the first
// denial, or an allowed decision.
func (a *Account) evaluate(c acquireCheck, p Policy, now time.Time) (Decision, error) {
	if err := requireAccount(c.cmd, a, c.customerID); err != nil {
		return Decision{}, err
	}
	if !a.HasDevice(c.deviceID) {
		return Decision{}, cmdErr(c.cmd, "DeviceID", c.deviceID, ErrUnknownDevice)
	}
	limit, ok := p.DevicesPerPlan[a.plan]
	onDevice, others := a.deviceLoad(c.deviceID, limit, now)
	if onDevice == 0 {
		if !ok {
			return deny(p, ReasonDeviceLimit, "plan %q is not in policy version %d", a.plan, p.Version), nil
		}
		if others >= limit {
			return deny(p, ReasonDeviceLimit, "plan %q allows downloads on %d devices and %d other devices hold active downloads",
				a.plan, limit, others), nil
		}
	}
	if onDevice >= p.DownloadsPerDevice {
		return deny(p, ReasonDownloadLimit, "device %q holds %d active downloads, the limit is %d",
			c.deviceID, onDevice, p.DownloadsPerDevice), nil
	}
	if c.restricted {
		year := now.Year()
		if n := a.TitleYearCount(c.titleID, year); n >= p.RestrictedPerTitleYear {
			return deny(p, ReasonTitleYearLimit, "title %q was downloaded %d times in %d, the studio allows %d",
				c.titleID, n, year, p.RestrictedPerTitleYear), nil
		}
	}
	return Decision{Allowed: true, PolicyVersion: p.Version}, nil
}

// Check answers CheckDownload: the same rules as DecideAcquire, without
// recording anything.
func Check(a *Account, c CheckDownload, p Policy, now time.Time) (Decision, error) {
	if err := c.Validate(); err != nil {
		return Decision{}, err
	}
	now = now.UTC()
	return a.evaluate(acquireCheck{cmd: "CheckDownload", customerID: c.CustomerID, deviceID: c.DeviceID,
		titleID: c.TitleID, restricted: c.Restricted}, p, now)
}

// DecideAcquire decides AcquireLicense. A grant records DownloadGranted on
// the account and LicenseIssued on the new license stream (id
// LicenseIDFor(c.RequestID)); a denial records DownloadDenied on the account.
func DecideAcquire(a *Account, c AcquireLicense, p Policy, now time.Time) (Outcome, error) {
	if err := c.Validate(); err != nil {
		return Outcome{}, err
	}
	now = now.UTC()
	if err := requireAccount("AcquireLicense", a, c.CustomerID); err != nil {
		return Outcome{}, err
	}
	licenseID := LicenseIDFor(c.RequestID)
	if exp, ok := a.HasDownload(licenseID); ok {
		return Outcome{Decision: Decision{Allowed: true, LicenseID: licenseID, ExpiresAt: exp,
			Detail: "already granted to this request", PolicyVersion: p.Version}}, nil
	}
	if d, ok := a.findDenial(c.RequestID); ok {
		return Outcome{Decision: Decision{Reason: d.Reason, Detail: d.Detail, PolicyVersion: p.Version}}, nil
	}
	d, err := a.evaluate(acquireCheck{cmd: "AcquireLicense", customerID: c.CustomerID, deviceID: c.DeviceID,
		titleID: c.TitleID, restricted: c.Restricted}, p, now)
	if err != nil {
		return Outcome{}, err
	}
	if !d.Allowed {
		return Outcome{Decision: d, Account: []Event{&DownloadDenied{
			RequestID: c.RequestID, DeviceID: c.DeviceID, TitleID: c.TitleID,
			Reason: string(d.Reason), Detail: d.Detail, PolicyVersion: p.Version, At: now,
		}}}, nil
	}
	exp := now.Add(p.LicenseDuration)
	d.LicenseID, d.ExpiresAt = licenseID, exp
	return Outcome{
		Decision: d,
		Account: []Event{&DownloadGranted{
			RequestID: c.RequestID, LicenseID: licenseID, DeviceID: c.DeviceID, TitleID: c.TitleID,
			StudioID: c.StudioID, Restricted: c.Restricted, Year: now.Year(), ExpiresAt: exp, At: now,
		}},
		Licenses: map[string][]Event{licenseID: {&LicenseIssued{
			LicenseID: licenseID, CustomerID: c.CustomerID, DeviceID: c.DeviceID, TitleID: c.TitleID,
			StudioID: c.StudioID, PolicyVersion: p.Version, IssuedAt: now, ExpiresAt: exp,
		}}},
	}, nil
}

// DecideOpenAccount decides OpenAccount. a may be nil or empty for a new
// customer.
func DecideOpenAccount(a *Account, c OpenAccount, p Policy, now time.Time) (Outcome, error) {
	if err := c.Validate(); err != nil {
		return Outcome{}, err
	}
	if _, ok := p.DevicesPerPlan[c.Plan]; !ok {
		plans := make([]string, 0, len(p.DevicesPerPlan))
		for plan := range p.DevicesPerPlan {
			plans = append(plans, plan)
		}
		sort.Strings(plans)
		return Outcome{}, cmdErr("OpenAccount", "Plan", c.Plan,
			fmt.Errorf("%w: plan not in policy version %d (plans: %s)", ErrInvalidCommand, p.Version, strings.Join(plans, ", ")))
	}
	if a != nil && a.Opened() {
		if a.id != c.CustomerID {
			return Outcome{}, cmdErr("OpenAccount", "CustomerID", c.CustomerID,
				fmt.Errorf("%w: the account loaded is customer %q's", ErrInvalidCommand, a.id))
		}
		if a.plan != c.Plan {
			return Outcome{}, cmdErr("OpenAccount", "Plan", c.Plan,
				fmt.Errorf("%w with plan %q", ErrAccountExists, a.plan))
		}
		return Outcome{Decision: Decision{Allowed: true, Detail: "account already open", PolicyVersion: p.Version}}, nil
	}
	return Outcome{
		Decision: Decision{Allowed: true, PolicyVersion: p.Version},
		Account:  []Event{&AccountOpened{CustomerID: c.CustomerID, Plan: c.Plan, At: now.UTC()}},
	}, nil
}

// DecideRegisterDevice decides RegisterDevice; registering a registered
// device is an idempotent success.
func DecideRegisterDevice(a *Account, c RegisterDevice, p Policy, now time.Time) (Outcome, error) {
	if err := c.Validate(); err != nil {
		return Outcome{}, err
	}
	if err := requireAccount("RegisterDevice", a, c.CustomerID); err != nil {
		return Outcome{}, err
	}
	if a.HasDevice(c.DeviceID) {
		return Outcome{Decision: Decision{Allowed: true, Detail: "device already registered", PolicyVersion: p.Version}}, nil
	}
	return Outcome{
		Decision: Decision{Allowed: true, PolicyVersion: p.Version},
		Account:  []Event{&DeviceRegistered{DeviceID: c.DeviceID, At: now.UTC()}},
	}, nil
}

// DecideRemoveDevice decides RemoveDevice: every license active on the
// device at now is released (LicenseReleased on its stream, DownloadReleased
// on the account, in license id order), then DeviceRemoved.
func DecideRemoveDevice(a *Account, c RemoveDevice, p Policy, now time.Time) (Outcome, error) {
	if err := c.Validate(); err != nil {
		return Outcome{}, err
	}
	now = now.UTC()
	if err := requireAccount("RemoveDevice", a, c.CustomerID); err != nil {
		return Outcome{}, err
	}
	if !a.HasDevice(c.DeviceID) {
		return Outcome{}, cmdErr("RemoveDevice", "DeviceID", c.DeviceID, ErrUnknownDevice)
	}
	active := a.ActiveLicenses(c.DeviceID, now)
	out := Outcome{
		Decision: Decision{Allowed: true, PolicyVersion: p.Version,
			Detail: fmt.Sprintf("released %d active downloads", len(active))},
		Account: make([]Event, 0, len(active)+1),
	}
	if len(active) > 0 {
		out.Licenses = make(map[string][]Event, len(active))
	}
	for _, id := range active {
		out.Account = append(out.Account, &DownloadReleased{LicenseID: id, DeviceID: c.DeviceID, At: now})
		out.Licenses[id] = []Event{&LicenseReleased{Reason: ReleaseDeviceRemoved, At: now}}
	}
	out.Account = append(out.Account, &DeviceRemoved{DeviceID: c.DeviceID, At: now})
	return out, nil
}

// DecideRenew decides RenewLicense. Denials (released, expired, device no
// longer registered, renewal limit, in that order) record
// LicenseActionDenied on the license stream; a renewal records
// LicenseRenewed on the license and DownloadRenewed on the account.
func DecideRenew(a *Account, l *License, c RenewLicense, p Policy, now time.Time) (Outcome, error) {
	if err := c.Validate(); err != nil {
		return Outcome{}, err
	}
	now = now.UTC()
	if err := requireAccount("RenewLicense", a, c.CustomerID); err != nil {
		return Outcome{}, err
	}
	if err := requireLicense("RenewLicense", l, c.CustomerID, c.LicenseID); err != nil {
		return Outcome{}, err
	}
	if l.lastRenewal == c.RequestID {
		return Outcome{Decision: Decision{Allowed: true, LicenseID: l.id, ExpiresAt: l.expiresAt,
			Detail: "already renewed by this request", PolicyVersion: p.Version}}, nil
	}
	var d Decision
	switch {
	case l.released:
		d = deny(p, ReasonLicenseReleased, "license was released at %s", l.releasedAt.Format(time.RFC3339))
	case !now.Before(l.expiresAt):
		d = deny(p, ReasonLicenseExpired, "license expired at %s", l.expiresAt.Format(time.RFC3339))
	case !a.HasDevice(l.deviceID):
		d = deny(p, ReasonDeviceNotRegistered, "device %q is no longer registered", l.deviceID)
	case l.renewals >= p.MaxRenewals:
		d = deny(p, ReasonRenewalLimit, "license was renewed %d times, the limit is %d", l.renewals, p.MaxRenewals)
	}
	d.LicenseID = l.id
	if d.Reason != "" {
		d.ExpiresAt = l.expiresAt
		return Outcome{Decision: d, Licenses: map[string][]Event{l.id: {&LicenseActionDenied{
			RequestID: c.RequestID, Action: ActionRenew, Reason: string(d.Reason), At: now,
		}}}}, nil
	}
	exp := l.expiresAt.Add(p.LicenseDuration)
	d.Allowed, d.ExpiresAt, d.PolicyVersion = true, exp, p.Version
	return Outcome{
		Decision: d,
		Account:  []Event{&DownloadRenewed{LicenseID: l.id, ExpiresAt: exp, At: now}},
		Licenses: map[string][]Event{l.id: {&LicenseRenewed{
			RequestID: c.RequestID, Renewal: l.renewals + 1, ExpiresAt: exp, At: now,
		}}},
	}, nil
}

// DecideRelease decides ReleaseLicense (the user deleted the download): it
// records LicenseReleased on the license and DownloadReleased on the account,
// which frees the slot. Releasing a released license changes nothing.
func DecideRelease(a *Account, l *License, c ReleaseLicense, p Policy, now time.Time) (Outcome, error) {
	if err := c.Validate(); err != nil {
		return Outcome{}, err
	}
	now = now.UTC()
	if err := requireAccount("ReleaseLicense", a, c.CustomerID); err != nil {
		return Outcome{}, err
	}
	if err := requireLicense("ReleaseLicense", l, c.CustomerID, c.LicenseID); err != nil {
		return Outcome{}, err
	}
	if l.released {
		return Outcome{Decision: Decision{Allowed: true, LicenseID: l.id, Detail: "license already released",
			PolicyVersion: p.Version}}, nil
	}
	return Outcome{
		Decision: Decision{Allowed: true, LicenseID: l.id, PolicyVersion: p.Version},
		Account:  []Event{&DownloadReleased{LicenseID: l.id, DeviceID: l.deviceID, At: now}},
		Licenses: map[string][]Event{l.id: {&LicenseReleased{Reason: ReleaseUserDeleted, At: now}}},
	}, nil
}

// DecidePlayback decides StartPlayback. The first play records
// PlaybackStarted, opening the playback window; later plays inside the
// window are allowed without events. Denials (released, expired, window
// over) record LicenseActionDenied. The decision's ExpiresAt is when playback
// stops being allowed: the earlier of the license expiry and the window end.
func DecidePlayback(l *License, c StartPlayback, p Policy, now time.Time) (Outcome, error) {
	if err := c.Validate(); err != nil {
		return Outcome{}, err
	}
	now = now.UTC()
	if err := requireLicense("StartPlayback", l, c.CustomerID, c.LicenseID); err != nil {
		return Outcome{}, err
	}
	played := !l.firstPlayAt.IsZero()
	var d Decision
	switch {
	case l.released:
		d = deny(p, ReasonLicenseReleased, "license was released at %s", l.releasedAt.Format(time.RFC3339))
	case !now.Before(l.expiresAt):
		d = deny(p, ReasonLicenseExpired, "license expired at %s", l.expiresAt.Format(time.RFC3339))
	case played && !now.Before(l.playbackEndsAt):
		d = deny(p, ReasonPlaybackWindowOver, "playback window closed at %s", l.playbackEndsAt.Format(time.RFC3339))
	}
	d.LicenseID = l.id
	if d.Reason != "" {
		return Outcome{Decision: d, Licenses: map[string][]Event{l.id: {&LicenseActionDenied{
			RequestID: c.RequestID, Action: ActionPlayback, Reason: string(d.Reason), At: now,
		}}}}, nil
	}
	d.Allowed, d.PolicyVersion = true, p.Version
	if played {
		d.ExpiresAt = earlier(l.expiresAt, l.playbackEndsAt)
		d.Detail = "within the playback window"
		return Outcome{Decision: d}, nil
	}
	ends := now.Add(p.PlaybackWindow)
	d.ExpiresAt = earlier(l.expiresAt, ends)
	return Outcome{
		Decision: d,
		Licenses: map[string][]Event{l.id: {&PlaybackStarted{At: now, PlaybackEndsAt: ends}}},
	}, nil
}

func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
