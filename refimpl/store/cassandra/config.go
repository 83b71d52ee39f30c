// Package cassandra is the Apache Cassandra backend of the event store,
// snapshot store and archiver (refimpl/store), on the gocql driver.
//
// Layout (one keyspace; the customer id is the partition key of every table,
// so all streams of a customer live in one partition and can be appended to
// atomically with a single-partition batch):
//
//	events               ((customer), aggregate_type, aggregate_id, version)
//	events_unconditional ((customer), aggregate_type, aggregate_id, version, event_id)
//	snapshots            ((customer), aggregate_type, aggregate_id, version DESC)
//	events_archive       ((customer), aggregate_type, aggregate_id, version, event_id)
//
// Two concurrency modes:
//
//   - ModeConditional (default): an append is one conditional batch with
//     IF NOT EXISTS on every new event row, plus a condition on the stream's
//     head row (version 0, column head) that holds the stream's version. The
//     head condition is what rejects an ExpectedVersion ahead of the stream
//     (IF NOT EXISTS alone would accept it and leave a gap); it costs one
//     small cell rewritten per append, inside the same Paxos round, and never
//     a read of "the highest version". A failed batch returns the existing
//     rows, whose event ids tell an idempotent retry from a conflict.
//   - ModeUnconditional: Netflix's way. Plain (non-LWT) single-partition
//     batches into events_unconditional, clustered by (version, event_id) so
//     that concurrent writers never overwrite each other; Load drops rows
//     whose event id it has already yielded. Expected versions are not
//     checked, so conflicts are not detected: two writers appending at the
//     same expected version both land and share version numbers. It exists
//     to measure what the conditional writes cost.
package cassandra

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// Mode selects how appends guard the expected version.
type Mode string

// The concurrency modes; see the package documentation.
const (
	ModeConditional   Mode = "conditional"
	ModeUnconditional Mode = "unconditional"
)

// ErrConfig marks an invalid configuration; the message names the field.
var ErrConfig = errors.New("cassandra: invalid configuration")

// Replication is the keyspace's replication, used when the schema is created.
type Replication struct {
	// Class is SimpleStrategy or NetworkTopologyStrategy.
	Class string
	// Factor is the replication factor of SimpleStrategy, and of the local
	// data centre under NetworkTopologyStrategy when DataCenters is empty.
	// Zero is auto: when the keyspace is created, the number of nodes the
	// cluster has (in the local data centre under NetworkTopologyStrategy),
	// at most AutoReplicationMax; an existing keyspace keeps its own.
	Factor int
	// DataCenters maps data centre names to replication factors for
	// NetworkTopologyStrategy.
	DataCenters map[string]int
}

// TLS configures client encryption.
type TLS struct {
	Enabled bool
	// CAFile verifies the server certificates; empty uses the system pool.
	CAFile string
	// CertFile and KeyFile give a client certificate (both or neither).
	CertFile, KeyFile string
	// ServerName overrides the name checked in the server certificate.
	ServerName string
	// InsecureSkipVerify disables certificate verification (tests only).
	InsecureSkipVerify bool
}

// Config is everything the backend needs to reach and use a cluster.
type Config struct {
	// Hosts are the contact points, "host" or "host:port".
	Hosts []string
	// Port is used for hosts without one; 0 means 9042.
	Port int
	// Keyspace holds the tables; empty means "esbench".
	Keyspace string
	// LocalDC routes requests to this data centre first (DC-aware, token-aware
	// routing); empty means token-aware round robin over all hosts.
	LocalDC string
	// Replication is used by ApplySchema when it creates the keyspace.
	Replication Replication
	// Consistency levels by name (ONE, LOCAL_ONE, QUORUM, LOCAL_QUORUM, ALL,
	// ...): reads, writes, and the serial consistency of conditional batches
	// (SERIAL or LOCAL_SERIAL). Empty means LOCAL_QUORUM, LOCAL_QUORUM,
	// LOCAL_SERIAL.
	ReadConsistency, WriteConsistency, SerialConsistency string
	// Timeout bounds one request; ConnectTimeout one connection attempt.
	// Zero means 30 s and 10 s.
	Timeout, ConnectTimeout time.Duration
	// SchemaAgreementTimeout bounds the wait for schema agreement after DDL;
	// zero means 2 minutes.
	SchemaAgreementTimeout time.Duration
	// Retries is how often an idempotent request (reads, unconditional
	// writes) is retried on another host; conditional batches are never
	// retried blindly. Negative means 0; the zero value means 0 too.
	Retries int
	// PageSize is the number of rows per page of a Load; zero means 1000.
	PageSize int
	// NumConns is the number of connections per host; zero means 2.
	NumConns int
	// WriteCoalesce is how long the driver holds a request to write it
	// together with later ones in one system call; zero writes each request
	// at once. The driver's own default is 200 µs; esbench's is zero, which
	// costs the client far less CPU per request at the rates one client
	// drives (docs/design.md, "Cassandra client settings"). At most
	// MaxWriteCoalesce.
	WriteCoalesce time.Duration
	// Mode is the concurrency mode; empty means ModeConditional.
	Mode Mode
	// Username and Password enable password authentication when Username is
	// set.
	Username, Password string
	TLS                TLS
	// CreateSchema makes Open create the keyspace and tables if missing.
	// Either way Open checks that existing tables have the expected shape.
	CreateSchema bool
}

