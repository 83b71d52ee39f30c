package evolution

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestGolden(t *testing.T) {
	if os.Getenv("ESBENCH_UPDATE_GOLDEN") == "1" {
		if err := WriteGolden("testdata"); err != nil {
			t.Fatal(err)
		}
	}
	fs, err := formats()
	if err != nil {
		t.Fatal(err)
	}
	// Every golden payload decodes into its own version unchanged.
	for _, f := range fs {
		for _, v := range []any{oldValue(), newValue()} {
			b, err := goldenFS.ReadFile(goldenName(f.id(), v))
			if err != nil {
				t.Fatalf("%s: %v", f.id(), err)
			}
			got := reflect.New(reflect.TypeOf(v).Elem()).Interface()
			if err := f.decode(b, v, got); err != nil {
				t.Fatalf("%s: decode golden %T: %v", f.id(), v, err)
			}
			if d := diff(got, v); d != "" {
				t.Fatalf("%s: golden %T decodes with %s", f.id(), v, d)
			}
		}
	}
}

// The matrix must show each codec's known semantics. A change to a codec,
// its options or a golden payload that moves a cell fails here.
func TestMatrixMatchesKnownSemantics(t *testing.T) {
	m, err := Compute()
	if err != nil {
		t.Fatal(err)
	}
	P, U, L, S := Pass, UpcasterNeeded, LoudError, SilentCorruption
	want := map[string][5]Outcome{ // add, remove, rename, widen, old reader
		// Names on the wire: a renamed field is not found and silently
		// keeps its zero value; everything else is tolerated.
		"json": {P, P, S, P, P},
		"gob":  {P, P, S, P, P},
		"msgp": {P, P, S, P, P},
		// Field numbers / integer keys survive every change, int32 and
		// int64 share the varint encoding.
		"protobuf": {P, P, P, P, P},
		"vtproto":  {P, P, P, P, P},
		"cbor":     {P, P, P, P, P},
		// Writer/reader resolution with a default and an alias.
		"avro": {P, P, P, P, P},
		// Slots in the vtable: appended and deprecated fields and renames
		// are fine; a widened field reads 8 bytes where 4 were written.
		"flatbuf": {P, P, P, S, P},
		// Position only: an inserted or removed field shifts every later
		// field. Widening passes only because ints are varints.
		"binary": {U, U, P, P, L},
	}
	if len(m.Codecs) != len(want) {
		t.Fatalf("matrix has codecs %v, want %d", m.Codecs, len(want))
	}
	for codecID, outs := range want {
		for i, c := range Cases() {
			cell, ok := m.Cell(codecID, c)
			if !ok {
				t.Fatalf("no cell for %s / %s", codecID, c)
			}
			if cell.Outcome != outs[i] {
				t.Errorf("%s / %s = %s (%s), want %s", codecID, c, cell.Outcome, cell.Detail, outs[i])
			}
			if cell.Outcome == S && cell.Detail == "" {
				t.Errorf("%s / %s: silent corruption without the differing values", codecID, c)
			}
		}
	}
}

// Classification is by value: a decode that returns no error but a wrong
// value is silent corruption, never a pass.
func TestClassifyComparesValues(t *testing.T) {
	lying := lyingFormat{}
	c := cases()[0]
	cell := classify(lying, c, nil)
	if cell.Outcome != SilentCorruption || !strings.Contains(cell.Detail, "Count") {
		t.Fatalf("classify = %+v, want silent corruption naming Count", cell)
	}
}

// lyingFormat decodes anything without error into a wrong value.
type lyingFormat struct{}

func (lyingFormat) id() string                 { return "liar" }
func (lyingFormat) encode(any) ([]byte, error) { return nil, nil }
func (lyingFormat) decode(_ []byte, _, r any) error {
	*r.(*Added) = Added{ID: "acct-7", Count: 1, Note: "keep me"}
	return nil
}

func TestMarkdown(t *testing.T) {
	m, err := Compute()
	if err != nil {
		t.Fatal(err)
	}
	md := m.Markdown()
	for _, want := range []string{"| codec |", "| json |", "rename field", "silent corruption", "binary, add field: upcaster needed"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}
