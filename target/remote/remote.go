// Package remote is a target that drives a service implementing the
// licensing API (api/licensing/v1, docs/api.md) over the network: esbench
// serve, or anyone's own implementation. The runner measures it exactly as
// it measures the in-process service (same workload, schedules, corrected
// latency and outcome classes); transport failures are outcome classes of
// their own (refused, reset, timeout, tls) with their latency.
package remote

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	licensingv1 "github.com/esbench/esbench/api/licensing/v1"
	"github.com/esbench/esbench/api/licensing/v1/licensingv1connect"
	"github.com/esbench/esbench/target"
	"github.com/esbench/esbench/workload"
)

// Protocols the client speaks.
const (
	// ProtocolGRPC is gRPC over HTTP/2 (h2c on plain http URLs).
	ProtocolGRPC = "grpc"
	// ProtocolJSON is connect's HTTP JSON (HTTP/1.1 on plain http URLs,
	// HTTP/2 where TLS offers it).
	ProtocolJSON = "json"
)

// Preload modes.
const (
	// PreloadBulk writes preload histories with the API's Preload call.
	PreloadBulk = "bulk"
	// PreloadCommands sends preload histories one command at a time, for
	// implementations without Preload.
	PreloadCommands = "commands"
)

// Options configure a System.
type Options struct {
	// URL is the service's base URL (http://host:port or https://...).
	URL string
	// Protocol is ProtocolGRPC or ProtocolJSON.
	Protocol string
	// Pool is the most connections to the service (HTTP/1.1: one call in
	// flight on each; HTTP/2 multiplexes calls on them).
	Pool int
	// Token, if set, is sent as a bearer token.
	Token string
	// RootCAs, if set, replaces the system roots for https URLs.
	RootCAs *x509.CertPool
	// CallTimeout bounds each call (0: none); a call that misses it is
	// OutcomeTimeout.
	CallTimeout time.Duration
	// Preload is PreloadBulk or PreloadCommands.
	Preload string
	// Start is the simulated time of the first operation without a time of
	// its own (see target.Config.Start).
	Start time.Time
	// Wait is how long New waits for a service that refuses connections
	// (still starting) before giving up; 0 fails at once.
	Wait time.Duration
}

// System is a remote service as a target.System.
type System struct {
	opts      Options
	client    licensingv1connect.LicensingServiceClient
	transport *http.Transport
	clock     target.SimClock // the time of operations without At
}

var (
	_ target.System     = (*System)(nil)
	_ target.Classifier = (*System)(nil)
)

// New connects to the service and checks that it answers the API.
func New(ctx context.Context, opts Options) (*System, error) {
	s, err := newSystem(opts)
	if err != nil {
		return nil, err
	}
	if err := WaitFor(ctx, s.client, opts.URL, opts.Wait); err != nil {
		s.transport.CloseIdleConnections()
		return nil, err
	}
	return s, nil
}

