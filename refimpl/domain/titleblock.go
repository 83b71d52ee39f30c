package domain

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/esbench/esbench/internal/ascii"
)

// TitleBlock is a snapshot's restricted-title counts in a layout the
// account adopts as it is: fixed-width entries and one area of title ids,
// checked once as a whole instead of parsed into a value per count. A long
// history's account snapshot holds hundreds of counts; parsing them one by
// one was most of its load (docs/design.md §5, "Title counts as a block").
//
// The layout, little-endian:
//
//	u32 n                                  number of entries, ≥ 1
//	n × { u32 end; i32 year; u32 count }   12 bytes each
//	the title ids, concatenated            entry i's id is ids[end(i-1):end(i)], end(-1) = 0
//
// Entries are strictly increasing by (year, title id), every count is ≥ 1,
// the ids are valid UTF-8, the last end is the length of the id area, and
// nothing follows it. The empty string is the empty block. A TitleBlock is
// immutable (a string underneath), so sharing one is always safe; the only
// way to make a non-empty one is ParseTitleBlock, which checks all of the
// above.
type TitleBlock struct {
	entries string // n × 12 bytes
	ids     string
}

const (
	titleBlockHeader = 4
	titleBlockEntry  = 12
)

// ErrBadTitleBlock is wrapped by every error ParseTitleBlock returns.
var ErrBadTitleBlock = errors.New("bad title-count block")

// ParseTitleBlock checks s as a TitleBlock layout and returns the block,
// which shares s's memory. Any departure from the layout is an error
// wrapping ErrBadTitleBlock that says what was wrong and where.
func ParseTitleBlock(s string) (TitleBlock, error) {
	if s == "" {
		return TitleBlock{}, nil
	}
	if len(s) < titleBlockHeader {
		return TitleBlock{}, badTitleBlock("%d bytes, shorter than its %d-byte header", len(s), titleBlockHeader)
	}
	n := uint64(le32(s, 0))
	if n == 0 {
		return TitleBlock{}, badTitleBlock("0 entries in a non-empty block")
	}
	if n > uint64(len(s)-titleBlockHeader)/titleBlockEntry {
		return TitleBlock{}, badTitleBlock("%d entries of %d bytes cannot fit in %d bytes", n, titleBlockEntry, len(s)-titleBlockHeader)
	}
	b := TitleBlock{entries: s[titleBlockHeader : titleBlockHeader+int(n)*titleBlockEntry], ids: s[titleBlockHeader+int(n)*titleBlockEntry:]}
	e, ids := b.entries, b.ids
	// An all-ASCII id area (the usual one) is UTF-8 and has no byte inside
	// a multi-byte rune: one word-at-a-time pass settles both checks.
	allASCII := ascii.Is(ids)
	fault, i, start, prevStart := checkTitleEntries(e, ids, allASCII)
	switch entry := i / titleBlockEntry; fault {
	case entryEnd:
		return TitleBlock{}, badTitleBlock("entry %d: title id ends at %d, outside %d..%d", entry, le32(e, i), start, len(ids))
	case entryCount:
		return TitleBlock{}, badTitleBlock("entry %d: count 0 (counts are ≥ 1)", entry)
	case entryInRune:
		return TitleBlock{}, badTitleBlock("entry %d: title id ends inside a UTF-8 sequence", entry)
	case entryOrder:
		return TitleBlock{}, badTitleBlock("entry %d (%q, %d) does not sort after entry %d (%q, %d)",
			entry, ids[start:le32(e, i)], int32(le32(e, i+4)), entry-1, ids[prevStart:start], int32(le32(e, i-titleBlockEntry+4)))
	}
	if start != len(ids) {
		return TitleBlock{}, badTitleBlock("%d bytes after the last title id", len(ids)-start)
	}
	if !allASCII && !utf8.ValidString(ids) {
		return TitleBlock{}, badTitleBlock("title ids are not UTF-8")
	}
	return b, nil
}

