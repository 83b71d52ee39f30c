// Package sqlitestore is an example event store backend for esbench: the
// store contract (refimpl/store) on SQLite, through the pure-Go driver
// modernc.org/sqlite. It is small on purpose — one table of events with an
// archived flag as the cold tier, one of snapshots, every write in one
// transaction — and shows what a backend for your own database needs:
// a Store, its Settings registered from init (register.go), and a test that
// runs the conformance suite (sqlitestore_test.go). docs/extending.md walks
// through it.
//
// The store holds its database file exclusively while open (SQLite's
// exclusive locking mode on a single connection), which keeps the example
// free of lock-retry logic; it is a reference for the contract, not a
// fast backend.
package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/url"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/esbench/esbench/refimpl/store"
)

// pageSize is how many events a Load reads per query.
const pageSize = 256

// schema creates the tables; the customer id leads every key, as the
// contract's partition key.
const schema = `
CREATE TABLE IF NOT EXISTS events (
	customer       TEXT    NOT NULL,
	agg_type       TEXT    NOT NULL,
	agg_id         TEXT    NOT NULL,
	version        INTEGER NOT NULL,
	event_id       TEXT    NOT NULL,
	type           TEXT    NOT NULL,
	schema_version INTEGER NOT NULL,
	codec          TEXT    NOT NULL,
	payload        BLOB,
	metadata       TEXT,
	recorded_at    INTEGER,
	archived       INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (customer, agg_type, agg_id, version)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS snapshots (
	customer       TEXT    NOT NULL,
	agg_type       TEXT    NOT NULL,
	agg_id         TEXT    NOT NULL,
	version        INTEGER NOT NULL,
	type           TEXT    NOT NULL,
	schema_version INTEGER NOT NULL,
	codec          TEXT    NOT NULL,
	payload        BLOB,
	created_at     INTEGER,
	PRIMARY KEY (customer, agg_type, agg_id, version)
) WITHOUT ROWID;`

// Store is a store.Store on one SQLite database file.
type Store struct {
	db     *sql.DB
	closed atomic.Bool
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the database at path. With sync false,
// commits do not wait for the disk (synchronous=OFF).
func Open(ctx context.Context, path string, sync bool) (*Store, error) {
	if path == "" {
		return nil, fmt.Errorf("%w: sqlitestore: empty path", store.ErrInvalid)
	}
	syncMode := "FULL"
	if !sync {
		syncMode = "OFF"
	}
	q := url.Values{}
	q.Add("_pragma", "locking_mode(EXCLUSIVE)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous("+syncMode+")")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: %s: %w", path, err)
	}
	// One connection: SQLite has one writer anyway, and the exclusive lock
	// belongs to the connection that took it.
	db.SetMaxOpenConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	// Creating the schema writes, which takes the exclusive lock now: a
	// second store on the same file fails here, not at its first append.
	if _, err := db.ExecContext(ctx, schema); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("sqlitestore: %s: creating the schema: %w", path, err)
	}
	return &Store{db: db}, nil
}

// Close closes the database; later calls return store.ErrClosed.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	return s.db.Close()
}

// begin checks the context and that the store is open.
func (s *Store) begin(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.closed.Load() {
		return store.ErrClosed
	}
	return nil
}

// failed wraps a database error: a cancelled context stays itself, a closed
// store is store.ErrClosed, anything else is the backend failing.
func (s *Store) failed(ctx context.Context, what string, err error) error {
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case s.closed.Load():
		return store.ErrClosed
	}
	return fmt.Errorf("%w: sqlitestore: %s: %w", store.ErrUnavailable, what, err)
}

