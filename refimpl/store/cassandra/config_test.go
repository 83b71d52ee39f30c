package cassandra

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	ok := Config{Hosts: []string{"127.0.0.1"}}
	for _, tc := range []struct {
		name string
		mut  func(c *Config)
		// want is a fragment of the error; empty means valid.
		want string
	}{
		{"Defaults", func(*Config) {}, ""},
		{"HostWithPort", func(c *Config) { c.Hosts = []string{"10.0.0.1:9142", "node2"} }, ""},
		{"NetworkTopology", func(c *Config) {
			c.Replication = Replication{Class: "NetworkTopologyStrategy", DataCenters: map[string]int{"dc1": 3, "dc2": 2}}
		}, ""},
		{"NetworkTopologyLocalDC", func(c *Config) {
			c.LocalDC = "dc1"
			c.Replication = Replication{Class: "NetworkTopologyStrategy", Factor: 3}
		}, ""},
		{"Unconditional", func(c *Config) { c.Mode = ModeUnconditional }, ""},
		{"TLSAndAuth", func(c *Config) {
			c.TLS = TLS{Enabled: true, CAFile: "ca.pem", CertFile: "c.pem", KeyFile: "k.pem"}
			c.Username, c.Password = "u", "p"
		}, ""},
		{"NoHosts", func(c *Config) { c.Hosts = nil }, "no contact points"},
		{"EmptyHost", func(c *Config) { c.Hosts = []string{" "} }, `hosts " "`},
		{"BadHostPort", func(c *Config) { c.Hosts = []string{"h:99999"} }, `hosts "h:99999"`},
		{"BadPort", func(c *Config) { c.Port = 70000 }, "port 70000"},
		{"BadKeyspace", func(c *Config) { c.Keyspace = "drop table;" }, `keyspace "drop table;"`},
		{"BadClass", func(c *Config) { c.Replication.Class = "Local" }, `replication class "Local"`},
		{"NegativeFactor", func(c *Config) { c.Replication.Factor = -1 }, "replication factor -1"},
		{"DCsWithSimple", func(c *Config) { c.Replication.DataCenters = map[string]int{"dc1": 1} }, "NetworkTopologyStrategy only"},
		{"TopologyWithoutDC", func(c *Config) { c.Replication.Class = "NetworkTopologyStrategy" }, "needs data centres"},
		{"BadDCName", func(c *Config) {
			c.Replication = Replication{Class: "NetworkTopologyStrategy", DataCenters: map[string]int{"dc'1": 1}}
		}, `replication data centre "dc'1"`},
		{"BadReadCL", func(c *Config) { c.ReadConsistency = "MOST" }, `read consistency "MOST"`},
		{"SerialAsWrite", func(c *Config) { c.WriteConsistency = "SERIAL" }, "write consistency SERIAL"},
		{"QuorumAsSerial", func(c *Config) { c.SerialConsistency = "QUORUM" }, "serial consistency QUORUM: must be SERIAL or LOCAL_SERIAL"},
		{"NegativeTimeout", func(c *Config) { c.Timeout = -time.Second }, "timeout -1s"},
		{"NegativePage", func(c *Config) { c.PageSize = -5 }, "page size -5"},
		{"BadMode", func(c *Config) { c.Mode = "optimistic" }, `mode "optimistic"`},
		{"WriteCoalesce", func(c *Config) { c.WriteCoalesce = MaxWriteCoalesce }, ""},
		{"NegativeWriteCoalesce", func(c *Config) { c.WriteCoalesce = -time.Microsecond }, "write coalescing wait -1µs: must be in [0s, 10ms]"},
		{"LongWriteCoalesce", func(c *Config) { c.WriteCoalesce = 11 * time.Millisecond }, "write coalescing wait 11ms"},
		{"PasswordWithoutUser", func(c *Config) { c.Password = "p" }, "a password needs a username"},
		{"CertWithoutKey", func(c *Config) { c.TLS = TLS{Enabled: true, CertFile: "c.pem"} }, "go together"},
		{"TLSOptionsWithoutTLS", func(c *Config) { c.TLS.CAFile = "ca.pem" }, "TLS is not enabled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.mut(&c)
			err := c.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate: %v, want ErrConfig mentioning %q", err, tc.want)
			}
		})
	}
}

