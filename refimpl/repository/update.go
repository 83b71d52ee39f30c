package repository

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/esbench/esbench/refimpl/domain"
	"github.com/esbench/esbench/refimpl/store"
)

// Target is one aggregate an Update loads before deciding.
type Target struct {
	Stream store.StreamID
	// New returns an empty aggregate for Stream. It is called once per
	// attempt, because a retry must fold the stream afresh.
	New func() domain.Aggregate
}

// Change is what a decision appends to one stream. A stream that is not among
// the Update's targets is taken to be new and is appended at expected version
// 0.
type Change struct {
	Stream store.StreamID
	Events []domain.Event
}

// DecideFunc decides on the loaded aggregates (in the order of the targets)
// and returns the events to append. It must not modify the aggregates and may
// run more than once (once per attempt), so it must not have side effects
// beyond remembering its latest outcome. An error aborts the Update and is
// returned as is.
type DecideFunc func(aggs []domain.Aggregate) ([]Change, error)

// Commit is one stream's part of a successful append.
type Commit struct {
	Stream store.StreamID
	// From is the version the stream was at before the append; To the version
	// of its last new event.
	From, To uint64
}

// UpdateResult describes a finished Update.
type UpdateResult struct {
	// Loads are the loads of the last attempt, one per target, in order.
	Loads []LoadStats
	// Attempts is the number of load-decide-append rounds run (1 unless an
	// append conflicted).
	Attempts int
	// Appended is the number of events written.
	Appended int
	// Commits lists the streams written and their version ranges.
	Commits []Commit
	// AlreadyApplied is true when the store already held this request's
	// events (a client retry of a command that succeeded, or a duplicate
	// delivery): nothing was appended and, when the duplicate was seen while
	// loading, the decision did not run.
	AlreadyApplied bool
	// Snapshots is the number of snapshots written (sync mode) or queued
	// (async mode) after the commit.
	Snapshots int
	// Aggregates are the aggregates of the last attempt, in target order, set
	// only when AlreadyApplied: the caller may ask them for the answer to
	// give a retried request. They include the request's events when the
	// duplicate was seen while loading, and precede them when it was seen on
	// a conflict.
	Aggregates []domain.Aggregate
}

// EventID is the deterministic id of the index-th event a request appends to
// stream: a name-based (SHA-1) UUID, so a retried request yields the same ids.
func EventID(requestID string, stream store.StreamID, index int) string {
	// The hash input is the namespace then the name, as uuid.NewSHA1 hashes
	// it, built on the stack: ids are made for every event a preload writes.
	// TestEventIDIsUUIDv5 holds this to uuid.NewSHA1.
	var buf [256]byte
	ns := eventNamespace()
	in := append(buf[:0], ns[:]...)
	// NUL separators keep ("a/b", "c") and ("a", "b/c") apart.
	in = append(in, requestID...)
	in = append(in, 0)
	in = append(in, stream.Customer...)
	in = append(in, 0)
	in = append(in, stream.AggregateType...)
	in = append(in, 0)
	in = append(in, stream.AggregateID...)
	in = append(in, 0)
	in = strconv.AppendInt(in, int64(index), 10)
	return domain.NameUUID(in)
}

// eventNamespace is the UUID namespace of event ids (itself the SHA-1 UUID of
// the URL https://github.com/esbench/esbench/refimpl/repository/event-id).
func eventNamespace() uuid.UUID {
	return uuid.UUID{0x3e, 0x99, 0xb5, 0xaa, 0xa0, 0x8d, 0x53, 0xc5, 0xa3, 0x53, 0x01, 0xdb, 0xbc, 0x23, 0x4c, 0xc1}
}

