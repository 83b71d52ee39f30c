package percentile

import (
	"math/rand/v2"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// javaWalk is the Java rule written out over the histogram's buckets: the
// reference the rank translation of Value must agree with.
func javaWalk(h *hdr.Histogram, p float64) int64 {
	k := Rank(p, h.TotalCount())
	var seen int64
	for _, b := range h.Distribution() {
		seen += b.Count
		if seen >= k {
			if p == 0 {
				return b.From
			}
			return b.To
		}
	}
	return 0
}

func TestRank(t *testing.T) {
	for _, c := range []struct {
		p    float64
		n    int64
		want int64
	}{
		{99, 93, 93},      // ceil(92.07)
		{50, 93, 47},      // ceil(46.5)
		{50, 100, 50},     // exact product: one ulp below p keeps it at 50
		{99, 100, 99},     // exact
		{99.9, 1000, 999}, // exact
		{100, 93, 93},
		{0, 93, 1},
		{-5, 93, 1},
		{150, 93, 93},
		{99.99, 1, 1},
	} {
		if got := Rank(c.p, c.n); got != c.want {
			t.Errorf("Rank(%g, %d) = %d, want %d", c.p, c.n, got, c.want)
		}
	}
}

// The case from the issue: 93 samples, p99. hdrhistogram-go picks the 92nd
// sample; HdrHistogram Java (and esbench) the 93rd.
func TestValueSmallCountP99(t *testing.T) {
	h := hdr.New(1, int64(time.Hour), 3)
	for i := int64(1); i <= 93; i++ {
		if err := h.RecordValue(i * int64(time.Millisecond)); err != nil {
			t.Fatal(err)
		}
	}
	got := Value(h, 99)
	if !h.ValuesAreEquivalent(got, 93*int64(time.Millisecond)) {
		t.Errorf("p99 of 1..93 ms = %d, want the value equivalent to 93 ms", got)
	}
	if goRule := h.ValueAtPercentile(99); !h.ValuesAreEquivalent(goRule, 92*int64(time.Millisecond)) {
		t.Errorf("hdrhistogram-go's own rule gave %d, not the 92nd sample: the translation's premise changed", goRule)
	}
	if got != h.Max() {
		t.Errorf("p99 %d != max %d", got, h.Max())
	}
}

func TestValueMatchesJavaWalk(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ps := []float64{0, 1, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.99, 99.999, 100}
	for trial := range 300 {
		h := hdr.New(1, int64(time.Hour), 3)
		n := 1 + rng.IntN(3000)
		if trial%3 == 0 {
			n = 1 + rng.IntN(120) // small counts, where the rules differ
		}
		for range n {
			v := int64(rng.ExpFloat64() * float64(200*time.Microsecond))
			if err := h.RecordValue(max(v, 1)); err != nil {
				t.Fatal(err)
			}
		}
		vals := Values(h, ps...)
		for i, p := range ps {
			want := javaWalk(h, p)
			if got := Value(h, p); got != want {
				t.Fatalf("n=%d p%g: Value %d, Java walk %d", n, p, got, want)
			}
			if vals[i] != want {
				t.Fatalf("n=%d p%g: Values %d, Java walk %d", n, p, vals[i], want)
			}
		}
	}
}

func TestValueEmpty(t *testing.T) {
	if Value(nil, 99) != 0 || Value(hdr.New(1, 1000, 3), 99) != 0 {
		t.Error("empty histogram: want 0")
	}
	if v := Values(nil, 50, 99); len(v) != 2 || v[0] != 0 || v[1] != 0 {
		t.Errorf("Values(nil) = %v", v)
	}
}

func TestInterval(t *testing.T) {
	ramp := func(n int64) *hdr.Histogram {
		h := hdr.New(1, int64(time.Hour), 3)
		for v := int64(1); v <= n; v++ {
			if err := h.RecordValue(v); err != nil {
				t.Fatal(err)
			}
		}
		return h
	}
	tests := []struct {
		name   string
		h      *hdr.Histogram
		p      float64
		lo, hi int64
		ok     bool
	}{
		// nq = 990, 1.96·√9.9 = 6.17: ranks 983 and 997.
		{"p99 of 1000", ramp(1000), 99, 983, 997, true},
		// nq = 495, 1.96·√4.95 = 4.36: ranks 490 and 500, the maximum.
		{"p99 of 500", ramp(500), 99, 490, 500, true},
		// nq = 99, 1.96·√0.99 = 1.95: the upper rank 101 is past the end.
		{"p99 of 100", ramp(100), 99, 97, 100, false},
		// nq = 500, 1.96·√250 = 31.0: ranks 469 and 531.
		{"p50 of 1000", ramp(1000), 50, 469, 531, true},
		{"empty", hdr.New(1, 10, 3), 99, 0, 0, false},
		{"nil", nil, 99, 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lo, hi, ok := Interval(tt.h, tt.p, 1.96)
			if lo != tt.lo || hi != tt.hi || ok != tt.ok {
				t.Errorf("Interval(p%v) = %d, %d, %v; want %d, %d, %v", tt.p, lo, hi, ok, tt.lo, tt.hi, tt.ok)
			}
		})
	}
}
