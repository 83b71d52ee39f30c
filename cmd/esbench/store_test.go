package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/esbench/esbench/refimpl/store"
	"github.com/esbench/esbench/refimpl/store/cassandra"
)

// runCLI runs esbench with args and returns its standard output.
func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

func TestSchemaPrint(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"Defaults", nil, []string{
			"-- replication factor auto: when esbench creates the keyspace it chooses the cluster's node count, at most 3.",
			"CREATE KEYSPACE IF NOT EXISTS esbench WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3};",
			"CREATE TABLE IF NOT EXISTS esbench.events (",
			"CREATE TABLE IF NOT EXISTS esbench.snapshots (",
			"CREATE TABLE IF NOT EXISTS esbench.events_archive (",
			"CREATE TABLE IF NOT EXISTS esbench.events_unconditional (",
			"CREATE TABLE IF NOT EXISTS esbench.preload_marks (",
			"CREATE TABLE IF NOT EXISTS esbench.datasets (\n    name text,\n    manifest text,\n    written timestamp,\n    PRIMARY KEY ((name))\n) WITH comment = ",
		}},
		{"Topology", []string{"--cassandra-keyspace", "prod_es", "--cassandra-replication", "NetworkTopologyStrategy", "--cassandra-replication-dcs", "eu=3, us=2"}, []string{
			"CREATE KEYSPACE IF NOT EXISTS prod_es WITH replication = {'class': 'NetworkTopologyStrategy', 'eu': 3, 'us': 2};",
			"CREATE TABLE IF NOT EXISTS prod_es.events (",
		}},
		{"Factor", []string{"--cassandra-replication-factor", "1"}, []string{
			"CREATE KEYSPACE IF NOT EXISTS esbench WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1};",
		}},
		{"LocalDCFactor", []string{"--cassandra-replication", "NetworkTopologyStrategy", "--cassandra-local-dc", "dc1", "--cassandra-replication-factor", "3"}, []string{
			"{'class': 'NetworkTopologyStrategy', 'dc1': 3}",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := runCLI(t, append([]string{"schema", "print"}, tc.args...)...)
			if err != nil {
				t.Fatalf("schema print: %v", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if n := strings.Count(out, ";\n"); n != 7 {
				t.Errorf("%d statements, want 7", n)
			}
		})
	}
}

func TestSchemaBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--cassandra-keyspace", "bad-name"}, `keyspace "bad-name"`},
		{[]string{"--cassandra-read-consistency", "MOST"}, `read consistency "MOST"`},
		{[]string{"--cassandra-serial-consistency", "quorum"}, "serial consistency QUORUM"},
		{[]string{"--cassandra-replication-dcs", "eu:3"}, `--cassandra-replication-dcs "eu:3"`},
		{[]string{"--cassandra-page-size", "0"}, "--cassandra-page-size 0"},
		{[]string{"--cassandra-timeout", "0s"}, "--cassandra-timeout 0s"},
		{[]string{"--cassandra-mode", "fast"}, `mode "fast"`},
		{[]string{"--cassandra-tls-ca", "ca.pem"}, "TLS is not enabled"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			_, err := runCLI(t, append([]string{"schema", "print"}, tc.args...)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("schema print %v: %v, want an error mentioning %q", tc.args, err, tc.want)
			}
		})
	}
}

// parseStoreFlags registers the store selection on a throwaway command
// and parses args.
func parseStoreFlags(t *testing.T, args ...string) *store.Selection {
	t.Helper()
	cmd := &cobra.Command{}
	sel := store.NewSelection(cmd.Flags(), "pebble")
	if err := cmd.Flags().Parse(args); err != nil {
		t.Fatalf("parse %v: %v", args, err)
	}
	return sel
}

func appendAndCount(t *testing.T, s store.Store) int {
	t.Helper()
	ctx := context.Background()
	st := store.StreamID{Customer: "c", AggregateType: "T", AggregateID: "a"}
	if err := s.Append(ctx, store.AppendRequest{Stream: st, Events: []store.Record{{EventID: "e1", Type: "T"}}}); err != nil {
		t.Fatalf("Append: %v", err)
	}
	n := 0
	for _, err := range s.Load(ctx, st, 0) {
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		n++
	}
	return n
}

