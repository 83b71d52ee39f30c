package server

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	licensingv1 "github.com/esbench/esbench/api/licensing/v1"
	"github.com/esbench/esbench/api/licensing/v1/licensingv1connect"
	"github.com/esbench/esbench/refimpl/codec/catalog"
	"github.com/esbench/esbench/refimpl/domain"
	"github.com/esbench/esbench/refimpl/repository"
	"github.com/esbench/esbench/refimpl/store"
	"github.com/esbench/esbench/refimpl/store/memory"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func newRepo(t testing.TB, st store.Store, opts repository.Options) *repository.Repository {
	t.Helper()
	codecs, err := catalog.All()
	if err != nil {
		t.Fatal(err)
	}
	repo, err := repository.New(st, domain.NewRegistry(codecs...), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = repo.Close() })
	return repo
}

// serve starts h on a free loopback port and returns its URL; the server is
// shut down when the test ends (or when stop is called).
func serve(t testing.TB, h licensingv1connect.LicensingServiceHandler, cfg Config) (url string, stop func() error) {
	t.Helper()
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	s, err := New(h, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	var once sync.Once
	var serr error
	stop = func() error {
		once.Do(func() { cancel(); serr = <-done })
		return serr
	}
	t.Cleanup(func() { _ = stop() })
	return s.URL(), stop
}

func referenceServer(t *testing.T, cfg Config) (string, *memory.Store) {
	t.Helper()
	st := memory.New()
	h, err := NewHandler(newRepo(t, st, repository.Options{}), HandlerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	url, _ := serve(t, h, cfg)
	return url, st
}

func ts(d time.Duration) *timestamppb.Timestamp { return timestamppb.New(t0.Add(d)) }

func TestCommandsOverGRPCAndJSON(t *testing.T) {
	url, _ := referenceServer(t, Config{})
	ctx := context.Background()
	for _, proto := range []string{"grpc", "grpcweb", "json"} {
		t.Run(proto, func(t *testing.T) {
			var c licensingv1connect.LicensingServiceClient
			switch proto {
			case "grpc":
				c = licensingv1connect.NewLicensingServiceClient(h2cClient(), url, connect.WithGRPC())
			case "grpcweb":
				c = licensingv1connect.NewLicensingServiceClient(http.DefaultClient, url, connect.WithGRPCWeb())
			default:
				c = licensingv1connect.NewLicensingServiceClient(http.DefaultClient, url, connect.WithProtoJSON())
			}
			cust := "cust-" + proto
			r, err := c.OpenAccount(ctx, &licensingv1.OpenAccountRequest{RequestId: cust + "-open", CustomerId: cust, Plan: domain.PlanBasic, At: ts(0)})
			if err != nil || !r.GetDecision().GetAllowed() {
				t.Fatalf("open: %v %v", r, err)
			}
			if v := r.GetVersions(); len(v) != 1 || v[0].GetType() != domain.TypeAccount || v[0].GetVersion() != 1 {
				t.Fatalf("open versions = %v, want account at 1", v)
			}
			for i, dev := range []string{"d1", "d2"} {
				if _, err := c.RegisterDevice(ctx, &licensingv1.RegisterDeviceRequest{RequestId: cust + "-reg-" + dev, CustomerId: cust, DeviceId: dev, At: ts(time.Duration(i+1) * time.Minute)}); err != nil {
					t.Fatal(err)
				}
			}
			acq := &licensingv1.AcquireLicenseRequest{RequestId: cust + "-acq1", CustomerId: cust, DeviceId: "d1", TitleId: "t1", StudioId: "s1", At: ts(time.Hour)}
			r, err = c.AcquireLicense(ctx, acq)
			if err != nil || !r.GetDecision().GetAllowed() || r.GetDecision().GetLicenseId() == "" || r.GetDecision().GetExpiresAt() == nil {
				t.Fatalf("acquire: %v %v", r, err)
			}
			if got, want := r.GetDecision().GetExpiresAt().AsTime(), t0.Add(time.Hour+7*24*time.Hour); !got.Equal(want) {
				t.Errorf("expiry %v, want %v (the request's at plus the license duration)", got, want)
			}
			if len(r.GetLoads()) == 0 {
				t.Error("acquire reports no loads")
			}
			// A retry of the same request id is answered from the stored state.
			r2, err := c.AcquireLicense(ctx, acq)
			if err != nil || !r2.GetAlreadyApplied() || r2.GetDecision().GetLicenseId() != r.GetDecision().GetLicenseId() {
				t.Fatalf("retry: %v %v", r2, err)
			}
			// The basic plan has one device with downloads: d2 is denied.
			r, err = c.AcquireLicense(ctx, &licensingv1.AcquireLicenseRequest{RequestId: cust + "-acq2", CustomerId: cust, DeviceId: "d2", TitleId: "t2", StudioId: "s1", At: ts(2 * time.Hour)})
			if err != nil || r.GetDecision().GetAllowed() || r.GetDecision().GetReason() != licensingv1.Reason_REASON_DEVICE_LIMIT {
				t.Fatalf("second device: %v %v, want a device_limit denial", r, err)
			}
			la, err := c.LoadAccount(ctx, &licensingv1.LoadAccountRequest{CustomerId: cust})
			if err != nil || la.GetVersion().GetVersion() < 4 {
				t.Fatalf("load: %v %v", la, err)
			}
		})
	}
}

func h2cClient() *http.Client {
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	return &http.Client{Transport: &http.Transport{Protocols: &p}}
}

func TestErrorCodes(t *testing.T) {
	url, _ := referenceServer(t, Config{})
	c := licensingv1connect.NewLicensingServiceClient(http.DefaultClient, url)
	ctx := context.Background()
	if _, err := c.OpenAccount(ctx, &licensingv1.OpenAccountRequest{RequestId: "o", CustomerId: "c", Plan: domain.PlanBasic, At: ts(0)}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		call func() error
		want connect.Code
	}{
		{"empty customer", func() error {
			_, err := c.OpenAccount(ctx, &licensingv1.OpenAccountRequest{RequestId: "x", Plan: domain.PlanBasic})
			return err
		}, connect.CodeInvalidArgument},
		{"bad timestamp", func() error {
			_, err := c.RegisterDevice(ctx, &licensingv1.RegisterDeviceRequest{RequestId: "x", CustomerId: "c", DeviceId: "d", At: &timestamppb.Timestamp{Nanos: -1}})
			return err
		}, connect.CodeInvalidArgument},
		{"unknown customer", func() error {
			_, err := c.RegisterDevice(ctx, &licensingv1.RegisterDeviceRequest{RequestId: "x", CustomerId: "nobody", DeviceId: "d"})
			return err
		}, connect.CodeNotFound},
		{"unknown device", func() error {
			_, err := c.AcquireLicense(ctx, &licensingv1.AcquireLicenseRequest{RequestId: "x2", CustomerId: "c", DeviceId: "nope", TitleId: "t", StudioId: "s"})
			return err
		}, connect.CodeNotFound},
		{"account exists with another plan", func() error {
			_, err := c.OpenAccount(ctx, &licensingv1.OpenAccountRequest{RequestId: "o2", CustomerId: "c", Plan: domain.PlanPremium})
			return err
		}, connect.CodeAlreadyExists},
		{"load unknown customer", func() error {
			_, err := c.LoadAccount(ctx, &licensingv1.LoadAccountRequest{CustomerId: "nobody"})
			return err
		}, connect.CodeNotFound},
		{"preload without at", func() error {
			_, err := c.Preload(ctx, &licensingv1.PreloadRequest{Commands: []*licensingv1.PreloadCommand{{Command: &licensingv1.PreloadCommand_OpenAccount{
				OpenAccount: &licensingv1.OpenAccountRequest{RequestId: "p", CustomerId: "p", Plan: domain.PlanBasic}}}}})
			return err
		}, connect.CodeInvalidArgument},
		{"preload of an existing customer", func() error {
			_, err := c.Preload(ctx, &licensingv1.PreloadRequest{Commands: []*licensingv1.PreloadCommand{{Command: &licensingv1.PreloadCommand_OpenAccount{
				OpenAccount: &licensingv1.OpenAccountRequest{RequestId: "o9", CustomerId: "c", Plan: domain.PlanBasic, At: ts(0)}}}}})
			return err
		}, connect.CodeAborted},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if got := connect.CodeOf(err); got != tc.want {
				t.Fatalf("code %v (%v), want %v", got, err, tc.want)
			}
		})
	}
}

