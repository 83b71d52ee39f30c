package domain

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var (
	midYear = time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)
	lateDec = time.Date(2026, 12, 31, 23, 0, 0, 0, time.UTC)
	week    = 7 * 24 * time.Hour
)

// TestAcquireRules covers every download rule at and one past its limit, per
// plan, and the ways a slot is freed. Each case also asks CheckDownload first
// and requires the same answer without events.
func TestAcquireRules(t *testing.T) {
	cases := []struct {
		name       string
		plan       string
		start      time.Time
		setup      func(w *world)
		device     string
		title      string
		restricted bool
		unopened   bool
		customer   string // overrides the command's customer
		want       Reason // "" = allowed
		wantErr    error
		wantPolicy int
	}{
		{name: "basic: first device", plan: PlanBasic, device: "d1"},
		{name: "basic: more downloads on the device holding them", plan: PlanBasic, device: "d1",
			setup: func(w *world) { w.acquire("d1", "t1", false, 1) }},
		{name: "basic: second device over the plan", plan: PlanBasic, device: "d2", want: ReasonDeviceLimit,
			setup: func(w *world) { w.acquire("d1", "t1", false, 1) }},
		{name: "standard: second device at the plan", plan: PlanStandard, device: "d2",
			setup: func(w *world) { w.acquire("d1", "t1", false, 1) }},
		{name: "standard: third device over the plan", plan: PlanStandard, device: "d3", want: ReasonDeviceLimit,
			setup: func(w *world) { w.acquire("d1", "t1", false, 1); w.acquire("d2", "t1", false, 1) }},
		{name: "premium: fourth device at the plan", plan: PlanPremium, device: "d4",
			setup: func(w *world) {
				for _, d := range []string{"d1", "d2", "d3"} {
					w.acquire(d, "t1", false, 1)
				}
			}},
		{name: "premium: fifth device over the plan", plan: PlanPremium, device: "d5", want: ReasonDeviceLimit,
			setup: func(w *world) {
				for _, d := range []string{"d1", "d2", "d3", "d4"} {
					w.acquire(d, "t1", false, 1)
				}
			}},
		{name: "device limit: a download one ns before expiry still holds the device", plan: PlanBasic, device: "d2",
			want:  ReasonDeviceLimit,
			setup: func(w *world) { w.acquire("d1", "t1", false, 1); w.advance(week - time.Nanosecond) }},
		{name: "device limit: an expired download frees the device", plan: PlanBasic, device: "d2",
			setup: func(w *world) { w.acquire("d1", "t1", false, 1); w.advance(week) }},
		{name: "device limit: a release frees the device", plan: PlanBasic, device: "d2",
			setup: func(w *world) { w.release(w.acquire("d1", "t1", false, 1)[0]) }},
		{name: "device limit: removing the device frees it", plan: PlanBasic, device: "d2",
			setup: func(w *world) {
				w.acquire("d1", "t1", false, 3)
				w.must(DecideRemoveDevice(w.acc, RemoveDevice{RequestID: w.req(), CustomerID: testCustomer, DeviceID: "d1"}, w.p, w.now))
			}},
		{name: "device limit: plan no longer in the policy", plan: PlanPremium, device: "d1", want: ReasonDeviceLimit,
			wantPolicy: 2,
			setup: func(w *world) {
				w.p.Version = 2
				w.p.DevicesPerPlan = map[string]int{PlanBasic: 1}
			}},
		{name: "downloads per device: the 100th", plan: PlanBasic, device: "d1",
			setup: func(w *world) { w.acquire("d1", "t1", false, 99) }},
		{name: "downloads per device: the 101st", plan: PlanBasic, device: "d1", want: ReasonDownloadLimit,
			setup: func(w *world) { w.acquire("d1", "t1", false, 100) }},
		{name: "downloads per device: expired downloads do not count", plan: PlanBasic, device: "d1",
			setup: func(w *world) { w.acquire("d1", "t1", false, 100); w.advance(week) }},
		{name: "downloads per device: a release frees a slot", plan: PlanBasic, device: "d1",
			setup: func(w *world) { w.release(w.acquire("d1", "t1", false, 100)[42]) }},
		{name: "downloads per device: another device is not limited", plan: PlanStandard, device: "d2",
			setup: func(w *world) { w.acquire("d1", "t1", false, 100) }},
		{name: "downloads per device: configured limit of 2", plan: PlanBasic, device: "d1", want: ReasonDownloadLimit,
			wantPolicy: 7,
			setup: func(w *world) {
				w.p.Version, w.p.DownloadsPerDevice = 7, 2
				w.acquire("d1", "t1", false, 2)
			}},
		{name: "restricted: the 3rd of a title in a year", plan: PlanBasic, device: "d1", title: "t1", restricted: true,
			setup: func(w *world) { w.acquire("d1", "t1", true, 2) }},
		{name: "restricted: the 4th of a title in a year", plan: PlanBasic, device: "d1", title: "t1", restricted: true,
			want:  ReasonTitleYearLimit,
			setup: func(w *world) { w.acquire("d1", "t1", true, 3) }},
		{name: "restricted: counted across devices", plan: PlanStandard, device: "d1", title: "t1", restricted: true,
			want:  ReasonTitleYearLimit,
			setup: func(w *world) { w.acquire("d1", "t1", true, 2); w.acquire("d2", "t1", true, 1) }},
		{name: "restricted: a release does not give the count back", plan: PlanBasic, device: "d1", title: "t1",
			restricted: true, want: ReasonTitleYearLimit,
			setup: func(w *world) {
				for _, id := range w.acquire("d1", "t1", true, 3) {
					w.release(id)
				}
			}},
		{name: "restricted: expiry does not give the count back", plan: PlanBasic, device: "d1", title: "t1",
			restricted: true, want: ReasonTitleYearLimit,
			setup: func(w *world) { w.acquire("d1", "t1", true, 3); w.advance(2 * week) }},
		{name: "restricted: another title is not limited", plan: PlanBasic, device: "d1", title: "t2", restricted: true,
			setup: func(w *world) { w.acquire("d1", "t1", true, 3) }},
		{name: "restricted: unrestricted downloads are not counted", plan: PlanBasic, device: "d1", title: "t1",
			restricted: true,
			setup:      func(w *world) { w.acquire("d1", "t1", false, 5); w.acquire("d1", "t1", true, 2) }},
		{name: "restricted: an unrestricted download is not limited", plan: PlanBasic, device: "d1", title: "t1",
			setup: func(w *world) { w.acquire("d1", "t1", true, 3) }},
		{name: "restricted: Dec 31, last nanosecond, same year", plan: PlanBasic, start: lateDec, device: "d1",
			title: "t1", restricted: true, want: ReasonTitleYearLimit,
			setup: func(w *world) {
				w.acquire("d1", "t1", true, 3)
				w.now = time.Date(2026, 12, 31, 23, 59, 59, 999999999, time.UTC)
			}},
		{name: "restricted: Jan 1 starts a new year", plan: PlanBasic, start: lateDec, device: "d1", title: "t1",
			restricted: true,
			setup: func(w *world) {
				w.acquire("d1", "t1", true, 3)
				w.now = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
			}},
		{name: "restricted: the year is the UTC year", plan: PlanBasic, start: lateDec, device: "d1", title: "t1",
			restricted: true, want: ReasonTitleYearLimit,
			setup: func(w *world) {
				w.acquire("d1", "t1", true, 3)
				// Already 2027 in Tokyo, still 2026 in UTC.
				w.now = time.Date(2027, 1, 1, 8, 0, 0, 0, time.FixedZone("JST", 9*3600))
			}},
		{name: "restricted: configured 0 forbids restricted titles", plan: PlanBasic, device: "d1", title: "t1",
			restricted: true, want: ReasonTitleYearLimit, wantPolicy: 3,
			setup: func(w *world) { w.p.Version, w.p.RestrictedPerTitleYear = 3, 0 }},
		{name: "error: unregistered device", plan: PlanPremium, device: "d9", wantErr: ErrUnknownDevice},
		{name: "error: no account", plan: PlanPremium, device: "d1", unopened: true, wantErr: ErrUnknownCustomer},
		{name: "error: another customer's account", plan: PlanPremium, device: "d1", customer: "cust-2",
			wantErr: ErrUnknownCustomer},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start := midYear
			if !tc.start.IsZero() {
				start = tc.start
			}
			w := newWorld(t, DefaultPolicy(), start)
			if !tc.unopened {
				w.open(tc.plan)
				w.register("d1", "d2", "d3", "d4", "d5")
			}
			if tc.setup != nil {
				tc.setup(w)
			}
			title := tc.title
			if title == "" {
				title = "t-final"
			}
			cmd := w.acquireCmd(tc.device, title, tc.restricted)
			if tc.customer != "" {
				cmd.CustomerID = tc.customer
			}
			before := w.acc.Version()
			chk, chkErr := Check(w.acc, CheckDownload{CustomerID: cmd.CustomerID, DeviceID: cmd.DeviceID,
				TitleID: cmd.TitleID, StudioID: cmd.StudioID, Restricted: cmd.Restricted}, w.p, w.now)
			out, err := DecideAcquire(w.acc, cmd, w.p, w.now)
			if tc.wantErr != nil {
				var ce *CommandError
				if !errors.Is(err, tc.wantErr) || !errors.As(err, &ce) {
					t.Fatalf("DecideAcquire error = %v, want %v in a *CommandError", err, tc.wantErr)
				}
				if !errors.Is(chkErr, tc.wantErr) {
					t.Fatalf("Check error = %v, want %v", chkErr, tc.wantErr)
				}
				if len(out.Account)+len(out.Licenses) != 0 {
					t.Fatalf("error outcome carries events: %+v", out)
				}
				return
			}
			if err != nil || chkErr != nil {
				t.Fatalf("DecideAcquire error %v, Check error %v", err, chkErr)
			}
			if w.acc.Version() != before {
				t.Fatalf("deciding changed the account version %d -> %d", before, w.acc.Version())
			}
			d := out.Decision
			wantVersion := 1
			if tc.wantPolicy != 0 {
				wantVersion = tc.wantPolicy
			}
			if d.PolicyVersion != wantVersion || chk.PolicyVersion != wantVersion {
				t.Errorf("policy version: acquire %d, check %d, want %d", d.PolicyVersion, chk.PolicyVersion, wantVersion)
			}
			if chk.Allowed != d.Allowed || chk.Reason != d.Reason {
				t.Errorf("Check = %v/%q, acquire = %v/%q", chk.Allowed, chk.Reason, d.Allowed, d.Reason)
			}
			if tc.want != "" {
				if d.Allowed || d.Reason != tc.want || d.Detail == "" {
					t.Fatalf("decision = %+v, want denial %q with a detail", d, tc.want)
				}
				if len(out.Account) != 1 || len(out.Licenses) != 0 {
					t.Fatalf("denial events: account %d, licenses %d; want 1 DownloadDenied only", len(out.Account), len(out.Licenses))
				}
				ev, ok := out.Account[0].(*DownloadDenied)
				if !ok || ev.Reason != string(tc.want) || ev.RequestID != cmd.RequestID || ev.DeviceID != cmd.DeviceID ||
					ev.TitleID != cmd.TitleID || ev.Detail != d.Detail || ev.PolicyVersion != wantVersion || !ev.At.Equal(w.now) {
					t.Fatalf("denial event = %#v", out.Account[0])
				}
				w.apply(out)
				if got := w.acc.RecentDenials(); len(got) == 0 || got[len(got)-1].Reason != tc.want {
					t.Fatalf("recent denials after apply = %+v", got)
				}
				return
			}
			if !d.Allowed || d.Reason != "" {
				t.Fatalf("decision = %+v, want allowed", d)
			}
			wantExp := w.now.UTC().Add(week)
			if d.LicenseID != LicenseIDFor(cmd.RequestID) || !d.ExpiresAt.Equal(wantExp) {
				t.Fatalf("grant = %+v, want license %s expiring %v", d, LicenseIDFor(cmd.RequestID), wantExp)
			}
			if len(out.Account) != 1 || len(out.Licenses) != 1 || len(out.Licenses[d.LicenseID]) != 1 {
				t.Fatalf("grant events: %+v", out)
			}
			g, ok := out.Account[0].(*DownloadGranted)
			if !ok || g.LicenseID != d.LicenseID || g.DeviceID != cmd.DeviceID || g.TitleID != title ||
				g.Restricted != tc.restricted || g.Year != w.now.UTC().Year() || !g.ExpiresAt.Equal(wantExp) {
				t.Fatalf("grant event = %#v", out.Account[0])
			}
			is, ok := out.Licenses[d.LicenseID][0].(*LicenseIssued)
			if !ok || is.LicenseID != d.LicenseID || is.CustomerID != testCustomer || is.DeviceID != cmd.DeviceID ||
				is.StudioID != cmd.StudioID || is.PolicyVersion != wantVersion || !is.IssuedAt.Equal(w.now) || !is.ExpiresAt.Equal(wantExp) {
				t.Fatalf("license event = %#v", out.Licenses[d.LicenseID][0])
			}
			onDevice := w.acc.ActiveDownloads(cmd.DeviceID, w.now)
			w.apply(out)
			if got := w.acc.ActiveDownloads(cmd.DeviceID, w.now); got != onDevice+1 {
				t.Fatalf("active downloads on %s after grant = %d, want %d", cmd.DeviceID, got, onDevice+1)
			}
		})
	}
}

