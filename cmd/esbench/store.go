package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/esbench/esbench/refimpl/store"
	"github.com/esbench/esbench/refimpl/store/cassandra"
	"github.com/esbench/esbench/refimpl/store/memory"
	"github.com/esbench/esbench/refimpl/store/pebble"
)

// Store kinds accepted by --store.
const (
	storeMemory    = "memory"
	storePebble    = "pebble"
	storeCassandra = "cassandra"
)

// passwordEnv supplies the Cassandra password without putting it on the
// command line, where other users of the machine can read it.
const passwordEnv = "ESBENCH_CASSANDRA_PASSWORD"

// storeOptions are the store selection flags shared by every command that
// runs against a store: --store, --data-dir and the --cassandra-* flags.
type storeOptions struct {
	kind       string
	dataDir    string
	pebbleSync bool
	cass       cassandraOptions
}

// cassandraOptions are the --cassandra-* connection flags, also used alone
// by `esbench schema`.
type cassandraOptions struct {
	hosts             []string
	port              int
	keyspace          string
	localDC           string
	replicationClass  string
	replicationFactor int
	replicationDCs    string
	readCL, writeCL   string
	serialCL          string
	timeout           time.Duration
	connectTimeout    time.Duration
	retries           int
	pageSize          int
	mode              string
	username          string
	password          string
	tls               bool
	tlsCA             string
	tlsCert, tlsKey   string
	tlsServerName     string
	tlsInsecure       bool
	createSchema      bool
}

// register adds --store, --data-dir, --pebble-sync and the Cassandra flags
// to fs.
func (o *storeOptions) register(fs *pflag.FlagSet) {
	fs.StringVar(&o.kind, "store", storePebble, "event store backend: memory, pebble or cassandra")
	fs.StringVar(&o.dataDir, "data-dir", "", "pebble data directory (default: a temporary directory removed on exit)")
	fs.BoolVar(&o.pebbleSync, "pebble-sync", true, "pebble: fsync every write")
	o.cass.register(fs, true)
}

// register adds the Cassandra connection flags to fs. createDefault is the
// default of --cassandra-create-schema.
func (o *cassandraOptions) register(fs *pflag.FlagSet, createDefault bool) {
	fs.StringSliceVar(&o.hosts, "cassandra-hosts", []string{"127.0.0.1"}, "Cassandra contact points, host or host:port, comma-separated")
	fs.IntVar(&o.port, "cassandra-port", cassandra.DefaultPort, "CQL port for contact points given without one")
	fs.StringVar(&o.keyspace, "cassandra-keyspace", cassandra.DefaultKeyspace, "keyspace holding the event, snapshot and archive tables")
	fs.StringVar(&o.localDC, "cassandra-local-dc", "", "local data centre: route requests there first (DC-aware); empty: all hosts")
	fs.StringVar(&o.replicationClass, "cassandra-replication", "SimpleStrategy", "replication strategy when the keyspace is created: SimpleStrategy or NetworkTopologyStrategy")
	fs.IntVar(&o.replicationFactor, "cassandra-replication-factor", 1, "replication factor (SimpleStrategy, or the local DC under NetworkTopologyStrategy)")
	fs.StringVar(&o.replicationDCs, "cassandra-replication-dcs", "", "NetworkTopologyStrategy factors per data centre, e.g. dc1=3,dc2=3")
	fs.StringVar(&o.readCL, "cassandra-read-consistency", "LOCAL_QUORUM", "consistency level of reads")
	fs.StringVar(&o.writeCL, "cassandra-write-consistency", "LOCAL_QUORUM", "consistency level of writes")
	fs.StringVar(&o.serialCL, "cassandra-serial-consistency", "LOCAL_SERIAL", "serial consistency of conditional appends: SERIAL or LOCAL_SERIAL")
	fs.DurationVar(&o.timeout, "cassandra-timeout", 30*time.Second, "timeout of one request")
	fs.DurationVar(&o.connectTimeout, "cassandra-connect-timeout", 10*time.Second, "timeout of one connection attempt")
	fs.IntVar(&o.retries, "cassandra-retries", 2, "retries of idempotent requests (conditional appends are resolved by reading back, never retried blindly)")
	fs.IntVar(&o.pageSize, "cassandra-page-size", cassandra.DefaultPageSize, "rows per page when loading a stream")
	fs.StringVar(&o.mode, "cassandra-mode", string(cassandra.ModeConditional), "concurrency: conditional (IF NOT EXISTS batches) or unconditional (plain writes, duplicates dropped on load)")
	fs.StringVar(&o.username, "cassandra-username", "", "user name for password authentication")
	fs.StringVar(&o.password, "cassandra-password", "", "password for password authentication (prefer the "+passwordEnv+" environment variable)")
	fs.BoolVar(&o.tls, "cassandra-tls", false, "connect with TLS")
	fs.StringVar(&o.tlsCA, "cassandra-tls-ca", "", "CA certificate file (PEM) that verifies the nodes")
	fs.StringVar(&o.tlsCert, "cassandra-tls-cert", "", "client certificate file (PEM)")
	fs.StringVar(&o.tlsKey, "cassandra-tls-key", "", "client key file (PEM)")
	fs.StringVar(&o.tlsServerName, "cassandra-tls-server-name", "", "name expected in the nodes' certificates")
	fs.BoolVar(&o.tlsInsecure, "cassandra-tls-insecure", false, "skip certificate verification (test clusters only)")
	fs.BoolVar(&o.createSchema, "cassandra-create-schema", createDefault, "create the keyspace and tables when missing (existing tables are checked, never changed)")
}

