package main

import (
	"strings"
	"testing"

	"github.com/esbench/esbench/reports"
)

// planResult writes a result whose sweep measured 200 bytes/event
// (60,000 B/stream over 300 events without snapshots) and a snapshot of
// (1.5 − 1) × 200 × 100 = 10,000 bytes at interval 100.
func planResult(t *testing.T) string {
	t.Helper()
	res := reports.New("sweep")
	res.Environment.Codec = "json"
	res.Sweep = &reports.Sweep{Cells: []reports.SweepCell{
		{Interval: 0, History: 300, BytesPerStrm: 60_000, WriteAmplification: 1, ReplayP99Ns: 900_000},
		{Interval: 100, History: 300, BytesPerStrm: 70_000, WriteAmplification: 1.5, ReplayP99Ns: 120_000},
	}}
	dir := t.TempDir()
	if err := reports.DirAt(dir).Write(res); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestPlanCommand(t *testing.T) {
	dir := planResult(t)
	// 1,000 ops/s × 86,400 × 30 days × 200 B × 3 = 1,555.2 GB of events;
	// 2,592 events/stream → 25 snapshots × 10,000 B × 1,000,000 × 3 =
	// 750 GB; total 2,305.2 GB = 2.31 TB.
	out, err := runCLI(t, "plan", dir, "--customers", "1000000", "--ops-per-active", "0.01", "--retention-days", "30",
		"--snapshot-interval", "100")
	if err != nil {
		t.Fatalf("plan: %v\n%s", err, out)
	}
	for _, want := range []string{
		"| bytes per event (--bytes-per-event) | 200 B | measured: ",
		"| bytes per snapshot (--snapshot-bytes) | 10000 B | measured: ",
		"| per-node throughput (--per-node-ops) | 10000 writes/s | assumed default |",
		"| customers (--customers) | 1000000 | flag |",
		"| total storage | 2.31 TB |",
		"| replay p99 (measured) | 120.0µs | sweep cell h=300, i=100 |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("plan output lacks %q:\n%s", want, out)
		}
	}
	for _, tc := range []struct {
		args []string
		flag string
	}{
		{[]string{"--customers", "1000", "--total-ops", "5", "--per-node-ops", "0"}, "--per-node-ops"},
		{[]string{"--total-ops", "5"}, "--customers"},
		{[]string{"--customers", "1000", "--total-ops", "5", "--snapshot-interval", "100", "--codec", "protobuf"}, "--bytes-per-event"},
	} {
		_, err := runCLI(t, append([]string{"plan", dir}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.flag) {
			t.Errorf("plan %v: error %v, want one naming %s", tc.args, err, tc.flag)
		}
	}
}
