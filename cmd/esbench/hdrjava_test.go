package main

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/esbench/esbench/reports"
)

// javaTotals runs HdrHistogram's own HistogramLogProcessor (Java) over one
// tag of an interval log and returns its last row's totals: count, p50, p90,
// p99, p99.9, p99.99 and max, in the log's unit (nanoseconds).
func javaTotals(jar, hlog, tag, outFile string) ([7]int64, error) {
	var out [7]int64
	// -o writes the interval table to outFile (and the overall distribution
	// to outFile.hgrm); without it only the distribution is printed.
	args := []string{"-cp", jar, "org.HdrHistogram.HistogramLogProcessor", "-csv", "-outputValueUnitRatio", "1", "-i", hlog, "-o", outFile}
	if tag != "" {
		args = append(args, "-tag", tag)
	}
	var stderr bytes.Buffer
	cmd := exec.Command("java", args...)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return out, fmt.Errorf("HistogramLogProcessor %s %s: %v\n%s", hlog, tag, err, stderr.String())
	}
	table, err := os.ReadFile(outFile)
	if err != nil {
		return out, err
	}
	// The last row ("Timestamp","Int_Count",...,"Total_Max") holds the totals.
	var last string
	for _, line := range strings.Split(string(table), "\n") {
		if line != "" && !strings.HasPrefix(line, "#") && !strings.HasPrefix(line, `"`) {
			last = line
		}
	}
	cols := strings.Split(last, ",")
	if len(cols) != 12 {
		return out, fmt.Errorf("HistogramLogProcessor %s %s: no interval row in\n%s", hlog, tag, table)
	}
	for i, c := range cols[5:] { // Total_Count, Total_50% … Total_99.99%, Total_Max
		v, err := strconv.ParseFloat(c, 64)
		if err != nil {
			return out, fmt.Errorf("HistogramLogProcessor %s %s: column %q: %v", hlog, tag, c, err)
		}
		out[i] = int64(math.Round(v))
	}
	return out, nil
}

// TestHlogAgreesWithHdrHistogramJava decodes a real run's interval logs with
// HdrHistogram's Java HistogramLogProcessor and compares every percentile it
// reports with result.json: the logs are readable by the reference tools,
// hold exactly the measured operations, and esbench's percentile rule is
// Java's (a small-count p99 used to differ). scripts/test.sh (CI) resolves
// the jar with Maven and sets ESBENCH_HDRHISTOGRAM_JAR.
func TestHlogAgreesWithHdrHistogramJava(t *testing.T) {
	jar := os.Getenv("ESBENCH_HDRHISTOGRAM_JAR")
	if jar == "" {
		t.Skip("ESBENCH_HDRHISTOGRAM_JAR not set (scripts/test.sh sets it: scripts/hdrhistogram.sh jar)")
	}
	if _, err := exec.LookPath("java"); err != nil {
		t.Fatalf("ESBENCH_HDRHISTOGRAM_JAR is set but java is not on PATH: %v", err)
	}
	out := filepath.Join(t.TempDir(), "results")
	if stdout, err := runCLI(t, "run", writeTiny(t), "--store", "memory", "--out", out, "--progress", "none"); err != nil {
		t.Fatalf("run: %v\n%s", err, stdout)
	}
	dir := resultDir(t, out)
	res, err := reports.ReadFile(filepath.Join(dir, reports.ResultFile))
	if err != nil {
		t.Fatal(err)
	}

	type check struct {
		name, hlog, tag string
		want            reports.Latency
	}
	var checks []check
	for _, run := range res.Runs {
		for _, op := range run.Operations {
			for _, o := range op.Outcomes {
				tag := op.Op + "." + o.Outcome
				checks = append(checks,
					check{run.Name + " corrected " + tag, run.Name + ".corrected.hlog", tag, o.Corrected},
					check{run.Name + " service " + tag, run.Name + ".service.hlog", tag, o.Service})
			}
		}
		if run.StartLag != nil && run.StartLag.Count > 0 {
			checks = append(checks, check{run.Name + " start lag", run.Name + ".lag.hlog", "", *run.StartLag})
		}
	}
	if len(checks) < 10 {
		t.Fatalf("only %d series to check: the run measured too little", len(checks))
	}
	var (
		wg    sync.WaitGroup
		slots = make(chan struct{}, 2)
		mu    sync.Mutex
		small int
	)
	tmp := t.TempDir()
	for i, c := range checks {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			got, err := javaTotals(jar, filepath.Join(dir, c.hlog), c.tag, filepath.Join(tmp, strconv.Itoa(i)))
			if err != nil {
				t.Error(err)
				return
			}
			w := c.want
			want := [7]int64{w.Count, w.P50Ns, w.P90Ns, w.P99Ns, w.P999Ns, w.P9999Ns, w.MaxNs}
			if got != want {
				t.Errorf("%s: Java (count p50 p90 p99 p99.9 p99.99 max) = %v, result.json = %v", c.name, got, want)
			}
			if w.Count < 200 {
				mu.Lock()
				small++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	// The rank rules differ most on small counts: make sure some were compared.
	if small == 0 {
		t.Error("no series with fewer than 200 samples was compared")
	}
}
