package cassandra

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// ErrSchema marks a keyspace whose tables exist with another shape than this
// backend needs. Nothing is changed in that case: the message says what
// differs, and the operator decides.
var ErrSchema = errors.New("cassandra: schema mismatch")

// column is one expected column of a table.
type column struct {
	name string
	// kind as system_schema.columns has it: partition_key, clustering,
	// regular or static.
	kind string
	typ  string
	// order is asc or desc for clustering columns.
	order string
}

type table struct {
	name    string
	comment string
	columns []column
}

var streamKey = []column{
	{"customer", "partition_key", "text", ""},
	{"aggregate_type", "clustering", "text", "asc"},
	{"aggregate_id", "clustering", "text", "asc"},
}

var eventColumns = []column{
	{"event_id", "regular", "text", ""},
	{"type", "regular", "text", ""},
	{"schema_version", "regular", "int", ""},
	{"codec", "regular", "text", ""},
	{"payload", "regular", "blob", ""},
	// Frozen: a non-frozen collection written by INSERT leaves a tombstone per
	// row.
	{"metadata", "regular", "frozen<map<text, text>>", ""},
	{"recorded_at", "regular", "timestamp", ""},
}

// markerColumns live only on a stream's version-0 row: head is the stream's
// version (conditional mode), archived the highest version moved to the
// cold tier.
var markerColumns = []column{
	{"head", "regular", "bigint", ""},
	{"archived", "regular", "bigint", ""},
}

