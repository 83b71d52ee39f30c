package pebble

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/esbench/esbench/refimpl/store"
)

// Key kinds. Each key is kind, then the stream encoded as three
// length-prefixed strings (a prefix-free code, so no stream's keys can start
// with another stream's prefix whatever bytes the ids hold), then a suffix.
const (
	kindEvent    = 'e' // + big-endian version: iteration is version order
	kindSnapshot = 's' // + big-endian ^version: newest first, so "latest at or below v" is one seek
	kindMeta     = 'm' // no suffix; value is head version and archive watermark
)

// valueFormat leads every stored value so the layout can change later.
const valueFormat = 1

var errCorrupt = errors.New("pebble store: corrupt value")

func streamPrefix(kind byte, id store.StreamID) []byte {
	return appendStreamPrefix(make([]byte, 0, streamPrefixSize(id)+8), kind, id)
}

// streamPrefixSize bounds the length of id's stream prefix.
func streamPrefixSize(id store.StreamID) int {
	return 1 + 3*binary.MaxVarintLen64 + len(id.Customer) + len(id.AggregateType) + len(id.AggregateID)
}

// appendStreamPrefix appends id's stream prefix of kind to b.
func appendStreamPrefix(b []byte, kind byte, id store.StreamID) []byte {
	b = append(b, kind)
	for _, s := range [...]string{id.Customer, id.AggregateType, id.AggregateID} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b
}

// prefixEnd is the smallest key greater than every key starting with p.
// Stream prefixes start with a kind byte below 0xff, so one exists.
func prefixEnd(p []byte) []byte {
	end := slices.Clone(p)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] != 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

func eventKey(prefix []byte, v uint64) []byte {
	return binary.BigEndian.AppendUint64(slices.Clip(prefix), v)
}

func snapshotKey(prefix []byte, v uint64) []byte {
	return binary.BigEndian.AppendUint64(slices.Clip(prefix), ^v)
}

// keyVersion reads the version suffix of an event key.
func keyVersion(key []byte) (uint64, error) {
	if len(key) < 8 {
		return 0, fmt.Errorf("%w: key of %d bytes", errCorrupt, len(key))
	}
	return binary.BigEndian.Uint64(key[len(key)-8:]), nil
}

// meta is what a stream's meta key holds.
type meta struct {
	head      uint64 // version of the last event
	watermark uint64 // highest version moved to the cold tier
}

func (m meta) encode() []byte { return m.appendTo(make([]byte, 0, metaSize)) }

// metaSize is the length of an encoded meta.
const metaSize = 17

// appendTo appends m's encoding to b.
func (m meta) appendTo(b []byte) []byte {
	b = append(b, valueFormat)
	b = binary.BigEndian.AppendUint64(b, m.head)
	return binary.BigEndian.AppendUint64(b, m.watermark)
}

func decodeMeta(b []byte) (meta, error) {
	if len(b) != 17 || b[0] != valueFormat {
		return meta{}, fmt.Errorf("%w: stream meta of %d bytes", errCorrupt, len(b))
	}
	return meta{head: binary.BigEndian.Uint64(b[1:]), watermark: binary.BigEndian.Uint64(b[9:])}, nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// appendTime keeps nanoseconds; the location is not kept (loads return UTC).
func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, 0)
	}
	b = append(b, 1)
	b = binary.AppendVarint(b, t.Unix())
	return binary.AppendUvarint(b, uint64(t.Nanosecond()))
}

// encodeRecord lays out a record's value; the version lives in the key.
func encodeRecord(r store.Record) []byte {
	return appendRecord(make([]byte, 0, recordSize(r)), r)
}

// recordSize is an upper bound of the length of r's value.
func recordSize(r store.Record) int {
	n := 1 + 4*binary.MaxVarintLen64 + len(r.EventID) + len(r.Type) + len(r.Codec) + len(r.Payload) + 2 + 1 + 2*binary.MaxVarintLen64
	for k, v := range r.Metadata {
		n += 2*binary.MaxVarintLen64 + len(k) + len(v)
	}
	return n
}

// appendRecord appends r's value to b.
func appendRecord(b []byte, r store.Record) []byte {
	b = append(b, valueFormat)
	b = appendString(b, r.EventID)
	b = appendString(b, r.Type)
	b = binary.BigEndian.AppendUint16(b, r.SchemaVersion)
	b = appendString(b, r.Codec)
	b = appendTime(b, r.RecordedAt)
	b = binary.AppendUvarint(b, uint64(len(r.Metadata)))
	if len(r.Metadata) == 1 {
		// The common case (a request id): no sorting, no key slice.
		for k, v := range r.Metadata {
			b = appendString(appendString(b, k), v)
		}
	} else {
		for _, k := range slices.Sorted(maps.Keys(r.Metadata)) {
			b = appendString(b, k)
			b = appendString(b, r.Metadata[k])
		}
	}
	b = binary.AppendUvarint(b, uint64(len(r.Payload)))
	return append(b, r.Payload...)
}

