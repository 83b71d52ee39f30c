package memory

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/google/uuid"

	"github.com/esbench/esbench/refimpl/store"
)

// Record layout in a partition's arena (the version is the record's place
// in its stream's offsets):
//
//	flags      byte: flagUUID, flagTime
//	event id   16 bytes when flagUUID (a canonical lower-case UUID, which is
//	           what the repository writes), else uvarint length + bytes
//	type       uvarint name number
//	schema     uvarint
//	codec      uvarint name number
//	recorded   when flagTime: varint Unix seconds, uvarint nanoseconds
//	metadata   uvarint count, then per entry: uvarint name number of the key,
//	           uvarint length + bytes of the value
//	payload    uvarint length + bytes
const (
	flagUUID = 1 << iota
	flagTime
)

var errCorrupt = errors.New("corrupt record")

// interner numbers the strings that repeat across records (event types,
// codecs, metadata keys, aggregate types). Readers take the current table
// without locking; a new name publishes a new table.
type interner struct {
	mu    sync.Mutex // serialises additions
	ids   map[string]uint32
	names atomic.Pointer[[]string]
}

// id returns s's number, adding it when new.
func (in *interner) id(s string) uint32 {
	if t := in.names.Load(); t != nil {
		// Tables are small (a few dozen names): a scan beats hashing
		// under a lock.
		for i, n := range *t {
			if n == s {
				return uint32(i)
			}
		}
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if i, ok := in.ids[s]; ok {
		return i
	}
	if in.ids == nil {
		in.ids = map[string]uint32{}
	}
	var t []string
	if old := in.names.Load(); old != nil {
		t = append(t, *old...)
	}
	i := uint32(len(t))
	t = append(t, strings.Clone(s))
	in.ids[t[i]] = i
	in.names.Store(&t)
	return i
}

// intern returns the store's copy of s.
func (in *interner) intern(s string) string {
	i := in.id(s)
	return (*in.names.Load())[i]
}

// name returns the string numbered i.
func (in *interner) name(i uint64) (string, bool) {
	t := in.names.Load()
	if t == nil || i >= uint64(len(*t)) {
		return "", false
	}
	return (*t)[i], true
}

// table returns the current names, indexed by number.
func (in *interner) table() []string {
	if t := in.names.Load(); t != nil {
		return *t
	}
	return nil
}

// compactUUID returns the 16 bytes of id when id is a UUID in canonical
// lower-case form, which is the only form that can be rebuilt exactly.
// uuid.Parse takes a 36-byte string only in the 8-4-4-4-12 layout, so a
// parsed id without upper-case hex digits is canonical (checked without
// rendering it back, which would allocate per appended event).
func compactUUID(id string) (uuid.UUID, bool) {
	if len(id) != 36 {
		return uuid.UUID{}, false
	}
	for i := range len(id) {
		if c := id[i]; 'A' <= c && c <= 'F' {
			return uuid.UUID{}, false
		}
	}
	u, err := uuid.Parse(id)
	if err != nil {
		return uuid.UUID{}, false
	}
	return u, true
}

// watch is an event id in the form records store it, for comparing
// without rendering the records' ids.
type watch struct {
	text   string    // the id; empty watches nothing
	uuid   uuid.UUID // its bytes when isUUID
	isUUID bool
}

func watchFor(id string) watch {
	u, ok := compactUUID(id)
	return watch{text: id, uuid: u, isUUID: ok}
}

// uuidIDLen is the length of a UUID event id's text.
const uuidIDLen = 36

// replayRecord reads the record at the start of b for a replay into out:
// the payload is b's own bytes (capacity capped), the names come from table,
// and Size adds up what decodeRecord would have built. It runs once per
// replayed event, so it walks b by index with uv, which inlines, instead
// of through a reader.
func replayRecord(b []byte, table []string, w *watch, out *store.Replayed) error {
	*out = store.Replayed{}
	if len(b) == 0 {
		return errCorrupt
	}
	flags, i := b[0], 1
	size := 8 + 2 + 8 // as store.Record.Size counts version, schema, time
	if flags&flagUUID != 0 {
		if len(b) < i+16 {
			return errCorrupt
		}
		out.Watched = w.isUUID && string(b[i:i+16]) == string(w.uuid[:])
		i += 16
		size += uuidIDLen
	} else {
		var n uint64
		if n, i = uv(b, i); i < 0 || n > uint64(len(b)-i) {
			return errCorrupt
		}
		id := b[i : i+int(n)]
		out.Watched = w.text != "" && string(id) == w.text
		i += int(n)
		size += int(n)
	}
	var typ, schema, codec, n uint64
	typ, i = uv(b, i)
	schema, i = uv(b, i)
	codec, i = uv(b, i)
	if i < 0 || typ >= uint64(len(table)) || codec >= uint64(len(table)) {
		return errCorrupt
	}
	out.Type, out.SchemaVersion, out.Codec = table[typ], uint16(schema), table[codec]
	size += len(out.Type) + len(out.Codec)
	if flags&flagTime != 0 {
		i = skipVarint(b, i)
		i = skipVarint(b, i)
	}
	n, i = uv(b, i)
	for ; n > 0 && i >= 0; n-- {
		var k, l uint64
		k, i = uv(b, i)
		l, i = uv(b, i)
		if i < 0 || k >= uint64(len(table)) || l > uint64(len(b)-i) {
			return errCorrupt
		}
		size += len(table[k]) + int(l)
		i += int(l)
	}
	n, i = uv(b, i)
	if i < 0 || n > uint64(len(b)-i) {
		return errCorrupt
	}
	if n > 0 {
		out.Payload = b[i : i+int(n) : i+int(n)]
	}
	out.Size = size + int(n)
	return nil
}

// uv reads the unsigned varint at b[i:] and returns it with the index
// after it, or -1 when there is none (and for any i < 0, so that a walk
// checks once at its end). A varint longer than ten bytes is none; one
// that overflows 64 bits reads wrong but in bounds, as any corrupt length
// does, and the callers' bounds checks catch it.
func uv(b []byte, i int) (uint64, int) {
	var v uint64
	for s := uint(0); s < 70 && uint(i) < uint(len(b)); s += 7 {
		c := b[i]
		i++
		if c < 0x80 {
			return v | uint64(c)<<s, i
		}
		v |= uint64(c&0x7f) << s
	}
	return 0, -1
}

// skipVarint returns the index after the varint at b[i:], or -1.
func skipVarint(b []byte, i int) int {
	for j := i; j >= 0 && j < len(b) && j-i < binary.MaxVarintLen64; j++ {
		if b[j] < 0x80 {
			return j + 1
		}
	}
	return -1
}

func (s *Store) appendRecord(b []byte, r *store.Record) []byte {
	var flags byte
	u, compact := compactUUID(r.EventID)
	if compact {
		flags |= flagUUID
	}
	if !r.RecordedAt.IsZero() {
		flags |= flagTime
	}
	b = append(b, flags)
	if compact {
		b = append(b, u[:]...)
	} else {
		b = binary.AppendUvarint(b, uint64(len(r.EventID)))
		b = append(b, r.EventID...)
	}
	b = binary.AppendUvarint(b, uint64(s.names.id(r.Type)))
	b = binary.AppendUvarint(b, uint64(r.SchemaVersion))
	b = binary.AppendUvarint(b, uint64(s.names.id(r.Codec)))
	if flags&flagTime != 0 {
		b = binary.AppendVarint(b, r.RecordedAt.Unix())
		b = binary.AppendUvarint(b, uint64(r.RecordedAt.Nanosecond()))
	}
	b = binary.AppendUvarint(b, uint64(len(r.Metadata)))
	for k, v := range r.Metadata {
		b = binary.AppendUvarint(b, uint64(s.names.id(k)))
		b = binary.AppendUvarint(b, uint64(len(v)))
		b = append(b, v...)
	}
	b = binary.AppendUvarint(b, uint64(len(r.Payload)))
	return append(b, r.Payload...)
}

// reader walks one record without ever panicking: the first problem sticks
// and later reads return zero values.
type reader struct {
	b   []byte
	bad bool
}

// uvarint reads an unsigned varint. Most in a record (name numbers,
// schema versions, counts, short lengths) fit one byte: that case is
// inlined, the rest is uvarintLong.
func (r *reader) uvarint() uint64 {
	if len(r.b) > 0 && r.b[0] < 0x80 {
		v := uint64(r.b[0])
		r.b = r.b[1:]
		return v
	}
	return r.uvarintLong()
}

func (r *reader) uvarintLong() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.bad, r.b = true, nil
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.bad, r.b = true, nil
		return 0
	}
	r.b = r.b[n:]
	return v
}

