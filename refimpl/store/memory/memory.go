// Package memory is an in-process store.Store: nothing survives the process,
// and it is what tests and quick runs use when the storage engine is not
// under study.
//
// Records are kept compact, close to their encoded payload (docs/design.md
// §16): each customer's events live in one append-only byte arena, a stream is a list of offsets into it, and the strings that
// repeat (event types, codecs, metadata keys, aggregate types) are interned
// once per store. No record holds a map or a string header of its own; Load
// builds them when it hands a record out.
package memory

import (
	"cmp"
	"context"
	"fmt"
	"iter"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/esbench/esbench/refimpl/store"
)

// pageSize bounds how many records a Load decodes under the partition lock
// before yielding them, so a slow consumer never holds the lock.
const pageSize = 256

// indexAbove is the number of streams above which a partition keeps a map
// from stream to index; below it a linear scan is cheaper than the map.
const indexAbove = 16

// Store keeps every partition in memory. It is safe for concurrent use;
// appends to different customers do not contend. Bytes are copied on the way
// in and out, so callers can never change stored data.
type Store struct {
	mu     sync.RWMutex // guards parts and closed
	closed bool
	parts  map[string]*partition
	names  interner
	marks  []store.BulkMark // committed bulk batches
}

// partition holds the streams of one customer; its lock makes a
// multi-stream append atomic.
type partition struct {
	mu sync.RWMutex
	// arena holds every record of every stream of the customer, encoded by
	// appendRecord, in append order. Records are never rewritten or removed:
	// archival only moves a stream's watermark.
	arena   []byte
	streams []stream
	// index maps a stream to its position in streams once there are more
	// than indexAbove of them.
	index map[streamKey]int32
}

type streamKey struct{ typ, id string }

type stream struct {
	key streamKey
	// offs[v-1] is where version v starts in the partition's arena.
	offs []uint32
	// watermark is the highest archived version: Load refuses versions at
	// or below it, LoadAudit reads them.
	watermark uint64
	snaps     []store.Snapshot
}

func (st *stream) head() uint64 { return uint64(len(st.offs)) }

var _ store.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	return &Store{parts: make(map[string]*partition)}
}

// Close marks the store closed; later calls return store.ErrClosed. Closing
// twice is harmless.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.parts = nil
	return nil
}

// partition returns the customer's partition, creating it when create is
// set; nil when it does not exist.
func (s *Store) partition(customer string, create bool) (*partition, error) {
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return nil, store.ErrClosed
	}
	p := s.parts[customer]
	s.mu.RUnlock()
	if p != nil || !create {
		return p, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, store.ErrClosed
	}
	if p = s.parts[customer]; p == nil {
		p = &partition{}
		s.parts[strings.Clone(customer)] = p
	}
	return p, nil
}

// find returns the index of id's stream in p, or -1.
func (p *partition) find(id store.StreamID) int {
	if p.index != nil {
		if i, ok := p.index[streamKey{id.AggregateType, id.AggregateID}]; ok {
			return int(i)
		}
		return -1
	}
	for i := range p.streams {
		if k := &p.streams[i].key; k.id == id.AggregateID && k.typ == id.AggregateType {
			return i
		}
	}
	return -1
}

// stream returns id's stream, nil when it does not exist. The pointer is
// valid until the partition's streams change.
func (p *partition) stream(id store.StreamID) *stream {
	if i := p.find(id); i >= 0 {
		return &p.streams[i]
	}
	return nil
}

// create adds an empty stream for id and returns its index.
func (p *partition) create(s *Store, id store.StreamID) int {
	k := streamKey{typ: s.names.intern(id.AggregateType), id: strings.Clone(id.AggregateID)}
	p.streams = append(grow(p.streams, 1), stream{key: k})
	i := len(p.streams) - 1
	switch {
	case p.index != nil:
		p.index[k] = int32(i)
	case len(p.streams) > indexAbove:
		p.index = make(map[streamKey]int32, len(p.streams))
		for j := range p.streams {
			p.index[p.streams[j].key] = int32(j)
		}
	}
	return i
}

// ensure returns id's stream, creating it empty.
func (p *partition) ensure(s *Store, id store.StreamID) *stream {
	i := p.find(id)
	if i < 0 {
		i = p.create(s, id)
	}
	return &p.streams[i]
}

// eventID reads only the event id of version v of st.
func (p *partition) eventID(st *stream, v uint64) string {
	return decodeEventID(p.arena[st.offs[v-1]:])
}