func TestToConnectError(t *testing.T) {
	cases := []struct {
		err  error
		want connect.Code
	}{
		{fmt.Errorf("x: %w", store.ErrConflict), connect.CodeAborted},
		{fmt.Errorf("x: %w", store.ErrUnavailable), connect.CodeUnavailable},
		{fmt.Errorf("x: %w", store.ErrClosed), connect.CodeUnavailable},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), connect.CodeDeadlineExceeded},
		{fmt.Errorf("x: %w", repository.ErrVersionGap), connect.CodeDataLoss},
		{errors.New("mystery"), connect.CodeInternal},
	}
	for _, tc := range cases {
		if got := connect.CodeOf(toConnectError(tc.err)); got != tc.want {
			t.Errorf("%v: code %v, want %v", tc.err, got, tc.want)
		}
	}
}

// post sends a raw connect JSON request.
func post(t *testing.T, url, method, body string, header http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/esbench.licensing.v1.LicensingService/"+method, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestBadRequestsLeaveTheServerServing(t *testing.T) {
	url, _ := referenceServer(t, Config{MaxRequestBytes: 1024, ReadTimeout: 300 * time.Millisecond, ReadHeaderTimeout: 300 * time.Millisecond})
	ok := func() {
		t.Helper()
		code, body := post(t, url, "CheckDownload", `{"customerId":"nobody","deviceId":"d","titleId":"t","studioId":"s"}`, nil)
		if code != http.StatusNotFound || !strings.Contains(body, `"not_found"`) {
			t.Fatalf("server not serving after a bad request: %d %s", code, body)
		}
	}
	cases := []struct {
		name, body string
		status     int
		code, msg  string
	}{
		{"malformed JSON", `{"customerId": `, 400, "invalid_argument", "unmarshal"},
		{"unknown field", `{"customerId":"c","planet":"mars"}`, 400, "invalid_argument", "planet"},
		{"wrong type", `{"customerId":17}`, 400, "invalid_argument", "customerId"},
		{"body over the limit", `{"customerId":"` + strings.Repeat("x", 4096) + `"}`, 413, "resource_exhausted", "over the limit of 1024 bytes"},
		{"invalid id", `{"requestId":"r","customerId":"","plan":"basic"}`, 400, "invalid_argument", "CustomerID"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := post(t, url, "OpenAccount", tc.body, nil)
			if status != tc.status || !strings.Contains(body, `"code":"`+tc.code+`"`) || !strings.Contains(body, tc.msg) {
				t.Fatalf("got %d %s; want %d, code %s, message naming %q", status, body, tc.status, tc.code, tc.msg)
			}
			ok()
		})
	}
	t.Run("chunked body over the limit", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, url+"/esbench.licensing.v1.LicensingService/OpenAccount",
			io.MultiReader(strings.NewReader(`{"customerId":"`), strings.NewReader(strings.Repeat("y", 4096)), strings.NewReader(`"}`)))
		req.Header.Set("Content-Type", "application/json")
		req.ContentLength = -1
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 413 || !strings.Contains(string(b), "over the limit") {
			t.Fatalf("got %d %s, want 413 naming the limit", resp.StatusCode, b)
		}
		ok()
	})
	t.Run("slow client", func(t *testing.T) {
		conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		// Headers promise a body that never comes.
		fmt.Fprintf(conn, "POST /esbench.licensing.v1.LicensingService/OpenAccount HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
		ok() // others are served meanwhile
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		start := time.Now()
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode < 400 || resp.StatusCode >= 500 {
				t.Fatalf("slow client got %d %s, want a client error", resp.StatusCode, b)
			}
			if !strings.Contains(string(b), "read timeout") {
				t.Fatalf("slow client got %d %s, want a message naming the read timeout", resp.StatusCode, b)
			}
		} else if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			// The server cut the connection: also a correct end.
		} else {
			t.Fatalf("slow client: %v (after %s), want a client error or a closed connection", err, time.Since(start))
		}
		if time.Since(start) > 3*time.Second {
			t.Fatalf("slow client held for %s, read timeout is 300ms", time.Since(start))
		}
		ok()
	})
}

