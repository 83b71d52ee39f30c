package cassandra

import (
	"context"
	"errors"
	"fmt"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/esbench/esbench/refimpl/store"
)

// datasetRow is the name of the datasets row holding the keyspace's
// manifest: one dataset per keyspace (docs/design.md §16).
const datasetRow = "dataset"

var _ store.DatasetKeeper = (*Store)(nil)

// ReadDataset implements store.DatasetKeeper.
func (s *Store) ReadDataset(ctx context.Context) ([]byte, bool, error) {
	if err := s.check(ctx); err != nil {
		return nil, false, err
	}
	var m string
	err := s.sess.Query(s.q.readDataset, datasetRow).Consistency(s.readCL).Idempotent(true).ScanContext(ctx, &m)
	if errors.Is(err, gocql.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("cassandra: reading the dataset manifest of keyspace %s: %w", s.cfg.Keyspace, unavailable(err))
	}
	return []byte(m), true, nil
}

// WriteDataset implements store.DatasetKeeper. The manifest is one row,
// written whole, so a reader sees the old or the new one.
func (s *Store) WriteDataset(ctx context.Context, manifest []byte) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	err := s.sess.Query(s.q.writeDataset, datasetRow, string(manifest), time.Now()).Consistency(s.writeCL).Idempotent(true).ExecContext(ctx)
	if err != nil {
		return fmt.Errorf("cassandra: writing the dataset manifest of keyspace %s: %w", s.cfg.Keyspace, unavailable(err))
	}
	return nil
}

// HoldsStreams implements store.DatasetKeeper: any row in either mode's
// events table counts.
func (s *Store) HoldsStreams(ctx context.Context) (bool, error) {
	if err := s.check(ctx); err != nil {
		return false, err
	}
	for _, q := range s.q.anyStream {
		var c string
		err := s.sess.Query(q).Consistency(s.readCL).Idempotent(true).ScanContext(ctx, &c)
		if errors.Is(err, gocql.ErrNotFound) {
			continue
		}
		if err != nil {
			return false, fmt.Errorf("cassandra: looking for streams in keyspace %s: %w", s.cfg.Keyspace, unavailable(err))
		}
		return true, nil
	}
	return false, nil
}