func encodeSnapshot(s store.Snapshot) []byte {
	b := make([]byte, 0, 1+3*binary.MaxVarintLen64+len(s.Type)+len(s.Codec)+len(s.Payload)+2+1+2*binary.MaxVarintLen64)
	b = append(b, valueFormat)
	b = appendString(b, s.Type)
	b = binary.BigEndian.AppendUint16(b, s.SchemaVersion)
	b = appendString(b, s.Codec)
	b = appendTime(b, s.CreatedAt)
	return appendString(b, string(s.Payload))
}

// reader decodes values without ever panicking on short or bad input: the
// first problem sticks in err and later reads return zero values.
type reader struct {
	b   []byte
	err error
}

func (r *reader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: bad %s", errCorrupt, what)
	}
	r.b = nil
}

func (r *reader) uvarint(what string) uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail(what)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint(what string) int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail(what)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) bytes(what string) []byte {
	n := r.uvarint(what)
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.fail(what)
		return nil
	}
	out := r.b[:n:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) string(what string) string { return string(r.bytes(what)) }

func (r *reader) byte(what string) byte {
	if len(r.b) < 1 {
		r.fail(what)
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *reader) uint16(what string) uint16 {
	if len(r.b) < 2 {
		r.fail(what)
		return 0
	}
	v := binary.BigEndian.Uint16(r.b)
	r.b = r.b[2:]
	return v
}

func (r *reader) time(what string) time.Time {
	switch r.byte(what) {
	case 0:
		return time.Time{}
	case 1:
		sec := r.varint(what)
		nsec := r.uvarint(what)
		if nsec >= 1e9 {
			r.fail(what)
			return time.Time{}
		}
		return time.Unix(sec, int64(nsec)).UTC()
	default:
		r.fail(what)
		return time.Time{}
	}
}

func (r *reader) format() {
	if f := r.byte("format"); r.err == nil && f != valueFormat {
		r.err = fmt.Errorf("%w: unknown value format %d", errCorrupt, f)
	}
}

func (r *reader) done() error {
	if r.err == nil && len(r.b) != 0 {
		r.err = fmt.Errorf("%w: %d trailing bytes", errCorrupt, len(r.b))
	}
	return r.err
}

// interner reuses the last type and codec strings a scan decoded: they
// repeat from event to event, and a replay of a long stream should not
// allocate them again for every event.
type interner struct{ typ, codec string }

func (in *interner) get(b []byte, last *string) string {
	if string(b) != *last { // the conversion in a comparison does not allocate
		*last = string(b)
	}
	return *last
}

// decodeRecord copies everything out of v, which pebble may reuse. in may
// be nil.
func decodeRecord(v []byte, version uint64, in *interner) (store.Record, error) {
	if in == nil {
		in = &interner{}
	}
	r := reader{b: v}
	r.format()
	rec := store.Record{Version: version}
	rec.EventID = r.string("event id")
	rec.Type = in.get(r.bytes("type"), &in.typ)
	rec.SchemaVersion = r.uint16("schema version")
	rec.Codec = in.get(r.bytes("codec"), &in.codec)
	rec.RecordedAt = r.time("recorded at")
	if n := r.uvarint("metadata count"); n > 0 && r.err == nil {
		if n > uint64(len(r.b)) {
			r.fail("metadata count")
		} else {
			rec.Metadata = make(map[string]string, n)
			for range n {
				k := r.string("metadata key")
				rec.Metadata[k] = r.string("metadata value")
			}
		}
	}
	if p := r.bytes("payload"); len(p) > 0 {
		rec.Payload = slices.Clone(p)
	}
	return rec, r.done()
}

// decodeEventID reads only the event id, for the idempotency check.
func decodeEventID(v []byte) (string, error) {
	r := reader{b: v}
	r.format()
	id := r.string("event id")
	return id, r.err
}

func decodeSnapshot(v []byte, id store.StreamID, version uint64) (store.Snapshot, error) {
	r := reader{b: v}
	r.format()
	s := store.Snapshot{Stream: id, Version: version}
	s.Type = r.string("type")
	s.SchemaVersion = r.uint16("schema version")
	s.Codec = r.string("codec")
	s.CreatedAt = r.time("created at")
	if p := r.bytes("payload"); len(p) > 0 {
		s.Payload = slices.Clone(p)
	}
	return s, r.done()
}
