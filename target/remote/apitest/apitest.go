// Package apitest is the conformance kit of the licensing API: one named
// check per download rule of docs/design.md, run through the API against any
// implementation (esbench serve, or a rewrite in another stack), so an
// implementation is shown to decide as the reference does before it is
// benchmarked. `esbench conformance --target URL` runs it.
//
// The checks move the service's clock with each request's `at` field, so
// the implementation must decide at the request's time when one is given
// (esbench serve --clock request, its default). Every check works on fresh
// customers with ids unique to the run, so a service holding other data is
// fine and checks may run against the same service repeatedly.
package apitest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	licensingv1 "github.com/esbench/esbench/api/licensing/v1"
	"github.com/esbench/esbench/api/licensing/v1/licensingv1connect"
	"github.com/esbench/esbench/refimpl/domain"
)

// Check is one rule's check.
type Check struct {
	// Name is the check's stable name ("devices_per_plan").
	Name string
	// Rule says, in one line, what the implementation must do.
	Rule string
	run  func(ctx context.Context, e *env) error
}

// Result is one check's outcome.
type Result struct {
	Name     string
	Rule     string
	Pass     bool
	Failure  string
	Duration time.Duration
}

// Checks lists the checks in the order they run.
func Checks() []Check {
	return []Check{
		{"status_codes", "malformed, unknown and duplicate requests get invalid_argument, not_found and already_exists", checkStatusCodes},
		{"devices_per_plan", "a plan's number of devices may hold downloads; one more device is denied device_limit", checkDevicesPerPlan},
		{"downloads_per_device", "a device holds at most the policy's downloads; one more is denied device_download_limit", checkDownloadsPerDevice},
		{"restricted_titles_per_year", "a restricted title is downloaded at most N times per calendar year, again the next year", checkRestrictedPerYear},
		{"license_duration", "a license expires the policy's duration after its grant; playback after that is denied license_expired", checkLicenseDuration},
		{"renewals", "a license renews the policy's number of times, each adding the duration; one more is denied renewal_limit", checkRenewals},
		{"playback_window", "the first play opens a window; playback after it closes is denied playback_window_over", checkPlaybackWindow},
		{"release_frees_slot", "releasing a device's only download frees its device slot for another device", checkReleaseFreesSlot},
		{"idempotent_retry", "a retried request id gets the first answer, marked already_applied, and changes nothing", checkIdempotentRetry},
		{"conflict_handling", "concurrent commands on one account each get a decision or aborted, and no grant is lost or doubled", checkConflicts},
	}
}

// Policy is the rule set the checks expect: the reference policy, as
// docs/api.md states it.
func Policy() domain.Policy { return domain.DefaultPolicy() }

// Run runs every check against client, calling report after each, and
// returns the results. It stops early, with the remaining checks absent,
// when ctx is cancelled.
func Run(ctx context.Context, client licensingv1connect.LicensingServiceClient, report func(Result)) []Result {
	var nonce [4]byte
	_, _ = rand.Read(nonce[:])
	e := &env{c: client, p: Policy(), run: "conf-" + hex.EncodeToString(nonce[:])}
	var out []Result
	for _, c := range Checks() {
		if ctx.Err() != nil {
			break
		}
		start := time.Now()
		err := c.run(ctx, e.forCheck(c.Name))
		r := Result{Name: c.Name, Rule: c.Rule, Pass: err == nil, Duration: time.Since(start)}
		if err != nil {
			r.Failure = err.Error()
		}
		out = append(out, r)
		if report != nil {
			report(r)
		}
	}
	return out
}

// base is the simulated time the checks start at: fixed, mid-year, so a
// check's year boundary is where it puts it.
var base = time.Date(2031, 3, 2, 10, 0, 0, 0, time.UTC)

// env gives a check its client, the policy, and fresh ids.
type env struct {
	c     licensingv1connect.LicensingServiceClient
	p     domain.Policy
	run   string
	check string
	mu    sync.Mutex
	seq   int
}

func (e *env) forCheck(name string) *env {
	return &env{c: e.c, p: e.p, run: e.run, check: name}
}

// id returns a fresh id with a readable prefix.
func (e *env) id(kind string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.seq++
	return fmt.Sprintf("%s-%s-%s-%d", e.run, e.check, kind, e.seq)
}

