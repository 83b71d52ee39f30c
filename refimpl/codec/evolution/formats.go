package evolution

import (
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"unicode/utf8"

	"github.com/fxamacker/cbor/v2"
	flatbuffers "github.com/google/flatbuffers/go"
	"github.com/hamba/avro/v2"
	"github.com/tinylib/msgp/msgp"
	"google.golang.org/protobuf/proto"

	"github.com/esbench/esbench/refimpl/codec"
	avrocodec "github.com/esbench/esbench/refimpl/codec/avro"
	cborcodec "github.com/esbench/esbench/refimpl/codec/cbor"
	"github.com/esbench/esbench/refimpl/codec/evolution/evofb"
	"github.com/esbench/esbench/refimpl/codec/evolution/evopb"
)

// format is one codec's view of the test schemas: the same library and
// options as the production codec, over the evolution types.
type format interface {
	id() string
	encode(v any) ([]byte, error)
	// decode reads data, written from a value of writer's type, into reader.
	// Only Avro uses writer (its schema is the writer schema).
	decode(data []byte, writer, reader any) error
}

func formats() ([]format, error) {
	av, err := newAvroFormat()
	if err != nil {
		return nil, err
	}
	cb, err := newCBORFormat()
	if err != nil {
		return nil, err
	}
	return []format{
		stdFormat{codec.JSON{}}, stdFormat{codec.Gob{}}, protoFormat{vt: false}, protoFormat{vt: true}, av,
		msgpFormat{}, cb, flatFormat{}, binaryFormat{},
	}, nil
}

// stdFormat is a reflection codec (JSON, gob) used as it is.
type stdFormat struct{ c codec.Codec }

func (f stdFormat) id() string                              { return f.c.ID() }
func (f stdFormat) encode(v any) ([]byte, error)            { return f.c.Marshal(v) }
func (f stdFormat) decode(data []byte, _, reader any) error { return f.c.Unmarshal(data, reader) }

// protoFormat is protobuf (vt=false) or vtprotobuf (vt=true).
type protoFormat struct{ vt bool }

type vtMessage interface {
	proto.Message
	MarshalVT() ([]byte, error)
	UnmarshalVT([]byte) error
}

func (f protoFormat) id() string {
	if f.vt {
		return "vtproto"
	}
	return "protobuf"
}

func (f protoFormat) encode(v any) ([]byte, error) {
	var m vtMessage
	switch x := v.(type) {
	case *V1:
		m = &evopb.V1{Id: x.ID, Count: x.Count, Note: x.Note}
	case *Added:
		m = &evopb.Added{Id: x.ID, Extra: x.Extra, Count: x.Count, Note: x.Note}
	default:
		return nil, fmt.Errorf("protobuf: no evolution schema for %T", v)
	}
	if f.vt {
		return m.MarshalVT()
	}
	return proto.Marshal(m)
}

func (f protoFormat) decode(data []byte, _, reader any) error {
	var m vtMessage
	switch reader.(type) {
	case *V1:
		m = &evopb.V1{}
	case *Added:
		m = &evopb.Added{}
	case *Removed:
		m = &evopb.Removed{}
	case *Renamed:
		m = &evopb.Renamed{}
	case *Widened:
		m = &evopb.Widened{}
	default:
		return fmt.Errorf("protobuf: no evolution schema for %T", reader)
	}
	var err error
	if f.vt {
		err = m.UnmarshalVT(data)
	} else {
		err = proto.Unmarshal(data, m)
	}
	if err != nil {
		return err
	}
	switch s := m.(type) {
	case *evopb.V1:
		*reader.(*V1) = V1{ID: s.Id, Count: s.Count, Note: s.Note}
	case *evopb.Added:
		*reader.(*Added) = Added{ID: s.Id, Extra: s.Extra, Count: s.Count, Note: s.Note}
	case *evopb.Removed:
		*reader.(*Removed) = Removed{ID: s.Id, Note: s.Note}
	case *evopb.Renamed:
		*reader.(*Renamed) = Renamed{ID: s.Id, Total: s.Total, Note: s.Note}
	case *evopb.Widened:
		*reader.(*Widened) = Widened{ID: s.Id, Count: s.Count, Note: s.Note}
	}
	return nil
}

// avroFormat resolves every payload from its writer schema to the reader's
// schema, as an Avro reader that knows the writer schema (from a schema
// registry or the envelope's version) does. The rename carries an alias.
type avroFormat struct {
	api     avro.API
	schemas map[reflect.Type]avro.Schema
}