// alreadyApplied reports whether the events of req are stored at the
// versions req would have given them: a retry of an append that succeeded.
func (p *partition) alreadyApplied(st *stream, req store.AppendRequest) bool {
	if st == nil || st.head() < req.ExpectedVersion+uint64(len(req.Events)) {
		return false
	}
	for i, e := range req.Events {
		if p.eventID(st, req.ExpectedVersion+1+uint64(i)) != e.EventID {
			return false
		}
	}
	return true
}

// Append implements store.EventStore.
func (s *Store) Append(ctx context.Context, reqs ...store.AppendRequest) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := store.CheckAppend(reqs); err != nil {
		return err
	}
	p, err := s.partition(reqs[0].Stream.Customer, true)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	var (
		conflict *store.ConflictError
		applied  *store.ConflictError // first request that was already applied
		fresh    int
	)
	for _, r := range reqs {
		st := p.stream(r.Stream)
		var head uint64
		if st != nil {
			head = st.head()
		}
		switch {
		case head == r.ExpectedVersion:
			fresh++
		case p.alreadyApplied(st, r):
			if applied == nil {
				applied = &store.ConflictError{Stream: r.Stream, Expected: r.ExpectedVersion, Actual: head}
			}
		default:
			if conflict == nil {
				conflict = &store.ConflictError{Stream: r.Stream, Expected: r.ExpectedVersion, Actual: head}
			}
		}
	}
	switch {
	case conflict != nil:
		return conflict
	case fresh == 0:
		return nil // every request is a retry of a landed append
	case applied != nil:
		// Part of the call landed before and part did not: no retry of one
		// atomic append looks like that, so it is not safe to treat as one.
		return applied
	}
	return s.write(p, reqs)
}

// write appends reqs' events to p, which is locked, after the checks. The
// records are encoded into a scratch buffer first so the arena grows by
// exactly what they take.
func (s *Store) write(p *partition, reqs []store.AppendRequest) error {
	buf := scratch.Get().(*[]byte)
	defer scratch.Put(buf)
	b := (*buf)[:0]
	for _, r := range reqs {
		for i := range r.Events {
			b = s.appendRecord(b, &r.Events[i])
		}
	}
	*buf = b
	if len(p.arena)+len(b) > math.MaxUint32 {
		return fmt.Errorf("%w: memory store: customer %s would hold more than 4 GiB of events", store.ErrInvalid, reqs[0].Stream.Customer)
	}
	base := len(p.arena)
	p.arena = append(grow(p.arena, len(b)), b...)
	for _, r := range reqs {
		st := p.ensure(s, r.Stream)
		st.offs = grow(st.offs, len(r.Events))
		for range r.Events {
			st.offs = append(st.offs, uint32(base))
			base += recordLen(p.arena[base:])
		}
	}
	return nil
}

// scratch holds encoding buffers for write.
var scratch = sync.Pool{New: func() any { return new([]byte) }}

// grow makes room for n more elements with little slack: a preloaded
// customer's arena is written in a few large appends and then mostly read,
// so doubling (append's growth) would waste up to half of it. An eighth of
// headroom still keeps one-event appends amortised O(1).
func grow[S ~[]E, E any](b S, n int) S {
	if cap(b)-len(b) >= n {
		return b
	}
	// Not slices.Grow: it applies append's growth, doubling small slices.
	out := make(S, len(b), len(b)+n+len(b)/8)
	copy(out, b)
	return out
}

// Load implements store.EventStore.
func (s *Store) Load(ctx context.Context, id store.StreamID, after uint64) iter.Seq2[store.Record, error] {
	return s.pages(ctx, id, after, false)
}

// LoadAudit implements store.Archiver.
func (s *Store) LoadAudit(ctx context.Context, id store.StreamID) iter.Seq2[store.Record, error] {
	return s.pages(ctx, id, 0, true)
}