func at(d time.Duration) *timestamppb.Timestamp { return timestamppb.New(base.Add(d)) }

// account opens a fresh account on plan with devices registered, at base.
func (e *env) account(ctx context.Context, plan string, devices int) (string, []string, error) {
	cust := e.id("cust")
	r, err := e.c.OpenAccount(ctx, &licensingv1.OpenAccountRequest{RequestId: e.id("open"), CustomerId: cust, Plan: plan, At: at(0)})
	if err != nil {
		return "", nil, fmt.Errorf("OpenAccount: %w", err)
	}
	if !r.GetDecision().GetAllowed() {
		return "", nil, fmt.Errorf("OpenAccount(%s) denied: %v", plan, r.GetDecision())
	}
	devs := make([]string, devices)
	for i := range devs {
		devs[i] = fmt.Sprintf("dev%d", i+1)
		r, err := e.c.RegisterDevice(ctx, &licensingv1.RegisterDeviceRequest{RequestId: e.id("reg"), CustomerId: cust, DeviceId: devs[i], At: at(time.Minute)})
		if err != nil {
			return "", nil, fmt.Errorf("RegisterDevice: %w", err)
		}
		if !r.GetDecision().GetAllowed() {
			return "", nil, fmt.Errorf("RegisterDevice %s denied: %v", devs[i], r.GetDecision())
		}
	}
	return cust, devs, nil
}

// acquire asks for title on dev at base+d.
func (e *env) acquire(ctx context.Context, cust, dev, title string, restricted bool, d time.Duration) (*licensingv1.CommandResponse, error) {
	return e.acquireID(ctx, e.id("acq"), cust, dev, title, restricted, d)
}

// granted acquires and requires a grant; what names the step in a failure.
func (e *env) granted(ctx context.Context, what, cust, dev, title string, restricted bool, d time.Duration) (*licensingv1.CommandResponse, error) {
	r, err := e.acquire(ctx, cust, dev, title, restricted, d)
	if err != nil {
		return nil, err
	}
	return r, wantGranted(what, r)
}

// denied acquires and requires a denial for reason.
func (e *env) denied(ctx context.Context, what string, reason licensingv1.Reason, cust, dev, title string, restricted bool, d time.Duration) error {
	r, err := e.acquire(ctx, cust, dev, title, restricted, d)
	if err != nil {
		return err
	}
	return wantDenied(what, r, reason)
}

func (e *env) acquireID(ctx context.Context, req, cust, dev, title string, restricted bool, d time.Duration) (*licensingv1.CommandResponse, error) {
	r, err := e.c.AcquireLicense(ctx, &licensingv1.AcquireLicenseRequest{RequestId: req, CustomerId: cust, DeviceId: dev,
		TitleId: title, StudioId: "studio-1", Restricted: restricted, At: at(d)})
	if err != nil {
		return nil, fmt.Errorf("AcquireLicense(%s on %s): %w", title, dev, err)
	}
	return r, nil
}

// wantGranted and wantDenied check a decision.
func wantGranted(what string, r *licensingv1.CommandResponse) error {
	d := r.GetDecision()
	if !d.GetAllowed() {
		return fmt.Errorf("%s: denied %s (%s), want granted", what, d.GetReason(), d.GetDetail())
	}
	if d.GetFallback() {
		return fmt.Errorf("%s: granted as a permissive fallback: the store failed, the rule was not checked", what)
	}
	return nil
}

func wantDenied(what string, r *licensingv1.CommandResponse, reason licensingv1.Reason) error {
	d := r.GetDecision()
	if d.GetAllowed() {
		return fmt.Errorf("%s: granted, want denied %s", what, reason)
	}
	if d.GetReason() != reason {
		return fmt.Errorf("%s: denied %s (%s), want %s", what, d.GetReason(), d.GetDetail(), reason)
	}
	return nil
}

func wantCode(what string, err error, code connect.Code) error {
	if err == nil {
		return fmt.Errorf("%s: succeeded, want %s", what, code)
	}
	if got := connect.CodeOf(err); got != code {
		return fmt.Errorf("%s: %s (%v), want %s", what, got, err, code)
	}
	return nil
}