// config turns the flags into a validated cassandra.Config.
func (o *cassandraOptions) config() (cassandra.Config, error) {
	password := o.password
	if password == "" {
		password = os.Getenv(passwordEnv)
	}
	dcs, err := parseDCs(o.replicationDCs)
	if err != nil {
		return cassandra.Config{}, err
	}
	cfg := cassandra.Config{
		Hosts:             o.hosts,
		Port:              o.port,
		Keyspace:          o.keyspace,
		LocalDC:           o.localDC,
		Replication:       cassandra.Replication{Class: o.replicationClass, Factor: o.replicationFactor, DataCenters: dcs},
		ReadConsistency:   strings.ToUpper(o.readCL),
		WriteConsistency:  strings.ToUpper(o.writeCL),
		SerialConsistency: strings.ToUpper(o.serialCL),
		Timeout:           o.timeout,
		ConnectTimeout:    o.connectTimeout,
		Retries:           o.retries,
		PageSize:          o.pageSize,
		Mode:              cassandra.Mode(o.mode),
		Username:          o.username,
		Password:          password,
		TLS: cassandra.TLS{
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
		return cassandra.Config{}, fmt.Errorf("--cassandra-timeout %s: must be positive", o.timeout)
	}
	if o.connectTimeout <= 0 {
		return cassandra.Config{}, fmt.Errorf("--cassandra-connect-timeout %s: must be positive", o.connectTimeout)
	}
	if o.pageSize <= 0 {
		return cassandra.Config{}, fmt.Errorf("--cassandra-page-size %d: must be positive", o.pageSize)
	}
	if o.retries < 0 {
		return cassandra.Config{}, fmt.Errorf("--cassandra-retries %d: must not be negative", o.retries)
	}
	if err := cfg.Validate(); err != nil {
		return cassandra.Config{}, fmt.Errorf("cassandra flags: %w", err)
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

// describe names the selected backend for logs and reports.
func (o *storeOptions) describe() string {
	switch o.kind {
	case storePebble:
		if o.dataDir == "" {
			return "pebble (temporary directory)"
		}
		return "pebble (" + o.dataDir + ")"
	case storeCassandra:
		return fmt.Sprintf("cassandra (%s, keyspace %s, %s mode)", strings.Join(o.cass.hosts, ","), o.cass.keyspace, o.cass.mode)
	}
	return o.kind
}

// open opens the selected store. The caller closes it; for pebble on a
// temporary directory, Close also removes the directory.
func (o *storeOptions) open(ctx context.Context) (store.Store, error) {
	switch o.kind {
	case storeMemory:
		return memory.New(), nil
	case storePebble:
		dir, temp := o.dataDir, false
		if dir == "" {
			d, err := os.MkdirTemp("", "esbench-pebble-")
			if err != nil {
				return nil, fmt.Errorf("--data-dir: creating a temporary directory: %w", err)
			}
			dir, temp = d, true
		}
		opts := pebble.DefaultOptions(dir)
		opts.Sync = o.pebbleSync
		s, err := pebble.Open(opts)
		if err != nil {
			if temp {
				_ = os.RemoveAll(dir)
			}
			return nil, fmt.Errorf("--data-dir %s: %w", dir, err)
		}
		if temp {
			return &tempDirStore{Store: s, dir: dir}, nil
		}
		return s, nil
	case storeCassandra:
		cfg, err := o.cass.config()
		if err != nil {
			return nil, err
		}
		s, err := cassandra.Open(ctx, cfg)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	return nil, fmt.Errorf("--store %q: must be memory, pebble or cassandra", o.kind)
}

// tempDirStore removes its temporary data directory when closed.
type tempDirStore struct {
	store.Store
	dir string
}

func (t *tempDirStore) Close() error {
	return errors.Join(t.Store.Close(), os.RemoveAll(t.dir))
}