// pages yields the stream's events after `after` a page at a time; audit
// reads archived versions too. The partition lock is held only to take a
// page's offsets (view); its records are decoded after, from the arena,
// straight into the Record each yield passes.
func (s *Store) pages(ctx context.Context, id store.StreamID, after uint64, audit bool) iter.Seq2[store.Record, error] {
	return func(yield func(store.Record, error) bool) {
		if err := id.Validate(); err != nil {
			yield(store.Record{}, err)
			return
		}
		if after == math.MaxUint64 {
			return
		}
		next := after + 1
		var sl slab
		for {
			if err := ctx.Err(); err != nil {
				yield(store.Record{}, err)
				return
			}
			arena, offs, err := s.view(id, next, audit)
			if err != nil {
				yield(store.Record{}, err)
				return
			}
			if len(offs) == 0 {
				return
			}
			for i, off := range offs {
				var rec store.Record
				v := next + uint64(i)
				if err := s.decodeRecord(arena[off:], &rec, &sl); err != nil {
					yield(store.Record{}, fmt.Errorf("memory store: %s version %d: %w", id, v, err))
					return
				}
				rec.Version = v
				if !yield(rec, nil) {
					return
				}
			}
			next += uint64(len(offs))
		}
	}
}

var _ store.Replayer = (*Store)(nil)

// Replay implements store.Replayer: the records are read in place from the
// arena, which is append-only (a record is never rewritten, and a grown
// arena is a new array), so a yielded payload is the stored bytes
// themselves, capacity capped, and stays unchanged for as long as anyone
// holds it. No event id is rendered: watch is compared in its compact form.
func (s *Store) Replay(ctx context.Context, id store.StreamID, after uint64, watch string) iter.Seq2[store.Replayed, error] {
	return func(yield func(store.Replayed, error) bool) {
		if err := id.Validate(); err != nil {
			yield(store.Replayed{}, err)
			return
		}
		if after == math.MaxUint64 {
			return
		}
		w := watchFor(watch)
		next := after + 1
		for {
			if err := ctx.Err(); err != nil {
				yield(store.Replayed{}, err)
				return
			}
			arena, offs, err := s.view(id, next, false)
			if err != nil {
				yield(store.Replayed{}, err)
				return
			}
			if len(offs) == 0 {
				return
			}
			names := s.names.table()
			var rec store.Replayed
			for i, off := range offs {
				v := next + uint64(i)
				if err := replayRecord(arena[off:], names, &w, &rec); err != nil {
					yield(store.Replayed{}, fmt.Errorf("memory store: %s version %d: %w", id, v, err))
					return
				}
				rec.Version = v
				if !yield(rec, nil) {
					return
				}
			}
			next += uint64(len(offs))
		}
	}
}

// view returns the partition's arena and the offsets of up to pageSize
// records of the stream from version next on. The arena is append-only: a
// later append writes past the returned slice's length or into a new array,
// so the returned bytes never change and are read without the lock.
func (s *Store) view(id store.StreamID, next uint64, audit bool) (arena []byte, offs []uint32, err error) {
	p, err := s.partition(id.Customer, false)
	if err != nil || p == nil {
		return nil, nil, err
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	st := p.stream(id)
	if st == nil || next > st.head() {
		return nil, nil, nil
	}
	if !audit && next <= st.watermark {
		return nil, nil, fmt.Errorf("%w: %s versions up to %d are archived, asked from %d", store.ErrArchived, id, st.watermark, next)
	}
	end := next - 1 + min(uint64(pageSize), st.head()-next+1)
	return p.arena, st.offs[next-1 : end : end], nil
}

// SaveSnapshot implements store.SnapshotStore.
func (s *Store) SaveSnapshot(ctx context.Context, sn store.Snapshot) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := store.CheckSnapshot(sn); err != nil {
		return err
	}
	p, err := s.partition(sn.Stream.Customer, true)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.ensure(s, sn.Stream)
	saveSnapshot(st, s.ownSnapshot(sn))
	return nil
}

// ownSnapshot copies sn's bytes and drops its stream id (LatestSnapshot
// puts the caller's back), so a stored snapshot references nothing of the
// caller's.
func (s *Store) ownSnapshot(sn store.Snapshot) store.Snapshot {
	sn.Payload = slices.Clone(sn.Payload)
	sn.Stream = store.StreamID{}
	sn.Type = s.names.intern(sn.Type)
	sn.Codec = s.names.intern(sn.Codec)
	return sn
}

func saveSnapshot(st *stream, sn store.Snapshot) {
	i, found := slices.BinarySearchFunc(st.snaps, sn.Version, func(x store.Snapshot, v uint64) int {
		return cmp.Compare(x.Version, v)
	})
	if found {
		st.snaps[i] = sn
	} else {
		st.snaps = slices.Insert(st.snaps, i, sn)
	}
}