// panicky panics in one call.
type panicky struct {
	licensingv1connect.UnimplementedLicensingServiceHandler
}

func (panicky) CheckDownload(context.Context, *licensingv1.CheckDownloadRequest) (*licensingv1.CommandResponse, error) {
	panic("boom")
}

func TestPanicRecoveredAndUnimplemented(t *testing.T) {
	url, _ := serve(t, panicky{}, Config{})
	for range 2 {
		status, body := post(t, url, "CheckDownload", `{}`, nil)
		if status != 500 || !strings.Contains(body, `"internal"`) || strings.Contains(body, "boom") {
			t.Fatalf("panic answered %d %s, want 500 internal without the panic value", status, body)
		}
	}
	status, body := post(t, url, "OpenAccount", `{}`, nil)
	if status != 501 || !strings.Contains(body, "unimplemented") {
		t.Fatalf("unimplemented: %d %s", status, body)
	}
}

func TestBearerToken(t *testing.T) {
	const token = "s3cret-token"
	var logs bytes.Buffer
	var mu sync.Mutex
	logger := slogTo(&logs, &mu)
	url, stop := referenceServer(t, Config{Token: token, Logger: logger})
	c := func(tok string) (int, string) {
		h := http.Header{}
		if tok != "" {
			h.Set("Authorization", "Bearer "+tok)
		}
		return post(t, url, "LoadAccount", `{"customerId":"nobody"}`, h)
	}
	if s, b := c(""); s != 401 || !strings.Contains(b, "unauthenticated") {
		t.Fatalf("no token: %d %s", s, b)
	}
	if s, b := c("wrong"); s != 401 || !strings.Contains(b, "wrong bearer token") {
		t.Fatalf("wrong token: %d %s", s, b)
	}
	if s, b := c(token); s != 404 {
		t.Fatalf("right token: %d %s, want 404 not_found", s, b)
	}
	// gRPC clients see unauthenticated too.
	g := licensingv1connect.NewLicensingServiceClient(h2cClient(), url, connect.WithGRPC())
	if _, err := g.LoadAccount(context.Background(), &licensingv1.LoadAccountRequest{CustomerId: "x"}); connect.CodeOf(err) != connect.CodeUnauthenticated {
		t.Fatalf("grpc without token: %v", err)
	}
	// Health needs no token.
	resp, err := http.Get(url + HealthPath)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	resp.Body.Close()
	_ = stop
	mu.Lock()
	defer mu.Unlock()
	if strings.Contains(logs.String(), token) {
		t.Fatalf("the token is in the log:\n%s", logs.String())
	}
}

