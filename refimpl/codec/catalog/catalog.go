// Package catalog lists every codec esbench ships, so a run can pick one by
// id (--codec) and a reader can decode envelopes written by any of them.
package catalog

import (
	"fmt"
	"strings"

	"github.com/esbench/esbench/refimpl/codec"
	"github.com/esbench/esbench/refimpl/codec/avro"
	"github.com/esbench/esbench/refimpl/codec/binary"
	"github.com/esbench/esbench/refimpl/codec/cbor"
	"github.com/esbench/esbench/refimpl/codec/flatbuf"
	"github.com/esbench/esbench/refimpl/codec/msgp"
	"github.com/esbench/esbench/refimpl/codec/protobuf"
)

// IDs lists the codec ids in the order reports show them: the standard
// library first, then the schema-driven codecs, then the hand-written floor.
func IDs() []string {
	return []string{"json", "gob", protobuf.ID, protobuf.VTID, avro.ID, msgp.ID, cbor.ID, flatbuf.ID, binary.ID}
}

// All returns one instance of every codec, in IDs order.
func All() ([]codec.Codec, error) {
	av, err := avro.New()
	if err != nil {
		return nil, err
	}
	cb, err := cbor.New()
	if err != nil {
		return nil, err
	}
	return []codec.Codec{
		codec.JSON{}, codec.Gob{}, protobuf.Codec{}, protobuf.VT{}, av, msgp.Codec{}, cb, flatbuf.New(), binary.Codec{},
	}, nil
}

// Select returns the codecs named in ids (all of them for an empty list), in
// the order given. An unknown id is an error listing the known ones.
func Select(ids []string) ([]codec.Codec, error) {
	all, err := All()
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return all, nil
	}
	byID := make(map[string]codec.Codec, len(all))
	for _, c := range all {
		byID[c.ID()] = c
	}
	out := make([]codec.Codec, 0, len(ids))
	seen := map[string]bool{}
	for _, id := range ids {
		id = strings.TrimSpace(id)
		c, ok := byID[id]
		if !ok {
			return nil, fmt.Errorf("%w %q (known: %s)", codec.ErrUnknownCodec, id, strings.Join(IDs(), ", "))
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, c)
		}
	}
	return out, nil
}
