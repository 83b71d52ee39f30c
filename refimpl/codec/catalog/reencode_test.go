package catalog

import (
	"reflect"
	"strings"
	"testing"

	"github.com/esbench/esbench/refimpl/codec/binary"
	"github.com/esbench/esbench/refimpl/codec/internal/codectest"
	"github.com/esbench/esbench/refimpl/domain"
)

// TestReencodeBinaryDecodedSnapshot: an account snapshot the binary codec
// decoded holds its title counts as a block and its denials as an
// undecoded list. Every schema-driven codec encodes such a value with all
// its counts and denials; JSON and gob, which see only exported fields,
// need AccountSnapshot.Decoded first (docs/design.md §5), and do with it.
func TestReencodeBinaryDecodedSnapshot(t *testing.T) {
	want := codectest.Samples()[len(codectest.Samples())-4].Value.(*domain.AccountSnapshot)
	if len(want.TitleYears) == 0 || len(want.Denials) == 0 {
		t.Fatalf("sample %+v has no counts or denials", want)
	}
	b, err := binary.Codec{}.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	var dec domain.AccountSnapshot
	if err := (binary.Codec{}).Unmarshal(b, &dec); err != nil {
		t.Fatal(err)
	}
	if dec.TitleBlock().Len() == 0 || dec.DenialList() == nil {
		t.Fatal("the binary codec no longer leaves a block and a list; this test has nothing to check")
	}
	all, err := All()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range all {
		v := &dec
		if base, _, _ := strings.Cut(c.ID(), "+"); base == "json" || base == "gob" {
			v = dec.Decoded()
		}
		out, err := c.Marshal(v)
		if err != nil {
			t.Fatalf("%s: %v", c.ID(), err)
		}
		got := new(domain.AccountSnapshot)
		if err := c.Unmarshal(out, got); err != nil {
			t.Fatalf("%s: %v", c.ID(), err)
		}
		if !reflect.DeepEqual(got.Decoded(), want) {
			t.Errorf("%s: re-encoding a binary-decoded snapshot gave\n %+v\nwant %+v", c.ID(), got.Decoded(), want)
		}
	}
}
