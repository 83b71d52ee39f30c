package domain

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// block builds a raw TitleBlock from its parts, good or bad.
func rawBlock(n uint32, entries [][3]uint32, ids string) string {
	b := binary.LittleEndian.AppendUint32(nil, n)
	for _, e := range entries {
		for _, x := range e {
			b = binary.LittleEndian.AppendUint32(b, x)
		}
	}
	return string(append(b, ids...))
}

func mustBlock(t testing.TB, counts []TitleYearCount) TitleBlock {
	t.Helper()
	raw, err := AppendTitleBlock(nil, counts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ParseTitleBlock(string(raw))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestTitleBlockRoundTrip: counts written with AppendTitleBlock parse back
// to the same counts in (year, title) order, a repeated key keeping its
// last count; the raw block re-appends to the same bytes.
func TestTitleBlockRoundTrip(t *testing.T) {
	in := []TitleYearCount{{"t9", 2026, 1}, {"Amélie", 2025, 7}, {"", 2026, 2}, {"t9", 2026, 4}, {"スタジオ", -1, 1<<32 - 1}}
	want := []TitleYearCount{{"スタジオ", -1, 1<<32 - 1}, {"Amélie", 2025, 7}, {"", 2026, 2}, {"t9", 2026, 4}}
	raw, err := AppendTitleBlock([]byte("prefix"), in)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(raw), "prefix") {
		t.Fatal("AppendTitleBlock dropped dst")
	}
	b, err := ParseTitleBlock(string(raw[len("prefix"):]))
	if err != nil {
		t.Fatal(err)
	}
	if got := b.AppendTo(nil); !reflect.DeepEqual(got, want) {
		t.Fatalf("parsed %v, want %v", got, want)
	}
	if got := string(b.AppendRaw(nil)); got != string(raw[len("prefix"):]) || b.RawLen() != len(got) {
		t.Fatalf("AppendRaw/RawLen do not give back the parsed bytes")
	}
	for i, c := range want {
		if j, ok := b.search(0, c.TitleID, c.Year); !ok || j != i {
			t.Errorf("search(%q, %d) = %d, %v; want %d", c.TitleID, c.Year, j, ok, i)
		}
	}
	if _, ok := b.search(0, "t9", 2025); ok {
		t.Error("search found a key that is not there")
	}
	if empty, err := AppendTitleBlock(nil, nil); err != nil || len(empty) != 0 {
		t.Fatalf("no counts: %q, %v; want nothing", empty, err)
	}
	if b, err := ParseTitleBlock(""); err != nil || b.Len() != 0 || b.RawLen() != 0 {
		t.Fatalf("empty block: %+v, %v", b, err)
	}
	for _, bad := range []TitleYearCount{{"t", 2025, 0}, {"t", 2025, 1 << 32}, {"t", 1 << 31, 1}, {"t", -1<<31 - 1, 1}} {
		if _, err := AppendTitleBlock(nil, []TitleYearCount{bad}); err == nil {
			t.Errorf("AppendTitleBlock(%v) succeeded; want an error", bad)
		}
	}
}

// TestParseTitleBlockRejects: every departure from the layout is an error
// wrapping ErrBadTitleBlock that says what is wrong, never a panic, and so
// is every strict prefix of a good block.
func TestParseTitleBlockRejects(t *testing.T) {
	e := func(end uint32, year int32, count uint32) [3]uint32 { return [3]uint32{end, uint32(year), count} }
	for _, tc := range []struct {
		name, raw, want string
	}{
		{"short header", "\x01\x00", "shorter than its 4-byte header"},
		{"no entries", rawBlock(0, nil, "x"), "0 entries"},
		{"more entries than bytes", rawBlock(3, [][3]uint32{e(1, 2025, 1)}, "a"), "cannot fit"},
		{"huge count of entries", rawBlock(1<<32-1, nil, ""), "cannot fit"},
		{"end past the ids", rawBlock(1, [][3]uint32{e(9, 2025, 1)}, "abc"), "outside 0..3"},
		{"end goes back", rawBlock(2, [][3]uint32{e(2, 2025, 1), e(1, 2025, 1)}, "ab"), "outside 2..2"},
		{"count 0", rawBlock(1, [][3]uint32{e(1, 2025, 0)}, "a"), "count 0"},
		{"year out of order", rawBlock(2, [][3]uint32{e(1, 2026, 1), e(2, 2025, 1)}, "ab"), "does not sort after"},
		{"title out of order", rawBlock(2, [][3]uint32{e(1, 2025, 1), e(2, 2025, 1)}, "ba"), "does not sort after"},
		{"repeated key", rawBlock(2, [][3]uint32{e(1, 2025, 1), e(2, 2025, 1)}, "aa"), "does not sort after"},
		{"ids not UTF-8", rawBlock(2, [][3]uint32{e(1, 2025, 1), e(2, 2025, 1)}, "a\xff"), "not UTF-8"},
		{"boundary inside a rune", rawBlock(2, [][3]uint32{e(1, 2025, 1), e(2, 2025, 1)}, "é"), "inside a UTF-8 sequence"},
		{"bytes after the last id", rawBlock(1, [][3]uint32{e(1, 2025, 1)}, "ab"), "1 bytes after the last title id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := ParseTitleBlock(tc.raw)
			if err == nil || !errors.Is(err, ErrBadTitleBlock) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ParseTitleBlock = %+v, %v; want an ErrBadTitleBlock saying %q", b, err, tc.want)
			}
		})
	}
	good, err := AppendTitleBlock(nil, []TitleYearCount{{"a", 2025, 1}, {"bé", 2025, 2}, {"c", 2026, 3}})
	if err != nil {
		t.Fatal(err)
	}
	for n := 1; n < len(good); n++ {
		if _, err := ParseTitleBlock(string(good[:n])); !errors.Is(err, ErrBadTitleBlock) {
			t.Errorf("the first %d of %d bytes: %v; want ErrBadTitleBlock", n, len(good), err)
		}
	}
}

