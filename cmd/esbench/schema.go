package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/esbench/esbench/refimpl/store/cassandra"
)

// newSchemaCmd is `esbench schema print|apply`: the Cassandra keyspace and
// tables the cassandra store uses.
func newSchemaCmd() *cobra.Command {
	opts := cassandra.NewSettings()
	cmd := &cobra.Command{
		Use:   "schema",
		Short: "Print or apply the Cassandra schema (keyspace, events, snapshots, archive)",
		Long: `The cassandra store keeps events, snapshots and archived events in one keyspace,
partitioned by customer id. "schema print" writes the CQL for the given flags;
"schema apply" creates what is missing on the cluster and checks that existing
tables have the expected shape (a table of another shape is reported, never
changed).`,
	}
	opts.AddFlags(cmd.PersistentFlags())
	cmd.AddCommand(&cobra.Command{
		Use:   "print",
		Short: "Print the CQL that creates the keyspace and tables",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := opts.Config()
			if err != nil {
				return err
			}
			for _, f := range printIgnores(cmd) {
				fmt.Fprintf(cmd.ErrOrStderr(), "esbench: warning: --%s has no effect on schema print, which connects to no node\n", f)
			}
			out := cmd.OutOrStdout()
			auto := cfg.Replication.Factor == 0 && len(cfg.Replication.DataCenters) == 0
			if auto {
				// Auto needs a cluster to count; print the factor a cluster
				// of three nodes or more gets, and say so.
				cfg.Replication.Factor = cassandra.AutoReplicationMax
			}
			stmts, err := cassandra.SchemaCQL(cfg)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "-- esbench Cassandra schema, keyspace %s (tables of both concurrency modes)\n", cfg.Keyspace)
			if auto {
				fmt.Fprintf(out, "-- replication factor auto: when esbench creates the keyspace it chooses the cluster's node count, at most %d.\n-- Printed here for %d nodes or more. Give --cassandra-replication-factor N for another.\n",
					cassandra.AutoReplicationMax, cassandra.AutoReplicationMax)
			}
			_, err = fmt.Fprintln(out, strings.Join(stmts, ";\n\n")+";")
			return err
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "apply",
		Short: "Create the keyspace and tables where missing and check their shape",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := opts.Config()
			if err != nil {
				return err
			}
			repl, err := opts.ApplySchema(cmd.Context())
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "schema of keyspace %s is in place on %s\n%s\n", cfg.Keyspace, strings.Join(cfg.Hosts, ","), repl)
			return err
		},
	})
	return cmd
}

// printIgnores lists the connection flags given to schema print: only the
// keyspace, replication and mode shape the CQL it prints.
func printIgnores(cmd *cobra.Command) []string {
	shapes := map[string]bool{
		"cassandra-keyspace": true, "cassandra-replication": true, "cassandra-replication-factor": true,
		"cassandra-replication-dcs": true, "cassandra-local-dc": true, "cassandra-mode": true,
	}
	var out []string
	cmd.Flags().Visit(func(f *pflag.Flag) {
		if strings.HasPrefix(f.Name, "cassandra-") && !shapes[f.Name] {
			out = append(out, f.Name)
		}
	})
	return out
}
