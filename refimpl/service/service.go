// Package service is the aggregate service of the reference implementation:
// it takes the download-licensing commands, loads the aggregates they need
// through the repository, applies the domain rules and appends the events
// the decision produced. When the store fails or misses its deadline it
// answers with the permissive fallback of docs/design.md §6 (allow, with a short
// license, marked as a fallback) and counts it.
//
// How failures are answered:
//   - Domain errors (invalid command, unknown customer, device or license,
//     account exists) are returned as errors, matched with errors.Is, never
//     hidden by a fallback.
//   - Store failures (store.ErrUnavailable, store.ErrClosed, a missed
//     deadline, or any error the store did not classify) get the permissive
//     fallback from AcquireLicense, RenewLicense, StartPlayback and
//     CheckDownload, where letting the customer watch is the sensible
//     default. OpenAccount, RegisterDevice, RemoveDevice and ReleaseLicense
//     have no sensible "allow" (it would claim a change that was not
//     recorded), so they return the error wrapped in store.ErrUnavailable.
//     Both are counted per command in Stats.
//   - A conflict that outlasts the repository's retries is returned as an
//     error matching store.ErrConflict, not a fallback: the store is healthy
//     and the stream contended, which a benchmark must show rather than hide;
//     the client may retry with the same request id.
//   - Corrupt stored data (*codec.DecodeError, a version gap, two different
//     events at one version: store.ErrDiverged) is returned as
//     an error: a fallback would mask the corruption on every later command.
//   - A retried request id is answered from the stored state
//     (Result.AlreadyApplied) instead of being applied twice. The
//     repository recognises the request's events after the latest snapshot;
//     once a snapshot covers them the domain's own idempotency answers
//     (grants, recent denials and the latest renewal are kept by request id).
package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/esbench/esbench/refimpl/codec"
	"github.com/esbench/esbench/refimpl/domain"
	"github.com/esbench/esbench/refimpl/repository"
	"github.com/esbench/esbench/refimpl/store"
)

// Command names, as Stats reports them. They match the workload's operation
// kinds.
const (
	CmdOpenAccount    = "open_account"
	CmdRegisterDevice = "register_device"
	CmdRemoveDevice   = "remove_device"
	CmdAcquire        = "acquire"
	CmdRenew          = "renew"
	CmdRelease        = "release"
	CmdPlayback       = "playback"
	CmdCheck          = "check"
	CmdLoad           = "load"
)

const (
	iOpen = iota
	iRegister
	iRemove
	iAcquire
	iRenew
	iRelease
	iPlayback
	iCheck
	iLoad
	nCommands
)

// commandName is the name of command index i.
func commandName(i int) string {
	return [nCommands]string{CmdOpenAccount, CmdRegisterDevice, CmdRemoveDevice, CmdAcquire, CmdRenew, CmdRelease, CmdPlayback, CmdCheck, CmdLoad}[i]
}

// ErrBadOptions is wrapped by New's errors.
var ErrBadOptions = errors.New("service: bad options")

// Options configure a Service.
type Options struct {
	// Policy is the rule set (default domain.DefaultPolicy()).
	Policy domain.Policy
	// Now is the injected clock (default time.Now); tests and replays pass a
	// deterministic one.
	Now func() time.Time
	// Timeout is the per-command store deadline; 0 means none. A command that
	// misses it is answered like a store failure.
	Timeout time.Duration
	// Logger receives fallbacks and store failures at debug level (default:
	// discard).
	Logger *slog.Logger
}

// Result is the service's answer to one command.
type Result struct {
	Decision domain.Decision
	// Loads are the aggregate loads the command ran, in order (retries
	// included for commands that re-load).
	Loads []repository.LoadStats
	// Attempts is the repository's load-decide-append rounds (0 for
	// read-only commands and fallbacks before any round finished).
	Attempts int
	// Commits are the streams the command wrote and their new versions.
	Commits []repository.Commit
	// AlreadyApplied is true when the request id had been applied before (a
	// client retry); Decision is then the answer the stored state gives.
	AlreadyApplied bool
	// Fallback is true when the store failed and the decision is the
	// permissive fallback; FallbackCause is the store's error.
	Fallback      bool
	FallbackCause error
}

