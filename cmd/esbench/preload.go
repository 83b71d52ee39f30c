package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/esbench/esbench/bench"
	"github.com/esbench/esbench/bench/dataset"
	"github.com/esbench/esbench/internal/owned"
	"github.com/esbench/esbench/internal/suggest"
	"github.com/esbench/esbench/refimpl/codec/catalog"
	"github.com/esbench/esbench/refimpl/store/pebble"
	"github.com/esbench/esbench/reports"
	"github.com/esbench/esbench/target"
	"github.com/esbench/esbench/target/inproc"
	"github.com/esbench/esbench/workload"
)

// maxAudit bounds --audit: each audited customer is decided again and
// loaded, so a larger sample only costs time.
const maxAudit = 100_000

type preloadOptions struct {
	target *target.Selection

	seed          uint64
	shard         string
	codec         string
	snapshot      string
	customers     uint64
	audit         int
	progress      string
	progressEvery time.Duration
}

func newPreloadCmd() *cobra.Command {
	var o preloadOptions
	cmd := &cobra.Command{
		Use:   "preload [workload] (--data-dir DIR | --store cassandra --cassandra-keyspace KS)",
		Short: "Build a dataset once: preload a workload's population into a pebble directory or a Cassandra keyspace that later runs reuse",
		Long: `preload writes the histories of a workload's population (the preset or file
given, with the overrides below) into a new pebble data directory or a new
Cassandra keyspace at storage speed — histories decided by the reference
service's domain, written in ranges of customers (pebble: sorted tables
ingested; Cassandra: unlogged single-partition batches) — audits a sample,
and writes the dataset's manifest (seed, population, codec, snapshot
policy, counts, fingerprint, esbench version): ` + dataset.File + ` in the
directory, or the keyspace's datasets table.

esbench run with the same --data-dir (or the same --cassandra-keyspace) and
the same workload then reuses the dataset instead of preloading: it checks
the manifest and refuses a workload that does not match, naming the
setting. A pebble run works on a checkpoint (a hard-linked copy), so every
run starts from the same state; a Cassandra run works on the keyspace
itself, so its writes stay for the next run (the manifest counts the runs).

A preload that was interrupted continues where it stopped when run again
with the same arguments. Exit codes: 0 the dataset is complete; 1 an error;
130 interrupted (run it again to resume).`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := "default"
			if len(args) == 1 {
				name = args[0]
			}
			return o.run(cmd.Context(), cmd, name)
		},
	}
	fs := cmd.Flags()
	o.target = target.NewSelection(fs, inproc.Name)
	fs.Uint64Var(&o.seed, "seed", 0, "override the seed")
	fs.StringVar(&o.shard, "shard", "", "preload shard i/n of the customer space only")
	fs.StringVar(&o.codec, "codec", "", "override the event codec")
	fs.StringVar(&o.snapshot, "snapshot", "", "override the snapshot policy (none, every:N, load:events>N,time>D)")
	fs.Uint64Var(&o.customers, "customers", 0, "override the population size")
	fs.IntVar(&o.audit, "audit", bench.DefaultAudit, fmt.Sprintf("customers audited after the preload (0 to %d; 0: none)", maxAudit))
	fs.StringVar(&o.progress, "progress", "auto", "progress display: auto (bars on a terminal, else lines), bars, lines or none")
	fs.DurationVar(&o.progressEvery, "progress-every", bench.DefaultPlainEvery, "interval of plain progress lines")
	return cmd
}

// overrides applies the workload flags given, through run's: the flags
// preload lacks are never reported as given.
func (o *preloadOptions) overrides(cmd *cobra.Command, spec *workload.Spec) []string {
	ro := runOptions{seed: o.seed, shard: o.shard, codec: o.codec, snapshot: o.snapshot, customers: o.customers}
	return ro.applyOverrides(cmd, spec)
}