func TestSchemaCQL(t *testing.T) {
	stmts, err := SchemaCQL(Config{Hosts: []string{"h"}, Keyspace: "ks1", Replication: Replication{Class: "NetworkTopologyStrategy", DataCenters: map[string]int{"dc2": 2, "dc1": 3}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(stmts) != 1+len(tables) {
		t.Fatalf("%d statements, want keyspace + %d tables", len(stmts), len(tables))
	}
	all := strings.Join(stmts, "\n")
	for _, want := range []string{
		"CREATE KEYSPACE IF NOT EXISTS ks1 WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3, 'dc2': 2}",
		"CREATE TABLE IF NOT EXISTS ks1.events (",
		"PRIMARY KEY ((customer), aggregate_type, aggregate_id, version)\n) WITH CLUSTERING ORDER BY (aggregate_type ASC, aggregate_id ASC, version ASC)",
		"CREATE TABLE IF NOT EXISTS ks1.events_unconditional (",
		"PRIMARY KEY ((customer), aggregate_type, aggregate_id, version, event_id)",
		"CREATE TABLE IF NOT EXISTS ks1.events_archive (",
		"CREATE TABLE IF NOT EXISTS ks1.snapshots (",
		"WITH CLUSTERING ORDER BY (aggregate_type ASC, aggregate_id ASC, version DESC)",
		"metadata frozen<map<text, text>>",
		"payload blob",
		"recorded_at timestamp",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("schema lacks %q:\n%s", want, all)
		}
	}
	if _, err := SchemaCQL(Config{}); !errors.Is(err, ErrConfig) {
		t.Fatalf("SchemaCQL of an invalid config: %v, want ErrConfig", err)
	}
	simple, err := SchemaCQL(Config{Hosts: []string{"h"}, Replication: Replication{Factor: 1}})
	if err != nil || !strings.Contains(simple[0], "CREATE KEYSPACE IF NOT EXISTS esbench WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}") {
		t.Fatalf("default keyspace statement %q (err %v)", simple, err)
	}
	// Auto (0) is chosen against a cluster: without one there is no CQL.
	if _, err := SchemaCQL(Config{Hosts: []string{"h"}}); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "auto") {
		t.Fatalf("SchemaCQL with an auto factor: %v, want ErrConfig naming auto", err)
	}
}

func TestContactPoints(t *testing.T) {
	c := Config{Hosts: []string{"a", "b:9999", "::1"}, Port: 9042}
	if got, want := c.contactPoints(), "a:9042, b:9999, [::1]:9042"; got != want {
		t.Fatalf("contactPoints = %q, want %q", got, want)
	}
}

func TestClusterConfig(t *testing.T) {
	c := Config{
		Hosts: []string{"a", "b:9142"}, LocalDC: "dc1", Username: "u", Password: "p",
		TLS:             TLS{Enabled: true, CAFile: "ca.pem", ServerName: "cass.example"},
		ReadConsistency: "ONE", SerialConsistency: "SERIAL", Timeout: 5 * time.Second, Retries: 3, PageSize: 50,
	}.withDefaults()
	cc := c.clusterConfig("ks")
	switch {
	case cc.Port != 9042 || cc.Keyspace != "ks" || len(cc.Hosts) != 2:
		t.Fatalf("port %d keyspace %q hosts %v", cc.Port, cc.Keyspace, cc.Hosts)
	case cc.Timeout != 5*time.Second || cc.ConnectTimeout != 10*time.Second || cc.MaxWaitSchemaAgreement != 2*time.Minute:
		t.Fatalf("timeouts %v %v %v", cc.Timeout, cc.ConnectTimeout, cc.MaxWaitSchemaAgreement)
	case cc.Consistency.String() != "ONE" || cc.SerialConsistency.String() != "SERIAL":
		t.Fatalf("consistency %v serial %v", cc.Consistency, cc.SerialConsistency)
	case cc.PageSize != 50:
		t.Fatalf("page size %d", cc.PageSize)
	case cc.WriteCoalesceWaitTime != 0:
		t.Fatalf("write coalescing wait %v, want 0 (off) by default", cc.WriteCoalesceWaitTime)
	case cc.SslOpts == nil || cc.SslOpts.CaPath != "ca.pem" || cc.SslOpts.ServerName != "cass.example" || !cc.SslOpts.EnableHostVerification:
		t.Fatalf("TLS options %+v", cc.SslOpts)
	case cc.Authenticator == nil:
		t.Fatal("no authenticator with a username set")
	case cc.PoolConfig.HostSelectionPolicy == nil:
		t.Fatal("no host selection policy")
	}
	if cc := (Config{Hosts: []string{"a"}, WriteCoalesce: 300 * time.Microsecond}).withDefaults().clusterConfig(""); cc.WriteCoalesceWaitTime != 300*time.Microsecond {
		t.Fatalf("write coalescing wait %v, want the configured 300µs", cc.WriteCoalesceWaitTime)
	}
	plain := Config{Hosts: []string{"a"}}.withDefaults().clusterConfig("")
	if plain.SslOpts != nil || plain.Authenticator != nil {
		t.Fatalf("TLS %v or authenticator %v without being asked", plain.SslOpts, plain.Authenticator)
	}
}
