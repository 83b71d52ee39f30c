package msgp

import (
	"testing"

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
