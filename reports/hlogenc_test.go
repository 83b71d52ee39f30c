package reports

import (
	"bytes"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// libraryLine is the line hdrhistogram-go's own writer makes for h.
func libraryLine(t testing.TB, h *hdr.PackedHistogram, baseMs int64) []byte {
	t.Helper()
	var b bytes.Buffer
	lw := hdr.NewHistogramLogWriter(&b)
	lw.SetBaseTime(baseMs)
	if err := lw.OutputIntervalPackedHistogram(h); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

type hlogCase struct {
	name          string
	lowest, high  int64
	sig           int
	tag           string
	values        [][2]int64 // value, count
	start, length int64      // ms after the base
}

func hlogCases() []hlogCase {
	r := rand.New(rand.NewPCG(1, 2))
	var wide, dense, lognorm [][2]int64
	for range 2000 {
		wide = append(wide, [2]int64{r.Int64N(int64(math.MaxInt64 / 4)), 1 + r.Int64N(5)})
	}
	for v := int64(1000); v < 5000; v++ { // adjacent buckets, single-bucket gaps
		if v%3 != 0 {
			dense = append(dense, [2]int64{v, 1})
		}
	}
	for range 150 { // a second of a light run: latencies around 2 ms
		lognorm = append(lognorm, [2]int64{int64(2e6 * math.Exp(r.NormFloat64()*0.6)), 1})
	}
	hour := int64(3_600_000_000_000)
	return []hlogCase{
		{name: "empty", lowest: 1, high: hour, sig: 3, tag: "load.ok"},
		{name: "zero value", lowest: 1, high: hour, sig: 3, values: [][2]int64{{0, 3}}},
		{name: "one value", lowest: 1, high: hour, sig: 3, tag: "load.ok", values: [][2]int64{{1_234_567, 1}}, start: 1500, length: 1000},
		{name: "light second", lowest: 1, high: hour, sig: 3, tag: "download.error", values: lognorm, start: 61_000, length: 1003},
		{name: "dense with gaps of one", lowest: 1, high: hour, sig: 3, values: dense, start: 3, length: 999},
		{name: "top of the range", lowest: 1, high: hour, sig: 3, values: [][2]int64{{1, 1}, {hour, 2}}},
		{name: "counts of every varint length", lowest: 1, high: hour, sig: 3, values: [][2]int64{
			{10, 1}, {20, 200}, {30, 1 << 15}, {40, 1 << 22}, {50, 1 << 29}, {60, 1 << 36}, {70, 1 << 43}, {80, 1 << 50}, {90, 1 << 57}}},
		{name: "other geometry", lowest: 1000, high: 1 << 62, sig: 2, tag: "x", values: wide},
		{name: "five digits", lowest: 7, high: 1 << 40, sig: 5, values: wide[:300]},
		{name: "one digit", lowest: 1, high: 1 << 30, sig: 1, values: lognorm},
	}
}

func (c hlogCase) histogram(t testing.TB, baseMs int64) *hdr.PackedHistogram {
	h := hdr.NewPacked(c.lowest, c.high, c.sig)
	for _, v := range c.values {
		if v[0] > c.high {
			continue
		}
		if err := h.RecordValues(v[0], v[1]); err != nil {
			t.Fatalf("%s: record %d: %v", c.name, v[0], err)
		}
	}
	h.SetTag(c.tag)
	h.SetStartTimeMs(baseMs + c.start)
	h.SetEndTimeMs(baseMs + c.start + c.length)
	return h
}

// TestHlogEncoderMatchesLibrary: the reusing encoder writes the same bytes
// as hdrhistogram-go's writer, line for line, with one encoder reused
// across histograms of different shapes and geometries (in both orders, so
// no state carries over from one line to the next).
func TestHlogEncoderMatchesLibrary(t *testing.T) {
	const base = int64(1_780_000_000_123)
	cases := hlogCases()
	var e hlogEncoder
	for round := range 2 {
		for i := range cases {
			c := cases[i]
			if round == 1 {
				c = cases[len(cases)-1-i]
			}
			h := c.histogram(t, base)
			got, err := e.appendLine(nil, h, base)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if want := libraryLine(t, h, base); !bytes.Equal(got, want) {
				t.Fatalf("%s: line differs from hdrhistogram-go's\n got %q\nwant %q", c.name, got, want)
			}
			// And it decodes to the histogram written, bucket for bucket.
			fields := strings.Split(strings.TrimSpace(string(got)), ",")
			back, err := hdr.DecodePacked([]byte(fields[len(fields)-1]))
			if err != nil {
				t.Fatalf("%s: decode: %v", c.name, err)
			}
			if back.TotalCount() != h.TotalCount() || back.Max() != h.Max() || back.Min() != h.Min() {
				t.Fatalf("%s: decoded count/min/max %d/%d/%d, wrote %d/%d/%d", c.name,
					back.TotalCount(), back.Min(), back.Max(), h.TotalCount(), h.Min(), h.Max())
			}
			for v, n := range h.ForEachBucket {
				if got := back.CountAtValue(v); got != n {
					t.Fatalf("%s: decoded count at %d is %d, wrote %d", c.name, v, got, n)
				}
			}
		}
	}
}

// A reused histogram (Reset between intervals, as the collector does)
// encodes the same as a fresh one.
func TestHlogEncoderReusedHistogram(t *testing.T) {
	const base = int64(1_780_000_000_000)
	cases := hlogCases()
	h := hdr.NewPacked(1, 3_600_000_000_000, 3)
	var e hlogEncoder
	for _, c := range cases {
		if c.lowest != 1 || c.sig != 3 {
			continue
		}
		h.Reset()
		fresh := c.histogram(t, base)
		h.Merge(fresh)
		h.SetTag(c.tag)
		h.SetStartTimeMs(fresh.StartTimeMs())
		h.SetEndTimeMs(fresh.EndTimeMs())
		got, err := e.appendLine(nil, h, base)
		if err != nil {
			t.Fatal(err)
		}
		if want := libraryLine(t, fresh, base); !bytes.Equal(got, want) {
			t.Fatalf("%s: reused histogram's line differs\n got %q\nwant %q", c.name, got, want)
		}
	}
}

func TestHlogEncoderRejectsBadTags(t *testing.T) {
	var e hlogEncoder
	for _, tag := range []string{"a,b", ",a", "a b", "a\nb", "a\r", " "} {
		h := hdr.NewPacked(1, 1000, 3)
		h.SetTag(tag)
		out, err := e.appendLine([]byte("kept"), h, 0)
		if err == nil || !strings.Contains(err.Error(), "tag") {
			t.Errorf("tag %q: err = %v, want a tag error", tag, err)
		}
		if string(out) != "kept" {
			t.Errorf("tag %q: wrote %q after an error", tag, out)
		}
	}
}

// BenchmarkHlogWriteInterval writes one interval line of a light second
// (150 latencies around 2 ms) the way the library does and with the
// reusing encoder, side by side.
func BenchmarkHlogWriteInterval(b *testing.B) {
	const base = int64(1_780_000_000_000)
	var c hlogCase
	for _, x := range hlogCases() {
		if x.name == "light second" {
			c = x
		}
	}
	h := c.histogram(b, base)
	b.Run("impl=library", func(b *testing.B) {
		lw := hdr.NewHistogramLogWriter(io.Discard)
		lw.SetBaseTime(base)
		b.ReportAllocs()
		for b.Loop() {
			if err := lw.OutputIntervalPackedHistogram(h); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=reused", func(b *testing.B) {
		var e hlogEncoder
		var line []byte
		b.ReportAllocs()
		for b.Loop() {
			var err error
			if line, err = e.appendLine(line[:0], h, base); err != nil {
				b.Fatal(err)
			}
			if _, err := io.Discard.Write(line); err != nil {
				b.Fatal(err)
			}
		}
	})
}