// TestAcquireRetry: a retried request gets its original answer and records
// nothing new.
func TestAcquireRetry(t *testing.T) {
	w := newWorld(t, DefaultPolicy(), midYear)
	w.open(PlanBasic)
	w.register("d1", "d2")
	grant := w.acquireCmd("d1", "t1", false)
	first := w.must(DecideAcquire(w.acc, grant, w.p, w.now))
	w.advance(time.Hour)
	again, err := DecideAcquire(w.acc, grant, w.p, w.now)
	if err != nil || !again.Decision.Allowed || again.Decision.LicenseID != first.LicenseID ||
		!again.Decision.ExpiresAt.Equal(first.ExpiresAt) || len(again.Account)+len(again.Licenses) != 0 {
		t.Fatalf("retried grant = %+v, %v; want the first grant %+v without events", again, err, first)
	}
	denied := w.acquireCmd("d2", "t1", false)
	d := w.must(DecideAcquire(w.acc, denied, w.p, w.now))
	if d.Reason != ReasonDeviceLimit {
		t.Fatalf("setup: want a device limit denial, got %+v", d)
	}
	w.release(first.LicenseID) // the retry must not be re-judged against the new state
	again, err = DecideAcquire(w.acc, denied, w.p, w.now)
	if err != nil || again.Decision.Allowed || again.Decision.Reason != ReasonDeviceLimit || len(again.Account) != 0 {
		t.Fatalf("retried denial = %+v, %v; want the original denial without events", again, err)
	}
}

