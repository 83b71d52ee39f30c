// Package compress is a compression layer any codec can use, for snapshots
// and for batches of events: zstd and s2 (github.com/klauspost/compress) and
// lz4 (github.com/pierrec/lz4/v4), plus "none" as the baseline. Wrap turns a
// codec into a compressing codec whose id ("msgp+zstd") goes into the
// envelope, so a reader always knows how to undo it; EncodeBatch packs
// several payloads into one compressed block.
//
// Every decompressor refuses output larger than its limit, so a corrupt or
// hostile payload cannot make it allocate without bound.
package compress

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"

	"github.com/esbench/esbench/refimpl/codec"
)

// DefaultLimit is the largest decompressed size accepted unless a
// compressor is built with another limit (64 MiB: far above any snapshot or
// event batch esbench writes).
const DefaultLimit = 64 << 20

// ErrTooLarge is wrapped when a payload would decompress past the limit.
var ErrTooLarge = errors.New("compress: decompressed size over the limit")

// Compressor compresses whole payloads. Implementations are safe for
// concurrent use.
type Compressor interface {
	// ID is the short name used in codec ids ("zstd", "s2", "lz4", "none").
	ID() string
	Compress(src []byte) ([]byte, error)
	Decompress(src []byte) ([]byte, error)
}

// IDs lists the compressor ids.
func IDs() []string { return []string{"none", "zstd", "s2", "lz4"} }

// New returns the compressor named id with DefaultLimit.
func New(id string) (Compressor, error) {
	switch id {
	case "none":
		return None{}, nil
	case "zstd":
		return NewZstd(DefaultLimit)
	case "s2":
		return S2{Limit: DefaultLimit}, nil
	case "lz4":
		return NewLZ4(DefaultLimit), nil
	}
	return nil, fmt.Errorf("compress: unknown compressor %q (known: %s)", id, strings.Join(IDs(), ", "))
}

// None stores payloads as they are.
type None struct{}

// ID returns "none".
func (None) ID() string { return "none" }

// Compress returns src.
func (None) Compress(src []byte) ([]byte, error) { return src, nil }

// Decompress returns src.
func (None) Decompress(src []byte) ([]byte, error) { return src, nil }

// Zstd is zstd at the default level, encoding and decoding whole buffers.
type Zstd struct {
	enc *zstd.Encoder
	dec *zstd.Decoder
}

// NewZstd returns a zstd compressor whose decoder refuses output over limit
// bytes.
func NewZstd(limit uint64) (*Zstd, error) {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1), zstd.WithLowerEncoderMem(true))
	if err != nil {
		return nil, fmt.Errorf("compress: zstd encoder: %w", err)
	}
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(limit))
	if err != nil {
		return nil, fmt.Errorf("compress: zstd decoder: %w", err)
	}
	return &Zstd{enc: enc, dec: dec}, nil
}

// ID returns "zstd".
func (*Zstd) ID() string { return "zstd" }

// Compress returns src as one zstd frame.
func (z *Zstd) Compress(src []byte) ([]byte, error) { return z.enc.EncodeAll(src, nil), nil }

// Decompress decodes one or more zstd frames.
func (z *Zstd) Decompress(src []byte) ([]byte, error) {
	out, err := z.dec.DecodeAll(src, nil)
	if err != nil {
		if errors.Is(err, zstd.ErrDecoderSizeExceeded) {
			return nil, fmt.Errorf("compress: zstd: %w: %w", ErrTooLarge, err)
		}
		return nil, fmt.Errorf("compress: zstd: %w", err)
	}
	return out, nil
}

// S2 is the s2 block format (a faster Snappy extension).
type S2 struct {
	// Limit is the largest decompressed size accepted.
	Limit int
}

// ID returns "s2".
func (S2) ID() string { return "s2" }

// Compress returns src as one s2 block.
func (S2) Compress(src []byte) ([]byte, error) { return s2.Encode(nil, src), nil }

