package binary

import (
	"bytes"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/esbench/esbench/refimpl/codec"
	"github.com/esbench/esbench/refimpl/codec/compress"
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

// TestAccountSnapshotTitleBlock: since schema version 2 the title counts
// are one domain.TitleBlock. Counts in any order encode sorted, decode into
// the snapshot's block (none into TitleYears), and re-encode from the block
// to the same bytes; every cut of the payload is an error, naming the
// TitleYears field when the cut falls in the block; a bad block is refused
// with the block's own error; a count the layout cannot hold is an encode
// error.
func TestAccountSnapshotTitleBlock(t *testing.T) {
	snap := &domain.AccountSnapshot{CustomerID: "c", Plan: "basic", LatestYear: 2025, TitleYears: []domain.TitleYearCount{
		{TitleID: "t1", Year: 2025, Count: 1}, {TitleID: "t2-é", Year: -3, Count: 1 << 31}, {TitleID: "", Year: 2025, Count: 2}}}
	want := []domain.TitleYearCount{{TitleID: "t2-é", Year: -3, Count: 1 << 31}, {TitleID: "", Year: 2025, Count: 2}, {TitleID: "t1", Year: 2025, Count: 1}}
	b, err := Codec{}.Marshal(snap)
	if err != nil {
		t.Fatal(err)
	}
	for name, decode := range map[string]func([]byte, any) error{"Unmarshal": Codec{}.Unmarshal, "UnmarshalAlias": Codec{}.UnmarshalAlias} {
		var got domain.AccountSnapshot
		if err := decode(append([]byte(nil), b...), &got); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got.TitleYears != nil || got.TitleBlock().Len() != 3 || !reflect.DeepEqual(got.TitleYearCounts(), want) {
			t.Fatalf("%s: TitleYears %v, block of %d = %v; want the block %v", name, got.TitleYears, got.TitleBlock().Len(), got.TitleYearCounts(), want)
		}
		again, err := Codec{}.Marshal(&got)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("%s: re-encoding the decoded block: %v\n got % x\nwant % x", name, err, again, b)
		}
	}
	// The block starts after the customer, plan, time and the two empty
	// collections' counts (2+6+8+1+1 bytes), with its uvarint length.
	start := 2 + 6 + 8 + 1 + 1
	n := int(b[start])
	if n != 4+3*12+len("t2-ét1") || b[start+1] != 3 {
		t.Fatalf("layout assumption wrong: % x", b[:start+2])
	}
	for cut := range len(b) {
		for name, decode := range map[string]func([]byte, any) error{"Unmarshal": Codec{}.Unmarshal, "UnmarshalAlias": Codec{}.UnmarshalAlias} {
			err := decode(append([]byte(nil), b[:cut]...), new(domain.AccountSnapshot))
			if err == nil {
				t.Fatalf("%s of the first %d of %d bytes succeeded", name, cut, len(b))
			}
			if cut >= start && cut <= start+n && !strings.Contains(err.Error(), "field TitleYears") {
				t.Errorf("%s cut at %d: %v does not name the TitleYears field", name, cut, err)
			}
		}
	}
	bad := bytes.Replace(b, []byte("t2-é"), []byte("t2-\xff\xfe"), 1)
	if err := (Codec{}).UnmarshalAlias(bad, new(domain.AccountSnapshot)); err == nil || !strings.Contains(err.Error(), "field TitleYears: bad title-count block: title ids are not UTF-8") {
		t.Fatalf("a title id that is not UTF-8: %v", err)
	}
	if _, err := (Codec{}).Marshal(&domain.AccountSnapshot{TitleYears: []domain.TitleYearCount{{TitleID: "t", Year: 2025, Count: 1 << 40}}}); err == nil ||
		!strings.Contains(err.Error(), "count 1099511627776, at most 4294967295") {
		t.Fatalf("a count over 32 bits: %v", err)
	}
	both := &domain.AccountSnapshot{}
	var got domain.AccountSnapshot
	if err := (Codec{}).Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	both.SetTitleBlock(got.TitleBlock())
	both.TitleYears = want
	if _, err := (Codec{}).Marshal(both); err == nil || !strings.Contains(err.Error(), "besides a block") {
		t.Fatalf("counts both in a block and in TitleYears: %v", err)
	}
}

