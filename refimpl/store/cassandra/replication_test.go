package cassandra

import (
	"context"
	"errors"
	"strings"
	"testing"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

func TestReplicationInfoString(t *testing.T) {
	tests := []struct {
		info ReplicationInfo
		want string
	}{
		{ReplicationInfo{Keyspace: "ks", Class: "SimpleStrategy", Factors: map[string]int{"": 3}, Nodes: map[string]int{"dc1": 3}, Source: "auto"},
			"keyspace ks: SimpleStrategy, replication factor 3 (auto: 3 nodes in the cluster, at most 3)"},
		{ReplicationInfo{Keyspace: "ks", Class: "SimpleStrategy", Factors: map[string]int{"": 1}, Nodes: map[string]int{"dc1": 1}, Source: "auto"},
			"keyspace ks: SimpleStrategy, replication factor 1 (auto: 1 node in the cluster, at most 3)"},
		{ReplicationInfo{Keyspace: "ks", Class: "NetworkTopologyStrategy", Factors: map[string]int{"dc1": 2, "dc2": 3}, Nodes: map[string]int{"dc1": 3, "dc2": 5}, Source: "configured"},
			"keyspace ks: NetworkTopologyStrategy dc1=2,dc2=3 (as configured; 3 nodes in dc1, 5 nodes in dc2)"},
		{ReplicationInfo{Keyspace: "ks", Class: "SimpleStrategy", Factors: map[string]int{"": 1}, Nodes: map[string]int{"dc1": 3}, Source: "existing"},
			"keyspace ks: SimpleStrategy, replication factor 1 (the existing keyspace's)"},
	}
	for _, tt := range tests {
		if got := tt.info.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

// TestReplicationOnNode: on the test node (or cluster), an auto factor
// becomes the node count (at most 3), a factor above the node count is a
// clear error before any keyspace is made, and an existing keyspace is
// never altered: asking it for another factor is an error, auto keeps it.
func TestReplicationOnNode(t *testing.T) {
	base := nodeConfig(t)
	ctx := context.Background()
	cfg := newKeyspace(t, base) // auto
	s := openStore(t, cfg)
	r := s.Replication()
	total := 0
	for _, n := range r.Nodes {
		total += n
	}
	if total < 1 || r.Source != "existing" || r.Factors[""] != min(total, AutoReplicationMax) {
		t.Fatalf("auto keyspace on %d node(s): %+v, want factor %d", total, r, min(total, AutoReplicationMax))
	}
	t.Logf("%s", r)

	fresh := base
	fresh.Keyspace = cfg.Keyspace + "_x"
	fresh.Replication.Factor = total + 1
	if _, err := Open(ctx, fresh); !errors.Is(err, ErrReplication) || !strings.Contains(err.Error(), "more replicas than the cluster has nodes") {
		t.Fatalf("factor %d on %d node(s): %v, want ErrReplication", total+1, total, err)
	}
	if _, _, found, err := existingReplication(ctx, mustSession(t, fresh), fresh.Keyspace); err != nil || found {
		t.Fatalf("keyspace %s exists after a refused open (err %v)", fresh.Keyspace, err)
	}

	other := cfg
	other.Replication.Factor = r.Factors[""] + 1
	if _, err := Open(ctx, other); !errors.Is(err, ErrReplication) || !strings.Contains(err.Error(), "never alters a keyspace") {
		t.Fatalf("existing keyspace asked for another factor: %v, want ErrReplication", err)
	}
	same := cfg
	same.Replication.Factor = r.Factors[""]
	s2 := openStore(t, same)
	if got := s2.Replication(); got.Source != "existing" || got.Factors[""] != r.Factors[""] {
		t.Fatalf("explicit matching factor: %+v", got)
	}
}

func mustSession(t *testing.T, cfg Config) *gocql.Session {
	t.Helper()
	sess, err := connect(context.Background(), cfg.withDefaults())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sess.Close)
	return sess
}