func avroSchemas() map[any]string {
	return map[any]string{
		&V1{}: `{"type":"record","name":"Evo","fields":[{"name":"id","type":"string"},{"name":"count","type":"int"},
			{"name":"note","type":"string"}]}`,
		&Added{}: `{"type":"record","name":"Evo","fields":[{"name":"id","type":"string"},
			{"name":"extra","type":"string","default":""},{"name":"count","type":"int"},{"name":"note","type":"string"}]}`,
		&Removed{}: `{"type":"record","name":"Evo","fields":[{"name":"id","type":"string"},{"name":"note","type":"string"}]}`,
		&Renamed{}: `{"type":"record","name":"Evo","fields":[{"name":"id","type":"string"},
			{"name":"total","aliases":["count"],"type":"int"},{"name":"note","type":"string"}]}`,
		&Widened{}: `{"type":"record","name":"Evo","fields":[{"name":"id","type":"string"},{"name":"count","type":"long"},
			{"name":"note","type":"string"}]}`,
	}
}

func newAvroFormat() (*avroFormat, error) {
	f := &avroFormat{api: avrocodec.Config(), schemas: map[reflect.Type]avro.Schema{}}
	for v, s := range avroSchemas() {
		// Each version is parsed on its own: they share the record name.
		parsed, err := avro.ParseWithCache(s, "", &avro.SchemaCache{})
		if err != nil {
			return nil, fmt.Errorf("avro: evolution schema for %T: %w", v, err)
		}
		f.schemas[reflect.TypeOf(v)] = parsed
	}
	return f, nil
}

func (*avroFormat) id() string { return "avro" }

func (f *avroFormat) schema(v any) (avro.Schema, error) {
	s, ok := f.schemas[reflect.TypeOf(v)]
	if !ok {
		return nil, fmt.Errorf("avro: no evolution schema for %T", v)
	}
	return s, nil
}

func (f *avroFormat) encode(v any) ([]byte, error) {
	s, err := f.schema(v)
	if err != nil {
		return nil, err
	}
	return f.api.Marshal(s, v)
}

func (f *avroFormat) decode(data []byte, writer, reader any) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("avro: decoder panic: %v", p)
		}
	}()
	ws, err := f.schema(writer)
	if err != nil {
		return err
	}
	rs, err := f.schema(reader)
	if err != nil {
		return err
	}
	s, err := avro.NewSchemaCompatibility().Resolve(rs, ws)
	if err != nil {
		return fmt.Errorf("avro: resolve: %w", err)
	}
	r := avro.NewReader(nil, 0, avro.WithReaderConfig(f.api)).Reset(data)
	r.ReadVal(s, reader)
	if r.Error != nil {
		return r.Error
	}
	if r.Peek(); r.Error == nil {
		return errors.New("avro: trailing bytes after the record")
	}
	return nil
}

// msgpFormat uses the msgp-generated methods of the test types.
type msgpFormat struct{}

func (msgpFormat) id() string { return "msgp" }

func (msgpFormat) encode(v any) ([]byte, error) {
	m, ok := v.(msgp.Marshaler)
	if !ok {
		return nil, fmt.Errorf("msgp: %T has no generated code", v)
	}
	return m.MarshalMsg(nil)
}

func (msgpFormat) decode(data []byte, _, reader any) error {
	u, ok := reader.(msgp.Unmarshaler)
	if !ok {
		return fmt.Errorf("msgp: %T has no generated code", reader)
	}
	rest, err := u.UnmarshalMsg(data)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("msgp: %d trailing bytes", len(rest))
	}
	return nil
}

// cborFormat uses the production CBOR options.
type cborFormat struct {
	enc cbor.EncMode
	dec cbor.DecMode
}

func newCBORFormat() (*cborFormat, error) {
	enc, err := cborcodec.EncOptions().EncMode()
	if err != nil {
		return nil, err
	}
	dec, err := cborcodec.DecOptions().DecMode()
	if err != nil {
		return nil, err
	}
	return &cborFormat{enc: enc, dec: dec}, nil
}

func (*cborFormat) id() string                                { return "cbor" }
func (f *cborFormat) encode(v any) ([]byte, error)            { return f.enc.Marshal(v) }
func (f *cborFormat) decode(data []byte, _, reader any) error { return f.dec.Unmarshal(data, reader) }

// flatFormat uses the flatc-generated accessors.
type flatFormat struct{}

func (flatFormat) id() string { return "flatbuf" }

