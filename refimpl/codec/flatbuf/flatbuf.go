// Package flatbuf is the FlatBuffers codec (github.com/google/flatbuffers/go,
// code generated from fb/events.fbs). A FlatBuffers payload is read in place:
// GrantedTitleID shows the zero-copy "read one field" access, while Unmarshal
// decodes everything into the domain struct like the other codecs.
//
// The Go runtime has no verifier, so accessors index the buffer unchecked: the
// codec checks the root offset itself and turns any out-of-range panic from a
// corrupt payload into an error. A corrupt payload whose offsets stay in
// range decodes to wrong values without an error; FlatBuffers has no way to
// notice that.
package flatbuf

import (
	"fmt"
	"sync"
	"unsafe"

	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/esbench/esbench/refimpl/codec/flatbuf/fb"
)

// ID is the codec id recorded in envelopes.
const ID = "flatbuf"

// Codec is the FlatBuffers codec. Build it with New; it is safe for
// concurrent use (builders are pooled).
type Codec struct {
	builders sync.Pool
}

// New returns the FlatBuffers codec.
func New() *Codec {
	c := &Codec{}
	c.builders.New = func() any { return flatbuffers.NewBuilder(256) }
	return c
}

// ID returns "flatbuf".
func (*Codec) ID() string { return ID }

// Marshal encodes v, a pointer to a domain event or snapshot.
func (c *Codec) Marshal(v any) ([]byte, error) {
	b := c.builders.Get().(*flatbuffers.Builder)
	defer c.builders.Put(b)
	b.Reset()
	root, err := build(b, v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ID, err)
	}
	b.Finish(root)
	// The builder's buffer is reused, so the payload is copied out.
	return append([]byte(nil), b.FinishedBytes()...), nil
}

// Unmarshal decodes every field of data into v, copying the strings out.
func (c *Codec) Unmarshal(data []byte, v any) error {
	return unmarshal(data, v, copyString)
}

// UnmarshalAlias decodes every field of data into v with strings that
// point into data, as FlatBuffers' own accessors do: the caller must never
// modify data afterwards (codec.AliasUnmarshaler).
func (c *Codec) UnmarshalAlias(data []byte, v any) error {
	return unmarshal(data, v, aliasString)
}

func copyString(b []byte) string { return string(b) }

func aliasString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

func unmarshal(data []byte, v any, str func([]byte) string) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s: %T: corrupt buffer: %v", ID, v, p)
		}
	}()
	// Capping the capacity makes an accessor that runs past the payload
	// panic (and fail) instead of reading whatever the caller's buffer holds
	// beyond it.
	data = data[:len(data):len(data)]
	root, err := rootOffset(data)
	if err != nil {
		return fmt.Errorf("%s: %T: %w", ID, v, err)
	}
	var t flatbuffers.Table
	t.Bytes, t.Pos = data, root
	if err := checkTable(&t); err != nil {
		return fmt.Errorf("%s: %T: %w", ID, v, err)
	}
	if err := read(data, root, v, str); err != nil {
		return fmt.Errorf("%s: %w", ID, err)
	}
	return nil
}

// GrantedTitleID returns the TitleID of an encoded DownloadGranted without
// decoding the rest: the returned slice aliases data (zero copy).
func GrantedTitleID(data []byte) (title []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s: DownloadGranted: corrupt buffer: %v", ID, p)
		}
	}()
	data = data[:len(data):len(data)]
	root, err := rootOffset(data)
	if err != nil {
		return nil, fmt.Errorf("%s: DownloadGranted: %w", ID, err)
	}
	var g fb.DownloadGranted
	g.Init(data, root)
	return g.TitleId(), nil
}

// rootOffset checks that the buffer holds a root offset pointing inside it.
func rootOffset(data []byte) (flatbuffers.UOffsetT, error) {
	if len(data) < flatbuffers.SizeUOffsetT {
		return 0, fmt.Errorf("buffer of %d bytes is shorter than a root offset", len(data))
	}
	root := flatbuffers.GetUOffsetT(data)
	if int64(root)+flatbuffers.SizeSOffsetT > int64(len(data)) {
		return 0, fmt.Errorf("root offset %d outside the %d-byte buffer", root, len(data))
	}
	return root, nil
}

// checkTable checks that a table's vtable lies inside the buffer, so the
// generated accessors fail on a bad vtable here rather than deep inside.
func checkTable(t *flatbuffers.Table) error {
	vt := int64(t.Pos) - int64(t.GetSOffsetT(t.Pos))
	if vt < 0 || vt+2*flatbuffers.SizeVOffsetT > int64(len(t.Bytes)) {
		return fmt.Errorf("vtable offset %d outside the %d-byte buffer", vt, len(t.Bytes))
	}
	size := int64(t.GetVOffsetT(flatbuffers.UOffsetT(vt)))
	if vt+size > int64(len(t.Bytes)) {
		return fmt.Errorf("vtable of %d bytes at %d overruns the %d-byte buffer", size, vt, len(t.Bytes))
	}
	return nil
}
