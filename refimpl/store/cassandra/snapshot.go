package cassandra

import (
	"encoding/binary"
	"fmt"
	"sync/atomic"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/esbench/esbench/refimpl/store"
)

// snapshotRow holds the columns of queries.latestSnap for LatestSnapshot
// (docs/design.md, "Cassandra replay reader"): read by the Unmarshalers of
// this package instead of the driver's reflection, with type and codec
// from the store's text table and the payload aliasing the response frame,
// so that a snapshot read allocates nothing of its own.
type snapshotRow struct {
	version, schemaVersion cqlInt
	typ, codec             internedText
	payload                frameBytes
	createdAt              cqlTimestamp
}

// dest returns the Scan destinations in queries.latestSnap's column order.
func (r *snapshotRow) dest() [6]any {
	return [6]any{&r.version, &r.typ, &r.schemaVersion, &r.codec, &r.payload, &r.createdAt}
}

func (r *snapshotRow) snapshot(st store.StreamID) store.Snapshot {
	return store.Snapshot{Stream: st, Version: uint64(r.version.v), Type: r.typ.s, SchemaVersion: uint16(r.schemaVersion.v),
		Codec: r.codec.s, Payload: r.payload.b, CreatedAt: r.createdAt.t}
}

// cqlTimestamp reads a CQL timestamp (milliseconds since the Unix epoch,
// bigint) exactly as the driver reads one into a time.Time: null or empty
// is the zero time, anything else a UTC time.
type cqlTimestamp struct{ t time.Time }

// UnmarshalCQL implements gocql.Unmarshaler.
func (c *cqlTimestamp) UnmarshalCQL(_ gocql.TypeInfo, data []byte) error {
	switch len(data) {
	case 0:
		c.t = time.Time{}
	case 8:
		ms := int64(binary.BigEndian.Uint64(data))
		sec := ms / 1000
		c.t = time.Unix(sec, (ms-sec*1000)*1_000_000).In(time.UTC)
	default:
		return fmt.Errorf("cassandra: a timestamp column of %d bytes, want 8", len(data))
	}
	return nil
}

// maxTexts bounds a textTable: event types and codecs are a handful, and a
// workload with more only allocates past the bound.
const maxTexts = 64

// textTable interns the values of text columns that repeat across requests
// (event and snapshot types, codecs), so that reading one allocates only
// the first time the store sees it. Lookups read an immutable slice
// through an atomic pointer; a new value is added by copying it, which
// happens at most maxTexts times in a store's life.
type textTable struct{ p atomic.Pointer[[]string] }

// get returns data as a string, the table's copy when there is one.
func (t *textTable) get(data []byte) string {
	for {
		old := t.p.Load()
		var cur []string
		if old != nil {
			cur = *old
		}
		for _, s := range cur {
			if string(data) == s {
				return s
			}
		}
		s := string(data)
		if len(cur) >= maxTexts {
			return s
		}
		next := append(cur[:len(cur):len(cur)], s)
		if t.p.CompareAndSwap(old, &next) {
			return s
		}
	}
}
