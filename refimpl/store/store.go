// Package store defines the event store and snapshot store contract of the
// reference implementation. Backends live in sub-packages (memory, pebble,
// cassandra) and all of them pass the conformance suite in store/storetest.
package store

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"time"
)

// StreamID names one event stream. Customer is the partition key: streams of
// one customer live together and may be appended to atomically.
type StreamID struct {
	Customer      string
	AggregateType string
	AggregateID   string
}

// String renders the stream as customer/type/id for messages and logs.
func (s StreamID) String() string {
	return s.Customer + "/" + s.AggregateType + "/" + s.AggregateID
}

// Validate reports an empty component, which no backend accepts.
func (s StreamID) Validate() error {
	switch {
	case s.Customer == "":
		return fmt.Errorf("%w: empty customer in stream %q", ErrInvalid, s)
	case s.AggregateType == "":
		return fmt.Errorf("%w: empty aggregate type in stream %q", ErrInvalid, s)
	case s.AggregateID == "":
		return fmt.Errorf("%w: empty aggregate id in stream %q", ErrInvalid, s)
	}
	return nil
}

// Record is one stored event: the codec envelope plus its position in the
// stream. The store never looks inside Payload.
type Record struct {
	// Version is the event's 1-based position in its stream; the store assigns
	// it on append (ExpectedVersion+1, +2, ...).
	Version uint64
	// EventID is deterministic (derived from the command's request id) so a
	// retried append can be recognised as already applied.
	EventID       string
	Type          string
	SchemaVersion uint16
	Codec         string
	Payload       []byte
	Metadata      map[string]string
	RecordedAt    time.Time
}

// Size is the number of bytes the record's variable parts occupy; used for
// bytes-per-stream accounting.
func (r Record) Size() int {
	n := len(r.EventID) + len(r.Type) + len(r.Codec) + len(r.Payload) + 8 + 2 + 8
	for k, v := range r.Metadata {
		n += len(k) + len(v)
	}
	return n
}

// AppendRequest appends Events to Stream if the stream is at ExpectedVersion
// (0 for a new stream).
type AppendRequest struct {
	Stream          StreamID
	ExpectedVersion uint64
	Events          []Record
}

// Snapshot is an encoded aggregate state at Version of Stream.
type Snapshot struct {
	Stream        StreamID
	Version       uint64
	Type          string
	SchemaVersion uint16
	Codec         string
	Payload       []byte
	CreatedAt     time.Time
}

// Sentinel errors callers tell apart with errors.Is.
var (
	// ErrConflict: the stream was not at the expected version. Returned wrapped in
	// a *ConflictError.
	ErrConflict = errors.New("store: version conflict")
	// ErrInvalid: a malformed request (empty id, no events, version gaps).
	ErrInvalid = errors.New("store: invalid request")
	// ErrCrossPartition: an atomic append named streams of several customers.
	ErrCrossPartition = errors.New("store: atomic append spans partitions")
	// ErrArchived: a load asked for events that were moved to the cold tier;
	// use LoadAudit for them.
	ErrArchived = errors.New("store: events archived")
	// ErrClosed: the store was used after Close.
	ErrClosed = errors.New("store: closed")
	// ErrUnavailable marks a backend failure (timeout, node down) as opposed to
	// a contract outcome; the service falls back on it.
	ErrUnavailable = errors.New("store: unavailable")
	// ErrDiverged: a stream holds two different events at one version, which
	// only a backend without conditional writes (Cassandra's unconditional
	// mode) lets happen. Returned wrapped in a *DivergenceError.
	ErrDiverged = errors.New("store: two different events at one version")
)

// DivergenceError names a version of a stream that holds two different
// events. A load yields it in place of the second event and, unlike other
// load errors, may be iterated past: an audit keeps reading to find every
// divergent version, a replay stops.
type DivergenceError struct {
	Stream  StreamID
	Version uint64
	// Kept is the event id the load yielded at Version; Other is the event id
	// it did not.
	Kept, Other string
}

func (e *DivergenceError) Error() string {
	return fmt.Sprintf("store: %s holds two different events at version %d (event ids %q and %q)", e.Stream, e.Version, e.Kept, e.Other)
}

// Unwrap lets errors.Is(err, ErrDiverged) match.
func (e *DivergenceError) Unwrap() error { return ErrDiverged }

// RawReader is implemented by backends whose loads hide stored rows
// (Cassandra's unconditional mode drops further copies of an event id and
// reports a second event at one version as a *DivergenceError). ReadRaw
// yields every stored event row of the stream, cold tier first, in version
// order, hiding nothing: what an audit of the stored data needs. Backends
// without it store at most one event per version, and their LoadAudit is
// already raw.
type RawReader interface {
	ReadRaw(ctx context.Context, stream StreamID) iter.Seq2[Record, error]
}

// ConflictError says which stream conflicted and where it stood.
type ConflictError struct {
	Stream   StreamID
	Expected uint64
	// Actual is the stream's version when known, else 0.
	Actual uint64
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("store: version conflict on %s: expected version %d, stream is at %d", e.Stream, e.Expected, e.Actual)
}

