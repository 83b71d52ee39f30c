package catalog

import (
	"testing"

	"github.com/esbench/esbench/refimpl/codec"
	"github.com/esbench/esbench/refimpl/codec/internal/codectest"
)

func newJSON(t testing.TB) codec.Codec {
	t.Helper()
	return codec.JSON{}
}

func TestRoundTripJSON(t *testing.T) { codectest.RoundTrip(t, newJSON(t)) }

func TestRejectsJSON(t *testing.T) { codectest.Rejects(t, newJSON(t), true, false) }

func TestGoldenJSON(t *testing.T) { codectest.Golden(t, newJSON(t), "testdata/golden/json") }

func FuzzDecodeJSON(f *testing.F) {
	c := newJSON(f)
	codectest.FuzzSeeds(f, c)
	r := codectest.Registry(c)
	f.Fuzz(func(t *testing.T, data []byte) { codectest.FuzzDecode(t, r, c, data) })
}