// Stats are per-command counters, keyed by command name.
type Stats struct {
	// Commands counts every command handled, whatever its outcome.
	Commands map[string]int64
	// Denied counts decisions with Allowed=false.
	Denied map[string]int64
	// Fallbacks counts permissive fallback answers to store failures.
	Fallbacks map[string]int64
	// Unavailable counts store failures returned as errors, by commands that
	// have no sensible permissive answer.
	Unavailable map[string]int64
	// Conflicts counts commands that gave up after the repository's retries.
	Conflicts map[string]int64
	// AlreadyApplied counts retried requests answered from the stored state.
	AlreadyApplied map[string]int64
}

// TotalFallbacks sums Fallbacks over all commands.
func (s Stats) TotalFallbacks() int64 {
	var n int64
	for _, v := range s.Fallbacks {
		n += v
	}
	return n
}

type counters struct {
	commands, denied, fallbacks, unavailable, conflicts, alreadyApplied [nCommands]atomic.Int64
}

// Service handles the download-licensing commands. It is safe for concurrent
// use.
type Service struct {
	repo *repository.Repository
	opts Options
	log  *slog.Logger
	c    counters
}

// New returns a service on repo.
func New(repo *repository.Repository, opts Options) (*Service, error) {
	if repo == nil {
		return nil, fmt.Errorf("%w: nil repository", ErrBadOptions)
	}
	if opts.Policy.Version == 0 && opts.Policy.DevicesPerPlan == nil {
		opts.Policy = domain.DefaultPolicy()
	}
	if err := opts.Policy.Validate(); err != nil {
		return nil, fmt.Errorf("%w: policy: %w", ErrBadOptions, err)
	}
	if opts.Timeout < 0 {
		return nil, fmt.Errorf("%w: negative timeout %s", ErrBadOptions, opts.Timeout)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{repo: repo, opts: opts, log: log}, nil
}

// Policy returns the rule set in force.
func (s *Service) Policy() domain.Policy { return s.opts.Policy }

// Stats returns a copy of the counters.
func (s *Service) Stats() Stats {
	snap := func(a *[nCommands]atomic.Int64) map[string]int64 {
		m := make(map[string]int64, nCommands)
		for i := range a {
			m[commandName(i)] = a[i].Load()
		}
		return m
	}
	return Stats{
		Commands:       snap(&s.c.commands),
		Denied:         snap(&s.c.denied),
		Fallbacks:      snap(&s.c.fallbacks),
		Unavailable:    snap(&s.c.unavailable),
		Conflicts:      snap(&s.c.conflicts),
		AlreadyApplied: snap(&s.c.alreadyApplied),
	}
}

func accountStream(customer string) store.StreamID {
	return store.StreamID{Customer: customer, AggregateType: domain.TypeAccount, AggregateID: customer}
}

func licenseStream(customer, license string) store.StreamID {
	return store.StreamID{Customer: customer, AggregateType: domain.TypeLicense, AggregateID: license}
}

func accountTarget(customer string) repository.Target {
	return repository.Target{Stream: accountStream(customer), New: func() domain.Aggregate { return domain.NewAccount(customer) }}
}

func licenseTarget(customer, license string) repository.Target {
	return repository.Target{Stream: licenseStream(customer, license), New: func() domain.Aggregate { return domain.NewLicense(license) }}
}

// changes turns an outcome into repository changes: the account stream
// first, then the license streams in id order, so appends are deterministic.
func changes(customer string, out domain.Outcome) []repository.Change {
	ch := make([]repository.Change, 0, 1+len(out.Licenses))
	if len(out.Account) > 0 {
		ch = append(ch, repository.Change{Stream: accountStream(customer), Events: out.Account})
	}
	ids := make([]string, 0, len(out.Licenses))
	for id := range out.Licenses {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if len(out.Licenses[id]) > 0 {
			ch = append(ch, repository.Change{Stream: licenseStream(customer, id), Events: out.Licenses[id]})
		}
	}
	return ch
}

// isStoreFailure tells a failure of the store (down, slow, closed, or an
// error it did not classify) from outcomes that are not the store's fault:
// domain errors, malformed requests, corrupt stored data, a caller that
// cancelled, and conflicts that outlasted the retries (a contended stream on
// a healthy store, reported as such rather than hidden behind a fallback).
func isStoreFailure(err error) bool {
	var (
		cmdErr    *domain.CommandError
		applyErr  *domain.ApplyError
		decodeErr *codec.DecodeError
	)
	switch {
	case errors.Is(err, store.ErrUnavailable), errors.Is(err, store.ErrClosed), errors.Is(err, context.DeadlineExceeded):
		return true
	case errors.As(err, &cmdErr), errors.As(err, &applyErr), errors.As(err, &decodeErr),
		errors.Is(err, domain.ErrInvalidCommand), errors.Is(err, domain.ErrUnknownCustomer),
		errors.Is(err, domain.ErrUnknownDevice), errors.Is(err, domain.ErrUnknownLicense),
		errors.Is(err, domain.ErrAccountExists),
		errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrInvalid), errors.Is(err, store.ErrCrossPartition),
		errors.Is(err, repository.ErrVersionGap), errors.Is(err, store.ErrDiverged), errors.Is(err, context.Canceled):
		return false
	}
	return true
}

