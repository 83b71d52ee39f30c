package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/esbench/esbench/reports"
)

// signalWorkload has a slow preload (one preload worker, 20 events for
// each of 3000 customers), a long warmup and a long measurement, so a
// signal can be sent in each phase; the flags shorten the phases not under
// test.
const signalWorkload = `name: sig
experiment: mixed
population:
  customers: 3000
  history: {distribution: fixed, min: 20, max: 20, span: 24h}
arrival: {mode: open, process: constant, rate: 200, workers: 2}
warmup: 1m
duration: 1m
preload: {enabled: true, workers: 1}
service: {snapshot: "every:10", codec: json}
`

// stopBound is how long esbench may take from a signal to its exit,
// partial results written.
const stopBound = time.Second

// TestSignalInEveryPhase sends SIGINT or SIGTERM to a real esbench run in
// each phase and checks it exits with 130 within stopBound, having written
// result.json marked partial. A second SIGINT exits at once.
func TestSignalInEveryPhase(t *testing.T) {
	tests := []struct {
		name string
		// args after the workload; phase is the progress line prefix at
		// which the signal is sent.
		args    []string
		phase   string
		sig     syscall.Signal
		partial bool // the result must be marked partial
	}{
		{name: "preload SIGINT", phase: "[preload]", sig: syscall.SIGINT, partial: true},
		{name: "preload SIGTERM", phase: "[preload]", sig: syscall.SIGTERM, partial: true},
		{name: "preload pebble SIGINT", args: []string{"--store", "pebble", "--data-dir", "{sb}/data", "--pebble-sync=false"}, phase: "[preload]", sig: syscall.SIGINT, partial: true},
		{name: "warmup SIGINT", args: []string{"--customers", "200"}, phase: "[sig warmup]", sig: syscall.SIGINT, partial: true},
		{name: "measure SIGINT", args: []string{"--customers", "200", "--warmup", "1s"}, phase: "[sig measure]", sig: syscall.SIGINT, partial: true},
		{name: "measure SIGTERM rate at the maximum", args: []string{"--customers", "200", "--warmup", "1s", "--rate", "1000000"}, phase: "[sig measure]", sig: syscall.SIGTERM, partial: true},
		{name: "writing SIGINT", args: []string{"--customers", "200", "--warmup", "1s", "--duration", "1s"}, phase: "[sig measure done]", sig: syscall.SIGINT},
	}
	dir := t.TempDir()
	wl := filepath.Join(dir, "sig.yaml")
	if err := os.WriteFile(wl, []byte(signalWorkload), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sb := newSandbox(t, nil, nil)
			out := filepath.Join(sb, "results")
			args := append([]string{"run", wl, "--store", "memory", "--out", out, "--progress", "lines", "--progress-every", "50ms"}, tc.args...)
			for i, a := range args {
				args[i] = strings.ReplaceAll(a, "{sb}", sb)
			}
			cmd := exec.Command(esbenchBin, args...)
			cmd.Dir = filepath.Join(sb, "work")
			cmd.Env = append(os.Environ(), "TMPDIR="+filepath.Join(sb, "tmp"))
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stdout bytes.Buffer
			cmd.Stdout = &stdout
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			var (
				log    strings.Builder
				logMu  sync.Mutex
				sentAt time.Time
			)
			reached := make(chan struct{})
			go func() {
				sc := bufio.NewScanner(stderr)
				once := false
				for sc.Scan() {
					line := sc.Text()
					logMu.Lock()
					log.WriteString(line + "\n")
					logMu.Unlock()
					if !once && strings.HasPrefix(line, tc.phase) {
						once = true
						close(reached)
					}
				}
				io.Copy(io.Discard, stderr)
			}()
			select {
			case <-reached:
			case <-time.After(60 * time.Second):
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
				t.Fatalf("phase %q not reached in 60s:\n%s", tc.phase, log.String())
			}
			sentAt = time.Now()
			if err := cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			var werr error
			select {
			case werr = <-done:
			case <-time.After(30 * time.Second):
				_ = cmd.Process.Kill()
				<-done
				t.Fatalf("still running 30s after %s", tc.sig)
			}
			took := time.Since(sentAt)
			logMu.Lock()
			msgs := log.String()
			logMu.Unlock()
			code := 0
			if ee, ok := werr.(*exec.ExitError); ok {
				code = ee.ExitCode()
			}
			if code != exitInterrupted {
				t.Fatalf("exit code %d (%v), want %d\n%s", code, werr, exitInterrupted, msgs)
			}
			if took > stopBound {
				t.Errorf("exited %v after the signal, want at most %v", took, stopBound)
			}
			t.Logf("exited %v after %s in %s", took.Round(time.Millisecond), tc.sig, tc.phase)
			entries, err := os.ReadDir(out)
			if err != nil || len(entries) != 1 {
				t.Fatalf("want one result directory in %s, got %v (%v)\n%s", out, entries, err, msgs)
			}
			res, err := reports.ReadFile(filepath.Join(out, entries[0].Name(), reports.ResultFile))
			if err != nil {
				t.Fatalf("no readable partial result: %v\n%s", err, msgs)
			}
			if tc.partial && (!res.Partial || !strings.Contains(res.PartialReason, "interrupted")) {
				t.Errorf("result partial=%v reason %q, want partial and interrupted", res.Partial, res.PartialReason)
			}
			if !strings.Contains(stdout.String(), "results: ") {
				t.Errorf("no results line on stdout:\n%s", stdout.String())
			}
		})
	}
}

