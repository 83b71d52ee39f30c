// Package evolution computes the schema evolution matrix: for every codec
// and every schema change (add, remove, rename, widen a field; read new data
// with an old reader) it decodes a committed golden payload of the writer's
// version with the reader's version and classifies what happened by
// comparing values, never by the absence of an error alone.
//
// Outcomes, precisely:
//   - pass: the codec decodes the other version's payload into the reader's
//     type with no error, and every value equals the expected one (carried
//     fields keep their value, renamed fields carry the old value, added
//     fields hold their zero/default value).
//   - silent corruption: the decode returns no error but at least one value
//     differs from the expected one: a value lost to a default, or landed in
//     the wrong field. Nothing tells the reader.
//   - upcaster needed: the decode fails loudly, and the same payload decoded
//     through codec.Registry as the old schema version plus a registered
//     upcaster to the new one gives exactly the expected values. The fix is
//     to bump the schema version in the envelope.
//   - loud error: the decode fails and no upcaster can help, because the
//     reader is older than the writer (an old binary does not know the new
//     version) or the upcaster path fails too.
//
// Each codec's change follows that codec's own evolution rules where it has
// them: protobuf gives a new field a new number and reserves a removed one;
// FlatBuffers appends a new field to the table and deprecates a removed one;
// Avro gives a new field a default and a renamed field an alias, and always
// resolves the writer schema against the reader schema; CBOR keys are
// integers that survive a rename. JSON, gob and MessagePack key fields by
// name, and the fixed binary layout by position, so for them the change is
// simply the edit of the Go struct (a new field inserted in the middle).
package evolution

import (
	"embed"
	"fmt"
	"path"
	"reflect"
	"strings"

	"github.com/esbench/esbench/refimpl/codec"
)

// Outcome classifies one cell of the matrix.
type Outcome string

// The four outcomes (see the package doc for the exact rules).
const (
	Pass             Outcome = "pass"
	UpcasterNeeded   Outcome = "upcaster needed"
	LoudError        Outcome = "loud error"
	SilentCorruption Outcome = "silent corruption"
)

// Cell is the outcome of one codec on one case, with the error or the
// differing values as Detail.
type Cell struct {
	Codec   string  `json:"codec"`
	Case    string  `json:"case"`
	Outcome Outcome `json:"outcome"`
	Detail  string  `json:"detail,omitempty"`
}

// Matrix is every cell, codecs in catalog order and cases in Cases order.
type Matrix struct {
	Codecs []string `json:"codecs"`
	Cases  []string `json:"cases"`
	Cells  []Cell   `json:"cells"`
}

// Cell returns the cell of codec and case.
func (m Matrix) Cell(codecID, caseName string) (Cell, bool) {
	for _, c := range m.Cells {
		if c.Codec == codecID && c.Case == caseName {
			return c, true
		}
	}
	return Cell{}, false
}

// Case names.
const (
	CaseAdd     = "add field"
	CaseRemove  = "remove field"
	CaseRename  = "rename field"
	CaseWiden   = "widen int32 to int64"
	CaseOldRead = "new data, old reader"
)

// Cases lists the case names in matrix order.
func Cases() []string { return []string{CaseAdd, CaseRemove, CaseRename, CaseWiden, CaseOldRead} }

// The values the golden payloads were written from.
func oldValue() *V1 { return &V1{ID: "acct-7", Count: -1000003, Note: "keep me"} }

func newValue() *Added {
	return &Added{ID: "acct-7", Extra: "new value", Count: -1000003, Note: "keep me"}
}

type evoCase struct {
	name   string
	writer any           // the value the golden payload holds
	reader func() any    // a fresh value of the reader's version
	want   any           // what the reader must see
	upcast func(*V1) any // old -> new; nil when the reader is the old version
}

func cases() []evoCase {
	o := oldValue()
	return []evoCase{
		{CaseAdd, o, func() any { return new(Added) }, &Added{ID: o.ID, Count: o.Count, Note: o.Note},
			func(v *V1) any { return &Added{ID: v.ID, Count: v.Count, Note: v.Note} }},
		{CaseRemove, o, func() any { return new(Removed) }, &Removed{ID: o.ID, Note: o.Note},
			func(v *V1) any { return &Removed{ID: v.ID, Note: v.Note} }},
		{CaseRename, o, func() any { return new(Renamed) }, &Renamed{ID: o.ID, Total: o.Count, Note: o.Note},
			func(v *V1) any { return &Renamed{ID: v.ID, Total: v.Count, Note: v.Note} }},
		{CaseWiden, o, func() any { return new(Widened) }, &Widened{ID: o.ID, Count: int64(o.Count), Note: o.Note},
			func(v *V1) any { return &Widened{ID: v.ID, Count: int64(v.Count), Note: v.Note} }},
		{CaseOldRead, newValue(), func() any { return new(V1) }, oldValue(), nil},
	}
}

