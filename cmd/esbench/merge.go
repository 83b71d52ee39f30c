package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/esbench/esbench/reports"
	"github.com/esbench/esbench/reports/merge"
)

func newMergeCmd() *cobra.Command {
	var (
		out          string
		allowPartial bool
	)
	cmd := &cobra.Command{
		Use:   "merge DIR...",
		Short: "Combine the result directories of shards run on several machines into one result",
		Long: `merge reads the result.json of each shard (esbench run --shard i/n on each
machine), checks they ran the same workload with distinct shards of one n,
merges their latency histograms (never averaging percentiles), sums counts,
errors and late operations, and writes a new result directory (result.json,
summary.md, report.html, ops.csv, sweep.csv and the interval logs .hlog the
shards have in common, intervals aligned by their offset from each shard's
first interval) under --out. Rates are the summed counts over the longest
shard window, since shards run concurrently.`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var ins []merge.Input
			var dirs []reports.Dir
			for _, arg := range args {
				d, err := reports.OpenResult(reports.FindResult(arg))
				if err != nil {
					return err
				}
				res, err := d.ReadResult()
				if err != nil {
					return err
				}
				dirs = append(dirs, d)
				ins = append(ins, merge.Input{Source: arg, Result: res})
			}
			res, err := merge.Results(ins, merge.Options{AllowPartial: allowPartial})
			if err != nil {
				return err
			}
			dir, err := reports.CreateDir(out, res.Experiment+"-merged", res.Started)
			if err != nil {
				return err
			}
			_, skipped, err := merge.Hlogs(dir, dirs)
			if err != nil {
				return err
			}
			for _, s := range skipped {
				res.Merged.Notes = append(res.Merged.Notes, "interval log "+s+" is missing from some shards and was not merged")
			}
			if err := dir.Write(res); err != nil {
				return err
			}
			stdout := cmd.OutOrStdout()
			if err := reports.WriteConsole(stdout, res); err != nil {
				return err
			}
			for _, n := range res.Merged.Notes {
				fmt.Fprintf(stdout, "note: %s\n", n)
			}
			fmt.Fprintf(stdout, "\nmerged %d shards: %s\n", len(res.Merged.Shards), dir)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "results", "directory under which the merged result directory is created")
	cmd.Flags().BoolVar(&allowPartial, "allow-partial", false, "merge shard results marked partial, or fewer shards than their count n (the merged result is marked partial)")
	return cmd
}