// TestAccountSnapshotV1TitleYears: payloads of schema version 1, whose
// title counts are a collection, still decode through the registry (the
// committed golden payload), into TitleYears; each cut of one is an error,
// and the current layout's reader refuses it.
func TestAccountSnapshotV1TitleYears(t *testing.T) {
	b, err := os.ReadFile("testdata/golden/binary/AccountSnapshot.v1.bin")
	if err != nil {
		t.Fatal(err)
	}
	reg := codectest.Registry(Codec{})
	for _, owned := range []bool{false, true} {
		decode := reg.Decode
		if owned {
			decode = reg.DecodeOwned
		}
		v, err := decode(codec.Envelope{Type: domain.TypeAccount, SchemaVersion: 1, Codec: ID, Payload: append([]byte(nil), b...)})
		if err != nil {
			t.Fatal(err)
		}
		s := v.(*domain.AccountSnapshot)
		if s.TitleBlock().Len() != 0 || len(s.TitleYears) != 2 || s.TitleYears[0] != (domain.TitleYearCount{TitleID: "t-01873", Year: 2025, Count: 3}) {
			t.Fatalf("owned %v: version 1 decoded to TitleYears %v, block of %d", owned, s.TitleYears, s.TitleBlock().Len())
		}
	}
	// Behind a compressor too: it hands the version on.
	z, err := compress.New("zstd")
	if err != nil {
		t.Fatal(err)
	}
	zc := compress.Wrap(Codec{}, z)
	packed, err := z.Compress(b)
	if err != nil {
		t.Fatal(err)
	}
	reg.AddCodec(zc)
	v, err := reg.DecodeOwned(codec.Envelope{Type: domain.TypeAccount, SchemaVersion: 1, Codec: zc.ID(), Payload: packed})
	if err != nil || len(v.(*domain.AccountSnapshot).TitleYears) != 2 {
		t.Fatalf("a compressed version 1 payload: %+v, %v", v, err)
	}
	for cut := range len(b) {
		if err := (Codec{}).UnmarshalVersion(b[:cut:cut], 1, true, new(domain.AccountSnapshot)); err == nil {
			t.Fatalf("version 1: the first %d of %d bytes decoded", cut, len(b))
		}
	}
	if err := (Codec{}).Unmarshal(b, new(domain.AccountSnapshot)); err == nil {
		t.Fatal("a version 1 payload decoded in the current layout")
	}
}

