package compress

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/esbench/esbench/refimpl/codec"
	"github.com/esbench/esbench/refimpl/codec/binary"
	"github.com/esbench/esbench/refimpl/codec/internal/codectest"
	"github.com/esbench/esbench/refimpl/codec/msgp"
)

func compressors(t testing.TB) []Compressor {
	t.Helper()
	var out []Compressor
	for _, id := range IDs() {
		z, err := New(id)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, z)
	}
	return out
}

func TestRoundTripAndRatio(t *testing.T) {
	inputs := map[string][]byte{
		"empty":      {},
		"one":        {7},
		"repetitive": bytes.Repeat([]byte("DownloadGranted c-000042/d-2 t-01873 "), 200),
		"random":     pseudoRandom(4096),
	}
	for _, z := range compressors(t) {
		for name, in := range inputs {
			c, err := z.Compress(in)
			if err != nil {
				t.Fatalf("%s/%s: Compress: %v", z.ID(), name, err)
			}
			out, err := z.Decompress(c)
			if err != nil {
				t.Fatalf("%s/%s: Decompress: %v", z.ID(), name, err)
			}
			if !bytes.Equal(out, in) {
				t.Fatalf("%s/%s: round trip changed %d bytes into %d", z.ID(), name, len(in), len(out))
			}
			if name == "repetitive" && z.ID() != "none" && len(c)*5 > len(in) {
				t.Errorf("%s: repetitive %d bytes compressed only to %d", z.ID(), len(in), len(c))
			}
		}
	}
}

func TestDecompressRejectsCorruptAndOversize(t *testing.T) {
	in := bytes.Repeat([]byte("abcdefgh"), 4096) // 32 KiB
	small := []Compressor{S2{Limit: 1024}, NewLZ4(1024)}
	zs, err := NewZstd(1024)
	if err != nil {
		t.Fatal(err)
	}
	small = append(small, zs)
	for _, z := range small {
		big, _ := z.Compress(in)
		if _, err := z.Decompress(big); !errors.Is(err, ErrTooLarge) {
			t.Errorf("%s: Decompress of 32 KiB with a 1 KiB limit: err %v, want ErrTooLarge", z.ID(), err)
		}
	}
	for _, z := range compressors(t) {
		if z.ID() == "none" {
			continue
		}
		c, _ := z.Compress(in)
		for _, bad := range [][]byte{nil, c[:len(c)/2], append([]byte{0xff, 0xff}, c[2:]...)} {
			if out, err := z.Decompress(bad); err == nil && bytes.Equal(out, in) {
				t.Errorf("%s: corrupt input decoded to the original", z.ID())
			} else if err != nil && !strings.Contains(err.Error(), z.ID()) {
				t.Errorf("%s: error %q does not name the compressor", z.ID(), err)
			}
		}
	}
}

// Both through Unmarshal and UnmarshalAlias; binary has an UnmarshalAlias
// of its own, msgp does not.
func TestWrapRoundTripsTheSamples(t *testing.T) {
	for _, inner := range []codec.Codec{msgp.Codec{}, binary.Codec{}} {
		for _, z := range compressors(t) {
			c := Wrap(inner, z)
			if c.ID() != inner.ID()+"+"+z.ID() {
				t.Fatalf("ID = %q", c.ID())
			}
			codectest.RoundTrip(t, c)
		}
	}
}

func TestBatch(t *testing.T) {
	payloads := [][]byte{[]byte("a"), {}, bytes.Repeat([]byte("xyz"), 100), []byte("last")}
	for _, z := range compressors(t) {
		b, err := EncodeBatch(z, payloads)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeBatch(z, b)
		if err != nil {
			t.Fatalf("%s: DecodeBatch: %v", z.ID(), err)
		}
		if len(got) != len(payloads) {
			t.Fatalf("%s: %d payloads, want %d", z.ID(), len(got), len(payloads))
		}
		for i := range got {
			if !bytes.Equal(got[i], payloads[i]) {
				t.Errorf("%s: payload %d = %q, want %q", z.ID(), i, got[i], payloads[i])
			}
		}
		if _, err := DecodeBatch(None{}, []byte{5, 1}); err == nil {
			t.Error("DecodeBatch of a frame claiming 5 payloads in 1 byte succeeded")
		}
	}
	if _, err := New("brotli"); err == nil || !strings.Contains(err.Error(), "brotli") {
		t.Errorf("New(brotli) = %v; want an error naming it", err)
	}
}

func pseudoRandom(n int) []byte {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

func FuzzDecompress(f *testing.F) {
	zs := compressors(f)
	for _, z := range zs {
		c, _ := z.Compress([]byte("DownloadGranted DownloadGranted DownloadGranted"))
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, z := range zs {
			_, _ = z.Decompress(data) // must not panic
			_, _ = DecodeBatch(z, data)
		}
	})
}
