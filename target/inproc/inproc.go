// Package inproc is the reference service as a target: the aggregate
// service, repository and codec registry running in this process on an
// event store, one service instance per worker. It is the target esbench
// runs by default; the runner reaches it only through package target.
package inproc

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"sync"
	"time"

	"github.com/esbench/esbench/refimpl/codec"
	"github.com/esbench/esbench/refimpl/domain"
	"github.com/esbench/esbench/refimpl/repository"
	"github.com/esbench/esbench/refimpl/service"
	"github.com/esbench/esbench/refimpl/store"
	"github.com/esbench/esbench/target"
	"github.com/esbench/esbench/workload"
)

// Options configure a System.
type Options struct {
	// Registry decodes and encodes events; it must know Codec.
	Registry *codec.Registry
	// Codec is the codec new events and snapshots are written with.
	Codec string
	// Snapshot is the snapshot policy ("none", "every:N", "load:...").
	Snapshot string
	// AsyncSnapshots writes snapshots off the command path.
	AsyncSnapshots bool
	// Timeout is the service's per-command store deadline (0: none).
	Timeout time.Duration
	// Start is the simulated time measured operations begin at; operations
	// that carry no time of their own (op.At) happen at Start plus the time
	// elapsed since the first such operation.
	Start time.Time
	// Logger receives the service's and repository's debug messages.
	Logger *slog.Logger
}

// System is the reference service on a store, as a target.System: every
// worker gets its own service instance whose injected clock follows the
// operations' simulated times.
type System struct {
	st    *countingStore
	repo  *repository.Repository
	opts  Options
	clock target.SimClock // the time of operations without At
}

var (
	_ target.System          = (*System)(nil)
	_ target.Classifier      = (*System)(nil)
	_ target.StorageReporter = (*System)(nil)
	_ target.BulkPreloader   = (*System)(nil)
)

// New builds the repository and service on st. The system owns st and
// closes it, also when New fails.
func New(st store.Store, opts Options) (*System, error) {
	s, err := newSystem(st, opts)
	if err != nil {
		return nil, errors.Join(err, st.Close())
	}
	return s, nil
}