// Update loads the targets, runs decide on them and appends the changes it
// returns, all streams in one atomic append (they must share one customer).
// When the append conflicts with a concurrent writer it re-loads and decides
// again, up to MaxAttempts times, then returns the *store.ConflictError
// (wrapped). Event ids derive from (requestID, stream, index), so when the
// store already holds this request's events the Update reports
// AlreadyApplied instead of appending twice. After the commit the snapshot
// policy may write snapshots of the changed targets; a snapshot failure is
// logged and counted and never fails the Update.
func (r *Repository) Update(ctx context.Context, requestID string, targets []Target, decide DecideFunc) (UpdateResult, error) {
	var res UpdateResult
	if requestID == "" {
		return res, fmt.Errorf("%w: empty request id", store.ErrInvalid)
	}
	if decide == nil {
		return res, fmt.Errorf("%w: nil decide function", store.ErrInvalid)
	}
	index := make(map[store.StreamID]int, len(targets))
	for i, t := range targets {
		if t.New == nil {
			return res, fmt.Errorf("%w: target %d (%s) has no New function", store.ErrInvalid, i, t.Stream)
		}
		if _, dup := index[t.Stream]; dup {
			return res, fmt.Errorf("%w: stream %s is targeted twice", store.ErrInvalid, t.Stream)
		}
		index[t.Stream] = i
	}
	r.c.updates.Add(1)
	meta := map[string]string{"request_id": requestID}
	for attempt := 1; ; attempt++ {
		res.Attempts = attempt
		aggs := make([]domain.Aggregate, len(targets))
		res.Loads = make([]LoadStats, len(targets))
		for i, t := range targets {
			aggs[i] = t.New()
			ls, dup, err := r.load(ctx, t.Stream, aggs[i], EventID(requestID, t.Stream, 0))
			res.Loads[i] = ls
			if err != nil {
				return res, err
			}
			if dup {
				// Finish loading the other targets so the caller sees a
				// consistent state.
				res.AlreadyApplied = true
			}
		}
		if res.AlreadyApplied {
			r.c.alreadyApplied.Add(1)
			res.Aggregates = aggs
			return res, nil
		}
		changes, err := decide(aggs)
		if err != nil {
			return res, err
		}
		reqs, err := r.appendRequests(requestID, changes, aggs, index, meta)
		if err != nil || len(reqs) == 0 {
			return res, err
		}
		err = r.st.Append(ctx, reqs...)
		if err == nil {
			r.committed(ctx, &res, reqs, aggs, index)
			return res, nil
		}
		var ce *store.ConflictError
		if !errors.As(err, &ce) {
			return res, fmt.Errorf("repository: append for request %s: %w", requestID, err)
		}
		r.c.conflicts.Add(1)
		if r.appliedBefore(ctx, requestID, ce, reqs) {
			r.c.alreadyApplied.Add(1)
			res.AlreadyApplied = true
			res.Aggregates = aggs
			return res, nil
		}
		if _, targeted := index[ce.Stream]; !targeted {
			// Re-loading cannot help: the stream was never loaded, so the
			// decision took it for new. The caller must target it.
			return res, fmt.Errorf("repository: request %s: stream %s is not a target of the update but already exists: %w", requestID, ce.Stream, err)
		}
		if attempt >= r.opts.MaxAttempts {
			return res, fmt.Errorf("repository: request %s gave up after %d attempts: %w", requestID, attempt, err)
		}
		if err := r.backoff(ctx, attempt); err != nil {
			return res, err
		}
	}
}

// appendRequests encodes the changes into one append request per stream.
func (r *Repository) appendRequests(requestID string, changes []Change, aggs []domain.Aggregate, index map[store.StreamID]int, meta map[string]string) ([]store.AppendRequest, error) {
	reqs := make([]store.AppendRequest, 0, len(changes))
	now := time.Now()
	for _, ch := range changes {
		if len(ch.Events) == 0 {
			continue
		}
		var expected uint64
		if i, ok := index[ch.Stream]; ok {
			expected = aggs[i].Version()
		}
		recs := make([]store.Record, len(ch.Events))
		for k, ev := range ch.Events {
			if ev == nil {
				return nil, fmt.Errorf("%w: nil event %d for %s", store.ErrInvalid, k, ch.Stream)
			}
			env, err := r.reg.Encode(r.opts.Codec, ev)
			if err != nil {
				return nil, fmt.Errorf("repository: encode event %d (%s) for %s: %w", k, ev.EventType(), ch.Stream, err)
			}
			recs[k] = store.Record{
				Version:       expected + uint64(k) + 1,
				EventID:       EventID(requestID, ch.Stream, k),
				Type:          env.Type,
				SchemaVersion: env.SchemaVersion,
				Codec:         env.Codec,
				Payload:       env.Payload,
				Metadata:      meta,
				RecordedAt:    now,
			}
		}
		reqs = append(reqs, store.AppendRequest{Stream: ch.Stream, ExpectedVersion: expected, Events: recs})
	}
	return reqs, nil
}

// appliedBefore reports whether the events that a conflicting append found in
// its way are this request's own: the first event after the expected version
// of the conflicting stream carries the request's first event id.
func (r *Repository) appliedBefore(ctx context.Context, requestID string, ce *store.ConflictError, reqs []store.AppendRequest) bool {
	for _, req := range reqs {
		if req.Stream != ce.Stream {
			continue
		}
		for rec, err := range r.st.Load(ctx, req.Stream, req.ExpectedVersion) {
			return err == nil && rec.EventID == EventID(requestID, req.Stream, 0)
		}
	}
	return false
}

// backoff waits a jittered while before retry number attempt+1.
func (r *Repository) backoff(ctx context.Context, attempt int) error {
	if r.opts.RetryBackoff <= 0 {
		return ctx.Err()
	}
	d := time.Duration(rand.Int64N(int64(r.opts.RetryBackoff) * int64(attempt)))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// committed fills the result of a successful append and hands due snapshots
// to the snapshot writer.
func (r *Repository) committed(ctx context.Context, res *UpdateResult, reqs []store.AppendRequest, aggs []domain.Aggregate, index map[store.StreamID]int) {
	for _, req := range reqs {
		to := req.ExpectedVersion + uint64(len(req.Events))
		res.Commits = append(res.Commits, Commit{Stream: req.Stream, From: req.ExpectedVersion, To: to})
		res.Appended += len(req.Events)
		i, ok := index[req.Stream]
		if !ok {
			continue
		}
		s, ok := aggs[i].(domain.Snapshotter)
		if !ok || !r.opts.Snapshots.due(req.ExpectedVersion, to, res.Loads[i]) {
			continue
		}
		job := snapshotJob{stream: req.Stream, agg: s, recs: req.Events}
		if r.async != nil {
			// The snapshot outlives the command; keep the context's values
			// (trace ids) but not its deadline.
			job.ctx = context.WithoutCancel(ctx)
			if r.async.enqueue(job) {
				res.Snapshots++
			}
			continue
		}
		if r.writeSnapshot(ctx, job) {
			res.Snapshots++
		}
	}
}