// Append implements store.EventStore: all requests in one transaction.
func (s *Store) Append(ctx context.Context, reqs ...store.AppendRequest) error {
	if err := s.begin(ctx); err != nil {
		return err
	}
	if err := store.CheckAppend(reqs); err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.failed(ctx, "begin", err)
	}
	defer func() { _ = tx.Rollback() }()
	var (
		conflict, applied *store.ConflictError
		fresh             int
	)
	for _, r := range reqs {
		head, err := headOf(ctx, tx, r.Stream)
		if err != nil {
			return s.failed(ctx, "reading the head of "+r.Stream.String(), err)
		}
		switch {
		case head == r.ExpectedVersion:
			fresh++
			continue
		case head >= r.ExpectedVersion+uint64(len(r.Events)):
			same, err := sameEventIDs(ctx, tx, r)
			if err != nil {
				return s.failed(ctx, "reading "+r.Stream.String(), err)
			}
			if same {
				if applied == nil {
					applied = &store.ConflictError{Stream: r.Stream, Expected: r.ExpectedVersion, Actual: head}
				}
				continue
			}
		}
		if conflict == nil {
			conflict = &store.ConflictError{Stream: r.Stream, Expected: r.ExpectedVersion, Actual: head}
		}
	}
	switch {
	case conflict != nil:
		return conflict
	case fresh == 0:
		return nil // every request is a retry of an append that landed
	case applied != nil:
		// Part landed before and part did not: no retry of one atomic
		// append looks like that.
		return applied
	}
	for _, r := range reqs {
		for i, e := range r.Events {
			meta, err := encodeMetadata(e.Metadata)
			if err != nil {
				return fmt.Errorf("%w: event %s metadata: %w", store.ErrInvalid, e.EventID, err)
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO events
				(customer, agg_type, agg_id, version, event_id, type, schema_version, codec, payload, metadata, recorded_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				r.Stream.Customer, r.Stream.AggregateType, r.Stream.AggregateID, int64(r.ExpectedVersion)+int64(i)+1,
				e.EventID, e.Type, int64(e.SchemaVersion), e.Codec, e.Payload, meta, unixNano(e.RecordedAt))
			if err != nil {
				return s.failed(ctx, "appending to "+r.Stream.String(), err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return s.failed(ctx, "commit", err)
	}
	return nil
}

func headOf(ctx context.Context, tx *sql.Tx, id store.StreamID) (uint64, error) {
	var head sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT MAX(version) FROM events WHERE customer = ? AND agg_type = ? AND agg_id = ?`,
		id.Customer, id.AggregateType, id.AggregateID).Scan(&head)
	return uint64(head.Int64), err
}

// sameEventIDs reports whether r's events are stored at the versions r
// would have given them: a retry of an append that landed.
func sameEventIDs(ctx context.Context, tx *sql.Tx, r store.AppendRequest) (bool, error) {
	rows, err := tx.QueryContext(ctx, `SELECT event_id FROM events
		WHERE customer = ? AND agg_type = ? AND agg_id = ? AND version > ? AND version <= ? ORDER BY version`,
		r.Stream.Customer, r.Stream.AggregateType, r.Stream.AggregateID, int64(r.ExpectedVersion), int64(r.ExpectedVersion)+int64(len(r.Events)))
	if err != nil {
		return false, err
	}
	defer rows.Close()
	i := 0
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return false, err
		}
		if i >= len(r.Events) || id != r.Events[i].EventID {
			return false, nil
		}
		i++
	}
	return i == len(r.Events), rows.Err()
}

// Load implements store.EventStore.
func (s *Store) Load(ctx context.Context, id store.StreamID, after uint64) iter.Seq2[store.Record, error] {
	return s.pages(ctx, id, after, false)
}

// LoadAudit implements store.Archiver: archived events first, as they are
// the oldest, then the rest.
func (s *Store) LoadAudit(ctx context.Context, id store.StreamID) iter.Seq2[store.Record, error] {
	return s.pages(ctx, id, 0, true)
}

// pages yields the events after `after` one page (one query) at a time, so
// no query stays open while the caller works on a record.
func (s *Store) pages(ctx context.Context, id store.StreamID, after uint64, audit bool) iter.Seq2[store.Record, error] {
	return func(yield func(store.Record, error) bool) {
		if err := id.Validate(); err != nil {
			yield(store.Record{}, err)
			return
		}
		if after >= 1<<63-1 { // no version is stored above SQLite's integers
			return
		}
		next := after + 1
		for {
			if err := s.begin(ctx); err != nil {
				yield(store.Record{}, err)
				return
			}
			page, err := s.page(ctx, id, next, audit)
			if err != nil {
				yield(store.Record{}, err)
				return
			}
			for _, r := range page {
				if !yield(r, nil) {
					return
				}
			}
			if len(page) < pageSize {
				return
			}
			next += uint64(len(page))
		}
	}
}

func (s *Store) page(ctx context.Context, id store.StreamID, next uint64, audit bool) ([]store.Record, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT version, event_id, type, schema_version, codec, payload, metadata, recorded_at, archived
		FROM events WHERE customer = ? AND agg_type = ? AND agg_id = ? AND version >= ? ORDER BY version LIMIT ?`,
		id.Customer, id.AggregateType, id.AggregateID, int64(next), pageSize)
	if err != nil {
		return nil, s.failed(ctx, "loading "+id.String(), err)
	}
	defer rows.Close()
	var out []store.Record
	for rows.Next() {
		var (
			r        store.Record
			version  int64
			schemaV  int64
			meta     sql.NullString
			recorded sql.NullInt64
			archived bool
		)
		if err := rows.Scan(&version, &r.EventID, &r.Type, &schemaV, &r.Codec, &r.Payload, &meta, &recorded, &archived); err != nil {
			return nil, s.failed(ctx, "loading "+id.String(), err)
		}
		if archived && !audit {
			return nil, fmt.Errorf("%w: %s version %d is archived, asked from %d", store.ErrArchived, id, version, next)
		}
		r.Version, r.SchemaVersion = uint64(version), uint16(schemaV)
		if r.Metadata, err = decodeMetadata(meta); err != nil {
			return nil, fmt.Errorf("sqlitestore: %s version %d: metadata: %w", id, version, err)
		}
		r.RecordedAt = fromUnixNano(recorded)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, s.failed(ctx, "loading "+id.String(), err)
	}
	return out, nil
}

// SaveSnapshot implements store.SnapshotStore, replacing a snapshot at the
// same version.
func (s *Store) SaveSnapshot(ctx context.Context, sn store.Snapshot) error {
	if err := s.begin(ctx); err != nil {
		return err
	}
	if err := store.CheckSnapshot(sn); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, `INSERT OR REPLACE INTO snapshots
		(customer, agg_type, agg_id, version, type, schema_version, codec, payload, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		sn.Stream.Customer, sn.Stream.AggregateType, sn.Stream.AggregateID, int64(sn.Version),
		sn.Type, int64(sn.SchemaVersion), sn.Codec, sn.Payload, unixNano(sn.CreatedAt))
	if err != nil {
		return s.failed(ctx, "saving a snapshot of "+sn.Stream.String(), err)
	}
	return nil
}

// LatestSnapshot implements store.SnapshotStore.
func (s *Store) LatestSnapshot(ctx context.Context, id store.StreamID, atOrBelow uint64) (store.Snapshot, bool, error) {
	if err := s.begin(ctx); err != nil {
		return store.Snapshot{}, false, err
	}
	if err := id.Validate(); err != nil {
		return store.Snapshot{}, false, err
	}
	limit := int64(1<<63 - 1)
	if atOrBelow < uint64(limit) {
		limit = int64(atOrBelow)
	}
	sn := store.Snapshot{Stream: id}
	var (
		version, schemaV int64
		created          sql.NullInt64
	)
	err := s.db.QueryRowContext(ctx, `SELECT version, type, schema_version, codec, payload, created_at FROM snapshots
		WHERE customer = ? AND agg_type = ? AND agg_id = ? AND version <= ? ORDER BY version DESC LIMIT 1`,
		id.Customer, id.AggregateType, id.AggregateID, limit).Scan(&version, &sn.Type, &schemaV, &sn.Codec, &sn.Payload, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Snapshot{}, false, nil
	}
	if err != nil {
		return store.Snapshot{}, false, s.failed(ctx, "reading snapshots of "+id.String(), err)
	}
	sn.Version, sn.SchemaVersion, sn.CreatedAt = uint64(version), uint16(schemaV), fromUnixNano(created)
	return sn, true, nil
}

// TrimSnapshots implements store.SnapshotStore.
func (s *Store) TrimSnapshots(ctx context.Context, id store.StreamID, keep int) error {
	if err := s.begin(ctx); err != nil {
		return err
	}
	if err := store.CheckTrim(id, keep); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, `DELETE FROM snapshots WHERE customer = ? AND agg_type = ? AND agg_id = ? AND version NOT IN (
		SELECT version FROM snapshots WHERE customer = ? AND agg_type = ? AND agg_id = ? ORDER BY version DESC LIMIT ?)`,
		id.Customer, id.AggregateType, id.AggregateID, id.Customer, id.AggregateType, id.AggregateID, keep)
	if err != nil {
		return s.failed(ctx, "trimming snapshots of "+id.String(), err)
	}
	return nil
}

// Archive implements store.Archiver: the events at or below the oldest kept
// snapshot are flagged archived, which makes Load refuse them.
func (s *Store) Archive(ctx context.Context, id store.StreamID) (int, error) {
	if err := s.begin(ctx); err != nil {
		return 0, err
	}
	if err := id.Validate(); err != nil {
		return 0, err
	}
	res, err := s.db.ExecContext(ctx, `UPDATE events SET archived = 1
		WHERE customer = ? AND agg_type = ? AND agg_id = ? AND archived = 0
		AND version <= (SELECT MIN(version) FROM snapshots WHERE customer = ? AND agg_type = ? AND agg_id = ?)`,
		id.Customer, id.AggregateType, id.AggregateID, id.Customer, id.AggregateType, id.AggregateID)
	if err != nil {
		return 0, s.failed(ctx, "archiving "+id.String(), err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, s.failed(ctx, "archiving "+id.String(), err)
	}
	return int(n), nil
}

func encodeMetadata(m map[string]string) (any, error) {
	if len(m) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(m)
	return string(b), err
}

func decodeMetadata(s sql.NullString) (map[string]string, error) {
	if !s.Valid {
		return nil, nil
	}
	var m map[string]string
	err := json.Unmarshal([]byte(s.String), &m)
	return m, err
}

// unixNano stores a time as nanoseconds since 1970; the zero time as NULL.
func unixNano(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

func fromUnixNano(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(0, n.Int64).UTC()
}
