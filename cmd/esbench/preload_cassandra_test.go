package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esbench/esbench/bench/dataset"
	"github.com/esbench/esbench/refimpl/store"
	"github.com/esbench/esbench/refimpl/store/cassandra"
	"github.com/esbench/esbench/reports"
)

// cassandraKeyspace returns the flags of a fresh keyspace on the node named
// by ESBENCH_CASSANDRA, dropped after the test.
func cassandraKeyspace(t *testing.T) []string {
	t.Helper()
	addr := cassandraNode(t)
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	ks := "esbench_ds_" + hex.EncodeToString(b[:])
	args := []string{"--store", "cassandra", "--cassandra-hosts", addr, "--cassandra-keyspace", ks, "--cassandra-timeout", "60s", "--cassandra-connect-timeout", "15s"}
	t.Cleanup(func() {
		cfg, err := parseStoreFlags(t, args...).Settings().(*cassandra.Settings).Config()
		if err == nil {
			err = cassandra.DropKeyspace(context.Background(), cfg)
		}
		if err != nil {
			t.Errorf("dropping %s: %v", ks, err)
		}
	})
	return args
}

// keyspaceManifest reads the dataset manifest the keyspace of args keeps.
func keyspaceManifest(t *testing.T, args []string) (*dataset.Manifest, bool) {
	t.Helper()
	st, err := parseStoreFlags(t, args...).Open(context.Background(), store.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	b, ok, err := st.(store.DatasetKeeper).ReadDataset(context.Background())
	if err != nil || !ok {
		if err != nil {
			t.Fatal(err)
		}
		return nil, false
	}
	m, err := dataset.Decode(b, "test")
	if err != nil {
		t.Fatal(err)
	}
	return m, true
}

// TestCassandraPreloadDataset builds a dataset in a keyspace with esbench
// preload after an interrupted first attempt (resumed, not restarted), runs
// on it twice (reused, not preloaded again, each run counted in the
// manifest), and checks the refusals: another workload (naming the field),
// another write mode, a keyspace holding streams but no manifest, and a
// manifest whose ranges the keyspace does not mark committed.
func TestCassandraPreloadDataset(t *testing.T) {
	wl := writeTiny(t)
	ks := cassandraKeyspace(t)
	common := append([]string{"--progress", "none"}, ks...)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out, err := runCLIContext(t, ctx, append([]string{"preload", wl}, common...)...)
	if exitCode(err) != exitInterrupted || !strings.Contains(err.Error(), "run the same esbench preload again") {
		t.Fatalf("cancelled preload: %v (exit %d)\n%s", err, exitCode(err), out)
	}
	m, ok := keyspaceManifest(t, ks)
	if !ok || m.Complete || m.Sessions != 1 || m.Store != "cassandra" || !strings.Contains(m.Location, "conditional mode") {
		t.Fatalf("manifest after the interrupted preload: %+v (found %v); want an incomplete one of cassandra in conditional mode", m, ok)
	}
	out, err = runCLI(t, append([]string{"run", wl, "--out", t.TempDir()}, common...)...)
	if err == nil || !strings.Contains(err.Error(), "dataset preload not finished") {
		t.Fatalf("run on an unfinished dataset: %v\n%s", err, out)
	}

	out, err = runCLI(t, append([]string{"preload", wl}, common...)...)
	if err != nil || !strings.Contains(out, "preloaded 100 customers") || !strings.Contains(out, "complete") {
		t.Fatalf("resumed preload: %v\n%s", err, out)
	}
	m, _ = keyspaceManifest(t, ks)
	if !m.Complete || m.Sessions != 2 || m.Counts.Customers != 100 || m.Counts.Events <= m.Counts.AccountEvents || m.Counts.Audited == 0 || m.Runs != 0 {
		t.Fatalf("manifest after the resumed preload: %+v", m)
	}
	out, err = runCLI(t, append([]string{"preload", wl}, common...)...)
	if err != nil || !strings.Contains(out, "is complete") || !strings.Contains(out, "nothing to do") {
		t.Fatalf("preload of a complete dataset: %v\n%s", err, out)
	}

	for i := range 2 {
		res := t.TempDir()
		out, err = runCLI(t, append([]string{"run", wl, "--out", res}, common...)...)
		if err != nil || !strings.Contains(out, "reusing the dataset in "+m.Location) {
			t.Fatalf("run %d on the dataset: %v\n%s", i, err, out)
		}
		// The first reuse finds the preload's state; the second, one an
		// earlier run changed, and says so.
		if warned := strings.Contains(out, "1 earlier runs changed this dataset"); warned != (i == 1) {
			t.Errorf("run %d on the dataset: warned about earlier runs' changes: %v, want %v\n%s", i, warned, i == 1, out)
		}
		r, err := reports.ReadFile(filepath.Join(resultDir(t, res), reports.ResultFile))
		if err != nil {
			t.Fatal(err)
		}
		if r.Preload == nil || r.Preload.Method != "dataset" || r.Preload.Dataset != m.Location || len(r.Runs) != 1 || r.Runs[0].Errors != 0 || r.Runs[0].Executed == 0 {
			t.Fatalf("run %d: preload %+v, runs %+v; want the dataset reused and one measured run without errors", i, r.Preload, r.Runs)
		}
		if after, _ := keyspaceManifest(t, ks); after.Runs != i+1 || after.Counts != m.Counts || after.Fingerprint != m.Fingerprint {
			t.Fatalf("manifest after run %d: runs %d, counts %+v; want runs %d and the preload's counts %+v", i, after.Runs, after.Counts, i+1, m.Counts)
		}
	}

	// Another workload is refused, naming the difference.
	out, err = runCLI(t, append([]string{"run", wl, "--out", t.TempDir(), "--seed", "7"}, common...)...)
	if err == nil || !strings.Contains(err.Error(), "seed is 1 in the dataset, 7 in the workload") || !strings.Contains(err.Error(), "another keyspace") {
		t.Fatalf("run of another seed on the dataset: %v\n%s", err, out)
	}
	out, err = runCLI(t, append([]string{"preload", wl, "--customers", "99"}, common...)...)
	if err == nil || !strings.Contains(err.Error(), "population.customers is 100 in the dataset, 99 in the workload") {
		t.Fatalf("preload of another population into the dataset: %v\n%s", err, out)
	}
	out, err = runCLI(t, append([]string{"run", wl, "--out", t.TempDir(), "--codec", "binary"}, common...)...)
	if err == nil || !strings.Contains(err.Error(), `service.codec is "json" in the dataset, "binary" in the workload`) {
		t.Fatalf("run of another codec on the dataset: %v\n%s", err, out)
	}
	// The other write mode keeps its events in another table.
	out, err = runCLI(t, append([]string{"run", wl, "--out", t.TempDir(), "--cassandra-mode", "unconditional"}, common...)...)
	if err == nil || !strings.Contains(err.Error(), "preloaded into "+m.Location) || !strings.Contains(err.Error(), "unconditional mode") {
		t.Fatalf("run in the other mode on the dataset: %v\n%s", err, out)
	}

	// A keyspace with streams and no manifest is not made a dataset.
	used := cassandraKeyspace(t)
	st, err := parseStoreFlags(t, used...).Open(context.Background(), store.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	appendAndCount(t, st)
	out, err = runCLI(t, append([]string{"preload", wl, "--progress", "none"}, used...)...)
	if err == nil || !strings.Contains(err.Error(), "holds streams but no dataset manifest") {
		t.Fatalf("preload into a used keyspace: %v\n%s", err, out)
	}
	// A complete manifest whose ranges the keyspace does not mark (its data
	// is not there) is refused by a run.
	forged := *m
	forged.Location = strings.Replace(m.Location, ks[len(ks)-5], used[len(used)-5], 1)
	b, err := dataset.Encode(&forged)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.(store.DatasetKeeper).WriteDataset(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	_ = st.Close()
	out, err = runCLI(t, append([]string{"run", wl, "--out", t.TempDir(), "--progress", "none"}, used...)...)
	if err == nil || !strings.Contains(err.Error(), "not marked committed") {
		t.Fatalf("run on a manifest without its data: %v\n%s", err, out)
	}
}