func TestConfigErrors(t *testing.T) {
	h, err := NewHandler(newRepo(t, memory.New(), repository.Options{}), HandlerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		cfg  Config
		want string
	}{
		{Config{Addr: "0.0.0.0:0"}, "bearer token is required"},
		{Config{Addr: ":0"}, "bearer token is required"},
		{Config{Addr: "nonsense"}, "listen address"},
		{Config{Addr: "127.0.0.1:0", MaxRequestBytes: -1}, "negative"},
		{Config{Addr: "127.0.0.1:0", ReadTimeout: -time.Second}, "read timeout"},
	}
	for _, tc := range cases {
		_, err := New(h, tc.cfg)
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want ErrConfig naming %q", tc.cfg, err, tc.want)
		}
	}
	if _, err := ParseClock("lunar"); err == nil {
		t.Error("ParseClock accepted lunar")
	}
}

// blocking holds CheckDownload until released.
type blocking struct {
	licensingv1connect.UnimplementedLicensingServiceHandler
	entered, release chan struct{}
	flushed          chan struct{}
}

func (b *blocking) CheckDownload(context.Context, *licensingv1.CheckDownloadRequest) (*licensingv1.CommandResponse, error) {
	close(b.entered)
	<-b.release
	return &licensingv1.CommandResponse{Decision: &licensingv1.Decision{Allowed: true}}, nil
}

func (b *blocking) Flush() { close(b.flushed) }

