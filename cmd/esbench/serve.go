package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/spf13/cobra"

	"github.com/esbench/esbench/internal/token"
	"github.com/esbench/esbench/refimpl/codec/catalog"
	"github.com/esbench/esbench/refimpl/domain"
	"github.com/esbench/esbench/refimpl/repository"
	"github.com/esbench/esbench/refimpl/server"
	"github.com/esbench/esbench/refimpl/store"
)

// tokenEnv names the environment variable holding serve's bearer token.
const tokenEnv = "ESBENCH_SERVE_TOKEN"

type serveOptions struct {
	stores     *store.Selection
	listen     string
	codec      string
	snapshot   string
	asyncSnaps bool
	timeout    time.Duration
	clock      string
	maxBytes   int64
	readHeader time.Duration
	read       time.Duration
	write      time.Duration
	idle       time.Duration
	drain      time.Duration
	tlsCert    string
	tlsKey     string
	tokenFile  string
}

func newServeCmd() *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the reference service over the network API (gRPC, gRPC-Web and HTTP JSON)",
		Long: `serve runs the reference service on a store behind its network API
(docs/api.md): gRPC, gRPC-Web and HTTP/1.1 JSON from one listener, with
` + server.HealthPath + ` and ` + server.ReadyPath + `. It listens on 127.0.0.1 unless told otherwise; a
non-loopback address needs a bearer token, read from $` + tokenEnv + ` or
--token-file (never from a flag, never logged). SIGTERM or SIGINT drains
in-flight calls and writes queued snapshots before exiting.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	fs := cmd.Flags()
	o.stores = store.NewSelection(fs, "pebble")
	fs.StringVar(&o.listen, "listen", "127.0.0.1:8080", "listen address host:port (port 0: any free port)")
	fs.StringVar(&o.codec, "codec", repository.DefaultCodec, "event codec ("+fmt.Sprint(catalog.IDs())+", each also as CODEC+zstd|s2|lz4)")
	fs.StringVar(&o.snapshot, "snapshot", "every:100", "snapshot policy (none, every:N, load:events>N,time>D)")
	fs.BoolVar(&o.asyncSnaps, "async-snapshots", false, "write snapshots off the command path (flushed on shutdown)")
	fs.DurationVar(&o.timeout, "timeout", 0, "service per-command store deadline (0: none)")
	fs.StringVar(&o.clock, "clock", "request", "decision time: request (a request's `at`, else the server clock) or wall (always the server clock)")
	fs.Int64Var(&o.maxBytes, "max-request-bytes", server.DefaultMaxRequestBytes, "largest request body accepted, in bytes (1 KiB to 1 GiB)")
	fs.DurationVar(&o.readHeader, "read-header-timeout", server.DefaultReadHeaderTimeout, "time allowed to read a request's headers")
	fs.DurationVar(&o.read, "read-timeout", server.DefaultReadTimeout, "time allowed to read a whole request")
	fs.DurationVar(&o.write, "write-timeout", server.DefaultWriteTimeout, "time allowed to handle a request and write its answer")
	fs.DurationVar(&o.idle, "idle-timeout", server.DefaultIdleTimeout, "how long an idle keep-alive connection is kept")
	fs.DurationVar(&o.drain, "drain-timeout", server.DefaultDrainTimeout, "how long shutdown waits for in-flight calls")
	fs.StringVar(&o.tlsCert, "tls-cert", "", "PEM certificate file: serve HTTPS (needs --tls-key)")
	fs.StringVar(&o.tlsKey, "tls-key", "", "PEM private key file of --tls-cert")
	fs.StringVar(&o.tokenFile, "token-file", "", "file holding the bearer token clients must send (alternative: $"+tokenEnv+")")
	return cmd
}

// check validates every flag before anything is opened.
func (o *serveOptions) check() (server.Clock, error) {
	clock, err := server.ParseClock(o.clock)
	if err != nil {
		return 0, fmt.Errorf("--clock: %w", err)
	}
	if _, _, err := net.SplitHostPort(o.listen); err != nil {
		return 0, fmt.Errorf("--listen %q: must be host:port (127.0.0.1:8080, [::1]:0): %w", o.listen, err)
	}
	if !catalog.Known(o.codec) {
		return 0, fmt.Errorf("--codec %q: unknown codec; known: %v (each also as CODEC+zstd|s2|lz4)", o.codec, catalog.IDs())
	}
	if _, err := repository.ParseSnapshotPolicy(o.snapshot); err != nil {
		return 0, fmt.Errorf("--snapshot %q: %w", o.snapshot, err)
	}
	if o.maxBytes < 1<<10 || o.maxBytes > 1<<30 {
		return 0, fmt.Errorf("--max-request-bytes %d: must be between 1024 and %d", o.maxBytes, 1<<30)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
		min  time.Duration
	}{{"timeout", o.timeout, 0}, {"read-header-timeout", o.readHeader, time.Millisecond}, {"read-timeout", o.read, time.Millisecond},
		{"write-timeout", o.write, time.Millisecond}, {"idle-timeout", o.idle, time.Millisecond}, {"drain-timeout", o.drain, time.Millisecond}} {
		if d.v < d.min || d.v > 24*time.Hour {
			return 0, fmt.Errorf("--%s %s: must be between %s and 24h", d.name, d.v, d.min)
		}
	}
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return 0, errors.New("--tls-cert and --tls-key: give both or neither")
	}
	return clock, o.stores.Check()
}

// token reads the bearer token from the environment or --token-file.
func (o *serveOptions) token() (string, error) {
	return token.Read(tokenEnv, o.tokenFile, "--token-file")
}

func (o *serveOptions) run(cmd *cobra.Command) (err error) {
	ctx := cmd.Context()
	clock, err := o.check()
	if err != nil {
		return err
	}
	tok, err := o.token()
	if err != nil {
		return err
	}
	var tlsCfg *tls.Config
	if o.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(o.tlsCert, o.tlsKey)
		if err != nil {
			return fmt.Errorf("--tls-cert/--tls-key: %w", err)
		}
		tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	logger := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
	codecs, err := catalog.All()
	if err != nil {
		return err
	}
	pol, _ := repository.ParseSnapshotPolicy(o.snapshot) // checked above
	st, err := o.stores.Open(ctx, store.OpenOptions{})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, st.Close()) }()
	repo, err := repository.New(st, domain.NewRegistry(codecs...), repository.Options{
		Codec: o.codec, Snapshots: pol, AsyncSnapshots: o.asyncSnaps, Logger: logger,
	})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, repo.Close()) }()
	h, err := server.NewHandler(repo, server.HandlerOptions{Clock: clock, Timeout: o.timeout, Logger: logger})
	if err != nil {
		return err
	}
	srv, err := server.New(h, server.Config{
		Addr: o.listen, Token: tok, TLS: tlsCfg, MaxRequestBytes: o.maxBytes,
		ReadHeaderTimeout: o.readHeader, ReadTimeout: o.read, WriteTimeout: o.write, IdleTimeout: o.idle,
		DrainTimeout: o.drain, Logger: logger,
	})
	if err != nil {
		if errors.Is(err, server.ErrConfig) && tok == "" {
			return fmt.Errorf("--listen %s: %w (set $%s or --token-file)", o.listen, err, tokenEnv)
		}
		return err
	}
	if tok != "" && tlsCfg == nil {
		logger.Warn("the bearer token travels in clear text without --tls-cert; use TLS beyond a trusted network")
	}
	about := o.stores.Settings().About()
	fmt.Fprintf(cmd.OutOrStdout(), "esbench serve: reference service on %s listening on %s\n", about.Description, srv.URL())
	return srv.Serve(ctx)
}
