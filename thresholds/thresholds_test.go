package thresholds

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in       string
		metric   string
		relative bool
		op       string
		limit    float64
		wantErr  string
	}{
		{in: "replay.p99 < 5ms", metric: "replay.p99", op: "<", limit: 5e6},
		{in: "acquire.p99 regression < 10%", metric: "acquire.p99", relative: true, op: "<", limit: 0.1},
		{in: "  acquire.error_rate <= 1% ", metric: "acquire.error_rate", op: "<=", limit: 0.01},
		{in: "check.throughput >= 150", metric: "check.throughput", op: ">=", limit: 150},
		{in: "p99(acquire) < 20ms", metric: "acquire.p99", op: "<", limit: 20e6},
		{in: "sweep[history=1000,interval=100].replay_p99 < 2ms", metric: "sweep[history=1000,interval=100].replay_p99", op: "<", limit: 2e6},
		{in: "acquire.p99 5ms", wantErr: `"acquire.p99 5ms"`},
		{in: "acquire.p99 < fast", wantErr: `limit "fast"`},
		{in: "acquire.p99 regression < 5ms", wantErr: "percentage"},
		{in: "", wantErr: `""`},
		{in: "acquire.p99 << 5ms", wantErr: `"acquire.p99 << 5ms"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			th, err := Parse(tt.in)
			if tt.wantErr != "" {
				if err == nil || !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse(%q) error = %v, want ErrMalformed mentioning %s", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if th.Metric != tt.metric || th.Relative != tt.relative || th.Op != tt.op || math.Abs(th.Limit-tt.limit) > 1e-9 {
				t.Errorf("got %+v, want metric %s relative %v op %s limit %g", th, tt.metric, tt.relative, tt.op, tt.limit)
			}
		})
	}
}

func TestParseAllJoinsErrors(t *testing.T) {
	_, err := ParseAll([]string{"a.p99 < 1ms", "bad", "b.p99 < x"})
	if !errors.Is(err, ErrMalformed) {
		t.Fatalf("error %v, want ErrMalformed", err)
	}
	for _, want := range []string{`"bad"`, `"b.p99 < x"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	ts, err := ParseAll([]string{"a.p99 < 1ms", "p50(b) >= 2"})
	if err != nil || len(ts) != 2 || ts[1].Metric != "b.p50" {
		t.Fatalf("ParseAll = %+v, %v", ts, err)
	}
}

func TestEvaluate(t *testing.T) {
	lat := func(v float64, noise float64, n int) Metric {
		return Metric{Value: v, Unit: UnitNs, Noise: noise, Samples: n}
	}
	base := map[string]Metric{
		"acquire.p99":        lat(1e6, 0.01, 20),
		"noisy.p99":          lat(1e6, 0.5, 20),
		"check.throughput":   {Value: 200, Unit: UnitRate, HigherBetter: true},
		"acquire.error_rate": {Value: 0, Unit: UnitFraction},
	}
	cur := map[string]Metric{
		"acquire.p99":        lat(1.2e6, 0.01, 20),
		"noisy.p99":          lat(1.2e6, 0.5, 20),
		"check.throughput":   {Value: 150, Unit: UnitRate, HigherBetter: true},
		"acquire.error_rate": {Value: 0.001, Unit: UnitFraction},
	}
	tests := []struct {
		threshold       string
		failWithinNoise bool
		noBase          bool
		wantVerdict     string
		wantValue       float64
	}{
		{threshold: "acquire.p99 < 2ms", wantVerdict: VerdictPass, wantValue: 1.2e6},
		{threshold: "acquire.p99 < 1ms", wantVerdict: VerdictRegression, wantValue: 1.2e6},
		{threshold: "acquire.p99 <= 1.2ms", noBase: true, wantVerdict: VerdictPass, wantValue: 1.2e6},
		{threshold: "acquire.p99 regression < 10%", wantVerdict: VerdictRegression, wantValue: 0.2},
		{threshold: "acquire.p99 regression < 25%", wantVerdict: VerdictPass, wantValue: 0.2},
		// +20% inside a band of 2*sqrt(2*0.25/20) ≈ 32%.
		{threshold: "noisy.p99 regression < 10%", wantVerdict: VerdictPass + " (" + VerdictWithinNoise + ")", wantValue: 0.2},
		{threshold: "noisy.p99 regression < 10%", failWithinNoise: true, wantVerdict: VerdictRegression, wantValue: 0.2},
		// Throughput falling is the worse direction.
		{threshold: "check.throughput regression < 10%", wantVerdict: VerdictRegression, wantValue: 0.25},
		{threshold: "check.throughput >= 100", wantVerdict: VerdictPass, wantValue: 150},
		// From zero to anything is an unbounded change.
		{threshold: "acquire.error_rate regression < 1000%", wantVerdict: VerdictRegression, wantValue: math.Inf(1)},
	}
	for _, tt := range tests {
		t.Run(tt.threshold, func(t *testing.T) {
			th, err := Parse(tt.threshold)
			if err != nil {
				t.Fatal(err)
			}
			b := base
			if tt.noBase {
				b = nil
			}
			checks, err := Evaluate([]Threshold{th}, b, cur, Options{FailWithinNoise: tt.failWithinNoise})
			if err != nil {
				t.Fatal(err)
			}
			ch := checks[0]
			if ch.Verdict != tt.wantVerdict || math.Abs(ch.Value-tt.wantValue) > 1e-9 && !math.IsInf(tt.wantValue, 1) || math.IsInf(tt.wantValue, 1) != math.IsInf(ch.Value, 1) {
				t.Errorf("verdict %q value %g (delta %g band %g), want %q value %g", ch.Verdict, ch.Value, ch.Delta, ch.Band, tt.wantVerdict, tt.wantValue)
			}
			if ch.Failed != (tt.wantVerdict == VerdictRegression) {
				t.Errorf("Failed = %v with verdict %q", ch.Failed, ch.Verdict)
			}
			if tt.noBase != (ch.Base == nil) {
				t.Errorf("Base = %v, want nil %v", ch.Base, tt.noBase)
			}
		})
	}
}

func TestEvaluateErrors(t *testing.T) {
	m := map[string]Metric{
		"acquire.p99":        {Value: 1e6, Unit: UnitNs},
		"acquire.p50":        {Value: 1e5, Unit: UnitNs},
		"acquire.throughput": {Value: 10, Unit: UnitRate, HigherBetter: true},
	}
	tests := []struct {
		threshold string
		base      map[string]Metric
		wantErr   error
		want      []string
	}{
		{threshold: "acquir.p99 < 5ms", base: m, wantErr: ErrUnknownMetric, want: []string{`"acquir.p99"`, "did you mean acquire.p99"}},
		{threshold: "acquire.p99 regression < 5%", base: map[string]Metric{}, wantErr: ErrUnknownMetric, want: []string{"not in the base run"}},
		{threshold: "acquire.p99 regression < 5%", wantErr: ErrNoBase, want: []string{`"acquire.p99 regression < 5%"`}},
		{threshold: "acquire.throughput > 5ms", base: m, wantErr: ErrMalformed, want: []string{"not a latency"}},
	}
	for _, tt := range tests {
		t.Run(tt.threshold, func(t *testing.T) {
			th, err := Parse(tt.threshold)
			if err != nil {
				t.Fatal(err)
			}
			checks, err := Evaluate([]Threshold{th}, tt.base, m, Options{})
			if !errors.Is(err, tt.wantErr) || checks != nil {
				t.Fatalf("Evaluate = %v, %v; want no checks and %v", checks, err, tt.wantErr)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %s", err, w)
				}
			}
		})
	}
}

func TestNoiseBand(t *testing.T) {
	b := Metric{Noise: 0.3, Samples: 9}
	if got, want := NoiseBand(b, b), 2*math.Sqrt(2*0.09/9); math.Abs(got-want) > 1e-12 {
		t.Errorf("NoiseBand %g, want %g", got, want)
	}
	if NoiseBand(b, Metric{}) != 0 {
		t.Error("a side without samples gave a band")
	}
}