// validate checks preload's own flags and where the dataset goes before
// anything is loaded or written; it returns the dataset directory.
func (o *preloadOptions) validate(cmd *cobra.Command) (string, error) {
	c := newFlagChecks(cmd)
	if c.given("customers") {
		c.uintRange("customers", o.customers, 1, workload.MaxCustomers)
	}
	if c.given("shard") {
		if _, err := workload.ParseShard(o.shard); err != nil {
			c.add("shard", fmt.Sprintf("%q", o.shard), "%s", strings.TrimPrefix(err.Error(), workload.ErrShard.Error()+": "))
		}
	}
	if c.given("codec") && !catalog.Known(o.codec) {
		c.add("codec", fmt.Sprintf("%q", o.codec), "want one of %s, each also as CODEC+%s (for example json+zstd)%s",
			strings.Join(catalog.IDs(), ", "), strings.Join(catalog.Compressors(), "|"), suggest.Hint(o.codec, append(catalog.IDs(), catalog.CompressedIDs()...)))
	}
	c.intRange("audit", int64(o.audit), 0, maxAudit)
	c.oneOf("progress", o.progress, "auto", "bars", "lines", "none")
	c.duration("progress-every", o.progressEvery, 10*time.Millisecond, time.Hour, "")
	if err := c.err(); err != nil {
		return "", err
	}
	if err := o.target.Check(); err != nil {
		return "", err
	}
	if o.target.Name() != inproc.Name {
		return "", fmt.Errorf("--target %s: esbench preload writes through the in-process reference service (--target %s); a remote service preloads its own store", o.target.Name(), inproc.Name)
	}
	is, _ := o.target.Settings().(*inproc.Settings)
	if is == nil || is.Stores().Settings() == nil {
		return "", fmt.Errorf("--store: esbench preload needs a store")
	}
	if is.Stores().Name() != "pebble" {
		if !is.Stores().Settings().About().Persistent {
			return "", fmt.Errorf("--store %s: esbench preload builds datasets in pebble (--store pebble --data-dir DIR) or Cassandra (--store cassandra --cassandra-keyspace KS): this store does not outlive the process", is.Stores().Name())
		}
		// A store that keeps its manifest inside itself: checked once open.
		return "", nil
	}
	dir, _ := cmd.Flags().GetString("data-dir")
	if dir == "" {
		return "", errors.New("--data-dir: required: the directory of the dataset to build (new or empty) or to resume")
	}
	if _, ok, err := dataset.Read(dir); err != nil {
		return "", fmt.Errorf("--data-dir %s: %w", dir, err)
	} else if !ok {
		// A new dataset needs a new or empty directory: a pebble directory
		// of earlier runs holds data no manifest describes.
		if entries, err := os.ReadDir(dir); err == nil {
			for _, e := range entries {
				if e.Name() != owned.MarkerFile {
					return "", fmt.Errorf("--data-dir %s: holds data (%s) but no dataset manifest (%s): give a new or empty directory for the dataset", dir, e.Name(), dataset.File)
				}
			}
		}
	}
	return dir, nil
}