// withTimeout applies the per-command store deadline.
func (s *Service) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if s.opts.Timeout > 0 {
		return context.WithTimeout(ctx, s.opts.Timeout)
	}
	return ctx, func() {}
}

// decider is one command's decision on the loaded aggregates.
type decider func(aggs []domain.Aggregate) (domain.Outcome, error)

// update runs one command through the repository and fills res. It returns
// the raw error; the caller classifies it.
func (s *Service) update(ctx context.Context, cmd int, requestID, customer string, targets []repository.Target, decide decider, res *Result) error {
	var out domain.Outcome
	ur, err := s.repo.Update(ctx, requestID, targets, func(aggs []domain.Aggregate) ([]repository.Change, error) {
		o, err := decide(aggs)
		if err != nil {
			return nil, err
		}
		out = o
		return changes(customer, o), nil
	})
	res.Loads = append(res.Loads, ur.Loads...)
	res.Attempts += ur.Attempts
	res.Commits = append(res.Commits, ur.Commits...)
	if err != nil {
		return err
	}
	if ur.AlreadyApplied {
		// The request was applied before: answer from the stored state.
		// Decide functions answer a retry from it (the grant or denial of
		// that request id); one that cannot (the device is gone after a
		// removal) means the request's effect is there, so it was allowed.
		s.c.alreadyApplied[cmd].Add(1)
		res.AlreadyApplied = true
		o, err := decide(ur.Aggregates)
		if err != nil {
			o = domain.Outcome{Decision: domain.Decision{Allowed: true, Detail: "request already applied", PolicyVersion: s.opts.Policy.Version}}
		}
		out = o
	}
	res.Decision = out.Decision
	return nil
}

// finish counts and classifies a command's result. fallback, if not nil,
// builds the permissive answer to a store failure; without it a store failure
// is returned wrapped in store.ErrUnavailable.
func (s *Service) finish(cmd int, res Result, err error, fallback func() domain.Decision) (Result, error) {
	s.c.commands[cmd].Add(1)
	if err == nil {
		if !res.Decision.Allowed {
			s.c.denied[cmd].Add(1)
		}
		return res, nil
	}
	if errors.Is(err, store.ErrConflict) {
		s.c.conflicts[cmd].Add(1)
	}
	if !isStoreFailure(err) {
		return res, err
	}
	if fallback == nil {
		s.c.unavailable[cmd].Add(1)
		s.log.Debug("store failure", slog.String("command", commandName(cmd)), slog.Any("error", err))
		if !errors.Is(err, store.ErrUnavailable) {
			err = fmt.Errorf("%w: %w", store.ErrUnavailable, err)
		}
		return res, fmt.Errorf("service: %s: %w", commandName(cmd), err)
	}
	s.c.fallbacks[cmd].Add(1)
	s.log.Debug("store failure, permissive fallback", slog.String("command", commandName(cmd)), slog.Any("error", err))
	res.Decision = fallback()
	res.Fallback, res.FallbackCause = true, err
	return res, nil
}

