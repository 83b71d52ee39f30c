package server

import (
	"bytes"
	"context"
	"crypto/subtle"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"connectrpc.com/connect"

	"github.com/esbench/esbench/api/licensing/v1/licensingv1connect"
)

// Defaults of Config.
const (
	DefaultMaxRequestBytes   = 4 << 20
	DefaultReadHeaderTimeout = 5 * time.Second
	DefaultReadTimeout       = 30 * time.Second
	DefaultWriteTimeout      = 30 * time.Second
	DefaultIdleTimeout       = 2 * time.Minute
	DefaultDrainTimeout      = 30 * time.Second
)

// Paths of the health endpoints. Both answer without the bearer token, so
// orchestrators can probe them.
const (
	// HealthPath answers 200 while the process serves HTTP at all.
	HealthPath = "/healthz"
	// ReadyPath answers 200 while the server accepts API calls and 503 once
	// it has begun shutting down.
	ReadyPath = "/readyz"
)

// ErrConfig is wrapped by the errors of a bad Config.
var ErrConfig = errors.New("server: bad configuration")

// Config configures a Server.
type Config struct {
	// Addr is the listen address, host:port (port 0: any free port).
	Addr string
	// Token, if set, is the bearer token every API call must carry
	// (Authorization: Bearer TOKEN). It is required when Addr is not a
	// loopback address. It is never logged.
	Token string
	// TLS, if set, serves HTTPS with it (HTTP/2 by ALPN); without it the
	// server speaks HTTP/1.1 and unencrypted HTTP/2 (h2c), which gRPC
	// clients use on plain connections.
	TLS *tls.Config
	// MaxRequestBytes bounds a request body; larger ones are refused with
	// resource_exhausted before being read whole.
	MaxRequestBytes int64
	// Timeouts of the HTTP server (see net/http.Server); a client slower
	// than them is cut off without holding a worker.
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// DrainTimeout bounds the wait for in-flight calls on shutdown.
	DrainTimeout time.Duration
	// Logger receives start, stop and recovered panics (default: discard).
	Logger *slog.Logger
}

// withDefaults fills zero fields and checks the rest.
func (c Config) withDefaults() (Config, error) {
	def := func(d *time.Duration, v time.Duration, name string) error {
		if *d < 0 {
			return fmt.Errorf("%w: %s %s is negative", ErrConfig, name, *d)
		}
		if *d == 0 {
			*d = v
		}
		return nil
	}
	if c.MaxRequestBytes < 0 {
		return c, fmt.Errorf("%w: max request bytes %d is negative", ErrConfig, c.MaxRequestBytes)
	}
	if c.MaxRequestBytes == 0 {
		c.MaxRequestBytes = DefaultMaxRequestBytes
	}
	if err := errors.Join(
		def(&c.ReadHeaderTimeout, DefaultReadHeaderTimeout, "read header timeout"),
		def(&c.ReadTimeout, DefaultReadTimeout, "read timeout"),
		def(&c.WriteTimeout, DefaultWriteTimeout, "write timeout"),
		def(&c.IdleTimeout, DefaultIdleTimeout, "idle timeout"),
		def(&c.DrainTimeout, DefaultDrainTimeout, "drain timeout"),
	); err != nil {
		return c, err
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	host, _, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return c, fmt.Errorf("%w: listen address %q: %w", ErrConfig, c.Addr, err)
	}
	if c.Token == "" && !IsLoopback(host) {
		return c, fmt.Errorf("%w: listen address %q is not loopback: a bearer token is required", ErrConfig, c.Addr)
	}
	return c, nil
}

// IsLoopback reports whether host (a name or an IP, from a listen address)
// only reaches this machine. An empty host listens on every interface.
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Server serves a Handler over HTTP.
type Server struct {
	cfg     Config
	handler licensingv1connect.LicensingServiceHandler
	http    *http.Server
	ln      net.Listener
	ready   atomic.Bool
	errors  *connect.ErrorWriter
}

// Flusher is implemented by handlers with work queued after their answers
// (the reference Handler's async snapshots); Serve calls Flush once the
// last call has drained.
type Flusher interface {
	Flush()
}

// New listens on cfg.Addr and returns a server ready to Serve h, usually a
// *Handler (any implementation of the API can be served, as tests do).
func New(h licensingv1connect.LicensingServiceHandler, cfg Config) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, handler: h, errors: connect.NewErrorWriter()}
	path, api := licensingv1connect.NewLicensingServiceHandler(h,
		connect.WithReadMaxBytes(int(cfg.MaxRequestBytes)),
		connect.WithRecover(s.recovered),
		connect.WithCodec(strictJSON{}),
	)
	mux := http.NewServeMux()
	mux.Handle(path, s.authorize(s.readBody(api)))
	mux.HandleFunc(HealthPath, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc(ReadyPath, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if !s.ready.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("shutting down\n"))
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	if cfg.TLS != nil {
		protocols.SetHTTP2(true)
	} else {
		protocols.SetUnencryptedHTTP2(true)
	}
	s.http = &http.Server{
		Handler:           mux,
		Protocols:         &protocols,
		TLSConfig:         cfg.TLS,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelDebug),
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("server: listen on %s: %w", cfg.Addr, err)
	}
	if cfg.TLS != nil {
		ln = tls.NewListener(ln, s.http.TLSConfig)
	}
	s.ln = ln
	return s, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// URL is the base URL clients use (http or https, and the listen address).
