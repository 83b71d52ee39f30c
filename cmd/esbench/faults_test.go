package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/esbench/esbench/internal/owned"
	"github.com/esbench/esbench/reports"
)

// TestFaultFlagsBadInput covers the flags of the fault, audit and alert
// work: each bad value is refused before any work starts, with a message
// naming the flag and the allowed range, and no result directory appears.
func TestFaultFlagsBadInput(t *testing.T) {
	wl := writeTiny(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"alert share negative", []string{"run", wl, "--store", "memory", "--alert-share", "-0.1"}, "--alert-share -0.1: must be a share between 0 and 1"},
		{"alert share above one", []string{"run", wl, "--store", "memory", "--alert-share", "1.5"}, "--alert-share 1.5: must be a share between 0 and 1"},
		{"alert share NaN", []string{"run", wl, "--store", "memory", "--alert-share", "NaN"}, "--alert-share NaN: must be a share between 0 and 1"},
		{"alert share not a number", []string{"run", wl, "--store", "memory", "--alert-share", "lots"}, `invalid argument "lots" for "--alert-share"`},
		{"fault without kind", []string{"run", wl, "--store", "memory", "--fault", ",at=1s,for=1s"}, "--fault \",at=1s,for=1s\": want KIND,at=DURATION"},
		{"fault not key=value", []string{"run", wl, "--store", "memory", "--fault", "stall,at"}, `"at" is not key=value`},
		{"fault unknown key", []string{"run", wl, "--store", "memory", "--fault", "stall,at=0s,for=1s,severity=3"}, `unknown key "severity"`},
		{"fault key twice", []string{"run", wl, "--store", "memory", "--fault", "stall,at=0s,at=1s,for=1s"}, "at given twice"},
		{"fault bad duration", []string{"run", wl, "--store", "memory", "--fault", "stall,at=soon,for=1s"}, `at="soon"`},
		{"fault bad rate", []string{"run", wl, "--store", "memory", "--fault", "errors,at=0s,for=100ms,rate=NaN"}, `rate="NaN": not a finite number`},
		{"fault without for", []string{"run", wl, "--store", "memory", "--fault", "stall,at=0s"}, "for= is required"},
		{"fault unknown kind", []string{"run", wl, "--store", "memory", "--fault", "fire,at=0s,for=100ms"}, "field faults[0].kind: want one of latency"},
		{"fault past the run", []string{"run", wl, "--store", "memory", "--fault", "stall,at=800ms,for=1s"}, "the window ends at 1.8s, after the run's 900ms"},
		{"fault rate zero", []string{"run", wl, "--store", "memory", "--fault", "errors,at=0s,for=100ms,rate=0"}, "faults[0].rate: want a share of calls in (0, 1]"},
		{"fault names the flag", []string{"run", wl, "--store", "memory", "--fault", "latency,at=0s,for=100ms"}, "checked after the command-line overrides --fault"},
		{"node fault without a cluster", []string{"run", wl, "--store", "memory", "--fault", "node-kill,at=0s,for=100ms,node=2", "--nodes-dir", filepath.Join(t.TempDir(), "none")}, "--nodes-dir"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "results")
			stdout, err := runCLI(t, append(tt.args, "--out", out)...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("esbench %s: err %v, want %q\n%s", strings.Join(tt.args, " "), err, tt.want, stdout)
			}
			if dirExists(out) {
				t.Errorf("a refused run created %s", out)
			}
		})
	}
}

func dirExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// TestAuditPebble runs a workload on a fresh pebble directory (preloaded in
// bulk through the ledger), audits it clean, then shows that the audit fails on a ledger claiming an event the store
// does not hold.
func TestAuditPebble(t *testing.T) {
	tmp := t.TempDir()
	out, data := filepath.Join(tmp, "results"), filepath.Join(tmp, "data")
	if stdout, err := runCLI(t, "run", writeTiny(t), "--store", "pebble", "--data-dir", data, "--pebble-sync=false",
		"--out", out, "--progress", "none"); err != nil {
		t.Fatalf("run: %v\n%s", err, stdout)
	}
	dir := resultDir(t, out)
	ledgerPath := filepath.Join(dir, "tiny"+reports.LedgerExt)
	if _, err := os.Stat(ledgerPath); err != nil {
		t.Fatalf("the run wrote no ledger: %v", err)
	}
	stdout, err := runCLI(t, "audit", dir, "--data-dir", data)
	if err != nil {
		t.Fatalf("audit of a clean run: %v\n%s", err, stdout)
	}
	acked := auditCount(t, stdout, "acknowledged")
	if acked == 0 || auditCount(t, stdout, "found") != acked || auditCount(t, stdout, "lost") != 0 || !strings.Contains(stdout, "OK:") {
		t.Fatalf("audit output:\n%s", stdout)
	}
	// The ledger did not hide the store's bulk loader: the histories were
	// loaded in ranges, and every preloaded event is among the
	// acknowledged ones the audit found.
	res, err := reports.ReadFile(filepath.Join(dir, reports.ResultFile))
	if err != nil {
		t.Fatal(err)
	}
	if pl := res.Preload; pl == nil || pl.Method != "ranges" || pl.Events == 0 || acked < pl.Events {
		t.Fatalf("preload %+v with %d events acknowledged; want a range preload, all of it in the ledger", pl, acked)
	}
	// A claim the store cannot honour: the stream of the first
	// acknowledged append, at a version past its end.
	b, err := os.ReadFile(ledgerPath)
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, []byte("A 1 999999 no-such-event\n")...)
	if err := os.WriteFile(ledgerPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, err = runCLI(t, "audit", dir, "--data-dir", data)
	if exitCode(err) != exitAuditFailed || auditCount(t, stdout, "lost") != 1 {
		t.Fatalf("audit of a ledger with a lost event: exit %d (%v)\n%s", exitCode(err), err, stdout)
	}
	// JSON for scripts.
	stdout, _ = runCLI(t, "audit", dir, "--json", "--data-dir", data)
	if !strings.Contains(stdout, `"lost": 1`) {
		t.Fatalf("audit --json:\n%s", stdout)
	}
}

// auditCount reads one count from audit's text report.
func auditCount(t *testing.T, out, name string) int64 {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && strings.Join(f[:len(f)-1], " ") == name {
			n, err := strconv.ParseInt(f[len(f)-1], 10, 64)
			if err != nil {
				t.Fatalf("audit line %q: %v", line, err)
			}
			return n
		}
	}
	t.Fatalf("audit output has no %q line:\n%s", name, out)
	return 0
}

