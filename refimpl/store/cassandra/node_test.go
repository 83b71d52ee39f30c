package cassandra

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/esbench/esbench/refimpl/store/storetest"
)

// The integration tests need a Cassandra node named by ESBENCH_CASSANDRA
// (host:port). Without it they skip, except where a node is required (CI,
// or scripts/test.sh, which starts one): there a missing node is a failure,
// never a silent skip.
const nodeEnv = "ESBENCH_CASSANDRA"

func requireNode() bool {
	return os.Getenv("CI") == "true" || os.Getenv("ESBENCH_REQUIRE_CASSANDRA") == "1"
}

// nodeConfig returns a configuration for the test node, without keyspace.
func nodeConfig(tb testing.TB) Config {
	tb.Helper()
	addr := os.Getenv(nodeEnv)
	if addr == "" {
		msg := nodeEnv + " is not set: these tests need a Cassandra node. Run `make test` (scripts/test.sh starts a local node), " +
			"or `make cassandra-up` and " + nodeEnv + "=127.0.0.1:9042 go test -p 1 ./refimpl/store/cassandra/"
		if requireNode() {
			tb.Fatal(msg + " (required here: CI=true or ESBENCH_REQUIRE_CASSANDRA=1)")
		}
		tb.Skip(msg)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		tb.Fatalf("%s=%q: want host:port: %v", nodeEnv, addr, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		tb.Fatalf("%s=%q: bad port: %v", nodeEnv, addr, err)
	}
	return Config{
		Hosts: []string{host},
		Port:  p,
		// A 2-core machine runs the node and the tests side by side.
		Timeout:                30 * time.Second,
		ConnectTimeout:         15 * time.Second,
		SchemaAgreementTimeout: 2 * time.Minute,
		ReadConsistency:        "LOCAL_QUORUM",
		WriteConsistency:       "LOCAL_QUORUM",
		SerialConsistency:      "LOCAL_SERIAL",
		Retries:                2,
		PageSize:               300,
	}
}

// newKeyspace creates a keyspace of its own for the calling test, with the
// schema applied, and drops it when the test ends.
func newKeyspace(tb testing.TB, cfg Config) Config {
	tb.Helper()
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		tb.Fatal(err)
	}
	cfg.Keyspace = "esbench_test_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	if _, err := ApplySchema(ctx, cfg); err != nil {
		tb.Fatalf("creating keyspace %s on %s: %v", cfg.Keyspace, os.Getenv(nodeEnv), err)
	}
	tb.Cleanup(func() { dropKeyspace(tb, cfg) })
	return cfg
}

func dropKeyspace(tb testing.TB, cfg Config) {
	tb.Helper()
	if err := DropKeyspace(context.Background(), cfg); err != nil {
		tb.Errorf("dropping keyspace %s: %v", cfg.Keyspace, err)
	}
}

// openStore opens a store on cfg and closes it when tb ends.
func openStore(tb storetest.T, cfg Config) *Store {
	tb.Helper()
	s, err := Open(context.Background(), cfg)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}
