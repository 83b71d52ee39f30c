package cassandra

import (
	"context"
	"encoding/binary"
	"fmt"
	"iter"
	"math"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/esbench/esbench/refimpl/store"
)

var _ store.Replayer = (*Store)(nil)

// Replay implements store.Replayer (docs/design.md, "Cassandra replay
// reader"). In conditional mode it reads Load's rows without building what
// a replay does not use, and allocates nothing per row: every column is
// read by an Unmarshaler of this file, not through the driver's
// reflection; the recording time is not selected; the metadata map is
// measured (for Replayed.Size) but not decoded; the event id is only
// compared with watch; type and codec strings come from the store's table
// of the ones it has seen (textTable); and the payload is the driver's response
// frame itself, which the driver allocates per response and never reuses.
// The unconditional mode needs every event id (further copies of an id are
// dropped) and replays through Load.
func (s *Store) Replay(ctx context.Context, st store.StreamID, after uint64, watch string) iter.Seq2[store.Replayed, error] {
	if s.cfg.Mode == ModeUnconditional {
		return store.ReplayOf(s.Load(ctx, st, after), watch)
	}
	return func(yield func(store.Replayed, error) bool) {
		if err := s.check(ctx); err != nil {
			yield(store.Replayed{}, err)
			return
		}
		if err := st.Validate(); err != nil {
			yield(store.Replayed{}, err)
			return
		}
		if after >= math.MaxInt64 {
			return
		}
		lo := max(int64(after), 1)
		it := s.sess.Query(s.q.replay, st.Customer, st.AggregateType, st.AggregateID, lo).
			Consistency(s.readCL).PageSize(s.cfg.PageSize).Idempotent(true).IterContext(ctx)
		defer it.Close()
		var (
			row     replayRow
			checked bool
		)
		row.id.watch = watch
		row.typ.tab, row.codec.tab = &s.texts, &s.texts
		dest := row.dest()
		for it.Scan(dest...) {
			if err := s.check(ctx); err != nil {
				yield(store.Replayed{}, err)
				return
			}
			v := uint64(row.version.v)
			if !checked {
				checked = true
				if v > after+1 {
					if err := s.checkArchived(ctx, st, after); err != nil {
						yield(store.Replayed{}, err)
						return
					}
				}
			}
			if v <= after {
				continue
			}
			if !yield(row.replayed(), nil) {
				return
			}
		}
		if err := it.Close(); err != nil {
			if cerr := s.check(ctx); cerr != nil {
				yield(store.Replayed{}, cerr)
				return
			}
			yield(store.Replayed{}, fmt.Errorf("cassandra: load %s after %d: %w", st, after, s.fail(err)))
			return
		}
		if !checked {
			if err := s.checkArchived(ctx, st, after); err != nil {
				yield(store.Replayed{}, err)
			}
		}
	}
}

// replayRow holds the columns of queries.replay for one row; its fields are
// overwritten by every Scan.
type replayRow struct {
	version       cqlInt
	id            watchedID
	typ, codec    internedText
	schemaVersion cqlInt
	payload       frameBytes
	metadata      measuredMap
}

// dest returns the Scan destinations in queries.replay's column order,
// built once per replay (a variadic call would build the slice per row).
func (r *replayRow) dest() []any {
	return []any{&r.version, &r.id, &r.typ, &r.schemaVersion, &r.codec, &r.payload, &r.metadata}
}

func (r *replayRow) replayed() store.Replayed {
	// As store.Record.Size counts: the variable parts, 8 + 2 + 8 for
	// version, schema version and recording time, the metadata's keys and
	// values.
	size := r.id.n + len(r.typ.s) + len(r.codec.s) + len(r.payload.b) + 8 + 2 + 8 + r.metadata.n
	return store.Replayed{Version: uint64(r.version.v), Type: r.typ.s, SchemaVersion: uint16(r.schemaVersion.v), Codec: r.codec.s,
		Payload: r.payload.b, Size: size, Watched: r.id.hit}
}