func TestAuditBadInput(t *testing.T) {
	tmp := t.TempDir()
	mk := func(name, ledger string) string {
		d := filepath.Join(tmp, name)
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if ledger != "" {
			if err := os.WriteFile(filepath.Join(d, "mixed.ledger"), []byte(ledger), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return d
	}
	header := func(st, loc string) string {
		return `# {"format":"esbench-ledger/v1","config":"mixed","store":"` + st + `","location":"` + loc + `","started":"2026-01-01T00:00:00Z"}` + "\n"
	}
	empty := mk("empty", "")
	file := filepath.Join(tmp, "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	junk := mk("junk", "not a ledger\n")
	nodata := filepath.Join(tmp, "nodata")
	gone := mk("gone", header("pebble", "pebble "+nodata))
	cass := mk("cass", header("cassandra", "cassandra keyspace ks1, conditional mode"))
	// Another pebble directory of esbench's (a foreign one is refused
	// before the ledger is read).
	other := filepath.Join(tmp, "other")
	if err := owned.Claim(other, owned.KindPebble); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no directory", []string{"audit"}, "requires at least 1 arg"},
		{"missing directory", []string{"audit", filepath.Join(tmp, "nope")}, "no such file or directory"},
		{"a file", []string{"audit", file}, "is not a directory: give the result directory of a run"},
		{"no ledger", []string{"audit", empty}, "holds no .ledger file"},
		{"not a ledger", []string{"audit", junk}, "mixed.ledger: ledger: malformed file: line 1: no header"},
		{"temporary pebble", []string{"audit", gone}, "--store pebble: pebble (temporary directory) does not outlive a run"},
		{"data directory gone", []string{"audit", gone, "--data-dir", nodata}, "--data-dir " + nodata + ": the run's pebble directory is gone"},
		{"another data directory", []string{"audit", gone, "--data-dir", other}, "the flags select pebble " + other + ", but " + filepath.Join(gone, "mixed.ledger") + " was written against pebble " + nodata},
		{"store differs from the ledger", []string{"audit", cass}, "--store pebble: " + filepath.Join(cass, "mixed.ledger") + " was written against the cassandra store"},
		{"keyspace differs from the ledger", []string{"audit", cass, "--store", "cassandra", "--cassandra-keyspace", "ks2"}, "the flags select cassandra keyspace ks2, conditional mode, but"},
		{"mode differs from the ledger", []string{"audit", cass, "--store", "cassandra", "--cassandra-keyspace", "ks1", "--cassandra-mode", "unconditional"}, "cassandra keyspace ks1, unconditional mode, but"},
		{"unknown store", []string{"audit", cass, "--store", "cassandr"}, "cassandr"},
		{"two stores at once", []string{"audit", gone, cass, "--data-dir", nodata}, "the run's pebble directory is gone"},
		{"unknown flag", []string{"audit", gone, "--lost-ok"}, "unknown flag: --lost-ok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, err := runCLI(t, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("esbench %s: err %v, want %q\n%s", strings.Join(tt.args, " "), err, tt.want, stdout)
			}
			if exitCode(err) == exitAuditFailed {
				t.Fatalf("bad input exits %d, the code of a failed audit", exitAuditFailed)
			}
		})
	}
	if _, err := os.Stat(nodata); err == nil {
		t.Fatal("audit created the missing pebble directory")
	}
}