func newSystem(st store.Store, opts Options) (*System, error) {
	if opts.Registry == nil {
		return nil, errors.New("inproc: the service needs a codec registry")
	}
	pol, err := repository.ParseSnapshotPolicy(opts.Snapshot)
	if err != nil {
		return nil, fmt.Errorf("inproc: service.snapshot: %w", err)
	}
	cs := &countingStore{Store: st, written: map[string]int64{}}
	repo, err := repository.New(cs, opts.Registry, repository.Options{
		Codec: opts.Codec, Snapshots: pol, AsyncSnapshots: opts.AsyncSnapshots, Logger: opts.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("inproc: %w", err)
	}
	if opts.Start.IsZero() {
		opts.Start = time.Now()
	}
	return &System{st: cs, repo: repo, opts: opts, clock: target.SimClock{Start: opts.Start}}, nil
}

// Target returns worker i's target.
func (s *System) Target(int) target.Target {
	t := &serviceTarget{sys: s}
	// service.New only fails on bad options, which are fixed here.
	svc, err := service.New(s.repo, service.Options{Now: t.now, Timeout: s.opts.Timeout, Logger: s.opts.Logger})
	if err != nil {
		return target.Func(func(context.Context, *workload.Op, *target.Response) error { return err })
	}
	t.svc = svc
	return t
}

// Close waits for queued snapshots and closes the store.
func (s *System) Close() error {
	return errors.Join(s.repo.Close(), s.st.Close())
}

// Classify maps the service's errors to outcomes (see Classify).
func (s *System) Classify(err error) target.Outcome { return Classify(err) }

// Repository exposes the repository's counters.
func (s *System) Repository() *repository.Repository { return s.repo }

// Storage measures what the account streams of customers hold: their event
// records and retained snapshots, and the snapshot bytes ever written.
func (s *System) Storage(ctx context.Context, customers []string) (target.Storage, error) {
	var out target.Storage
	for _, c := range customers {
		stream := store.StreamID{Customer: c, AggregateType: domain.TypeAccount, AggregateID: c}
		n := 0
		for rec, err := range s.st.Load(ctx, stream, 0) {
			if err != nil {
				return out, fmt.Errorf("inproc: reading %s: %w", stream, err)
			}
			out.EventBytes += int64(rec.Size())
			n++
		}
		if n > 0 {
			out.Streams++
		}
		at := store.Latest
		for {
			snap, ok, err := s.st.LatestSnapshot(ctx, stream, at)
			if err != nil {
				return out, fmt.Errorf("inproc: reading snapshots of %s: %w", stream, err)
			}
			if !ok {
				break
			}
			out.SnapshotBytes += int64(snapshotSize(snap))
			if snap.Version == 0 {
				break
			}
			at = snap.Version - 1
		}
		out.SnapshotBytesWritten += s.st.writtenFor(stream)
	}
	return out, nil
}

func snapshotSize(s store.Snapshot) int {
	return len(s.Type) + len(s.Codec) + len(s.Payload) + 8 + 2 + 8
}

// countingStore counts the snapshot bytes written per stream, so write
// amplification includes snapshots trimmed since.
type countingStore struct {
	store.Store
	mu      sync.Mutex
	written map[string]int64
}

func (c *countingStore) SaveSnapshot(ctx context.Context, s store.Snapshot) error {
	if err := c.Store.SaveSnapshot(ctx, s); err != nil {
		return err
	}
	c.mu.Lock()
	c.written[s.Stream.String()] += int64(snapshotSize(s))
	c.mu.Unlock()
	return nil
}

// Replay passes the store's replay reader through (embedding the store
// interface would hide it), so the repository replays the memory store
// without per-event copies.
func (c *countingStore) Replay(ctx context.Context, stream store.StreamID, after uint64, watch string) iter.Seq2[store.Replayed, error] {
	return store.ReplayFrom(ctx, c.Store, stream, after, watch)
}

func (c *countingStore) writtenFor(s store.StreamID) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.written[s.String()]
}

// serviceTarget sends one worker's operations to its service instance.
type serviceTarget struct {
	sys *System
	svc *service.Service
	at  time.Time
}

func (t *serviceTarget) now() time.Time { return t.at }

// Do executes op as the matching service command.
func (t *serviceTarget) Do(ctx context.Context, op *workload.Op, resp *target.Response) error {
	if op.At.IsZero() {
		t.at = t.sys.clock.Now()
	} else {
		t.at = op.At
	}
	var (
		res service.Result
		err error
	)
	switch op.Kind {
	case workload.OpOpenAccount:
		res, err = t.svc.OpenAccount(ctx, domain.OpenAccount{RequestID: op.RequestID, CustomerID: op.CustomerID, Plan: op.Plan})
	case workload.OpRegisterDevice:
		res, err = t.svc.RegisterDevice(ctx, domain.RegisterDevice{RequestID: op.RequestID, CustomerID: op.CustomerID, DeviceID: op.DeviceID})
	case workload.OpRemoveDevice:
		res, err = t.svc.RemoveDevice(ctx, domain.RemoveDevice{RequestID: op.RequestID, CustomerID: op.CustomerID, DeviceID: op.DeviceID})
	case workload.OpAcquire:
		res, err = t.svc.AcquireLicense(ctx, domain.AcquireLicense{RequestID: op.RequestID, CustomerID: op.CustomerID,
			DeviceID: op.DeviceID, TitleID: op.TitleID, StudioID: op.StudioID, Restricted: op.Restricted})
	case workload.OpRenew:
		res, err = t.svc.RenewLicense(ctx, domain.RenewLicense{RequestID: op.RequestID, CustomerID: op.CustomerID, LicenseID: op.LicenseID})
	case workload.OpRelease:
		res, err = t.svc.ReleaseLicense(ctx, domain.ReleaseLicense{RequestID: op.RequestID, CustomerID: op.CustomerID, LicenseID: op.LicenseID})
	case workload.OpPlayback:
		res, err = t.svc.StartPlayback(ctx, domain.StartPlayback{RequestID: op.RequestID, CustomerID: op.CustomerID, LicenseID: op.LicenseID})
	case workload.OpCheck:
		res, err = t.svc.CheckDownload(ctx, domain.CheckDownload{CustomerID: op.CustomerID, DeviceID: op.DeviceID,
			TitleID: op.TitleID, StudioID: op.StudioID, Restricted: op.Restricted})
	case workload.OpLoad:
		var ls repository.LoadStats
		ls, err = t.svc.Load(ctx, op.CustomerID)
		res.Loads = []repository.LoadStats{ls}
		res.Decision.Allowed = true
	default:
		resp.Outcome = target.OutcomeInvalid
		return fmt.Errorf("inproc: operation kind %q has no service command", op.Kind)
	}
	for i := range res.Loads {
		resp.Loads = append(resp.Loads, loadOf(&res.Loads[i]))
	}
	if err == nil {
		resp.Decision = target.Decision{Allowed: res.Decision.Allowed, Reason: string(res.Decision.Reason),
			LicenseID: res.Decision.LicenseID, AlreadyApplied: res.AlreadyApplied}
	}
	switch {
	case err != nil:
		resp.Outcome = Classify(err)
	case res.Fallback:
		resp.Outcome = target.OutcomeFallback
		resp.Cause = res.FallbackCause
	case !res.Decision.Allowed:
		resp.Outcome = target.OutcomeDenied
	}
	return err
}