// skipVarint steps over one varint, signed or not, without decoding it.
func (r *reader) skipVarint() {
	if i := skipVarint(r.b, 0); i > 0 {
		r.b = r.b[i:]
		return
	}
	r.bad, r.b = true, nil
}

func (r *reader) next(n uint64) []byte {
	if n > uint64(len(r.b)) {
		r.bad, r.b = true, nil
		return nil
	}
	out := r.b[:n:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) bytes() []byte { return r.next(r.uvarint()) }

// appendEventID appends the record's event id as text to dst: the
// canonical UUID form for a stored UUID, else the stored bytes.
func (r *reader) appendEventID(dst []byte) []byte {
	flags := r.next(1)
	if len(flags) == 0 {
		return dst
	}
	if flags[0]&flagUUID != 0 {
		u := r.next(16)
		if r.bad {
			return dst
		}
		// The layout uuid.UUID.String writes: 8-4-4-4-12 lower-case hex.
		dst = hex.AppendEncode(dst, u[:4])
		for _, part := range [][]byte{u[4:6], u[6:8], u[8:10], u[10:]} {
			dst = hex.AppendEncode(append(dst, '-'), part)
		}
		return dst
	}
	return append(dst, r.bytes()...)
}

func (r *reader) eventID() string { return string(r.appendEventID(nil)) }

func decodeEventID(b []byte) string {
	r := reader{b: b}
	return r.eventID()
}

// slabSize is the size of the blocks a load copies event ids and payloads
// into: about a page of typical records.
const slabSize = 32 << 10

// slab hands out the caller's copies of event ids and payloads from shared
// blocks, so a load allocates once per block rather than twice per record.
// A block is only ever appended to, and each copy's capacity is capped: a
// caller appending to one payload cannot reach the next, and an id string
// over a block's bytes never changes. A copy kept by a caller keeps its
// block alive.
type slab struct{ b []byte }

// copy returns a copy of p cut from the current block.
func (sl *slab) copy(p []byte) []byte {
	if cap(sl.b)-len(sl.b) < len(p) {
		sl.b = make([]byte, 0, max(slabSize, len(p)))
	}
	at := len(sl.b)
	sl.b = append(sl.b, p...)
	return sl.b[at:len(sl.b):len(sl.b)]
}

// string returns p as a string over a copy cut from the current block.
func (sl *slab) string(p []byte) string {
	c := sl.copy(p)
	return unsafe.String(unsafe.SliceData(c), len(c))
}

// decodeRecord fills out from the record at the start of b (the arena's
// bytes), copying its event id and payload into sl: out's strings and
// bytes are the caller's own (the interned names are immutable).
func (s *Store) decodeRecord(b []byte, out *store.Record, sl *slab) error {
	r := reader{b: b}
	if len(b) == 0 {
		return errCorrupt
	}
	flags := b[0]
	var buf [36]byte
	if id := r.appendEventID(buf[:0]); len(id) > 0 {
		out.EventID = sl.string(id)
	}
	var ok1, ok2 bool
	out.Type, ok1 = s.names.name(r.uvarint())
	out.SchemaVersion = uint16(r.uvarint())
	out.Codec, ok2 = s.names.name(r.uvarint())
	if flags&flagTime != 0 {
		sec := r.varint()
		out.RecordedAt = time.Unix(sec, int64(r.uvarint())).UTC()
	}
	if n := r.uvarint(); n > 0 && !r.bad {
		if n > uint64(len(r.b)) {
			return errCorrupt
		}
		out.Metadata = make(map[string]string, n)
		for range n {
			k, ok := s.names.name(r.uvarint())
			v := r.bytes()
			if !ok || r.bad {
				return errCorrupt
			}
			out.Metadata[k] = string(v)
		}
	}
	if p := r.bytes(); len(p) > 0 {
		out.Payload = sl.copy(p)
	}
	if r.bad || !ok1 || !ok2 {
		return errCorrupt
	}
	return nil
}

// skipHeader reads past everything before the payload length.
func (r *reader) skipHeader() {
	flags := r.next(1)
	if len(flags) == 0 {
		return
	}
	if flags[0]&flagUUID != 0 {
		r.next(16)
	} else {
		r.bytes()
	}
	r.uvarint()
	r.uvarint()
	r.uvarint()
	if flags[0]&flagTime != 0 {
		r.skipVarint()
		r.skipVarint()
	}
	for n := r.uvarint(); n > 0 && !r.bad; n-- {
		r.uvarint()
		r.bytes()
	}
}

// payloadLen reads only the payload length of the record at b.
func payloadLen(b []byte) int {
	r := reader{b: b}
	r.skipHeader()
	return int(r.uvarint())
}

// recordLen is the length of the record at the start of b.
func recordLen(b []byte) int {
	r := reader{b: b}
	r.skipHeader()
	r.bytes()
	return len(b) - len(r.b)
}
