package main

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/esbench/esbench/refimpl/store"
	"github.com/esbench/esbench/refimpl/store/cassandra"
	"github.com/esbench/esbench/refimpl/store/memory"
)

func TestConformanceCommandPasses(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--store", "memory"}, []string{"conformance of store memory: memory, 19 checks", "19 checks: 18 passed, 0 failed, 1 skipped"}},
		{[]string{"--store", "pebble", "--pebble-sync=false"}, []string{"conformance of store pebble: pebble (temporary directory)", "17 passed, 0 failed, 2 skipped"}},
		{[]string{"--store", "pebble", "--data-dir", "DIR", "--pebble-sync=false"}, []string{"19 checks: 18 passed, 0 failed, 1 skipped"}},
		{[]string{"--store", "sqlite", "--sqlite-sync=false"}, []string{"conformance of store sqlite: sqlite (temporary file)", "16 passed, 0 failed, 3 skipped"}},
		{[]string{"--store", "sqlite", "--sqlite-path", "DIR/events.db", "--sqlite-sync=false"}, []string{"19 checks: 17 passed, 0 failed, 2 skipped"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			args := append([]string{"conformance"}, tc.args...)
			for i, a := range args {
				if strings.HasPrefix(a, "DIR") {
					args[i] = t.TempDir() + strings.TrimPrefix(a, "DIR")
				}
			}
			out, err := runCLI(t, args...)
			if err != nil {
				t.Fatalf("conformance: %v\n%s", err, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if !regexp.MustCompile(`(?m)^PASS +Ordering +\d`).MatchString(out) {
				t.Errorf("no PASS line with a duration for Ordering:\n%s", out)
			}
		})
	}
}

// brokenSettings opens memory stores whose Append ignores a cancelled
// context: a backend bug only the Context check catches.
type brokenSettings struct{}

func (brokenSettings) AddFlags(*pflag.FlagSet) {}
func (brokenSettings) About() store.About {
	return store.About{Description: "memory, ignoring cancellation"}
}
func (brokenSettings) Open(context.Context, store.OpenOptions) (store.Store, error) {
	return ignoresCancel{memory.New()}, nil
}

type ignoresCancel struct{ store.Store }

func (s ignoresCancel) Append(_ context.Context, reqs ...store.AppendRequest) error {
	return s.Store.Append(context.Background(), reqs...)
}

func TestConformanceReportsTheFailedCheck(t *testing.T) {
	var out bytes.Buffer
	err := runConformance(context.Background(), &out, "broken", brokenSettings{})
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != exitConformance || !strings.Contains(err.Error(), "failed 1 conformance checks: Context") {
		t.Fatalf("conformance of a broken store: %v, want exit %d naming Context\n%s", err, exitConformance, out.String())
	}
	got := out.String()
	if !regexp.MustCompile(`(?m)^FAIL +Context +\d`).MatchString(got) || !strings.Contains(got, "Context/Append: Append with a cancelled context") {
		t.Errorf("report does not show the failed Context check and why:\n%s", got)
	}
	if n := strings.Count(got, "\nFAIL "); n != 1 {
		t.Errorf("%d FAIL lines, want 1:\n%s", n, got)
	}
	if !strings.Contains(got, "19 checks: 15 passed, 1 failed, 3 skipped") {
		t.Errorf("summary line wrong:\n%s", got)
	}
}

func TestConformanceInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out bytes.Buffer
	err := runConformance(ctx, &out, "memory", brokenSettings{})
	if exitCode(err) != exitInterrupted || !strings.Contains(out.String(), "19 not run") {
		t.Fatalf("cancelled conformance: %v (exit %d), want exit %d and every check not run\n%s", err, exitCode(err), exitInterrupted, out.String())
	}
}

func TestConformanceBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "--store NAME is required (registered: cassandra, memory, pebble, sqlite)"},
		{[]string{"--store", "memroy"}, "did you mean memory?"},
		{[]string{"--store", ""}, `--store "": unknown store`},
		{[]string{"--store", "memory", "--data-dir", "x"}, "--data-dir applies to --store pebble, not to --store memory"},
		{[]string{"--store", "pebble", "--cassandra-mode", "unconditional"}, "--cassandra-mode applies to --store cassandra, not to --store pebble"},
		{[]string{"--store", "cassandra", "--cassandra-read-consistency", "MOST"}, `read consistency "MOST"`},
		{[]string{"--store", "memory", "extra"}, `unknown command "extra"`},
		{[]string{"--store", "sqlite", "--sqlite-path", "/nonexistent-dir/x.db"}, "--sqlite-path /nonexistent-dir/x.db: directory /nonexistent-dir does not exist"},
		{[]string{"--store", "sqlite", "--sqlite-path", "/"}, "--sqlite-path /: is a directory"},
		{[]string{"--store", "pebble", "--sqlite-sync=false"}, "--sqlite-sync applies to --store sqlite, not to --store pebble"},
		{[]string{"--store", "sqlite", "--data-dir", "x"}, "--data-dir applies to --store pebble, not to --store sqlite"},
		{[]string{"--store", "memory", "--workers", "2"}, "unknown flag: --workers"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			_, err := runCLI(t, append([]string{"conformance"}, tc.args...)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("conformance %v: %v, want an error containing %q", tc.args, err, tc.want)
			}
		})
	}
}

// TestCassandraConformanceCommand runs `esbench conformance --store
// cassandra` against the node named by ESBENCH_CASSANDRA (scripts/test.sh
// runs it with a node and requires one; plain `go test ./...` skips it).
func TestCassandraConformanceCommand(t *testing.T) {
	addr := cassandraNode(t)
	ks := "esbench_cli_conformance"
	args := []string{"--store", "cassandra", "--cassandra-hosts", addr, "--cassandra-keyspace", ks, "--cassandra-timeout", "60s", "--cassandra-connect-timeout", "15s"}
	t.Cleanup(func() {
		sel := parseStoreFlags(t, args...)
		cfg, err := sel.Settings().(*cassandra.Settings).Config()
		if err != nil {
			t.Errorf("config: %v", err)
			return
		}
		if err := cassandra.DropKeyspace(context.Background(), cfg); err != nil {
			t.Errorf("dropping %s: %v", ks, err)
		}
	})
	out, err := runCLI(t, append([]string{"conformance"}, args...)...)
	if err != nil {
		t.Fatalf("conformance --store cassandra: %v\n%s", err, out)
	}
	if !strings.Contains(out, " passed, 0 failed, ") || !regexp.MustCompile(`(?m)^PASS +Reopen +\d`).MatchString(out) {
		t.Fatalf("a check failed, or the durable store's Reopen check did not pass:\n%s", out)
	}
	// The only areas a conditional-mode Cassandra store may skip are the
	// optional interfaces it does not implement (the replay reader).
	for _, m := range regexp.MustCompile(`(?m)^SKIP +(\S+)`).FindAllStringSubmatch(out, -1) {
		if m[1] != "Bulk" && m[1] != "Replay" {
			t.Errorf("area %s skipped:\n%s", m[1], out)
		}
	}
}
