package protobuf

import (
	"bytes"
	"reflect"
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

// An event decodes through a message on the stack (vtproto) or a pooled one
// (protobuf): Unmarshal allocates only the strings it copies out,
// UnmarshalAlias (UnmarshalVTUnsafe) nothing. sync.Pool drops items at
// random under the race detector, so this runs without it only.
func TestVTDecodeAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool is not reliable under -race")
	}
	codectest.DecodeAllocs(t, VT{},
		map[string]float64{"protobuf Unmarshal": 5, "Unmarshal": 5, "UnmarshalAlias": 0},
		map[string]func([]byte, any) error{"protobuf Unmarshal": Codec{}.Unmarshal, "Unmarshal": VT{}.Unmarshal,
			"UnmarshalAlias": VT{}.UnmarshalAlias})
}

// A pooled message keeps its repeated fields' capacity between decodes:
// decoding one snapshot after another must not leak the first's entries
// into the second.
func TestPooledSnapshotsDoNotLeak(t *testing.T) {
	var snaps []codectest.Sample
	for _, s := range codectest.Samples() {
		if direct(s.Value) {
			continue
		}
		snaps = append(snaps, s)
	}
	if len(snaps) < 2 {
		t.Fatalf("%d snapshot samples, want at least 2", len(snaps))
	}
	for _, c := range []codec.Codec{Codec{}, VT{}} {
		for _, a := range snaps {
			for _, b := range snaps {
				pa, err := c.Marshal(a.Value)
				if err != nil {
					t.Fatal(err)
				}
				pb, err := c.Marshal(b.Value)
				if err != nil {
					t.Fatal(err)
				}
				if err := c.Unmarshal(pa, codectest.Fresh(a.Value)); err != nil {
					t.Fatal(err)
				}
				got := codectest.Fresh(b.Value)
				if err := c.Unmarshal(pb, got); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, b.Value) {
					t.Errorf("%s: %s decoded after %s = %+v, want %+v", c.ID(), b.Name, a.Name, got, b.Value)
				}
			}
		}
	}
}

// direct reports whether v is an event (decoded without a pooled message).
func direct(v any) bool {
	ok, _ := decodeEventVT(nil, codectest.Fresh(v), false)
	return ok
}
