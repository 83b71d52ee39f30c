package reports

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/esbench/esbench/reports/percentile"
)

// OpInterval summarises one operation over one interval of an interval
// log, every outcome merged.
type OpInterval struct {
	// StartS is the interval's start in seconds since the log's start
	// time; DurS its length in seconds.
	StartS float64
	DurS   float64
	Count  int64
	P50Ns  int64
	P99Ns  int64
	MaxNs  int64
}

// Rate is the operations per second of the interval.
func (iv OpInterval) Rate() float64 {
	if iv.DurS <= 0 {
		return 0
	}
	return float64(iv.Count) / iv.DurS
}

// IntervalLog is one .hlog file read back and summarised per operation.
// Only summaries are kept: a decoded histogram of the recorder's geometry
// is a few hundred kilobytes, and a long run has thousands of intervals.
type IntervalLog struct {
	// File is the log's base name, Prefix the run prefix before the metric
	// (for example "mixed."), Metric the metric ("corrected", "service").
	File   string
	Prefix string
	Metric string
	// Start is the log's start time (its StartTime header, else the first
	// interval's start).
	Start time.Time
	// Ops maps an operation (the tag up to its last '.') to its intervals
	// in time order.
	Ops map[string][]OpInterval
}

// OpNames returns the operations of the log, sorted.
func (l *IntervalLog) OpNames() []string {
	names := make([]string, 0, len(l.Ops))
	for k := range l.Ops {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// ReadIntervalLog reads one interval log written by HlogSet. Lines of the
// same tag prefix (operation) and start time are merged, so outcomes fold
// into their operation.
func ReadIntervalLog(path string) (log *IntervalLog, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reports: %w", err)
	}
	defer f.Close()
	// The log reader indexes into lines it has not checked; a corrupt file
	// must give an error, not take the process down.
	defer func() {
		if p := recover(); p != nil {
			log, err = nil, fmt.Errorf("reports: %s: corrupt interval log: %v", path, p)
		}
	}()
	base := filepath.Base(path)
	stem := strings.TrimSuffix(base, HlogExt)
	log = &IntervalLog{File: base, Metric: stem, Ops: map[string][]OpInterval{}}
	if i := strings.LastIndexByte(stem, '.'); i >= 0 {
		log.Prefix, log.Metric = stem[:i+1], stem[i+1:]
	}

	type pending struct {
		startMs, endMs int64
		h              *hdr.Histogram
	}
	open := map[string]*pending{}
	var firstMs int64 = math.MaxInt64
	flush := func(op string, p *pending) {
		ps := percentile.Values(p.h, 50, 99)
		log.Ops[op] = append(log.Ops[op], OpInterval{
			StartS: float64(p.startMs) / 1e3, // made relative below
			DurS:   float64(p.endMs-p.startMs) / 1e3,
			Count:  p.h.TotalCount(),
			P50Ns:  ps[0],
			P99Ns:  ps[1],
			MaxNs:  p.h.Max(),
		})
	}
	rd := hdr.NewHistogramLogReader(f)
	for {
		h, err := rd.NextIntervalHistogram()
		if err != nil {
			return nil, fmt.Errorf("reports: %s: reading interval log: %w", path, err)
		}
		if h == nil {
			break
		}
		op := h.Tag()
		if i := strings.LastIndexByte(op, '.'); i >= 0 {
			op = op[:i]
		}
		firstMs = min(firstMs, h.StartTimeMs())
		p := open[op]
		switch {
		case p == nil:
			open[op] = &pending{startMs: h.StartTimeMs(), endMs: h.EndTimeMs(), h: h}
		case p.startMs == h.StartTimeMs():
			p.h.Merge(h)
			p.endMs = max(p.endMs, h.EndTimeMs())
		default:
			flush(op, p)
			open[op] = &pending{startMs: h.StartTimeMs(), endMs: h.EndTimeMs(), h: h}
		}
	}
	for op, p := range open {
		flush(op, p)
	}
	startMs := firstMs
	if t, ok, err := hlogStartTime(path); err == nil && ok {
		startMs = t
	}
	if startMs == math.MaxInt64 {
		startMs = 0
	}
	log.Start = time.UnixMilli(startMs).UTC()
	for op, ivs := range log.Ops {
		for i := range ivs {
			ivs[i].StartS -= float64(startMs) / 1e3
		}
		slices.SortFunc(ivs, func(a, b OpInterval) int { return cmpFloat(a.StartS, b.StartS) })
		log.Ops[op] = ivs
	}
	return log, nil
}

// hlogStartTime reads the "#[StartTime: seconds" header of a log.
func hlogStartTime(path string) (ms int64, ok bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false, err
	}
	defer f.Close()
	// The header sits at the top; a long run's log is megabytes.
	buf := make([]byte, 4096)
	n, err := io.ReadFull(f, buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return 0, false, err
	}
	data := buf[:n]
	const key = "#[StartTime: "
	i := strings.Index(string(data), key)
	if i < 0 {
		return 0, false, nil
	}
	rest := string(data[i+len(key):])
	end := strings.IndexAny(rest, " ,]\n")
	if end < 0 {
		return 0, false, errors.New("unterminated StartTime")
	}
	var sec float64
	if _, err := fmt.Sscanf(rest[:end], "%g", &sec); err != nil {
		return 0, false, err
	}
	return int64(math.Round(sec * 1000)), true, nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// FindIntervalLog returns the log of metric for the named run: the one
// whose prefix is the run's safe name, or, failing that, the only log of
// that metric (a single-run directory). Nil when there is none.
func FindIntervalLog(logs []*IntervalLog, run, metric string) *IntervalLog {
	var only *IntervalLog
	n := 0
	want := SafeName(run)
	for _, l := range logs {
		if l.Metric != metric {
			continue
		}
		p := strings.TrimRight(l.Prefix, ".-_")
		if p == want {
			return l
		}
		only = l
		n++
	}
	if n == 1 {
		return only
	}
	return nil
}
