package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"connectrpc.com/connect"

	licensingv1 "github.com/esbench/esbench/api/licensing/v1"
	"github.com/esbench/esbench/api/licensing/v1/licensingv1connect"
	"github.com/esbench/esbench/target"
	"github.com/esbench/esbench/workload"
)

// stub answers every CheckDownload with err after delay. It waits the whole
// delay even when the call's deadline passes, as a slow server does: were it
// to answer at the deadline, the answer could reach a loaded client before
// the client's own timer fired, and a timeout would read as an answer.
type stub struct {
	licensingv1connect.UnimplementedLicensingServiceHandler
	delay time.Duration
	err   error
}

func (s stub) CheckDownload(context.Context, *licensingv1.CheckDownloadRequest) (*licensingv1.CommandResponse, error) {
	time.Sleep(s.delay)
	if s.err != nil {
		return nil, s.err
	}
	return &licensingv1.CommandResponse{Decision: &licensingv1.Decision{Allowed: false, Reason: licensingv1.Reason_REASON_DEVICE_LIMIT}}, nil
}

func stubServer(t *testing.T, s stub, tls bool) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	path, h := licensingv1connect.NewLicensingServiceHandler(s)
	mux.Handle(path, h)
	var srv *httptest.Server
	if tls {
		srv = httptest.NewUnstartedServer(mux)
		srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake failures are the test
		srv.EnableHTTP2 = true
		srv.StartTLS()
	} else {
		srv = httptest.NewUnstartedServer(mux)
		var p http.Protocols
		p.SetHTTP1(true)
		p.SetUnencryptedHTTP2(true)
		srv.Config.Protocols = &p
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv
}

func do(t *testing.T, url, proto string, timeout time.Duration) (target.Outcome, target.Response, error) {
	t.Helper()
	sys, err := newSystem(Options{URL: url, Protocol: proto, Pool: 2, CallTimeout: timeout, Preload: PreloadBulk})
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close()
	var resp target.Response
	op := workload.Op{Kind: workload.OpCheck, CustomerID: "c", DeviceID: "d", TitleID: "t", StudioID: "s"}
	err = sys.Target(0).Do(context.Background(), &op, &resp)
	o := resp.Outcome
	if err != nil && o == target.OutcomeOK {
		o = sys.Classify(err)
	}
	return o, resp, err
}

func TestTransportOutcomes(t *testing.T) {
	// A port nothing listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedURL := "http://" + ln.Addr().String()
	ln.Close()
	// A listener that accepts and closes at once.
	rst, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer rst.Close()
	go func() {
		for {
			c, err := rst.Accept()
			if err != nil {
				return
			}
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.SetLinger(0) // RST, not FIN
			}
			c.Close()
		}
	}()
	slow := stubServer(t, stub{delay: time.Second}, false)
	secure := stubServer(t, stub{}, true)
	storeDeadline := stubServer(t, stub{err: connect.NewError(connect.CodeDeadlineExceeded, errors.New("store deadline"))}, false)
	conflict := stubServer(t, stub{err: connect.NewError(connect.CodeAborted, errors.New("conflict"))}, false)
	ok := stubServer(t, stub{}, false)
	for _, proto := range []string{ProtocolGRPC, ProtocolJSON} {
		cases := []struct {
			name    string
			url     string
			timeout time.Duration
			want    target.Outcome
		}{
			{"refused", closedURL, 0, target.OutcomeRefused},
			{"reset", "http://" + rst.Addr().String(), 0, target.OutcomeReset},
			{"timeout", slow.URL, 100 * time.Millisecond, target.OutcomeTimeout},
			{"tls", secure.URL, 0, target.OutcomeTLS},
			{"service deadline is unavailable, not timeout", storeDeadline.URL, 0, target.OutcomeUnavailable},
			{"conflict", conflict.URL, 0, target.OutcomeConflict},
			{"denied", ok.URL, 0, target.OutcomeDenied},
		}
		for _, tc := range cases {
			t.Run(proto+"/"+tc.name, func(t *testing.T) {
				got, resp, err := do(t, tc.url, proto, tc.timeout)
				if got != tc.want {
					t.Fatalf("outcome %v (err %v), want %v", got, err, tc.want)
				}
				if tc.want == target.OutcomeDenied && resp.Decision.Reason != "device_limit" {
					t.Fatalf("reason %q, want device_limit", resp.Decision.Reason)
				}
			})
		}
	}
}

