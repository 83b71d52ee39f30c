package workload

import (
	"testing"
	"time"

	"github.com/esbench/esbench/refimpl/domain"
)

// sim plays ops against the real domain decide functions, the way the
// service does, so tests can check that generated operations are valid.
type sim struct {
	tb    testing.TB
	p     domain.Policy
	custs map[string]*simCustomer
}

type simCustomer struct {
	acc  *domain.Account
	lics map[string]*domain.License
}

func newSim(tb testing.TB) *sim {
	return &sim{tb: tb, p: domain.DefaultPolicy(), custs: map[string]*simCustomer{}}
}

func (s *sim) customer(id string) *simCustomer {
	c := s.custs[id]
	if c == nil {
		c = &simCustomer{acc: domain.NewAccount(id), lics: map[string]*domain.License{}}
		s.custs[id] = c
	}
	return c
}

// exec decides op at now and applies its events.
func (s *sim) exec(op *Op, now time.Time) (domain.Decision, error) {
	s.tb.Helper()
	c := s.customer(op.CustomerID)
	var out domain.Outcome
	var err error
	switch op.Kind {
	case OpOpenAccount:
		out, err = domain.DecideOpenAccount(c.acc, domain.OpenAccount{RequestID: op.RequestID, CustomerID: op.CustomerID, Plan: op.Plan}, s.p, now)
	case OpRegisterDevice:
		out, err = domain.DecideRegisterDevice(c.acc, domain.RegisterDevice{RequestID: op.RequestID, CustomerID: op.CustomerID, DeviceID: op.DeviceID}, s.p, now)
	case OpRemoveDevice:
		out, err = domain.DecideRemoveDevice(c.acc, domain.RemoveDevice{RequestID: op.RequestID, CustomerID: op.CustomerID, DeviceID: op.DeviceID}, s.p, now)
	case OpAcquire:
		out, err = domain.DecideAcquire(c.acc, domain.AcquireLicense{RequestID: op.RequestID, CustomerID: op.CustomerID,
			DeviceID: op.DeviceID, TitleID: op.TitleID, StudioID: op.StudioID, Restricted: op.Restricted}, s.p, now)
	case OpRenew:
		out, err = domain.DecideRenew(c.acc, c.lics[op.LicenseID], domain.RenewLicense{RequestID: op.RequestID, CustomerID: op.CustomerID, LicenseID: op.LicenseID}, s.p, now)
	case OpRelease:
		out, err = domain.DecideRelease(c.acc, c.lics[op.LicenseID], domain.ReleaseLicense{RequestID: op.RequestID, CustomerID: op.CustomerID, LicenseID: op.LicenseID}, s.p, now)
	case OpPlayback:
		out, err = domain.DecidePlayback(c.lics[op.LicenseID], domain.StartPlayback{RequestID: op.RequestID, CustomerID: op.CustomerID, LicenseID: op.LicenseID}, s.p, now)
	case OpCheck:
		out.Decision, err = domain.Check(c.acc, domain.CheckDownload{CustomerID: op.CustomerID, DeviceID: op.DeviceID,
			TitleID: op.TitleID, StudioID: op.StudioID, Restricted: op.Restricted}, s.p, now)
	case OpLoad:
		if !c.acc.Opened() {
			s.tb.Fatalf("load of customer %s with no account", op.CustomerID)
		}
		return domain.Decision{Allowed: true}, nil
	default:
		s.tb.Fatalf("unexpected op kind %q", op.Kind)
	}
	if err != nil {
		return out.Decision, err
	}
	for _, e := range out.Account {
		if err := c.acc.Apply(c.acc.Version()+1, e); err != nil {
			s.tb.Fatalf("apply %T: %v", e, err)
		}
	}
	for id, evs := range out.Licenses {
		l := c.lics[id]
		if l == nil {
			l = domain.NewLicense(id)
			c.lics[id] = l
		}
		for _, e := range evs {
			if err := l.Apply(l.Version()+1, e); err != nil {
				s.tb.Fatalf("apply %T to license: %v", e, err)
			}
		}
	}
	return out.Decision, nil
}

// checkValid fails unless op's decision is what the generator expected:
// license operations and tracked acquires granted.
func checkValid(tb testing.TB, op *Op, d domain.Decision, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatalf("op %+v: %v", op, err)
	}
	switch op.Kind {
	case OpRenew, OpRelease, OpPlayback, OpOpenAccount, OpRegisterDevice, OpRemoveDevice:
		if !d.Allowed {
			tb.Fatalf("op %+v refused: %s (%s)", op, d.Reason, d.Detail)
		}
	case OpAcquire:
		if op.LicenseID != "" && (!d.Allowed || d.LicenseID != op.LicenseID) {
			tb.Fatalf("acquire %+v expected granted as %s, got %+v", op, op.LicenseID, d)
		}
	}
}

// testOptions drive the reference service's default policy, the oracle the
// simulation above checks the generator against.
func testOptions() Options {
	p := domain.DefaultPolicy()
	return Options{LicenseID: domain.LicenseIDFor, Rules: Rules{
		DevicesPerPlan: p.DevicesPerPlan, DownloadsPerDevice: p.DownloadsPerDevice,
		RestrictedPerTitleYear: p.RestrictedPerTitleYear, LicenseDuration: p.LicenseDuration, MaxRenewals: p.MaxRenewals,
	}}
}

func withRunID(o Options, id string) Options {
	o.RunID = id
	return o
}
