package binary

import (
	"encoding/binary"
	"fmt"
	"unicode/utf8"
	"unsafe"

	"github.com/esbench/esbench/internal/ascii"
	"github.com/esbench/esbench/refimpl/codec/internal/wire"
	"github.com/esbench/esbench/refimpl/domain"
)

// Collections are a uvarint element count followed by the elements, each
// laid out like a struct. Counters are uvarints. An account snapshot's title
// counts are the exception: since schema version 2 they are one
// domain.TitleBlock (a uvarint byte length and the block), which a restore
// adopts without a value per count; version 1 wrote them as a collection.

// accountSnapshotV1 is the last schema version of the account snapshot
// with its title counts as a collection.
const accountSnapshotV1 = 1

func encodeSnapshot(w *writer, v any) error {
	switch d := v.(type) {
	case *domain.AccountSnapshot:
		w.str(d.CustomerID)
		w.str(d.Plan)
		w.time("OpenedAt", d.OpenedAt)
		w.uint(uint64(len(d.Devices)))
		for _, e := range d.Devices {
			w.str(e.DeviceID)
			w.time("Devices.RegisteredAt", e.RegisteredAt)
		}
		w.uint(uint64(len(d.Downloads)))
		for _, e := range d.Downloads {
			w.str(e.LicenseID)
			w.str(e.DeviceID)
			w.str(e.TitleID)
			w.time("Downloads.ExpiresAt", e.ExpiresAt)
		}
		w.titleBlock(d)
		w.int(d.LatestYear)
		dn := d.RecentDenials()
		w.uint(uint64(len(dn)))
		for _, e := range dn {
			w.str(e.RequestID)
			w.str(e.DeviceID)
			w.str(e.TitleID)
			w.str(string(e.Reason))
			w.str(e.Detail)
			w.time("Denials.At", e.At)
		}
		w.int(d.PruneAt)
		w.uint(d.Counters.Granted)
		w.uint(d.Counters.Denied)
		w.uint(d.Counters.Renewed)
		w.uint(d.Counters.Released)
	case *domain.LicenseSnapshot:
		w.str(d.LicenseID)
		w.str(d.CustomerID)
		w.str(d.DeviceID)
		w.str(d.TitleID)
		w.str(d.StudioID)
		w.int(d.PolicyVersion)
		w.time("IssuedAt", d.IssuedAt)
		w.time("ExpiresAt", d.ExpiresAt)
		w.int(d.Renewals)
		w.str(d.LastRenewal)
		w.time("FirstPlayAt", d.FirstPlayAt)
		w.time("PlaybackEndsAt", d.PlaybackEndsAt)
		w.bool(d.Released)
		w.time("ReleasedAt", d.ReleasedAt)
		w.str(d.ReleaseReason)
		w.int(d.Denials)
	default:
		return unsupported(v)
	}
	return nil
}

func decodeSnapshot(r *reader, v any) error {
	switch d := v.(type) {
	case *domain.AccountSnapshot:
		*d = domain.AccountSnapshot{CustomerID: r.str("CustomerID"), Plan: r.str("Plan"), OpenedAt: r.time("OpenedAt")}
		// Minimum encoded element sizes: a 1-byte string length plus the
		// fixed 8-byte time, and so on.
		if n := r.count("Devices", 9); n > 0 {
			d.Devices = make([]domain.DeviceEntry, n)
			for i := range d.Devices {
				d.Devices[i] = domain.DeviceEntry{DeviceID: r.str("Devices.DeviceID"), RegisteredAt: r.time("Devices.RegisteredAt")}
			}
		}
		if n := r.count("Downloads", 11); n > 0 {
			d.Downloads = make([]domain.DownloadEntry, n)
			for i := range d.Downloads {
				d.Downloads[i] = domain.DownloadEntry{LicenseID: r.str("Downloads.LicenseID"), DeviceID: r.str("Downloads.DeviceID"),
					TitleID: r.str("Downloads.TitleID"), ExpiresAt: r.time("Downloads.ExpiresAt")}
			}
		}
		if r.version == accountSnapshotV1 {
			if n := r.count("TitleYears", 3); n > 0 {
				d.TitleYears = r.titleYears(n)
			}
		} else if b := r.titleBlock(); b.Len() > 0 {
			d.SetTitleBlock(b)
		}
		d.LatestYear = r.int("LatestYear")
		if n := r.count("Denials", 13); n > 0 {
			if l := r.denials(n); l != nil {
				d.SetDenialList(l)
			}
		}
		d.PruneAt = r.int("PruneAt")
		d.Counters = domain.AccountCounters{Granted: r.uint("Counters.Granted"), Denied: r.uint("Counters.Denied"),
			Renewed: r.uint("Counters.Renewed"), Released: r.uint("Counters.Released")}
	case *domain.LicenseSnapshot:
		*d = domain.LicenseSnapshot{LicenseID: r.str("LicenseID"), CustomerID: r.str("CustomerID"), DeviceID: r.str("DeviceID"),
			TitleID: r.str("TitleID"), StudioID: r.str("StudioID"), PolicyVersion: r.int("PolicyVersion"),
			IssuedAt: r.time("IssuedAt"), ExpiresAt: r.time("ExpiresAt"), Renewals: r.int("Renewals"),
			LastRenewal: r.str("LastRenewal"), FirstPlayAt: r.time("FirstPlayAt"), PlaybackEndsAt: r.time("PlaybackEndsAt"),
			Released: r.bool("Released"), ReleasedAt: r.time("ReleasedAt"), ReleaseReason: r.str("ReleaseReason"),
			Denials: r.int("Denials")}
	default:
		return unsupported(v)
	}
	return nil
}