func (o *preloadOptions) run(ctx context.Context, cmd *cobra.Command, name string) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	dir, err := o.validate(cmd)
	if err != nil {
		return err
	}
	spec, w, _, err := resolveWorkload(name, func(spec *workload.Spec) []string { return o.overrides(cmd, spec) }, inproc.WorkloadOptions(""))
	if err != nil {
		return err
	}
	if spec.Experiment != workload.ExperimentMixed {
		return fmt.Errorf("workload %s: a %s experiment preloads each configuration with its own histories; esbench preload builds datasets for mixed workloads", name, spec.Experiment)
	}
	// The dataset's bookkeeping is a few requests, each bounded by the
	// store's timeouts: it is done even when interrupted, so that the
	// manifest always says how far the preload got.
	bctx := context.WithoutCancel(ctx)
	home, err := o.openHome(bctx, dir)
	if err != nil {
		return err
	}
	defer home.close()
	m, resumed, err := home.read(bctx)
	if err != nil {
		return fmt.Errorf("%s: %w", home.flag, err)
	}
	if resumed {
		if err := m.Check(spec); err != nil {
			return fmt.Errorf("%s: %w; give %s to preload this workload", home.flag, err, home.elsewhere)
		}
		if err := home.checkLocation(m); err != nil {
			return err
		}
		if m.Complete {
			fmt.Fprintf(stdout, "dataset %s is complete (%d customers, %d events): nothing to do\n", home.where, m.Counts.Customers, m.Counts.Events)
			return nil
		}
		if m.RangeSize != bench.DefaultRangeSize {
			return fmt.Errorf("%s: the dataset was preloaded in ranges of %d customers, this esbench uses %d: preload it again into %s", home.flag, m.RangeSize, bench.DefaultRangeSize, home.elsewhere)
		}
	} else {
		if err := home.claim(bctx); err != nil {
			return err
		}
		m = dataset.New(spec, home.store, bench.DefaultRangeSize)
		m.Location = home.location
		if err := home.write(bctx, m); err != nil {
			return err
		}
	}
	m.Sessions++

	ro := runOptions{progress: o.progress, progressEvery: o.progressEvery}
	prog := ro.newProgress(ctx, stderr)
	audit := o.audit
	if audit == 0 {
		audit = -1
	}
	exp := &bench.Experiment{Workload: w, Progress: prog, Factory: o.target.Open, RangeSize: bench.DefaultRangeSize, Audit: audit}
	fmt.Fprintf(stderr, "esbench: preloading %d customers of %s (shard %s) into %s\n", w.ShardSize(), spec.Name, dataset.IdentityOf(spec).Shard, home.where)
	res := reports.New(spec.Experiment)
	start := time.Now()
	runErr := exp.Preload(ctx, res)
	prog.Wait()
	took := time.Since(start)

	if pl := res.Preload; pl != nil {
		m.Counts.Customers += pl.Customers
		m.Counts.AccountEvents += pl.AccountEvents
		m.Counts.Events += pl.Events
		m.Counts.Ranges += int64(pl.Ranges)
		m.Counts.Seconds += pl.Seconds
		m.Counts.Audited = pl.Audited
		fmt.Fprintf(stdout, "preloaded %d customers, %d events (%d account events) in %d ranges in %s: %.0f events/s, %.0f customers/s",
			pl.Customers, pl.Events, pl.AccountEvents, pl.Ranges, took.Round(time.Millisecond),
			float64(pl.Events)/took.Seconds(), float64(pl.Customers)/took.Seconds())
		if pl.Resumed > 0 {
			fmt.Fprintf(stdout, "; %d ranges were already done", pl.Resumed)
		}
		fmt.Fprintf(stdout, "; %d customers audited\n", pl.Audited)
	}
	if runErr == nil && ctx.Err() == nil {
		runErr = home.seal(m, stderr)
		if runErr == nil {
			m.Complete, m.Completed = true, time.Now().UTC()
		}
	}
	if err := home.write(bctx, m); err != nil {
		return errors.Join(runErr, err)
	}
	switch {
	case ctx.Err() != nil:
		return &exitError{code: exitInterrupted, err: fmt.Errorf("interrupted: %d ranges of %s committed; run the same esbench preload again to continue", m.Counts.Ranges, home.where)}
	case runErr != nil:
		return fmt.Errorf("%w\n(the ranges committed so far are kept: run the same esbench preload again to continue)", runErr)
	}
	fmt.Fprintf(stdout, "dataset %s: complete (%s)\n", home.where, home.manifestAt)
	return nil
}