// WaitFor probes the service (see Probe) until it answers or wait has
// passed, retrying only while the connection is refused, reset or times out
// (a service still starting); any other answer decides at once.
func WaitFor(ctx context.Context, client licensingv1connect.LicensingServiceClient, url string, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	delay := 100 * time.Millisecond
	for {
		err := Probe(ctx, client, url)
		var te *transportError
		if err == nil || !errors.As(err, &te) || time.Now().Add(delay).After(deadline) {
			if err != nil && te != nil && wait > 0 {
				return fmt.Errorf("%w (waited %s)", err, wait)
			}
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay = min(2*delay, 2*time.Second)
	}
}

// transportError marks a probe that did not reach the service.
type transportError struct {
	outcome target.Outcome
	err     error
}

func (e *transportError) Error() string { return e.err.Error() }
func (e *transportError) Unwrap() error { return e.err }

func newSystem(opts Options) (*System, error) {
	if opts.Preload != PreloadBulk && opts.Preload != PreloadCommands {
		return nil, fmt.Errorf("remote: preload %q: must be %s or %s", opts.Preload, PreloadBulk, PreloadCommands)
	}
	client, tr, err := newClient(opts)
	if err != nil {
		return nil, err
	}
	if opts.Start.IsZero() {
		opts.Start = time.Now()
	}
	return &System{opts: opts, clock: target.SimClock{Start: opts.Start}, client: client, transport: tr}, nil
}

// NewClient returns an API client for opts' URL, Protocol, Pool, Token,
// RootCAs and CallTimeout; close releases its idle connections.
func NewClient(opts Options) (client licensingv1connect.LicensingServiceClient, close func(), err error) {
	c, tr, err := newClient(opts)
	if err != nil {
		return nil, nil, err
	}
	return c, tr.CloseIdleConnections, nil
}

func newClient(opts Options) (licensingv1connect.LicensingServiceClient, *http.Transport, error) {
	if opts.Protocol != ProtocolGRPC && opts.Protocol != ProtocolJSON {
		return nil, nil, fmt.Errorf("remote: protocol %q: must be %s or %s", opts.Protocol, ProtocolGRPC, ProtocolJSON)
	}
	if opts.Pool < 1 {
		return nil, nil, fmt.Errorf("remote: pool %d: must be at least 1", opts.Pool)
	}
	secure, err := checkURL(opts.URL)
	if err != nil {
		return nil, nil, err
	}
	url := strings.TrimRight(opts.URL, "/")
	var protocols http.Protocols
	switch {
	case secure:
		protocols.SetHTTP1(opts.Protocol == ProtocolJSON)
		protocols.SetHTTP2(true)
	case opts.Protocol == ProtocolGRPC:
		protocols.SetUnencryptedHTTP2(true)
	default:
		protocols.SetHTTP1(true)
	}
	tr := &http.Transport{
		Proxy:               nil, // a benchmark measures the service, not a proxy the environment names
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxConnsPerHost:     opts.Pool,
		MaxIdleConns:        opts.Pool,
		MaxIdleConnsPerHost: opts.Pool,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
		Protocols:           &protocols,
	}
	if secure {
		tr.TLSClientConfig = &tls.Config{RootCAs: opts.RootCAs, MinVersion: tls.VersionTLS12}
	}
	var copts []connect.ClientOption
	if opts.Protocol == ProtocolGRPC {
		copts = append(copts, connect.WithGRPC())
	} else {
		copts = append(copts, connect.WithProtoJSON())
	}
	if d := opts.CallTimeout; d > 0 {
		copts = append(copts, connect.WithInterceptors(connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
			return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
				ctx, cancel := context.WithTimeout(ctx, d)
				defer cancel()
				return next(ctx, req)
			}
		})))
	}
	if opts.Token != "" {
		auth := "Bearer " + opts.Token
		copts = append(copts, connect.WithInterceptors(connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
			return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
				req.Header().Set("Authorization", auth)
				return next(ctx, req)
			}
		})))
	}
	return licensingv1connect.NewLicensingServiceClient(&http.Client{Transport: tr}, url, copts...), tr, nil
}

// checkURL accepts http and https URLs with a host and no query; secure is
// true for https.
func checkURL(raw string) (secure bool, err error) {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok || (scheme != "http" && scheme != "https") {
		return false, fmt.Errorf("remote: URL %q: must start with http:// or https://", raw)
	}
	host, _, _ := strings.Cut(rest, "/")
	if host == "" || strings.ContainsAny(rest, "?#") {
		return false, fmt.Errorf("remote: URL %q: want scheme://host:port[/path], without query or fragment", raw)
	}
	return scheme == "https", nil
}

// Probe makes one call every implementation must answer with a status (an
// empty CheckDownload is invalid_argument), so a wrong URL, a refused token
// or a server without the API is reported before any work starts.
func Probe(ctx context.Context, client licensingv1connect.LicensingServiceClient, url string) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	_, err := client.CheckDownload(ctx, &licensingv1.CheckDownloadRequest{})
	if err == nil {
		return nil
	}
	if o, ok := transportOutcome(err); ok {
		return &transportError{outcome: o, err: fmt.Errorf("remote: cannot reach %s (%s): %w", url, o, err)}
	}
	switch connect.CodeOf(err) {
	case connect.CodeUnauthenticated, connect.CodePermissionDenied:
		return fmt.Errorf("remote: %s refused the bearer token (set $%s or --remote-token-file): %w", url, TokenEnv, err)
	case connect.CodeUnimplemented:
		return fmt.Errorf("remote: %s does not implement the licensing API (%s): %w", url, licensingv1connect.LicensingServiceName, err)
	case connect.CodeInvalidArgument, connect.CodeNotFound:
		return nil
	}
	return fmt.Errorf("remote: %s answered the probe call with %w", url, err)
}