// LatestSnapshot implements store.SnapshotStore.
func (s *Store) LatestSnapshot(ctx context.Context, id store.StreamID, atOrBelow uint64) (store.Snapshot, bool, error) {
	if err := ctx.Err(); err != nil {
		return store.Snapshot{}, false, err
	}
	if err := id.Validate(); err != nil {
		return store.Snapshot{}, false, err
	}
	p, err := s.partition(id.Customer, false)
	if err != nil || p == nil {
		return store.Snapshot{}, false, err
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	st := p.stream(id)
	if st == nil {
		return store.Snapshot{}, false, nil
	}
	// The first snapshot above atOrBelow; the one before it is the answer.
	i, _ := slices.BinarySearchFunc(st.snaps, atOrBelow, func(x store.Snapshot, v uint64) int {
		if x.Version <= v {
			return -1
		}
		return 1
	})
	if i == 0 {
		return store.Snapshot{}, false, nil
	}
	sn := st.snaps[i-1]
	sn.Stream = id
	// The stored bytes themselves, not a copy (read-only, see
	// store.SnapshotStore): SaveSnapshot stores a copy of its own that
	// nothing writes to again, and a replaced or trimmed snapshot's bytes
	// stay as they are for whoever still holds them. A long history's
	// snapshot is several KB, and the copy was a tenth of its load.
	sn.Payload = sn.Payload[:len(sn.Payload):len(sn.Payload)]
	return sn, true, nil
}

// TrimSnapshots implements store.SnapshotStore.
func (s *Store) TrimSnapshots(ctx context.Context, id store.StreamID, keep int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := store.CheckTrim(id, keep); err != nil {
		return err
	}
	p, err := s.partition(id.Customer, false)
	if err != nil || p == nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if st := p.stream(id); st != nil && len(st.snaps) > keep {
		st.snaps = slices.Clone(st.snaps[len(st.snaps)-keep:])
	}
	return nil
}

// Archive implements store.Archiver. The archived records stay where they
// are in the arena: in memory there is no slower tier to move them to, and
// the watermark is what makes Load refuse them.
func (s *Store) Archive(ctx context.Context, id store.StreamID) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if err := id.Validate(); err != nil {
		return 0, err
	}
	p, err := s.partition(id.Customer, false)
	if err != nil || p == nil {
		return 0, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.stream(id)
	if st == nil || len(st.snaps) == 0 {
		return 0, nil
	}
	// A snapshot may name a version the stream has not reached; only events
	// that exist move.
	upto := min(st.snaps[0].Version, st.head())
	if upto <= st.watermark {
		return 0, nil
	}
	n := int(upto - st.watermark)
	st.watermark = upto
	return n, nil
}

// Streams yields the id of every stream the store holds, a customer's
// streams together, for measurements that copy a store (the raw append
// loop beside the preload). No lock is held while it yields; streams
// created meanwhile may be missed.
func (s *Store) Streams() iter.Seq[store.StreamID] {
	return func(yield func(store.StreamID) bool) {
		s.mu.RLock()
		customers := make([]string, 0, len(s.parts))
		parts := make([]*partition, 0, len(s.parts))
		for c, p := range s.parts {
			customers = append(customers, c)
			parts = append(parts, p)
		}
		s.mu.RUnlock()
		var ids []store.StreamID
		for i, p := range parts {
			ids = ids[:0]
			p.mu.RLock()
			for j := range p.streams {
				k := p.streams[j].key
				ids = append(ids, store.StreamID{Customer: customers[i], AggregateType: k.typ, AggregateID: k.id})
			}
			p.mu.RUnlock()
			for _, id := range ids {
				if !yield(id) {
					return
				}
			}
		}
	}
}

// Usage is what a store holds, for footprint measurements.
type Usage struct {
	Customers, Streams, Events, Snapshots int
	// PayloadBytes sums the events' encoded payloads; ArenaBytes is what
	// their records occupy (payload, ids, metadata, times).
	PayloadBytes, ArenaBytes int64
}

// Usage counts what the store holds.
func (s *Store) Usage() (Usage, error) {
	var u Usage
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return u, store.ErrClosed
	}
	for _, p := range s.parts {
		p.mu.RLock()
		u.Customers++
		u.ArenaBytes += int64(len(p.arena))
		for i := range p.streams {
			st := &p.streams[i]
			u.Streams++
			u.Snapshots += len(st.snaps)
			u.Events += len(st.offs)
			for _, off := range st.offs {
				u.PayloadBytes += int64(payloadLen(p.arena[off:]))
			}
		}
		p.mu.RUnlock()
	}
	return u, nil
}
