package cassandra

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/esbench/esbench/refimpl/store"
)

func init() {
	store.Register(store.Backend{
		Name:    "cassandra",
		Summary: "Apache Cassandra (--cassandra-hosts, --cassandra-keyspace, ...)",
		New:     func() store.Settings { return NewSettings() },
	})
}

// PasswordEnv supplies the Cassandra password without putting it on the
// command line, where other users of the machine can read it.
const PasswordEnv = "ESBENCH_CASSANDRA_PASSWORD"

// Settings are the --cassandra-* connection flags of the cassandra
// backend, also used alone by `esbench schema`.
type Settings struct {
	hosts             []string
	port              int
	keyspace          string
	localDC           string
	replicationClass  string
	replicationFactor factorFlag
	replicationDCs    string
	readCL, writeCL   string
	serialCL          string
	timeout           time.Duration
	connectTimeout    time.Duration
	retries           int
	pageSize          int
	writeCoalesce     time.Duration
	mode              string
	username          string
	password          string
	tls               bool
	tlsCA             string
	tlsCert, tlsKey   string
	tlsServerName     string
	tlsInsecure       bool
	createSchema      bool

	// resolved is the replication the last Open found or chose, for About
	// (results record it); Open may run on several goroutines.
	mu       sync.Mutex
	resolved string
	// chosen holds, per keyspace this process created, how its replication
	// was chosen: a later Open finds the keyspace existing, but a run that
	// opened it once before (to look for a dataset) must still report the
	// choice it made, not "the existing keyspace's".
	chosen map[string]string
}

// factorFlag is --cassandra-replication-factor: "auto" (n 0) or a number;
// raw keeps what was given, for the error Config reports.
type factorFlag struct {
	n   int
	raw string
}

func (f *factorFlag) String() string {
	if f.raw != "" {
		return f.raw
	}
	return "auto"
}

func (f *factorFlag) Set(s string) error {
	f.raw = strings.TrimSpace(s)
	if strings.EqualFold(f.raw, "auto") {
		f.n = 0
		return nil
	}
	n, err := strconv.Atoi(f.raw)
	if err != nil {
		return fmt.Errorf("want auto or a whole number in [1, 100]")
	}
	f.n = n
	return nil
}

func (f *factorFlag) Type() string { return "auto|int" }

// NewSettings returns the defaults.
func NewSettings() *Settings {
	return &Settings{createSchema: true}
}

// AddFlags adds the Cassandra connection flags to fs, with the settings'
// values as defaults.
func (o *Settings) AddFlags(fs *pflag.FlagSet) {
	fs.StringSliceVar(&o.hosts, "cassandra-hosts", []string{"127.0.0.1"}, "Cassandra contact points, host or host:port, comma-separated")
	fs.IntVar(&o.port, "cassandra-port", DefaultPort, "CQL port for contact points given without one")
	fs.StringVar(&o.keyspace, "cassandra-keyspace", DefaultKeyspace, "keyspace holding the event, snapshot and archive tables")
	fs.StringVar(&o.localDC, "cassandra-local-dc", "", "local data centre: route requests there first (DC-aware); empty: all hosts")
	fs.StringVar(&o.replicationClass, "cassandra-replication", "SimpleStrategy", "replication strategy when the keyspace is created: SimpleStrategy or NetworkTopologyStrategy")
	fs.Var(&o.replicationFactor, "cassandra-replication-factor", "replication factor of a keyspace esbench creates (SimpleStrategy, or the local DC under NetworkTopologyStrategy): auto = the cluster's node count, at most 3, or 1..100 (at most the nodes there are)")
	fs.StringVar(&o.replicationDCs, "cassandra-replication-dcs", "", "NetworkTopologyStrategy factors per data centre, e.g. dc1=3,dc2=3")
	fs.StringVar(&o.readCL, "cassandra-read-consistency", "LOCAL_QUORUM", "consistency level of reads")
	fs.StringVar(&o.writeCL, "cassandra-write-consistency", "LOCAL_QUORUM", "consistency level of writes")
	fs.StringVar(&o.serialCL, "cassandra-serial-consistency", "LOCAL_SERIAL", "serial consistency of conditional appends: SERIAL or LOCAL_SERIAL")
	fs.DurationVar(&o.timeout, "cassandra-timeout", 30*time.Second, "timeout of one request")
	fs.DurationVar(&o.connectTimeout, "cassandra-connect-timeout", 10*time.Second, "timeout of one connection attempt")
	fs.IntVar(&o.retries, "cassandra-retries", 2, "retries of idempotent requests (conditional appends are resolved by reading back, never retried blindly)")
	fs.IntVar(&o.pageSize, "cassandra-page-size", DefaultPageSize, "rows per page when loading a stream")
	fs.DurationVar(&o.writeCoalesce, "cassandra-write-coalesce", 0, "how long the driver holds a request to write it together with later ones (0s..10ms; 0s: each request written at once, the cheapest in client CPU at the rates one client drives; the driver's own default is 200µs)")
	fs.StringVar(&o.mode, "cassandra-mode", string(ModeConditional), "concurrency: conditional (IF NOT EXISTS batches) or unconditional (plain writes, duplicates dropped on load)")
	fs.StringVar(&o.username, "cassandra-username", "", "user name for password authentication")
	fs.StringVar(&o.password, "cassandra-password", "", "password for password authentication (prefer the "+PasswordEnv+" environment variable)")
	fs.BoolVar(&o.tls, "cassandra-tls", false, "connect with TLS")
	fs.StringVar(&o.tlsCA, "cassandra-tls-ca", "", "CA certificate file (PEM) that verifies the nodes")
	fs.StringVar(&o.tlsCert, "cassandra-tls-cert", "", "client certificate file (PEM)")
	fs.StringVar(&o.tlsKey, "cassandra-tls-key", "", "client key file (PEM)")
	fs.StringVar(&o.tlsServerName, "cassandra-tls-server-name", "", "name expected in the nodes' certificates")
	fs.BoolVar(&o.tlsInsecure, "cassandra-tls-insecure", false, "skip certificate verification (test clusters only)")
	fs.BoolVar(&o.createSchema, "cassandra-create-schema", o.createSchema, "create the keyspace and tables when missing (existing tables are checked, never changed)")
}