func TestGracefulShutdownDrainsAndFlushes(t *testing.T) {
	b := &blocking{entered: make(chan struct{}), release: make(chan struct{}), flushed: make(chan struct{})}
	url, stop := serve(t, b, Config{})
	c := licensingv1connect.NewLicensingServiceClient(http.DefaultClient, url)
	got := make(chan error, 1)
	go func() {
		r, err := c.CheckDownload(context.Background(), &licensingv1.CheckDownloadRequest{})
		if err == nil && !r.GetDecision().GetAllowed() {
			err = errors.New("not allowed")
		}
		got <- err
	}()
	<-b.entered
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	// Readiness goes down while the call is in flight.
	deadline := time.Now().Add(5 * time.Second)
	for {
		select {
		case <-stopped:
			t.Fatal("shutdown finished before the in-flight call")
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("shutdown did not begin")
		}
		if _, err := net.DialTimeout("tcp", strings.TrimPrefix(url, "http://"), 100*time.Millisecond); err != nil {
			break // listener closed: draining
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case <-b.flushed:
		t.Fatal("flushed before the in-flight call finished")
	default:
	}
	close(b.release)
	if err := <-got; err != nil {
		t.Fatalf("in-flight call failed during shutdown: %v", err)
	}
	if err := <-stopped; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	select {
	case <-b.flushed:
	default:
		t.Fatal("snapshots not flushed on shutdown")
	}
}

func TestReadiness(t *testing.T) {
	url, _ := referenceServer(t, Config{})
	for _, p := range []string{HealthPath, ReadyPath} {
		resp, err := http.Get(url + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", p, resp.StatusCode)
		}
	}
}

// history is a short customer history as API commands, in time order.
func history(cust string) []*licensingv1.PreloadCommand {
	at := func(h int) *timestamppb.Timestamp { return ts(time.Duration(h) * time.Hour) }
	lic := domain.LicenseIDFor(cust + "-a1")
	lic2 := domain.LicenseIDFor(cust + "-a2")
	return []*licensingv1.PreloadCommand{
		{Command: &licensingv1.PreloadCommand_OpenAccount{OpenAccount: &licensingv1.OpenAccountRequest{RequestId: cust + "-o", CustomerId: cust, Plan: domain.PlanStandard, At: at(0)}}},
		{Command: &licensingv1.PreloadCommand_RegisterDevice{RegisterDevice: &licensingv1.RegisterDeviceRequest{RequestId: cust + "-r1", CustomerId: cust, DeviceId: "d1", At: at(1)}}},
		{Command: &licensingv1.PreloadCommand_RegisterDevice{RegisterDevice: &licensingv1.RegisterDeviceRequest{RequestId: cust + "-r2", CustomerId: cust, DeviceId: "d2", At: at(2)}}},
		{Command: &licensingv1.PreloadCommand_AcquireLicense{AcquireLicense: &licensingv1.AcquireLicenseRequest{RequestId: cust + "-a1", CustomerId: cust, DeviceId: "d1", TitleId: "t1", StudioId: "s", Restricted: true, At: at(3)}}},
		{Command: &licensingv1.PreloadCommand_AcquireLicense{AcquireLicense: &licensingv1.AcquireLicenseRequest{RequestId: cust + "-a2", CustomerId: cust, DeviceId: "d2", TitleId: "t2", StudioId: "s", At: at(4)}}},
		{Command: &licensingv1.PreloadCommand_StartPlayback{StartPlayback: &licensingv1.StartPlaybackRequest{RequestId: cust + "-p1", CustomerId: cust, LicenseId: lic, At: at(5)}}},
		{Command: &licensingv1.PreloadCommand_RenewLicense{RenewLicense: &licensingv1.RenewLicenseRequest{RequestId: cust + "-n1", CustomerId: cust, LicenseId: lic, At: at(6)}}},
		{Command: &licensingv1.PreloadCommand_ReleaseLicense{ReleaseLicense: &licensingv1.ReleaseLicenseRequest{RequestId: cust + "-l1", CustomerId: cust, LicenseId: lic, At: at(7)}}},
		{Command: &licensingv1.PreloadCommand_RemoveDevice{RemoveDevice: &licensingv1.RemoveDeviceRequest{RequestId: cust + "-x2", CustomerId: cust, DeviceId: "d2", At: at(8)}}},
		{Command: &licensingv1.PreloadCommand_StartPlayback{StartPlayback: &licensingv1.StartPlaybackRequest{RequestId: cust + "-p2", CustomerId: cust, LicenseId: lic2, At: at(9)}}},
	}
}

// send sends one preload command as its own API call.
func send(ctx context.Context, c licensingv1connect.LicensingServiceClient, cmd *licensingv1.PreloadCommand) error {
	var err error
	switch x := cmd.GetCommand().(type) {
	case *licensingv1.PreloadCommand_OpenAccount:
		_, err = c.OpenAccount(ctx, x.OpenAccount)
	case *licensingv1.PreloadCommand_RegisterDevice:
		_, err = c.RegisterDevice(ctx, x.RegisterDevice)
	case *licensingv1.PreloadCommand_RemoveDevice:
		_, err = c.RemoveDevice(ctx, x.RemoveDevice)
	case *licensingv1.PreloadCommand_AcquireLicense:
		_, err = c.AcquireLicense(ctx, x.AcquireLicense)
	case *licensingv1.PreloadCommand_RenewLicense:
		_, err = c.RenewLicense(ctx, x.RenewLicense)
	case *licensingv1.PreloadCommand_ReleaseLicense:
		_, err = c.ReleaseLicense(ctx, x.ReleaseLicense)
	case *licensingv1.PreloadCommand_StartPlayback:
		_, err = c.StartPlayback(ctx, x.StartPlayback)
	}
	return err
}

func TestPreloadWritesWhatCommandsWrite(t *testing.T) {
	ctx := context.Background()
	opts := repository.Options{Snapshots: repository.SnapshotPolicy{Mode: repository.EveryN, Every: 3}}
	bulkStore, oneStore := memory.New(), memory.New()
	hb, err := NewHandler(newRepo(t, bulkStore, opts), HandlerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ho, err := NewHandler(newRepo(t, oneStore, opts), HandlerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	bulkURL, _ := serve(t, hb, Config{})
	oneURL, _ := serve(t, ho, Config{})
	bulk := licensingv1connect.NewLicensingServiceClient(http.DefaultClient, bulkURL)
	one := licensingv1connect.NewLicensingServiceClient(http.DefaultClient, oneURL)
	var cmds []*licensingv1.PreloadCommand
	for _, cust := range []string{"c1", "c2"} {
		cmds = append(cmds, history(cust)...)
	}
	r, err := bulk.Preload(ctx, &licensingv1.PreloadRequest{Commands: cmds})
	if err != nil {
		t.Fatal(err)
	}
	if r.GetCommands() != int64(len(cmds)) || len(r.GetRefused()) != 0 || r.GetEvents() == 0 || r.GetSnapshots() == 0 {
		t.Fatalf("preload answer %v", r)
	}
	for _, cmd := range cmds {
		if err := send(ctx, one, cmd); err != nil {
			t.Fatal(err)
		}
	}
	for _, cust := range []string{"c1", "c2"} {
		streams := []store.StreamID{{Customer: cust, AggregateType: domain.TypeAccount, AggregateID: cust},
			{Customer: cust, AggregateType: domain.TypeLicense, AggregateID: domain.LicenseIDFor(cust + "-a1")},
			{Customer: cust, AggregateType: domain.TypeLicense, AggregateID: domain.LicenseIDFor(cust + "-a2")}}
		for _, id := range streams {
			a, b := records(t, bulkStore, id), records(t, oneStore, id)
			if len(a) == 0 || !reflect.DeepEqual(a, b) {
				t.Errorf("%s: preload wrote %d records, one by one %d, or they differ", id, len(a), len(b))
			}
			sa, _, _ := bulkStore.LatestSnapshot(ctx, id, store.Latest)
			sb, _, _ := oneStore.LatestSnapshot(ctx, id, store.Latest)
			if sa.Version != sb.Version || !bytes.Equal(sa.Payload, sb.Payload) {
				t.Errorf("%s: latest snapshot v%d vs v%d, or payloads differ", id, sa.Version, sb.Version)
			}
		}
	}
	// A refused command is reported with its index and the rest is written.
	bad := history("c3")
	bad[3] = &licensingv1.PreloadCommand{Command: &licensingv1.PreloadCommand_AcquireLicense{AcquireLicense: &licensingv1.AcquireLicenseRequest{RequestId: "c3-bad", CustomerId: "c3", DeviceId: "ghost", TitleId: "t", StudioId: "s", At: ts(3 * time.Hour)}}}
	r, err = bulk.Preload(ctx, &licensingv1.PreloadRequest{Commands: bad[:5]})
	if err != nil || len(r.GetRefused()) != 1 || r.GetRefused()[0].GetIndex() != 3 || !strings.Contains(r.GetRefused()[0].GetMessage(), "ghost") {
		t.Fatalf("refused: %v %v", r, err)
	}
}

func records(t *testing.T, st store.Store, id store.StreamID) []store.Record {
	t.Helper()
	var out []store.Record
	for rec, err := range st.Load(context.Background(), id, 0) {
		if err != nil {
			t.Fatal(err)
		}
		rec.RecordedAt = time.Time{}
		out = append(out, rec)
	}
	return out
}

func slogTo(w io.Writer, mu *sync.Mutex) *slog.Logger {
	return slog.New(slog.NewTextHandler(lockedWriter{w: w, mu: mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