// Unwrap lets errors.Is(err, ErrConflict) match.
func (e *ConflictError) Unwrap() error { return ErrConflict }

// EventStore holds ordered event streams.
type EventStore interface {
	// Append writes the events of every request atomically: all land or none
	// do. All requests must share one Customer (ErrCrossPartition otherwise).
	// A request whose stream is not at ExpectedVersion fails the whole call with
	// a *ConflictError, unless the events already stored at the target
	// versions carry the same event ids, in which case the call is an
	// idempotent success and nothing is written.
	Append(ctx context.Context, reqs ...AppendRequest) error
	// Load yields the hot events of stream with Version > after, in version
	// order, reading page by page. If events after `after` were archived it
	// yields ErrArchived. A missing stream yields nothing. The records are
	// the caller's own (the CopiesData conformance area): the store keeps no
	// reference to a yielded payload and never writes to it, so a decoder
	// may leave the decoded value pointing into it.
	Load(ctx context.Context, stream StreamID, after uint64) iter.Seq2[Record, error]
}

// SnapshotStore holds aggregate snapshots, newest first.
type SnapshotStore interface {
	// SaveSnapshot stores s, replacing a snapshot at the same version.
	SaveSnapshot(ctx context.Context, s Snapshot) error
	// LatestSnapshot returns the newest snapshot with Version <= atOrBelow.
	// ok is false when there is none. The payload is read-only: the caller
	// never writes to it, and the store never changes it and keeps it
	// valid however the snapshot is later replaced or trimmed, so a store
	// may hand out the bytes it holds (the memory store does) and a decoder
	// may leave the decoded value pointing into it.
	LatestSnapshot(ctx context.Context, stream StreamID, atOrBelow uint64) (s Snapshot, ok bool, err error)
	// TrimSnapshots keeps the newest keep snapshots of stream and deletes the
	// rest.
	TrimSnapshots(ctx context.Context, stream StreamID, keep int) error
}

// Archiver moves old events to a cold tier, as Netflix moved them to larger,
// slower disks.
type Archiver interface {
	// Archive moves the events at or below the oldest kept snapshot of stream
	// to the cold tier and returns how many moved. With no snapshot it moves
	// nothing.
	Archive(ctx context.Context, stream StreamID) (moved int, err error)
	// LoadAudit yields every event of stream from version 1: cold tier first,
	// then hot. The records are the caller's own, as Load's are.
	LoadAudit(ctx context.Context, stream StreamID) iter.Seq2[Record, error]
}

// Store is a complete backend.
type Store interface {
	EventStore
	SnapshotStore
	Archiver
	// Close releases the backend; later calls return ErrClosed.
	Close() error
}

// Latest is the atOrBelow value that asks LatestSnapshot for the newest
// snapshot whatever its version.
const Latest = ^uint64(0)

// CheckAppend validates a batch of append requests the same way in every
// backend: non-empty, one partition, valid stream ids, no stream twice.
func CheckAppend(reqs []AppendRequest) error {
	if len(reqs) == 0 {
		return fmt.Errorf("%w: no append requests", ErrInvalid)
	}
	seen := make(map[StreamID]struct{}, len(reqs))
	for i, r := range reqs {
		if err := r.Stream.Validate(); err != nil {
			return err
		}
		if r.Stream.Customer != reqs[0].Stream.Customer {
			return fmt.Errorf("%w: %s and %s", ErrCrossPartition, reqs[0].Stream, r.Stream)
		}
		if _, dup := seen[r.Stream]; dup {
			return fmt.Errorf("%w: stream %s appears twice in one append", ErrInvalid, r.Stream)
		}
		seen[r.Stream] = struct{}{}
		if len(r.Events) == 0 {
			return fmt.Errorf("%w: request %d for %s has no events", ErrInvalid, i, r.Stream)
		}
		for j, e := range r.Events {
			if e.EventID == "" {
				return fmt.Errorf("%w: event %d for %s has no event id", ErrInvalid, j, r.Stream)
			}
			if e.Type == "" {
				return fmt.Errorf("%w: event %d for %s has no type", ErrInvalid, j, r.Stream)
			}
		}
	}
	return nil
}

// CheckSnapshot validates a snapshot the same way in every backend: a valid
// stream, a version above 0 and a type.
func CheckSnapshot(sn Snapshot) error {
	if err := sn.Stream.Validate(); err != nil {
		return err
	}
	if sn.Version == 0 {
		return fmt.Errorf("%w: snapshot of %s at version 0", ErrInvalid, sn.Stream)
	}
	if sn.Type == "" {
		return fmt.Errorf("%w: snapshot of %s at version %d has no type", ErrInvalid, sn.Stream, sn.Version)
	}
	return nil
}

// CheckTrim validates a TrimSnapshots call the same way in every backend.
func CheckTrim(stream StreamID, keep int) error {
	if err := stream.Validate(); err != nil {
		return err
	}
	if keep < 0 {
		return fmt.Errorf("%w: keep %d snapshots of %s", ErrInvalid, keep, stream)
	}
	return nil
}
