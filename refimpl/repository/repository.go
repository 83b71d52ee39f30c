// Package repository is the aggregate repository of the reference service: it
// loads an aggregate from its latest snapshot plus the events after it, runs a
// decision against the loaded state and appends the resulting events with
// optimistic concurrency, retrying on conflict, and writes snapshots after
// commit according to a snapshot policy.
package repository

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/esbench/esbench/refimpl/codec"
	"github.com/esbench/esbench/refimpl/domain"
	"github.com/esbench/esbench/refimpl/store"
)

// Defaults for zero Options fields.
const (
	DefaultCodec           = "json"
	DefaultKeepSnapshots   = 2
	DefaultMaxAttempts     = 3
	DefaultSnapshotQueue   = 256
	DefaultSnapshotTimeout = 5 * time.Second
)

// ErrVersionGap marks a stream whose stored versions are not contiguous; the
// repository refuses to fold such a stream rather than build a wrong state.
var ErrVersionGap = errors.New("repository: version gap in stream")

// ErrBadOptions is wrapped by New's errors.
var ErrBadOptions = errors.New("repository: bad options")

// Options configure a Repository. The zero value of each field means its
// default.
type Options struct {
	// Codec is the codec id new events and snapshots are written with
	// (default "json"). Reads use whatever codec each envelope names.
	Codec string
	// Snapshots is the snapshot policy (default: none).
	Snapshots SnapshotPolicy
	// KeepSnapshots is how many snapshots per stream survive a trim (default 2).
	KeepSnapshots int
	// AsyncSnapshots writes snapshots in a bounded background worker instead
	// of on the command's path. Close (or Flush) waits for queued snapshots.
	AsyncSnapshots bool
	// SnapshotQueue bounds the async snapshot queue (default 256); a snapshot
	// that finds the queue full is dropped and counted, never blocking the
	// command.
	SnapshotQueue int
	// SnapshotTimeout bounds one async snapshot write (default 5s).
	SnapshotTimeout time.Duration
	// MaxAttempts bounds Update's load-decide-append attempts when appends
	// conflict (default 3).
	MaxAttempts int
	// RetryBackoff is the base of a jittered wait before a retry after a
	// conflict (attempt n waits up to n*RetryBackoff); 0 retries at once.
	RetryBackoff time.Duration
	// Logger receives snapshot fallbacks and failures (default: discard).
	Logger *slog.Logger
}

// LoadStats describes one aggregate load, phase by phase. SnapshotRead and
// Total are timed on every load; EventRead, Decode and Apply split the
// measured replay time in the proportions timed on one event in
// PhaseSampleEvery (PhaseSampled of them). Their sum is at most Total, the
// rest being bookkeeping.
type LoadStats struct {
	Stream store.StreamID
	// SnapshotVersion is the version of the snapshot the load started from (0
	// when it replayed from the start).
	SnapshotVersion uint64
	// Version is the aggregate's version after the load.
	Version uint64
	// Replayed is the number of events applied after the snapshot.
	Replayed int
	// Bytes is the size of the snapshot payload(s) and event records read.
	Bytes int
	// SnapshotRead is time spent fetching snapshots from the store.
	SnapshotRead time.Duration
	// EventRead is time spent waiting for event records from the store.
	EventRead time.Duration
	// Decode is time spent decoding the snapshot and the events.
	Decode time.Duration
	// Apply is time spent restoring the snapshot and applying the events.
	Apply time.Duration
	// PhaseSampled is how many replayed events were timed phase by phase
	// (one in PhaseSampleEvery); EventRead, Decode and Apply of the replay
	// are estimates from them.
	PhaseSampled int
	// Total is the wall time of the whole load.
	Total time.Duration
	// SnapshotFallbacks counts snapshots that failed to decode or restore and
	// were skipped for an older one or a full replay.
	SnapshotFallbacks int
	// Audit is true when the replay had to read the cold tier (LoadAudit)
	// because the events it needed were archived.
	Audit bool
}

// Stats are the repository's running counters.
type Stats struct {
	Loads             int64
	SnapshotFallbacks int64
	Conflicts         int64
	Updates           int64
	AlreadyApplied    int64
	SnapshotsWritten  int64
	SnapshotFailures  int64
	SnapshotsDropped  int64
}

type counters struct {
	loads, snapshotFallbacks, conflicts, updates, alreadyApplied atomic.Int64
	snapshotsWritten, snapshotFailures, snapshotsDropped         atomic.Int64
}