// Config turns the flags into a validated Config; an error names the flag.
func (o *Settings) Config() (Config, error) {
	password := o.password
	if password == "" {
		password = os.Getenv(PasswordEnv)
	}
	dcs, err := parseDCs(o.replicationDCs)
	if err != nil {
		return Config{}, err
	}
	cfg := Config{
		Hosts:             o.hosts,
		Port:              o.port,
		Keyspace:          o.keyspace,
		LocalDC:           o.localDC,
		Replication:       Replication{Class: o.replicationClass, Factor: o.replicationFactor.n, DataCenters: dcs},
		ReadConsistency:   strings.ToUpper(o.readCL),
		WriteConsistency:  strings.ToUpper(o.writeCL),
		SerialConsistency: strings.ToUpper(o.serialCL),
		Timeout:           o.timeout,
		ConnectTimeout:    o.connectTimeout,
		Retries:           o.retries,
		PageSize:          o.pageSize,
		WriteCoalesce:     o.writeCoalesce,
		Mode:              Mode(o.mode),
		Username:          o.username,
		Password:          password,
		TLS: TLS{
			Enabled:            o.tls,
			CAFile:             o.tlsCA,
			CertFile:           o.tlsCert,
			KeyFile:            o.tlsKey,
			ServerName:         o.tlsServerName,
			InsecureSkipVerify: o.tlsInsecure,
		},
		CreateSchema: o.createSchema,
	}
	if o.timeout <= 0 {
		return Config{}, fmt.Errorf("--cassandra-timeout %s: must be positive", o.timeout)
	}
	if o.connectTimeout <= 0 {
		return Config{}, fmt.Errorf("--cassandra-connect-timeout %s: must be positive", o.connectTimeout)
	}
	if o.pageSize <= 0 {
		return Config{}, fmt.Errorf("--cassandra-page-size %d: must be positive", o.pageSize)
	}
	if o.writeCoalesce < 0 || o.writeCoalesce > MaxWriteCoalesce {
		return Config{}, fmt.Errorf("--cassandra-write-coalesce %s: must be in [0s, %s]", o.writeCoalesce, MaxWriteCoalesce)
	}
	if o.retries < 0 {
		return Config{}, fmt.Errorf("--cassandra-retries %d: must not be negative", o.retries)
	}
	// Zero would be replaced by a default in Config; from a flag it is a
	// mistake, not a request for the default.
	if o.port < 1 || o.port > 65535 {
		return Config{}, fmt.Errorf("--cassandra-port %d: must be in [1, 65535]", o.port)
	}
	if f := o.replicationFactor; (f.n == 0 && f.raw != "" && !strings.EqualFold(f.raw, "auto")) || f.n < 0 || f.n > 100 {
		return Config{}, fmt.Errorf("--cassandra-replication-factor %s: must be auto or in [1, 100]", f.raw)
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, fmt.Errorf("cassandra flags: %w", err)
	}
	for _, f := range []struct{ flag, path string }{
		{"cassandra-tls-ca", o.tlsCA}, {"cassandra-tls-cert", o.tlsCert}, {"cassandra-tls-key", o.tlsKey},
	} {
		if f.path == "" {
			continue
		}
		if _, err := os.Stat(f.path); err != nil {
			return Config{}, fmt.Errorf("--%s: %w", f.flag, err)
		}
	}

	return cfg, nil
}