// datasetHome is where esbench preload builds a dataset: a pebble directory
// with the manifest file beside the tables, or a store that keeps the
// manifest inside itself (a Cassandra keyspace).
type datasetHome struct {
	// store is the backend's name; flag the flag that chose the place,
	// for errors; where names the place and elsewhere says where else to
	// preload; location is the manifest's Location; manifestAt where the
	// manifest is.
	store, flag, where, elsewhere, location, manifestAt string

	read          func(ctx context.Context) (*dataset.Manifest, bool, error)
	write         func(ctx context.Context, m *dataset.Manifest) error
	claim         func(ctx context.Context) error
	seal          func(m *dataset.Manifest, stderr io.Writer) error
	checkLocation func(m *dataset.Manifest) error
	close         func()
}

// openHome returns the place of the dataset: dir (already validated) on
// pebble, else the store the flags describe, which must keep a manifest.
func (o *preloadOptions) openHome(ctx context.Context, dir string) (*datasetHome, error) {
	if dir != "" {
		return &datasetHome{
			store: "pebble", flag: "--data-dir " + dir, where: dir, elsewhere: "another directory",
			manifestAt: filepath.Join(dir, dataset.File),
			read:       func(context.Context) (*dataset.Manifest, bool, error) { return dataset.Read(dir) },
			write:      func(_ context.Context, m *dataset.Manifest) error { return dataset.Write(dir, m) },
			claim: func(context.Context) error {
				if err := owned.Claim(dir, owned.KindPebble); err != nil {
					return fmt.Errorf("--data-dir: %w", err)
				}
				return nil
			},
			seal:          func(m *dataset.Manifest, stderr io.Writer) error { return sealDataset(dir, m, stderr) },
			checkLocation: func(*dataset.Manifest) error { return nil },
			close:         func() {},
		}, nil
	}
	name := o.target.Settings().(*inproc.Settings).Stores().Name() // validate checked it
	kd, ok, err := openKeptDataset(ctx, o.target)
	if err != nil {
		return nil, fmt.Errorf("--store %s: %w", name, err)
	}
	if !ok {
		return nil, fmt.Errorf("--store %s: esbench preload builds datasets in pebble (--store pebble --data-dir DIR) or Cassandra (--store cassandra --cassandra-keyspace KS): this store keeps no dataset manifest", name)
	}
	return &datasetHome{
		store: name, flag: "--store " + name + " (" + kd.where + ")", where: kd.where, elsewhere: "another keyspace (--cassandra-keyspace)",
		location: kd.where, manifestAt: "its datasets table",
		read:  kd.read,
		write: kd.write,
		claim: func(ctx context.Context) error {
			// A new dataset needs an empty store: data of earlier runs is
			// data no manifest describes.
			holds, err := kd.keeper.HoldsStreams(ctx)
			if err != nil {
				return err
			}
			if holds {
				return fmt.Errorf("--store %s: %s holds streams but no dataset manifest: give a new or empty keyspace for the dataset (--cassandra-keyspace)", name, kd.where)
			}
			return nil
		},
		seal:          func(*dataset.Manifest, io.Writer) error { return nil },
		checkLocation: kd.checkLocation,
		close:         func() { _ = kd.st.Close() },
	}, nil
}

// sealDataset flushes the finished dataset in dir, so that opening it again
// replays nothing into new tables, and records its tables' checksums in m.
func sealDataset(dir string, m *dataset.Manifest, stderr io.Writer) error {
	start := time.Now()
	st, err := pebble.Open(pebble.Options{Dir: dir, NoCompactions: true})
	if err != nil {
		return fmt.Errorf("--data-dir %s: reopening the dataset to seal it: %w", dir, err)
	}
	if err := errors.Join(st.Flush(), st.Close()); err != nil {
		return fmt.Errorf("--data-dir %s: %w", dir, err)
	}
	if err := m.Sum(dir); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "esbench: dataset sealed: %d tables, %.1f MB checksummed in %s\n",
		len(m.Tables), float64(m.Bytes())/1e6, time.Since(start).Round(time.Millisecond))
	return nil
}