// TestSecondSignalExitsAtOnce: the first signal cancels the command's
// context (it then writes partial results); the second exits with 130
// without waiting. (Two signals sent to a process back to back may reach
// it as one, so this is tested on the handler itself.)
func TestSecondSignalExitsAtOnce(t *testing.T) {
	sigs := make(chan os.Signal, 2)
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	exited := make(chan int, 1)
	var stderr bytes.Buffer
	done := make(chan struct{})
	go func() {
		defer close(done)
		handleSignals(sigs, cancel, func(code int) { exited <- code }, &stderr)
	}()
	sigs <- syscall.SIGINT
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the first signal did not cancel the context")
	}
	select {
	case code := <-exited:
		t.Fatalf("exited (%d) on the first signal", code)
	default:
	}
	sigs <- syscall.SIGINT
	select {
	case code := <-exited:
		if code != exitInterrupted {
			t.Errorf("exit code %d, want %d", code, exitInterrupted)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the second signal did not exit")
	}
	<-done
	if !strings.Contains(stderr.String(), "second signal") {
		t.Errorf("no message for the second signal:\n%s", stderr.String())
	}
}

// TestSignalStopsCodecs: esbench codecs, interrupted while measuring with a
// long budget per cell, exits with 130 within stopBound and writes nothing.
func TestSignalStopsCodecs(t *testing.T) {
	sb := newSandbox(t, nil, nil)
	out := filepath.Join(sb, "codecs")
	cmd := exec.Command(esbenchBin, "codecs", "--budget", "1m", "--customers", "20", "--histories", "10", "--out", out)
	cmd.Dir = filepath.Join(sb, "work")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	var log strings.Builder
	for sc.Scan() {
		log.WriteString(sc.Text() + "\n")
		if strings.HasPrefix(sc.Text(), "corpus:") {
			break
		}
	}
	go io.Copy(io.Discard, stderr)
	time.Sleep(200 * time.Millisecond) // inside the first cell
	sent := time.Now()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	werr := cmd.Wait()
	took := time.Since(sent)
	ee, ok := werr.(*exec.ExitError)
	if !ok || ee.ExitCode() != exitInterrupted {
		t.Fatalf("exit %v, want code %d\n%s", werr, exitInterrupted, log.String())
	}
	if took > stopBound {
		t.Errorf("exited %v after SIGINT, want at most %v", took, stopBound)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("an interrupted codecs run left %s", out)
	}
}
