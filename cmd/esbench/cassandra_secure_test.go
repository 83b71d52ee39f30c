package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/esbench/esbench/internal/testcert"
)

// TestCassandraSecureRun runs esbench against the node that requires TLS
// and a password (ESBENCH_SECURE_CASSANDRA, its CA in ESBENCH_SECURE_CA,
// the role that refimpl/store/cassandra's TestSecureNode creates):
// through the TLS and auth flags, with the password in the environment, the
// run works and the password appears in no result file, no output and not
// on the process's command line; a wrong password and an untrusted
// certificate are clear errors.
func TestCassandraSecureRun(t *testing.T) {
	addr, ca := os.Getenv("ESBENCH_SECURE_CASSANDRA"), os.Getenv("ESBENCH_SECURE_CA")
	if addr == "" || ca == "" {
		if os.Getenv("ESBENCH_REQUIRE_SECURE") == "1" {
			t.Fatal("ESBENCH_SECURE_CASSANDRA and ESBENCH_SECURE_CA must name the secure node and its CA (ESBENCH_REQUIRE_SECURE=1)")
		}
		t.Skip("ESBENCH_SECURE_CASSANDRA is not set: scripts/test.sh runs this test on a node it starts with TLS and password authentication")
	}
	const role, password = "esbench_secure", "Esb-7f3c-secret"
	bin := buildEsbench(t)
	wl := writeTiny(t)
	conn := []string{"--store", "cassandra", "--cassandra-hosts", addr, "--cassandra-keyspace", "esbench_secure_run",
		"--cassandra-tls", "--cassandra-tls-ca", ca, "--cassandra-username", role, "--cassandra-timeout", "30s", "--cassandra-connect-timeout", "15s"}
	out := filepath.Join(t.TempDir(), "results")
	cmd := exec.Command(bin, append([]string{"run", wl, "--out", out, "--progress", "lines"}, conn...)...)
	cmd.Env = append(os.Environ(), "ESBENCH_CASSANDRA_PASSWORD="+password)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The process title, read while it runs.
	var title []byte
	// Polled for up to 20 s: on a loaded machine the process may take a
	// while to start (it runs far longer than that).
	for i := 0; i < 2000 && len(title) == 0; i++ {
		title, _ = os.ReadFile("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/cmdline")
		time.Sleep(10 * time.Millisecond)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("run over TLS with a password: %v\n%s", err, logs.String())
	}
	if len(title) == 0 || bytes.Contains(title, []byte(password)) {
		t.Errorf("process title %q: empty or holds the password", title)
	}
	if strings.Contains(logs.String(), password) {
		t.Errorf("the run's output holds the password")
	}
	err := filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err == nil && bytes.Contains(b, []byte(password)) {
			t.Errorf("%s holds the password", p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		args []string
		env  string
		want string
	}{
		{"wrong password", conn, "Wrong-9d1e-guess", "password"},
		{"untrusted certificate", append(append([]string{}, conn...), "--cassandra-tls-ca", testcert.ForeignCA(t)), password, "certificate"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(bin, append([]string{"run", wl, "--out", filepath.Join(t.TempDir(), "r"), "--progress", "none"}, c.args...)...)
			cmd.Env = append(os.Environ(), "ESBENCH_CASSANDRA_PASSWORD="+c.env)
			b, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("run succeeded:\n%s", b)
			}
			if !strings.Contains(string(b), c.want) || strings.Contains(string(b), c.env) {
				t.Errorf("error output does not mention %q, or echoes the password:\n%s", c.want, b)
			}
			t.Logf("%s: %s", c.name, strings.TrimSpace(string(b)))
		})
	}
}