// TestAuditAfterKill9 kills esbench with SIGKILL in the middle of a run on
// a durable pebble store and audits what its ledger holds: nothing it
// acknowledged may be missing (pebble syncs every write; the ledger claims
// only acknowledged appends, and a torn last line is ignored).
func TestAuditAfterKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills an esbench process")
	}
	tmp := t.TempDir()
	bin := buildEsbench(t)
	wl := filepath.Join(tmp, "long.yaml")
	long := strings.Replace(tinyWorkload, "duration: 700ms", "duration: 2m", 1)
	if err := os.WriteFile(wl, []byte(long), 0o644); err != nil {
		t.Fatal(err)
	}
	out, data := filepath.Join(tmp, "results"), filepath.Join(tmp, "data")
	cmd := exec.Command(bin, "run", wl, "--store", "pebble", "--data-dir", data, "--out", out, "--progress", "none")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	defer func() {
		if !killed {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}()
	// Wait until the ledger holds 500 acknowledged appends and the measured
	// run has logged an interval, then kill in the middle of it.
	var ledgerPath string
	deadline := time.Now().Add(60 * time.Second)
	for {
		if time.Now().After(deadline) {
			t.Fatalf("no ledger with 500 acknowledged appends and a measured interval within 60 s\n%s", logs.String())
		}
		time.Sleep(100 * time.Millisecond)
		m, _ := filepath.Glob(filepath.Join(out, "*", "tiny"+reports.LedgerExt))
		if len(m) != 1 {
			continue
		}
		ledgerPath = m[0]
		b, _ := os.ReadFile(ledgerPath)
		hl, err := os.Stat(filepath.Join(filepath.Dir(ledgerPath), "tiny.corrected.hlog"))
		if bytes.Count(b, []byte("\nA ")) >= 500 && err == nil && hl.Size() > 300 {
			break
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed = true
	_ = cmd.Wait()
	if _, err := os.Stat(filepath.Join(filepath.Dir(ledgerPath), reports.ResultFile)); err == nil {
		t.Fatal("the run finished before it was killed; the test proves nothing")
	}
	stdout, err := runCLI(t, "audit", filepath.Dir(ledgerPath), "--data-dir", data)
	if err != nil {
		t.Fatalf("audit after kill -9: %v\n%s", err, stdout)
	}
	if auditCount(t, stdout, "acknowledged") < 500 || auditCount(t, stdout, "lost") != 0 || auditCount(t, stdout, "duplicated") != 0 {
		t.Fatalf("audit after kill -9:\n%s", stdout)
	}
	t.Logf("audit after kill -9:\n%s", stdout)
}

// TestRunWithFaults runs the tiny workload on the memory store with an
// error window and a latency window: the windows are reported apart, the
// fallbacks they caused raise the alert at the top, and the report shows
// them.
func TestRunWithFaults(t *testing.T) {
	out := filepath.Join(t.TempDir(), "results")
	wl := filepath.Join(t.TempDir(), "faulty.yaml")
	body := strings.Replace(tinyWorkload, "duration: 700ms", "duration: 2500ms", 1) +
		"faults:\n  - {kind: errors, at: 500ms, for: 700ms, rate: 1}\n"
	if err := os.WriteFile(wl, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, err := runCLI(t, "run", wl, "--store", "memory", "--out", out, "--progress", "none",
		"--fault", "latency,at=1500ms,for=500ms,latency=20ms,distribution=exponential")
	if err != nil {
		t.Fatalf("run: %v\n%s", err, stdout)
	}
	res, err := reports.ReadFile(filepath.Join(resultDir(t, out), reports.ResultFile))
	if err != nil {
		t.Fatal(err)
	}
	run := res.Runs[len(res.Runs)-1]
	if len(run.FaultWindows) != 2 {
		t.Fatalf("fault windows %+v, want 2", run.FaultWindows)
	}
	ew, lw := run.FaultWindows[0], run.FaultWindows[1]
	if ew.Kind != "errors" || ew.Ops == 0 || ew.Fallbacks+ew.Errors != ew.Ops-ew.Outcomes["denied"]-ew.Outcomes["ok"] || ew.Fallbacks == 0 || ew.FallbackLatency == nil {
		t.Errorf("error window: %+v", ew)
	}
	// Windows count operations by the time they were issued, the injector
	// fails store calls by the time they are made: an operation issued in
	// the window's last moments can reach the store after it closed and be
	// answered. On a loaded machine that is a few of the window's ~210
	// operations, never a real share of them.
	if ok := ew.Outcomes["ok"]; ok*20 > ew.Ops {
		t.Errorf("error window with rate 1 has %d ok operations of %d (more than 5%%)", ok, ew.Ops)
	}
	if len(ew.ErrorSamples) == 0 || !strings.Contains(strings.Join(ew.ErrorSamples["fallback"], " "), "faults: injected error") {
		t.Errorf("error window samples %v", ew.ErrorSamples)
	}
	if ew.RecoveryNs < 0 {
		t.Errorf("the run did not recover after the error window: %+v", ew)
	}
	if lw.Kind != "latency" || lw.Ops == 0 || lw.Fallbacks != 0 || lw.Outcomes["unavailable"] != 0 {
		t.Errorf("latency window: %+v", lw)
	}
	if len(res.Alerts) == 0 || !strings.Contains(strings.Join(res.Alerts, " "), "permissive fallback") {
		t.Errorf("alerts %q, want the fallbacks stated", res.Alerts)
	}
	if !strings.Contains(stdout, "ATTENTION:") || !strings.Contains(stdout, "errors at 500ms for 700ms") {
		t.Errorf("console summary lacks the alert or the window:\n%s", stdout)
	}
	html, _ := os.ReadFile(filepath.Join(resultDir(t, out), reports.HTMLFile))
	if !strings.Contains(string(html), "<h3>Fault windows</h3>") || !strings.Contains(string(html), `"windows":[{"from":0.5,"to":1.2,"label":"errors"}`) {
		t.Errorf("report.html lacks the fault windows")
	}
}
