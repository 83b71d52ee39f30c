package service

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/esbench/esbench/refimpl/codec"
	"github.com/esbench/esbench/refimpl/domain"
	"github.com/esbench/esbench/refimpl/repository"
	"github.com/esbench/esbench/refimpl/store"
	"github.com/esbench/esbench/refimpl/store/memory"
	"github.com/esbench/esbench/refimpl/store/pebble"
)

// clock is the injected clock the tests move by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

var start = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type backend struct {
	name string
	open func(t *testing.T) store.Store
}

func backends() []backend {
	return []backend{
		{"memory", func(*testing.T) store.Store { return memory.New() }},
		{"pebble", func(t *testing.T) store.Store {
			opts := pebble.DefaultOptions(t.TempDir())
			opts.Sync = false
			st, err := pebble.Open(opts)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		}},
	}
}

func newService(t *testing.T, st store.Store, ropts repository.Options, sopts Options) (*Service, *clock) {
	t.Helper()
	repo, err := repository.New(st, testRegistry(), ropts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { repo.Close() })
	clk := &clock{now: start}
	if sopts.Now == nil {
		sopts.Now = clk.Now
	}
	s, err := New(repo, sopts)
	if err != nil {
		t.Fatal(err)
	}
	return s, clk
}

// step is one command of a scenario and what it must answer.
type step struct {
	name    string
	advance time.Duration
	do      func(ctx context.Context, s *Service) (Result, error)
	wantErr error // sentinel the error must match; nil means success
	// snapWantErr, if set, replaces wantErr when snapshots are on.
	snapWantErr error
	allowed     bool
	reason      domain.Reason
	check       func(t *testing.T, r Result)
}

const cust = "cust-42"