// Defaults for the zero values of Config.
const (
	DefaultPort     = 9042
	DefaultKeyspace = "esbench"
	DefaultPageSize = 1000
	// MaxWriteCoalesce bounds Config.WriteCoalesce: a request held longer
	// would add more latency than any write it saves is worth.
	MaxWriteCoalesce = 10 * time.Millisecond
)

var keyspaceName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,47}$`)

// withDefaults returns c with zero values replaced by the defaults.
func (c Config) withDefaults() Config {
	if c.Port == 0 {
		c.Port = DefaultPort
	}
	if c.Keyspace == "" {
		c.Keyspace = DefaultKeyspace
	}
	if c.Replication.Class == "" {
		c.Replication.Class = "SimpleStrategy"
	}
	if c.ReadConsistency == "" {
		c.ReadConsistency = "LOCAL_QUORUM"
	}
	if c.WriteConsistency == "" {
		c.WriteConsistency = "LOCAL_QUORUM"
	}
	if c.SerialConsistency == "" {
		c.SerialConsistency = "LOCAL_SERIAL"
	}
	if c.Timeout == 0 {
		c.Timeout = 30 * time.Second
	}
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = 10 * time.Second
	}
	if c.SchemaAgreementTimeout == 0 {
		c.SchemaAgreementTimeout = 2 * time.Minute
	}
	if c.Retries < 0 {
		c.Retries = 0
	}
	if c.PageSize == 0 {
		c.PageSize = DefaultPageSize
	}
	if c.NumConns == 0 {
		c.NumConns = 2
	}
	if c.Mode == "" {
		c.Mode = ModeConditional
	}
	return c
}

// Validate reports the first invalid field, naming it and its value.
func (c Config) Validate() error {
	c = c.withDefaults()
	bad := func(field string, value any, why string) error {
		return fmt.Errorf("%w: %s %v: %s", ErrConfig, field, value, why)
	}
	if len(c.Hosts) == 0 {
		return fmt.Errorf("%w: no contact points (hosts)", ErrConfig)
	}
	for _, h := range c.Hosts {
		if strings.TrimSpace(h) == "" {
			return bad("hosts", strconv.Quote(h), "empty contact point")
		}
		if _, p, err := net.SplitHostPort(h); err == nil {
			if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
				return bad("hosts", strconv.Quote(h), "port must be 1..65535")
			}
		}
	}
	if c.Port < 1 || c.Port > 65535 {
		return bad("port", c.Port, "must be 1..65535")
	}
	if !keyspaceName.MatchString(c.Keyspace) {
		return bad("keyspace", strconv.Quote(c.Keyspace), "must be a letter then up to 47 letters, digits or underscores")
	}
	switch c.Replication.Class {
	case "SimpleStrategy":
		if len(c.Replication.DataCenters) > 0 {
			return bad("replication data centres", c.Replication.DataCenters, "apply to NetworkTopologyStrategy only")
		}
		if c.Replication.Factor < 0 {
			return bad("replication factor", c.Replication.Factor, "must be at least 1 (or 0 for auto)")
		}
	case "NetworkTopologyStrategy":
		if len(c.Replication.DataCenters) == 0 && c.LocalDC == "" {
			return bad("replication", c.Replication.Class, "needs data centres (dc:factor) or a local data centre")
		}
		if len(c.Replication.DataCenters) == 0 && c.Replication.Factor < 0 {
			return bad("replication factor", c.Replication.Factor, "must be at least 1 (or 0 for auto)")
		}
		for dc, rf := range c.Replication.DataCenters {
			if !dcName.MatchString(dc) {
				return bad("replication data centre", strconv.Quote(dc), "must be letters, digits, '_', '-' or '.'")
			}
			if rf < 0 {
				return bad("replication factor of "+dc, rf, "must not be negative")
			}
		}
	default:
		return bad("replication class", strconv.Quote(c.Replication.Class), "must be SimpleStrategy or NetworkTopologyStrategy")
	}
	for _, cl := range []struct {
		field, value string
		serial       bool
	}{
		{"read consistency", c.ReadConsistency, false},
		{"write consistency", c.WriteConsistency, false},
		{"serial consistency", c.SerialConsistency, true},
	} {
		v, err := gocql.ParseConsistencyWrapper(cl.value)
		if err != nil {
			return bad(cl.field, strconv.Quote(cl.value), "unknown consistency level")
		}
		isSerial := v == gocql.Serial || v == gocql.LocalSerial
		if cl.serial != isSerial {
			if cl.serial {
				return bad(cl.field, cl.value, "must be SERIAL or LOCAL_SERIAL")
			}
			return bad(cl.field, cl.value, "SERIAL levels are for the serial consistency only")
		}
	}
	if c.Timeout < 0 {
		return bad("timeout", c.Timeout, "must not be negative")
	}
	if c.ConnectTimeout < 0 {
		return bad("connect timeout", c.ConnectTimeout, "must not be negative")
	}
	if c.SchemaAgreementTimeout < 0 {
		return bad("schema agreement timeout", c.SchemaAgreementTimeout, "must not be negative")
	}
	if c.PageSize < 1 {
		return bad("page size", c.PageSize, "must be at least 1")
	}
	if c.NumConns < 1 {
		return bad("connections per host", c.NumConns, "must be at least 1")
	}
	if c.WriteCoalesce < 0 || c.WriteCoalesce > MaxWriteCoalesce {
		return bad("write coalescing wait", c.WriteCoalesce, "must be in [0s, "+MaxWriteCoalesce.String()+"]")
	}
	switch c.Mode {
	case ModeConditional, ModeUnconditional:
	default:
		return bad("mode", strconv.Quote(string(c.Mode)), "must be conditional or unconditional")
	}
	if c.Password != "" && c.Username == "" {
		return bad("username", `""`, "a password needs a username")
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		return bad("tls", c.TLS.CertFile+"/"+c.TLS.KeyFile, "client certificate and key files go together")
	}
	if !c.TLS.Enabled && (c.TLS.CAFile != "" || c.TLS.CertFile != "" || c.TLS.ServerName != "" || c.TLS.InsecureSkipVerify) {
		return bad("tls", "options", "are set but TLS is not enabled")
	}
	return nil
}

var dcName = regexp.MustCompile(`^[A-Za-z0-9_.\-]+$`)

// clusterConfig turns c (with defaults applied and validated) into the
// driver's configuration.
func (c Config) clusterConfig(keyspace string) *gocql.ClusterConfig {
	cc := gocql.NewCluster(c.Hosts...)
	cc.Port = c.Port
	cc.Keyspace = keyspace
	cc.Timeout = c.Timeout
	cc.WriteTimeout = c.Timeout
	cc.ConnectTimeout = c.ConnectTimeout
	cc.MaxWaitSchemaAgreement = c.SchemaAgreementTimeout
	cc.NumConns = c.NumConns
	cc.PageSize = c.PageSize
	cc.Consistency = gocql.ParseConsistency(c.ReadConsistency)
	cc.SerialConsistency = gocql.ParseConsistency(c.SerialConsistency)
	cc.RetryPolicy = &gocql.SimpleRetryPolicy{NumRetries: c.Retries}
	// A single failed dial at start-up must not leave a contact point marked
	// down for long in a small cluster.
	cc.ReconnectInterval = 10 * time.Second
	// Zero turns the driver's write coalescer off: every request is written
	// by its caller instead of handed to a flusher goroutine that waits for
	// company (docs/design.md, "Cassandra client settings").
	cc.WriteCoalesceWaitTime = c.WriteCoalesce
	if c.LocalDC != "" {
		cc.PoolConfig.HostSelectionPolicy = gocql.TokenAwareHostPolicy(gocql.DCAwareRoundRobinPolicy(c.LocalDC))
	} else {
		cc.PoolConfig.HostSelectionPolicy = gocql.TokenAwareHostPolicy(gocql.RoundRobinHostPolicy())
	}
	if c.Username != "" {
		cc.Authenticator = gocql.PasswordAuthenticator{Username: c.Username, Password: c.Password}
	}
	if c.TLS.Enabled {
		cc.SslOpts = &gocql.SslOptions{
			Config: &tls.Config{
				ServerName:         c.TLS.ServerName,
				InsecureSkipVerify: c.TLS.InsecureSkipVerify, //nolint:gosec // opt-in, for test clusters
				MinVersion:         tls.VersionTLS12,
			},
			CaPath:                 c.TLS.CAFile,
			CertPath:               c.TLS.CertFile,
			KeyPath:                c.TLS.KeyFile,
			EnableHostVerification: !c.TLS.InsecureSkipVerify,
		}
	}
	return cc
}

// contactPoints renders the hosts with their ports, for messages.
func (c Config) contactPoints() string {
	out := make([]string, len(c.Hosts))
	for i, h := range c.Hosts {
		if _, _, err := net.SplitHostPort(h); err == nil {
			out[i] = h
		} else {
			out[i] = net.JoinHostPort(h, strconv.Itoa(c.Port))
		}
	}
	return strings.Join(out, ", ")
}
