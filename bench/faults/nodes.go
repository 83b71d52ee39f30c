package faults

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Nodes acts on the nodes of the local Cassandra cluster that
// scripts/cassandra.sh started under Dir (its ESBENCH_CASSANDRA_DIR): node
// N's pid is in Dir/nodeN/cassandra.pid (a single node's in
// Dir/cassandra.pid). A pid is only ever signalled after checking that its
// command line is that node's Cassandra, so a stale pid file never makes
// esbench signal another process.
type Nodes struct {
	Dir string
}

func (n *Nodes) paths(node int) (pidfile, run string) {
	// The script names the run directory by its absolute path.
	top, err := filepath.Abs(n.Dir)
	if err != nil {
		top = n.Dir
	}
	d := filepath.Join(top, "node"+strconv.Itoa(node))
	if node == 1 {
		// A single node keeps its pid file at the top; a cluster's node 1
		// in node1. Whichever the script wrote last is the running one.
		if _, err := os.Stat(filepath.Join(d, "cassandra.pid")); err != nil {
			if _, err := os.Stat(filepath.Join(top, "cassandra.pid")); err == nil {
				d = top
			}
		}
	}
	return filepath.Join(d, "cassandra.pid"), filepath.Join(d, "run")
}

// Pid returns the pid of node and its command line, checked to be the
// node's Cassandra.
func (n *Nodes) Pid(node int) (int, []string, error) {
	pidfile, run := n.paths(node)
	b, err := os.ReadFile(pidfile)
	if err != nil {
		return 0, nil, fmt.Errorf("node %d: %w (is the local cluster up? make cassandra-up NODES=N)", node, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 1 {
		return 0, nil, fmt.Errorf("node %d: %s holds %q, not a pid", node, pidfile, strings.TrimSpace(string(b)))
	}
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || len(raw) == 0 {
		// An exited child not yet reaped (a zombie) has an empty command line.
		return 0, nil, fmt.Errorf("node %d: pid %d from %s does not run (the node is down)", node, pid, pidfile)
	}
	argv := strings.Split(strings.TrimRight(string(raw), "\x00"), "\x00")
	want := "-Dcassandra.storagedir=" + run
	for _, a := range argv {
		if a == want {
			return pid, argv, nil
		}
	}
	return 0, nil, fmt.Errorf("node %d: pid %d from %s is not the Cassandra node of %s; leaving it alone", node, pid, pidfile, run)
}

// Check verifies that every node of nodes runs and was started under Dir.
func (n *Nodes) Check(nodes ...int) error {
	var errs []error
	for _, node := range nodes {
		if _, _, err := n.Pid(node); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (n *Nodes) signal(node int, sig syscall.Signal) error {
	pid, _, err := n.Pid(node)
	if err != nil {
		return err
	}
	if err := syscall.Kill(pid, sig); err != nil {
		return fmt.Errorf("node %d: %s to pid %d: %w", node, sig, pid, err)
	}
	return nil
}

// Stop freezes node with SIGSTOP.
func (n *Nodes) Stop(node int) error { return n.signal(node, syscall.SIGSTOP) }

// Cont resumes node with SIGCONT.
func (n *Nodes) Cont(node int) error { return n.signal(node, syscall.SIGCONT) }

// Kill kills node with SIGKILL, keeping its command line for Restart, and
// waits until the process is gone.
func (n *Nodes) Kill(node int) error {
	pid, argv, err := n.Pid(node)
	if err != nil {
		return err
	}
	pidfile, _ := n.paths(node)
	if err := os.WriteFile(pidfile+".argv", []byte(strings.Join(argv, "\x00")), 0o644); err != nil {
		return fmt.Errorf("node %d: keeping its command line: %w", node, err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		return fmt.Errorf("node %d: SIGKILL to pid %d: %w", node, pid, err)
	}
	for i := 0; i < 100; i++ {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d/cmdline", pid)); err != nil {
			return nil
		}
		if b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); len(b) == 0 {
			return nil // a zombie: dead, waiting for its parent
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("node %d: pid %d still runs 10 s after SIGKILL", node, pid)
}

// Restart starts node again on its data, with the command line Kill kept,
// detached (its own session) as scripts/cassandra.sh starts it, and records
// the new pid in the node's pid file so `make cassandra-down` stops it. It
// does not wait for the node to answer: the run measures the recovery.
func (n *Nodes) Restart(node int) error {
	pidfile, run := n.paths(node)
	raw, err := os.ReadFile(pidfile + ".argv")
	if err != nil {
		return fmt.Errorf("node %d: no command line kept by a kill: %w", node, err)
	}
	argv := strings.Split(string(raw), "\x00")
	if len(argv) < 2 {
		return fmt.Errorf("node %d: the kept command line is empty", node)
	}
	logf, err := os.OpenFile(filepath.Join(run, "logs", "stdout.log"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("node %d: %w", node, err)
	}
	defer logf.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("node %d: restarting: %w", node, err)
	}
	pid := cmd.Process.Pid
	// The node outlives esbench, as it outlives the script that started it.
	_ = cmd.Process.Release()
	if err := os.WriteFile(pidfile, []byte(strconv.Itoa(pid)+"\n"), 0o644); err != nil {
		return fmt.Errorf("node %d: restarted as pid %d but the pid file: %w", node, pid, err)
	}
	_ = os.Remove(pidfile + ".argv")
	return nil
}
