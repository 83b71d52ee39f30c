package cassandra

import (
	"context"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/esbench/esbench/internal/testcert"
	"github.com/esbench/esbench/refimpl/store"
)

// The security tests need a node started with ESBENCH_CASSANDRA_SECURE=1
// (scripts/cassandra.sh: client TLS only, with a keytool-made certificate,
// and PasswordAuthenticator), named by ESBENCH_SECURE_CASSANDRA (host:port),
// its certificate (PEM) in ESBENCH_SECURE_CA. scripts/test.sh starts one.
const (
	secureNodeEnv = "ESBENCH_SECURE_CASSANDRA"
	secureCAEnv   = "ESBENCH_SECURE_CA"
	// SecureRole is the login role TestSecureNode creates, which the CLI's
	// security test (cmd/esbench) logs in as.
	secureRole     = "esbench_secure"
	securePassword = "Esb-7f3c-secret"
)

func secureConfig(t *testing.T) Config {
	t.Helper()
	addr, ca := os.Getenv(secureNodeEnv), os.Getenv(secureCAEnv)
	if addr == "" || ca == "" {
		if os.Getenv("ESBENCH_REQUIRE_SECURE") == "1" {
			t.Fatalf("%s and %s must name the secure node and its CA (ESBENCH_REQUIRE_SECURE=1)", secureNodeEnv, secureCAEnv)
		}
		t.Skipf("%s is not set: scripts/test.sh runs this test on a node it starts with TLS and password authentication", secureNodeEnv)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(port)
	return Config{
		Hosts: []string{host}, Port: p,
		Timeout: 30 * time.Second, ConnectTimeout: 15 * time.Second, SchemaAgreementTimeout: 2 * time.Minute,
		ReadConsistency: "LOCAL_QUORUM", WriteConsistency: "LOCAL_QUORUM", SerialConsistency: "LOCAL_SERIAL",
		Retries: 2, PageSize: 300,
		TLS:      TLS{Enabled: true, CAFile: ca},
		Username: "cassandra", Password: "cassandra",
	}
}

// TestSecureNode connects to a node that requires TLS and a password:
// the right CA and credentials work end to end; a wrong password, a CA that
// did not sign the node's certificate, and a plain connection each fail
// with an error that says why, without echoing the password.
func TestSecureNode(t *testing.T) {
	base := secureConfig(t)
	ctx := context.Background()
	t.Run("SuperuserCreatesRole", func(t *testing.T) {
		cfg := base
		cfg.Keyspace = "esbench_secure_test"
		cfg.CreateSchema = true
		// The node creates its default superuser shortly after it starts.
		var (
			s   *Store
			err error
		)
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(2 * time.Second) {
			if s, err = Open(ctx, cfg); err == nil || time.Now().After(deadline) {
				break
			}
		}
		if err != nil {
			t.Fatalf("open over TLS as cassandra: %v", err)
		}
		defer s.Close()
		if err := s.sess.Query("CREATE ROLE IF NOT EXISTS " + secureRole + " WITH PASSWORD = '" + securePassword + "' AND LOGIN = true").Exec(); err != nil {
			t.Fatalf("create role: %v", err)
		}
	})
	t.Run("RoleAppendsAndLoads", func(t *testing.T) {
		cfg := base
		cfg.Keyspace = "esbench_secure_test"
		cfg.Username, cfg.Password = secureRole, securePassword
		s, err := Open(ctx, cfg)
		if err != nil {
			t.Fatalf("open as %s: %v", secureRole, err)
		}
		defer s.Close()
		st := store.StreamID{Customer: "sec-" + strconv.FormatInt(time.Now().UnixNano(), 36), AggregateType: "T", AggregateID: "a"}
		if err := s.Append(ctx, store.AppendRequest{Stream: st, Events: []store.Record{{EventID: "e1", Type: "T", Codec: "json"}}}); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, err := range s.Load(ctx, st, 0) {
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
		if n != 1 {
			t.Fatalf("loaded %d events, want 1", n)
		}
	})
	failures := []struct {
		name string
		edit func(*Config)
		want []string
	}{
		{"WrongPassword", func(c *Config) { c.Username, c.Password = secureRole, "Wrong-9d1e-guess" }, []string{"password"}},
		{"UntrustedCertificate", func(c *Config) { c.TLS.CAFile = testcert.ForeignCA(t) }, []string{"certificate"}},
		{"PlainConnection", func(c *Config) { c.TLS = TLS{} }, []string{"127.0.0.1", "require client TLS"}},
	}
	for _, f := range failures {
		t.Run(f.name, func(t *testing.T) {
			cfg := base
			cfg.Keyspace = "esbench_secure_test"
			cfg.ConnectTimeout = 5 * time.Second
			f.edit(&cfg)
			s, err := Open(ctx, cfg)
			if err == nil {
				s.Close()
				t.Fatal("opened")
			}
			for _, w := range f.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			for _, secret := range []string{"Wrong-9d1e-guess", securePassword} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q echoes a password", err)
				}
			}
			t.Logf("%s: %v", f.name, err)
		})
	}
}
