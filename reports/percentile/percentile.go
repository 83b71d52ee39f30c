// Package percentile reads percentiles from HdrHistograms with the rank rule
// of HdrHistogram's Java implementation (AbstractHistogram.getValueAtPercentile),
// so every figure esbench prints or stores matches what HdrHistogram's own
// tools (HistogramLogProcessor, HistogramLogAnalyzer) report for the same
// .hlog file.
//
// hdrhistogram-go rounds the rank to the nearest count (p/100·n + 0.5); Java
// rounds it up (ceil(p/100·n), one ulp below p so an exact product does not
// spill into the next count). On small counts the two pick different
// samples: for 93 samples, p99 is the 92nd value in Go and the 93rd (the
// maximum) in Java. See docs/design.md §8 (Percentiles).
package percentile

import (
	"math"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Rank returns the 1-based rank of the sample the Java rule reports as
// percentile p of n samples: ceil(p'·n/100) with p' one ulp below p clamped
// to [0, 100], at least 1 and at most n. n must be positive.
func Rank(p float64, n int64) int64 {
	req := min(max(math.Nextafter(p, math.Inf(-1)), 0), 100)
	if math.IsNaN(req) {
		req = 0
	}
	k := int64(math.Ceil(req * float64(n) / 100))
	return min(max(k, 1), n)
}

// goPercentile returns a percentile for which hdrhistogram-go's own rank
// rule, int64(q/100·n + 0.5), selects rank k: q = 100·k/n lands within a few
// ulps of k, far from the rounding boundary at k ± 0.5. The library's walk
// over its counts then does the rest, so no second bucket walk is needed.
func goPercentile(k, n int64) float64 {
	return 100 * float64(k) / float64(n)
}

// Value returns percentile p of h as HdrHistogram Java reports it: the
// highest value equivalent to the sample at Rank(p, n), or the lowest
// equivalent one for p == 0. An empty or nil histogram gives 0.
func Value(h *hdr.Histogram, p float64) int64 {
	if h == nil || h.TotalCount() == 0 {
		return 0
	}
	if p == 0 {
		return h.ValueAtPercentile(0)
	}
	return h.ValueAtPercentile(goPercentile(Rank(p, h.TotalCount()), h.TotalCount()))
}

// Values returns Value(h, p) for each of ps, in one pass when ps ascend.
func Values(h *hdr.Histogram, ps ...float64) []int64 {
	if h == nil || h.TotalCount() == 0 {
		return make([]int64, len(ps))
	}
	n := h.TotalCount()
	qs := make([]float64, len(ps))
	for i, p := range ps {
		if p != 0 {
			qs[i] = goPercentile(Rank(p, n), n)
		}
	}
	return h.ValueAtPercentilesSlice(qs)
}

// Interval returns a distribution-free confidence interval for percentile p
// of h: the samples at the order-statistic ranks floor(nq − z·√(nq(1−q)))
// and ceil(nq + z·√(nq(1−q))) with q = p/100 (the normal approximation to
// the binomial count of samples below the true percentile; z = 1.96 for
// 95 %). ok is false when the upper rank lies beyond the last sample: the
// histogram holds too few samples to bound the percentile from above, and
// hi is then its maximum. An empty or nil histogram gives zeros and false.
func Interval(h *hdr.Histogram, p, z float64) (lo, hi int64, ok bool) {
	if h == nil || h.TotalCount() == 0 {
		return 0, 0, false
	}
	n := h.TotalCount()
	q := min(max(p/100, 0), 1)
	nq := float64(n) * q
	d := z * math.Sqrt(nq*(1-q))
	l := max(int64(math.Floor(nq-d)), 1)
	u := int64(math.Ceil(nq + d))
	ok = u <= n
	u = min(max(u, 1), n)
	lo = h.ValueAtPercentile(goPercentile(l, n))
	hi = h.ValueAtPercentile(goPercentile(u, n))
	return lo, hi, ok
}
