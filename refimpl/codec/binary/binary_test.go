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
	s := codectest.Samples()[4] // DownloadGranted: five strings
	b, err := Codec{}.Marshal(s.Value)
	if err != nil {
		t.Fatal(err)
	}
	v := codectest.Fresh(s.Value)
	for _, tc := range []struct {
		name   string
		decode func([]byte, any) error
		want   float64
	}{{"Unmarshal", Codec{}.Unmarshal, 1}, {"UnmarshalAlias", Codec{}.UnmarshalAlias, 0}} {
		got := testing.AllocsPerRun(100, func() {
			if err := tc.decode(b, v); err != nil {
				t.Fatal(err)
			}
		})
		if got != tc.want {
			t.Errorf("%s of %s: %v allocations, want %v", tc.name, s.Name, got, tc.want)
		}
	}
}
