package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/esbench/esbench/bench/dataset"
	"github.com/esbench/esbench/internal/owned"
	"github.com/esbench/esbench/refimpl/store"
	"github.com/esbench/esbench/refimpl/store/pebble"
	"github.com/esbench/esbench/target"
	"github.com/esbench/esbench/target/inproc"
	"github.com/esbench/esbench/workload"
)

// verifySample is how many of a dataset's tables a run reading it checks
// byte for byte against the manifest (all are checked for presence and
// size).
const verifySample = 8

// useDataset prepares a run on a preloaded dataset when --data-dir holds
// one: the manifest must match the workload and be complete, and the run
// gets a checkpoint of it (hard-linked, so cheap) as its --data-dir, so the
// dataset itself is never written and two runs start from the same state.
// It returns the dataset's directory ("" when --data-dir holds no dataset)
// and a cleanup that removes the checkpoint.
func useDataset(ctx context.Context, cmd *cobra.Command, sel *target.Selection, spec *workload.Spec, stderr io.Writer) (string, func() error, error) {
	none := func() error { return nil }
	is, ok := sel.Settings().(*inproc.Settings)
	if !ok {
		return "", none, nil
	}
	if is.Stores().Name() != "pebble" {
		ds, err := useKeptDataset(ctx, sel, spec, stderr)
		return ds, none, err
	}
	dir, _ := cmd.Flags().GetString("data-dir")
	if dir == "" {
		return "", none, nil
	}
	m, ok, err := dataset.Read(dir)
	if err != nil || !ok {
		return "", none, err
	}
	if err := m.Usable(dir, spec); err != nil {
		return "", none, fmt.Errorf("--data-dir: %w", err)
	}
	if spec.Experiment != workload.ExperimentMixed && spec.Experiment != workload.ExperimentCapacity {
		return "", none, fmt.Errorf("--data-dir %s holds a dataset for mixed and capacity workloads; a %s experiment preloads each configuration itself: give another --data-dir", dir, spec.Experiment)
	}
	checked, err := m.Verify(dir, verifySample)
	if err != nil {
		return "", none, fmt.Errorf("--data-dir: %w; preload the workload again into another directory", err)
	}
	runs := filepath.Join(dir, dataset.RunsDir)
	if err := owned.Claim(runs, owned.KindPebble); err != nil {
		return "", none, fmt.Errorf("--data-dir: %w", err)
	}
	cp := filepath.Join(runs, strconv.FormatInt(time.Now().UnixNano(), 36))
	if err := owned.Create(cp, owned.KindPebble); err != nil {
		return "", none, fmt.Errorf("--data-dir: %w", err)
	}
	cleanup := func() error {
		// The checkpoint was created by this run, just now.
		return os.RemoveAll(cp)
	}
	// Without compactions the dataset's tables stay those its manifest
	// lists.
	src, err := pebble.Open(pebble.Options{Dir: dir, NoCompactions: true})
	if err != nil {
		return "", none, errors.Join(fmt.Errorf("--data-dir: opening the dataset: %w", err), cleanup())
	}
	err = errors.Join(src.Checkpoint(cp), src.Close())
	if err == nil {
		err = cmd.Flags().Set("data-dir", cp)
	}
	if err != nil {
		return "", none, errors.Join(fmt.Errorf("--data-dir: %w", err), cleanup())
	}
	fmt.Fprintf(stderr, "esbench: reusing the dataset in %s (%d customers, %d events, preloaded by %s; its %d tables present with their sizes, %d checked byte for byte); this run works on a checkpoint of it in %s\n",
		dir, m.Counts.Customers, m.Counts.Events, m.Esbench, len(m.Tables), checked, cp)
	return dir, cleanup, nil
}

// keptDataset is the dataset a store keeps inside itself (a Cassandra
// keyspace, store.DatasetKeeper): its manifest is a row of the store, not a
// file beside it (docs/design.md §16).
type keptDataset struct {
	st     store.Store
	keeper store.DatasetKeeper
	// where names the data for messages and results ("cassandra keyspace
	// K, conditional mode"): the store's Location.
	where string
}

// openKeptDataset opens the store the in-process target's flags describe
// when it is persistent and keeps a dataset manifest; ok is false (and
// nothing stays open) otherwise. The caller closes kd.st.
func openKeptDataset(ctx context.Context, sel *target.Selection) (kd *keptDataset, ok bool, err error) {
	is, isInproc := sel.Settings().(*inproc.Settings)
	if !isInproc || is.Stores().Name() == "pebble" {
		return nil, false, nil
	}
	set := is.Stores().Settings()
	if set == nil || !set.About().Persistent {
		return nil, false, nil
	}
	st, err := is.Stores().Open(ctx, store.OpenOptions{})
	if err != nil {
		return nil, false, err
	}
	keeper, ok := st.(store.DatasetKeeper)
	if !ok {
		return nil, false, st.Close()
	}
	return &keptDataset{st: st, keeper: keeper, where: set.About().Location}, true, nil
}