// Target returns worker i's target; all share the connection pool.
func (s *System) Target(int) target.Target { return &worker{sys: s} }

// Close closes idle connections.
func (s *System) Close() error {
	s.transport.CloseIdleConnections()
	return nil
}

// Classify maps an error of a call to an outcome.
func (s *System) Classify(err error) target.Outcome { return Classify(err) }

// worker sends one worker's operations.
type worker struct {
	sys *System
}

// Do sends op as the matching API call.
func (w *worker) Do(ctx context.Context, op *workload.Op, resp *target.Response) error {
	at := op.At
	if at.IsZero() {
		at = w.sys.clock.Now()
	}
	ts := timestamppb.New(at)
	c := w.sys.client
	var (
		r   *licensingv1.CommandResponse
		err error
	)
	switch op.Kind {
	case workload.OpOpenAccount:
		r, err = c.OpenAccount(ctx, &licensingv1.OpenAccountRequest{RequestId: op.RequestID, CustomerId: op.CustomerID, Plan: op.Plan, At: ts})
	case workload.OpRegisterDevice:
		r, err = c.RegisterDevice(ctx, &licensingv1.RegisterDeviceRequest{RequestId: op.RequestID, CustomerId: op.CustomerID, DeviceId: op.DeviceID, At: ts})
	case workload.OpRemoveDevice:
		r, err = c.RemoveDevice(ctx, &licensingv1.RemoveDeviceRequest{RequestId: op.RequestID, CustomerId: op.CustomerID, DeviceId: op.DeviceID, At: ts})
	case workload.OpAcquire:
		r, err = c.AcquireLicense(ctx, &licensingv1.AcquireLicenseRequest{RequestId: op.RequestID, CustomerId: op.CustomerID,
			DeviceId: op.DeviceID, TitleId: op.TitleID, StudioId: op.StudioID, Restricted: op.Restricted, At: ts})
	case workload.OpRenew:
		r, err = c.RenewLicense(ctx, &licensingv1.RenewLicenseRequest{RequestId: op.RequestID, CustomerId: op.CustomerID, LicenseId: op.LicenseID, At: ts})
	case workload.OpRelease:
		r, err = c.ReleaseLicense(ctx, &licensingv1.ReleaseLicenseRequest{RequestId: op.RequestID, CustomerId: op.CustomerID, LicenseId: op.LicenseID, At: ts})
	case workload.OpPlayback:
		r, err = c.StartPlayback(ctx, &licensingv1.StartPlaybackRequest{RequestId: op.RequestID, CustomerId: op.CustomerID, LicenseId: op.LicenseID, At: ts})
	case workload.OpCheck:
		r, err = c.CheckDownload(ctx, &licensingv1.CheckDownloadRequest{CustomerId: op.CustomerID, DeviceId: op.DeviceID,
			TitleId: op.TitleID, StudioId: op.StudioID, Restricted: op.Restricted, At: ts})
	case workload.OpLoad:
		var la *licensingv1.LoadAccountResponse
		la, err = c.LoadAccount(ctx, &licensingv1.LoadAccountRequest{CustomerId: op.CustomerID})
		if err == nil {
			if l := la.GetLoad(); l != nil {
				resp.Loads = append(resp.Loads, loadOf(l))
			}
			resp.Decision.Allowed = true
			return nil
		}
	default:
		resp.Outcome = target.OutcomeInvalid
		return fmt.Errorf("remote: operation kind %q has no API call", op.Kind)
	}
	if err != nil {
		resp.Outcome = Classify(err)
		return err
	}
	for _, l := range r.GetLoads() {
		resp.Loads = append(resp.Loads, loadOf(l))
	}
	d := r.GetDecision()
	resp.Decision = target.Decision{Allowed: d.GetAllowed(), Reason: ReasonName(d.GetReason()),
		LicenseID: d.GetLicenseId(), AlreadyApplied: r.GetAlreadyApplied()}
	switch {
	case d.GetFallback():
		resp.Outcome = target.OutcomeFallback
		resp.Cause = errors.New("remote: the service answered with its permissive fallback")
	case !d.GetAllowed():
		resp.Outcome = target.OutcomeDenied
	}
	return nil
}