// parseDCs reads "dc1=3,dc2=2".
func parseDCs(s string) (map[string]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	out := map[string]int{}
	for _, part := range strings.Split(s, ",") {
		dc, n, ok := strings.Cut(strings.TrimSpace(part), "=")
		rf, err := strconv.Atoi(strings.TrimSpace(n))
		if !ok || strings.TrimSpace(dc) == "" || err != nil || rf < 0 {
			return nil, fmt.Errorf("--cassandra-replication-dcs %q: %q is not dc=factor", s, part)
		}
		out[strings.TrimSpace(dc)] = rf
	}
	return out, nil
}

// Check validates the flags without connecting.
func (o *Settings) Check() error {
	_, err := o.Config()
	return err
}

// Open opens the store the flags describe; opts.Instance selects a
// keyspace of its own derived from --cassandra-keyspace.
func (o *Settings) Open(ctx context.Context, opts store.OpenOptions) (store.Store, error) {
	cfg, err := o.Config()
	if err != nil {
		return nil, err
	}
	if opts.Instance != "" {
		cfg.Keyspace = KeyspaceFor(cfg.Keyspace, opts.Instance)
	}
	s, err := Open(ctx, cfg)
	if err != nil {
		return nil, o.flagError(err)
	}
	info := s.Replication()
	o.mu.Lock()
	o.resolved = info.String()
	if info.Source != "existing" {
		if o.chosen == nil {
			o.chosen = map[string]string{}
		}
		o.chosen[info.Keyspace] = o.resolved
	} else if c, ok := o.chosen[info.Keyspace]; ok {
		o.resolved = c
	}
	o.mu.Unlock()
	return s, nil
}

// ApplySchema creates the keyspace and tables the flags describe where
// missing (`esbench schema apply`) and returns the keyspace's replication.
func (o *Settings) ApplySchema(ctx context.Context) (ReplicationInfo, error) {
	cfg, err := o.Config()
	if err != nil {
		return ReplicationInfo{}, err
	}
	info, err := ApplySchema(ctx, cfg)
	return info, o.flagError(err)
}

// flagError names the replication flag in a replication error.
func (o *Settings) flagError(err error) error {
	if !errors.Is(err, ErrReplication) {
		return err
	}
	if o.replicationDCs != "" {
		return fmt.Errorf("--cassandra-replication-dcs %s: %w", o.replicationDCs, err)
	}
	return fmt.Errorf("--cassandra-replication-factor %s: %w", o.replicationFactor.String(), err)
}

// replication describes the keyspace's replication once a store was
// opened, else what the flags ask for.
func (o *Settings) replication() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.resolved != "" {
		return o.resolved
	}
	if o.replicationDCs != "" {
		return o.replicationClass + " " + o.replicationDCs
	}
	return o.replicationClass + ", replication factor " + o.replicationFactor.String()
}

// About describes the cluster and keyspace; a Cassandra store is always
// persistent.
func (o *Settings) About() store.About {
	return store.About{
		Description: fmt.Sprintf("cassandra (%s, keyspace %s, %s mode)", strings.Join(o.hosts, ","), o.keyspace, o.mode),
		Options:     map[string]string{"keyspace": o.keyspace, "mode": o.mode, "read_consistency": o.readCL, "write_consistency": o.writeCL, "replication": o.replication()},
		Persistent:  true,
		Location:    fmt.Sprintf("cassandra keyspace %s, %s mode", o.keyspace, o.mode),
	}
}

// ContractExceptions are the conformance areas the unconditional mode does
// not keep: they all expect a wrong expected version to be refused, which
// that mode does not check by design.
func (o *Settings) ContractExceptions() map[string]string {
	return contractExceptions(Mode(o.mode))
}

func contractExceptions(m Mode) map[string]string {
	if m != ModeUnconditional {
		return nil
	}
	const why = "unconditional mode does not check expected versions (see docs/cassandra.md)"
	return map[string]string{
		"Conflict":          why,
		"IdempotentRetry":   why + "; retries of the same request are covered by TestUnconditionalMode",
		"MultiStreamAtomic": why,
		"ConcurrentWriters": why,
		"Archival":          why + " (its retry case expects a conflict)",
		"Reopen":            why + " (it checks a conflict after reopening)",
		"Bulk":              why + " (it checks a conflict after the load); bulk loading in this mode is covered by TestBulkLoad",
	}
}

// KeyspaceFor derives a per-instance keyspace name (letters, digits and
// underscores, at most 48 characters).
func KeyspaceFor(base, suffix string) string {
	out := []rune(base + "_")
	for _, r := range suffix {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			out = append(out, r)
		case r >= 'A' && r <= 'Z':
			out = append(out, r+'a'-'A')
		default:
			out = append(out, '_')
		}
	}
	if len(out) > 48 {
		out = out[:48]
	}
	return string(out)
}