// titleYears reads n (TitleID, Year, Count) entries, field by field with the
// checks and errors of str and int, in one loop without a call per field.
// They are most of a long history's account snapshot (hundreds of counts),
// so this loop is most of its decode.
func (r *reader) titleYears(n int) []domain.TitleYearCount {
	if r.err != nil {
		return nil
	}
	out := make([]domain.TitleYearCount, n)
	b := r.b
	// b[p:] is what is left; r.s[base+p:] is the same bytes as a string.
	base, p := len(r.s)-len(b), 0
	for i := range out {
		l, k := binary.Uvarint(b[p:])
		if k <= 0 {
			r.fail("TitleYears.TitleID", fmt.Errorf("%w or overlong uvarint", errShort))
			return nil
		}
		p += k
		if l > uint64(len(b)-p) {
			r.fail("TitleYears.TitleID", fmt.Errorf("%w: string of %d bytes, %d left", errShort, l, len(b)-p))
			return nil
		}
		id := r.s[base+p : base+p+int(l)]
		if !ascii.Is(id) && !utf8.ValidString(id) {
			r.fail("TitleYears.TitleID", errInvalidUTF8)
			return nil
		}
		p += int(l)
		year, k := binary.Varint(b[p:])
		if k <= 0 {
			r.fail("TitleYears.Year", fmt.Errorf("%w or overlong varint", errShort))
			return nil
		}
		p += k
		count, k := binary.Varint(b[p:])
		if k <= 0 {
			r.fail("TitleYears.Count", fmt.Errorf("%w or overlong varint", errShort))
			return nil
		}
		p += k
		y, err := wire.Int("TitleYears.Year", year)
		if err != nil {
			r.fail("TitleYears.Year", err)
			return nil
		}
		c, err := wire.Int("TitleYears.Count", count)
		if err != nil {
			r.fail("TitleYears.Count", err)
			return nil
		}
		out[i] = domain.TitleYearCount{TitleID: id, Year: y, Count: c}
	}
	r.b = b[p:]
	return out
}

// titleBlock writes d's title counts as a domain.TitleBlock: a uvarint
// length and the block, whether d holds them as TitleYears or as a block.
func (w *writer) titleBlock(d *domain.AccountSnapshot) {
	if b := d.TitleBlock(); b.Len() > 0 {
		if len(d.TitleYears) > 0 && w.err == nil {
			w.err = fmt.Errorf("field TitleYears: %d counts besides a block of %d", len(d.TitleYears), b.Len())
		}
		w.b = b.AppendRaw(binary.AppendUvarint(w.b, uint64(b.RawLen())))
		return
	}
	block, err := domain.AppendTitleBlock(nil, d.TitleYears)
	if err != nil && w.err == nil {
		w.err = fmt.Errorf("field TitleYears: %w", err)
	}
	w.b = binary.AppendUvarint(w.b, uint64(len(block)))
	w.b = append(w.b, block...)
}

// titleBlock reads a uvarint length and checks that many bytes as a
// domain.TitleBlock, which keeps pointing into the payload's string.
func (r *reader) titleBlock() domain.TitleBlock {
	n := r.uint("TitleYears")
	if r.err != nil {
		return domain.TitleBlock{}
	}
	if n > uint64(len(r.b)) {
		r.fail("TitleYears", fmt.Errorf("%w: block of %d bytes, %d left", errShort, n, len(r.b)))
		return domain.TitleBlock{}
	}
	off := len(r.s) - len(r.b)
	b, err := domain.ParseTitleBlock(r.s[off : off+int(n)])
	if err != nil {
		r.fail("TitleYears", err)
		return domain.TitleBlock{}
	}
	r.b = r.b[n:]
	return b
}

