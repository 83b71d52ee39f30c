// Package livemetrics serves a run's figures as Prometheus metrics while it
// runs (esbench run --metrics-listen). It is fed by the runner's collector
// once per interval (bench.LiveObserver), never from a worker, so an
// operation's path gains no lock; a scrape sees the figures of the last
// closed interval.
//
// Latencies are exported as Prometheus histograms with both classic buckets
// and native (sparse, exponential) buckets, so any scraper reads them and
// one that negotiates native histograms gets their resolution. They are
// rebuilt from the interval's HdrHistograms at each bucket's value (three
// significant digits); result.json and the .hlog files stay the exact
// record.
package livemetrics

import (
	"net/http"
	"sync"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/esbench/esbench/bench"
	"github.com/esbench/esbench/target"
)

const namespace = "esbench"

// latencyBuckets are the classic buckets, in seconds: 100 µs to 10 s.
var latencyBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

func histogramOpts(name, help string) prometheus.HistogramOpts {
	return prometheus.HistogramOpts{
		Namespace: namespace, Name: name, Help: help,
		Buckets: latencyBuckets,
		// Factor 1.1 is schema 3 (2^(1/8) ≈ 1.09): about 9% wide buckets.
		NativeHistogramBucketFactor:    1.1,
		NativeHistogramMaxBucketNumber: 200,
	}
}

// Exporter is a bench.LiveObserver that keeps Prometheus metrics.
type Exporter struct {
	reg *prometheus.Registry

	ops        *prometheus.CounterVec
	late       *prometheus.CounterVec
	started    *prometheus.CounterVec
	completed  *prometheus.CounterVec
	errs       *prometheus.CounterVec
	inFlight   *prometheus.GaugeVec
	overdue    *prometheus.GaugeVec
	targetRate *prometheus.GaugeVec
	achieved   *prometheus.GaugeVec
	measuring  *prometheus.GaugeVec
	latency    *prometheus.HistogramVec
	service    *prometheus.HistogramVec
	lag        *prometheus.HistogramVec
	phases     *prometheus.HistogramVec

	mu   sync.Mutex
	last map[string][3]int64 // per run: started, completed, errors at the last interval
}

// New returns an Exporter with its own registry (Go runtime and process
// metrics included).
func New() *Exporter {
	e := &Exporter{reg: prometheus.NewRegistry(), last: map[string][3]int64{}}
	run := []string{"run"}
	opLabels := []string{"run", "op", "outcome"}
	e.ops = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "operations_total",
		Help: "Measured operations (intended after the warmup) by operation, outcome and class (success, denied, fallback, error)."},
		[]string{"run", "op", "outcome", "class"})
	e.late = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "late_operations_total",
		Help: "Measured operations that started later than the late threshold after their intended start."}, opLabels)
	e.started = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "operations_started_total",
		Help: "Operations started, warmup included."}, run)
	e.completed = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "operations_completed_total",
		Help: "Operations finished, warmup included."}, run)
	e.errs = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "operation_errors_total",
		Help: "Finished operations that ended in an error class, warmup included."}, run)
	e.inFlight = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: namespace, Name: "in_flight_operations",
		Help: "Operations started and not yet finished, at the end of the last interval."}, run)
	e.overdue = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: namespace, Name: "overdue_operations",
		Help: "Measured open-loop operations intended more than the late threshold ago and not yet started, at the end of the last interval (a stalled target's backlog)."}, run)
	e.targetRate = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: namespace, Name: "target_rate_ops_per_second",
		Help: "The open-loop arrival rate the schedule aims at (0 in a closed loop)."}, run)
	e.achieved = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: namespace, Name: "achieved_rate_ops_per_second",
		Help: "Operations finished per second over the last interval."}, run)
	e.measuring = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: namespace, Name: "measuring",
		Help: "1 once the run's warmup is over, 0 during the warmup."}, run)
	e.latency = prometheus.NewHistogramVec(histogramOpts("operation_latency_seconds",
		"Latency from the intended start (corrected for coordinated omission) by operation and outcome."), opLabels)
	e.service = prometheus.NewHistogramVec(histogramOpts("operation_service_seconds",
		"Service time (from the actual start) by operation and outcome."), opLabels)
	e.lag = prometheus.NewHistogramVec(histogramOpts("start_lag_seconds",
		"Actual minus intended start of open-loop operations."), run)
	e.phases = prometheus.NewHistogramVec(histogramOpts("replay_phase_seconds",
		"Aggregate load time by replay phase (snapshot_read, event_read, decode, apply, total)."), []string{"run", "phase"})
	e.reg.MustRegister(e.ops, e.late, e.started, e.completed, e.errs, e.inFlight, e.overdue, e.targetRate, e.achieved,
		e.measuring, e.latency, e.service, e.lag, e.phases,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return e
}

// Handler serves the metrics in the Prometheus text, OpenMetrics or
// protobuf format the scraper asks for (protobuf carries native
// histograms).
func (e *Exporter) Handler() http.Handler {
	return promhttp.HandlerFor(e.reg, promhttp.HandlerOpts{EnableOpenMetrics: true})
}

// Registry returns the exporter's registry.
func (e *Exporter) Registry() *prometheus.Registry { return e.reg }

func class(o target.Outcome) string {
	switch {
	case o == target.OutcomeOK:
		return "success"
	case o.IsError():
		return "error"
	}
	return o.String() // denied, fallback
}

// observe records every value of h (nanoseconds) into obs in seconds.
func observe(obs prometheus.Observer, h *hdr.PackedHistogram) {
	for v, n := range h.ForEachBucket {
		s := float64(v) / 1e9
		for range n {
			obs.Observe(s)
		}
	}
}

// ObserveInterval implements bench.LiveObserver.
func (e *Exporter) ObserveInterval(iv *bench.LiveInterval) {
	e.mu.Lock()
	defer e.mu.Unlock()
	run := iv.Run
	for _, s := range iv.Series {
		op, out := string(s.Kind), s.Outcome.String()
		e.ops.WithLabelValues(run, op, out, class(s.Outcome)).Add(float64(s.Corrected.TotalCount()))
		if s.Late > 0 {
			e.late.WithLabelValues(run, op, out).Add(float64(s.Late))
		}
		observe(e.latency.WithLabelValues(run, op, out), s.Corrected)
		observe(e.service.WithLabelValues(run, op, out), s.Service)
	}
	if iv.Lag != nil {
		observe(e.lag.WithLabelValues(run), iv.Lag)
	}
	for _, p := range iv.Phases {
		observe(e.phases.WithLabelValues(run, p.Name), p.H)
	}
	prev := e.last[run]
	e.started.WithLabelValues(run).Add(float64(iv.Started - prev[0]))
	e.completed.WithLabelValues(run).Add(float64(iv.Completed - prev[1]))
	e.errs.WithLabelValues(run).Add(float64(iv.Errors - prev[2]))
	e.last[run] = [3]int64{iv.Started, iv.Completed, iv.Errors}
	e.inFlight.WithLabelValues(run).Set(float64(iv.InFlight()))
	e.overdue.WithLabelValues(run).Set(float64(iv.Overdue))
	e.targetRate.WithLabelValues(run).Set(iv.TargetRate)
	if d := iv.End.Sub(iv.Start).Seconds(); d > 0 {
		e.achieved.WithLabelValues(run).Set(float64(iv.Completed-prev[1]) / d)
	}
	m := 0.0
	if iv.Measuring {
		m = 1
	}
	e.measuring.WithLabelValues(run).Set(m)
}
