// Package cbor is the CBOR codec (github.com/fxamacker/cbor/v2) with integer
// map keys: each field of the wire mirrors in refimpl/codec/internal/wire is
// keyed by a small integer (keyasint), so payloads carry no field names and a
// field may be renamed freely, as in protobuf.
package cbor

import (
	"fmt"

	"github.com/fxamacker/cbor/v2"

	"github.com/esbench/esbench/refimpl/codec/internal/wire"
)

// ID is the codec id recorded in envelopes.
const ID = "cbor"

// Codec is the CBOR codec. Build it with New.
type Codec struct {
	enc cbor.EncMode
	dec cbor.DecMode
}

// EncOptions are the encoding options the codec uses: core deterministic
// encoding, so equal values give equal bytes (golden payloads depend on it).
func EncOptions() cbor.EncOptions { return cbor.CoreDetEncOptions() }

// DecOptions are the decoding options the codec uses: unknown keys are
// skipped (forward compatibility), duplicate keys are an error, and the
// nesting and length limits bound the work a hostile payload can cause.
func DecOptions() cbor.DecOptions {
	return cbor.DecOptions{
		DupMapKey:        cbor.DupMapKeyEnforcedAPF,
		MaxNestedLevels:  32,
		MaxArrayElements: 1 << 20,
		MaxMapPairs:      1 << 20,
	}
}

// New returns the CBOR codec.
func New() (*Codec, error) {
	enc, err := EncOptions().EncMode()
	if err != nil {
		return nil, fmt.Errorf("%s: encoder options: %w", ID, err)
	}
	dec, err := DecOptions().DecMode()
	if err != nil {
		return nil, fmt.Errorf("%s: decoder options: %w", ID, err)
	}
	return &Codec{enc: enc, dec: dec}, nil
}

// ID returns "cbor".
func (*Codec) ID() string { return ID }

// Marshal encodes v, a pointer to a domain event or snapshot.
func (c *Codec) Marshal(v any) ([]byte, error) {
	w, err := wire.From(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ID, err)
	}
	b, err := c.enc.Marshal(w)
	if err != nil {
		return nil, fmt.Errorf("%s: %T: %w", ID, v, err)
	}
	return b, nil
}

// Unmarshal decodes data into v; trailing bytes are an error.
func (c *Codec) Unmarshal(data []byte, v any) error {
	w, err := wire.New(v)
	if err != nil {
		return fmt.Errorf("%s: %w", ID, err)
	}
	if err := c.dec.Unmarshal(data, w); err != nil {
		return fmt.Errorf("%s: %T: %w", ID, v, err)
	}
	if err := wire.To(w, v); err != nil {
		return fmt.Errorf("%s: %w", ID, err)
	}
	return nil
}