// Repository loads and updates aggregates on a store. It is safe for
// concurrent use. Close it to wait for queued async snapshots.
type Repository struct {
	st   store.Store
	reg  *codec.Registry
	opts Options
	log  *slog.Logger
	// untimed turns off phase timing of the replay; benchmarks set it to measure
	// the timing's overhead.
	untimed bool
	c       counters
	async   *snapshotWorker
	// trips records which event types the codec gives back exactly, for
	// Bulk (roundtrip.go).
	trips roundTrips
}

// New returns a repository on st that encodes and decodes with reg.
func New(st store.Store, reg *codec.Registry, opts Options) (*Repository, error) {
	if st == nil {
		return nil, fmt.Errorf("%w: nil store", ErrBadOptions)
	}
	if reg == nil {
		return nil, fmt.Errorf("%w: nil codec registry", ErrBadOptions)
	}
	if opts.Codec == "" {
		opts.Codec = DefaultCodec
	}
	if _, err := reg.Codec(opts.Codec); err != nil {
		return nil, fmt.Errorf("%w: codec: %w", ErrBadOptions, err)
	}
	if err := opts.Snapshots.Validate(); err != nil {
		return nil, fmt.Errorf("%w: snapshots: %w", ErrBadOptions, err)
	}
	def := func(name string, v *int, d int) error {
		if *v < 0 {
			return fmt.Errorf("%w: %s is %d, must not be negative", ErrBadOptions, name, *v)
		}
		if *v == 0 {
			*v = d
		}
		return nil
	}
	if err := def("KeepSnapshots", &opts.KeepSnapshots, DefaultKeepSnapshots); err != nil {
		return nil, err
	}
	if err := def("MaxAttempts", &opts.MaxAttempts, DefaultMaxAttempts); err != nil {
		return nil, err
	}
	if err := def("SnapshotQueue", &opts.SnapshotQueue, DefaultSnapshotQueue); err != nil {
		return nil, err
	}
	if opts.SnapshotTimeout < 0 || opts.RetryBackoff < 0 {
		return nil, fmt.Errorf("%w: negative SnapshotTimeout or RetryBackoff", ErrBadOptions)
	}
	if opts.SnapshotTimeout == 0 {
		opts.SnapshotTimeout = DefaultSnapshotTimeout
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Repository{
		st:   st,
		reg:  reg,
		opts: opts,
		log:  log,
	}
	if opts.AsyncSnapshots && opts.Snapshots.Mode != None {
		r.async = newSnapshotWorker(r, opts.SnapshotQueue)
	}
	return r, nil
}

// Options returns the options in force, defaults filled in.
func (r *Repository) Options() Options { return r.opts }

// Stats returns a copy of the running counters.
func (r *Repository) Stats() Stats {
	return Stats{
		Loads:             r.c.loads.Load(),
		SnapshotFallbacks: r.c.snapshotFallbacks.Load(),
		Conflicts:         r.c.conflicts.Load(),
		Updates:           r.c.updates.Load(),
		AlreadyApplied:    r.c.alreadyApplied.Load(),
		SnapshotsWritten:  r.c.snapshotsWritten.Load(),
		SnapshotFailures:  r.c.snapshotFailures.Load(),
		SnapshotsDropped:  r.c.snapshotsDropped.Load(),
	}
}

// Flush waits until every queued async snapshot has been written (or has
// failed). It returns at once in sync mode.
func (r *Repository) Flush() {
	if r.async != nil {
		r.async.flush()
	}
}

// Close waits for queued async snapshots and stops the worker. Snapshots due
// after Close are dropped and counted. It does not close the store.
func (r *Repository) Close() error {
	if r.async != nil {
		r.async.close()
	}
	return nil
}

// Load folds stream into agg, which must be empty (version 0): the latest
// snapshot if agg is a Snapshotter and the policy is not None, then the events
// after it. A snapshot that fails to decode or restore is logged and skipped
// for the next older one, down to a full replay (this relies on
// RestoreSnapshot leaving the aggregate unchanged when it fails, as the
// domain aggregates do); a full replay of archived events reads the cold
// tier. An event that fails to decode is an error, a *codec.DecodeError
// naming the stream and version; a gap in the versions is ErrVersionGap.
func (r *Repository) Load(ctx context.Context, stream store.StreamID, agg domain.Aggregate) (LoadStats, error) {
	ls, _, err := r.load(ctx, stream, agg, "")
	return ls, err
}

// load is Load that also reports whether a replayed event carries the id
// dupID, which tells Update its request was already applied.
func (r *Repository) load(ctx context.Context, stream store.StreamID, agg domain.Aggregate, dupID string) (ls LoadStats, dup bool, err error) {
	ls.Stream = stream
	if err := stream.Validate(); err != nil {
		return ls, false, err
	}
	if agg == nil {
		return ls, false, fmt.Errorf("%w: nil aggregate for %s", store.ErrInvalid, stream)
	}
	if agg.Version() != 0 {
		return ls, false, fmt.Errorf("%w: load of %s into an aggregate already at version %d", store.ErrInvalid, stream, agg.Version())
	}
	if agg.AggregateType() != stream.AggregateType {
		return ls, false, fmt.Errorf("%w: aggregate type %s does not match stream %s", store.ErrInvalid, agg.AggregateType(), stream)
	}
	r.c.loads.Add(1)
	base := time.Now()
	// Since on a time with a monotonic reading reads only the monotonic
	// clock, the cheapest clock read the runtime offers.
	clock := func() time.Duration { return time.Since(base) }
	defer func() { ls.Total = clock() }()

	if s, ok := agg.(domain.Snapshotter); ok && r.opts.Snapshots.Mode != None {
		if err := r.restore(ctx, stream, s, &ls, clock); err != nil {
			return ls, false, err
		}
	}
	dup, err = r.replay(ctx, stream, agg, &ls, clock, dupID)
	ls.Version = agg.Version()
	return ls, dup, err
}

// restore starts s from the newest snapshot that decodes and restores.
func (r *Repository) restore(ctx context.Context, stream store.StreamID, s domain.Snapshotter, ls *LoadStats, clock func() time.Duration) error {
	at := store.Latest
	for {
		t0 := clock()
		snap, ok, err := r.st.LatestSnapshot(ctx, stream, at)
		t1 := clock()
		ls.SnapshotRead += t1 - t0
		if err != nil {
			return fmt.Errorf("repository: read snapshot of %s: %w", stream, err)
		}
		if !ok {
			return nil
		}
		ls.Bytes += len(snap.Payload)
		// The payload is read-only and never changed by the store
		// (store.SnapshotStore.LatestSnapshot): decode without copying
		// out of it.
		v, err := r.reg.DecodeOwned(codec.Envelope{Type: snap.Type, SchemaVersion: snap.SchemaVersion, Codec: snap.Codec, Payload: snap.Payload})
		t2 := clock()
		ls.Decode += t2 - t1
		if err != nil {
			var de *codec.DecodeError
			if errors.As(err, &de) {
				de.Stream, de.Version = stream.String(), snap.Version
			}
		} else {
			// v is this load's own: hand it over (domain.OwnedRestorer) so
			// the aggregate keeps its slices rather than copying them.
			if o, ok := s.(domain.OwnedRestorer); ok {
				err = o.RestoreOwnedSnapshot(snap.Version, v)
			} else {
				err = s.RestoreSnapshot(snap.Version, v)
			}
			ls.Apply += clock() - t2
			if err == nil && s.Version() != snap.Version {
				// The state was replaced but is not what was asked for:
				// falling back onto it could fold a wrong state.
				return fmt.Errorf("repository: %s restored from snapshot %d reports version %d", stream, snap.Version, s.Version())
			}
		}
		if err == nil {
			ls.SnapshotVersion = snap.Version
			return nil
		}
		ls.SnapshotFallbacks++
		r.c.snapshotFallbacks.Add(1)
		r.log.LogAttrs(ctx, slog.LevelWarn, "snapshot unusable, falling back",
			slog.String("stream", stream.String()), slog.Uint64("version", snap.Version),
			slog.String("codec", snap.Codec), slog.Any("error", err))
		if snap.Version == 0 {
			return nil
		}
		at = snap.Version - 1
	}
}

// PhaseSampleEvery is how often replay reads the clock: one event in
// PhaseSampleEvery has its event read, decode and apply timed, and the
// replay loop as a whole is timed once. A clock read costs tens of
// nanoseconds, as much as decoding a small event with a binary codec, so
// timing every event would measure the clock (docs/design.md, "Replay phase
// timing").
const PhaseSampleEvery = 16

// phaseSample is what the timed events of one replay loop spent per phase.
type phaseSample struct {
	read, decode, apply time.Duration
	n                   int
}

// split divides the replay loop's measured time between the phases in the
// proportions of the sample.
func (s *phaseSample) split(loop time.Duration, ls *LoadStats) {
	ls.PhaseSampled += s.n
	sum := s.read + s.decode + s.apply
	if sum <= 0 || loop <= 0 {
		ls.EventRead += loop
		return
	}
	f := float64(loop) / float64(sum)
	d := time.Duration(float64(s.decode) * f)
	a := time.Duration(float64(s.apply) * f)
	ls.Decode += d
	ls.Apply += a
	ls.EventRead += loop - d - a
}

// replay applies the events after agg's version, reading the cold tier if
// the hot one says they were archived. Only one event in PhaseSampleEvery
// is timed (and the loop as a whole), so the hot path reads no clock.
func (r *Repository) replay(ctx context.Context, stream store.StreamID, agg domain.Aggregate, ls *LoadStats, clock func() time.Duration, dupID string) (dup bool, err error) {
	every := PhaseSampleEvery
	if r.untimed {
		every = 0
	}
	archived := false
	fold := func(seq iter.Seq2[store.Replayed, error]) error {
		var s phaseSample
		var start, last time.Duration
		if every > 0 {
			start = clock()
			last = start
			defer func() { s.split(clock()-start, ls) }()
		}
		i := 0
		for rec, err := range seq {
			// Event i is timed when i%every == 0; last was read at the end
			// of the event before it (or at the loop's start), so the wait
			// for this record is known too.
			sampled := every > 0 && i%every == 0
			i++
			var t0 time.Duration
			if sampled {
				t0 = clock()
				s.read += t0 - last
			}
			if err != nil {
				if errors.Is(err, store.ErrArchived) && !ls.Audit {
					archived = true
					return nil
				}
				return fmt.Errorf("repository: read %s after version %d: %w", stream, agg.Version(), err)
			}
			cur := agg.Version()
			if rec.Version <= cur {
				// The audit tier starts at version 1; skip what the snapshot
				// or the hot tier already gave.
				if every > 0 && i%every == 0 {
					last = clock()
				}
				continue
			}
			if rec.Version != cur+1 {
				return fmt.Errorf("%w: %s has version %d after %d", ErrVersionGap, stream, rec.Version, cur)
			}
			ls.Bytes += rec.Size
			if rec.Watched {
				dup = true
			}
			// The payload is never written to (store.Replayed) and outlives
			// the decoded value (ours from Load, or shared and unchanging
			// from a Replayer): decode without copying out of it.
			v, err := r.reg.DecodeOwned(codec.Envelope{Type: rec.Type, SchemaVersion: rec.SchemaVersion, Codec: rec.Codec, Payload: rec.Payload})
			if err != nil {
				return decodeError(stream, rec.Record(), err)
			}
			ev, ok := v.(domain.Event)
			if !ok {
				return decodeError(stream, rec.Record(), fmt.Errorf("%w: decoded %T is not a domain event", codec.ErrUnknownType, v))
			}
			var t1 time.Duration
			if sampled {
				t1 = clock()
				s.decode += t1 - t0
			}
			if err := agg.Apply(rec.Version, ev); err != nil {
				return fmt.Errorf("repository: apply %s version %d (%s): %w", stream, rec.Version, rec.Type, err)
			}
			ls.Replayed++
			if sampled {
				t2 := clock()
				s.apply += t2 - t1
				s.n++
			}
			if every > 0 && i%every == 0 {
				// The next event is sampled: start its read wait here.
				last = clock()
			}
		}
		return nil
	}
	if err := fold(store.ReplayFrom(ctx, r.st, stream, agg.Version(), dupID)); err != nil {
		return dup, err
	}
	if archived {
		ls.Audit = true
		if err := fold(store.ReplayOf(r.st.LoadAudit(ctx, stream), dupID)); err != nil {
			return dup, err
		}
	}
	return dup, nil
}

// decodeError makes err a *codec.DecodeError that names stream and version.
func decodeError(stream store.StreamID, rec store.Record, err error) error {
	var de *codec.DecodeError
	if !errors.As(err, &de) {
		de = &codec.DecodeError{Type: rec.Type, SchemaVersion: rec.SchemaVersion, Codec: rec.Codec, Err: err}
	}
	de.Stream, de.Version = stream.String(), rec.Version
	return de
}
