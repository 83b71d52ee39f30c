package store

import (
	"context"
	"fmt"
)

// BulkLoader is implemented by backends that can write fresh streams faster
// than Append does: no version checks, no conditional writes, data laid out
// the way the backend ingests fastest (sorted tables on pebble, unlogged
// single-partition batches on Cassandra). The preload uses it, for
// histories the domain has already decided (docs/design.md §16).
//
// A load is split into ranges of customers; a range committed is durable and
// marked done, so a preload that died half-way continues with the ranges not
// marked.
type BulkLoader interface {
	// NewBulkBatch starts the batch of one range. Batches may be written
	// concurrently.
	NewBulkBatch(ctx context.Context) (BulkBatch, error)
	// BulkMarks returns the marks of every committed batch.
	BulkMarks(ctx context.Context) ([]BulkMark, error)
}

// BulkMark names a committed range of a bulk load: the customers numbered
// From (inclusive) to To (exclusive) of part Part (the loads of several
// shards into one store mark their ranges apart).
type BulkMark struct {
	Part     uint32
	From, To uint64
}

// BulkBatch collects the streams of one range of customers.
type BulkBatch interface {
	// Add queues one customer's fresh streams, each request starting at
	// version 1 (ExpectedVersion 0), and the snapshots to keep of them. The
	// streams must not exist. Add may write some of what it was given
	// before Commit; nothing is marked done until Commit.
	Add(ctx context.Context, reqs []AppendRequest, snaps []Snapshot) error
	// Commit makes everything added durable and visible, then records mark.
	Commit(ctx context.Context, mark BulkMark) error
	// Abort drops what was queued and not yet written. A batch is finished
	// by Commit or Abort, and Abort after Commit is harmless.
	Abort()
}

// CheckBulkAdd validates what a BulkBatch.Add is given: well-formed append
// requests that each start a stream (ExpectedVersion 0) and well-formed
// snapshots.
func CheckBulkAdd(reqs []AppendRequest, snaps []Snapshot) error {
	if err := CheckAppend(reqs); err != nil {
		return err
	}
	for _, r := range reqs {
		if r.ExpectedVersion != 0 {
			return fmt.Errorf("%w: bulk batch: %s starts at version %d, not 1", ErrInvalid, r.Stream, r.ExpectedVersion+1)
		}
	}
	for _, sn := range snaps {
		if err := CheckSnapshot(sn); err != nil {
			return err
		}
	}
	return nil
}

// DatasetKeeper is implemented by backends that keep a dataset's manifest
// inside the store itself (a Cassandra keyspace has no directory beside it
// for a file): esbench preload writes it there, and a run on the same store
// reads it to reuse the data (docs/design.md §16). The manifest is opaque
// bytes to the store.
type DatasetKeeper interface {
	// ReadDataset returns the stored manifest; ok is false when there is
	// none.
	ReadDataset(ctx context.Context) (manifest []byte, ok bool, err error)
	// WriteDataset stores manifest, replacing any earlier one.
	WriteDataset(ctx context.Context, manifest []byte) error
	// HoldsStreams reports whether the store holds any stream, so that a
	// preload never mixes a dataset into data no manifest describes.
	HoldsStreams(ctx context.Context) (bool, error)
}
