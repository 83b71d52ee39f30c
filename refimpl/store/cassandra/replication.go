package cassandra

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// AutoReplicationMax caps the replication factor chosen automatically: a
// keyspace on a cluster of three nodes or more gets three replicas, the
// usual production choice, on which LOCAL_QUORUM survives one node down.
const AutoReplicationMax = 3

// ErrReplication marks a replication the cluster cannot give (more
// replicas than it has nodes) or one that differs from the replication of
// the existing keyspace, which esbench never alters.
var ErrReplication = errors.New("cassandra: replication")

// ReplicationInfo is the replication of the keyspace a store uses, as
// found on the cluster or chosen when the keyspace was created, and why.
type ReplicationInfo struct {
	Keyspace string
	// Class is SimpleStrategy or NetworkTopologyStrategy.
	Class string
	// Factors are the replicas per data centre; SimpleStrategy's one
	// factor is under the key "".
	Factors map[string]int
	// Nodes counts the nodes the cluster has (up or down) per data centre.
	Nodes map[string]int
	// Source says where the factors came from: "existing" keyspace,
	// "auto" (chosen from the node count), or "configured".
	Source string
}

// String describes the replication in one line, for the console and the
// results, e.g. "keyspace ks: SimpleStrategy, replication factor 3 (auto:
// 3 nodes in the cluster, at most 3)".
func (r ReplicationInfo) String() string {
	var what string
	if r.Class == "SimpleStrategy" {
		what = fmt.Sprintf("SimpleStrategy, replication factor %d", r.Factors[""])
	} else {
		var parts []string
		for _, dc := range slices.Sorted(maps.Keys(r.Factors)) {
			parts = append(parts, fmt.Sprintf("%s=%d", dc, r.Factors[dc]))
		}
		what = "NetworkTopologyStrategy " + strings.Join(parts, ",")
	}
	var why string
	switch r.Source {
	case "existing":
		why = "the existing keyspace's"
	case "auto":
		why = fmt.Sprintf("auto: %s, at most %d", nodeCount(r.Nodes, r.Class, r.Factors), AutoReplicationMax)
	default:
		why = "as configured; " + nodeCount(r.Nodes, r.Class, r.Factors)
	}
	return fmt.Sprintf("keyspace %s: %s (%s)", r.Keyspace, what, why)
}

// nodeCount says how many nodes the replication had to choose from.
func nodeCount(nodes map[string]int, class string, factors map[string]int) string {
	if class == "SimpleStrategy" {
		n := 0
		for _, c := range nodes {
			n += c
		}
		return plural(n, "node") + " in the cluster"
	}
	var parts []string
	for _, dc := range slices.Sorted(maps.Keys(factors)) {
		parts = append(parts, fmt.Sprintf("%s in %s", plural(nodes[dc], "node"), dc))
	}
	return strings.Join(parts, ", ")
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// clusterNodes counts the nodes the contacted node knows, per data centre:
// itself and its peers, up or down (a node that is down still owns
// replicas).
func clusterNodes(ctx context.Context, sess *gocql.Session) (map[string]int, error) {
	nodes := map[string]int{}
	var dc string
	if err := sess.Query(`SELECT data_center FROM system.local`).Consistency(gocql.One).ScanContext(ctx, &dc); err != nil {
		return nil, fmt.Errorf("cassandra: reading system.local: %w", unavailable(err))
	}
	nodes[dc]++
	iter := sess.Query(`SELECT data_center FROM system.peers`).Consistency(gocql.One).IterContext(ctx)
	for iter.Scan(&dc) {
		nodes[dc]++
	}
	if err := iter.Close(); err != nil {
		return nil, fmt.Errorf("cassandra: reading system.peers: %w", unavailable(err))
	}
	return nodes, nil
}

// existingReplication reads the replication of keyspace; ok is false when
// the keyspace does not exist.
func existingReplication(ctx context.Context, sess *gocql.Session, keyspace string) (class string, factors map[string]int, ok bool, err error) {
	var m map[string]string
	if err := sess.Query(`SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ?`, keyspace).
		ScanContext(ctx, &m); err != nil {
		if errors.Is(err, gocql.ErrNotFound) {
			return "", nil, false, nil
		}
		return "", nil, false, fmt.Errorf("cassandra: reading the replication of keyspace %s: %w", keyspace, unavailable(err))
	}
	class = m["class"]
	if i := strings.LastIndexByte(class, '.'); i >= 0 {
		class = class[i+1:]
	}
	factors = map[string]int{}
	for k, v := range m {
		if k == "class" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			continue // not a factor (e.g. a transient replica spec)
		}
		if k == "replication_factor" {
			k = ""
		}
		factors[k] = n
	}
	return class, factors, true, nil
}