// entryFault is what checkTitleEntries found wrong with an entry.
type entryFault uint8

const (
	entryOK     entryFault = iota
	entryEnd               // its end is before the previous one's or past the id area
	entryCount             // its count is 0
	entryInRune            // its end is inside a multi-byte rune
	entryOrder             // it does not sort after the previous entry
)

// checkTitleEntries checks a block's entries e over its id area ids (allASCII:
// ids has no byte ≥ 0x80) in order, up to the first fault: the fault, at
// byte i of e, the start of that entry's id (or, with none, the end of the
// last one) and the start of the id before it. A loop of its own so that
// its state stays in registers.
func checkTitleEntries(e, ids string, allASCII bool) (fault entryFault, i, start, prevStart int) {
	// Entry i's id is ids[start:end]. Its key is its first 8 bytes as a
	// big-endian number padded with zero bytes, prevKey the previous id's:
	// a smaller key is a smaller id, so most order checks compare two
	// numbers; equal keys mean equal first 8 bytes, or that the shorter id,
	// of at most 8 bytes, is a prefix of the longer (idAfterEqualKeys).
	var prevYear int32
	var prevKey uint64
	// keepFirst[l] keeps a key's first l bytes: a table, as a shift by a
	// variable count ties up a register the loop needs.
	keepFirst := [8]uint64{0, 0xff << 56, 0xffff << 48, 0xffffff << 40, 0xffffffff << 32,
		0xffffffffff << 24, 0xffffffffffff << 16, 0xffffffffffffff << 8}
	for ; len(e)-i >= titleBlockEntry; i += titleBlockEntry {
		x := e[i : i+titleBlockEntry]
		end32, year, count := le32(x, 0), int32(le32(x, 4)), le32(x, 8)
		if uint64(end32) > uint64(len(ids)) || int(end32) < start {
			return entryEnd, i, start, prevStart
		}
		end := int(end32)
		if count == 0 {
			return entryCount, i, start, prevStart
		}
		// A boundary inside a multi-byte rune would leave two ids that are
		// not UTF-8 although the area is.
		if !allASCII && end < len(ids) && !utf8.RuneStart(ids[end]) {
			return entryInRune, i, start, prevStart
		}
		var key uint64
		if len(ids)-start >= 8 {
			k := ids[start : start+8]
			key = uint64(k[0])<<56 | uint64(k[1])<<48 | uint64(k[2])<<40 | uint64(k[3])<<32 |
				uint64(k[4])<<24 | uint64(k[5])<<16 | uint64(k[6])<<8 | uint64(k[7])
			if l := end - start; l < 8 {
				key &= keepFirst[l&7]
			}
		} else {
			key = idKeyNearEnd(ids[start:end])
		}
		if i > 0 && (year < prevYear || year == prevYear && (key < prevKey || key == prevKey && !idAfterEqualKeys(ids, prevStart, start, end))) {
			return entryOrder, i, start, prevStart
		}
		prevStart, start, prevYear, prevKey = start, end, year, key
	}
	return entryOK, i, start, prevStart
}

// badTitleBlock is ParseTitleBlock's error, wrapping ErrBadTitleBlock.
func badTitleBlock(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrBadTitleBlock}, args...)...)
}

// idKeyNearEnd is the key (ParseTitleBlock) of an id with fewer than 8
// bytes after its start in the id area.
func idKeyNearEnd(id string) uint64 {
	var k uint64
	for j := range min(len(id), 8) {
		k |= uint64(id[j]) << uint(56-8*j)
	}
	return k
}

// idAfterEqualKeys reports whether ids[start:end] sorts after
// ids[prevStart:start] when their keys are equal.
func idAfterEqualKeys(ids string, prevStart, start, end int) bool {
	prevLen, curLen := start-prevStart, end-start
	if min(prevLen, curLen) <= 8 {
		// Their first min(prevLen, curLen) bytes are equal.
		return prevLen < curLen
	}
	return idLess(ids[prevStart+8:start], ids[start+8:end])
}

