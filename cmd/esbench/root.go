package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/esbench/esbench/internal/buildinfo"
)

// exitError carries a specific process exit code (for example the regression
// code of `compare`).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func exitCode(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return 1
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "esbench",
		Short: "Load-testing and benchmark harness for event-sourced services on Cassandra",
		Long: `esbench drives a reference event-sourced download-licensing service (the design
Netflix described for offline downloads) with a simulated customer population,
and measures replay latency with and without snapshots, codec cost, and the
throughput and tail latency of the whole service, on an embedded pebble store,
in memory, or on Cassandra.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newVersionCmd())
	root.AddCommand(newSchemaCmd())
	root.AddCommand(newRunCmd())
	root.AddCommand(newPreloadCmd())
	root.AddCommand(newServeCmd())
	root.AddCommand(newConformanceCmd())
	root.AddCommand(newCodecsCmd())
	root.AddCommand(newReportCmd())
	root.AddCommand(newMergeCmd())
	root.AddCommand(newPlanCmd())
	root.AddCommand(newCompareCmd())
	root.AddCommand(newAuditCmd())
	root.AddCommand(newPresetsCmd())
	root.AddCommand(newValidateCmd())
	requireSubcommands(root)
	diag := &diagnostics{}
	diag.register(root)
	diag.wrap(root)
	return root
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the esbench version and commit",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v, c := buildinfo.Info()
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "esbench %s (commit %s)\n", v, c)
			return err
		},
	}
}
