package faults

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/esbench/esbench/refimpl/store"
	"github.com/esbench/esbench/refimpl/store/memory"
	"github.com/esbench/esbench/workload"
)

func appendOne(ctx context.Context, st store.Store, id string) error {
	return st.Append(ctx, store.AppendRequest{Stream: store.StreamID{Customer: id, AggregateType: "T", AggregateID: id},
		Events: []store.Record{{EventID: id, Type: "T"}}})
}

// TestStoreFaults drives a real (memory) store through each store-level
// window and checks what a call sees inside and outside it.
func TestStoreFaults(t *testing.T) {
	ctx := context.Background()
	in, err := New([]workload.FaultSpec{
		{Kind: workload.FaultLatency, At: 0, For: 300 * time.Millisecond, Latency: 40 * time.Millisecond, Distribution: workload.LatencyFixed},
		{Kind: workload.FaultErrors, At: 300 * time.Millisecond, For: 200 * time.Millisecond, Rate: 1},
		{Kind: workload.FaultTimeout, At: 500 * time.Millisecond, For: 200 * time.Millisecond, Timeout: 30 * time.Millisecond},
		{Kind: workload.FaultStall, At: 700 * time.Millisecond, For: 200 * time.Millisecond},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	st := in.Wrap(memory.New())
	// Disarmed: no fault whatever the time.
	if err := appendOne(ctx, st, "before"); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	in.Arm(ctx, t0)
	at := func(d time.Duration) { time.Sleep(time.Until(t0.Add(d))) }

	at(10 * time.Millisecond)
	s := time.Now()
	if err := appendOne(ctx, st, "slow"); err != nil || time.Since(s) < 40*time.Millisecond {
		t.Fatalf("latency window: err %v after %s, want success after ≥ 40ms", err, time.Since(s))
	}
	at(320 * time.Millisecond)
	err = appendOne(ctx, st, "failed")
	if !errors.Is(err, store.ErrUnavailable) || !errors.Is(err, ErrInjected) {
		t.Fatalf("error window: %v, want an injected ErrUnavailable", err)
	}
	for _, lerr := range st.Load(ctx, store.StreamID{Customer: "slow", AggregateType: "T", AggregateID: "slow"}, 0) {
		if !errors.Is(lerr, store.ErrUnavailable) {
			t.Fatalf("load in the error window: %v", lerr)
		}
	}
	rp, ok := st.(store.Replayer)
	if !ok {
		t.Fatal("the fault decorator hides the store's replay reader")
	}
	for _, rerr := range rp.Replay(ctx, store.StreamID{Customer: "slow", AggregateType: "T", AggregateID: "slow"}, 0, "") {
		if !errors.Is(rerr, store.ErrUnavailable) {
			t.Fatalf("replay in the error window: %v", rerr)
		}
	}
	at(520 * time.Millisecond)
	s = time.Now()
	err = appendOne(ctx, st, "timeout")
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(s) < 30*time.Millisecond {
		t.Fatalf("timeout window: %v after %s", err, time.Since(s))
	}
	at(720 * time.Millisecond)
	if err := appendOne(ctx, st, "stalled"); err != nil {
		t.Fatal(err)
	}
	if end := t0.Add(900 * time.Millisecond); time.Now().Before(end) {
		t.Fatalf("stall released the call %s before the window's end", time.Until(end))
	}
	// A stalled call still honours its context.
	in2, _ := New([]workload.FaultSpec{{Kind: workload.FaultStall, At: 0, For: time.Hour}}, nil)
	in2.Arm(ctx, time.Now())
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if err := appendOne(cctx, in2.Wrap(memory.New()), "x"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("stalled call with a deadline: %v", err)
	}
	// After the windows: healthy again.
	if err := appendOne(ctx, st, "after"); err != nil {
		t.Fatal(err)
	}
}

// TestNodesRefuseForeignPids: a pid file naming a process that is not the
// node's Cassandra is never signalled.
// waitExec waits (bounded) until pid's command line can be read. exec.Cmd's
// Start can return while the child is still inside execve, when
// /proc/PID/cmdline reads empty for a moment, and Nodes reads an empty
// command line as a process that does not run.
func waitExec(t *testing.T, pid int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		if b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline"); err == nil && len(b) > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("pid %d has no command line 10 s after it started", pid)
		}
	}
}

func TestNodesRefuseForeignPids(t *testing.T) {
	dir := t.TempDir()
	nd := filepath.Join(dir, "node2")
	if err := os.MkdirAll(nd, 0o755); err != nil {
		t.Fatal(err)
	}
	sleeper := exec.Command("sleep", "30")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sleeper.Process.Kill(); _ = sleeper.Wait() }()
	waitExec(t, sleeper.Process.Pid)
	os.WriteFile(filepath.Join(nd, "cassandra.pid"), []byte(strconv.Itoa(sleeper.Process.Pid)+"\n"), 0o644)
	n := &Nodes{Dir: dir}
	for name, act := range map[string]func(int) error{"stop": n.Stop, "kill": n.Kill, "cont": n.Cont} {
		if err := act(2); err == nil || !strings.Contains(err.Error(), "is not the Cassandra node of") {
			t.Fatalf("%s of a foreign pid: %v", name, err)
		}
	}
	if err := sleeper.Process.Signal(syscall.Signal(0)); err != nil {
		t.Fatalf("the foreign process was signalled: %v", err)
	}
	if err := n.Check(3); err == nil || !strings.Contains(err.Error(), "node 3") {
		t.Fatalf("check of a node without a pid file: %v", err)
	}
	if _, err := New([]workload.FaultSpec{{Kind: workload.FaultNodeKill, Node: 1, For: time.Second}}, nil); err == nil {
		t.Fatal("a node fault without the cluster directory was accepted")
	}
}

