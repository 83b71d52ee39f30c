package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunStoreAndTargetFlags checks the registry-driven selection of run:
// an unknown store or target, and flags of a store or target other than the
// chosen one, are refused before anything is written.
func TestRunStoreAndTargetFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--store", "memroy"}, []string{`--store "memroy": unknown store`, "cassandra, memory, pebble, sqlite", "did you mean memory?"}},
		{[]string{"--store", "mysql"}, []string{`--store "mysql": unknown store (registered: cassandra, memory, pebble, sqlite)`}},
		{[]string{"--store", "memory", "--data-dir", "x"}, []string{"--data-dir applies to --store pebble, not to --store memory"}},
		{[]string{"--store", "memory", "--pebble-sync=false"}, []string{"--pebble-sync applies to --store pebble, not to --store memory"}},
		{[]string{"--store", "pebble", "--cassandra-keyspace", "k"}, []string{"--cassandra-keyspace applies to --store cassandra, not to --store pebble"}},
		{[]string{"--cassandra-hosts", "h"}, []string{"--cassandra-hosts applies to --store cassandra, not to --store pebble"}},
		{[]string{"--store", "cassandra", "--data-dir", "x", "--cassandra-mode", "fast"}, []string{"--data-dir applies to --store pebble, not to --store cassandra"}},
		{[]string{"--store", "cassandra", "--cassandra-mode", "fast"}, []string{`mode "fast"`}},
		{[]string{"--store", "cassandra", "--cassandra-page-size", "0"}, []string{"--cassandra-page-size 0"}},
		{[]string{"--target", "mainframe"}, []string{`--target "mainframe": unknown target (registered: inproc, remote`}},
		{[]string{"--target", "inprc"}, []string{"did you mean inproc?"}},
		{[]string{"--timeout", "-1s"}, []string{"--timeout -1s: must be in [0s, 1h0m0s]"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out := t.TempDir()
			_, err := runCLI(t, append([]string{"run", "--out", out, "--progress", "none"}, tc.args...)...)
			if err == nil {
				t.Fatalf("run %v succeeded", tc.args)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if ents, _ := os.ReadDir(out); len(ents) != 0 {
				t.Errorf("run wrote %d entries under --out before refusing", len(ents))
			}
		})
	}
}

// TestHelpListsRegistered checks that help is built from the registries.
func TestHelpListsRegistered(t *testing.T) {
	out, err := runCLI(t, "run", "--help")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"event store backend: cassandra, memory, pebble, sqlite", "system under test: inproc", "--data-dir", "--cassandra-hosts",
		"Targets (--target NAME", "  inproc  the reference service in this process", "Stores (--store NAME", "  sqlite     example backend: one SQLite file"} {
		if !strings.Contains(out, w) {
			t.Errorf("run --help lacks %q", w)
		}
	}
	out, err = runCLI(t, "conformance", "--help")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"Stores (--store NAME", "  pebble     embedded and durable", "--sqlite-path", "--cassandra-keyspace"} {
		if !strings.Contains(out, w) {
			t.Errorf("conformance --help lacks %q", w)
		}
	}
}

// TestRunOnExampleBackend runs a workload on the example backend, which
// the binary offers through one import line.
func TestRunOnExampleBackend(t *testing.T) {
	out := filepath.Join(t.TempDir(), "results")
	db := filepath.Join(t.TempDir(), "events.db")
	stdout, err := runCLI(t, "run", writeTiny(t), "--store", "sqlite", "--sqlite-path", db, "--sqlite-sync=false", "--out", out, "--progress", "none")
	if err != nil {
		t.Fatalf("run on sqlite: %v\n%s", err, stdout)
	}
	b, err := os.ReadFile(filepath.Join(resultDir(t, out), "result.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"backend": "sqlite"`) || !strings.Contains(string(b), "sqlite ("+db+")") {
		t.Errorf("result.json does not record the sqlite backend and its file:\n%.600s", b)
	}
	if fi, err := os.Stat(db); err != nil || fi.Size() == 0 {
		t.Errorf("database file %s: %v", db, err)
	}
}