func (s *Server) URL() string {
	scheme := "http"
	if s.cfg.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + s.ln.Addr().String()
}

// Serve serves until ctx is done, then shuts down gracefully: readiness
// turns 503, the listener closes, in-flight calls finish (up to
// DrainTimeout), and the repository's queued snapshots are written. It
// returns nil after a clean shutdown. The caller closes the repository and
// the store afterwards.
func (s *Server) Serve(ctx context.Context) error {
	errc := make(chan error, 1)
	s.ready.Store(true)
	go func() { errc <- s.http.Serve(s.ln) }()
	s.cfg.Logger.Info("serving", slog.String("url", s.URL()), slog.Bool("tls", s.cfg.TLS != nil),
		slog.Bool("token", s.cfg.Token != ""))
	select {
	case err := <-errc:
		s.ready.Store(false)
		return fmt.Errorf("server: %w", err)
	case <-ctx.Done():
	}
	s.ready.Store(false)
	s.cfg.Logger.Info("shutting down: draining in-flight requests", slog.Duration("drain_timeout", s.cfg.DrainTimeout))
	dctx, cancel := context.WithTimeout(context.Background(), s.cfg.DrainTimeout)
	defer cancel()
	err := s.http.Shutdown(dctx)
	if err != nil {
		err = fmt.Errorf("server: drain: %w", err)
		_ = s.http.Close()
	}
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, fmt.Errorf("server: %w", serr))
	}
	if f, ok := s.handler.(Flusher); ok {
		f.Flush()
	}
	s.cfg.Logger.Info("stopped")
	return err
}

// authorize checks the bearer token, in constant time, when one is set.
func (s *Server) authorize(next http.Handler) http.Handler {
	if s.cfg.Token == "" {
		return next
	}
	want := []byte("Bearer " + s.cfg.Token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := r.Header.Get("Authorization")
		if subtle.ConstantTimeCompare([]byte(got), want) != 1 {
			msg := "missing bearer token"
			if got != "" {
				msg = "wrong bearer token"
			}
			_ = s.errors.Write(w, r, connect.NewError(connect.CodeUnauthenticated, errors.New(msg)))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// readBody reads a unary connect or JSON request's body before the handler
// runs, so the two ways a client can fail to send it get client errors in
// the request's protocol: a body over MaxRequestBytes is resource_exhausted
// (HTTP 413) and one not received within ReadTimeout is deadline_exceeded
// (HTTP 408), where connect alone would answer a server-side 5xx. gRPC
// requests are framed messages that connect bounds itself.
func (s *Server) readBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ct := r.Header.Get("Content-Type")
		if r.Method != http.MethodPost || !(strings.HasPrefix(ct, "application/json") || strings.HasPrefix(ct, "application/proto")) {
			next.ServeHTTP(w, r)
			return
		}
		if r.ContentLength > s.cfg.MaxRequestBytes {
			s.writeError(w, r, http.StatusRequestEntityTooLarge, connect.CodeResourceExhausted,
				fmt.Sprintf("request body of %d bytes is over the limit of %d bytes", r.ContentLength, s.cfg.MaxRequestBytes))
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxRequestBytes))
		var (
			tooBig *http.MaxBytesError
			netErr net.Error
		)
		switch {
		case errors.As(err, &tooBig):
			s.writeError(w, r, http.StatusRequestEntityTooLarge, connect.CodeResourceExhausted,
				fmt.Sprintf("request body is over the limit of %d bytes", s.cfg.MaxRequestBytes))
			return
		case errors.As(err, &netErr) && netErr.Timeout():
			s.writeError(w, r, http.StatusRequestTimeout, connect.CodeDeadlineExceeded,
				fmt.Sprintf("request body not received within the read timeout of %s", s.cfg.ReadTimeout))
			return
		case err != nil:
			s.writeError(w, r, http.StatusBadRequest, connect.CodeInvalidArgument, "reading the request body: "+err.Error())
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}

// writeError answers with a connect error in the request's protocol; for
// connect JSON and protobuf requests the HTTP status is status (connect's
// mapping of the code would blame the server for a client's fault).
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, status int, code connect.Code, msg string) {
	ct := r.Header.Get("Content-Type")
	if strings.HasPrefix(ct, "application/json") || strings.HasPrefix(ct, "application/proto") {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Connection", "close")
		w.WriteHeader(status)
		b, _ := json.Marshal(struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		}{code.String(), msg})
		_, _ = w.Write(append(b, '\n'))
		return
	}
	_ = s.errors.Write(w, r, connect.NewError(code, errors.New(msg)))
}

// recovered turns a panic in a handler into an internal error; the server
// keeps serving.
func (s *Server) recovered(_ context.Context, spec connect.Spec, _ http.Header, p any) error {
	s.cfg.Logger.Error("panic in handler", slog.String("procedure", spec.Procedure), slog.Any("panic", p))
	return connect.NewError(connect.CodeInternal, fmt.Errorf("internal error in %s", spec.Procedure))
}