// TestParseTitleBlockOrderMatchesModel: on blocks of ids that share long
// prefixes, hold zero bytes or multi-byte runes, and end near the end of
// the id area, ParseTitleBlock accepts exactly the blocks whose entries are
// strictly increasing by (year, id) and whose ids are each UTF-8, as a
// plain comparison of strings says.
func TestParseTitleBlockOrderMatchesModel(t *testing.T) {
	alphabet := []string{"", "a", "b", "\x00", "t1", "t10", "abcdefgh", "abcdefghi", "abcdefgh\x00", "abcdefg", "é", "\xc3", "\xa9", "\xff"}
	for seed := range uint64(3000) {
		rng := rand.New(rand.NewPCG(seed, 2))
		n := 1 + rng.IntN(5)
		var entries [][3]uint32
		var ids []string
		var area string
		for range n {
			id := ""
			for range rng.IntN(3) {
				id += alphabet[rng.IntN(len(alphabet))]
			}
			ids = append(ids, id)
			area += id
			entries = append(entries, [3]uint32{uint32(len(area)), uint32(2025 + rng.IntN(2)), 1})
		}
		want := true
		for i, id := range ids {
			if !utf8.ValidString(id) {
				want = false
			}
			if i > 0 {
				py, y := int32(entries[i-1][1]), int32(entries[i][1])
				if py > y || py == y && ids[i-1] >= id {
					want = false
				}
			}
		}
		_, err := ParseTitleBlock(rawBlock(uint32(n), entries, area))
		if (err == nil) != want {
			t.Fatalf("seed %d: ids %q years %v: ParseTitleBlock = %v; want accepted %v", seed, ids, entries, err, want)
		}
		if err != nil && !errors.Is(err, ErrBadTitleBlock) {
			t.Fatalf("seed %d: %v does not wrap ErrBadTitleBlock", seed, err)
		}
	}
}

// TestTitleCountsMatchesModel: an account's counts as a block plus an
// overlay answer, increment, roll the year over and list exactly as a
// plain map does, from blocks of many shapes.
func TestTitleCountsMatchesModel(t *testing.T) {
	type key struct {
		title string
		year  int
	}
	for seed := range uint64(200) {
		rng := rand.New(rand.NewPCG(seed, 1))
		model := map[key]int{}
		var start []TitleYearCount
		for range rng.IntN(40) {
			k := key{fmt.Sprint("t", rng.IntN(30)), 2023 + rng.IntN(3)}
			if model[k] == 0 {
				model[k] = 1 + rng.IntN(5)
				start = append(start, TitleYearCount{k.title, k.year, model[k]})
			}
		}
		tc := titleCounts{block: mustBlock(t, start)}
		if seed%5 == 0 {
			// No block: everything in the overlay, as after events alone.
			tc = titleCounts{}
			clear(model)
		}
		latest := 2023
		for op := range 100 {
			k := key{fmt.Sprint("t", rng.IntN(30)), latest + rng.IntN(2)}
			switch r := rng.IntN(10); {
			case r < 7:
				tc.inc(k.title, k.year)
				model[k]++
			case r < 8:
				latest++
				tc.dropBefore(latest)
				for m := range model {
					if m.year < latest {
						delete(model, m)
					}
				}
			}
			for m, n := range model {
				if got := tc.get(m.title, m.year); got != n {
					t.Fatalf("seed %d op %d: get(%s, %d) = %d, want %d", seed, op, m.title, m.year, got, n)
				}
			}
			if got := tc.get("absent", latest); got != 0 {
				t.Fatalf("seed %d op %d: get of an absent title = %d", seed, op, got)
			}
			var want []TitleYearCount
			for m, n := range model {
				want = append(want, TitleYearCount{m.title, m.year, n})
			}
			slices.SortFunc(want, compareTitleYear)
			if got := tc.all(); !reflect.DeepEqual(got, want) {
				t.Fatalf("seed %d op %d: all() = %v\nwant %v", seed, op, got, want)
			}
		}
	}
}

