package repository

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/esbench/esbench/refimpl/domain"
	"github.com/esbench/esbench/refimpl/store"
)

// Bulk writes one customer's history fast: it keeps the customer's
// aggregates in memory, runs each command's decision on them, and appends
// the events of many commands at once, all the customer's streams in one
// atomic append per Flush. What it stores is what Update would have stored
// had the commands come one at a time on empty streams: the same records
// (versions, deterministic event ids, codec, metadata) and snapshots at the
// same versions with the same contents. Only RecordedAt and CreatedAt differ,
// as they do between any two runs.
//
// The one-at-a-time path folds every command's streams from the store, so a
// history of n events costs O(n²) without snapshots; Bulk costs O(n).
//
// Limits, all irrelevant to preloading fresh customers:
//   - The customer's streams must not exist yet: Bulk starts from empty
//     aggregates, and a Flush onto existing streams fails with a conflict.
//   - Request ids must be unique within the Bulk; a repeat is rejected
//     (store.ErrInvalid) rather than answered as a retry.
//   - A load-triggered policy's events>N condition is mirrored exactly (the
//     events a load would have replayed after the latest snapshot); its
//     time>D condition cannot be, as no load runs, and never fires.
//   - Snapshots are written synchronously by Flush after the append, also
//     under AsyncSnapshots.
//
// A Bulk is not safe for concurrent use.
type Bulk struct {
	r        *Repository
	customer string
	newAgg   func(store.StreamID) (domain.Aggregate, error)
	streams  map[store.StreamID]*bulkStream
	// dirty lists the streams with records to flush, in the order they were
	// first written, so appends are deterministic.
	dirty    []*bulkStream
	pending  int
	snaps    []store.Snapshot
	requests map[string]struct{}
	// broken is set when the in-memory state may have diverged from what
	// the records say; every later call returns it.
	broken error
}

type bulkStream struct {
	id  store.StreamID
	agg domain.Aggregate
	// stored is the version the store holds; agg may be ahead by recs.
	stored uint64
	// snapshot is the version of the latest snapshot taken (0: none), which
	// a load would have started from.
	snapshot uint64
	recs     []store.Record
	// trim is set when a snapshot taken since the last Flush must be
	// trimmed after it is saved.
	trim bool
}

// BulkFlush describes one Flush.
type BulkFlush struct {
	// Streams, Events and Snapshots are what the flush wrote: streams and
	// event records in the one atomic append, and snapshots saved after it.
	Streams, Events, Snapshots int
	// SnapshotFailures counts snapshots that could not be saved (logged and
	// counted, as after an Update; they do not fail the flush).
	SnapshotFailures int
}

// NewBulk returns a bulk writer for customer's streams. newAgg returns the
// empty aggregate of a stream the first time the Bulk meets it (a decision
// target, or a stream a decision creates).
func (r *Repository) NewBulk(customer string, newAgg func(store.StreamID) (domain.Aggregate, error)) (*Bulk, error) {
	if customer == "" {
		return nil, fmt.Errorf("%w: bulk writer for an empty customer id", store.ErrInvalid)
	}
	if newAgg == nil {
		return nil, fmt.Errorf("%w: bulk writer without an aggregate constructor", store.ErrInvalid)
	}
	return &Bulk{
		r:        r,
		customer: customer,
		newAgg:   newAgg,
		streams:  map[store.StreamID]*bulkStream{},
		// Room for a typical history's commands without regrowing.
		requests: make(map[string]struct{}, 32),
	}, nil
}

// Customer is the customer whose streams the Bulk writes.
func (b *Bulk) Customer() string { return b.customer }

// Pending is the number of event records decided but not yet flushed.
func (b *Bulk) Pending() int { return b.pending }

// stream returns the in-memory state of id, creating it empty.
func (b *Bulk) stream(id store.StreamID) (*bulkStream, error) {
	if s, ok := b.streams[id]; ok {
		return s, nil
	}
	if err := id.Validate(); err != nil {
		return nil, err
	}
	if id.Customer != b.customer {
		return nil, fmt.Errorf("%w: stream %s in a bulk write of customer %s", store.ErrCrossPartition, id, b.customer)
	}
	agg, err := b.newAgg(id)
	if err != nil {
		return nil, fmt.Errorf("repository: bulk aggregate for %s: %w", id, err)
	}
	if agg == nil || agg.Version() != 0 || agg.AggregateType() != id.AggregateType {
		return nil, fmt.Errorf("%w: bulk aggregate for %s is not an empty %s", store.ErrInvalid, id, id.AggregateType)
	}
	s := &bulkStream{id: id, agg: agg}
	b.streams[id] = s
	return s, nil
}

// Aggregate returns the in-memory aggregate of stream, with every event
// committed to the Bulk applied (an empty one for a stream not met yet). The
// caller must not modify it.
func (b *Bulk) Aggregate(stream store.StreamID) (domain.Aggregate, error) {
	if b.broken != nil {
		return nil, b.broken
	}
	s, err := b.stream(stream)
	if err != nil {
		return nil, err
	}
	return s.agg, nil
}

