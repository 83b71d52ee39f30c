// Package avro is the Avro codec (github.com/hamba/avro/v2). Payloads are
// bare Avro binary records, written with the schema of the value's type;
// DecodeResolved reads a payload written with another (older or newer)
// writer schema through Avro's writer/reader schema resolution.
package avro

import (
	"fmt"
	"reflect"
	"sync"

	"github.com/hamba/avro/v2"

	"github.com/esbench/esbench/refimpl/codec/internal/wire"
)

// ID is the codec id recorded in envelopes.
const ID = "avro"

// Codec is the Avro codec. Build it with New; it is safe for concurrent use.
type Codec struct {
	api     avro.API
	schemas map[reflect.Type]avro.Schema
	readers sync.Pool
}

// Config is the hamba/avro configuration the codec uses: bounded string and
// slice sizes so a corrupt length cannot make the decoder allocate gigabytes.
func Config() avro.API {
	return avro.Config{MaxByteSliceSize: 1 << 20, MaxSliceAllocSize: 1 << 20}.Freeze()
}

// New parses the schemas of every domain event and snapshot and returns the
// codec.
func New() (*Codec, error) {
	c := &Codec{api: Config(), schemas: map[reflect.Type]avro.Schema{}}
	cache := &avro.SchemaCache{}
	for _, s := range schemas() {
		parsed, err := avro.ParseWithCache(s.schema, "", cache)
		if err != nil {
			return nil, fmt.Errorf("%s: schema for %T: %w", ID, s.wire, err)
		}
		c.schemas[reflect.TypeOf(s.wire)] = parsed
	}
	c.readers.New = func() any { return avro.NewReader(nil, 0, avro.WithReaderConfig(c.api)) }
	return c, nil
}

// ID returns "avro".
func (*Codec) ID() string { return ID }

// Schema returns the Avro schema used for v, a pointer to a domain event or
// snapshot.
func (c *Codec) Schema(v any) (avro.Schema, error) {
	w, err := wire.New(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ID, err)
	}
	return c.schema(w)
}

func (c *Codec) schema(w any) (avro.Schema, error) {
	s, ok := c.schemas[reflect.TypeOf(w)]
	if !ok {
		return nil, fmt.Errorf("%s: no schema for wire type %T", ID, w)
	}
	return s, nil
}

// Marshal encodes v, a pointer to a domain event or snapshot.
func (c *Codec) Marshal(v any) ([]byte, error) {
	w, err := wire.From(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ID, err)
	}
	s, err := c.schema(w)
	if err != nil {
		return nil, err
	}
	b, err := c.api.Marshal(s, w)
	if err != nil {
		return nil, fmt.Errorf("%s: %T: %w", ID, v, err)
	}
	return b, nil
}

// Unmarshal decodes data, written with v's own schema, into v: an event
// straight into the domain value (direct.go), a snapshot through its wire
// mirror.
func (c *Codec) Unmarshal(data []byte, v any) error {
	return c.decode(nil, data, v)
}

// DecodeResolved decodes data written with the writer schema into v, whose
// own schema is the reader schema, applying Avro's resolution rules (fields
// matched by name or alias, defaults for fields the writer lacks, int to
// long promotion). An incompatible pair is an error.
func (c *Codec) DecodeResolved(writer avro.Schema, data []byte, v any) error {
	return c.decode(writer, data, v)
}

func (c *Codec) decode(writer avro.Schema, data []byte, v any) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s: %T: decoder panic: %v", ID, v, p)
		}
	}()
	r := c.readers.Get().(*avro.Reader)
	defer c.readers.Put(r)
	r.Error = nil
	r.Reset(data)
	if writer == nil {
		if ok, err := readEvent(r, v); ok {
			return c.finish(r, v, err)
		}
	}
	w, err := wire.New(v)
	if err != nil {
		return fmt.Errorf("%s: %w", ID, err)
	}
	s, err := c.schema(w)
	if err != nil {
		return err
	}
	if writer != nil {
		s, err = avro.NewSchemaCompatibility().Resolve(s, writer)
		if err != nil {
			return fmt.Errorf("%s: %T: resolve writer schema: %w", ID, v, err)
		}
	}
	r.ReadVal(s, w)
	if err := c.finish(r, v, nil); err != nil {
		return err
	}
	if err := wire.To(w, v); err != nil {
		return fmt.Errorf("%s: %w", ID, err)
	}
	return nil
}

// finish checks a decode: the reader's error, then that no bytes are left
// over (a bare record payload has none), then conv, the conversion error
// of a direct decode.
func (c *Codec) finish(r *avro.Reader, v any, conv error) error {
	if r.Error != nil {
		return fmt.Errorf("%s: %T: %w", ID, v, r.Error)
	}
	// Peek sets io.EOF at the end; no error means bytes are left over, which
	// a bare record payload must not have.
	r.Peek()
	if r.Error == nil {
		return fmt.Errorf("%s: %T: trailing bytes after the record", ID, v)
	}
	r.Error = nil
	if conv != nil {
		return fmt.Errorf("%s: %w", ID, conv)
	}
	return nil
}
