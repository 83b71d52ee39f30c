package workload

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// FieldError is one problem with a workload file, located by file, line and
// field path (for example "arrival.rate").
type FieldError struct {
	File string
	// Line is 1-based; 0 when the field is not written in the file (a
	// default, or a value set after parsing such as a --shard flag).
	Line  int
	Field string
	Msg   string
	// Flag is the command-line flag ("--rate") the value came from, if any.
	Flag string
}

// Error renders "file:line: field a.b: message", or for a value from a
// flag "--flag (field a.b of file): message".
func (e *FieldError) Error() string {
	if e.Flag != "" {
		return fmt.Sprintf("%s (field %s of %s): %s", e.Flag, e.Field, e.File, e.Msg)
	}
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString("field ")
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// SpecError collects every problem found in one workload file, so a user
// can fix them all at once.
type SpecError struct {
	Errs []*FieldError
}

// Error lists the problems one per line.
func (e *SpecError) Error() string {
	parts := make([]string, len(e.Errs))
	for i, fe := range e.Errs {
		parts[i] = fe.Error()
	}
	return strings.Join(parts, "\n")
}

// Unwrap exposes the individual errors to errors.Is/As.
func (e *SpecError) Unwrap() []error {
	out := make([]error, len(e.Errs))
	for i, fe := range e.Errs {
		out[i] = fe
	}
	return out
}

// source remembers where a Spec came from so validation after parsing (for
// example after a --shard override) still names the file and line.
type source struct {
	file string
	// lines maps a field path ("arrival.stages[1].rate") to its line.
	lines map[string]int
	// flags maps a field path to the command-line flag that set it.
	flags map[string]string
}

// SetByFlag records that field (a path such as "arrival.rate") was set by
// the command-line flag, so Validate names the flag rather than the file's
// line for a bad value.
func (s *Spec) SetByFlag(field, flag string) {
	if s.src == nil {
		s.src = &source{file: "workload " + strconv.Quote(s.Name), lines: map[string]int{}}
	}
	if s.src.flags == nil {
		s.src.flags = map[string]string{}
	}
	s.src.flags[field] = flag
}

// LoadFile reads and validates a workload file.
func LoadFile(path string) (*Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("workload file: %w", err)
	}
	return Parse(path, data)
}

// Parse reads a workload file's contents over the defaults and validates the
// result. name is used in error messages and, without a name: key, as the
// workload's name (its base name without extension).
func Parse(name string, data []byte) (*Spec, error) {
	src := &source{file: name, lines: map[string]int{}}
	fail := func(line int, field, msg string) error {
		return &SpecError{Errs: []*FieldError{{File: name, Line: line, Field: field, Msg: msg}}}
	}
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, fail(errLine(err), "", "invalid YAML: "+errMessage(err))
	}
	spec := DefaultSpec()
	spec.Name = strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))
	spec.src = src
	var body ast.Node
	switch len(file.Docs) {
	case 0:
	case 1:
		body = file.Docs[0].Body
	default:
		return nil, fail(file.Docs[1].Body.GetToken().Position.Line, "", "a workload file holds one YAML document")
	}
	if body == nil {
		// Running the defaults under this file's name would be a run nobody
		// asked for.
		return nil, fail(0, "", "the workload file is empty (no fields, only comments or blank lines); write at least name: and experiment:, or use a preset ("+strings.Join(Presets(), ", ")+")")
	}
	{
		var errs []*FieldError
		checkNode(src, "", reflect.TypeOf(spec), body, &errs)
		if len(errs) > 0 {
			return nil, &SpecError{Errs: errs}
		}
		if _, ok := src.lines["mix"]; ok {
			spec.Mix = MixSpec{}
		}
		if _, ok := src.lines["sweep.intervals"]; ok {
			spec.Sweep.Intervals = nil
		}
		if _, ok := src.lines["sweep.histories"]; ok {
			spec.Sweep.Histories = nil
		}
		if err := yaml.NodeToValue(body, &spec, yaml.Strict()); err != nil {
			return nil, fail(errLine(err), "", errMessage(err))
		}
	}
	spec.resolve()
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	return &spec, nil
}

func errLine(err error) int {
	var ye yaml.Error
	if errors.As(err, &ye) && ye.GetToken() != nil {
		return ye.GetToken().Position.Line
	}
	return 0
}

func errMessage(err error) string {
	var ye yaml.Error
	if errors.As(err, &ye) {
		return ye.GetMessage()
	}
	return err.Error()
}

// Marshal renders a Spec as YAML: a resolved workload that Parse reads back
// to the same Spec.
func Marshal(s *Spec) ([]byte, error) {
	out, err := yaml.MarshalWithOptions(s, yaml.UseLiteralStyleIfMultiline(true))
	if err != nil {
		return nil, fmt.Errorf("render workload %q: %w", s.Name, err)
	}
	return out, nil
}

var (
	durationType = reflect.TypeOf(time.Duration(0))
	timeType     = reflect.TypeOf(time.Time{})
)

