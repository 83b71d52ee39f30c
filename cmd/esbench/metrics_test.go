package main

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// freeAddr returns a loopback address nothing listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func scrapeText(t *testing.T, url string) (map[string]*dto.MetricFamily, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	return p.TextToMetricFamilies(resp.Body)
}

// sum adds a family's counter, gauge or histogram-count values.
func sum(mf *dto.MetricFamily) float64 {
	var s float64
	for _, m := range mf.GetMetric() {
		switch {
		case m.Counter != nil:
			s += m.GetCounter().GetValue()
		case m.Gauge != nil:
			s += m.GetGauge().GetValue()
		case m.Histogram != nil:
			s += float64(m.GetHistogram().GetSampleCount())
		}
	}
	return s
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// TestMetricsEndpointDuringRun scrapes a real run's --metrics-listen
// endpoint while it runs, parses it with the Prometheus text parser, checks
// the families and labels, that counts grow between scrapes, and that a
// protobuf scrape carries native histogram buckets.
func TestMetricsEndpointDuringRun(t *testing.T) {
	addr := freeAddr(t)
	url := "http://" + addr + "/metrics"
	wl := strings.Replace(tinyWorkload, "duration: 700ms", "duration: 4s", 1)
	out := filepath.Join(t.TempDir(), "results")
	done := make(chan error, 1)
	go func() {
		_, err := runCLI(t, "run", writeWorkload(t, wl), "--store", "memory", "--out", out, "--progress", "none", "--metrics-listen", addr)
		done <- err
	}()

	var scrapes []map[string]*dto.MetricFamily
	deadline := time.Now().Add(30 * time.Second)
	for len(scrapes) < 2 && time.Now().Before(deadline) {
		select {
		case err := <-done:
			t.Fatalf("run ended after %d scrapes: %v", len(scrapes), err)
		case <-time.After(300 * time.Millisecond):
		}
		mfs, err := scrapeText(t, url)
		if err != nil {
			continue // not listening yet
		}
		if mf := mfs["esbench_operations_total"]; mf != nil && len(scrapes) == 0 && sum(mf) > 0 {
			scrapes = append(scrapes, mfs)
			time.Sleep(1500 * time.Millisecond) // at least one more interval
			continue
		}
		if len(scrapes) == 1 {
			scrapes = append(scrapes, mfs)
		}
	}
	if len(scrapes) < 2 {
		t.Fatalf("got %d scrapes with measured operations before the deadline", len(scrapes))
	}
	first, last := scrapes[0], scrapes[1]

	// Native histograms only travel in the protobuf format.
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Accept", string(expfmt.NewFormat(expfmt.TypeProtoDelim)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	native := false
	dec := expfmt.NewDecoder(resp.Body, expfmt.ResponseFormat(resp.Header))
	for {
		var mf dto.MetricFamily
		if err := dec.Decode(&mf); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatalf("protobuf scrape: %v", err)
			}
			break
		}
		if mf.GetName() == "esbench_operation_latency_seconds" {
			for _, m := range mf.GetMetric() {
				h := m.GetHistogram()
				if len(h.GetPositiveSpan()) > 0 && len(h.GetBucket()) > 0 {
					native = true
				}
			}
		}
	}
	resp.Body.Close()
	if !native {
		t.Error("protobuf scrape: esbench_operation_latency_seconds has no metric with both native and classic buckets")
	}

	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	if _, err := http.Get(url); err == nil {
		t.Error("the metrics endpoint still answers after the run")
	}

	for name, typ := range map[string]dto.MetricType{
		"esbench_operations_total":             dto.MetricType_COUNTER,
		"esbench_operations_started_total":     dto.MetricType_COUNTER,
		"esbench_operations_completed_total":   dto.MetricType_COUNTER,
		"esbench_operation_errors_total":       dto.MetricType_COUNTER,
		"esbench_in_flight_operations":         dto.MetricType_GAUGE,
		"esbench_overdue_operations":           dto.MetricType_GAUGE,
		"esbench_target_rate_ops_per_second":   dto.MetricType_GAUGE,
		"esbench_achieved_rate_ops_per_second": dto.MetricType_GAUGE,
		"esbench_measuring":                    dto.MetricType_GAUGE,
		"esbench_operation_latency_seconds":    dto.MetricType_HISTOGRAM,
		"esbench_operation_service_seconds":    dto.MetricType_HISTOGRAM,
		"esbench_start_lag_seconds":            dto.MetricType_HISTOGRAM,
		"esbench_replay_phase_seconds":         dto.MetricType_HISTOGRAM,
		"go_goroutines":                        dto.MetricType_GAUGE,
	} {
		mf := last[name]
		if mf == nil {
			t.Errorf("family %s missing", name)
			continue
		}
		if mf.GetType() != typ {
			t.Errorf("%s: type %v, want %v", name, mf.GetType(), typ)
		}
	}
	for _, name := range []string{"esbench_operations_total", "esbench_operations_completed_total", "esbench_operation_latency_seconds"} {
		if a, b := sum(first[name]), sum(last[name]); !(b > a) {
			t.Errorf("%s did not grow between scrapes: %g then %g", name, a, b)
		}
	}
	if v := sum(last["esbench_target_rate_ops_per_second"]); v != 300 {
		t.Errorf("target rate %g, want 300 (the workload's)", v)
	}
	// Latency by operation and outcome; the counter's total equals the
	// histogram's count.
	ops := map[string]bool{}
	for _, m := range last["esbench_operation_latency_seconds"].GetMetric() {
		ops[label(m, "op")+"."+label(m, "outcome")] = true
		if h := m.GetHistogram(); len(h.GetBucket()) < 10 {
			t.Errorf("%v: %d classic buckets", m.GetLabel(), len(h.GetBucket()))
		}
	}
	if !ops["acquire.ok"] || !ops["check.ok"] {
		t.Errorf("latency series %v lack acquire.ok or check.ok", ops)
	}
	var measured float64
	for _, m := range last["esbench_operations_total"].GetMetric() {
		if label(m, "run") == "tiny" {
			measured += m.GetCounter().GetValue()
		}
		if label(m, "class") == "" {
			t.Errorf("operations_total without a class: %v", m.GetLabel())
		}
	}
	var latCount float64
	for _, m := range last["esbench_operation_latency_seconds"].GetMetric() {
		if label(m, "run") == "tiny" {
			latCount += float64(m.GetHistogram().GetSampleCount())
		}
	}
	if measured == 0 || measured != latCount {
		t.Errorf("measured operations %g, latency observations %g: want equal and non-zero", measured, latCount)
	}
}

func writeWorkload(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "workload.yaml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMetricsListenBadAddress(t *testing.T) {
	for _, addr := range []string{"", "nonsense", "127.0.0.1:99999", "256.0.0.1:80"} {
		out := filepath.Join(t.TempDir(), "results")
		_, err := runCLI(t, "run", writeTiny(t), "--store", "memory", "--out", out, "--metrics-listen", addr)
		if err == nil || !strings.Contains(err.Error(), "--metrics-listen") {
			t.Errorf("--metrics-listen %q: error %v, want one naming the flag", addr, err)
		}
	}
}