// Commit does what Update does for one command, in memory: decide runs on
// the in-memory aggregates of targets (in order), and the changes it returns
// become records exactly as Update would append them (the same versions,
// event ids and metadata) and are applied to the in-memory aggregates as
// a replay of those records would apply them (see applyDecided). Snapshots the policy calls for after this command (for the
// targets, as Update does) are taken now and saved by the next Flush. A
// decision error is returned as is and leaves the Bulk unchanged.
func (b *Bulk) Commit(requestID string, targets []store.StreamID, decide DecideFunc) (UpdateResult, error) {
	var res UpdateResult
	if b.broken != nil {
		return res, b.broken
	}
	switch {
	case requestID == "":
		return res, fmt.Errorf("%w: empty request id", store.ErrInvalid)
	case decide == nil:
		return res, fmt.Errorf("%w: nil decide function", store.ErrInvalid)
	}
	if _, dup := b.requests[requestID]; dup {
		return res, fmt.Errorf("%w: request id %s repeated in a bulk write", store.ErrInvalid, requestID)
	}
	index := make(map[store.StreamID]int, len(targets))
	aggs := make([]domain.Aggregate, len(targets))
	for i, t := range targets {
		if _, dup := index[t]; dup {
			return res, fmt.Errorf("%w: stream %s is targeted twice", store.ErrInvalid, t)
		}
		s, err := b.stream(t)
		if err != nil {
			return res, err
		}
		index[t] = i
		aggs[i] = s.agg
	}
	res.Attempts = 1
	changes, err := decide(aggs)
	if err != nil {
		return res, err
	}
	meta := map[string]string{"request_id": requestID}
	reqs, err := b.r.appendRequests(requestID, changes, aggs, index, meta)
	if err != nil {
		return res, err
	}
	// Check every stream before touching any, so a refused command leaves
	// the Bulk as it was.
	streams := make([]*bulkStream, len(reqs))
	for i, req := range reqs {
		// A decision changes a few streams: a scan beats a map.
		for _, prev := range reqs[:i] {
			if prev.Stream == req.Stream {
				return res, fmt.Errorf("%w: decision changes stream %s twice", store.ErrInvalid, req.Stream)
			}
		}
		s, err := b.stream(req.Stream)
		if err != nil {
			return res, err
		}
		if _, targeted := index[req.Stream]; !targeted && s.agg.Version() != 0 {
			// Update would have appended at version 0 and conflicted.
			return res, fmt.Errorf("repository: request %s: stream %s is not a target of the update but already exists: %w",
				requestID, req.Stream, &store.ConflictError{Stream: req.Stream, Expected: 0, Actual: s.agg.Version()})
		}
		streams[i] = s
	}
	// The decision's events, request by request (appendRequests skips
	// changes without events).
	evs := make([][]domain.Event, 0, len(reqs))
	for _, ch := range changes {
		if len(ch.Events) > 0 {
			evs = append(evs, ch.Events)
		}
	}
	if len(evs) != len(reqs) {
		return res, fmt.Errorf("%w: %d changes with events for %d append requests", store.ErrInvalid, len(evs), len(reqs))
	}
	b.requests[requestID] = struct{}{}
	b.r.c.updates.Add(1)
	if len(reqs) > 0 {
		res.Commits = make([]Commit, 0, len(reqs))
	}
	for i, req := range reqs {
		s := streams[i]
		from := req.ExpectedVersion
		if err := b.r.applyDecided(req.Stream, s.agg, req.Events, evs[i]); err != nil {
			b.broken = fmt.Errorf("repository: bulk write of %s broken by request %s: %w", b.customer, requestID, err)
			return res, b.broken
		}
		if len(s.recs) == 0 {
			b.dirty = append(b.dirty, s)
		}
		s.recs = append(s.recs, req.Events...)
		b.pending += len(req.Events)
		to := from + uint64(len(req.Events))
		res.Commits = append(res.Commits, Commit{Stream: req.Stream, From: from, To: to})
		res.Appended += len(req.Events)
		if _, targeted := index[req.Stream]; targeted && b.due(s, from, to) {
			if b.takeSnapshot(s, req.Events[len(req.Events)-1]) {
				res.Snapshots++
			}
		}
	}
	return res, nil
}

// due mirrors the snapshot decision Update's committed makes for a target
// that was loaded at version from and committed up to to: the load would
// have started from the latest snapshot and replayed the events after it.
func (b *Bulk) due(s *bulkStream, from, to uint64) bool {
	if _, ok := s.agg.(domain.Snapshotter); !ok {
		return false
	}
	ls := LoadStats{Stream: s.id, Version: from, SnapshotVersion: s.snapshot, Replayed: int(from - s.snapshot)}
	return b.r.opts.Snapshots.due(from, to, ls)
}

