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
			stmts, err := cassandra.SchemaCQL(cfg)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "-- esbench Cassandra schema, keyspace %s (tables of both concurrency modes)\n", cfg.Keyspace)
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
			if err := cassandra.ApplySchema(cmd.Context(), cfg); err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "schema of keyspace %s is in place on %s\n", cfg.Keyspace, strings.Join(cfg.Hosts, ","))
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
