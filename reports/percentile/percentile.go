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
