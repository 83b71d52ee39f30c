package msgp

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/tinylib/msgp/msgp"

	"github.com/esbench/esbench/refimpl/codec"
	"github.com/esbench/esbench/refimpl/codec/internal/codectest"
)

func newMsgp(t testing.TB) codec.Codec {
	t.Helper()
	return Codec{}
}

func TestRoundTripMsgp(t *testing.T) { codectest.RoundTrip(t, newMsgp(t)) }

func TestRejectsMsgp(t *testing.T) { codectest.Rejects(t, newMsgp(t), true, true) }

func TestGoldenMsgp(t *testing.T) { codectest.Golden(t, newMsgp(t), "testdata/golden/msgp") }

func FuzzDecodeMsgp(f *testing.F) {
	c := newMsgp(f)
	codectest.FuzzSeeds(f, c)
	r := codectest.Registry(c)
	f.Fuzz(func(t *testing.T, data []byte) { codectest.FuzzDecode(t, r, c, data) })
}

// The structs msgp decodes events into directly must write the very bytes
// the wire mirrors write, so they read every payload the mirrors wrote.
func TestDirectSameBytesAsMirrors(t *testing.T) {
	types := map[string]bool{}
	for _, s := range codectest.Samples() {
		u := direct(s.Value)
		if u == nil {
			continue
		}
		types[fmt.Sprintf("%T", s.Value)] = true
		want, err := Codec{}.Marshal(s.Value)
		if err != nil {
			t.Fatal(err)
		}
		got, err := u.(msgp.Marshaler).MarshalMsg(nil)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: direct %x, mirror %x", s.Name, got, want)
		}
	}
	if len(types) != 12 {
		t.Fatalf("%d event types decode directly, want all 12", len(types))
	}
}

// An event decodes with no allocation but its strings (no mirror).
func TestMsgpDecodeAllocations(t *testing.T) {
	codectest.DecodeAllocs(t, Codec{}, map[string]float64{"Unmarshal": 5},
		map[string]func([]byte, any) error{"Unmarshal": Codec{}.Unmarshal})
}
