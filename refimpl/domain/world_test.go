package domain

import (
	"fmt"
	"testing"
	"time"
)

// world is a test harness that plays commands against one customer's
// aggregates the way the service does: decide, then apply the outcome's
// events at the next versions.
type world struct {
	tb   testing.TB
	p    Policy
	now  time.Time
	acc  *Account
	lics map[string]*License
	seq  int
	// accLog and licLog record every applied event, for replay tests.
	accLog []Event
	licLog map[string][]Event
}

const testCustomer = "cust-1"

func newWorld(tb testing.TB, p Policy, now time.Time) *world {
	return &world{tb: tb, p: p, now: now.UTC(), acc: NewAccount(testCustomer), lics: map[string]*License{}, licLog: map[string][]Event{}}
}

func (w *world) req() string {
	w.seq++
	return fmt.Sprintf("req-%d", w.seq)
}

// apply folds an outcome's events into the world's aggregates.
func (w *world) apply(out Outcome) {
	w.tb.Helper()
	for _, e := range out.Account {
		if err := w.acc.Apply(w.acc.Version()+1, e); err != nil {
			w.tb.Fatalf("apply %T to account: %v", e, err)
		}
		w.accLog = append(w.accLog, e)
	}
	for id, evs := range out.Licenses {
		l := w.lics[id]
		if l == nil {
			l = NewLicense(id)
			w.lics[id] = l
		}
		for _, e := range evs {
			if err := l.Apply(l.Version()+1, e); err != nil {
				w.tb.Fatalf("apply %T to license %s: %v", e, id, err)
			}
			w.licLog[id] = append(w.licLog[id], e)
		}
	}
}

// must applies a successful outcome and returns its decision.
func (w *world) must(out Outcome, err error) Decision {
	w.tb.Helper()
	if err != nil {
		w.tb.Fatalf("unexpected error: %v", err)
	}
	w.apply(out)
	return out.Decision
}

func (w *world) open(plan string) {
	w.tb.Helper()
	w.must(DecideOpenAccount(w.acc, OpenAccount{RequestID: w.req(), CustomerID: testCustomer, Plan: plan}, w.p, w.now))
}

func (w *world) register(devices ...string) {
	w.tb.Helper()
	for _, d := range devices {
		w.must(DecideRegisterDevice(w.acc, RegisterDevice{RequestID: w.req(), CustomerID: testCustomer, DeviceID: d}, w.p, w.now))
	}
}

func (w *world) acquireCmd(device, title string, restricted bool) AcquireLicense {
	return AcquireLicense{RequestID: w.req(), CustomerID: testCustomer, DeviceID: device, TitleID: title,
		StudioID: "studio-1", Restricted: restricted}
}

// acquire asks for n downloads and fails the test unless all are granted;
// it returns the license ids.
func (w *world) acquire(device, title string, restricted bool, n int) []string {
	w.tb.Helper()
	ids := make([]string, 0, n)
	for range n {
		d := w.must(DecideAcquire(w.acc, w.acquireCmd(device, title, restricted), w.p, w.now))
		if !d.Allowed {
			w.tb.Fatalf("setup acquire on %s of %s denied: %s (%s)", device, title, d.Reason, d.Detail)
		}
		ids = append(ids, d.LicenseID)
	}
	return ids
}

func (w *world) release(id string) {
	w.tb.Helper()
	d := w.must(DecideRelease(w.acc, w.lics[id], ReleaseLicense{RequestID: w.req(), CustomerID: testCustomer, LicenseID: id}, w.p, w.now))
	if !d.Allowed {
		w.tb.Fatalf("release %s refused: %+v", id, d)
	}
}

func (w *world) renew(id string) Decision {
	w.tb.Helper()
	return w.must(DecideRenew(w.acc, w.lics[id], RenewLicense{RequestID: w.req(), CustomerID: testCustomer, LicenseID: id}, w.p, w.now))
}

func (w *world) play(id string) Decision {
	w.tb.Helper()
	return w.must(DecidePlayback(w.lics[id], StartPlayback{RequestID: w.req(), CustomerID: testCustomer, LicenseID: id}, w.p, w.now))
}

func (w *world) advance(d time.Duration) { w.now = w.now.Add(d) }
