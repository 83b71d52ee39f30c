// Package catalog lists every codec esbench ships, so a run can pick one by
// id (--codec) and a reader can decode envelopes written by any of them.
// Besides the nine base codecs it offers each one behind each compressor of
// refimpl/codec/compress, with ids like "msgp+zstd", so compressed events and
// snapshots are one codec choice away and still replay anywhere.
package catalog

import (
	"fmt"
	"slices"
	"strings"

	"github.com/esbench/esbench/refimpl/codec"
	"github.com/esbench/esbench/refimpl/codec/avro"
	"github.com/esbench/esbench/refimpl/codec/binary"
	"github.com/esbench/esbench/refimpl/codec/cbor"
	"github.com/esbench/esbench/refimpl/codec/compress"
	"github.com/esbench/esbench/refimpl/codec/flatbuf"
	"github.com/esbench/esbench/refimpl/codec/msgp"
	"github.com/esbench/esbench/refimpl/codec/protobuf"
)

// IDs lists the codec ids in the order reports show them: the standard
// library first, then the schema-driven codecs, then the hand-written floor.
func IDs() []string {
	return []string{"json", "gob", protobuf.ID, protobuf.VTID, avro.ID, msgp.ID, cbor.ID, flatbuf.ID, binary.ID}
}

// Compressors are the compressors the compressed variants use.
func Compressors() []string { return []string{"zstd", "s2", "lz4"} }

// CompressedIDs lists the ids of the compressed variants ("json+zstd", ...),
// codec by codec.
func CompressedIDs() []string {
	var out []string
	for _, id := range IDs() {
		for _, z := range Compressors() {
			out = append(out, id+"+"+z)
		}
	}
	return out
}

// Known reports whether id names a base codec or a compressed variant.
func Known(id string) bool {
	return slices.Contains(IDs(), id) || slices.Contains(CompressedIDs(), id)
}

// All returns every base codec (in IDs order) followed by every compressed
// variant (in CompressedIDs order). The compressed variants share one
// compressor of each kind.
func All() ([]codec.Codec, error) {
	base, err := Base()
	if err != nil {
		return nil, err
	}
	zs := make([]compress.Compressor, 0, len(Compressors()))
	for _, id := range Compressors() {
		z, err := compress.New(id)
		if err != nil {
			return nil, err
		}
		zs = append(zs, z)
	}
	all := append([]codec.Codec(nil), base...)
	for _, c := range base {
		for _, z := range zs {
			all = append(all, compress.Wrap(c, z))
		}
	}
	return all, nil
}

// Base returns one instance of every base codec, in IDs order.
func Base() ([]codec.Codec, error) {
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

// Select returns the codecs named in ids, base or compressed (every base
// codec for an empty list), in the order given. An unknown id is an error
// listing the base ones.
func Select(ids []string) ([]codec.Codec, error) {
	if len(ids) == 0 {
		return Base()
	}
	all, err := All()
	if err != nil {
		return nil, err
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
			return nil, fmt.Errorf("%w %q (known: %s, each also as <codec>+%s)", codec.ErrUnknownCodec, id,
				strings.Join(IDs(), ", "), strings.Join(Compressors(), "|"))
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, c)
		}
	}
	return out, nil
}