// Decompress decodes one s2 block after checking its declared size.
func (s S2) Decompress(src []byte) ([]byte, error) {
	n, err := s2.DecodedLen(src)
	if err != nil {
		return nil, fmt.Errorf("compress: s2: %w", err)
	}
	if n > s.Limit {
		return nil, fmt.Errorf("compress: s2: %w: %d > %d bytes", ErrTooLarge, n, s.Limit)
	}
	out, err := s2.Decode(nil, src)
	if err != nil {
		return nil, fmt.Errorf("compress: s2: %w", err)
	}
	return out, nil
}

// LZ4 is the lz4 block format behind a small header: one byte (0 stored, 1
// lz4) and the uvarint decompressed length, since an lz4 block does not
// record it and incompressible input must be stored as it is.
type LZ4 struct {
	limit int
	pool  sync.Pool
}

// NewLZ4 returns an lz4 compressor whose decoder refuses output over limit
// bytes.
func NewLZ4(limit int) *LZ4 {
	l := &LZ4{limit: limit}
	l.pool.New = func() any { return new(lz4.Compressor) }
	return l
}

// ID returns "lz4".
func (*LZ4) ID() string { return "lz4" }

// Compress returns the header and the lz4 block (or the stored input).
func (l *LZ4) Compress(src []byte) ([]byte, error) {
	out := make([]byte, 1+binary.MaxVarintLen64+lz4.CompressBlockBound(len(src)))
	h := 1 + binary.PutUvarint(out[1:], uint64(len(src)))
	c := l.pool.Get().(*lz4.Compressor)
	n, err := c.CompressBlock(src, out[h:])
	l.pool.Put(c)
	if err != nil {
		return nil, fmt.Errorf("compress: lz4: %w", err)
	}
	if n == 0 || n >= len(src) {
		out[0] = 0
		return append(out[:h], src...), nil
	}
	out[0] = 1
	return out[:h+n], nil
}

// Decompress undoes Compress.
func (l *LZ4) Decompress(src []byte) ([]byte, error) {
	if len(src) < 2 {
		return nil, errors.New("compress: lz4: payload shorter than its header")
	}
	size, k := binary.Uvarint(src[1:])
	if k <= 0 {
		return nil, errors.New("compress: lz4: bad length in header")
	}
	if size > uint64(l.limit) {
		return nil, fmt.Errorf("compress: lz4: %w: %d > %d bytes", ErrTooLarge, size, l.limit)
	}
	body := src[1+k:]
	switch src[0] {
	case 0:
		if uint64(len(body)) != size {
			return nil, fmt.Errorf("compress: lz4: stored payload of %d bytes, header says %d", len(body), size)
		}
		return append([]byte(nil), body...), nil
	case 1:
		out := make([]byte, size)
		n, err := lz4.UncompressBlock(body, out)
		if err != nil {
			return nil, fmt.Errorf("compress: lz4: %w", err)
		}
		if uint64(n) != size {
			return nil, fmt.Errorf("compress: lz4: decompressed %d bytes, header says %d", n, size)
		}
		return out, nil
	}
	return nil, fmt.Errorf("compress: lz4: unknown block kind %d", src[0])
}

// Codec compresses the payloads of another codec.
type Codec struct {
	inner codec.Codec
	z     Compressor
	id    string
}

// Wrap returns a codec that compresses c's payloads with z. Its id is
// "<codec>+<compressor>", recorded in the envelope like any codec id.
func Wrap(c codec.Codec, z Compressor) *Codec {
	return &Codec{inner: c, z: z, id: c.ID() + "+" + z.ID()}
}

// ID returns "<codec>+<compressor>".
func (c *Codec) ID() string { return c.id }

// Marshal encodes with the inner codec, then compresses.
func (c *Codec) Marshal(v any) ([]byte, error) {
	b, err := c.inner.Marshal(v)
	if err != nil {
		return nil, err
	}
	out, err := c.z.Compress(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.id, err)
	}
	return out, nil
}