// denialList is an account snapshot's denials as the payload holds them,
// checked by reader.denials but decoded only when asked
// (domain.DenialList). s is the n denials' bytes, inside the payload's
// string.
type denialList struct {
	s string
	n int
}

// denials checks the n denials that follow (every field as decodeSnapshot
// would read it: lengths, bounds, UTF-8, with the same errors) and returns
// them undecoded. No call per field: a long history's snapshot holds 20
// denials of six fields each, and a call per field was most of their
// check.
func (r *reader) denials(n int) *denialList {
	if r.err != nil {
		return nil
	}
	b, p := r.b, 0
	for range n {
		next, ok := asciiDenialStrings(b, p)
		if !ok {
			if next = r.denialStrings(b, p); next < 0 {
				return nil
			}
		}
		if p = next; len(b)-p < 8 {
			r.fail("Denials.At", errShort)
			return nil
		}
		p += 8
	}
	start := len(r.s) - len(b)
	r.b = b[p:]
	return &denialList{s: r.s[start : start+p], n: n}
}

// asciiDenialStrings walks the string fields of the denial at b[p:] when
// each has a one-byte length and the bytes from the first length to the
// end of the last string are ASCII: the usual denial, whose strings are
// then all in bounds and UTF-8. It returns where they end and true, or
// false for denialStrings to check whatever they are.
func asciiDenialStrings(b []byte, p int) (int, bool) {
	first := p
	for range len(denialStrings) {
		if p >= len(b) || b[p] >= utf8.RuneSelf {
			return 0, false
		}
		l := int(b[p])
		if p++; l > len(b)-p {
			return 0, false
		}
		p += l
	}
	return p, ascii.Bytes(b[first:p])
}

// denialStrings checks the string fields of the denial at b[p:] as
// decodeSnapshot would read them and returns where they end, or records the
// error of the first bad one and returns -1.
func (r *reader) denialStrings(b []byte, p int) int {
	first, short := p, true
	var spans [len(denialStrings)][2]int
	for f, field := range denialStrings {
		var l uint64
		if p < len(b) && b[p] < 0x80 {
			l = uint64(b[p])
			p++
		} else {
			v, k := binary.Uvarint(b[p:])
			if k <= 0 {
				r.fail(field, fmt.Errorf("%w or overlong uvarint", errShort))
				return -1
			}
			l, p, short = v, p+k, false
		}
		if l > uint64(len(b)-p) {
			r.fail(field, fmt.Errorf("%w: string of %d bytes, %d left", errShort, l, len(b)-p))
			return -1
		}
		spans[f] = [2]int{p, p + int(l)}
		p += int(l)
	}
	// One-byte lengths are ASCII, which never occurs inside a multi-byte
	// sequence: the five strings with their lengths between them are valid
	// UTF-8 together exactly when each one is.
	if !short || !utf8.Valid(b[first:p]) {
		for f, sp := range spans {
			if !utf8.Valid(b[sp[0]:sp[1]]) {
				r.fail(denialStrings[f], errInvalidUTF8)
				return -1
			}
		}
	}
	return p
}

// denialStrings are a denial's string fields, in wire order.
var denialStrings = [...]string{"Denials.RequestID", "Denials.DeviceID", "Denials.TitleID", "Denials.Reason", "Denials.Detail"}

// Len implements domain.DenialList.
func (l *denialList) Len() int { return l.n }

// Find implements domain.DenialList: it compares request ids as it walks,
// remembering where the latest match starts, and decodes only that denial.
func (l *denialList) Find(from int, requestID string) (domain.Denial, bool) {
	r := l.reader()
	found := -1
	for i := range l.n {
		at := len(l.s) - len(r.b)
		if r.str("") == requestID && i >= from {
			found = at
		}
		for range len(denialStrings) - 1 {
			r.str("")
		}
		r.time("")
	}
	if found < 0 {
		return domain.Denial{}, false
	}
	r = l.reader()
	r.b = r.b[found:]
	return r.denial(), true
}

// AppendTo implements domain.DenialList.
func (l *denialList) AppendTo(dst []domain.Denial) []domain.Denial {
	r := l.reader()
	for range l.n {
		dst = append(dst, r.denial())
	}
	return dst
}

// reader reads the list's bytes; they were checked, so it cannot fail.
func (l *denialList) reader() reader {
	return reader{b: unsafe.Slice(unsafe.StringData(l.s), len(l.s)), s: l.s, checked: true}
}

func (r *reader) denial() domain.Denial {
	return domain.Denial{RequestID: r.str("Denials.RequestID"), DeviceID: r.str("Denials.DeviceID"),
		TitleID: r.str("Denials.TitleID"), Reason: domain.Reason(r.str("Denials.Reason")), Detail: r.str("Denials.Detail"),
		At: r.time("Denials.At")}
}