func loadOf(ls *repository.LoadStats) target.Load {
	return target.Load{
		FromSnapshot: ls.SnapshotVersion > 0,
		Replayed:     ls.Replayed,
		Bytes:        ls.Bytes,
		Version:      ls.Version,
		SnapshotRead: ls.SnapshotRead,
		EventRead:    ls.EventRead,
		Decode:       ls.Decode,
		Apply:        ls.Apply,
		Total:        ls.Total,
		PhaseSampled: ls.PhaseSampled,
	}
}

// Classify maps an error of the reference service to an outcome.
func Classify(err error) target.Outcome {
	var (
		cmdErr    *domain.CommandError
		decodeErr *codec.DecodeError
	)
	switch {
	case err == nil:
		return target.OutcomeOK
	case errors.Is(err, store.ErrConflict):
		return target.OutcomeConflict
	case errors.Is(err, store.ErrDiverged):
		return target.OutcomeDiverged
	case errors.Is(err, store.ErrUnavailable), errors.Is(err, store.ErrClosed), errors.Is(err, context.DeadlineExceeded):
		return target.OutcomeUnavailable
	case errors.As(err, &cmdErr), errors.As(err, &decodeErr), errors.Is(err, store.ErrInvalid),
		errors.Is(err, domain.ErrInvalidCommand), errors.Is(err, domain.ErrUnknownCustomer),
		errors.Is(err, domain.ErrUnknownDevice), errors.Is(err, domain.ErrUnknownLicense),
		errors.Is(err, domain.ErrAccountExists):
		return target.OutcomeInvalid
	default:
		return target.OutcomeOther
	}
}

var _ target.Forker = (*System)(nil)

// ErrNoFork is returned by Fork when the store cannot fork.
var ErrNoFork = errors.New("inproc: the store cannot fork")

// CanFork reports whether the store can fork (target.Forker): pebble can;
// a store wrapped by the acknowledged-write ledger or a fault injector, the
// memory store and Cassandra cannot.
func (s *System) CanFork() bool {
	_, ok := s.st.Store.(store.Forker)
	return ok
}

// Fork returns the service, with this system's options, on a fork of its
// store (target.Forker); closing it removes the fork.
func (s *System) Fork(ctx context.Context, frozen bool) (target.System, error) {
	f, ok := s.st.Store.(store.Forker)
	if !ok {
		return nil, ErrNoFork
	}
	st, err := f.Fork(ctx, store.ForkOptions{Frozen: frozen})
	if err != nil {
		return nil, fmt.Errorf("inproc: %w", err)
	}
	return New(st, s.opts)
}