func checkStatusCodes(ctx context.Context, e *env) error {
	cust, _, err := e.account(ctx, domain.PlanBasic, 1)
	if err != nil {
		return err
	}
	_, err = e.c.OpenAccount(ctx, &licensingv1.OpenAccountRequest{RequestId: e.id("open"), CustomerId: "", Plan: domain.PlanBasic, At: at(0)})
	if err := wantCode("OpenAccount without a customer id", err, connect.CodeInvalidArgument); err != nil {
		return err
	}
	_, err = e.c.RegisterDevice(ctx, &licensingv1.RegisterDeviceRequest{RequestId: e.id("reg"), CustomerId: e.id("nobody"), DeviceId: "d", At: at(0)})
	if err := wantCode("RegisterDevice for an unknown customer", err, connect.CodeNotFound); err != nil {
		return err
	}
	_, err = e.acquire(ctx, cust, "no-such-device", "t", false, time.Hour)
	if err := wantCode("AcquireLicense on an unknown device", err, connect.CodeNotFound); err != nil {
		return err
	}
	_, err = e.c.RenewLicense(ctx, &licensingv1.RenewLicenseRequest{RequestId: e.id("renew"), CustomerId: cust, LicenseId: "no-such-license", At: at(time.Hour)})
	if err := wantCode("RenewLicense of an unknown license", err, connect.CodeNotFound); err != nil {
		return err
	}
	_, err = e.c.OpenAccount(ctx, &licensingv1.OpenAccountRequest{RequestId: e.id("open"), CustomerId: cust, Plan: domain.PlanPremium, At: at(time.Hour)})
	return wantCode("OpenAccount again with another plan", err, connect.CodeAlreadyExists)
}

func checkDevicesPerPlan(ctx context.Context, e *env) error {
	for _, plan := range []string{domain.PlanBasic, domain.PlanStandard} {
		limit := e.p.DevicesPerPlan[plan]
		cust, devs, err := e.account(ctx, plan, limit+1)
		if err != nil {
			return err
		}
		for i := range limit {
			if _, err := e.granted(ctx, fmt.Sprintf("%s plan, device %d of %d", plan, i+1, limit), cust, devs[i], fmt.Sprintf("title-%d", i), false, time.Hour); err != nil {
				return err
			}
		}
		if err := e.denied(ctx, fmt.Sprintf("%s plan, device %d of %d", plan, limit+1, limit), licensingv1.Reason_REASON_DEVICE_LIMIT, cust, devs[limit], "title-x", false, 2*time.Hour); err != nil {
			return err
		}
		// A device already holding downloads may take more.
		if _, err := e.granted(ctx, plan+" plan, a second download on a device that holds one", cust, devs[0], "title-y", false, 3*time.Hour); err != nil {
			return err
		}
	}
	return nil
}

func checkDownloadsPerDevice(ctx context.Context, e *env) error {
	cust, devs, err := e.account(ctx, domain.PlanPremium, 1)
	if err != nil {
		return err
	}
	n := e.p.DownloadsPerDevice
	for i := range n {
		if _, err := e.granted(ctx, fmt.Sprintf("download %d of %d on one device", i+1, n), cust, devs[0], fmt.Sprintf("title-%d", i), false, time.Hour+time.Duration(i)*time.Second); err != nil {
			return err
		}
	}
	return e.denied(ctx, fmt.Sprintf("download %d on a device with a limit of %d", n+1, n), licensingv1.Reason_REASON_DEVICE_DOWNLOAD_LIMIT, cust, devs[0], "title-over", false, 2*time.Hour)
}