func TestNewProbes(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close()
	_, err = New(context.Background(), Options{URL: url, Protocol: ProtocolJSON, Pool: 1, Preload: PreloadBulk})
	if err == nil || !contains(err.Error(), "cannot reach", "refused") {
		t.Fatalf("New on a closed port: %v", err)
	}
	unimpl := httptest.NewServer(http.NotFoundHandler())
	defer unimpl.Close()
	_, err = New(context.Background(), Options{URL: unimpl.URL, Protocol: ProtocolJSON, Pool: 1, Preload: PreloadBulk})
	if err == nil || !contains(err.Error(), "does not implement") {
		t.Fatalf("New on a server without the API: %v", err)
	}
	for _, o := range []Options{
		{URL: "ftp://x", Protocol: ProtocolJSON, Pool: 1, Preload: PreloadBulk},
		{URL: "http://", Protocol: ProtocolJSON, Pool: 1, Preload: PreloadBulk},
		{URL: "http://x?y", Protocol: ProtocolJSON, Pool: 1, Preload: PreloadBulk},
		{URL: "http://x", Protocol: "soap", Pool: 1, Preload: PreloadBulk},
		{URL: "http://x", Protocol: ProtocolJSON, Pool: 0, Preload: PreloadBulk},
		{URL: "http://x", Protocol: ProtocolJSON, Pool: 1, Preload: "fax"},
	} {
		if _, err := newSystem(o); err == nil {
			t.Errorf("newSystem(%+v) accepted", o)
		}
	}
}

func contains(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

func TestReasonName(t *testing.T) {
	for r, want := range map[licensingv1.Reason]string{
		licensingv1.Reason_REASON_UNSPECIFIED:           "",
		licensingv1.Reason_REASON_DEVICE_DOWNLOAD_LIMIT: "device_download_limit",
		licensingv1.Reason_REASON_PLAYBACK_WINDOW_OVER:  "playback_window_over",
	} {
		if got := ReasonName(r); got != want {
			t.Errorf("ReasonName(%v) = %q, want %q", r, got, want)
		}
	}
}

func TestWaitForAStartingService(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	client, closeClient, err := NewClient(Options{URL: "http://" + addr, Protocol: ProtocolJSON, Pool: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer closeClient()
	if err := WaitFor(context.Background(), client, "http://"+addr, 0); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("no wait on a closed port: %v", err)
	}
	// The service comes up 300ms later on the same port.
	go func() {
		time.Sleep(300 * time.Millisecond)
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return
		}
		mux := http.NewServeMux()
		path, h := licensingv1connect.NewLicensingServiceHandler(stub{err: connect.NewError(connect.CodeInvalidArgument, errors.New("empty"))})
		mux.Handle(path, h)
		srv := &http.Server{Handler: mux}
		t.Cleanup(func() { srv.Close() })
		_ = srv.Serve(ln)
	}()
	start := time.Now()
	if err := WaitFor(context.Background(), client, "http://"+addr, 10*time.Second); err != nil {
		t.Fatalf("waiting for a starting service: %v", err)
	}
	if time.Since(start) < 250*time.Millisecond {
		t.Fatal("WaitFor returned before the service was up")
	}
}

// TestTransportOutcomeOfWrappedErrors covers the errors TestTransportOutcomes
// meets only now and then, depending on which goroutine of the HTTP/2 client
// notices a closed connection first.
func TestTransportOutcomeOfWrappedErrors(t *testing.T) {
	notEstablished := errors.New(errHTTP2NotEstablished)
	for _, tc := range []struct {
		name string
		err  error
		want target.Outcome
		ok   bool
	}{
		{"http2 conn closed before its first request", connect.NewError(connect.CodeUnavailable, fmt.Errorf("post: %w", notEstablished)), target.OutcomeReset, true},
		{"reset by peer", fmt.Errorf("read: %w", syscall.ECONNRESET), target.OutcomeReset, true},
		{"service's own unavailable answer", connect.NewWireError(connect.CodeUnavailable, errors.New("http2: client conn could not be established")), 0, false},
		{"unrelated", errors.New("boom"), 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := transportOutcome(tc.err)
			if got != tc.want || ok != tc.ok {
				t.Fatalf("transportOutcome(%v) = %v, %v; want %v, %v", tc.err, got, ok, tc.want, tc.ok)
			}
		})
	}
}