func (flatFormat) encode(v any) ([]byte, error) {
	b := flatbuffers.NewBuilder(64)
	switch x := v.(type) {
	case *V1:
		id, note := b.CreateString(x.ID), b.CreateString(x.Note)
		evofb.V1Start(b)
		evofb.V1AddId(b, id)
		evofb.V1AddCount(b, x.Count)
		evofb.V1AddNote(b, note)
		b.Finish(evofb.V1End(b))
	case *Added:
		id, note, extra := b.CreateString(x.ID), b.CreateString(x.Note), b.CreateString(x.Extra)
		evofb.AddedStart(b)
		evofb.AddedAddId(b, id)
		evofb.AddedAddCount(b, x.Count)
		evofb.AddedAddNote(b, note)
		evofb.AddedAddExtra(b, extra)
		b.Finish(evofb.AddedEnd(b))
	default:
		return nil, fmt.Errorf("flatbuf: no evolution schema for %T", v)
	}
	return b.FinishedBytes(), nil
}

func (flatFormat) decode(data []byte, _, reader any) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("flatbuf: corrupt buffer: %v", p)
		}
	}()
	data = data[:len(data):len(data)]
	if len(data) < 4 {
		return errors.New("flatbuf: buffer shorter than a root offset")
	}
	root := flatbuffers.GetUOffsetT(data)
	switch r := reader.(type) {
	case *V1:
		var t evofb.V1
		t.Init(data, root)
		*r = V1{ID: string(t.Id()), Count: t.Count(), Note: string(t.Note())}
	case *Added:
		var t evofb.Added
		t.Init(data, root)
		*r = Added{ID: string(t.Id()), Extra: string(t.Extra()), Count: t.Count(), Note: string(t.Note())}
	case *Removed:
		var t evofb.Removed
		t.Init(data, root)
		*r = Removed{ID: string(t.Id()), Note: string(t.Note())}
	case *Renamed:
		var t evofb.Renamed
		t.Init(data, root)
		*r = Renamed{ID: string(t.Id()), Total: t.Total(), Note: string(t.Note())}
	case *Widened:
		var t evofb.Widened
		t.Init(data, root)
		*r = Widened{ID: string(t.Id()), Count: t.Count(), Note: string(t.Note())}
	default:
		return fmt.Errorf("flatbuf: no evolution schema for %T", reader)
	}
	return nil
}

// binaryFormat is the production fixed layout (uvarint-length strings,
// zigzag varint integers, fields in declaration order) over the test types.
type binaryFormat struct{}

func (binaryFormat) id() string { return "binary" }

func (binaryFormat) encode(v any) ([]byte, error) {
	var b []byte
	str := func(s string) { b = binary.AppendUvarint(b, uint64(len(s))); b = append(b, s...) }
	switch x := v.(type) {
	case *V1:
		str(x.ID)
		b = binary.AppendVarint(b, int64(x.Count))
		str(x.Note)
	case *Added:
		str(x.ID)
		str(x.Extra)
		b = binary.AppendVarint(b, int64(x.Count))
		str(x.Note)
	default:
		return nil, fmt.Errorf("binary: no evolution layout for %T", v)
	}
	return b, nil
}

func (binaryFormat) decode(data []byte, _, reader any) error {
	var err error
	str := func() string {
		if err != nil {
			return ""
		}
		n, k := binary.Uvarint(data)
		if k <= 0 || n > uint64(len(data)-k) {
			err = errors.New("binary: truncated string")
			return ""
		}
		s := data[k : k+int(n)]
		data = data[k+int(n):]
		if !utf8.Valid(s) {
			err = errors.New("binary: invalid UTF-8")
		}
		return string(s)
	}
	num := func(bits int) int64 {
		if err != nil {
			return 0
		}
		v, k := binary.Varint(data)
		if k <= 0 {
			err = errors.New("binary: truncated varint")
			return 0
		}
		data = data[k:]
		if bits == 32 && int64(int32(v)) != v {
			err = fmt.Errorf("binary: %d overflows int32", v)
		}
		return v
	}
	switch r := reader.(type) {
	case *V1:
		*r = V1{ID: str(), Count: int32(num(32)), Note: str()}
	case *Added:
		*r = Added{ID: str(), Extra: str(), Count: int32(num(32)), Note: str()}
	case *Removed:
		*r = Removed{ID: str(), Note: str()}
	case *Renamed:
		*r = Renamed{ID: str(), Total: int32(num(32)), Note: str()}
	case *Widened:
		*r = Widened{ID: str(), Count: num(64), Note: str()}
	default:
		return fmt.Errorf("binary: no evolution layout for %T", reader)
	}
	if err != nil {
		return err
	}
	if len(data) > 0 {
		return fmt.Errorf("binary: %d trailing bytes", len(data))
	}
	return nil
}