func concat(parts ...[]column) []column {
	var out []column
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// tables is the schema: the events table of each mode, the cold tier and the
// snapshots.
var tables = []table{
	{
		name:    "events",
		comment: "esbench event streams, conditional mode; version 0 is the stream head row",
		columns: concat(streamKey, []column{{"version", "clustering", "bigint", "asc"}}, eventColumns, markerColumns),
	},
	{
		name:    "events_unconditional",
		comment: "esbench event streams, unconditional mode (deduplicated by event id on load)",
		columns: concat(streamKey, []column{{"version", "clustering", "bigint", "asc"}, {"event_id", "clustering", "text", "asc"}},
			eventColumns[1:], markerColumns),
	},
	{
		name:    "events_archive",
		comment: "esbench cold tier: events at or below the oldest kept snapshot",
		columns: concat(streamKey, []column{{"version", "clustering", "bigint", "asc"}, {"event_id", "clustering", "text", "asc"}},
			eventColumns[1:]),
	},
	{
		name:    "snapshots",
		comment: "esbench snapshots, newest first",
		columns: concat(streamKey, []column{{"version", "clustering", "bigint", "desc"}}, []column{
			{"type", "regular", "text", ""},
			{"schema_version", "regular", "int", ""},
			{"codec", "regular", "text", ""},
			{"payload", "regular", "blob", ""},
			{"created_at", "regular", "timestamp", ""},
		}),
	},
	{
		name:    "preload_marks",
		comment: "esbench preload: the ranges of customers a bulk load committed",
		columns: []column{
			{"part", "partition_key", "bigint", ""},
			{"range_from", "clustering", "bigint", "asc"},
			{"range_to", "regular", "bigint", ""},
		},
	},
	{
		name:    "datasets",
		comment: "esbench preload: the manifest of the dataset this keyspace holds",
		columns: []column{
			{"name", "partition_key", "text", ""},
			{"manifest", "regular", "text", ""},
			{"written", "regular", "timestamp", ""},
		},
	},
}

// SchemaCQL returns the CQL that creates the keyspace and tables of cfg,
// one statement per element, without trailing semicolons.
func SchemaCQL(cfg Config) ([]string, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if wantedFactors(cfg) == nil {
		return nil, fmt.Errorf("%w: replication factor auto (0) is chosen against the cluster when the keyspace is created; give a factor to print the CQL", ErrConfig)
	}
	out := []string{fmt.Sprintf("CREATE KEYSPACE IF NOT EXISTS %s WITH replication = %s", cfg.Keyspace, replicationMap(cfg))}
	for _, t := range tables {
		out = append(out, createTable(cfg.Keyspace, t))
	}
	return out, nil
}

func replicationMap(cfg Config) string {
	r := cfg.Replication
	if r.Class == "SimpleStrategy" {
		return fmt.Sprintf("{'class': 'SimpleStrategy', 'replication_factor': %d}", r.Factor)
	}
	dcs := r.DataCenters
	if len(dcs) == 0 {
		dcs = map[string]int{cfg.LocalDC: r.Factor}
	}
	parts := []string{"'class': 'NetworkTopologyStrategy'"}
	for _, dc := range slices.Sorted(maps.Keys(dcs)) {
		parts = append(parts, fmt.Sprintf("'%s': %d", dc, dcs[dc]))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func createTable(ks string, t table) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE IF NOT EXISTS %s.%s (\n", ks, t.name)
	var pk, ck, order []string
	for _, c := range t.columns {
		fmt.Fprintf(&b, "    %s %s,\n", c.name, c.typ)
		switch c.kind {
		case "partition_key":
			pk = append(pk, c.name)
		case "clustering":
			ck = append(ck, c.name)
			order = append(order, c.name+" "+strings.ToUpper(c.order))
		}
	}
	if len(ck) == 0 {
		fmt.Fprintf(&b, "    PRIMARY KEY ((%s))\n)", strings.Join(pk, ", "))
		fmt.Fprintf(&b, " WITH comment = '%s'", t.comment)
		return b.String()
	}
	fmt.Fprintf(&b, "    PRIMARY KEY ((%s), %s)\n)", strings.Join(pk, ", "), strings.Join(ck, ", "))
	fmt.Fprintf(&b, " WITH CLUSTERING ORDER BY (%s)\n    AND comment = '%s'", strings.Join(order, ", "), t.comment)
	return b.String()
}

// ApplySchema creates the keyspace and tables of cfg where missing, then
// checks that every table has the expected shape (CREATE ... IF NOT EXISTS
// keeps an existing table of another shape; that is reported as ErrSchema,
// never overwritten).
func ApplySchema(ctx context.Context, cfg Config) (ReplicationInfo, error) {
	if err := cfg.Validate(); err != nil {
		return ReplicationInfo{}, err
	}
	cfg = cfg.withDefaults()
	sess, err := connect(ctx, cfg)
	if err != nil {
		return ReplicationInfo{}, err
	}
	defer sess.Close()
	cfg, info, err := resolveReplication(ctx, sess, cfg)
	if err != nil {
		return info, err
	}
	stmts, err := SchemaCQL(cfg)
	if err != nil {
		return info, err
	}
	return info, applySchema(ctx, sess, cfg, stmts)
}

func applySchema(ctx context.Context, sess *gocql.Session, cfg Config, stmts []string) error {
	for _, st := range stmts {
		if err := sess.Query(st).Consistency(gocql.All).ExecContext(ctx); err != nil {
			// Schema changes want every node; a smaller cluster view retries at
			// the default consistency.
			if err2 := sess.Query(st).ExecContext(ctx); err2 != nil {
				return fmt.Errorf("cassandra: apply schema: %s: %w", firstLine(st), unavailable(err2))
			}
		}
	}
	if err := sess.AwaitSchemaAgreement(ctx); err != nil {
		return fmt.Errorf("cassandra: waiting for schema agreement: %w", unavailable(err))
	}
	return checkSchema(ctx, sess, cfg.Keyspace)
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// checkSchema compares the tables of keyspace with the expected ones.
func checkSchema(ctx context.Context, sess *gocql.Session, keyspace string) error {
	var found int
	if err := sess.Query(`SELECT count(*) FROM system_schema.keyspaces WHERE keyspace_name = ?`, keyspace).
		ScanContext(ctx, &found); err != nil {
		return fmt.Errorf("cassandra: reading keyspace %s: %w", keyspace, unavailable(err))
	}
	if found == 0 {
		return fmt.Errorf("%w: keyspace %q does not exist; create it with `esbench schema apply` or enable schema creation", ErrSchema, keyspace)
	}
	have := map[string]map[string]column{}
	iter := sess.Query(`SELECT table_name, column_name, kind, type, clustering_order FROM system_schema.columns WHERE keyspace_name = ?`, keyspace).
		IterContext(ctx)
	var tname, cname, kind, typ, order string
	for iter.Scan(&tname, &cname, &kind, &typ, &order) {
		if have[tname] == nil {
			have[tname] = map[string]column{}
		}
		have[tname][cname] = column{cname, kind, typ, order}
	}
	if err := iter.Close(); err != nil {
		return fmt.Errorf("cassandra: reading the columns of keyspace %s: %w", keyspace, unavailable(err))
	}
	var problems []string
	for _, t := range tables {
		cols, ok := have[t.name]
		if !ok {
			problems = append(problems, fmt.Sprintf("table %s.%s is missing", keyspace, t.name))
			continue
		}
		want := map[string]bool{}
		for _, c := range t.columns {
			want[c.name] = true
			got, ok := cols[c.name]
			switch {
			case !ok:
				problems = append(problems, fmt.Sprintf("%s.%s: column %s %s is missing", keyspace, t.name, c.name, c.typ))
			case got.kind != c.kind:
				problems = append(problems, fmt.Sprintf("%s.%s: column %s is %s, want %s", keyspace, t.name, c.name, got.kind, c.kind))
			case got.typ != c.typ:
				problems = append(problems, fmt.Sprintf("%s.%s: column %s has type %s, want %s", keyspace, t.name, c.name, got.typ, c.typ))
			case c.kind == "clustering" && got.order != c.order:
				problems = append(problems, fmt.Sprintf("%s.%s: clustering column %s is ordered %s, want %s", keyspace, t.name, c.name, got.order, c.order))
			}
		}
		// Extra regular columns are harmless; an extra key column changes
		// what every statement addresses.
		var extra []string
		for name, c := range cols {
			if !want[name] && (c.kind == "partition_key" || c.kind == "clustering") {
				extra = append(extra, name+" ("+c.kind+")")
			}
		}
		sort.Strings(extra)
		for _, e := range extra {
			problems = append(problems, fmt.Sprintf("%s.%s: unexpected key column %s", keyspace, t.name, e))
		}
	}
	// Key positions: a key column at another position has another meaning.
	if len(problems) == 0 {
		if err := checkKeyOrder(ctx, sess, keyspace); err != nil {
			return err
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w in keyspace %s (left unchanged): %s", ErrSchema, keyspace, strings.Join(problems, "; "))
	}
	return nil
}

func checkKeyOrder(ctx context.Context, sess *gocql.Session, keyspace string) error {
	pos := map[[2]string]int{}
	iter := sess.Query(`SELECT table_name, column_name, position FROM system_schema.columns WHERE keyspace_name = ?`, keyspace).
		IterContext(ctx)
	var tname, cname string
	var p int
	for iter.Scan(&tname, &cname, &p) {
		pos[[2]string{tname, cname}] = p
	}
	if err := iter.Close(); err != nil {
		return fmt.Errorf("cassandra: reading the key columns of keyspace %s: %w", keyspace, unavailable(err))
	}
	for _, t := range tables {
		i := 0
		for _, c := range t.columns {
			if c.kind != "clustering" {
				continue
			}
			if got := pos[[2]string{t.name, c.name}]; got != i {
				return fmt.Errorf("%w in keyspace %s (left unchanged): %s.%s: clustering column %s at position %d, want %d",
					ErrSchema, keyspace, keyspace, t.name, c.name, got, i)
			}
			i++
		}
	}
	return nil
}

// DropKeyspace drops the keyspace of cfg with every table in it. It is for
// tests and benchmarks that create keyspaces of their own.
func DropKeyspace(ctx context.Context, cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	cfg = cfg.withDefaults()
	sess, err := connect(ctx, cfg)
	if err != nil {
		return err
	}
	defer sess.Close()
	if err := sess.Query("DROP KEYSPACE IF EXISTS " + cfg.Keyspace).ExecContext(ctx); err != nil {
		return fmt.Errorf("cassandra: drop keyspace %s: %w", cfg.Keyspace, unavailable(err))
	}
	return nil
}
