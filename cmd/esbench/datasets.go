package main

import (
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
func useDataset(cmd *cobra.Command, sel *target.Selection, spec *workload.Spec, stderr io.Writer) (string, func() error, error) {
	none := func() error { return nil }
	is, ok := sel.Settings().(*inproc.Settings)
	if !ok || is.Stores().Name() != "pebble" {
		return "", none, nil
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
