package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/esbench/esbench/refimpl/store/cassandra"
	"github.com/esbench/esbench/reports"
)

// The fault tests against real Cassandra nodes. They kill, freeze and
// restart nodes, so they run only on nodes this project started:
// scripts/test.sh sets ESBENCH_FAULT_NODES_DIR (its scripts/cassandra.sh
// directory) when it started the node or cluster itself.

func faultNodesDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("ESBENCH_FAULT_NODES_DIR")
	if dir == "" {
		t.Skip("ESBENCH_FAULT_NODES_DIR is not set: scripts/test.sh runs the fault tests on the node(s) it starts itself")
	}
	return dir
}

// faultWorkers is the fault workloads' arrival.workers: the most operations
// in flight at once.
const faultWorkers = 8

// faultWorkload writes a mixed workload of rate ops/s for d after a 2 s
// warmup on customers customers, with faults (a YAML list, may be empty).
func faultWorkload(t *testing.T, name string, customers, rate int, duration string, faults string) string {
	t.Helper()
	body := fmt.Sprintf(`name: %s
experiment: mixed
population:
  customers: %d
  history: {distribution: lognormal, mean: 10, sigma: 0.5, min: 5, max: 30, span: 720h}
arrival: {mode: open, process: poisson, rate: %d, workers: %d}
warmup: 2s
duration: %s
preload: {enabled: true, workers: 4}
service: {snapshot: "every:10", codec: json}
`, name, customers, rate, faultWorkers, duration)
	if faults != "" {
		body += "faults:\n" + faults
	}
	p := filepath.Join(t.TempDir(), name+".yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// faultRun runs esbench and returns the result it wrote and its output.
func faultRun(t *testing.T, args ...string) (*reports.Result, string, string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "results")
	stdout, err := runCLI(t, append(args, "--out", out, "--progress", "none")...)
	if err != nil {
		t.Fatalf("esbench %s: %v\n%s", strings.Join(args, " "), err, stdout)
	}
	dir := resultDir(t, out)
	res, err := reports.ReadFile(filepath.Join(dir, reports.ResultFile))
	if err != nil {
		t.Fatal(err)
	}
	return res, dir, stdout
}

func outcomeCount(run reports.Run, outcome string) int64 {
	var n int64
	for _, op := range run.Operations {
		for _, o := range op.Outcomes {
			if o.Outcome == outcome {
				n += o.Count
			}
		}
	}
	return n
}

// TestCassandraFaultNodeKill kills the single durable node in the middle of
// a run (SIGKILL) and restarts it: the run falls back while it is down,
// recovers once it is back, and the audit finds every acknowledged append
// (commitlog_sync: batch acknowledges only what is on disk).
func TestCassandraFaultNodeKill(t *testing.T) {
	dir := faultNodesDir(t)
	addr := os.Getenv("ESBENCH_CASSANDRA")
	ks := "esbench_fault_kill"
	conn := []string{"--store", "cassandra", "--cassandra-hosts", addr, "--cassandra-keyspace", ks,
		"--cassandra-timeout", "2s", "--cassandra-connect-timeout", "2s"}
	wl := faultWorkload(t, "nodekill", 300, 100, "150s", "  - {kind: node-kill, node: 1, at: 10s, for: 3s}\n")
	res, rdir, stdout := faultRun(t, append([]string{"run", wl, "--timeout", "2s", "--nodes-dir", dir}, conn...)...)
	run := res.Runs[len(res.Runs)-1]
	if len(run.FaultWindows) != 1 {
		t.Fatalf("fault windows %+v", run.FaultWindows)
	}
	w := run.FaultWindows[0]
	if w.Fallbacks+w.Outcomes["unavailable"] == 0 {
		t.Errorf("nothing failed or fell back while the only node was down: %+v", w)
	}
	if w.RecoveryNs < 0 {
		t.Errorf("the run did not recover after the restart: %+v\n%s", w, stdout)
	}
	if len(res.FaultEvents) != 2 || res.FaultEvents[0].Error != "" || res.FaultEvents[1].Error != "" {
		t.Errorf("node actions %+v, want a kill and a restart without error", res.FaultEvents)
	}
	t.Logf("node-kill window: %d ops, %d fallbacks (%.1f%%), %d unavailable, fallback p99 %s, recovered: %s",
		w.Ops, w.Fallbacks, 100*w.FallbackShare, w.Outcomes["unavailable"], fallbackP99(w), reports.FormatRecovery(w))
	out, err := runCLI(t, append([]string{"audit", rdir}, conn...)...)
	if err != nil {
		t.Fatalf("audit after kill -9 of the node: %v\n%s", err, out)
	}
	if auditCount(t, out, "acknowledged") < 1000 || auditCount(t, out, "lost") != 0 || auditCount(t, out, "duplicated") != 0 {
		t.Fatalf("audit after kill -9 of the node:\n%s", out)
	}
	t.Logf("audit:\n%s", out)
}

func fallbackP99(w reports.FaultWindow) string {
	if w.FallbackLatency == nil {
		return "-"
	}
	return reports.FormatNs(w.FallbackLatency.P99Ns)
}

// TestCassandraFaultTwoWriters runs two esbench processes at once (same
// seed, so the same customers) against one
// keyspace: in conditional mode the audit of both ledgers is clean; in
// unconditional mode both runs report the divergence they meet, and the
// audit fails on it.
func TestCassandraFaultTwoWriters(t *testing.T) {
	faultNodesDir(t)
	addr := os.Getenv("ESBENCH_CASSANDRA")
	wl := faultWorkload(t, "twowriters", 100, 100, "15s", "")
	bin := buildEsbench(t)
	for _, mode := range []string{"conditional", "unconditional"} {
		t.Run(mode, func(t *testing.T) {
			conn := []string{"--store", "cassandra", "--cassandra-hosts", addr, "--cassandra-keyspace", "esbench_fault_two_" + mode,
				"--cassandra-mode", mode}
			// Two processes, as two service instances would be.
			var (
				cmds [2]*exec.Cmd
				outs [2]bytes.Buffer
				res  [2]*reports.Result
				dirs [2]string
			)
			for i := range cmds {
				dirs[i] = filepath.Join(t.TempDir(), "results")
				cmds[i] = exec.Command(bin, append([]string{"run", wl, "--out", dirs[i], "--progress", "none"}, conn...)...)
				cmds[i].Stdout, cmds[i].Stderr = &outs[i], &outs[i]
				if err := cmds[i].Start(); err != nil {
					t.Fatal(err)
				}
			}
			for i, c := range cmds {
				if err := c.Wait(); err != nil {
					t.Fatalf("esbench run #%d: %v\n%s", i+1, err, outs[i].String())
				}
				dirs[i] = resultDir(t, dirs[i])
				r, err := reports.ReadFile(filepath.Join(dirs[i], reports.ResultFile))
				if err != nil {
					t.Fatal(err)
				}
				res[i] = r
			}
			out, err := runCLI(t, append([]string{"audit", dirs[0], dirs[1]}, conn...)...)
			divergent := auditCount(t, out, "divergent versions")
			t.Logf("%s audit:\n%s", mode, out)
			if mode == "conditional" {
				if err != nil || divergent != 0 || auditCount(t, out, "lost") != 0 {
					t.Fatalf("conditional audit: %v\n%s", err, out)
				}
				return
			}
			if exitCode(err) != exitAuditFailed || divergent == 0 || auditCount(t, out, "acknowledged twice") == 0 {
				t.Fatalf("unconditional audit: exit %d, want %d with divergent versions\n%s", exitCode(err), exitAuditFailed, out)
			}
			for i, r := range res {
				run := r.Runs[len(r.Runs)-1]
				if d := outcomeCount(run, "diverged"); d == 0 || !strings.Contains(strings.Join(r.Alerts, " "), "two different events at one version") {
					t.Errorf("run %d: %d diverged operations, alerts %q; want the divergence reported", i, d, r.Alerts)
				}
			}
			acked := auditCount(t, out, "acknowledged")
			t.Logf("divergence under two concurrent unconditional writers: %d of %d acknowledged events (%.2f%%) share their version with another event",
				divergent, acked, 100*float64(divergent)/float64(max(acked, 1)))
		})
	}
}

// buildEsbench returns the esbench binary TestMain built for subprocess
// tests.
func buildEsbench(t *testing.T) string {
	t.Helper()
	if esbenchBin == "" {
		t.Fatal("no esbench binary: TestMain did not build it")
	}
	return esbenchBin
}

// TestClusterFaults runs on the local 3-node cluster (replication factor 3,
// LOCAL_QUORUM): with one node killed mid-run (SIGKILL, restarted after 5
// s) the service keeps answering from the other two; with two nodes killed
// quorum is lost, operations fail or fall back, and the run recovers once
// they are restarted. Both audits are clean.
func TestClusterFaults(t *testing.T) {
	dir := faultNodesDir(t)
	if os.Getenv("ESBENCH_CLUSTER_NODES") != "3" {
		t.Skip("ESBENCH_CLUSTER_NODES is not 3: scripts/test.sh runs this test on the 3-node cluster it starts")
	}
	// No replication flag: a keyspace esbench creates on three nodes gets
	// three replicas by itself. A keyspace of this run's own, dropped at
	// the end, so that the first run creates it.
	ks := "esbench_cluster_" + strconv.FormatInt(time.Now().Unix(), 36)
	hosts := []string{"127.0.0.1", "127.0.0.2", "127.0.0.3"}
	conn := []string{"--store", "cassandra", "--cassandra-hosts", strings.Join(hosts, ","),
		"--cassandra-keyspace", ks, "--cassandra-timeout", "2s", "--cassandra-connect-timeout", "2s"}
	t.Cleanup(func() {
		if err := cassandra.DropKeyspace(context.Background(), cassandra.Config{Hosts: hosts, Keyspace: ks, Replication: cassandra.Replication{Factor: 3}}); err != nil {
			t.Errorf("dropping %s: %v", ks, err)
		}
	})
	replication := func(t *testing.T, res *reports.Result, want string) {
		t.Helper()
		if got := res.Environment.BackendOptions["replication"]; !strings.Contains(got, want) {
			t.Errorf("result records replication %q, want %q", got, want)
		}
	}
	audit := func(t *testing.T, rdir string) {
		t.Helper()
		out, err := runCLI(t, append([]string{"audit", rdir}, conn...)...)
		if err != nil || auditCount(t, out, "lost") != 0 || auditCount(t, out, "duplicated") != 0 || auditCount(t, out, "acknowledged") == 0 {
			t.Fatalf("audit: %v\n%s", err, out)
		}
		t.Logf("audit:\n%s", out)
	}
	// nodeActions checks that every node action of the run happened.
	nodeActions := func(t *testing.T, res *reports.Result, want int) {
		t.Helper()
		if len(res.FaultEvents) != want {
			t.Errorf("node actions %+v, want %d", res.FaultEvents, want)
		}
		for _, e := range res.FaultEvents {
			if e.Error != "" {
				t.Errorf("node action %s at %s failed: %s", e.Action, reports.FormatNs(e.AtNs), e.Error)
			}
		}
	}
	t.Run("OneNodeKilled", func(t *testing.T) {
		wl := faultWorkload(t, "killone", 300, 50, "30s", "  - {kind: node-kill, node: 3, at: 8s, for: 5s}\n")
		res, rdir, stdout := faultRun(t, append([]string{"run", wl, "--timeout", "2s", "--nodes-dir", dir}, conn...)...)
		nodeActions(t, res, 2)
		replication(t, res, "keyspace "+ks+": SimpleStrategy, replication factor 3 (auto: 3 nodes in the cluster")
		if !strings.Contains(stdout, "esbench: keyspace "+ks+": SimpleStrategy, replication factor 3 (auto") {
			t.Errorf("the run did not say which replication it chose:\n%s", stdout)
		}
		w := res.Runs[len(res.Runs)-1].FaultWindows[0]
		failed := w.Fallbacks + w.Outcomes["unavailable"]
		t.Logf("one node killed: %d ops in the window, %d fallbacks (%.1f%%, p99 %s), %d unavailable, recovered: %s",
			w.Ops, w.Fallbacks, 100*w.FallbackShare, fallbackP99(w), w.Outcomes["unavailable"], reports.FormatRecovery(w))
		// Quorum holds with two of three replicas, so only the requests the
		// kill catches can fail, not the window: those in flight to the
		// node at the kill (at most one per worker) and, per worker, at
		// most one more sent before the driver and the coordinators marked
		// the node down (it waits out the 2 s timeout). The bound is a
		// count, not a share of the window: a loaded machine runs fewer
		// operations in the window but the kill catches as many. The
		// window must hold well over that many operations for the bound to
		// say anything.
		if limit := int64(2 * faultWorkers); w.Ops < 4*limit || failed > limit {
			t.Errorf("with one node of three down, %d of %d operations failed or fell back (want at most %d of at least %d)\n%s",
				failed, w.Ops, limit, 4*limit, stdout)
		}
		audit(t, rdir)
	})
	// The killed node must be back before quorum is tested again.
	waitCQL(t, "127.0.0.3:9042")
	t.Run("TwoNodesKilled", func(t *testing.T) {
		wl := faultWorkload(t, "killtwo", 300, 50, "60s",
			"  - {kind: node-kill, node: 2, at: 8s, for: 8s}\n  - {kind: node-kill, node: 3, at: 8s, for: 8s}\n")
		res, rdir, stdout := faultRun(t, append([]string{"run", wl, "--timeout", "2s", "--nodes-dir", dir}, conn...)...)
		nodeActions(t, res, 4)
		replication(t, res, "keyspace "+ks+": SimpleStrategy, replication factor 3 (the existing keyspace's)")
		w := res.Runs[len(res.Runs)-1].FaultWindows[0]
		failed := w.Fallbacks + w.Outcomes["unavailable"]
		t.Logf("two nodes killed: %d ops in the window, %d fallbacks (%.1f%%, p99 %s), %d unavailable, recovered: %s",
			w.Ops, w.Fallbacks, 100*w.FallbackShare, fallbackP99(w), w.Outcomes["unavailable"], reports.FormatRecovery(w))
		if failed == 0 {
			t.Errorf("nothing failed or fell back without quorum: %+v\n%s", w, stdout)
		}
		if w.RecoveryNs < 0 {
			t.Errorf("the run did not recover after the nodes were restarted (%s): %+v\n%s", reports.FormatRecovery(w), w, stdout)
		}
		audit(t, rdir)
	})
	// Leave the cluster whole: the restarted nodes answer again.
	waitCQL(t, "127.0.0.2:9042")
	waitCQL(t, "127.0.0.3:9042")
}

// waitCQL waits until addr accepts connections (a restarted node listens
// for CQL once it has started), up to three minutes.
func waitCQL(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not accept connections within 3 minutes: %v", addr, err)
		}
		time.Sleep(time.Second)
	}
}
