package binary

import (
	"testing"

	"github.com/esbench/esbench/refimpl/codec"
	"github.com/esbench/esbench/refimpl/codec/internal/codectest"
)

func newBinary(t testing.TB) codec.Codec {
	t.Helper()
	return Codec{}
}

func TestRoundTripBinary(t *testing.T) { codectest.RoundTrip(t, newBinary(t)) }

func TestRejectsBinary(t *testing.T) { codectest.Rejects(t, newBinary(t), true, true) }

func TestGoldenBinary(t *testing.T) { codectest.Golden(t, newBinary(t), "testdata/golden/binary") }

func FuzzDecodeBinary(f *testing.F) {
	c := newBinary(f)
	codectest.FuzzSeeds(f, c)
	r := codectest.Registry(c)
	f.Fuzz(func(t *testing.T, data []byte) { codectest.FuzzDecode(t, r, c, data) })
}

// The copying decode allocates once for all of an event's strings, the
// aliasing one not at all.
func TestBinaryDecodeAllocations(t *testing.T) {
	codectest.DecodeAllocs(t, Codec{},
		map[string]float64{"Unmarshal": 1, "UnmarshalAlias": 0},
		map[string]func([]byte, any) error{"Unmarshal": Codec{}.Unmarshal, "UnmarshalAlias": Codec{}.UnmarshalAlias})
}
