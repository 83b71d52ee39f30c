package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/esbench/esbench/bench/codecs"
	"github.com/esbench/esbench/internal/owned"
	"github.com/esbench/esbench/internal/suggest"
	"github.com/esbench/esbench/refimpl/codec/catalog"
	"github.com/esbench/esbench/refimpl/codec/compress"
)

func newCodecsCmd() *cobra.Command {
	corpus := codecs.DefaultCorpusOptions()
	opts := codecs.DefaultOptions()
	var out string
	cmd := &cobra.Command{
		Use:   "codecs",
		Short: "Measure every codec on one seeded event corpus and print the codec table",
		Long: `codecs builds one event corpus from the workload generator (the preload
histories of the default workload, executed by the reference service) plus
account snapshots of several history lengths, checks that every codec
round-trips all of it, then measures per codec and event type: encode and
decode ns per event, allocations, bytes per event, snapshot size and time,
compressed sizes of snapshots and event batches, the replay cost per event
and the in-situ cost of loading an account through the harness's service
system. It prints a table and writes a results directory: codecs.json,
codecs.md, evolution.md and evolution.json (the schema evolution matrix), and
report.html (the codec matrix charts).

Codecs: ` + strings.Join(catalog.IDs(), ", ") + `; each also behind a compressor as
<codec>+` + strings.Join(catalog.Compressors(), "|") + ` (envelopes written so decode anywhere). Compressors
measured on snapshots and batches: ` + strings.Join(compress.IDs()[1:], ", ") + `.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := validateCodecs(cmd, &opts, &corpus, out); err != nil {
				return err
			}
			start := time.Now()
			ctx := cmd.Context()
			interrupted := func(err error) error {
				if ctx.Err() != nil {
					return &exitError{code: exitInterrupted, err: fmt.Errorf("interrupted: no codec results written (%w)", err)}
				}
				return err
			}
			c, err := codecs.BuildCorpus(ctx, corpus)
			if err != nil {
				return interrupted(err)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "corpus: %d events, %d snapshots (%s); measuring...\n",
				len(c.Events), len(c.Snapshots), time.Since(start).Round(time.Millisecond))
			res, err := codecs.Measure(ctx, c, opts)
			if err != nil {
				return interrupted(err)
			}
			if err := codecs.WriteTable(cmd.OutOrStdout(), res); err != nil {
				return err
			}
			if out == "" {
				return nil
			}
			if err := owned.Claim(out, owned.KindCodecs); err != nil {
				return fmt.Errorf("--out: %w", err)
			}
			if err := codecs.WriteDir(out, res); err != nil {
				return err
			}
			if err := writeCodecsHTML(out, res, start, time.Now()); err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "results written to %s\n", out)
			return err
		},
	}
	fs := cmd.Flags()
	fs.StringSliceVar(&opts.Codecs, "codecs", nil, "codecs to measure, comma-separated (default all: "+strings.Join(catalog.IDs(), ",")+")")
	fs.StringSliceVar(&opts.Compressors, "compressors", opts.Compressors, "compressors for snapshots and batches")
	fs.StringVar(&out, "out", "results/codecs", "results directory, created and marked as esbench's; an existing one must be empty or esbench's codecs results (empty: print the table only)")
	fs.DurationVar(&opts.Budget, "budget", opts.Budget, "measuring time per cell (codec x event type, snapshot, ...)")
	fs.IntVar(&opts.BatchSize, "batch", opts.BatchSize, "events per compressed batch")
	fs.Uint64Var(&corpus.Seed, "seed", corpus.Seed, "workload seed of the corpus")
	fs.IntVar(&corpus.Customers, "customers", corpus.Customers, "customers whose preload histories form the event corpus")
	fs.IntSliceVar(&corpus.Histories, "histories", corpus.Histories, "account history lengths to snapshot")
	return cmd
}

// Limits of the codecs command's corpus and measurement.
const (
	maxCodecsCustomers = 100_000
	maxCodecsHistory   = 100_000
	maxCodecsBatch     = 100_000
)

// validateCodecs checks every flag of `esbench codecs` before the corpus is
// built, and that --out may be written.
func validateCodecs(cmd *cobra.Command, opts *codecs.Options, corpus *codecs.CorpusOptions, out string) error {
	c := newFlagChecks(cmd)
	all := append(catalog.IDs(), catalog.CompressedIDs()...)
	if c.given("codecs") && len(opts.Codecs) == 0 {
		c.add("codecs", `""`, "names no codec; omit the flag to measure all, or give some of %s (each also as CODEC+%s)",
			strings.Join(catalog.IDs(), ", "), strings.Join(catalog.Compressors(), "|"))
	}
	for _, id := range opts.Codecs {
		if !catalog.Known(id) {
			c.add("codecs", fmt.Sprintf("%q", id), "unknown codec: want some of %s, each also as CODEC+%s (for example json+zstd)%s",
				strings.Join(catalog.IDs(), ", "), strings.Join(catalog.Compressors(), "|"), suggest.Hint(id, all))
		}
	}
	if c.given("compressors") && len(opts.Compressors) == 0 {
		c.add("compressors", `""`, "names no compressor; give some of %s", strings.Join(compress.IDs(), ", "))
	}
	for _, id := range opts.Compressors {
		c.oneOf("compressors", id, compress.IDs()...)
	}
	c.duration("budget", opts.Budget, time.Microsecond, time.Minute, "")
	c.intRange("batch", int64(opts.BatchSize), 1, maxCodecsBatch)
	c.intRange("customers", int64(corpus.Customers), 1, maxCodecsCustomers)
	if len(corpus.Histories) == 0 {
		c.add("histories", `""`, "names no history length; give lengths in [1, %d]", maxCodecsHistory)
	}
	for _, h := range corpus.Histories {
		c.intRange("histories", int64(h), 1, maxCodecsHistory)
	}
	if out != "" {
		if err := owned.Check(out, owned.KindCodecs); err != nil {
			c.errs = append(c.errs, fmt.Errorf("--out: %w", err))
		}
	}
	return c.err()
}