// AppendTitleBlock appends counts to dst in the TitleBlock layout (nothing
// for no counts). Counts in any order are sorted first, a repeated (title,
// year) keeping its last count, as RestoreSnapshot does with them. A count
// below 1, a count over 2³²−1, a year outside int32 or ids longer than
// 4 GiB in all are errors.
func AppendTitleBlock(dst []byte, counts []TitleYearCount) ([]byte, error) {
	counts, err := restoreTitleYears(counts, true)
	if err != nil || len(counts) == 0 {
		return dst, err
	}
	if len(counts) > math.MaxUint32 {
		return dst, fmt.Errorf("%w: %d counts, at most %d", ErrBadTitleBlock, len(counts), uint64(math.MaxUint32))
	}
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(counts)))
	var end uint64
	for _, c := range counts {
		end += uint64(len(c.TitleID))
		switch {
		case end > math.MaxUint32:
			return dst, fmt.Errorf("%w: title ids of %d bytes in all, at most %d", ErrBadTitleBlock, end, uint64(math.MaxUint32))
		case c.Year < math.MinInt32 || c.Year > math.MaxInt32:
			return dst, fmt.Errorf("%w: title %q year %d outside %d..%d", ErrBadTitleBlock, c.TitleID, c.Year, math.MinInt32, math.MaxInt32)
		case uint64(c.Count) > math.MaxUint32:
			return dst, fmt.Errorf("%w: title %q year %d count %d, at most %d", ErrBadTitleBlock, c.TitleID, c.Year, c.Count, uint64(math.MaxUint32))
		}
		dst = binary.LittleEndian.AppendUint32(dst, uint32(end))
		dst = binary.LittleEndian.AppendUint32(dst, uint32(int32(c.Year)))
		dst = binary.LittleEndian.AppendUint32(dst, uint32(c.Count))
	}
	for _, c := range counts {
		dst = append(dst, c.TitleID...)
	}
	return dst, nil
}

// RawLen is the length of the block in its layout (0 for the empty one).
func (b TitleBlock) RawLen() int {
	if b.entries == "" {
		return 0
	}
	return titleBlockHeader + len(b.entries) + len(b.ids)
}

// AppendRaw appends the block in its layout, as ParseTitleBlock read it,
// to dst.
func (b TitleBlock) AppendRaw(dst []byte) []byte {
	if b.entries == "" {
		return dst
	}
	dst = binary.LittleEndian.AppendUint32(dst, uint32(b.Len()))
	return append(append(dst, b.entries...), b.ids...)
}

// Len is the number of counts in the block.
func (b TitleBlock) Len() int { return len(b.entries) / titleBlockEntry }

// At returns count i, 0 ≤ i < Len().
func (b TitleBlock) At(i int) TitleYearCount {
	return TitleYearCount{TitleID: b.title(i), Year: b.year(i), Count: b.count(i)}
}

// AppendTo appends every count, in the block's order, to dst.
func (b TitleBlock) AppendTo(dst []TitleYearCount) []TitleYearCount {
	for i := range b.Len() {
		dst = append(dst, b.At(i))
	}
	return dst
}

func (b TitleBlock) title(i int) string {
	start := uint32(0)
	if i > 0 {
		start = le32(b.entries, (i-1)*titleBlockEntry)
	}
	return b.ids[start:le32(b.entries, i*titleBlockEntry)]
}

func (b TitleBlock) year(i int) int { return int(int32(le32(b.entries, i*titleBlockEntry+4))) }

func (b TitleBlock) count(i int) int { return int(le32(b.entries, i*titleBlockEntry+8)) }

