package avro

import (
	"reflect"
	"testing"

	"github.com/hamba/avro/v2"

	"github.com/esbench/esbench/refimpl/codec"
	"github.com/esbench/esbench/refimpl/codec/internal/codectest"
)

func newAvro(t testing.TB) codec.Codec {
	t.Helper()
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRoundTripAvro(t *testing.T) { codectest.RoundTrip(t, newAvro(t)) }

func TestRejectsAvro(t *testing.T) { codectest.Rejects(t, newAvro(t), true, true) }

func TestGoldenAvro(t *testing.T) { codectest.Golden(t, newAvro(t), "testdata/golden/avro") }

func FuzzDecodeAvro(f *testing.F) {
	c := newAvro(f)
	codectest.FuzzSeeds(f, c)
	r := codectest.Registry(c)
	f.Fuzz(func(t *testing.T, data []byte) { codectest.FuzzDecode(t, r, c, data) })
}

// Every event decodes straight into the domain value (readEvent) to the same
// value as through the library's own decoder and the wire mirror
// (DecodeResolved with the value's own schema as the writer's), and with no
// allocation but the value's.
func TestDirectMatchesMirror(t *testing.T) {
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	events := 0
	for _, s := range codectest.Samples() {
		b, err := c.Marshal(s.Value)
		if err != nil {
			t.Fatal(err)
		}
		schema, err := c.Schema(s.Value)
		if err != nil {
			t.Fatal(err)
		}
		direct, mirror := codectest.Fresh(s.Value), codectest.Fresh(s.Value)
		if err := c.Unmarshal(b, direct); err != nil {
			t.Fatal(err)
		}
		if err := c.DecodeResolved(schema, b, mirror); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(direct, mirror) || !reflect.DeepEqual(direct, s.Value) {
			t.Errorf("%s: direct %+v, mirror %+v, want %+v", s.Name, direct, mirror, s.Value)
		}
		r := avro.NewReader(nil, 0)
		r.Reset(b)
		if ok, _ := readEvent(r, codectest.Fresh(s.Value)); ok {
			events++
		}
	}
	if events < 12 {
		t.Fatalf("%d event samples decode directly, want every event type's", events)
	}
	if raceEnabled {
		return // sync.Pool (the readers) drops items at random under -race
	}
	s := codectest.Samples()[4] // DownloadGranted
	b, err := c.Marshal(s.Value)
	if err != nil {
		t.Fatal(err)
	}
	v := codectest.Fresh(s.Value)
	if n := testing.AllocsPerRun(100, func() {
		if err := c.Unmarshal(b, v); err != nil {
			t.Fatal(err)
		}
	}); n > 0.05 {
		// The strings come from the reader's slab, a block now and then.
		t.Errorf("Unmarshal of %s: %v allocations, want none", s.Name, n)
	}
}