// read returns the store's manifest; ok is false when it holds none.
func (kd *keptDataset) read(ctx context.Context) (*dataset.Manifest, bool, error) {
	b, ok, err := kd.keeper.ReadDataset(ctx)
	if err != nil || !ok {
		return nil, false, err
	}
	m, err := dataset.Decode(b, kd.where)
	if err != nil {
		return nil, false, err
	}
	return m, true, nil
}

// write stores m.
func (kd *keptDataset) write(ctx context.Context, m *dataset.Manifest) error {
	b, err := dataset.Encode(m)
	if err != nil {
		return err
	}
	return kd.keeper.WriteDataset(ctx, b)
}

// checkLocation refuses a manifest written for the same store opened
// another way (a Cassandra keyspace in the other write mode keeps its
// events in another table, so it would see none of the dataset).
func (kd *keptDataset) checkLocation(m *dataset.Manifest) error {
	if m.Location != kd.where {
		return fmt.Errorf("the dataset was preloaded into %s, this command opens %s: give the same store flags (--cassandra-mode) or preload into another keyspace", m.Location, kd.where)
	}
	return nil
}

// checkMarks verifies that every range of the manifest's shard is marked
// committed in the store: a keyspace whose preload marks were dropped or
// truncated no longer holds what the manifest says.
func (kd *keptDataset) checkMarks(ctx context.Context, m *dataset.Manifest, spec *workload.Spec) error {
	bl, ok := kd.st.(store.BulkLoader)
	if !ok {
		return nil
	}
	marks, err := bl.BulkMarks(ctx)
	if err != nil {
		return err
	}
	sh, err := workload.ParseShard(m.Workload.Shard)
	if err != nil {
		return fmt.Errorf("the manifest's shard %q: %w", m.Workload.Shard, err)
	}
	have := map[uint64]uint64{}
	for _, mk := range marks {
		if mk.Part == uint32(sh.Index) {
			have[mk.From] = mk.To
		}
	}
	n := spec.Population.Customers
	var missing int
	first := uint64(0)
	for from := uint64(0); from < n; from += m.RangeSize {
		if have[from] != min(from+m.RangeSize, n) {
			if missing == 0 {
				first = from
			}
			missing++
		}
	}
	if missing > 0 {
		return fmt.Errorf("%s: %d of the dataset's preloaded ranges are not marked committed (the first starts at customer %d): the data is not what its manifest describes; preload the workload again into another keyspace", kd.where, missing, first)
	}
	return nil
}

// useKeptDataset prepares a run on a dataset kept in its store: the
// manifest must match the workload, be complete, name the same location,
// and the store must still mark every range committed. The run then works
// on the data itself: the manifest counts it (Runs), and the message says
// that its writes stay for the next run. It returns the dataset's location
// ("" when the store keeps no dataset).
func useKeptDataset(ctx context.Context, sel *target.Selection, spec *workload.Spec, stderr io.Writer) (string, error) {
	kd, ok, err := openKeptDataset(ctx, sel)
	if err != nil || !ok {
		return "", err
	}
	defer kd.st.Close()
	m, ok, err := kd.read(ctx)
	if err != nil || !ok {
		return "", err
	}
	if err := m.UsableAt(kd.where, "another keyspace (--cassandra-keyspace)", spec); err != nil {
		return "", err
	}
	if err := kd.checkLocation(m); err != nil {
		return "", err
	}
	if spec.Experiment != workload.ExperimentMixed {
		return "", fmt.Errorf("%s holds a dataset for mixed workloads; a %s experiment preloads each configuration itself: give another keyspace", kd.where, spec.Experiment)
	}
	if err := kd.checkMarks(ctx, m, spec); err != nil {
		return "", err
	}
	m.Runs++
	if err := kd.write(ctx, m); err != nil {
		return "", err
	}
	fmt.Fprintf(stderr, "esbench: reusing the dataset in %s (%d customers, %d events, preloaded by %s; every range marked committed); run %d on it: the store has no cheap copy, so this run's writes stay in the dataset for the next run\n",
		kd.where, m.Counts.Customers, m.Counts.Events, m.Esbench, m.Runs)
	if m.Runs > 1 {
		// The generator models every customer from the preloaded history
		// alone (docs/cassandra.md, "Datasets").
		fmt.Fprintf(stderr, "esbench: warning: %d earlier runs changed this dataset; operations on licenses they released or renewed can fail as invalid (unknown license, renewal limit): for a clean state, preload another keyspace\n", m.Runs-1)
	}
	return kd.where, nil
}