// TestAccountSnapshotDenialList: an account snapshot's denials decode into
// a list checked but not decoded (domain.DenialList): it lists them as
// written, finds the latest denial of a request id (decoding only that
// one) and nothing for an absent id, and re-encodes to the same bytes;
// every cut inside the denials is an error naming a Denials field, and a
// detail that is not UTF-8 is refused when the snapshot is decoded.
func TestAccountSnapshotDenialList(t *testing.T) {
	at := time.Date(2025, 3, 1, 10, 0, 0, 5, time.UTC)
	denials := []domain.Denial{
		{RequestID: "r1", DeviceID: "d1", TitleID: "t1", Reason: domain.ReasonTitleYearLimit, Detail: "three already", At: at},
		{RequestID: "r2", DeviceID: "d2", TitleID: "Amélie", Reason: domain.ReasonDeviceLimit, Detail: "détail ü", At: at.Add(time.Hour)},
		{RequestID: "r1", DeviceID: "d3", TitleID: "t3", Reason: domain.ReasonTitleYearLimit, Detail: "again", At: time.Time{}},
	}
	snap := &domain.AccountSnapshot{CustomerID: "c", Plan: "basic", Denials: denials, PruneAt: 64}
	b, err := Codec{}.Marshal(snap)
	if err != nil {
		t.Fatal(err)
	}
	var got domain.AccountSnapshot
	if err := (Codec{}).UnmarshalAlias(append([]byte(nil), b...), &got); err != nil {
		t.Fatal(err)
	}
	if got.Denials != nil || !reflect.DeepEqual(got.RecentDenials(), denials) {
		t.Fatalf("Denials %v, list %v; want the list %v", got.Denials, got.RecentDenials(), denials)
	}
	a := domain.NewAccount("c")
	if err := a.RestoreOwnedSnapshot(9, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a.RecentDenials(), denials) {
		t.Fatalf("restored account's denials %v, want %v", a.RecentDenials(), denials)
	}
	again, err := Codec{}.Marshal(&got)
	if err != nil || !bytes.Equal(again, b) {
		t.Fatalf("re-encoding the decoded list: %v\n got % x\nwant % x", err, again, b)
	}
	// Find is what AcquireLicense's retry check uses, through the account.
	l, ok := got.DenialList().(*denialList)
	if !ok {
		t.Fatalf("denial list %T", got.DenialList())
	}
	for _, tc := range []struct {
		from int
		id   string
		want int
	}{{0, "r1", 2}, {0, "r2", 1}, {0, "r9", -1}, {0, "", -1}, {2, "r1", 2}, {3, "r1", -1}, {2, "r2", -1}, {1, "r2", 1}} {
		d, ok := l.Find(tc.from, tc.id)
		if ok != (tc.want >= 0) || ok && !reflect.DeepEqual(d, denials[tc.want]) {
			t.Errorf("Find(%d, %q) = %+v, %v; want denial %d", tc.from, tc.id, d, ok, tc.want)
		}
	}
	// The denials end before PruneAt (64: 2 bytes) and four 1-byte counters.
	first := bytes.Index(b, []byte("\x02r1"))
	for cut := first; cut < len(b)-6; cut++ {
		err := (Codec{}).Unmarshal(append([]byte(nil), b[:cut]...), new(domain.AccountSnapshot))
		if err == nil || !strings.Contains(err.Error(), "field Denials") {
			t.Fatalf("cut at %d of %d: %v; want an error naming a Denials field", cut, len(b), err)
		}
	}
	bad := bytes.Replace(b, []byte("détail"), []byte("d\xfftail"), 1)
	if err := (Codec{}).UnmarshalAlias(bad, new(domain.AccountSnapshot)); err == nil || !strings.Contains(err.Error(), "field Denials.Detail: invalid UTF-8") {
		t.Fatalf("a detail that is not UTF-8: %v", err)
	}
	// The strings are checked together while their lengths are one byte:
	// a rune cut between two fields is still refused, naming the first.
	cut := []domain.Denial{{RequestID: "r\xc3", DeviceID: "\xa9d", Reason: domain.ReasonDeviceLimit}}
	if err := (Codec{}).Unmarshal(mustMarshal(t, &domain.AccountSnapshot{CustomerID: "c", Denials: cut}), new(domain.AccountSnapshot)); err == nil ||
		!strings.Contains(err.Error(), "field Denials.RequestID: invalid UTF-8") {
		t.Fatalf("a rune split across two fields: %v", err)
	}
	// Fields of 128 bytes or more have longer lengths, and are checked one
	// by one.
	long := []domain.Denial{{RequestID: "r", Detail: strings.Repeat("é", 100)}, {RequestID: "s", Detail: strings.Repeat("é", 100) + "\xff"}}
	var one domain.AccountSnapshot
	if err := (Codec{}).Unmarshal(mustMarshal(t, &domain.AccountSnapshot{CustomerID: "c", Denials: long[:1]}), &one); err != nil || one.RecentDenials()[0].Detail != long[0].Detail {
		t.Fatalf("a 200-byte detail: %+v, %v", one.RecentDenials(), err)
	}
	if err := (Codec{}).Unmarshal(mustMarshal(t, &domain.AccountSnapshot{CustomerID: "c", Denials: long}), new(domain.AccountSnapshot)); err == nil ||
		!strings.Contains(err.Error(), "field Denials.Detail: invalid UTF-8") {
		t.Fatalf("a long detail that is not UTF-8: %v", err)
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := Codec{}.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// BenchmarkCheckDenials: checking an account snapshot's 20 denials as a
// load does (reader.denials), shaped like the snapshot study's: request
// ids "c000123-r0009000".., one device, a reason and an 80-byte detail.
func BenchmarkCheckDenials(b *testing.B) {
	at := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	var w writer
	for i := range domain.MaxRecentDenials {
		w.str(fmt.Sprintf("c000123-r%07d", 9000+i))
		w.str("c000123-d0")
		w.str(fmt.Sprint("t", i*13))
		w.str(string(domain.ReasonTitleYearLimit))
		w.str(fmt.Sprintf("title t%d downloaded 3 times in 2025, the limit of restricted studios is 3 a year", i*13))
		w.time("Denials.At", at)
	}
	s, bs := string(w.b), w.b
	b.ReportAllocs()
	for b.Loop() {
		r := reader{b: bs, s: s}
		if r.denials(domain.MaxRecentDenials) == nil || r.err != nil || len(r.b) != 0 {
			b.Fatal(r.err)
		}
	}
}