func TestCommands(t *testing.T) {
	p := domain.DefaultPolicy()
	lic1 := domain.LicenseIDFor("acq-1")
	lic2 := domain.LicenseIDFor("acq-2")
	acq := func(req, dev, title string, restricted bool) func(context.Context, *Service) (Result, error) {
		return func(ctx context.Context, s *Service) (Result, error) {
			return s.AcquireLicense(ctx, domain.AcquireLicense{RequestID: req, CustomerID: cust, DeviceID: dev, TitleID: title, StudioID: "studio", Restricted: restricted})
		}
	}
	check := func(dev, title string) func(context.Context, *Service) (Result, error) {
		return func(ctx context.Context, s *Service) (Result, error) {
			return s.CheckDownload(ctx, domain.CheckDownload{CustomerID: cust, DeviceID: dev, TitleID: title, StudioID: "studio"})
		}
	}
	register := func(req, dev string) func(context.Context, *Service) (Result, error) {
		return func(ctx context.Context, s *Service) (Result, error) {
			return s.RegisterDevice(ctx, domain.RegisterDevice{RequestID: req, CustomerID: cust, DeviceID: dev})
		}
	}
	playback := func(req, lic string) func(context.Context, *Service) (Result, error) {
		return func(ctx context.Context, s *Service) (Result, error) {
			return s.StartPlayback(ctx, domain.StartPlayback{RequestID: req, CustomerID: cust, LicenseID: lic})
		}
	}
	expires := func(want time.Time) func(*testing.T, Result) {
		return func(t *testing.T, r Result) {
			if !r.Decision.ExpiresAt.Equal(want) {
				t.Errorf("ExpiresAt = %s, want %s", r.Decision.ExpiresAt, want)
			}
		}
	}
	steps := []step{
		{name: "acquire before the account exists", do: acq("acq-0", "dev-a", "t1", false), wantErr: domain.ErrUnknownCustomer},
		{name: "check before the account exists", do: check("dev-a", "t1"), wantErr: domain.ErrUnknownCustomer},
		{name: "open with an unknown plan", do: func(ctx context.Context, s *Service) (Result, error) {
			return s.OpenAccount(ctx, domain.OpenAccount{RequestID: "open-0", CustomerID: cust, Plan: "platinum"})
		}, wantErr: domain.ErrInvalidCommand},
		{name: "open", do: func(ctx context.Context, s *Service) (Result, error) {
			return s.OpenAccount(ctx, domain.OpenAccount{RequestID: "open-1", CustomerID: cust, Plan: domain.PlanStandard})
		}, allowed: true},
		{name: "open again with another plan", do: func(ctx context.Context, s *Service) (Result, error) {
			return s.OpenAccount(ctx, domain.OpenAccount{RequestID: "open-2", CustomerID: cust, Plan: domain.PlanPremium})
		}, wantErr: domain.ErrAccountExists},
		{name: "open with an empty customer", do: func(ctx context.Context, s *Service) (Result, error) {
			return s.OpenAccount(ctx, domain.OpenAccount{RequestID: "open-3", Plan: domain.PlanPremium})
		}, wantErr: domain.ErrInvalidCommand},
		{name: "register dev-a", do: register("reg-a", "dev-a"), allowed: true},
		{name: "register dev-b", do: register("reg-b", "dev-b"), allowed: true},
		{name: "register dev-c", do: register("reg-c", "dev-c"), allowed: true},
		{name: "acquire on an unknown device", do: acq("acq-x", "dev-z", "t1", false), wantErr: domain.ErrUnknownDevice},
		{name: "acquire on dev-a", advance: time.Hour, do: acq("acq-1", "dev-a", "t1", true), allowed: true, check: func(t *testing.T, r Result) {
			if r.Decision.LicenseID != lic1 || r.Decision.PolicyVersion != p.Version {
				t.Errorf("decision %+v, want license %s", r.Decision, lic1)
			}
			expires(start.Add(time.Hour+p.LicenseDuration))(t, r)
			if r.Attempts != 1 || len(r.Loads) != 1 || r.Loads[0].Version != 4 {
				t.Errorf("attempts %d loads %+v, want one load of 4 events", r.Attempts, r.Loads)
			}
		}},
		{name: "acquire retried with the same request id", do: acq("acq-1", "dev-a", "t1", true), allowed: true, check: func(t *testing.T, r Result) {
			if !r.AlreadyApplied || r.Decision.LicenseID != lic1 {
				t.Errorf("retry: %+v, want AlreadyApplied with license %s", r, lic1)
			}
		}},
		{name: "acquire on dev-b", do: acq("acq-2", "dev-b", "t2", false), allowed: true},
		{name: "check dev-c over the plan's device limit", do: check("dev-c", "t3"), reason: domain.ReasonDeviceLimit},
		{name: "acquire on dev-c over the plan's device limit", do: acq("acq-3", "dev-c", "t3", false), reason: domain.ReasonDeviceLimit},
		{name: "check dev-a", do: check("dev-a", "t3"), allowed: true},
		{name: "renew", advance: 24 * time.Hour, do: func(ctx context.Context, s *Service) (Result, error) {
			return s.RenewLicense(ctx, domain.RenewLicense{RequestID: "ren-1", CustomerID: cust, LicenseID: lic1})
		}, allowed: true, check: expires(start.Add(time.Hour + 2*p.LicenseDuration))},
		{name: "renew an unknown license", do: func(ctx context.Context, s *Service) (Result, error) {
			return s.RenewLicense(ctx, domain.RenewLicense{RequestID: "ren-2", CustomerID: cust, LicenseID: "no-such-license"})
		}, wantErr: domain.ErrUnknownLicense},
		{name: "playback", do: playback("play-1", lic1), allowed: true},
		{name: "release dev-b's license", do: func(ctx context.Context, s *Service) (Result, error) {
			return s.ReleaseLicense(ctx, domain.ReleaseLicense{RequestID: "rel-1", CustomerID: cust, LicenseID: lic2})
		}, allowed: true},
		{name: "acquire on dev-c after the release freed a device", do: acq("acq-4", "dev-c", "t3", false), allowed: true},
		{name: "playback of the released license", do: playback("play-2", lic2), reason: domain.ReasonLicenseReleased},
		{name: "remove dev-a releases its license", do: func(ctx context.Context, s *Service) (Result, error) {
			return s.RemoveDevice(ctx, domain.RemoveDevice{RequestID: "rm-a", CustomerID: cust, DeviceID: "dev-a"})
		}, allowed: true, check: func(t *testing.T, r Result) {
			if len(r.Loads) != 3 {
				t.Errorf("remove ran %d loads, want 3 (account, then account and license)", len(r.Loads))
			}
		}},
		{name: "remove retried with the same request id", do: func(ctx context.Context, s *Service) (Result, error) {
			return s.RemoveDevice(ctx, domain.RemoveDevice{RequestID: "rm-a", CustomerID: cust, DeviceID: "dev-a"})
		}, allowed: true, check: func(t *testing.T, r Result) {
			if !r.AlreadyApplied {
				t.Errorf("retried removal not recognised: %+v", r)
			}
		},
			// Once a snapshot covers the removal's events the repository no
			// longer sees them, and the domain answers from the state: the
			// device is gone.
			snapWantErr: domain.ErrUnknownDevice},
		{name: "remove an unknown device", do: func(ctx context.Context, s *Service) (Result, error) {
			return s.RemoveDevice(ctx, domain.RemoveDevice{RequestID: "rm-z", CustomerID: cust, DeviceID: "dev-z"})
		}, wantErr: domain.ErrUnknownDevice},
		{name: "playback on the removed device's license", do: playback("play-3", lic1), reason: domain.ReasonLicenseReleased},
		{name: "renew after expiry", advance: 30 * 24 * time.Hour, do: func(ctx context.Context, s *Service) (Result, error) {
			return s.RenewLicense(ctx, domain.RenewLicense{RequestID: "ren-3", CustomerID: cust, LicenseID: domain.LicenseIDFor("acq-4")})
		}, reason: domain.ReasonLicenseExpired},
	}
	for _, be := range backends() {
		for _, snaps := range []string{"none", "every:3"} {
			t.Run(be.name+"/"+snaps, func(t *testing.T) {
				testScenario(t, be, snaps, steps)
			})
		}
	}
}