// cqlInt reads a CQL int (4 bytes) or bigint (8 bytes), big-endian; null
// is 0, as the driver reads it.
type cqlInt struct{ v int64 }

// UnmarshalCQL implements gocql.Unmarshaler.
func (c *cqlInt) UnmarshalCQL(_ gocql.TypeInfo, data []byte) error {
	switch len(data) {
	case 0:
		// Null or empty, which the driver also reads as 0.
		c.v = 0
	case 4:
		c.v = int64(int32(binary.BigEndian.Uint32(data)))
	case 8:
		c.v = int64(binary.BigEndian.Uint64(data))
	default:
		return fmt.Errorf("cassandra: an integer column of %d bytes, want 4 (int), 8 (bigint) or none (null)", len(data))
	}
	return nil
}

// watchedID reads an event id column only to compare it with watch and
// count its bytes; the text is never copied.
type watchedID struct {
	watch string
	hit   bool
	n     int
}

// UnmarshalCQL implements gocql.Unmarshaler.
func (w *watchedID) UnmarshalCQL(_ gocql.TypeInfo, data []byte) error {
	w.n = len(data)
	w.hit = w.watch != "" && string(data) == w.watch
	return nil
}

// internedText reads a text column whose values repeat row after row and
// request after request (event and snapshot types, codecs): the last value
// is kept, and a new one comes from the store's textTable, so only a value
// the store has never seen is allocated.
type internedText struct {
	tab *textTable
	s   string
}

// UnmarshalCQL implements gocql.Unmarshaler.
func (t *internedText) UnmarshalCQL(_ gocql.TypeInfo, data []byte) error {
	if string(data) != t.s {
		t.s = t.tab.get(data)
	}
	return nil
}

// frameBytes keeps a blob column (an event's or a snapshot's payload) as
// the slice of the response frame that holds it, capacity capped so that
// an append by the caller copies. The driver reads every response into a
// frame buffer of its own (framer.readFrame in a new framer per response)
// and never reuses it, so the bytes stay unchanged for as long as anyone
// holds them, as store.Replayed and store.SnapshotStore require;
// TestReplayOnNode and TestSnapshotOnNode check that under later reads.
type frameBytes struct{ b []byte }

// UnmarshalCQL implements gocql.Unmarshaler.
func (f *frameBytes) UnmarshalCQL(_ gocql.TypeInfo, data []byte) error {
	f.b = data[:len(data):len(data)]
	return nil
}

// measuredMap reads a map<text, text> column only for the bytes its keys
// and values take (store.Record.Size's count): a replay does not use it. A
// map is serialised as an int32 count, then each key and value as an int32
// length and its bytes; null (no metadata) is nil.
type measuredMap struct{ n int }

// UnmarshalCQL implements gocql.Unmarshaler.
func (m *measuredMap) UnmarshalCQL(_ gocql.TypeInfo, data []byte) error {
	m.n = 0
	if len(data) == 0 {
		return nil
	}
	if len(data) < 4 {
		return fmt.Errorf("cassandra: metadata map of %d bytes is cut short", len(data))
	}
	count := int32(binary.BigEndian.Uint32(data))
	if count < 0 {
		return fmt.Errorf("cassandra: metadata map with %d entries", count)
	}
	p := 4
	for i := int64(0); i < 2*int64(count); i++ {
		if len(data)-p < 4 {
			return fmt.Errorf("cassandra: metadata map of %d bytes is cut short at entry %d of %d", len(data), i/2, count)
		}
		l := int32(binary.BigEndian.Uint32(data[p:]))
		p += 4
		if l < 0 || int(l) > len(data)-p {
			return fmt.Errorf("cassandra: metadata map entry of %d bytes does not fit the map's %d", l, len(data))
		}
		m.n += int(l)
		p += int(l)
	}
	return nil
}