// Unmarshal decompresses, then decodes with the inner codec.
func (c *Codec) Unmarshal(data []byte, v any) error {
	b, err := c.z.Decompress(data)
	if err != nil {
		return fmt.Errorf("%s: %w", c.id, err)
	}
	if err := c.inner.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", c.id, err)
	}
	return nil
}

// UnmarshalAlias decompresses, then decodes with the inner codec's
// UnmarshalAlias when it has one (codec.AliasUnmarshaler): the value may
// point into the decompressed bytes, or into data itself with the "none"
// compressor, which the caller has given away.
func (c *Codec) UnmarshalAlias(data []byte, v any) error {
	a, ok := c.inner.(codec.AliasUnmarshaler)
	if !ok {
		return c.Unmarshal(data, v)
	}
	b, err := c.z.Decompress(data)
	if err != nil {
		return fmt.Errorf("%s: %w", c.id, err)
	}
	if err := a.UnmarshalAlias(b, v); err != nil {
		return fmt.Errorf("%s: %w", c.id, err)
	}
	return nil
}

// UnmarshalVersion decompresses, then decodes with the inner codec's
// UnmarshalVersion when it has one (codec.VersionedUnmarshaler), so that a
// compressed payload of an older layout decodes as that layout; otherwise
// as UnmarshalAlias (alias) or Unmarshal do.
func (c *Codec) UnmarshalVersion(data []byte, version uint16, alias bool, v any) error {
	vu, ok := c.inner.(codec.VersionedUnmarshaler)
	switch {
	case !ok && alias:
		return c.UnmarshalAlias(data, v)
	case !ok:
		return c.Unmarshal(data, v)
	}
	b, err := c.z.Decompress(data)
	if err != nil {
		return fmt.Errorf("%s: %w", c.id, err)
	}
	if err := vu.UnmarshalVersion(b, version, alias, v); err != nil {
		return fmt.Errorf("%s: %w", c.id, err)
	}
	return nil
}

// EncodeBatch frames payloads (uvarint count, then a uvarint length before
// each payload) and compresses the frame as one block, which is how a batch
// of small events gains from compression at all.
func EncodeBatch(z Compressor, payloads [][]byte) ([]byte, error) {
	size := binary.MaxVarintLen64
	for _, p := range payloads {
		size += binary.MaxVarintLen64 + len(p)
	}
	frame := make([]byte, 0, size)
	frame = binary.AppendUvarint(frame, uint64(len(payloads)))
	for _, p := range payloads {
		frame = binary.AppendUvarint(frame, uint64(len(p)))
		frame = append(frame, p...)
	}
	out, err := z.Compress(frame)
	if err != nil {
		return nil, fmt.Errorf("compress: batch: %w", err)
	}
	return out, nil
}

// DecodeBatch undoes EncodeBatch. The payloads alias one decompressed
// buffer.
func DecodeBatch(z Compressor, data []byte) ([][]byte, error) {
	frame, err := z.Decompress(data)
	if err != nil {
		return nil, fmt.Errorf("compress: batch: %w", err)
	}
	n, k := binary.Uvarint(frame)
	if k <= 0 {
		return nil, errors.New("compress: batch: bad payload count")
	}
	frame = frame[k:]
	if n > uint64(len(frame)) { // every payload takes at least its length byte
		return nil, fmt.Errorf("compress: batch: %d payloads cannot fit in %d bytes", n, len(frame))
	}
	out := make([][]byte, 0, n)
	for i := uint64(0); i < n; i++ {
		l, k := binary.Uvarint(frame)
		if k <= 0 || l > uint64(len(frame)-k) {
			return nil, fmt.Errorf("compress: batch: payload %d: bad or truncated length", i)
		}
		out = append(out, frame[k:k+int(l)])
		frame = frame[k+int(l):]
	}
	if len(frame) != 0 {
		return nil, fmt.Errorf("compress: batch: %d trailing bytes", len(frame))
	}
	return out, nil
}
