package codec

import (
	"encoding"
	"encoding/json"
	"reflect"
	"strconv"
	"sync"
	"time"
)

// Flat structs (every field a string, integer, bool or time.Time, no tags,
// nothing embedded), which every domain event is, are encoded by appending
// their fields directly: encoding/json spends most of an event's time in
// reflection and in time.Time's MarshalJSON, whose output it then
// re-validates. The bytes are exactly encoding/json's (the same field
// order, names, number and time formats and string escaping);
// TestAppendFlatJSONMatchesEncodingJSON holds them to it. Anything else,
// and any value whose strings or times need more than the plain case (an
// escape, a time zone, a year outside 0-9999), goes to encoding/json.

type flatKind uint8

const (
	flatString flatKind = iota
	flatInt
	flatUint
	flatBool
	flatTime
)

type flatField struct {
	index int
	kind  flatKind
	// prefix is what precedes the value: `{"Name":` for the first field,
	// `,"Name":` for the others.
	prefix string
}

// flatPlans memoizes each struct type's plan (nil: not flat), as
// encoding/json memoizes its encoders: a pure function of the type, so it
// never changes what Marshal returns.
var flatPlans sync.Map // reflect.Type -> []flatField

var timeType = reflect.TypeFor[time.Time]()

// flatPlan returns the fields of t in encoding/json's order, or false when
// t is not a flat struct.
func flatPlan(t reflect.Type) ([]flatField, bool) {
	if p, ok := flatPlans.Load(t); ok {
		plan := p.([]flatField)
		return plan, plan != nil
	}
	var plan []flatField
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			if f.Anonymous {
				plan = nil
				break
			}
			continue // encoding/json skips unexported fields
		}
		if f.Anonymous || f.Tag != "" || (f.Type != timeType && marshals(f.Type)) {
			plan = nil
			break
		}
		var k flatKind
		switch ft := f.Type; {
		case ft == timeType:
			k = flatTime
		case ft.Kind() == reflect.String:
			k = flatString
		case ft.Kind() >= reflect.Int && ft.Kind() <= reflect.Int64:
			k = flatInt
		case ft.Kind() >= reflect.Uint && ft.Kind() <= reflect.Uint64:
			k = flatUint
		case ft.Kind() == reflect.Bool:
			k = flatBool
		default:
			flatPlans.Store(t, []flatField(nil))
			return nil, false
		}
		sep := ","
		if len(plan) == 0 {
			sep = "{"
		}
		plan = append(plan, flatField{index: i, kind: k, prefix: sep + strconv.Quote(f.Name) + ":"})
	}
	if len(plan) == 0 || marshals(t) {
		plan = nil
	}
	flatPlans.Store(t, plan)
	return plan, plan != nil
}

var (
	marshalerType     = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

// marshals reports whether encoding/json would let t (or *t) encode itself.
func marshals(t reflect.Type) bool {
	pt := reflect.PointerTo(t)
	return t.Implements(marshalerType) || pt.Implements(marshalerType) ||
		t.Implements(textMarshalerType) || pt.Implements(textMarshalerType)
}

// appendFlatJSON appends encoding/json's encoding of v to b when v is a
// pointer to a flat struct whose values all take the plain case; false
// otherwise (b is then to be discarded).
func appendFlatJSON(b []byte, v any) ([]byte, bool) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return b, false
	}
	rv = rv.Elem()
	plan, ok := flatPlan(rv.Type())
	if !ok {
		return b, false
	}
	for _, f := range plan {
		b = append(b, f.prefix...)
		fv := rv.Field(f.index)
		switch f.kind {
		case flatString:
			if b, ok = appendPlainString(b, fv.String()); !ok {
				return b, false
			}
		case flatInt:
			b = strconv.AppendInt(b, fv.Int(), 10)
		case flatUint:
			b = strconv.AppendUint(b, fv.Uint(), 10)
		case flatBool:
			b = strconv.AppendBool(b, fv.Bool())
		case flatTime:
			if b, ok = appendPlainTime(b, fv.Addr().Interface().(*time.Time)); !ok {
				return b, false
			}
		}
	}
	return append(b, '}'), true
}

// appendPlainString appends s quoted when no byte of it needs escaping by
// encoding/json (printable ASCII other than `"`, `\` and the HTML
// characters `<`, `>` and `&`).
func appendPlainString(b []byte, s string) ([]byte, bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return b, false
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"'), true
}

// appendPlainTime appends what time.Time's MarshalJSON writes for a UTC
// time in years 0-9999 (RFC 3339 with nanoseconds, trailing zeros dropped,
// "Z"); other times are left to it.
func appendPlainTime(b []byte, t *time.Time) ([]byte, bool) {
	if y := t.Year(); y < 0 || y > 9999 {
		return b, false
	}
	if _, off := t.Zone(); off != 0 {
		return b, false
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"'), true
}
