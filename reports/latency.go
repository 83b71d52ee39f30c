package reports

import (
	"fmt"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/esbench/esbench/reports/percentile"
)

// Latency summarises one histogram of nanosecond values. Histogram holds
// the whole distribution (HdrHistogram V2 compressed, base64) so merge and
// compare can recombine runs exactly instead of averaging percentiles.
type Latency struct {
	Count     int64   `json:"count"`
	MinNs     int64   `json:"min_ns"`
	MeanNs    float64 `json:"mean_ns"`
	StdDevNs  float64 `json:"stddev_ns"`
	P50Ns     int64   `json:"p50_ns"`
	P90Ns     int64   `json:"p90_ns"`
	P99Ns     int64   `json:"p99_ns"`
	P999Ns    int64   `json:"p999_ns"`
	P9999Ns   int64   `json:"p9999_ns"`
	MaxNs     int64   `json:"max_ns"`
	Histogram string  `json:"histogram,omitempty"`
}

// Percentiles reported for every latency, in order.
var reportedPercentiles = []float64{50, 90, 99, 99.9, 99.99}

// Summarize computes the summary of h and encodes it. An empty or nil
// histogram gives a zero Latency.
func Summarize(h *hdr.Histogram) (Latency, error) {
	if h == nil || h.TotalCount() == 0 {
		return Latency{}, nil
	}
	ps := percentile.Values(h, reportedPercentiles...)
	enc, err := h.Encode(hdr.V2CompressedEncodingCookieBase)
	if err != nil {
		return Latency{}, fmt.Errorf("reports: encoding histogram: %w", err)
	}
	return Latency{
		Count:     h.TotalCount(),
		MinNs:     h.Min(),
		MeanNs:    h.Mean(),
		StdDevNs:  h.StdDev(),
		P50Ns:     ps[0],
		P90Ns:     ps[1],
		P99Ns:     ps[2],
		P999Ns:    ps[3],
		P9999Ns:   ps[4],
		MaxNs:     h.Max(),
		Histogram: string(enc),
	}, nil
}

// Decode returns the histogram a Latency carries, or an error if it has
// none or it is corrupt.
func (l Latency) Decode() (*hdr.Histogram, error) {
	if l.Histogram == "" {
		return nil, fmt.Errorf("reports: latency has no encoded histogram")
	}
	h, err := hdr.Decode([]byte(l.Histogram))
	if err != nil {
		return nil, fmt.Errorf("reports: decoding histogram: %w", err)
	}
	return h, nil
}

// FormatNs renders nanoseconds with a unit suited to their size.
func FormatNs(ns int64) string {
	d := time.Duration(ns)
	switch {
	case ns == 0:
		return "0"
	case d < time.Microsecond:
		return fmt.Sprintf("%dns", ns)
	case d < time.Millisecond:
		return fmt.Sprintf("%.1fµs", float64(ns)/1e3)
	case d < time.Second:
		return fmt.Sprintf("%.2fms", float64(ns)/1e6)
	default:
		return fmt.Sprintf("%.2fs", float64(ns)/1e9)
	}
}
