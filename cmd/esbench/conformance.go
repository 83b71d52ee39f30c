package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/esbench/esbench/refimpl/store"
	"github.com/esbench/esbench/refimpl/store/storetest"
)

// exitConformance is the exit code of a conformance run with a failed check.
const exitConformance = 1

func newConformanceCmd() *cobra.Command {
	var stores *store.Selection
	var api apiConformance
	cmd := &cobra.Command{
		Use:   "conformance --store NAME [store flags] | --target URL",
		Short: "Check a store backend against the store contract, or a service against the API's download rules",
		Long: `conformance runs the store conformance suite — the contract every esbench
backend (memory, pebble, cassandra) passes in its own tests — against a
registered store, with the same store flags as run: ordering, stream
isolation, paging, optimistic concurrency, idempotent retries, atomic
multi-stream appends, snapshots, archival, cancellation, reopening and
closing. Each check prints its name, pass, fail (with what broke) or skip
(with why), and its duration. The exit code is 0 when no check failed.

The checks write streams under random customer ids. An embedded store with
--data-dir gets subdirectories conformance-1, conformance-2, ... there; the
Cassandra store writes into --cassandra-keyspace.

With --target URL it checks a service implementing the licensing API
(docs/api.md) instead: one named check per download rule, moving the
service's clock with each request's at field.` + storesHelp(),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("target") {
				return api.run(cmd, stores)
			}
			if !cmd.Flags().Changed("store") {
				return fmt.Errorf("--store NAME is required (registered: %s)", strings.Join(storeNames(), ", "))
			}
			if err := stores.Check(); err != nil {
				return err
			}
			return runConformance(cmd.Context(), cmd.OutOrStdout(), stores.Name(), stores.Settings())
		},
	}
	stores = store.NewSelection(cmd.Flags(), "")
	api.addFlags(cmd.Flags())
	return cmd
}

// runConformance runs the suite on the store set opens and writes the
// report to w; a failed check is an error with exit code exitConformance.
func runConformance(ctx context.Context, w io.Writer, name string, set store.Settings) error {
	about := set.About()
	fmt.Fprintf(w, "conformance of store %s: %s, %d checks\n", name, about.Description, len(storetest.Areas()))
	width := 0
	for _, a := range storetest.Areas() {
		width = max(width, len(a))
	}
	start := time.Now()
	results, err := storetest.Check(ctx, storetest.HarnessFor(ctx, set), func(r storetest.Result) {
		note := r.Reason
		if r.Status == storetest.NotRun {
			note = "interrupted"
		}
		fmt.Fprintf(w, "%-7s %-*s %9s  %s\n", strings.ToUpper(string(r.Status)), width, r.Name, r.Duration.Round(time.Millisecond), note)
		for _, f := range r.Failures {
			for _, line := range strings.Split(f, "\n") {
				fmt.Fprintf(w, "        %s\n", line)
			}
		}
	})
	if err != nil {
		return err
	}
	count := map[storetest.Status]int{}
	var failed []string
	for _, r := range results {
		count[r.Status]++
		if r.Status == storetest.Fail {
			failed = append(failed, r.Name)
		}
	}
	fmt.Fprintf(w, "%d checks: %d passed, %d failed, %d skipped", len(results), count[storetest.Pass], count[storetest.Fail], count[storetest.Skip])
	if n := count[storetest.NotRun]; n > 0 {
		fmt.Fprintf(w, ", %d not run", n)
	}
	fmt.Fprintf(w, " in %s\n", time.Since(start).Round(time.Millisecond))
	switch {
	case len(failed) > 0:
		return &exitError{code: exitConformance, err: fmt.Errorf("store %s failed %d conformance checks: %s", name, len(failed), strings.Join(failed, ", "))}
	case ctx.Err() != nil:
		return &exitError{code: exitInterrupted, err: errors.New("conformance interrupted: not every check ran")}
	}
	return nil
}