// search finds (titleID, year) among entries from..Len()-1: its index, or
// where it would be inserted.
func (b TitleBlock) search(from int, titleID string, year int) (int, bool) {
	lo, hi := from, b.Len()
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		c := cmp.Compare(b.year(m), year)
		if c == 0 {
			c = strings.Compare(b.title(m), titleID)
		}
		switch {
		case c == 0:
			return m, true
		case c < 0:
			lo = m + 1
		default:
			hi = m
		}
	}
	return lo, false
}

// firstOfYear is the index of the first entry of year or later.
func (b TitleBlock) firstOfYear(year int) int {
	lo, hi := 0, b.Len()
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if b.year(m) < year {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// idLess is a < b for the short ids titles have, inline: the strings
// package's compare is a call per entry, half of checking a block.
func idLess(a, b string) bool {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return len(a) < len(b)
}

func le32(s string, i int) uint32 {
	_ = s[i+3]
	return uint32(s[i]) | uint32(s[i+1])<<8 | uint32(s[i+2])<<16 | uint32(s[i+3])<<24
}

// titleCounts are an account's restricted-title counts: a TitleBlock
// adopted from a snapshot (never written to: it may be a decoded payload's
// memory), and an overlay of the counts changed or added since, sorted by
// (Year, TitleID) like the block. An overlay entry replaces the block's
// entry of the same key; block entries before from belong to years dropped
// by the year roll-over. An account restored from a snapshot without a
// block, or folded from events alone, keeps everything in the overlay.
type titleCounts struct {
	block TitleBlock
	from  int
	over  []TitleYearCount
}

// get returns the count of (titleID, year), 0 if there is none.
func (t *titleCounts) get(titleID string, year int) int {
	if i, ok := t.overIndex(titleID, year); ok {
		return t.over[i].Count
	}
	if i, ok := t.block.search(t.from, titleID, year); ok {
		return t.block.count(i)
	}
	return 0
}

// inc adds one to the count of (titleID, year).
func (t *titleCounts) inc(titleID string, year int) {
	i, ok := t.overIndex(titleID, year)
	if ok {
		t.over[i].Count++
		return
	}
	n := 1
	if j, ok := t.block.search(t.from, titleID, year); ok {
		n += t.block.count(j)
	}
	t.over = slices.Insert(t.over, i, TitleYearCount{TitleID: titleID, Year: year, Count: n})
}

// dropBefore forgets every count of a year before year.
func (t *titleCounts) dropBefore(year int) {
	t.from = max(t.from, t.block.firstOfYear(year))
	// Sorted by year: the past years are a prefix.
	past, _ := slices.BinarySearchFunc(t.over, year, func(c TitleYearCount, year int) int { return cmp.Compare(c.Year, year) })
	t.over = slices.Delete(t.over, 0, past)
}

func (t *titleCounts) overIndex(titleID string, year int) (int, bool) {
	return slices.BinarySearchFunc(t.over, TitleYearCount{TitleID: titleID, Year: year}, compareTitleYear)
}

// all returns every count, sorted by (Year, TitleID): the block's entries
// from t.from merged with the overlay, the overlay winning on equal keys.
// The slice is new (nil if there are no counts).
func (t *titleCounts) all() []TitleYearCount {
	n := t.block.Len() - t.from
	if n+len(t.over) == 0 {
		return nil
	}
	out := make([]TitleYearCount, 0, n+len(t.over))
	i, j := t.from, 0
	for i < t.block.Len() || j < len(t.over) {
		switch {
		case j == len(t.over):
			out = append(out, t.block.At(i))
			i++
		case i == t.block.Len():
			out = append(out, t.over[j])
			j++
		default:
			b := t.block.At(i)
			switch c := compareTitleYear(b, t.over[j]); {
			case c < 0:
				out = append(out, b)
				i++
			case c > 0:
				out = append(out, t.over[j])
				j++
			default:
				out = append(out, t.over[j])
				i++
				j++
			}
		}
	}
	return out
}