// checkNode walks the YAML tree against the Spec's Go type before decoding,
// so an unknown key or a wrong type is reported with its full field path and
// line (the decoder alone reports neither the path nor a float written into
// an integer field, which it truncates).
func checkNode(src *source, path string, t reflect.Type, n ast.Node, errs *[]*FieldError) {
	n = unwrap(n)
	line := 0
	if tk := n.GetToken(); tk != nil {
		line = tk.Position.Line
	}
	if path != "" {
		if _, seen := src.lines[path]; !seen {
			src.lines[path] = line
		}
	}
	add := func(msg string) {
		l, ok := src.lines[path]
		if !ok {
			l = line
		}
		*errs = append(*errs, &FieldError{File: src.file, Line: l, Field: path, Msg: msg})
	}
	if _, ok := n.(*ast.AliasNode); ok {
		return // resolved by the decoder; its anchor was checked where defined
	}
	if n.Type() == ast.NullType {
		add("has no value")
		return
	}
	switch {
	case t == durationType:
		s, ok := scalarString(n)
		if !ok {
			add(fmt.Sprintf("want a duration such as 10s, got %s", describe(n)))
			return
		}
		if _, err := time.ParseDuration(s); err != nil {
			add(fmt.Sprintf("want a duration such as 10s, got %q", s))
		}
		return
	case t == timeType:
		s, ok := scalarString(n)
		if !ok {
			add(fmt.Sprintf("want an RFC 3339 time, got %s", describe(n)))
			return
		}
		if _, err := time.Parse(time.RFC3339, s); err != nil {
			add(fmt.Sprintf("want an RFC 3339 time such as 2026-01-01T00:00:00Z, got %q", s))
		}
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		values, ok := mappingValues(n)
		if !ok {
			add(fmt.Sprintf("want a mapping, got %s", describe(n)))
			return
		}
		for _, mv := range values {
			key := mv.Key.GetToken().Value
			fpath := key
			if path != "" {
				fpath = path + "." + key
			}
			f, ok := fieldByTag(t, key)
			if !ok {
				src.lines[fpath] = mv.Key.GetToken().Position.Line
				*errs = append(*errs, &FieldError{File: src.file, Line: src.lines[fpath], Field: fpath,
					Msg: fmt.Sprintf("unknown field (known: %s)", strings.Join(knownTags(t), ", "))})
				continue
			}
			src.lines[fpath] = mv.Key.GetToken().Position.Line
			checkNode(src, fpath, f.Type, mv.Value, errs)
		}
	case reflect.Slice:
		seq, ok := n.(*ast.SequenceNode)
		if !ok {
			add(fmt.Sprintf("want a list, got %s", describe(n)))
			return
		}
		for i, v := range seq.Values {
			checkNode(src, fmt.Sprintf("%s[%d]", path, i), t.Elem(), v, errs)
		}
	case reflect.Int, reflect.Int64:
		if _, ok := n.(*ast.IntegerNode); !ok {
			add(fmt.Sprintf("want an integer, got %s", describe(n)))
		}
	case reflect.Uint64:
		in, ok := n.(*ast.IntegerNode)
		if !ok {
			if tk := n.GetToken(); tk != nil && tk.Value != "" && strings.Trim(tk.Value, "0123456789") == "" {
				add(fmt.Sprintf("want an integer in [0, 2^64), got %s", tk.Value))
				return
			}
			add(fmt.Sprintf("want a non-negative integer, got %s", describe(n)))
			return
		}
		v := strings.ReplaceAll(strings.TrimSpace(in.GetToken().Value), "_", "")
		if strings.HasPrefix(v, "-") {
			add(fmt.Sprintf("must be ≥ 0, got %s", v))
		} else if _, err := strconv.ParseUint(strings.TrimPrefix(v, "+"), 0, 64); err != nil {
			add(fmt.Sprintf("want an integer in [0, 2^64), got %s", v))
		}
	case reflect.Float64:
		switch n.(type) {
		case *ast.IntegerNode, *ast.FloatNode:
		default:
			add(fmt.Sprintf("want a number, got %s", describe(n)))
		}
	case reflect.Bool:
		if _, ok := n.(*ast.BoolNode); !ok {
			add(fmt.Sprintf("want true or false, got %s", describe(n)))
		}
	case reflect.String:
		if _, ok := scalarString(n); !ok {
			add(fmt.Sprintf("want a string, got %s", describe(n)))
		}
	}
}

func unwrap(n ast.Node) ast.Node {
	for {
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.TagNode:
			n = v.Value
		default:
			return n
		}
	}
}

func mappingValues(n ast.Node) ([]*ast.MappingValueNode, bool) {
	switch m := n.(type) {
	case *ast.MappingNode:
		return m.Values, true
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{m}, true
	}
	return nil, false
}

func scalarString(n ast.Node) (string, bool) {
	switch n.(type) {
	case *ast.StringNode, *ast.LiteralNode, *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode:
		return n.GetToken().Value, true
	}
	if n.Type() == ast.StringType {
		return n.GetToken().Value, true
	}
	return "", false
}

func describe(n ast.Node) string {
	switch n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	}
	if tk := n.GetToken(); tk != nil {
		return strconv.Quote(tk.Value)
	}
	return n.Type().String()
}

func fieldByTag(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if tagName(f) == key {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

func knownTags(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		if name := tagName(t.Field(i)); name != "" {
			out = append(out, name)
		}
	}
	return out
}

func tagName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	tag := f.Tag.Get("yaml")
	name, _, _ := strings.Cut(tag, ",")
	if name == "-" {
		return ""
	}
	return name
}