// ReasonName is the reason as results name it ("device_limit"): the enum
// name without its prefix, in lower case, as the reference service's
// domain names them; "" for none.
func ReasonName(r licensingv1.Reason) string {
	if r == licensingv1.Reason_REASON_UNSPECIFIED {
		return ""
	}
	return strings.ToLower(strings.TrimPrefix(r.String(), "REASON_"))
}

func loadOf(l *licensingv1.Load) target.Load {
	return target.Load{
		FromSnapshot: l.GetFromSnapshot(),
		Replayed:     int(l.GetReplayed()),
		Bytes:        int(l.GetBytes()),
		Version:      l.GetVersion(),
		SnapshotRead: time.Duration(l.GetSnapshotReadNanos()),
		EventRead:    time.Duration(l.GetEventReadNanos()),
		Decode:       time.Duration(l.GetDecodeNanos()),
		Apply:        time.Duration(l.GetApplyNanos()),
		Total:        time.Duration(l.GetTotalNanos()),
	}
}

// Classify maps a call's error to an outcome: transport failures to their
// own classes, the service's status codes as the in-process target
// classifies the same errors.
func Classify(err error) target.Outcome {
	if err == nil {
		return target.OutcomeOK
	}
	if o, ok := transportOutcome(err); ok {
		return o
	}
	switch connect.CodeOf(err) {
	case connect.CodeInvalidArgument, connect.CodeNotFound, connect.CodeAlreadyExists,
		connect.CodeFailedPrecondition, connect.CodeOutOfRange, connect.CodeDataLoss:
		return target.OutcomeInvalid
	case connect.CodeAborted:
		return target.OutcomeConflict
	case connect.CodeUnavailable, connect.CodeDeadlineExceeded:
		// The service's own store failure or store deadline (a client
		// deadline is caught above as a timeout).
		return target.OutcomeUnavailable
	}
	return target.OutcomeOther
}

// transportOutcome recognises failures of the connection rather than
// answers of the service. A status the service sent (a wire error) is an
// answer, whatever its code: deadline_exceeded from the service is its
// store's deadline, not a network timeout.
func transportOutcome(err error) (target.Outcome, bool) {
	var (
		ce       *connect.Error
		recErr   tls.RecordHeaderError
		alertErr tls.AlertError
		verifErr *tls.CertificateVerificationError
		unkAuth  x509.UnknownAuthorityError
		hostErr  x509.HostnameError
		certErr  x509.CertificateInvalidError
		netErr   net.Error
	)
	switch {
	case errors.As(err, &ce) && connect.IsWireError(ce):
		return 0, false
	case errors.Is(err, syscall.ECONNREFUSED):
		return target.OutcomeRefused, true
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNABORTED):
		return target.OutcomeReset, true
	case errors.As(err, &recErr), errors.As(err, &alertErr), errors.As(err, &verifErr),
		errors.As(err, &unkAuth), errors.As(err, &hostErr), errors.As(err, &certErr):
		return target.OutcomeTLS, true
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return target.OutcomeTimeout, true
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
		return target.OutcomeReset, true
	case strings.Contains(err.Error(), errHTTP2NotEstablished):
		return target.OutcomeReset, true
	}
	return 0, false
}

// errHTTP2NotEstablished is the text of net/http's HTTP/2 error for a new
// connection the peer closed before its first request went out. The error
// is unexported and drops the read error (often ECONNRESET) that closed the
// connection, so only its text tells it apart; which of the two a client
// sees depends on which goroutine notices the close first.
const errHTTP2NotEstablished = "http2: client conn could not be established"