// fallbackGrant is the permissive answer for commands other than
// AcquireLicense (which has domain.FallbackDecision).
func (s *Service) fallbackGrant(licenseID string, now time.Time) domain.Decision {
	d := domain.Decision{
		Allowed:       true,
		Reason:        domain.ReasonStoreUnavailable,
		Detail:        "store unavailable: permissive fallback",
		Fallback:      true,
		PolicyVersion: s.opts.Policy.Version,
	}
	if licenseID != "" {
		d.LicenseID, d.ExpiresAt = licenseID, now.UTC().Add(s.opts.Policy.FallbackLicense)
	}
	return d
}

// OpenAccount opens a customer's account. A store failure is an error
// wrapping store.ErrUnavailable: there is no sensible permissive answer.
func (s *Service) OpenAccount(ctx context.Context, c domain.OpenAccount) (Result, error) {
	var res Result
	if err := c.Validate(); err != nil {
		return s.finish(iOpen, res, err, nil)
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	now := s.opts.Now()
	err := s.update(ctx, iOpen, c.RequestID, c.CustomerID, []repository.Target{accountTarget(c.CustomerID)},
		func(a []domain.Aggregate) (domain.Outcome, error) {
			return domain.DecideOpenAccount(a[0].(*domain.Account), c, s.opts.Policy, now)
		}, &res)
	return s.finish(iOpen, res, err, nil)
}

// RegisterDevice adds a device to an account. A store failure is an error
// wrapping store.ErrUnavailable.
func (s *Service) RegisterDevice(ctx context.Context, c domain.RegisterDevice) (Result, error) {
	var res Result
	if err := c.Validate(); err != nil {
		return s.finish(iRegister, res, err, nil)
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	now := s.opts.Now()
	err := s.update(ctx, iRegister, c.RequestID, c.CustomerID, []repository.Target{accountTarget(c.CustomerID)},
		func(a []domain.Aggregate) (domain.Outcome, error) {
			return domain.DecideRegisterDevice(a[0].(*domain.Account), c, s.opts.Policy, now)
		}, &res)
	return s.finish(iRegister, res, err, nil)
}

// errStaleLicenses says the account changed between RemoveDevice's two loads
// so the set of licenses to release differs from the set loaded.
var errStaleLicenses = errors.New("service: active licenses changed while removing a device")

// RemoveDevice removes a device and releases its active downloads. The
// licenses to release are read from the account first, so their streams can
// be loaded and appended to in the same atomic update. A store failure is an
// error wrapping store.ErrUnavailable.
func (s *Service) RemoveDevice(ctx context.Context, c domain.RemoveDevice) (Result, error) {
	var res Result
	if err := c.Validate(); err != nil {
		return s.finish(iRemove, res, err, nil)
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	now := s.opts.Now()
	var err error
	for range s.repo.Options().MaxAttempts {
		a := domain.NewAccount(c.CustomerID)
		var ls repository.LoadStats
		ls, err = s.repo.Load(ctx, accountStream(c.CustomerID), a)
		res.Loads = append(res.Loads, ls)
		if err != nil {
			break
		}
		targets := []repository.Target{accountTarget(c.CustomerID)}
		loaded := map[string]bool{}
		for _, id := range a.ActiveLicenses(c.DeviceID, now) {
			targets = append(targets, licenseTarget(c.CustomerID, id))
			loaded[id] = true
		}
		err = s.update(ctx, iRemove, c.RequestID, c.CustomerID, targets, func(aggs []domain.Aggregate) (domain.Outcome, error) {
			out, err := domain.DecideRemoveDevice(aggs[0].(*domain.Account), c, s.opts.Policy, now)
			if err != nil {
				return out, err
			}
			for id := range out.Licenses {
				if !loaded[id] {
					return out, errStaleLicenses
				}
			}
			return out, nil
		}, &res)
		if !errors.Is(err, errStaleLicenses) {
			break
		}
	}
	if errors.Is(err, errStaleLicenses) {
		err = fmt.Errorf("%w: %w", store.ErrConflict, err)
	}
	return s.finish(iRemove, res, err, nil)
}

// AcquireLicense decides a download. When the store fails it grants the
// policy's short fallback license (domain.FallbackDecision).
func (s *Service) AcquireLicense(ctx context.Context, c domain.AcquireLicense) (Result, error) {
	var res Result
	if err := c.Validate(); err != nil {
		return s.finish(iAcquire, res, err, nil)
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	now := s.opts.Now()
	err := s.update(ctx, iAcquire, c.RequestID, c.CustomerID, []repository.Target{accountTarget(c.CustomerID)},
		func(a []domain.Aggregate) (domain.Outcome, error) {
			return domain.DecideAcquire(a[0].(*domain.Account), c, s.opts.Policy, now)
		}, &res)
	return s.finish(iAcquire, res, err, func() domain.Decision { return domain.FallbackDecision(c, s.opts.Policy, now) })
}

// RenewLicense extends a license. When the store fails it allows with a
// short fallback expiry.
func (s *Service) RenewLicense(ctx context.Context, c domain.RenewLicense) (Result, error) {
	var res Result
	if err := c.Validate(); err != nil {
		return s.finish(iRenew, res, err, nil)
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	now := s.opts.Now()
	err := s.update(ctx, iRenew, c.RequestID, c.CustomerID,
		[]repository.Target{accountTarget(c.CustomerID), licenseTarget(c.CustomerID, c.LicenseID)},
		func(a []domain.Aggregate) (domain.Outcome, error) {
			return domain.DecideRenew(a[0].(*domain.Account), a[1].(*domain.License), c, s.opts.Policy, now)
		}, &res)
	return s.finish(iRenew, res, err, func() domain.Decision { return s.fallbackGrant(c.LicenseID, now) })
}

// ReleaseLicense ends a license (the user deleted the download). A store
// failure is an error wrapping store.ErrUnavailable: a release that was not
// recorded must not look done.
func (s *Service) ReleaseLicense(ctx context.Context, c domain.ReleaseLicense) (Result, error) {
	var res Result
	if err := c.Validate(); err != nil {
		return s.finish(iRelease, res, err, nil)
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	now := s.opts.Now()
	err := s.update(ctx, iRelease, c.RequestID, c.CustomerID,
		[]repository.Target{accountTarget(c.CustomerID), licenseTarget(c.CustomerID, c.LicenseID)},
		func(a []domain.Aggregate) (domain.Outcome, error) {
			return domain.DecideRelease(a[0].(*domain.Account), a[1].(*domain.License), c, s.opts.Policy, now)
		}, &res)
	return s.finish(iRelease, res, err, nil)
}

// StartPlayback asks to play a downloaded title. When the store fails it
// allows playback for the fallback duration.
func (s *Service) StartPlayback(ctx context.Context, c domain.StartPlayback) (Result, error) {
	var res Result
	if err := c.Validate(); err != nil {
		return s.finish(iPlayback, res, err, nil)
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	now := s.opts.Now()
	err := s.update(ctx, iPlayback, c.RequestID, c.CustomerID,
		[]repository.Target{licenseTarget(c.CustomerID, c.LicenseID)},
		func(a []domain.Aggregate) (domain.Outcome, error) {
			return domain.DecidePlayback(a[0].(*domain.License), c, s.opts.Policy, now)
		}, &res)
	return s.finish(iPlayback, res, err, func() domain.Decision { return s.fallbackGrant(c.LicenseID, now) })
}

// CheckDownload answers, without recording anything, whether the device may
// download the title now. When the store fails it answers allowed, marked as
// a fallback.
func (s *Service) CheckDownload(ctx context.Context, c domain.CheckDownload) (Result, error) {
	var res Result
	if err := c.Validate(); err != nil {
		return s.finish(iCheck, res, err, nil)
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	now := s.opts.Now()
	a := domain.NewAccount(c.CustomerID)
	ls, err := s.repo.Load(ctx, accountStream(c.CustomerID), a)
	res.Loads = append(res.Loads, ls)
	if err == nil {
		res.Decision, err = domain.Check(a, c, s.opts.Policy, now)
	}
	return s.finish(iCheck, res, err, func() domain.Decision { return s.fallbackGrant("", now) })
}

// Load replays a customer's account and reports the load's phases, for
// replay studies. It applies no command timeout and no fallback.
func (s *Service) Load(ctx context.Context, customerID string) (repository.LoadStats, error) {
	s.c.commands[iLoad].Add(1)
	ls, err := s.repo.Load(ctx, accountStream(customerID), domain.NewAccount(customerID))
	if err != nil && isStoreFailure(err) {
		s.c.unavailable[iLoad].Add(1)
	}
	return ls, err
}