func TestRenewRules(t *testing.T) {
	cases := []struct {
		name    string
		setup   func(w *world, id string)
		license func(w *world, id string) *License // overrides the license passed
		cmd     func(c *RenewLicense)
		want    Reason
		wantErr error
		// wantRenewal and wantExp (days after issue) for a grant.
		wantRenewal int
		wantExpDays int
	}{
		{name: "first renewal extends the expiry, not now, by the duration", wantRenewal: 1, wantExpDays: 14,
			setup: func(w *world, id string) { w.advance(24 * time.Hour) }},
		{name: "third renewal", wantRenewal: 3, wantExpDays: 28,
			setup: func(w *world, id string) { w.renew(id); w.renew(id) }},
		{name: "fourth renewal", want: ReasonRenewalLimit,
			setup: func(w *world, id string) { w.renew(id); w.renew(id); w.renew(id) }},
		{name: "configured MaxRenewals 0", want: ReasonRenewalLimit,
			setup: func(w *world, id string) { w.p.MaxRenewals = 0 }},
		{name: "one ns before expiry", wantRenewal: 1, wantExpDays: 14,
			setup: func(w *world, id string) { w.advance(week - time.Nanosecond) }},
		{name: "at expiry", want: ReasonLicenseExpired,
			setup: func(w *world, id string) { w.advance(week) }},
		{name: "renewed license expires at the renewed time", want: ReasonLicenseExpired,
			setup: func(w *world, id string) { w.renew(id); w.advance(2 * week) }},
		{name: "released license", want: ReasonLicenseReleased,
			setup: func(w *world, id string) { w.release(id) }},
		{name: "released with its device", want: ReasonLicenseReleased,
			setup: func(w *world, id string) {
				w.must(DecideRemoveDevice(w.acc, RemoveDevice{RequestID: w.req(), CustomerID: testCustomer, DeviceID: "d1"}, w.p, w.now))
			}},
		{name: "device no longer registered", want: ReasonDeviceNotRegistered,
			// A state only an inconsistent history gives: the device went
			// without its licenses being released.
			setup: func(w *world, id string) {
				if err := w.acc.Apply(w.acc.Version()+1, &DeviceRemoved{DeviceID: "d1", At: w.now}); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "error: unknown license", wantErr: ErrUnknownLicense,
			license: func(w *world, id string) *License { return NewLicense(id) }},
		{name: "error: nil license", wantErr: ErrUnknownLicense,
			license: func(w *world, id string) *License { return nil }},
		{name: "error: license id mismatch", wantErr: ErrUnknownLicense,
			cmd: func(c *RenewLicense) { c.LicenseID = "other" }},
		{name: "error: another customer's license", wantErr: ErrUnknownCustomer,
			cmd: func(c *RenewLicense) { c.CustomerID = "cust-2" }},
		{name: "error: empty request id", wantErr: ErrInvalidCommand,
			cmd: func(c *RenewLicense) { c.RequestID = "" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, DefaultPolicy(), midYear)
			w.open(PlanBasic)
			w.register("d1")
			id := w.acquire("d1", "t1", false, 1)[0]
			issued := w.lics[id].IssuedAt()
			if tc.setup != nil {
				tc.setup(w, id)
			}
			l := w.lics[id]
			if tc.license != nil {
				l = tc.license(w, id)
			}
			cmd := RenewLicense{RequestID: w.req(), CustomerID: testCustomer, LicenseID: id}
			if tc.cmd != nil {
				tc.cmd(&cmd)
			}
			out, err := DecideRenew(w.acc, l, cmd, w.p, w.now)
			if tc.wantErr != nil {
				var ce *CommandError
				if !errors.Is(err, tc.wantErr) || !errors.As(err, &ce) {
					t.Fatalf("error = %v, want %v in a *CommandError", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			d := out.Decision
			if tc.want != "" {
				if d.Allowed || d.Reason != tc.want || len(out.Account) != 0 || len(out.Licenses[id]) != 1 {
					t.Fatalf("outcome = %+v, want denial %q with one license event", out, tc.want)
				}
				ev, ok := out.Licenses[id][0].(*LicenseActionDenied)
				if !ok || ev.Action != ActionRenew || ev.Reason != string(tc.want) || ev.RequestID != cmd.RequestID {
					t.Fatalf("denial event = %#v", out.Licenses[id][0])
				}
				n := w.lics[id].Denials()
				w.apply(out)
				if w.lics[id].Denials() != n+1 {
					t.Fatalf("license denials %d -> %d", n, w.lics[id].Denials())
				}
				return
			}
			wantExp := issued.Add(time.Duration(tc.wantExpDays) * 24 * time.Hour)
			if !d.Allowed || !d.ExpiresAt.Equal(wantExp) || d.LicenseID != id {
				t.Fatalf("decision = %+v, want a renewal to %v", d, wantExp)
			}
			lr, ok := out.Licenses[id][0].(*LicenseRenewed)
			if !ok || lr.Renewal != tc.wantRenewal || !lr.ExpiresAt.Equal(wantExp) || lr.RequestID != cmd.RequestID {
				t.Fatalf("license event = %#v, want renewal %d", out.Licenses[id][0], tc.wantRenewal)
			}
			ar, ok := out.Account[0].(*DownloadRenewed)
			if !ok || len(out.Account) != 1 || ar.LicenseID != id || !ar.ExpiresAt.Equal(wantExp) {
				t.Fatalf("account events = %#v", out.Account)
			}
			w.apply(out)
			if w.lics[id].Renewals() != tc.wantRenewal || !w.lics[id].ExpiresAt().Equal(wantExp) {
				t.Fatalf("license after renewal: %d renewals, expires %v", w.lics[id].Renewals(), w.lics[id].ExpiresAt())
			}
			// The account sees the renewed expiry: the download is active
			// one ns before it and not at it.
			if w.acc.ActiveDownloads("d1", wantExp.Add(-time.Nanosecond)) != 1 || w.acc.ActiveDownloads("d1", wantExp) != 0 {
				t.Fatalf("account does not see the renewed expiry %v", wantExp)
			}
			// A retry of the same request renews nothing more.
			again, err := DecideRenew(w.acc, w.lics[id], cmd, w.p, w.now)
			if err != nil || !again.Decision.Allowed || len(again.Account)+len(again.Licenses) != 0 ||
				!again.Decision.ExpiresAt.Equal(wantExp) {
				t.Fatalf("retried renewal = %+v, %v", again, err)
			}
		})
	}
}

func TestPlaybackRules(t *testing.T) {
	window := 48 * time.Hour
	cases := []struct {
		name    string
		setup   func(w *world, id string)
		cmd     func(c *StartPlayback)
		license func(id string) *License
		want    Reason
		wantErr error
		// first: a PlaybackStarted is expected; until: the decision's
		// ExpiresAt as an offset from issue.
		first bool
		until time.Duration
	}{
		{name: "first play opens the window", first: true, until: window},
		{name: "first play late: the window is capped by expiry", first: true, until: week,
			setup: func(w *world, id string) { w.advance(6 * 24 * time.Hour) }},
		{name: "replay one ns before the window closes", until: window,
			setup: func(w *world, id string) { w.play(id); w.advance(window - time.Nanosecond) }},
		{name: "replay when the window closes", want: ReasonPlaybackWindowOver,
			setup: func(w *world, id string) { w.play(id); w.advance(window) }},
		{name: "a renewal does not reopen the window", want: ReasonPlaybackWindowOver,
			setup: func(w *world, id string) { w.play(id); w.renew(id); w.advance(window + time.Hour) }},
		{name: "expired license", want: ReasonLicenseExpired,
			setup: func(w *world, id string) { w.advance(week) }},
		{name: "released license", want: ReasonLicenseReleased,
			setup: func(w *world, id string) { w.release(id) }},
		{name: "configured window of 1h", want: ReasonPlaybackWindowOver,
			setup: func(w *world, id string) { w.p.PlaybackWindow = time.Hour; w.play(id); w.advance(time.Hour) }},
		{name: "error: unknown license", wantErr: ErrUnknownLicense,
			license: func(id string) *License { return NewLicense(id) }},
		{name: "error: another customer's license", wantErr: ErrUnknownLicense,
			cmd: func(c *StartPlayback) { c.CustomerID = "cust-2" }},
		{name: "error: control character in the license id", wantErr: ErrInvalidCommand,
			cmd: func(c *StartPlayback) { c.LicenseID = "abc\x00" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, DefaultPolicy(), midYear)
			w.open(PlanBasic)
			w.register("d1")
			id := w.acquire("d1", "t1", false, 1)[0]
			issued := w.now
			if tc.setup != nil {
				tc.setup(w, id)
			}
			l := w.lics[id]
			if tc.license != nil {
				l = tc.license(id)
			}
			cmd := StartPlayback{RequestID: w.req(), CustomerID: testCustomer, LicenseID: id}
			if tc.cmd != nil {
				tc.cmd(&cmd)
			}
			out, err := DecidePlayback(l, cmd, w.p, w.now)
			if tc.wantErr != nil {
				var ce *CommandError
				if !errors.Is(err, tc.wantErr) || !errors.As(err, &ce) {
					t.Fatalf("error = %v, want %v in a *CommandError", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			d := out.Decision
			if tc.want != "" {
				if d.Allowed || d.Reason != tc.want || len(out.Licenses[id]) != 1 {
					t.Fatalf("outcome = %+v, want denial %q", out, tc.want)
				}
				if ev, ok := out.Licenses[id][0].(*LicenseActionDenied); !ok || ev.Action != ActionPlayback || ev.Reason != string(tc.want) {
					t.Fatalf("denial event = %#v", out.Licenses[id][0])
				}
				return
			}
			if !d.Allowed || !d.ExpiresAt.Equal(issued.Add(tc.until)) {
				t.Fatalf("decision = %+v, want allowed until issue+%v", d, tc.until)
			}
			if !tc.first {
				if len(out.Licenses)+len(out.Account) != 0 {
					t.Fatalf("replay inside the window recorded %+v", out)
				}
				return
			}
			ps, ok := out.Licenses[id][0].(*PlaybackStarted)
			if !ok || !ps.At.Equal(w.now) || !ps.PlaybackEndsAt.Equal(w.now.Add(window)) {
				t.Fatalf("playback event = %#v", out.Licenses[id][0])
			}
			w.apply(out)
			if !w.lics[id].FirstPlaybackAt().Equal(w.now) || !w.lics[id].PlaybackEndsAt().Equal(w.now.Add(window)) {
				t.Fatal("license does not record the first playback")
			}
		})
	}
}

func TestReleaseAndRemove(t *testing.T) {
	w := newWorld(t, DefaultPolicy(), midYear)
	w.open(PlanStandard)
	w.register("d1", "d2")
	ids := w.acquire("d1", "t1", false, 3)
	old := ids[0]
	w.advance(week) // the first three expire
	live := w.acquire("d1", "t2", false, 2)
	other := w.acquire("d2", "t2", false, 1)[0]

	// Releasing an expired license is recorded; a second release is a no-op.
	out, err := DecideRelease(w.acc, w.lics[old], ReleaseLicense{RequestID: w.req(), CustomerID: testCustomer, LicenseID: old}, w.p, w.now)
	if err != nil || !out.Decision.Allowed || len(out.Account) != 1 || len(out.Licenses[old]) != 1 {
		t.Fatalf("release of an expired license = %+v, %v", out, err)
	}
	if lr, ok := out.Licenses[old][0].(*LicenseReleased); !ok || lr.Reason != ReleaseUserDeleted {
		t.Fatalf("release event = %#v", out.Licenses[old][0])
	}
	w.apply(out)
	if st := w.lics[old].Status(w.now); st != StatusReleased {
		t.Fatalf("status after release = %q", st)
	}
	out, err = DecideRelease(w.acc, w.lics[old], ReleaseLicense{RequestID: w.req(), CustomerID: testCustomer, LicenseID: old}, w.p, w.now)
	if err != nil || !out.Decision.Allowed || len(out.Account)+len(out.Licenses) != 0 {
		t.Fatalf("second release = %+v, %v; want an allowed no-op", out, err)
	}

	// Removing d1 releases exactly its active licenses, in id order, then
	// removes the device.
	out, err = DecideRemoveDevice(w.acc, RemoveDevice{RequestID: w.req(), CustomerID: testCustomer, DeviceID: "d1"}, w.p, w.now)
	if err != nil || !out.Decision.Allowed {
		t.Fatalf("remove = %+v, %v", out, err)
	}
	wantIDs := append([]string(nil), live...)
	if wantIDs[0] > wantIDs[1] {
		wantIDs[0], wantIDs[1] = wantIDs[1], wantIDs[0]
	}
	if len(out.Account) != 3 || len(out.Licenses) != 2 {
		t.Fatalf("remove events: account %d, licenses %d; want 3 and 2", len(out.Account), len(out.Licenses))
	}
	for i, id := range wantIDs {
		dr, ok := out.Account[i].(*DownloadReleased)
		if !ok || dr.LicenseID != id || dr.DeviceID != "d1" {
			t.Fatalf("account event %d = %#v, want release of %s", i, out.Account[i], id)
		}
		lr, ok := out.Licenses[id][0].(*LicenseReleased)
		if !ok || lr.Reason != ReleaseDeviceRemoved {
			t.Fatalf("license %s event = %#v", id, out.Licenses[id])
		}
	}
	if dr, ok := out.Account[2].(*DeviceRemoved); !ok || dr.DeviceID != "d1" {
		t.Fatalf("last account event = %#v, want DeviceRemoved", out.Account[2])
	}
	w.apply(out)
	if w.acc.HasDevice("d1") || w.acc.ActiveDownloads("d1", w.now) != 0 || w.acc.ActiveDownloads("d2", w.now) != 1 {
		t.Fatalf("after removal: d1 registered %v, active on d1 %d, on d2 %d",
			w.acc.HasDevice("d1"), w.acc.ActiveDownloads("d1", w.now), w.acc.ActiveDownloads("d2", w.now))
	}
	if _, ok := w.acc.HasDownload(ids[1]); ok {
		t.Fatal("expired download of the removed device kept in the state")
	}
	if w.lics[other].Status(w.now) != StatusActive {
		t.Fatal("another device's license was touched")
	}
	_, err = DecideRemoveDevice(w.acc, RemoveDevice{RequestID: w.req(), CustomerID: testCustomer, DeviceID: "d1"}, w.p, w.now)
	if !errors.Is(err, ErrUnknownDevice) {
		t.Fatalf("removing a removed device: %v, want ErrUnknownDevice", err)
	}
	c := w.acc.Counters()
	if c.Granted != 6 || c.Released != 3 || c.Denied != 0 {
		t.Fatalf("counters = %+v", c)
	}
}

func TestOpenAndRegister(t *testing.T) {
	p := DefaultPolicy()
	w := newWorld(t, p, midYear)
	_, err := DecideOpenAccount(w.acc, OpenAccount{RequestID: "r", CustomerID: testCustomer, Plan: "gold"}, p, w.now)
	var ce *CommandError
	if !errors.Is(err, ErrInvalidCommand) || !errors.As(err, &ce) || ce.Field != "Plan" || ce.Value != "gold" ||
		!strings.Contains(err.Error(), "basic, premium, standard") {
		t.Fatalf("unknown plan: %v", err)
	}
	out, err := DecideOpenAccount(nil, OpenAccount{RequestID: "r", CustomerID: testCustomer, Plan: PlanBasic}, p, w.now)
	if err != nil || len(out.Account) != 1 {
		t.Fatalf("open with a nil account: %+v, %v", out, err)
	}
	if ev, ok := out.Account[0].(*AccountOpened); !ok || ev.CustomerID != testCustomer || ev.Plan != PlanBasic || !ev.At.Equal(w.now) {
		t.Fatalf("open event = %#v", out.Account[0])
	}
	w.open(PlanBasic)
	if !w.acc.Opened() || w.acc.Plan() != PlanBasic || !w.acc.OpenedAt().Equal(w.now) {
		t.Fatal("account not opened")
	}
	out, err = DecideOpenAccount(w.acc, OpenAccount{RequestID: "r2", CustomerID: testCustomer, Plan: PlanBasic}, p, w.now)
	if err != nil || !out.Decision.Allowed || len(out.Account) != 0 {
		t.Fatalf("reopen with the same plan = %+v, %v; want an allowed no-op", out, err)
	}
	_, err = DecideOpenAccount(w.acc, OpenAccount{RequestID: "r3", CustomerID: testCustomer, Plan: PlanPremium}, p, w.now)
	if !errors.Is(err, ErrAccountExists) {
		t.Fatalf("reopen with another plan: %v, want ErrAccountExists", err)
	}
	// Registration is not limited by the plan (basic allows downloads on 1).
	w.register("d1", "d2", "d3")
	out, err = DecideRegisterDevice(w.acc, RegisterDevice{RequestID: "r4", CustomerID: testCustomer, DeviceID: "d2"}, p, w.now)
	if err != nil || !out.Decision.Allowed || len(out.Account) != 0 {
		t.Fatalf("re-registering = %+v, %v; want an allowed no-op", out, err)
	}
	if got := strings.Join(w.acc.Devices(), ","); got != "d1,d2,d3" {
		t.Fatalf("devices = %s", got)
	}
	_, err = DecideRegisterDevice(NewAccount("cust-9"), RegisterDevice{RequestID: "r5", CustomerID: "cust-9", DeviceID: "d"}, p, w.now)
	if !errors.Is(err, ErrUnknownCustomer) {
		t.Fatalf("register on an unopened account: %v", err)
	}
}

// TestInvalidCommands: every id field of every command, empty, overlong,
// control characters and invalid UTF-8, is a *CommandError naming the
// field, before any state is looked at (the aggregates are nil).
func TestInvalidCommands(t *testing.T) {
	p := DefaultPolicy()
	now := midYear
	type run func(field, value string) error
	set := func(fields map[string]*string, field, value string) {
		*fields[field] = value
	}
	commands := map[string]struct {
		fields []string
		run    run
	}{
		"OpenAccount": {[]string{"RequestID", "CustomerID", "Plan"}, func(f, v string) error {
			c := OpenAccount{RequestID: "r", CustomerID: "c", Plan: PlanBasic}
			set(map[string]*string{"RequestID": &c.RequestID, "CustomerID": &c.CustomerID, "Plan": &c.Plan}, f, v)
			_, err := DecideOpenAccount(nil, c, p, now)
			return err
		}},
		"AcquireLicense": {[]string{"RequestID", "CustomerID", "DeviceID", "TitleID", "StudioID"}, func(f, v string) error {
			c := AcquireLicense{RequestID: "r", CustomerID: "c", DeviceID: "d", TitleID: "t", StudioID: "s"}
			set(map[string]*string{"RequestID": &c.RequestID, "CustomerID": &c.CustomerID, "DeviceID": &c.DeviceID,
				"TitleID": &c.TitleID, "StudioID": &c.StudioID}, f, v)
			_, err := DecideAcquire(nil, c, p, now)
			return err
		}},
		"CheckDownload": {[]string{"CustomerID", "DeviceID", "TitleID", "StudioID"}, func(f, v string) error {
			c := CheckDownload{CustomerID: "c", DeviceID: "d", TitleID: "t", StudioID: "s"}
			set(map[string]*string{"CustomerID": &c.CustomerID, "DeviceID": &c.DeviceID, "TitleID": &c.TitleID,
				"StudioID": &c.StudioID}, f, v)
			_, err := Check(nil, c, p, now)
			return err
		}},
		"RenewLicense": {[]string{"RequestID", "CustomerID", "LicenseID"}, func(f, v string) error {
			c := RenewLicense{RequestID: "r", CustomerID: "c", LicenseID: "l"}
			set(map[string]*string{"RequestID": &c.RequestID, "CustomerID": &c.CustomerID, "LicenseID": &c.LicenseID}, f, v)
			_, err := DecideRenew(nil, nil, c, p, now)
			return err
		}},
		"ReleaseLicense": {[]string{"RequestID", "CustomerID", "LicenseID"}, func(f, v string) error {
			c := ReleaseLicense{RequestID: "r", CustomerID: "c", LicenseID: "l"}
			set(map[string]*string{"RequestID": &c.RequestID, "CustomerID": &c.CustomerID, "LicenseID": &c.LicenseID}, f, v)
			_, err := DecideRelease(nil, nil, c, p, now)
			return err
		}},
		"StartPlayback": {[]string{"RequestID", "CustomerID", "LicenseID"}, func(f, v string) error {
			c := StartPlayback{RequestID: "r", CustomerID: "c", LicenseID: "l"}
			set(map[string]*string{"RequestID": &c.RequestID, "CustomerID": &c.CustomerID, "LicenseID": &c.LicenseID}, f, v)
			_, err := DecidePlayback(nil, c, p, now)
			return err
		}},
		"RegisterDevice": {[]string{"RequestID", "CustomerID", "DeviceID"}, func(f, v string) error {
			c := RegisterDevice{RequestID: "r", CustomerID: "c", DeviceID: "d"}
			set(map[string]*string{"RequestID": &c.RequestID, "CustomerID": &c.CustomerID, "DeviceID": &c.DeviceID}, f, v)
			_, err := DecideRegisterDevice(nil, c, p, now)
			return err
		}},
		"RemoveDevice": {[]string{"RequestID", "CustomerID", "DeviceID"}, func(f, v string) error {
			c := RemoveDevice{RequestID: "r", CustomerID: "c", DeviceID: "d"}
			set(map[string]*string{"RequestID": &c.RequestID, "CustomerID": &c.CustomerID, "DeviceID": &c.DeviceID}, f, v)
			_, err := DecideRemoveDevice(nil, c, p, now)
			return err
		}},
	}
	values := []struct{ name, value, why string }{
		{"empty", "", "empty"},
		{"overlong", strings.Repeat("x", MaxIDLen+1), "longer than"},
		{"control character", "a\nb", "control character"},
		{"invalid UTF-8", "a\xffb", "UTF-8"},
	}
	for name, c := range commands {
		for _, f := range c.fields {
			for _, v := range values {
				t.Run(name+"/"+f+"/"+v.name, func(t *testing.T) {
					err := c.run(f, v.value)
					var ce *CommandError
					if !errors.Is(err, ErrInvalidCommand) || !errors.As(err, &ce) {
						t.Fatalf("error = %v, want ErrInvalidCommand in a *CommandError", err)
					}
					if ce.Command != name || ce.Field != f || !strings.Contains(err.Error(), v.why) {
						t.Fatalf("error %q names %s.%s, want %s.%s and %q", err, ce.Command, ce.Field, name, f, v.why)
					}
					if len(ce.Value) > 70 {
						t.Fatalf("error value not truncated: %d bytes", len(ce.Value))
					}
				})
			}
		}
		// A valid command with nil aggregates is an unknown customer or
		// license, not a panic.
		if name == "OpenAccount" {
			continue
		}
		err := c.run(c.fields[0], "ok")
		if !errors.Is(err, ErrUnknownCustomer) && !errors.Is(err, ErrUnknownLicense) {
			t.Errorf("%s with nil aggregates: %v, want an unknown customer or license", name, err)
		}
	}
}

// FuzzDecide runs every command with arbitrary ids against an account with
// some history: no panic, and every error is a *CommandError.
func FuzzDecide(f *testing.F) {
	f.Add(uint8(0), "req-x", "d1", "t1")
	f.Add(uint8(3), "req-y", "", "\xff")
	f.Add(uint8(5), strings.Repeat("r", 300), "d9", "t1")
	f.Fuzz(func(t *testing.T, kind uint8, req, device, other string) {
		w := newWorld(t, DefaultPolicy(), midYear)
		w.open(PlanStandard)
		w.register("d1", "d2")
		lic := w.acquire("d1", "t1", true, 1)[0]
		l := w.lics[lic]
		if other == "lic" {
			other = lic
		}
		var err error
		switch kind % 8 {
		case 0:
			_, err = DecideAcquire(w.acc, AcquireLicense{RequestID: req, CustomerID: testCustomer, DeviceID: device, TitleID: other, StudioID: "s", Restricted: true}, w.p, w.now)
		case 1:
			_, err = Check(w.acc, CheckDownload{CustomerID: req, DeviceID: device, TitleID: other, StudioID: "s"}, w.p, w.now)
		case 2:
			_, err = DecideRenew(w.acc, l, RenewLicense{RequestID: req, CustomerID: device, LicenseID: other}, w.p, w.now)
		case 3:
			_, err = DecideRelease(w.acc, l, ReleaseLicense{RequestID: req, CustomerID: testCustomer, LicenseID: other}, w.p, w.now)
		case 4:
			_, err = DecidePlayback(l, StartPlayback{RequestID: req, CustomerID: testCustomer, LicenseID: other}, w.p, w.now)
		case 5:
			_, err = DecideRegisterDevice(w.acc, RegisterDevice{RequestID: req, CustomerID: testCustomer, DeviceID: device}, w.p, w.now)
		case 6:
			_, err = DecideRemoveDevice(w.acc, RemoveDevice{RequestID: req, CustomerID: testCustomer, DeviceID: device}, w.p, w.now)
		case 7:
			_, err = DecideOpenAccount(w.acc, OpenAccount{RequestID: req, CustomerID: device, Plan: other}, w.p, w.now)
		}
		var ce *CommandError
		if err != nil && !errors.As(err, &ce) {
			t.Fatalf("error %v is not a *CommandError", err)
		}
	})
}
