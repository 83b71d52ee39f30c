package reports

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"strings"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// hlogEncoder writes interval log lines exactly as hdrhistogram-go's
// HistogramLogWriter.OutputIntervalPackedHistogram does (the same bytes; see
// TestHlogEncoderMatchesLibrary), but reuses its buffers and its zlib
// compressor from line to line. The library's encoder builds a new
// BestCompression zlib writer per histogram, about 800 KB allocated and
// cleared each time; with one line per operation, outcome and metric every
// second, that was about a tenth of a light run's client CPU
// (docs/design.md §8, "Interval log lines").
type hlogEncoder struct {
	payload []byte       // the V2 payload: zero runs and counts, zig-zag LEB128
	inner   []byte       // 40-byte header + payload, the zlib input
	zbuf    bytes.Buffer // the compressed form behind its 8-byte prefix
	zw      *zlib.Writer
	geom    hlogGeometry
}

// The wire geometry of the histograms last encoded, cached because
// deriving it takes floating-point logarithms.
type hlogGeometry struct {
	lowest, sig                          int64
	unitMagnitude, subBucketHalfCountMag uint
	subBucketMask                        int64
	subBucketHalfCount                   int64
}

func newHlogGeometry(lowest, sig int64) hlogGeometry {
	// As hdrhistogram-go's geometryMagnitudes: single-unit resolution up
	// to 2×10^sig, rounded up to a power of two.
	subBucketCountMag := int64(math.Ceil(math.Log2(2 * math.Pow10(int(sig)))))
	half := max(subBucketCountMag, 1) - 1
	unit := max(int64(math.Floor(math.Log2(float64(lowest)))), 0)
	subBucketCount := int64(1) << (half + 1)
	return hlogGeometry{
		lowest: lowest, sig: sig,
		unitMagnitude:         uint(unit),
		subBucketHalfCountMag: uint(half),
		subBucketMask:         (subBucketCount - 1) << uint(unit),
		subBucketHalfCount:    subBucketCount / 2,
	}
}

// countsIndex is the dense counts index of v, the position the V2 payload
// describes.
func (g *hlogGeometry) countsIndex(v int64) int64 {
	pow2Ceiling := int64(64 - bits.LeadingZeros64(uint64(v|g.subBucketMask)))
	bucket := pow2Ceiling - int64(g.unitMagnitude) - int64(g.subBucketHalfCountMag+1)
	sub := v >> uint(bucket+int64(g.unitMagnitude))
	return (bucket+1)<<g.subBucketHalfCountMag + sub - g.subBucketHalfCount
}

// appendZigZag appends v in the V2 format's zig-zag LEB128 form: at most
// nine bytes, the ninth carrying eight bits.
func appendZigZag(b []byte, v int64) []byte {
	u := uint64((v << 1) ^ (v >> 63))
	for i := 0; i < 8; i++ {
		if u>>7 == 0 {
			return append(b, byte(u))
		}
		b = append(b, byte(u&0x7f|0x80))
		u >>= 7
	}
	return append(b, byte(u))
}

// appendPayload appends h's V2 payload: the counts from index 0 through the
// index of h.Max(), each run of two or more empty buckets as its negated
// length.
func appendPayload(b []byte, g *hlogGeometry, h *hdr.PackedHistogram) []byte {
	limit := g.countsIndex(h.Max()) + 1
	var next int64 // the first index not yet written
	zeros := func(to int64) {
		switch n := to - next; {
		case n == 1:
			b = append(b, 0)
		case n > 1:
			b = appendZigZag(b, -n)
		}
	}
	for value, count := range h.ForEachBucket {
		if count == 0 {
			continue
		}
		i := g.countsIndex(value)
		if i >= limit {
			break
		}
		zeros(i)
		b = appendZigZag(b, count)
		next = i + 1
	}
	zeros(limit)
	return b
}

// appendLine appends h's interval log line: tag, start and length in
// seconds relative to baseMs, max in milliseconds, and the V2 compressed
// histogram in base64. h must have been made by hdr.NewPacked (its
// integer-to-double conversion ratio is 1).
func (e *hlogEncoder) appendLine(dst []byte, h *hdr.PackedHistogram, baseMs int64) ([]byte, error) {
	g := &e.geom
	if g.sig != h.SignificantFigures() || g.lowest != h.LowestTrackableValue() {
		*g = newHlogGeometry(h.LowestTrackableValue(), h.SignificantFigures())
	}
	tag := h.Tag()
	if strings.ContainsAny(tag, ", \r\n") {
		return dst, fmt.Errorf("interval log tag %q: must not contain commas, spaces or line breaks", tag)
	}
	e.payload = appendPayload(e.payload[:0], g, h)

	in := e.inner[:0]
	in = binary.BigEndian.AppendUint32(in, uint32(hdr.V2EncodingCookieBase|0x10))
	in = binary.BigEndian.AppendUint32(in, uint32(len(e.payload)))
	in = binary.BigEndian.AppendUint32(in, 0) // normalizing index offset
	in = binary.BigEndian.AppendUint32(in, uint32(g.sig))
	in = binary.BigEndian.AppendUint64(in, uint64(g.lowest))
	in = binary.BigEndian.AppendUint64(in, uint64(h.HighestTrackableValue()))
	in = binary.BigEndian.AppendUint64(in, math.Float64bits(1))
	in = append(in, e.payload...)
	e.inner = in

	e.zbuf.Reset()
	var prefix [8]byte // filled in below
	e.zbuf.Write(prefix[:])
	if e.zw == nil {
		zw, err := zlib.NewWriterLevel(&e.zbuf, zlib.BestCompression)
		if err != nil {
			return dst, err
		}
		e.zw = zw
	} else {
		e.zw.Reset(&e.zbuf)
	}
	if _, err := e.zw.Write(in); err != nil {
		return dst, err
	}
	if err := e.zw.Close(); err != nil {
		return dst, err
	}
	raw := e.zbuf.Bytes()
	binary.BigEndian.PutUint32(raw[0:], uint32(hdr.V2CompressedEncodingCookieBase|0x10))
	binary.BigEndian.PutUint32(raw[4:], uint32(len(raw)-8))

	if tag != "" {
		dst = append(dst, "Tag="...)
		dst = append(dst, tag...)
		dst = append(dst, ',')
	}
	// The library's "%f" of these float64 values: six decimals.
	start := (float64(h.StartTimeMs()) - float64(baseMs)) / 1000
	end := (float64(h.EndTimeMs()) - float64(baseMs)) / 1000
	dst = strconv.AppendFloat(dst, start, 'f', 6, 64)
	dst = append(dst, ',')
	dst = strconv.AppendFloat(dst, end-start, 'f', 6, 64)
	dst = append(dst, ',')
	dst = strconv.AppendFloat(dst, float64(h.Max())/hdr.MsToNsRatio, 'f', 6, 64)
	dst = append(dst, ',')
	dst = base64.StdEncoding.AppendEncode(dst, raw)
	return append(dst, '\n'), nil
}
