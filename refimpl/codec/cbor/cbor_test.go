package cbor

import (
	"testing"

	"github.com/esbench/esbench/refimpl/codec"
	"github.com/esbench/esbench/refimpl/codec/internal/codectest"
)

func newCBOR(t testing.TB) codec.Codec {
	t.Helper()
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRoundTripCBOR(t *testing.T) { codectest.RoundTrip(t, newCBOR(t)) }

func TestRejectsCBOR(t *testing.T) { codectest.Rejects(t, newCBOR(t), true, true) }

func TestGoldenCBOR(t *testing.T) { codectest.Golden(t, newCBOR(t), "testdata/golden/cbor") }

func FuzzDecodeCBOR(f *testing.F) {
	c := newCBOR(f)
	codectest.FuzzSeeds(f, c)
	r := codectest.Registry(c)
	f.Fuzz(func(t *testing.T, data []byte) { codectest.FuzzDecode(t, r, c, data) })
}
