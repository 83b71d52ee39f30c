package catalog

import (
	"testing"

	"github.com/esbench/esbench/refimpl/codec"
	"github.com/esbench/esbench/refimpl/codec/internal/codectest"
)

func newGob(t testing.TB) codec.Codec {
	t.Helper()
	return codec.Gob{}
}

func TestRoundTripGob(t *testing.T) { codectest.RoundTrip(t, newGob(t)) }

func TestRejectsGob(t *testing.T) { codectest.Rejects(t, newGob(t), true, false) }

func TestGoldenGob(t *testing.T) { codectest.Golden(t, newGob(t), "testdata/golden/gob") }

func FuzzDecodeGob(f *testing.F) {
	c := newGob(f)
	codectest.FuzzSeeds(f, c)
	r := codectest.Registry(c)
	f.Fuzz(func(t *testing.T, data []byte) { codectest.FuzzDecode(t, r, c, data) })
}