// wantedFactors are the factors cfg asks for; nil when the factor is auto.
func wantedFactors(cfg Config) map[string]int {
	r := cfg.Replication
	switch {
	case len(r.DataCenters) > 0:
		return maps.Clone(r.DataCenters)
	case r.Factor == 0:
		return nil
	case r.Class == "SimpleStrategy":
		return map[string]int{"": r.Factor}
	default:
		return map[string]int{cfg.LocalDC: r.Factor}
	}
}

// resolveReplication finds the replication the store will use: that of
// the existing keyspace (which must match an explicit request: esbench
// never alters a keyspace), or, for a keyspace to be created, the one
// requested, checked against the nodes the cluster has, or with an auto
// factor the number of nodes, at most AutoReplicationMax. It returns cfg
// with the factor resolved.
func resolveReplication(ctx context.Context, sess *gocql.Session, cfg Config) (Config, ReplicationInfo, error) {
	info := ReplicationInfo{Keyspace: cfg.Keyspace}
	nodes, err := clusterNodes(ctx, sess)
	if err != nil {
		return cfg, info, err
	}
	info.Nodes = nodes
	want := wantedFactors(cfg)
	class, have, exists, err := existingReplication(ctx, sess, cfg.Keyspace)
	if err != nil {
		return cfg, info, err
	}
	if exists {
		info.Class, info.Factors, info.Source = class, have, "existing"
		if want != nil && (class != cfg.Replication.Class || !maps.Equal(want, have)) {
			asked := ReplicationInfo{Class: cfg.Replication.Class, Factors: want}
			return cfg, info, fmt.Errorf("%w: keyspace %s exists with %s, not the requested %s; esbench never alters a keyspace: ALTER KEYSPACE it, choose another keyspace, or leave the replication at auto",
				ErrReplication, cfg.Keyspace, info.describe(), asked.describe())
		}
		if cfg.Replication.Factor == 0 && len(cfg.Replication.DataCenters) == 0 {
			cfg.Replication.Factor = max(have[""], have[cfg.LocalDC], 1)
		}
		return cfg, info, nil
	}
	info.Class = cfg.Replication.Class
	if want == nil {
		dc := cfg.LocalDC
		n := nodes[dc]
		if cfg.Replication.Class == "SimpleStrategy" {
			dc, n = "", 0
			for _, c := range nodes {
				n += c
			}
		}
		if n < 1 {
			return cfg, info, fmt.Errorf("%w: no node of the cluster is in data centre %q (it has %s)", ErrReplication, cfg.LocalDC, describeNodes(nodes))
		}
		cfg.Replication.Factor = min(n, AutoReplicationMax)
		info.Factors, info.Source = map[string]int{dc: cfg.Replication.Factor}, "auto"
		return cfg, info, nil
	}
	info.Factors, info.Source = want, "configured"
	for _, dc := range slices.Sorted(maps.Keys(want)) {
		n := nodes[dc]
		where := "data centre " + dc
		if dc == "" {
			n = 0
			for _, c := range nodes {
				n += c
			}
			where = "the cluster"
		}
		if want[dc] > n {
			return cfg, info, fmt.Errorf("%w: replication factor %d asks for more replicas than %s has nodes (%d; the cluster has %s): every write at a quorum would fail",
				ErrReplication, want[dc], where, n, describeNodes(nodes))
		}
	}
	return cfg, info, nil
}

// describe names the class and factors only.
func (r ReplicationInfo) describe() string {
	if r.Class == "SimpleStrategy" {
		return fmt.Sprintf("SimpleStrategy factor %d", r.Factors[""])
	}
	var parts []string
	for _, dc := range slices.Sorted(maps.Keys(r.Factors)) {
		parts = append(parts, fmt.Sprintf("%s=%d", dc, r.Factors[dc]))
	}
	return r.Class + " " + strings.Join(parts, ",")
}

func describeNodes(nodes map[string]int) string {
	var parts []string
	for _, dc := range slices.Sorted(maps.Keys(nodes)) {
		parts = append(parts, fmt.Sprintf("%s in %s", plural(nodes[dc], "node"), dc))
	}
	return strings.Join(parts, ", ")
}
