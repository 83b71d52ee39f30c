package protobuf

import (
	"testing"

	"github.com/esbench/esbench/refimpl/codec"
	"github.com/esbench/esbench/refimpl/codec/internal/codectest"
)

func newProtobuf(t testing.TB) codec.Codec {
	t.Helper()
	return Codec{}
}

func TestRoundTripProtobuf(t *testing.T) { codectest.RoundTrip(t, newProtobuf(t)) }

func TestRejectsProtobuf(t *testing.T) { codectest.Rejects(t, newProtobuf(t), false, true) }

func TestGoldenProtobuf(t *testing.T) {
	codectest.Golden(t, newProtobuf(t), "testdata/golden/protobuf")
}

func FuzzDecodeProtobuf(f *testing.F) {
	c := newProtobuf(f)
	codectest.FuzzSeeds(f, c)
	r := codectest.Registry(c)
	f.Fuzz(func(t *testing.T, data []byte) { codectest.FuzzDecode(t, r, c, data) })
}
