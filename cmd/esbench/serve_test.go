package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/esbench/esbench/refimpl/domain"
	"github.com/esbench/esbench/refimpl/store"
	"github.com/esbench/esbench/refimpl/store/pebble"
)

// watchedBuffer is a goroutine-safe output buffer that reports the serve
// URL once printed.
type watchedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	url chan string
}

var listeningRE = regexp.MustCompile(`listening on (\S+)`)

func (w *watchedBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, err := w.buf.Write(p)
	if m := listeningRE.FindSubmatch(w.buf.Bytes()); m != nil && w.url != nil {
		w.url <- string(m[1])
		w.url = nil
	}
	return n, err
}

func (w *watchedBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// startServe runs `esbench serve ARGS --listen 127.0.0.1:0` in this process
// and returns its URL; stop cancels it as SIGTERM would (main's signal
// context) and returns serve's error.
func startServe(t *testing.T, args ...string) (url string, stop func() error, out *watchedBuffer) {
	t.Helper()
	out = &watchedBuffer{url: make(chan string, 1)}
	urlc := out.url
	root := newRootCmd()
	root.SetOut(out)
	root.SetErr(out)
	root.SetArgs(append([]string{"serve", "--listen", "127.0.0.1:0"}, args...))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	select {
	case url = <-urlc:
	case err := <-done:
		cancel()
		t.Fatalf("serve exited before listening: %v\n%s", err, out)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatalf("serve did not listen within 30s\n%s", out)
	}
	var once sync.Once
	var serr error
	stop = func() error {
		once.Do(func() { cancel(); serr = <-done })
		return serr
	}
	t.Cleanup(func() { _ = stop() })
	return url, stop, out
}

func postJSON(t *testing.T, url, method, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(url+"/esbench.licensing.v1.LicensingService/"+method, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServeAnswersOnMemoryAndPebble(t *testing.T) {
	for _, st := range []string{"memory", "pebble"} {
		t.Run(st, func(t *testing.T) {
			url, stop, out := startServe(t, "--store", st)
			resp, err := http.Get(url + "/readyz")
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("readyz: %v %v", resp, err)
			}
			resp.Body.Close()
			code, body := postJSON(t, url, "OpenAccount", `{"requestId":"r1","customerId":"c1","plan":"basic","at":"2025-01-01T00:00:00Z"}`)
			if code != 200 || !strings.Contains(body, `"allowed":true`) {
				t.Fatalf("open account: %d %s", code, body)
			}
			code, body = postJSON(t, url, "RegisterDevice", `{"requestId":"r2","customerId":"nobody","deviceId":"d"}`)
			if code != 404 || !strings.Contains(body, `"not_found"`) {
				t.Fatalf("unknown customer: %d %s, want 404 not_found", code, body)
			}
			if err := stop(); err != nil {
				t.Fatalf("serve after SIGTERM: %v\n%s", err, out)
			}
			if !strings.Contains(out.String(), "draining") {
				t.Errorf("no drain logged:\n%s", out)
			}
		})
	}
}

func TestServeShutdownFlushesAsyncSnapshots(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	url, stop, out := startServe(t, "--store", "pebble", "--data-dir", dir, "--pebble-sync=false",
		"--snapshot", "every:2", "--async-snapshots")
	postJSON(t, url, "OpenAccount", `{"requestId":"o","customerId":"c1","plan":"premium","at":"2025-01-01T00:00:00Z"}`)
	for i := range 9 {
		code, body := postJSON(t, url, "RegisterDevice", `{"requestId":"d`+string(rune('0'+i))+`","customerId":"c1","deviceId":"dev`+string(rune('0'+i))+`","at":"2025-01-01T01:00:00Z"}`)
		if code != 200 {
			t.Fatalf("register: %d %s", code, body)
		}
	}
	if err := stop(); err != nil {
		t.Fatalf("serve: %v\n%s", err, out)
	}
	// Reopen the store: the snapshot due at version 10 was written before
	// serve exited.
	st, err := pebble.Open(pebble.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	snap, ok, err := st.LatestSnapshot(context.Background(), store.StreamID{Customer: "c1", AggregateType: domain.TypeAccount, AggregateID: "c1"}, store.Latest)
	if err != nil || !ok || snap.Version != 10 {
		t.Fatalf("latest snapshot after shutdown: v%d %v %v, want v10", snap.Version, ok, err)
	}
}

func TestServeToken(t *testing.T) {
	tokFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokFile, []byte("tok-123\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	url, _, out := startServe(t, "--store", "memory", "--token-file", tokFile)
	code, _ := postJSON(t, url, "LoadAccount", `{"customerId":"c"}`)
	if code != 401 {
		t.Fatalf("no token: %d, want 401", code)
	}
	req, _ := http.NewRequest(http.MethodPost, url+"/esbench.licensing.v1.LicensingService/LoadAccount", strings.NewReader(`{"customerId":"c"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer tok-123")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Fatalf("with token: %d, want 404", resp.StatusCode)
	}
	if strings.Contains(out.String(), "tok-123") {
		t.Fatalf("token in output:\n%s", out)
	}
}

func TestServeBadInput(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tok := filepath.Join(dir, "tok")
	if err := os.WriteFile(tok, []byte("abc"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		env  string
		want string
	}{
		{"clock", []string{"--clock", "lunar"}, "", "--clock"},
		{"listen without port", []string{"--listen", "localhost"}, "", "--listen"},
		{"codec", []string{"--codec", "morse"}, "", "--codec"},
		{"snapshot", []string{"--snapshot", "sometimes"}, "", "--snapshot"},
		{"max bytes small", []string{"--max-request-bytes", "10"}, "", "--max-request-bytes 10: must be between 1024"},
		{"max bytes huge", []string{"--max-request-bytes", "9999999999"}, "", "--max-request-bytes"},
		{"negative read timeout", []string{"--read-timeout", "-1s"}, "", "--read-timeout"},
		{"zero write timeout", []string{"--write-timeout", "0s"}, "", "--write-timeout"},
		{"negative timeout", []string{"--timeout", "-1s"}, "", "--timeout"},
		{"huge idle timeout", []string{"--idle-timeout", "100h"}, "", "--idle-timeout"},
		{"zero drain", []string{"--drain-timeout", "0s"}, "", "--drain-timeout"},
		{"zero header timeout", []string{"--read-header-timeout", "0s"}, "", "--read-header-timeout"},
		{"cert without key", []string{"--tls-cert", "c.pem"}, "", "--tls-cert and --tls-key"},
		{"missing cert files", []string{"--tls-cert", filepath.Join(dir, "no.pem"), "--tls-key", filepath.Join(dir, "no.key")}, "", "--tls-cert/--tls-key"},
		{"non-loopback without token", []string{"--listen", "0.0.0.0:0", "--store", "memory"}, "", "bearer token is required"},
		{"missing token file", []string{"--token-file", filepath.Join(dir, "nope")}, "", "--token-file"},
		{"empty token file", []string{"--token-file", empty}, "", "empty"},
		{"token twice", []string{"--token-file", tok}, "x", "both set"},
		{"empty env token", nil, "", "set but empty"},
		{"unknown store", []string{"--store", "floppy"}, "", "floppy"},
		{"positional argument", []string{"extra"}, "", "unknown command"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.env != "" || tc.name == "empty env token" {
				t.Setenv(tokenEnv, tc.env)
			}
			out, err := runCLI(t, append([]string{"serve", "--listen", "127.0.0.1:0"}, tc.args...)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one naming %q\n%s", err, tc.want, out)
			}
		})
	}
}
