// Package binary is a hand-written fixed binary layout, the floor the other
// codecs are measured against. Fields are written positionally, in
// declaration order, with no names, tags or type information: a string is a
// uvarint length and its bytes, an int a zigzag varint, a time 8 bytes
// little-endian Unix nanoseconds (0 = zero time), a bool one byte (0 or 1).
// Because nothing on the wire says which field is which, any change to a
// struct's field list needs a new schema version and an upcaster.
package binary

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/esbench/esbench/refimpl/codec/internal/wire"
)

// ID is the codec id recorded in envelopes.
const ID = "binary"

// Codec is the fixed-layout codec. The zero value is ready to use.
type Codec struct{}

// ID returns "binary".
func (Codec) ID() string { return ID }

// Marshal encodes v, a pointer to a domain event or snapshot.
func (Codec) Marshal(v any) ([]byte, error) {
	// 128 bytes hold any event without regrowing; snapshots grow.
	w := writer{b: make([]byte, 0, 128)}
	if err := encode(&w, v); err != nil {
		return nil, fmt.Errorf("%s: %w", ID, err)
	}
	if w.err != nil {
		return nil, fmt.Errorf("%s: %T: %w", ID, v, w.err)
	}
	return w.b, nil
}

// Unmarshal decodes data, in the current schema version's layout, into v.
// Short input, trailing bytes, a bad bool or invalid UTF-8 are errors. The
// decoded strings share one copy of data, so the caller may reuse data
// afterwards.
func (Codec) Unmarshal(data []byte, v any) error {
	return unmarshal(data, string(data), current, v)
}

// UnmarshalAlias is Unmarshal without the copy: the decoded strings point
// into data, which the caller must never modify afterwards
// (codec.AliasUnmarshaler).
func (Codec) UnmarshalAlias(data []byte, v any) error {
	return unmarshal(data, unsafe.String(unsafe.SliceData(data), len(data)), current, v)
}

// UnmarshalVersion is Unmarshal (UnmarshalAlias with alias) of a payload
// written at schema version version (codec.VersionedUnmarshaler): account
// snapshots of version 1 carry their title counts field by field, later
// ones as a domain.TitleBlock.
func (Codec) UnmarshalVersion(data []byte, version uint16, alias bool, v any) error {
	s := ""
	if alias {
		s = unsafe.String(unsafe.SliceData(data), len(data))
	} else {
		s = string(data)
	}
	return unmarshal(data, s, version, v)
}

// current stands for the current schema version of every type.
const current = 0

// unmarshal decodes data, whose bytes s holds as a string, written at
// schema version (or current).
func unmarshal(data []byte, s string, version uint16, v any) error {
	r := reader{b: data, s: s, version: version}
	if err := decode(&r, v); err != nil {
		return fmt.Errorf("%s: %w", ID, err)
	}
	if r.err != nil {
		return fmt.Errorf("%s: %T: %w", ID, v, r.err)
	}
	if len(r.b) != 0 {
		return fmt.Errorf("%s: %T: %d trailing bytes after the last field", ID, v, len(r.b))
	}
	return nil
}

// writer appends fields; the first error (a time out of range) sticks.
type writer struct {
	b   []byte
	err error
}

func (w *writer) str(s string) {
	w.b = binary.AppendUvarint(w.b, uint64(len(s)))
	w.b = append(w.b, s...)
}

func (w *writer) int(n int) { w.b = binary.AppendVarint(w.b, int64(n)) }

func (w *writer) uint(n uint64) { w.b = binary.AppendUvarint(w.b, n) }

func (w *writer) bool(v bool) {
	if v {
		w.b = append(w.b, 1)
	} else {
		w.b = append(w.b, 0)
	}
}

func (w *writer) time(field string, t time.Time) {
	n, err := wire.Nanos(field, t)
	if err != nil && w.err == nil {
		w.err = err
	}
	w.b = binary.LittleEndian.AppendUint64(w.b, uint64(n))
}

// errShort is wrapped into every truncation error.
var errShort = errors.New("truncated")

// errInvalidUTF8 is the error of a string field that is not UTF-8.
var errInvalidUTF8 = errors.New("invalid UTF-8")

// reader consumes fields; after the first error every read returns zero and
// the error sticks, so decoders need not check after each field. s holds
// the whole payload as a string (one copy, or data itself for
// UnmarshalAlias): every decoded string is a substring of it, so a decode
// allocates at most once for all its strings.
type reader struct {
	b       []byte
	s       string
	version uint16
	// checked: the bytes were read once already (a denialList's), so
	// strings need no second UTF-8 check.
	checked bool
	err     error
}

func (r *reader) fail(field string, err error) {
	if r.err == nil {
		r.err = fmt.Errorf("field %s: %w", field, err)
	}
	r.b = nil
}

func (r *reader) str(field string) string {
	n := r.uint(field)
	if r.err != nil {
		return ""
	}
	if n > uint64(len(r.b)) {
		r.fail(field, fmt.Errorf("%w: string of %d bytes, %d left", errShort, n, len(r.b)))
		return ""
	}
	off := len(r.s) - len(r.b)
	s := r.s[off : off+int(n)]
	if !r.checked && !utf8.ValidString(s) {
		r.fail(field, errInvalidUTF8)
		return ""
	}
	r.b = r.b[n:]
	return s
}

func (r *reader) uint(field string) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail(field, fmt.Errorf("%w or overlong uvarint", errShort))
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) int(field string) int {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail(field, fmt.Errorf("%w or overlong varint", errShort))
		return 0
	}
	r.b = r.b[n:]
	i, err := wire.Int(field, v)
	if err != nil {
		r.fail(field, err)
	}
	return i
}

func (r *reader) bool(field string) bool {
	if r.err != nil {
		return false
	}
	if len(r.b) < 1 {
		r.fail(field, errShort)
		return false
	}
	v := r.b[0]
	r.b = r.b[1:]
	if v > 1 {
		r.fail(field, fmt.Errorf("bool byte %#x is neither 0 nor 1", v))
	}
	return v == 1
}

func (r *reader) time(field string) time.Time {
	if r.err != nil {
		return time.Time{}
	}
	if len(r.b) < 8 {
		r.fail(field, errShort)
		return time.Time{}
	}
	n := int64(binary.LittleEndian.Uint64(r.b))
	r.b = r.b[8:]
	return wire.Time(n)
}

// count reads a collection length and checks that at least min bytes per
// element remain, so a corrupt length cannot force a huge allocation.
func (r *reader) count(field string, min int) int {
	n := r.uint(field)
	if r.err != nil {
		return 0
	}
	if n > uint64(len(r.b)/min) {
		r.fail(field, fmt.Errorf("%w: %d elements cannot fit in %d bytes", errShort, n, len(r.b)))
		return 0
	}
	return int(n)
}

func unsupported(v any) error { return &wire.UnsupportedError{Value: v} }
