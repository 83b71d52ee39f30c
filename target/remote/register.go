package remote

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/esbench/esbench/api/licensing/v1/licensingv1connect"
	"github.com/esbench/esbench/internal/token"
	"github.com/esbench/esbench/target"
)

// Name is the driver name of a remote service.
const Name = "remote"

// TokenEnv names the environment variable holding the bearer token sent to
// the service.
const TokenEnv = "ESBENCH_TARGET_TOKEN"

// Flag defaults.
const (
	DefaultPool        = 64
	DefaultCallTimeout = 30 * time.Second
)

func init() {
	target.Register(target.Driver{
		Name:    Name,
		Summary: "a service implementing the licensing API (esbench serve, or your own) at --remote-url",
		New:     func() target.Settings { return &Settings{} },
	})
}

// Settings are the remote target's flags.
type Settings struct {
	url         string
	protocol    string
	pool        int
	callTimeout time.Duration
	preload     string
	tokenFile   string
	caFile      string
	wait        time.Duration
}

// AddFlags registers the --remote-* flags.
func (s *Settings) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&s.url, "remote-url", "", "base URL of the service (http://127.0.0.1:8080); --target URL sets it too")
	fs.IntVar(&s.pool, "remote-pool", DefaultPool, "most connections to the service (1 to 4096)")
	fs.StringVar(&s.preload, "remote-preload", PreloadBulk, "how preload histories are written: bulk (the API's Preload call) or commands (one call each)")
	fs.DurationVar(&s.wait, "remote-wait", 0, "wait up to this long for a service that is still starting (refusing connections); 0: fail at once")
	s.AddClientFlags(fs)
}

// AddClientFlags registers the flags of the connection itself (protocol,
// call timeout, token, CA), for commands that talk to a service without
// running a workload (conformance --target).
func (s *Settings) AddClientFlags(fs *pflag.FlagSet) {
	if s.pool == 0 {
		s.pool = DefaultPool
	}
	if s.preload == "" {
		s.preload = PreloadBulk
	}
	fs.StringVar(&s.protocol, "remote-protocol", ProtocolGRPC, "wire protocol: grpc (HTTP/2, h2c on http://) or json (connect HTTP JSON)")
	fs.DurationVar(&s.callTimeout, "remote-call-timeout", DefaultCallTimeout, "deadline of each call; a call that misses it counts as timeout (0: none)")
	fs.StringVar(&s.tokenFile, "remote-token-file", "", "file holding the bearer token (alternative: $"+TokenEnv+")")
	fs.StringVar(&s.caFile, "remote-ca-file", "", "PEM CA certificates to trust for an https URL (default: the system's)")
}

// Client checks the flags and returns an API client for the service (with
// the per-call deadline); close releases its connections.
func (s *Settings) Client() (client licensingv1connect.LicensingServiceClient, close func(), err error) {
	if err := s.Check(); err != nil {
		return nil, nil, err
	}
	tok, err := s.token()
	if err != nil {
		return nil, nil, err
	}
	roots, err := s.roots()
	if err != nil {
		return nil, nil, err
	}
	return NewClient(Options{URL: s.url, Protocol: s.protocol, Pool: s.pool, Token: tok, RootCAs: roots, CallTimeout: s.callTimeout})
}

// SetURL sets the service URL (the --target URL shorthand).
func (s *Settings) SetURL(u string) { s.url = u }

// Check validates the flags; errors name the flag.
func (s *Settings) Check() error {
	if s.url == "" {
		return errors.New("--remote-url: required with --target remote (or give --target URL)")
	}
	if _, err := checkURL(s.url); err != nil {
		return fmt.Errorf("--remote-url: %w", err)
	}
	if s.protocol != ProtocolGRPC && s.protocol != ProtocolJSON {
		return fmt.Errorf("--remote-protocol %q: must be %s or %s", s.protocol, ProtocolGRPC, ProtocolJSON)
	}
	if s.pool < 1 || s.pool > 4096 {
		return fmt.Errorf("--remote-pool %d: must be between 1 and 4096", s.pool)
	}
	if s.callTimeout < 0 || s.callTimeout > time.Hour {
		return fmt.Errorf("--remote-call-timeout %s: must be between 0 (none) and 1h", s.callTimeout)
	}
	if s.wait < 0 || s.wait > time.Hour {
		return fmt.Errorf("--remote-wait %s: must be between 0 (fail at once) and 1h", s.wait)
	}
	if s.preload != PreloadBulk && s.preload != PreloadCommands {
		return fmt.Errorf("--remote-preload %q: must be %s or %s", s.preload, PreloadBulk, PreloadCommands)
	}
	if _, err := s.token(); err != nil {
		return err
	}
	if _, err := s.roots(); err != nil {
		return err
	}
	return nil
}

func (s *Settings) token() (string, error) {
	return token.Read(TokenEnv, s.tokenFile, "--remote-token-file")
}

func (s *Settings) roots() (*x509.CertPool, error) {
	if s.caFile == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(s.caFile)
	if err != nil {
		return nil, fmt.Errorf("--remote-ca-file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--remote-ca-file %s: no PEM certificate in it", s.caFile)
	}
	return pool, nil
}

// Open connects to the service. The workload's codec and snapshot policy
// are the service's own business and are not sent; a configuration that
// must be isolated (a snapshot study's cells) cannot be had from one
// service.
func (s *Settings) Open(ctx context.Context, cfg target.Config) (target.System, error) {
	if cfg.Isolated {
		return nil, errors.New("remote: this experiment sets up one store per configuration (a study); a remote service is one configuration: run the study in process, or one snapshot setting per esbench serve")
	}
	tok, err := s.token()
	if err != nil {
		return nil, err
	}
	roots, err := s.roots()
	if err != nil {
		return nil, err
	}
	sys, err := New(ctx, Options{URL: s.url, Protocol: s.protocol, Pool: s.pool, Token: tok, RootCAs: roots,
		CallTimeout: s.callTimeout, Preload: s.preload, Start: cfg.Start, Wait: s.wait})
	if err != nil {
		return nil, err
	}
	if s.preload == PreloadBulk {
		return bulkSystem{sys}, nil
	}
	return sys, nil
}

// About names the URL and protocol; results record "remote" as the backend
// and how preload histories were written.
func (s *Settings) About() target.About {
	return target.About{
		Description: fmt.Sprintf("remote service at %s (%s)", s.url, s.protocol),
		Backend:     Name,
		Options: map[string]string{
			"url":          s.url,
			"protocol":     s.protocol,
			"pool":         strconv.Itoa(s.pool),
			"call_timeout": s.callTimeout.String(),
			"preload":      "api-" + s.preload,
			"tls":          strconv.FormatBool(strings.HasPrefix(s.url, "https://")),
		},
		// The service keeps its data between runs.
		Persistent: true,
	}
}