func checkRestrictedPerYear(ctx context.Context, e *env) error {
	cust, devs, err := e.account(ctx, domain.PlanPremium, 1)
	if err != nil {
		return err
	}
	n := e.p.RestrictedPerTitleYear
	for i := range n {
		if _, err := e.granted(ctx, fmt.Sprintf("restricted title, download %d of %d this year", i+1, n), cust, devs[0], "restricted-title", true, time.Hour+time.Duration(i)*time.Minute); err != nil {
			return err
		}
	}
	if err := e.denied(ctx, fmt.Sprintf("restricted title, download %d in one year", n+1), licensingv1.Reason_REASON_TITLE_YEAR_LIMIT, cust, devs[0], "restricted-title", true, 2*time.Hour); err != nil {
		return err
	}
	// An unrestricted title has no yearly limit.
	for i := range n + 1 {
		if _, err := e.granted(ctx, fmt.Sprintf("unrestricted title, download %d", i+1), cust, devs[0], "free-title", false, 3*time.Hour+time.Duration(i)*time.Minute); err != nil {
			return err
		}
	}
	// The count starts again with the calendar year.
	nextYear := time.Date(base.Year()+1, 1, 1, 0, 0, 1, 0, time.UTC).Sub(base)
	_, err = e.granted(ctx, "restricted title in the next calendar year", cust, devs[0], "restricted-title", true, nextYear)
	return err
}

func checkLicenseDuration(ctx context.Context, e *env) error {
	cust, devs, err := e.account(ctx, domain.PlanBasic, 1)
	if err != nil {
		return err
	}
	r, err := e.granted(ctx, "AcquireLicense", cust, devs[0], "title", false, time.Hour)
	if err != nil {
		return err
	}
	lic := r.GetDecision().GetLicenseId()
	want := base.Add(time.Hour + e.p.LicenseDuration)
	if exp := r.GetDecision().GetExpiresAt(); exp == nil || !exp.AsTime().Equal(want) {
		return fmt.Errorf("license expires_at %v, want %s (grant time plus %s)", exp.AsTime(), want.Format(time.RFC3339), e.p.LicenseDuration)
	}
	play := func(d time.Duration) (*licensingv1.CommandResponse, error) {
		r, err := e.c.StartPlayback(ctx, &licensingv1.StartPlaybackRequest{RequestId: e.id("play"), CustomerId: cust, LicenseId: lic, At: at(d)})
		if err != nil {
			return nil, fmt.Errorf("StartPlayback: %w", err)
		}
		return r, nil
	}
	r, err = play(time.Hour + e.p.LicenseDuration - time.Minute)
	if err != nil {
		return err
	}
	if err := wantGranted("playback a minute before expiry", r); err != nil {
		return err
	}
	r, err = play(time.Hour + e.p.LicenseDuration + time.Minute)
	if err != nil {
		return err
	}
	return wantDenied("playback a minute after expiry", r, licensingv1.Reason_REASON_LICENSE_EXPIRED)
}

func checkRenewals(ctx context.Context, e *env) error {
	cust, devs, err := e.account(ctx, domain.PlanBasic, 1)
	if err != nil {
		return err
	}
	r, err := e.granted(ctx, "AcquireLicense", cust, devs[0], "title", false, time.Hour)
	if err != nil {
		return err
	}
	lic := r.GetDecision().GetLicenseId()
	exp := r.GetDecision().GetExpiresAt().AsTime()
	for i := range e.p.MaxRenewals + 1 {
		r, err := e.c.RenewLicense(ctx, &licensingv1.RenewLicenseRequest{RequestId: e.id("renew"), CustomerId: cust, LicenseId: lic,
			At: at(2*time.Hour + time.Duration(i)*time.Hour)})
		if err != nil {
			return fmt.Errorf("RenewLicense #%d: %w", i+1, err)
		}
		if i == e.p.MaxRenewals {
			return wantDenied(fmt.Sprintf("renewal %d with a limit of %d", i+1, e.p.MaxRenewals), r, licensingv1.Reason_REASON_RENEWAL_LIMIT)
		}
		if err := wantGranted(fmt.Sprintf("renewal %d of %d", i+1, e.p.MaxRenewals), r); err != nil {
			return err
		}
		exp = exp.Add(e.p.LicenseDuration)
		if got := r.GetDecision().GetExpiresAt(); got == nil || !got.AsTime().Equal(exp) {
			return fmt.Errorf("renewal %d: expires_at %v, want %s (the previous expiry plus %s)", i+1, got.AsTime(), exp.Format(time.RFC3339), e.p.LicenseDuration)
		}
	}
	return nil
}