//go:embed testdata
var goldenFS embed.FS

// goldenName is the file of the payload of writer (a *V1 or *Added) for a
// codec, under testdata.
func goldenName(codecID string, writer any) string {
	return path.Join("testdata", codecID, reflect.TypeOf(writer).Elem().Name()+".bin")
}

// Compute builds the matrix from the committed golden payloads.
func Compute() (Matrix, error) {
	fs, err := formats()
	if err != nil {
		return Matrix{}, err
	}
	m := Matrix{Cases: Cases()}
	for _, f := range fs {
		m.Codecs = append(m.Codecs, f.id())
		for _, c := range cases() {
			payload, err := goldenFS.ReadFile(goldenName(f.id(), c.writer))
			if err != nil {
				return Matrix{}, fmt.Errorf("evolution: golden payload: %w", err)
			}
			m.Cells = append(m.Cells, classify(f, c, payload))
		}
	}
	return m, nil
}

func classify(f format, c evoCase, payload []byte) Cell {
	cell := Cell{Codec: f.id(), Case: c.name}
	got := c.reader()
	err := f.decode(payload, c.writer, got)
	if err == nil {
		if d := diff(got, c.want); d != "" {
			cell.Outcome, cell.Detail = SilentCorruption, d
			return cell
		}
		cell.Outcome = Pass
		return cell
	}
	cell.Detail = err.Error()
	if c.upcast == nil {
		cell.Outcome = LoudError
		return cell
	}
	v, uerr := viaUpcaster(f, c, payload)
	if uerr != nil {
		cell.Outcome, cell.Detail = LoudError, fmt.Sprintf("%v; via upcaster: %v", err, uerr)
		return cell
	}
	if d := diff(v, c.want); d != "" {
		cell.Outcome, cell.Detail = LoudError, fmt.Sprintf("%v; via upcaster: %s", err, d)
		return cell
	}
	cell.Outcome = UpcasterNeeded
	return cell
}

// viaUpcaster decodes payload the way a versioned reader does: the envelope
// says schema version 1, the registry decodes it as V1 and runs the
// upcaster to version 2.
func viaUpcaster(f format, c evoCase, payload []byte) (any, error) {
	reg := codec.NewRegistry(formatCodec{f})
	reg.Register("Evo", 1, func() any { return new(V1) }, func(old any) (any, error) {
		v, ok := old.(*V1)
		if !ok {
			return nil, fmt.Errorf("upcaster got %T", old)
		}
		return c.upcast(v), nil
	})
	reg.Register("Evo", 2, c.reader, nil)
	return reg.Decode(codec.Envelope{Type: "Evo", SchemaVersion: 1, Codec: f.id(), Payload: payload})
}

// formatCodec adapts a format to codec.Codec for the registry: each value
// is decoded with its own version's schema.
type formatCodec struct{ f format }

func (c formatCodec) ID() string                         { return c.f.id() }
func (c formatCodec) Marshal(v any) ([]byte, error)      { return c.f.encode(v) }
func (c formatCodec) Unmarshal(data []byte, v any) error { return c.f.decode(data, v, v) }

// diff lists the fields whose values differ, "" when all are equal.
func diff(got, want any) string {
	g, w := reflect.ValueOf(got).Elem(), reflect.ValueOf(want).Elem()
	if g.Type() != w.Type() {
		return fmt.Sprintf("decoded a %s, want a %s", g.Type(), w.Type())
	}
	var out []string
	for i := 0; i < g.NumField(); i++ {
		if !reflect.DeepEqual(g.Field(i).Interface(), w.Field(i).Interface()) {
			out = append(out, fmt.Sprintf("%s = %#v, want %#v", g.Type().Field(i).Name, g.Field(i).Interface(), w.Field(i).Interface()))
		}
	}
	return strings.Join(out, "; ")
}

// Markdown renders the matrix as a table (codecs as rows), followed by the
// detail of every cell that did not pass.
func (m Matrix) Markdown() string {
	var b strings.Builder
	b.WriteString("| codec |")
	for _, c := range m.Cases {
		b.WriteString(" " + c + " |")
	}
	b.WriteString("\n|---|")
	for range m.Cases {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, id := range m.Codecs {
		b.WriteString("| " + id + " |")
		for _, c := range m.Cases {
			cell, _ := m.Cell(id, c)
			b.WriteString(" " + string(cell.Outcome) + " |")
		}
		b.WriteString("\n")
	}
	var notes []string
	for _, cell := range m.Cells {
		if cell.Outcome != Pass {
			notes = append(notes, fmt.Sprintf("- %s, %s: %s — %s", cell.Codec, cell.Case, cell.Outcome, oneLine(cell.Detail)))
		}
	}
	if len(notes) > 0 {
		b.WriteString("\n" + strings.Join(notes, "\n") + "\n")
	}
	return b.String()
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
