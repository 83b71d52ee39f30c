package cassandra

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestClientRequestProbe is the meter of docs/benchmarks.md's client CPU
// per CQL request: over a window it reads the CPU time of a client process
// (ESBENCH_PROBE_PID; utime+stime of every thread, /proc/PID/stat) and the
// CQL requests the node served (system_views.clients.request_count summed
// over every connection; the probe's own reads are counted and
// subtracted), and logs the client's CPU per request. It measures whatever
// client runs, esbench or a standard tool, the same way.
func TestClientRequestProbe(t *testing.T) {
	pidText := os.Getenv("ESBENCH_PROBE_PID")
	if pidText == "" {
		t.Skip("set ESBENCH_PROBE_PID to a client's process id to measure its CPU per CQL request")
	}
	pid, err := strconv.Atoi(pidText)
	if err != nil || pid <= 0 {
		t.Fatalf("ESBENCH_PROBE_PID %q: want a process id", pidText)
	}
	window := 30 * time.Second
	if w := os.Getenv("ESBENCH_PROBE_WINDOW"); w != "" {
		if window, err = time.ParseDuration(w); err != nil || window <= 0 {
			t.Fatalf("ESBENCH_PROBE_WINDOW %q: want a positive duration", w)
		}
	}
	ctx := context.Background()
	cfg := nodeConfig(t).withDefaults()
	sess, err := connect(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	requests := func() int64 {
		it := sess.Query("SELECT request_count FROM system_views.clients").Idempotent(true).IterContext(ctx)
		var n, sum int64
		for it.Scan(&n) {
			sum += n
		}
		if err := it.Close(); err != nil {
			t.Fatal(err)
		}
		return sum
	}
	ticks := func() int64 {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			t.Fatal(err)
		}
		// Fields after the command name (which may hold spaces): state is
		// field 3, utime 14 and stime 15.
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
		u, _ := strconv.ParseInt(f[11], 10, 64)
		s, _ := strconv.ParseInt(f[12], 10, 64)
		return u + s
	}
	const hz = 100 // USER_HZ on Linux
	r0, c0, t0 := requests(), ticks(), time.Now()
	time.Sleep(window)
	r1, c1, t1 := requests(), ticks(), time.Now()
	// The probe's own first read is counted at the second; the second
	// maybe not yet: subtract one.
	req := r1 - r0 - 1
	took := t1.Sub(t0).Seconds()
	cpu := float64(c1-c0) / hz
	if req <= 0 {
		t.Fatalf("no CQL requests in %v", window)
	}
	t.Logf("%s: %d CQL requests in %.1f s (%.1f/s), client CPU %.2f s (%.1f %% of one core): %.1f µs per request",
		os.Getenv("ESBENCH_PROBE_LABEL"), req, took, float64(req)/took, cpu, 100*cpu/took, 1e6*cpu/float64(req))
}