func checkPlaybackWindow(ctx context.Context, e *env) error {
	if e.p.PlaybackWindow+2*time.Hour >= e.p.LicenseDuration {
		return errors.New("the policy's playback window is not shorter than its license: nothing to check")
	}
	cust, devs, err := e.account(ctx, domain.PlanBasic, 1)
	if err != nil {
		return err
	}
	r, err := e.granted(ctx, "AcquireLicense", cust, devs[0], "title", false, time.Hour)
	if err != nil {
		return err
	}
	lic := r.GetDecision().GetLicenseId()
	first := 2 * time.Hour
	for _, c := range []struct {
		d     time.Duration
		allow bool
		what  string
	}{
		{first, true, "first playback"},
		{first + e.p.PlaybackWindow - time.Minute, true, "playback a minute before the window closes"},
		{first + e.p.PlaybackWindow + time.Minute, false, "playback a minute after the window closed"},
	} {
		r, err := e.c.StartPlayback(ctx, &licensingv1.StartPlaybackRequest{RequestId: e.id("play"), CustomerId: cust, LicenseId: lic, At: at(c.d)})
		if err != nil {
			return fmt.Errorf("StartPlayback: %w", err)
		}
		if c.allow {
			err = wantGranted(c.what, r)
		} else {
			err = wantDenied(c.what, r, licensingv1.Reason_REASON_PLAYBACK_WINDOW_OVER)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func checkReleaseFreesSlot(ctx context.Context, e *env) error {
	cust, devs, err := e.account(ctx, domain.PlanBasic, 2)
	if err != nil {
		return err
	}
	r, err := e.granted(ctx, "download on the first device", cust, devs[0], "title-1", false, time.Hour)
	if err != nil {
		return err
	}
	lic := r.GetDecision().GetLicenseId()
	if err := e.denied(ctx, "download on a second device of a one-device plan", licensingv1.Reason_REASON_DEVICE_LIMIT, cust, devs[1], "title-2", false, 2*time.Hour); err != nil {
		return err
	}
	rel, err := e.c.ReleaseLicense(ctx, &licensingv1.ReleaseLicenseRequest{RequestId: e.id("rel"), CustomerId: cust, LicenseId: lic, At: at(3 * time.Hour)})
	if err != nil {
		return fmt.Errorf("ReleaseLicense: %w", err)
	}
	if err := wantGranted("ReleaseLicense", rel); err != nil {
		return err
	}
	if _, err := e.granted(ctx, "download on the second device after the first released its only one", cust, devs[1], "title-2", false, 4*time.Hour); err != nil {
		return err
	}
	p, err := e.c.StartPlayback(ctx, &licensingv1.StartPlaybackRequest{RequestId: e.id("play"), CustomerId: cust, LicenseId: lic, At: at(5 * time.Hour)})
	if err != nil {
		return fmt.Errorf("StartPlayback of the released license: %w", err)
	}
	return wantDenied("playback of a released license", p, licensingv1.Reason_REASON_LICENSE_RELEASED)
}

func checkIdempotentRetry(ctx context.Context, e *env) error {
	cust, devs, err := e.account(ctx, domain.PlanBasic, 1)
	if err != nil {
		return err
	}
	req := e.id("acq")
	first, err := e.acquireID(ctx, req, cust, devs[0], "title", true, time.Hour)
	if err != nil {
		return err
	}
	if err := wantGranted("AcquireLicense", first); err != nil {
		return err
	}
	before, err := e.c.LoadAccount(ctx, &licensingv1.LoadAccountRequest{CustomerId: cust})
	if err != nil {
		return fmt.Errorf("LoadAccount: %w", err)
	}
	for i := range 2 {
		again, err := e.acquireID(ctx, req, cust, devs[0], "title", true, time.Hour+time.Duration(i+1)*time.Minute)
		if err != nil {
			return fmt.Errorf("retry %d: %w", i+1, err)
		}
		if err := wantGranted(fmt.Sprintf("retry %d", i+1), again); err != nil {
			return err
		}
		if !again.GetAlreadyApplied() {
			return fmt.Errorf("retry %d of request %s: already_applied is false", i+1, req)
		}
		if again.GetDecision().GetLicenseId() != first.GetDecision().GetLicenseId() {
			return fmt.Errorf("retry %d: license %s, the first answer was %s", i+1, again.GetDecision().GetLicenseId(), first.GetDecision().GetLicenseId())
		}
	}
	after, err := e.c.LoadAccount(ctx, &licensingv1.LoadAccountRequest{CustomerId: cust})
	if err != nil {
		return fmt.Errorf("LoadAccount: %w", err)
	}
	if a, b := after.GetVersion().GetVersion(), before.GetVersion().GetVersion(); a != b {
		return fmt.Errorf("the account moved from version %d to %d on retries: a retry was applied again", b, a)
	}
	// The retried restricted download counted once: two more fit the year.
	for i := range e.p.RestrictedPerTitleYear - 1 {
		r, err := e.acquire(ctx, cust, devs[0], "title", true, 2*time.Hour+time.Duration(i)*time.Minute)
		if err != nil {
			return err
		}
		if err := wantGranted(fmt.Sprintf("restricted download %d after the retries", i+2), r); err != nil {
			return fmt.Errorf("%w (the retries were counted as downloads)", err)
		}
	}
	return nil
}

func checkConflicts(ctx context.Context, e *env) error {
	cust, devs, err := e.account(ctx, domain.PlanPremium, 1)
	if err != nil {
		return err
	}
	const parallel = 16
	limit := e.p.DownloadsPerDevice
	if limit < parallel {
		return fmt.Errorf("the policy's %d downloads per device is under the %d concurrent requests the check sends", limit, parallel)
	}
	type answer struct {
		req     string
		granted bool
		err     error
	}
	answers := make([]answer, parallel)
	var wg sync.WaitGroup
	for i := range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := e.id("acq")
			r, err := e.acquireID(ctx, req, cust, devs[0], fmt.Sprintf("title-%d", i), false, time.Hour)
			answers[i] = answer{req: req, err: err, granted: err == nil && r.GetDecision().GetAllowed() && !r.GetDecision().GetFallback()}
		}()
	}
	wg.Wait()
	granted := 0
	var aborted []string
	for _, a := range answers {
		switch {
		case a.err == nil && a.granted:
			granted++
		case a.err == nil:
			return fmt.Errorf("a concurrent download was denied or a fallback with %d of %d downloads in use", granted, limit)
		case connect.CodeOf(a.err) == connect.CodeAborted:
			aborted = append(aborted, a.req)
		default:
			return fmt.Errorf("concurrent commands on one account: %w, want a decision or aborted", a.err)
		}
	}
	// An aborted request may be retried with its id; afterwards the device
	// holds exactly one download per grant, so the rest of the limit fits
	// and one more is denied.
	for _, req := range aborted {
		r, err := e.acquireID(ctx, req, cust, devs[0], "title-retried-"+req, false, 2*time.Hour)
		if err != nil {
			return fmt.Errorf("retry of an aborted request: %w", err)
		}
		if err := wantGranted("retry of an aborted request", r); err != nil {
			return err
		}
		granted++
	}
	for i := granted; i < limit; i++ {
		r, err := e.acquire(ctx, cust, devs[0], fmt.Sprintf("fill-%d", i), false, 3*time.Hour+time.Duration(i)*time.Second)
		if err != nil {
			return err
		}
		if err := wantGranted(fmt.Sprintf("download %d of %d after %d concurrent grants", i+1, limit, granted), r); err != nil {
			return fmt.Errorf("%w: the concurrent grants were counted more than once", err)
		}
	}
	r, err := e.acquire(ctx, cust, devs[0], "over", false, 4*time.Hour)
	if err != nil {
		return err
	}
	if err := wantDenied(fmt.Sprintf("download %d after %d concurrent grants", limit+1, len(answers)-len(aborted)), r, licensingv1.Reason_REASON_DEVICE_DOWNLOAD_LIMIT); err != nil {
		return fmt.Errorf("%w: a concurrent grant was lost", err)
	}
	return nil
}

// Summary is a one-line count of results.
func Summary(rs []Result) string {
	failed := 0
	var names []string
	for _, r := range rs {
		if !r.Pass {
			failed++
			names = append(names, r.Name)
		}
	}
	s := fmt.Sprintf("%d checks: %d passed, %d failed", len(rs), len(rs)-failed, failed)
	if failed > 0 {
		s += " (" + strings.Join(names, ", ") + ")"
	}
	return s
}