func TestOpenStore(t *testing.T) {
	ctx := context.Background()
	t.Run("Memory", func(t *testing.T) {
		o := parseStoreFlags(t, "--store", "memory")
		s, err := o.Open(ctx, store.OpenOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if n := appendAndCount(t, s); n != 1 {
			t.Fatalf("loaded %d events, want 1", n)
		}
	})
	t.Run("PebbleDataDir", func(t *testing.T) {
		dir := t.TempDir()
		o := parseStoreFlags(t, "--store", "pebble", "--data-dir", dir, "--pebble-sync=false")
		s, err := o.Open(ctx, store.OpenOptions{})
		if err != nil {
			t.Fatal(err)
		}
		appendAndCount(t, s)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		// Durable: a second open sees the event, and the directory stays.
		s, err = o.Open(ctx, store.OpenOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if n := appendAndCount(t, s); n != 1 {
			// The second append is an idempotent retry of e1.
			t.Fatalf("loaded %d events after reopen, want 1", n)
		}
		if d := o.Settings().About().Description; !strings.Contains(d, dir) {
			t.Fatalf("description %q does not name %s", d, dir)
		}
	})
	t.Run("UnknownKind", func(t *testing.T) {
		o := parseStoreFlags(t, "--store", "mysql")
		if _, err := o.Open(ctx, store.OpenOptions{}); err == nil || !strings.Contains(err.Error(), `--store "mysql"`) {
			t.Fatalf("open --store mysql: %v", err)
		}
	})
	t.Run("CassandraBadFlags", func(t *testing.T) {
		o := parseStoreFlags(t, "--store", "cassandra", "--cassandra-write-consistency", "SERIAL")
		if _, err := o.Open(ctx, store.OpenOptions{}); !errors.Is(err, cassandra.ErrConfig) {
			t.Fatalf("open with a serial write consistency: %v, want cassandra.ErrConfig", err)
		}
	})
	t.Run("CassandraUnreachable", func(t *testing.T) {
		o := parseStoreFlags(t, "--store", "cassandra", "--cassandra-hosts", "127.0.0.1:1", "--cassandra-connect-timeout", "500ms")
		_, err := o.Open(ctx, store.OpenOptions{})
		if !errors.Is(err, store.ErrUnavailable) || !strings.Contains(err.Error(), "127.0.0.1:1") {
			t.Fatalf("open on a closed port: %v, want ErrUnavailable naming 127.0.0.1:1", err)
		}
	})
	t.Run("PasswordFromEnvironment", func(t *testing.T) {
		t.Setenv(cassandra.PasswordEnv, "s3cret")
		o := parseStoreFlags(t, "--store", "cassandra", "--cassandra-username", "bench")
		cfg, err := o.Settings().(*cassandra.Settings).Config()
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Username != "bench" || cfg.Password != "s3cret" {
			t.Fatalf("credentials %q/%q, want bench and the password from %s", cfg.Username, cfg.Password, cassandra.PasswordEnv)
		}
	})
}

// cassandraNode returns the node named by ESBENCH_CASSANDRA (host:port).
// Without it the test is skipped, unless a node is required
// (ESBENCH_REQUIRE_CASSANDRA=1, as scripts/test.sh sets): then it fails.
func cassandraNode(t *testing.T) string {
	t.Helper()
	addr := os.Getenv("ESBENCH_CASSANDRA")
	if addr == "" {
		if os.Getenv("ESBENCH_REQUIRE_CASSANDRA") == "1" {
			t.Fatal("ESBENCH_CASSANDRA is not set but ESBENCH_REQUIRE_CASSANDRA=1: run through `make test`")
		}
		t.Skip("ESBENCH_CASSANDRA is not set; scripts/test.sh runs this test against a local node")
	}
	return addr
}

// TestCassandraSchemaApply runs `esbench schema apply` against the node named
// by ESBENCH_CASSANDRA; scripts/test.sh runs it with a node (and requires
// one), plain `go test ./...` skips it.
func TestCassandraSchemaApply(t *testing.T) {
	addr := cassandraNode(t)
	ks := "esbench_cli_" + strings.ReplaceAll(strings.ToLower(t.Name()), "/", "_")
	args := []string{"--cassandra-hosts", addr, "--cassandra-keyspace", ks, "--cassandra-timeout", "60s", "--cassandra-connect-timeout", "15s"}
	for i := range 2 { // applying twice is harmless
		out, err := runCLI(t, append([]string{"schema", "apply"}, args...)...)
		if err != nil {
			t.Fatalf("schema apply #%d: %v", i+1, err)
		}
		if !strings.Contains(out, "schema of keyspace "+ks+" is in place") {
			t.Fatalf("schema apply #%d printed %q", i+1, out)
		}
		// The replication is stated: chosen from the node count when the
		// keyspace is made, the existing one's afterwards.
		if want := []string{"(auto: ", "(the existing keyspace's)"}[i]; !strings.Contains(out, "keyspace "+ks+": SimpleStrategy, replication factor ") || !strings.Contains(out, want) {
			t.Fatalf("schema apply #%d printed %q, want the replication (%s)", i+1, out, want)
		}
	}
	// More replicas than the node(s) there are: refused before any keyspace
	// is made, naming the flag.
	out, err := runCLI(t, append([]string{"schema", "apply", "--cassandra-replication-factor", "9", "--cassandra-keyspace", ks + "_rf9"}, args[:2]...)...)
	if err == nil || !strings.Contains(out+err.Error(), "--cassandra-replication-factor 9") || !strings.Contains(out+err.Error(), "more replicas than the cluster has nodes") {
		t.Fatalf("schema apply with factor 9: %v\n%s", err, out)
	}
	o := parseStoreFlags(t, append([]string{"--store", "cassandra", "--cassandra-create-schema=false"}, args...)...)
	s, err := o.Open(context.Background(), store.OpenOptions{})
	if err != nil {
		t.Fatalf("open the applied keyspace: %v", err)
	}
	defer s.Close()
	if n := appendAndCount(t, s); n != 1 {
		t.Fatalf("loaded %d events, want 1", n)
	}
	t.Cleanup(func() {
		cfg, err := o.Settings().(*cassandra.Settings).Config()
		if err != nil {
			return
		}
		if err := cassandra.DropKeyspace(context.Background(), cfg); err != nil {
			t.Errorf("dropping %s: %v", ks, err)
		}
	})
}