// TestRestoreAdoptsTitleBlock: a snapshot whose counts are a block restores
// to the same account as one listing them in TitleYears, owned or not, and
// the block is adopted as it is; a snapshot with both is refused.
func TestRestoreAdoptsTitleBlock(t *testing.T) {
	counts := []TitleYearCount{{"t1", 2025, 2}, {"t2", 2025, 1}, {"t0", 2026, 1}}
	plain := &AccountSnapshot{CustomerID: "c", Plan: PlanBasic, LatestYear: 2026, TitleYears: slices.Clone(counts)}
	withBlock := &AccountSnapshot{CustomerID: "c", Plan: PlanBasic, LatestYear: 2026}
	withBlock.SetTitleBlock(mustBlock(t, counts))
	want := NewAccount("c")
	if err := want.RestoreSnapshot(5, plain); err != nil {
		t.Fatal(err)
	}
	for _, owned := range []bool{false, true} {
		a := NewAccount("c")
		restore := a.RestoreSnapshot
		if owned {
			restore = a.RestoreOwnedSnapshot
		}
		if err := restore(5, withBlock); err != nil {
			t.Fatal(err)
		}
		if a.titles.block.Len() != 3 || len(a.titles.over) != 0 {
			t.Fatalf("owned %v: the block was not adopted: %+v", owned, a.titles)
		}
		if !reflect.DeepEqual(a.SnapshotState(), want.SnapshotState()) {
			t.Fatalf("owned %v: restored from a block\n%+v\nwant\n%+v", owned, a.SnapshotState(), want.SnapshotState())
		}
	}
	both := *withBlock
	both.TitleYears = counts
	if err := NewAccount("c").RestoreSnapshot(5, &both); err == nil || !strings.Contains(err.Error(), "both in a block and in TitleYears") {
		t.Fatalf("a snapshot with a block and TitleYears: %v", err)
	}
	if got := withBlock.TitleYearCounts(); !reflect.DeepEqual(got, counts) {
		t.Fatalf("TitleYearCounts of the block = %v, want %v", got, counts)
	}
}

// FuzzParseTitleBlock: any input parses or is refused with
// ErrBadTitleBlock, never a panic; what parses writes back to the same
// bytes, both raw and from its counts.
func FuzzParseTitleBlock(f *testing.F) {
	good, _ := AppendTitleBlock(nil, []TitleYearCount{{"a", 2025, 1}, {"bé", 2025, 2}, {"c", 2026, 3}})
	f.Add(string(good))
	f.Add("")
	f.Add(rawBlock(1, [][3]uint32{{1, 2025, 1}}, "ab"))
	f.Fuzz(func(t *testing.T, raw string) {
		b, err := ParseTitleBlock(raw)
		if err != nil {
			if !errors.Is(err, ErrBadTitleBlock) {
				t.Fatalf("error %v does not wrap ErrBadTitleBlock", err)
			}
			return
		}
		if got := string(b.AppendRaw(nil)); got != raw {
			t.Fatalf("AppendRaw = %q, want %q", got, raw)
		}
		again, err := AppendTitleBlock(nil, b.AppendTo(nil))
		if err != nil || string(again) != raw {
			t.Fatalf("re-encoding the counts: %q, %v; want %q", again, err, raw)
		}
	})
}

// BenchmarkParseTitleBlock: checking the block of a history-10,000
// snapshot's 307 counts (the study's shape: ids "t0".."t9517", one year).
func BenchmarkParseTitleBlock(b *testing.B) {
	var counts []TitleYearCount
	for i := range 307 {
		counts = append(counts, TitleYearCount{TitleID: fmt.Sprint("t", i*31), Year: 2025, Count: 1 + i%3})
	}
	raw, err := AppendTitleBlock(nil, counts)
	if err != nil {
		b.Fatal(err)
	}
	s := string(raw)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseTitleBlock(s); err != nil {
			b.Fatal(err)
		}
	}
}

// TestIDLess: idLess orders as the < operator on strings does.
func TestIDLess(t *testing.T) {
	ids := []string{"", "a", "ab", "abc", "b", "t1", "t10", "t2", "é", "\xff", "t1\x00"}
	for _, a := range ids {
		for _, b := range ids {
			if got := idLess(a, b); got != (a < b) {
				t.Errorf("idLess(%q, %q) = %v, want %v", a, b, got, a < b)
			}
		}
	}
}
