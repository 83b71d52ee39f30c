package avro

import (
	"testing"

	"github.com/esbench/esbench/refimpl/codec"
	"github.com/esbench/esbench/refimpl/codec/internal/codectest"
)

func newAvro(t testing.TB) codec.Codec {
	t.Helper()
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRoundTripAvro(t *testing.T) { codectest.RoundTrip(t, newAvro(t)) }

func TestRejectsAvro(t *testing.T) { codectest.Rejects(t, newAvro(t), true, true) }

func TestGoldenAvro(t *testing.T) { codectest.Golden(t, newAvro(t), "testdata/golden/avro") }

func FuzzDecodeAvro(f *testing.F) {
	c := newAvro(f)
	codectest.FuzzSeeds(f, c)
	r := codectest.Registry(c)
	f.Fuzz(func(t *testing.T, data []byte) { codectest.FuzzDecode(t, r, c, data) })
}