// takeSnapshot encodes s's state now (it changes with the next command) for
// the next Flush to save.
func (b *Bulk) takeSnapshot(s *bulkStream, last store.Record) bool {
	snap, err := b.r.snapshotOf(s.id, s.agg.(domain.Snapshotter), last.RecordedAt)
	if err != nil {
		b.r.c.snapshotFailures.Add(1)
		b.r.log.LogAttrs(context.Background(), slog.LevelWarn, "snapshot not written",
			slog.String("stream", s.id.String()), slog.Any("error", err))
		return false
	}
	b.snaps = append(b.snaps, snap)
	s.snapshot = snap.Version
	s.trim = true
	return true
}

// Flush appends every pending record in one atomic append (the customer's
// streams share a partition), then saves the snapshots taken since the last
// Flush, in order, and trims each stream's snapshots to KeepSnapshots, as
// Update would have after each command. If the append fails nothing is
// dropped: Flush may be called again. A snapshot that fails to save is
// logged and counted and does not fail the Flush.
func (b *Bulk) Flush(ctx context.Context) (BulkFlush, error) {
	var fl BulkFlush
	if b.broken != nil {
		return fl, b.broken
	}
	if b.pending > 0 {
		reqs := make([]store.AppendRequest, len(b.dirty))
		for i, s := range b.dirty {
			reqs[i] = store.AppendRequest{Stream: s.id, ExpectedVersion: s.stored, Events: s.recs}
		}
		if err := b.r.st.Append(ctx, reqs...); err != nil {
			if errors.Is(err, store.ErrConflict) {
				b.r.c.conflicts.Add(1)
			}
			return fl, fmt.Errorf("repository: bulk append of %d events to %d streams of %s: %w", b.pending, len(reqs), b.customer, err)
		}
		for _, s := range b.dirty {
			s.stored += uint64(len(s.recs))
			// The store may keep the slice: start a new one.
			s.recs = nil
		}
		fl.Streams, fl.Events = len(b.dirty), b.pending
		b.dirty, b.pending = b.dirty[:0], 0
	}
	for _, snap := range b.snaps {
		if err := b.r.st.SaveSnapshot(ctx, snap); err != nil {
			fl.SnapshotFailures++
			b.r.c.snapshotFailures.Add(1)
			b.r.log.LogAttrs(ctx, slog.LevelWarn, "snapshot not written",
				slog.String("stream", snap.Stream.String()), slog.Uint64("version", snap.Version), slog.Any("error", err))
			continue
		}
		fl.Snapshots++
		b.r.c.snapshotsWritten.Add(1)
	}
	for _, snap := range b.snaps {
		s := b.streams[snap.Stream]
		if !s.trim {
			continue
		}
		s.trim = false
		if err := b.r.st.TrimSnapshots(ctx, s.id, b.r.opts.KeepSnapshots); err != nil {
			fl.SnapshotFailures++
			b.r.c.snapshotFailures.Add(1)
			b.r.log.LogAttrs(ctx, slog.LevelWarn, "snapshots not trimmed",
				slog.String("stream", s.id.String()), slog.Any("error", err))
		}
	}
	clear(b.snaps)
	b.snaps = b.snaps[:0]
	return fl, nil
}

// Take hands over everything the Bulk decided, for a store.BulkLoader: one
// append request per stream from version 1 and the snapshots Update would
// have left after its trims (the newest KeepSnapshots of each stream). It is
// for a Bulk that never flushed; afterwards the Bulk holds nothing pending
// and may not be flushed or taken again.
func (b *Bulk) Take() ([]store.AppendRequest, []store.Snapshot, error) {
	if b.broken != nil {
		return nil, nil, b.broken
	}
	reqs := make([]store.AppendRequest, 0, len(b.dirty))
	for _, s := range b.dirty {
		if s.stored != 0 {
			return nil, nil, fmt.Errorf("%w: bulk writer of %s flushed before Take", store.ErrInvalid, b.customer)
		}
		reqs = append(reqs, store.AppendRequest{Stream: s.id, Events: s.recs})
		s.recs = nil
	}
	keep := b.r.opts.KeepSnapshots
	seen := map[store.StreamID]int{}
	var snaps []store.Snapshot
	for i := len(b.snaps) - 1; i >= 0; i-- { // newest first
		sn := b.snaps[i]
		if seen[sn.Stream] >= keep {
			continue
		}
		seen[sn.Stream]++
		snaps = append(snaps, sn)
	}
	slices.Reverse(snaps)
	// Update would have written every snapshot taken and trimmed the old.
	b.r.c.snapshotsWritten.Add(int64(len(b.snaps)))
	b.dirty, b.pending, b.snaps = nil, 0, nil
	b.broken = fmt.Errorf("%w: bulk writer of %s already taken", store.ErrInvalid, b.customer)
	return reqs, snaps, nil
}