func testScenario(t *testing.T, be backend, snaps string, steps []step) {
	ctx := context.Background()
	pol, err := repository.ParseSnapshotPolicy(snaps)
	if err != nil {
		t.Fatal(err)
	}
	s, clk := newService(t, be.open(t), repository.Options{Snapshots: pol}, Options{Timeout: 10 * time.Second})
	denied := 0
	for _, st := range steps {
		clk.Advance(st.advance)
		r, err := st.do(ctx, s)
		if st.snapWantErr != nil && pol.Mode != repository.None {
			st.wantErr = st.snapWantErr
		}
		if st.wantErr != nil {
			if !errors.Is(err, st.wantErr) {
				t.Fatalf("%s: error = %v, want %v", st.name, err, st.wantErr)
			}
			if r.Fallback || errors.Is(err, store.ErrUnavailable) {
				t.Fatalf("%s: a domain error was taken for a store failure: %+v %v", st.name, r, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if r.Decision.Allowed != st.allowed || r.Decision.Reason != st.reason || r.Fallback {
			t.Fatalf("%s: decision %+v (fallback %v), want allowed=%v reason=%q", st.name, r.Decision, r.Fallback, st.allowed, st.reason)
		}
		if !r.Decision.Allowed {
			denied++
		}
		if st.check != nil {
			st.check(t, r)
		}
	}
	stats := s.Stats()
	if stats.TotalFallbacks() != 0 {
		t.Errorf("fallbacks on a healthy store: %+v", stats.Fallbacks)
	}
	if stats.Commands[CmdAcquire] != 7 || stats.Denied[CmdAcquire] != 1 || stats.Denied[CmdCheck] != 1 {
		t.Errorf("stats %+v", stats)
	}
	var total int64
	for _, n := range stats.Denied {
		total += n
	}
	if total != int64(denied) {
		t.Errorf("Stats denied %d, scenario denied %d", total, denied)
	}
	ls, err := s.Load(ctx, cust)
	if err != nil || ls.Version == 0 || ls.Version != uint64(ls.Replayed)+ls.SnapshotVersion {
		t.Fatalf("Load = %+v, %v", ls, err)
	}
	if (ls.SnapshotVersion > 0) != (pol.Mode != repository.None) {
		t.Errorf("account load with snapshots %s: %+v", snaps, ls)
	}
}

// faultyStore wraps a real store and fails or blocks on demand, like a
// backend whose node is down or overloaded.
type faultyStore struct {
	store.Store
	fail  atomic.Bool // every call returns ErrUnavailable
	block atomic.Bool // every call waits for its context to end
	calls atomic.Int64
}

func (f *faultyStore) fault(ctx context.Context) error {
	f.calls.Add(1)
	if f.block.Load() {
		<-ctx.Done()
		return fmt.Errorf("faulty store: %w", ctx.Err())
	}
	if f.fail.Load() {
		return fmt.Errorf("faulty store: node down: %w", store.ErrUnavailable)
	}
	return nil
}

func (f *faultyStore) Append(ctx context.Context, reqs ...store.AppendRequest) error {
	if err := f.fault(ctx); err != nil {
		return err
	}
	return f.Store.Append(ctx, reqs...)
}

func (f *faultyStore) Load(ctx context.Context, s store.StreamID, after uint64) iter.Seq2[store.Record, error] {
	if err := f.fault(ctx); err != nil {
		return func(yield func(store.Record, error) bool) { yield(store.Record{}, err) }
	}
	return f.Store.Load(ctx, s, after)
}

func (f *faultyStore) LatestSnapshot(ctx context.Context, s store.StreamID, v uint64) (store.Snapshot, bool, error) {
	if err := f.fault(ctx); err != nil {
		return store.Snapshot{}, false, err
	}
	return f.Store.LatestSnapshot(ctx, s, v)
}

func TestStoreFailureFallback(t *testing.T) {
	p := domain.DefaultPolicy()
	lic := domain.LicenseIDFor("acq-1")
	tests := []struct {
		name     string
		cmd      string
		do       func(context.Context, *Service) (Result, error)
		fallback bool // permissive answer; else an ErrUnavailable error
		license  string
	}{
		{"acquire", CmdAcquire, func(ctx context.Context, s *Service) (Result, error) {
			return s.AcquireLicense(ctx, domain.AcquireLicense{RequestID: "acq-9", CustomerID: cust, DeviceID: "dev-a", TitleID: "t9", StudioID: "s"})
		}, true, domain.LicenseIDFor("acq-9")},
		{"check", CmdCheck, func(ctx context.Context, s *Service) (Result, error) {
			return s.CheckDownload(ctx, domain.CheckDownload{CustomerID: cust, DeviceID: "dev-a", TitleID: "t9", StudioID: "s"})
		}, true, ""},
		{"renew", CmdRenew, func(ctx context.Context, s *Service) (Result, error) {
			return s.RenewLicense(ctx, domain.RenewLicense{RequestID: "ren-9", CustomerID: cust, LicenseID: lic})
		}, true, lic},
		{"playback", CmdPlayback, func(ctx context.Context, s *Service) (Result, error) {
			return s.StartPlayback(ctx, domain.StartPlayback{RequestID: "play-9", CustomerID: cust, LicenseID: lic})
		}, true, lic},
		{"release", CmdRelease, func(ctx context.Context, s *Service) (Result, error) {
			return s.ReleaseLicense(ctx, domain.ReleaseLicense{RequestID: "rel-9", CustomerID: cust, LicenseID: lic})
		}, false, ""},
		{"remove device", CmdRemoveDevice, func(ctx context.Context, s *Service) (Result, error) {
			return s.RemoveDevice(ctx, domain.RemoveDevice{RequestID: "rm-9", CustomerID: cust, DeviceID: "dev-a"})
		}, false, ""},
		{"register device", CmdRegisterDevice, func(ctx context.Context, s *Service) (Result, error) {
			return s.RegisterDevice(ctx, domain.RegisterDevice{RequestID: "reg-9", CustomerID: cust, DeviceID: "dev-9"})
		}, false, ""},
		{"open account", CmdOpenAccount, func(ctx context.Context, s *Service) (Result, error) {
			return s.OpenAccount(ctx, domain.OpenAccount{RequestID: "open-9", CustomerID: "cust-9", Plan: domain.PlanBasic})
		}, false, ""},
	}
	for _, mode := range []string{"fail", "slow"} {
		t.Run(mode, func(t *testing.T) {
			ctx := context.Background()
			mem := memory.New()
			fs := &faultyStore{Store: mem}
			s, clk := newService(t, fs, repository.Options{}, Options{Timeout: 30 * time.Millisecond})
			mustOK(t)(s.OpenAccount(ctx, domain.OpenAccount{RequestID: "open", CustomerID: cust, Plan: domain.PlanPremium}))
			mustOK(t)(s.RegisterDevice(ctx, domain.RegisterDevice{RequestID: "reg", CustomerID: cust, DeviceID: "dev-a"}))
			mustOK(t)(s.AcquireLicense(ctx, domain.AcquireLicense{RequestID: "acq-1", CustomerID: cust, DeviceID: "dev-a", TitleID: "t1", StudioID: "s"}))
			before := storedAccount(t, mem)

			if mode == "fail" {
				fs.fail.Store(true)
			} else {
				fs.block.Store(true)
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					calls := fs.calls.Load()
					r, err := tt.do(ctx, s)
					if fs.calls.Load() == calls {
						t.Fatalf("the command never reached the store")
					}
					if !tt.fallback {
						if !errors.Is(err, store.ErrUnavailable) || r.Fallback {
							t.Fatalf("result %+v, error %v; want an ErrUnavailable error and no fallback", r, err)
						}
						if mode == "slow" && !errors.Is(err, context.DeadlineExceeded) {
							t.Errorf("error %v does not say the deadline passed", err)
						}
						return
					}
					if err != nil {
						t.Fatalf("error %v, want the fallback answer", err)
					}
					d := r.Decision
					if !r.Fallback || !d.Fallback || !d.Allowed || d.Reason != domain.ReasonStoreUnavailable || r.FallbackCause == nil {
						t.Fatalf("result %+v, want a marked permissive fallback", r)
					}
					if mode == "slow" && !errors.Is(r.FallbackCause, context.DeadlineExceeded) {
						t.Errorf("fallback cause %v, want the deadline", r.FallbackCause)
					}
					if mode == "fail" && !errors.Is(r.FallbackCause, store.ErrUnavailable) {
						t.Errorf("fallback cause %v, want ErrUnavailable", r.FallbackCause)
					}
					if d.LicenseID != tt.license {
						t.Errorf("fallback license %q, want %q", d.LicenseID, tt.license)
					}
					if tt.license != "" && !d.ExpiresAt.Equal(clk.Now().Add(p.FallbackLicense)) {
						t.Errorf("fallback expiry %s, want now + %s", d.ExpiresAt, p.FallbackLicense)
					}
				})
			}
			// Domain errors that need no store are not hidden by the fallback.
			if _, err := s.AcquireLicense(ctx, domain.AcquireLicense{RequestID: "bad", CustomerID: cust, DeviceID: "", TitleID: "t", StudioID: "s"}); !errors.Is(err, domain.ErrInvalidCommand) {
				t.Errorf("invalid command during an outage: %v, want ErrInvalidCommand", err)
			}
			stats := s.Stats()
			for _, tt := range tests {
				want := map[bool]int64{true: 1, false: 0}
				if stats.Fallbacks[tt.cmd] != want[tt.fallback] || stats.Unavailable[tt.cmd] != want[!tt.fallback] {
					t.Errorf("%s: fallbacks %d unavailable %d", tt.cmd, stats.Fallbacks[tt.cmd], stats.Unavailable[tt.cmd])
				}
			}
			if stats.TotalFallbacks() != 4 {
				t.Errorf("TotalFallbacks = %d, want 4", stats.TotalFallbacks())
			}
			// The outage changed nothing stored, and the service recovers.
			fs.fail.Store(false)
			fs.block.Store(false)
			if after := storedAccount(t, mem); after != before {
				t.Errorf("account stream changed during the outage: %d -> %d events", before, after)
			}
			r := mustOK(t)(s.CheckDownload(ctx, domain.CheckDownload{CustomerID: cust, DeviceID: "dev-a", TitleID: "t9", StudioID: "s"}))
			if r.Fallback || !r.Decision.Allowed {
				t.Errorf("after recovery: %+v", r)
			}
		})
	}
}

// mustOK returns a checker that fails t on a command error.
func mustOK(t *testing.T) func(Result, error) Result {
	return func(r Result, err error) Result {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
}

func storedAccount(t *testing.T, st store.Store) int {
	t.Helper()
	n := 0
	for _, err := range st.Load(context.Background(), store.StreamID{Customer: cust, AggregateType: domain.TypeAccount, AggregateID: cust}, 0) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	return n
}

// conflictingStore reports every append as a conflict, as a stream hot with
// concurrent writers would.
type conflictingStore struct{ store.Store }

func (c conflictingStore) Append(ctx context.Context, reqs ...store.AppendRequest) error {
	return &store.ConflictError{Stream: reqs[0].Stream, Expected: reqs[0].ExpectedVersion, Actual: reqs[0].ExpectedVersion + 1}
}

func TestConflictsAndCorruptDataAreErrorsNotFallbacks(t *testing.T) {
	ctx := context.Background()
	mem := memory.New()
	s, _ := newService(t, mem, repository.Options{}, Options{})
	mustOK(t)(s.OpenAccount(ctx, domain.OpenAccount{RequestID: "open", CustomerID: cust, Plan: domain.PlanPremium}))
	mustOK(t)(s.RegisterDevice(ctx, domain.RegisterDevice{RequestID: "reg", CustomerID: cust, DeviceID: "dev-a"}))

	hot, _ := newService(t, conflictingStore{mem}, repository.Options{MaxAttempts: 3}, Options{})
	r, err := hot.AcquireLicense(ctx, domain.AcquireLicense{RequestID: "acq", CustomerID: cust, DeviceID: "dev-a", TitleID: "t", StudioID: "s"})
	var ce *store.ConflictError
	if !errors.As(err, &ce) || r.Fallback || r.Attempts != 3 {
		t.Fatalf("acquire on a contended stream: %+v, %v; want the ConflictError after 3 attempts", r, err)
	}
	if st := hot.Stats(); st.Conflicts[CmdAcquire] != 1 || st.TotalFallbacks() != 0 {
		t.Errorf("stats %+v", st)
	}

	// A corrupt event in the account stream is reported, never papered over.
	bad := store.Record{EventID: "corrupt", Type: "DeviceRegistered", SchemaVersion: 1, Codec: "json", Payload: []byte("{not json")}
	if err := mem.Append(ctx, store.AppendRequest{Stream: accountStream(cust), ExpectedVersion: 2, Events: []store.Record{bad}}); err != nil {
		t.Fatal(err)
	}
	r, err = s.AcquireLicense(ctx, domain.AcquireLicense{RequestID: "acq-2", CustomerID: cust, DeviceID: "dev-a", TitleID: "t", StudioID: "s"})
	var de *codec.DecodeError
	if !errors.As(err, &de) || de.Version != 3 || de.Stream != accountStream(cust).String() || r.Fallback {
		t.Fatalf("acquire on a corrupt stream: %+v, %v; want a DecodeError at version 3", r, err)
	}
	if n := storedAccount(t, mem); n != 3 {
		t.Errorf("account stream has %d events, want the 3 it had", n)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	repo, err := repository.New(memory.New(), domain.NewRegistry(), repository.Options{})
	if err != nil {
		t.Fatal(err)
	}
	bad := domain.DefaultPolicy()
	bad.LicenseDuration = -time.Hour
	for _, tt := range []struct {
		name string
		repo *repository.Repository
		opts Options
	}{
		{"nil repository", nil, Options{}},
		{"invalid policy", repo, Options{Policy: bad}},
		{"negative timeout", repo, Options{Timeout: -time.Second}},
	} {
		if _, err := New(tt.repo, tt.opts); !errors.Is(err, ErrBadOptions) {
			t.Errorf("%s: error %v, want ErrBadOptions", tt.name, err)
		}
	}
	s, err := New(repo, Options{})
	if err != nil || s.Policy().Version != domain.DefaultPolicy().Version {
		t.Fatalf("defaults: %v", err)
	}
}
