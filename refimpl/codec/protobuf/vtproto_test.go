package protobuf

import (
	"bytes"
	"testing"

	"github.com/esbench/esbench/refimpl/codec"
	"github.com/esbench/esbench/refimpl/codec/internal/codectest"
)

func newVT(testing.TB) codec.Codec { return VT{} }

func TestRoundTripVT(t *testing.T) { codectest.RoundTrip(t, newVT(t)) }

func TestRejectsVT(t *testing.T) { codectest.Rejects(t, newVT(t), false, true) }

// The vtproto codec has no golden files of its own: its payloads must be
// byte-identical to the protobuf codec's, so it decodes those.
func TestGoldenVT(t *testing.T) { codectest.Golden(t, newVT(t), "testdata/golden/protobuf") }

func TestVTSameBytesAsProtobuf(t *testing.T) {
	for _, s := range codectest.Samples() {
		a, err := Codec{}.Marshal(s.Value)
		if err != nil {
			t.Fatal(err)
		}
		b, err := VT{}.Marshal(s.Value)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s: protobuf %x != vtproto %x", s.Name, a, b)
		}
	}
}

func FuzzDecodeVTProto(f *testing.F) {
	c := newVT(f)
	codectest.FuzzSeeds(f, c)
	r := codectest.Registry(c)
	f.Fuzz(func(t *testing.T, data []byte) { codectest.FuzzDecode(t, r, c, data) })
}

// Decoding reuses a pooled message: Unmarshal allocates only the strings it
// copies out, UnmarshalAlias (UnmarshalVTUnsafe) nothing. sync.Pool drops
// items at random under the race detector, so this runs without it only.
func TestVTDecodeAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool is not reliable under -race")
	}
	s := codectest.Samples()[4] // DownloadGranted: five strings
	b, err := VT{}.Marshal(s.Value)
	if err != nil {
		t.Fatal(err)
	}
	v := codectest.Fresh(s.Value)
	for _, tc := range []struct {
		name   string
		decode func([]byte, any) error
		want   float64
	}{{"protobuf Unmarshal", Codec{}.Unmarshal, 5}, {"Unmarshal", VT{}.Unmarshal, 5}, {"UnmarshalAlias", VT{}.UnmarshalAlias, 0}} {
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
