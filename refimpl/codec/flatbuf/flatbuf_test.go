package flatbuf

import (
	"testing"

	"github.com/esbench/esbench/refimpl/codec"
	"github.com/esbench/esbench/refimpl/codec/internal/codectest"
	"github.com/esbench/esbench/refimpl/domain"
)

func newFlatbuf(t testing.TB) codec.Codec {
	t.Helper()
	return New()
}

func TestRoundTripFlatbuf(t *testing.T) { codectest.RoundTrip(t, newFlatbuf(t)) }

func TestRejectsFlatbuf(t *testing.T) { codectest.Rejects(t, newFlatbuf(t), false, true) }

func TestGoldenFlatbuf(t *testing.T) { codectest.Golden(t, newFlatbuf(t), "testdata/golden/flatbuf") }

func FuzzDecodeFlatbuf(f *testing.F) {
	c := newFlatbuf(f)
	codectest.FuzzSeeds(f, c)
	r := codectest.Registry(c)
	f.Fuzz(func(t *testing.T, data []byte) { codectest.FuzzDecode(t, r, c, data) })
}

// FlatBuffers has no length header, so truncation is only noticed when an
// accessor reaches past the end: every cut that removes field bytes must
// fail, while a cut inside the trailing string terminator and alignment
// padding (at most 4 bytes, never read) cannot be noticed.
func TestTruncatedFlatbuf(t *testing.T) {
	c := New()
	s := codectest.Samples()[4]
	b, err := c.Marshal(s.Value)
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < len(b)-4; n++ {
		cut := append([]byte(nil), b[:n]...)
		if err := c.Unmarshal(cut, codectest.Fresh(s.Value)); err == nil {
			t.Errorf("Unmarshal of the first %d of %d bytes succeeded; want an error", n, len(b))
		}
	}
}

func TestGrantedTitleID(t *testing.T) {
	c := New()
	for _, s := range codectest.Samples() {
		g, ok := s.Value.(*domain.DownloadGranted)
		if !ok {
			continue
		}
		b, err := c.Marshal(g)
		if err != nil {
			t.Fatal(err)
		}
		got, err := GrantedTitleID(b)
		if err != nil || string(got) != g.TitleID {
			t.Errorf("%s: GrantedTitleID = %q, %v; want %q", s.Name, got, err, g.TitleID)
		}
	}
	if _, err := GrantedTitleID([]byte{1, 2}); err == nil {
		t.Error("GrantedTitleID of 2 bytes succeeded; want an error")
	}
}