// TestNodesKillRestartStopCont runs the node actions on a stand-in process
// whose command line names the node's run directory, as a Cassandra node
// started by scripts/cassandra.sh does: SIGSTOP and SIGCONT change its
// state, SIGKILL ends it, and the restart starts the same command line
// again and records the new pid.
func TestNodesKillRestartStopCont(t *testing.T) {
	dir := t.TempDir()
	run := filepath.Join(dir, "node2", "run")
	if err := os.MkdirAll(filepath.Join(run, "logs"), 0o755); err != nil {
		t.Fatal(err)
	}
	start := exec.Command("sh", "-c", "while :; do sleep 1; done", "fake-node", "-Dcassandra.storagedir="+run)
	if err := start.Start(); err != nil {
		t.Fatal(err)
	}
	pidfile := filepath.Join(dir, "node2", "cassandra.pid")
	waitExec(t, start.Process.Pid)
	os.WriteFile(pidfile, []byte(strconv.Itoa(start.Process.Pid)+"\n"), 0o644)
	n := &Nodes{Dir: dir}
	state := func(pid int) string {
		b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		f := strings.Fields(string(b))
		if len(f) < 3 {
			return "gone"
		}
		return f[2]
	}
	// A signal takes effect when the process next runs, which on a loaded
	// machine can take a while: poll (bounded) for the state.
	waitState := func(stopped bool) string {
		var s string
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if s = state(start.Process.Pid); (s == "T") == stopped {
				break
			}
		}
		return s
	}
	if err := n.Stop(2); err != nil {
		t.Fatal(err)
	}
	if s := waitState(true); s != "T" {
		t.Fatalf("after SIGSTOP the node is in state %s, want T (stopped)", s)
	}
	if err := n.Cont(2); err != nil {
		t.Fatal(err)
	}
	if s := waitState(false); s == "T" {
		t.Fatal("after SIGCONT the node is still stopped")
	}
	go start.Wait() // reap it once killed
	if err := n.Kill(2); err != nil {
		t.Fatal(err)
	}
	if err := n.Restart(2); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(pidfile)
	if err != nil {
		t.Fatal(err)
	}
	if restarted, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
		waitExec(t, restarted)
	}
	pid, argv, err := n.Pid(2)
	if err != nil {
		t.Fatalf("after the restart: %v", err)
	}
	defer syscall.Kill(pid, syscall.SIGKILL)
	if pid == start.Process.Pid || argv[len(argv)-1] != "-Dcassandra.storagedir="+run {
		t.Fatalf("restarted as pid %d with %q", pid, argv)
	}
}

// TestInjectorReportsNodeThatDiedAfterRestart: a node-kill window whose
// restarted node exits while starting (a stand-in that runs the first time
// and fails the second) ends with an event that says the node no longer
// runs, not with a restart that looks fine.
func TestInjectorReportsNodeThatDiedAfterRestart(t *testing.T) {
	dir := t.TempDir()
	run := filepath.Join(dir, "node3", "run")
	if err := os.MkdirAll(filepath.Join(run, "logs"), 0o755); err != nil {
		t.Fatal(err)
	}
	mark := filepath.Join(dir, "started-once")
	script := `if [ -e "$1" ]; then exit 1; fi; touch "$1"; while :; do sleep 1; done`
	start := exec.Command("sh", "-c", script, "fake-node", mark, "-Dcassandra.storagedir="+run)
	if err := start.Start(); err != nil {
		t.Fatal(err)
	}
	go start.Wait() // reap it once killed
	if err := os.WriteFile(filepath.Join(dir, "node3", "cassandra.pid"), []byte(strconv.Itoa(start.Process.Pid)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The stand-in must have left its mark before the kill, or its restart
	// would be its "first" start and run on.
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(mark); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the stand-in did not start within 20 s")
		}
	}
	t.Cleanup(func() {
		if pid, _, err := (&Nodes{Dir: dir}).Pid(3); err == nil {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	in, err := New([]workload.FaultSpec{{Kind: workload.FaultNodeKill, At: 0, For: 50 * time.Millisecond, Node: 3}}, &Nodes{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	in.Arm(context.Background(), time.Now())
	// The restarted stand-in exits at once, but on a loaded machine "at
	// once" can take a while: wait (bounded) until the pid the restart
	// recorded no longer runs, then ask the injector.
	// Dead means exited: gone from /proc or a zombie (its parent, this
	// test process, released it unreaped). An empty command line is not
	// enough, since a process inside execve shows one for a moment.
	exited := func(pid string) bool {
		b, err := os.ReadFile("/proc/" + pid + "/stat")
		if err != nil {
			return true
		}
		f := strings.Fields(string(b)[strings.LastIndexByte(string(b), ')')+1:])
		return len(f) > 0 && (f[0] == "Z" || f[0] == "X")
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		b, _ := os.ReadFile(filepath.Join(dir, "node3", "cassandra.pid"))
		pid := strings.TrimSpace(string(b))
		if pid != "" && pid != strconv.Itoa(start.Process.Pid) && exited(pid) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the restarted stand-in still runs after 20 s; it should exit at once")
		}
	}
	events := in.Wait()
	if len(events) != 3 || events[0].Err != "" || events[1].Err != "" {
		t.Fatalf("events %+v, want a kill, a restart and the node found gone", events)
	}
	if last := events[2]; last.Action != "node 3 at the end of the run" || !strings.Contains(last.Err, "no longer runs") {
		t.Fatalf("last event %+v, want the restarted node reported gone", last)
	}
}
