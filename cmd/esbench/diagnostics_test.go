package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runCLIErr runs esbench and returns stdout and stderr apart.
func runCLIErr(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	root := newRootCmd()
	var out, errb bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), errb.String(), err
}

func TestRunLogsAndProfiles(t *testing.T) {
	dir := t.TempDir()
	cpu, mem := filepath.Join(dir, "cpu.prof"), filepath.Join(dir, "mem.prof")
	_, stderr, err := runCLIErr(t, "run", writeTiny(t), "--store", "memory", "--out", filepath.Join(dir, "results"), "--progress", "none",
		"--log-level", "info", "--log-format", "json", "--cpuprofile", cpu, "--memprofile", mem)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, stderr)
	}
	msgs := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(stderr))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("not a JSON log line: %q: %v", line, err)
		}
		msgs[rec["msg"].(string)]++
		if rec["msg"] == "run finished" && rec["run"] == "tiny" && !(rec["recorded"].(float64) > 0) {
			t.Errorf("run finished without recorded operations: %v", rec)
		}
	}
	if msgs["run started"] < 2 || msgs["run finished"] < 2 {
		t.Errorf("log lines %v: want run started/finished for preload and tiny", msgs)
	}
	for _, p := range []string{cpu, mem} {
		b, err := os.ReadFile(p)
		// pprof profiles are gzipped protocol buffers.
		if err != nil || len(b) < 20 || b[0] != 0x1f || b[1] != 0x8b {
			t.Errorf("%s: not a profile (%d bytes, %v)", p, len(b), err)
		}
	}
	// The default level is warn: a clean run logs nothing.
	_, stderr, err = runCLIErr(t, "run", writeTiny(t), "--store", "memory", "--out", filepath.Join(dir, "quiet"), "--progress", "none")
	if err != nil || strings.Contains(stderr, "level=") {
		t.Errorf("default run: %v, stderr has log lines:\n%s", err, stderr)
	}
}

func TestPprofListenDuringRun(t *testing.T) {
	addr := freeAddr(t)
	wl := strings.Replace(tinyWorkload, "duration: 700ms", "duration: 3s", 1)
	done := make(chan error, 1)
	go func() {
		_, _, err := runCLIErr(t, "run", writeWorkload(t, wl), "--store", "memory", "--out", filepath.Join(t.TempDir(), "r"), "--progress", "none", "--pprof-listen", addr)
		done <- err
	}()
	var body string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && body == ""; time.Sleep(200 * time.Millisecond) {
		resp, err := http.Get("http://" + addr + "/debug/pprof/")
		if err != nil {
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			body = string(b)
		}
	}
	if !strings.Contains(body, "goroutine") || !strings.Contains(body, "heap") {
		t.Errorf("/debug/pprof/ during the run: %.300q", body)
	}
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
}

func TestDiagnosticsBadInput(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no", "such", "dir", "x.prof")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--log-level", "loud"}, "--log-level"},
		{[]string{"--log-format", "xml"}, "--log-format"},
		{[]string{"--cpuprofile", missing}, "--cpuprofile"},
		{[]string{"--memprofile", missing}, "--memprofile"},
		{[]string{"--cpuprofile", ""}, "--cpuprofile"},
		{[]string{"--pprof-listen", "nonsense"}, "--pprof-listen"},
		{[]string{"--pprof-listen", "127.0.0.1:99999"}, "--pprof-listen"},
	} {
		out := filepath.Join(t.TempDir(), "results")
		_, _, err := runCLIErr(t, append([]string{"run", writeTiny(t), "--store", "memory", "--out", out}, tt.args...)...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: error %v, want one naming %s", tt.args, err, tt.want)
		}
		if _, serr := os.Stat(out); !os.IsNotExist(serr) {
			t.Errorf("%v: %s created before the flag was rejected", tt.args, out)
		}
	}
	// Any command takes them: version with a bad level fails too.
	if _, _, err := runCLIErr(t, "version", "--log-level", "loud"); err == nil {
		t.Error("version --log-level loud accepted")
	}
}
