package binary

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/esbench/esbench/refimpl/codec"
	"github.com/esbench/esbench/refimpl/codec/internal/codectest"
	"github.com/esbench/esbench/refimpl/domain"
)

func newBinary(t testing.TB) codec.Codec {
	t.Helper()
	return Codec{}
}

func TestRoundTripBinary(t *testing.T) { codectest.RoundTrip(t, newBinary(t)) }

func TestRejectsBinary(t *testing.T) { codectest.Rejects(t, newBinary(t), true, true) }

func TestGoldenBinary(t *testing.T) { codectest.Golden(t, newBinary(t), "testdata/golden/binary") }

func FuzzDecodeBinary(f *testing.F) {
	c := newBinary(f)
	codectest.FuzzSeeds(f, c)
	r := codectest.Registry(c)
	f.Fuzz(func(t *testing.T, data []byte) { codectest.FuzzDecode(t, r, c, data) })
}

// The copying decode allocates once for all of an event's strings, the
// aliasing one not at all.
func TestBinaryDecodeAllocations(t *testing.T) {
	codectest.DecodeAllocs(t, Codec{},
		map[string]float64{"Unmarshal": 1, "UnmarshalAlias": 0},
		map[string]func([]byte, any) error{"Unmarshal": Codec{}.Unmarshal, "UnmarshalAlias": Codec{}.UnmarshalAlias})
}

// TestAccountSnapshotTitleYears: the title counts, decoded in one loop of
// their own, decode like every other field: each cut of the payload is an
// error (naming a TitleYears field when the cut falls among them), a title
// id that is not UTF-8 is refused, and one that is UTF-8 but not ASCII
// decodes.
func TestAccountSnapshotTitleYears(t *testing.T) {
	snap := &domain.AccountSnapshot{CustomerID: "c", Plan: "basic", LatestYear: 2025, TitleYears: []domain.TitleYearCount{
		{TitleID: "t1", Year: 2025, Count: 1}, {TitleID: "t2-é", Year: -3, Count: 1 << 40}, {TitleID: "", Year: 2025, Count: 2}}}
	b, err := Codec{}.Marshal(snap)
	if err != nil {
		t.Fatal(err)
	}
	var got domain.AccountSnapshot
	if err := (Codec{}).Unmarshal(b, &got); err != nil || !reflect.DeepEqual(&got, snap) {
		t.Fatalf("round trip = %+v, %v; want %+v", got, err, snap)
	}
	// The counts start after the customer, plan, time and the two empty
	// collections' counts: 2+6+8+1+1 bytes, with their own count.
	start := 2 + 6 + 8 + 1 + 1
	if b[start] != 3 || string(b[start+2:start+4]) != "t1" {
		t.Fatalf("layout assumption wrong: % x", b[:start+4])
	}
	for n := range len(b) {
		for name, decode := range map[string]func([]byte, any) error{"Unmarshal": Codec{}.Unmarshal, "UnmarshalAlias": Codec{}.UnmarshalAlias} {
			err := decode(append([]byte(nil), b[:n]...), new(domain.AccountSnapshot))
			if err == nil {
				t.Fatalf("%s of the first %d of %d bytes succeeded", name, n, len(b))
			}
			// After the counts: LatestYear (2 bytes) and six 1-byte fields.
			if n >= start && n < len(b)-8 && !strings.Contains(err.Error(), "field TitleYears") {
				t.Errorf("%s cut at %d: %v does not name a TitleYears field", name, n, err)
			}
		}
	}
	bad := bytes.Replace(b, []byte("t2-é"), []byte("t2-\xff\xfe"), 1)
	if err := (Codec{}).UnmarshalAlias(bad, new(domain.AccountSnapshot)); err == nil || !strings.Contains(err.Error(), "TitleYears.TitleID: invalid UTF-8") {
		t.Fatalf("a title id that is not UTF-8: %v", err)
	}
}
