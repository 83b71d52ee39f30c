package cassandra

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"net"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/esbench/esbench/refimpl/store"
)

// ErrOutcomeUnknown marks a conditional append whose request timed out and
// whose read-back could not prove either outcome: the events may or may not
// land. Retrying the same append is safe, since a retry whose events are
// already stored is an idempotent success. It is returned together with
// store.ErrUnavailable.
var ErrOutcomeUnknown = errors.New("cassandra: outcome of a timed-out conditional append unknown")

// readBackTimeout caps the read-back of a timed-out conditional append.
const readBackTimeout = 10 * time.Second

// casExecutor runs a conditional batch; it is the driver's MapExecCAS, and
// tests replace it to inject the faults a single healthy node never shows.
type casExecutor func(ctx context.Context, b *gocql.Batch, dest map[string]any) (applied bool, it *gocql.Iter, err error)

// Store is the Cassandra backend. It is safe for concurrent use.
type Store struct {
	cfg    Config
	repl   ReplicationInfo
	sess   *gocql.Session
	closed atomic.Bool

	readCL, writeCL, serialCL gocql.Consistency
	q                         queries
	execCAS                   casExecutor
	// texts interns type and codec strings for the readers (textTable).
	texts textTable
	// bulk bounds the bulk batches in flight (bulk.go).
	bulk *inFlight
}

var _ store.Store = (*Store)(nil)

// Replication is the replication of the store's keyspace, as found or as
// chosen when Open created it.
func (s *Store) Replication() ReplicationInfo { return s.repl }

// queries are the statements of one keyspace. gocql prepares each on first
// use and caches it; every partition-key column is a bind marker so that
// token-aware routing picks a replica.
type queries struct {
	hot                                 string // events table of the mode
	insertEvent, insertHead, updateHead string
	load, readBack                      string
	// replay is load without recorded_at (replay.go).
	replay                                   string
	marker, setArchived, deleteHot           string
	insertArchive, loadArchive, archiveIDs   string
	saveSnap, latestSnap, snapVersions       string
	deleteSnapsUpTo, deleteSnaps, oldestSnap string
	insertPlain                              string
	// Bulk loading (bulk.go).
	bulkHead, setMark, marks string
	// Dataset manifest (dataset.go).
	readDataset, writeDataset string
	anyStream                 []string
}

func newQueries(ks string, mode Mode) queries {
	hot := ks + ".events"
	if mode == ModeUnconditional {
		hot = ks + ".events_unconditional"
	}
	const cols = "version, event_id, type, schema_version, codec, payload, metadata, recorded_at"
	const key = "customer = ? AND aggregate_type = ? AND aggregate_id = ?"
	return queries{
		hot: hot,
		insertEvent: "INSERT INTO " + hot + " (customer, aggregate_type, aggregate_id, " + cols +
			") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS",
		insertPlain: "INSERT INTO " + hot + " (customer, aggregate_type, aggregate_id, " + cols +
			") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		insertHead:  "INSERT INTO " + hot + " (customer, aggregate_type, aggregate_id, version, head) VALUES (?, ?, ?, 0, ?) IF NOT EXISTS",
		updateHead:  "UPDATE " + hot + " SET head = ? WHERE " + key + " AND version = 0 IF head = ?",
		load:        "SELECT " + cols + " FROM " + hot + " WHERE " + key + " AND version >= ?",
		replay:      "SELECT version, event_id, type, schema_version, codec, payload, metadata FROM " + hot + " WHERE " + key + " AND version >= ?",
		readBack:    "SELECT version, event_id, head FROM " + hot + " WHERE " + key + " AND version IN ?",
		marker:      "SELECT head, archived FROM " + hot + " WHERE " + key + " AND version = 0",
		setArchived: "UPDATE " + hot + " SET archived = ? WHERE " + key + " AND version = 0" + map[Mode]string{ModeConditional: " IF EXISTS", ModeUnconditional: " AND event_id = ''"}[mode],
		deleteHot:   "DELETE FROM " + hot + " WHERE " + key + " AND version >= 1 AND version <= ?",
		insertArchive: "INSERT INTO " + ks + ".events_archive (customer, aggregate_type, aggregate_id, " + cols +
			") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		archiveIDs:      "SELECT version, event_id FROM " + ks + ".events_archive WHERE " + key + " AND version >= ? AND version <= ?",
		loadArchive:     "SELECT " + cols + " FROM " + ks + ".events_archive WHERE " + key,
		saveSnap:        "INSERT INTO " + ks + ".snapshots (customer, aggregate_type, aggregate_id, version, type, schema_version, codec, payload, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
		latestSnap:      "SELECT version, type, schema_version, codec, payload, created_at FROM " + ks + ".snapshots WHERE " + key + " AND version <= ? LIMIT 1",
		snapVersions:    "SELECT version FROM " + ks + ".snapshots WHERE " + key + " LIMIT ?",
		oldestSnap:      "SELECT version FROM " + ks + ".snapshots WHERE " + key + " ORDER BY aggregate_type DESC, aggregate_id DESC, version ASC LIMIT 1",
		deleteSnapsUpTo: "DELETE FROM " + ks + ".snapshots WHERE " + key + " AND version <= ?",
		deleteSnaps:     "DELETE FROM " + ks + ".snapshots WHERE " + key,
		bulkHead:        "INSERT INTO " + hot + " (customer, aggregate_type, aggregate_id, version, head) VALUES (?, ?, ?, 0, ?)",
		setMark:         "INSERT INTO " + ks + ".preload_marks (part, range_from, range_to) VALUES (?, ?, ?)",
		marks:           "SELECT part, range_from, range_to FROM " + ks + ".preload_marks",
		readDataset:     "SELECT manifest FROM " + ks + ".datasets WHERE name = ?",
		writeDataset:    "INSERT INTO " + ks + ".datasets (name, manifest, written) VALUES (?, ?, ?)",
		anyStream:       []string{"SELECT customer FROM " + ks + ".events LIMIT 1", "SELECT customer FROM " + ks + ".events_unconditional LIMIT 1"},
	}
}

// Open connects to the cluster of cfg, creates the schema when
// cfg.CreateSchema is set, and checks the tables' shape. Unreachable contact
// points fail within cfg.ConnectTimeout with an error naming them and
// wrapping store.ErrUnavailable.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	sess, err := connect(ctx, cfg)
	if err != nil {
		return nil, err
	}
	cfg, repl, err := resolveReplication(ctx, sess, cfg)
	if err == nil {
		if cfg.CreateSchema {
			var stmts []string
			if stmts, err = SchemaCQL(cfg); err == nil {
				err = applySchema(ctx, sess, cfg, stmts)
			}
		} else {
			err = checkSchema(ctx, sess, cfg.Keyspace)
		}
	}
	if err != nil {
		sess.Close()
		return nil, err
	}
	s := &Store{
		cfg:      cfg,
		repl:     repl,
		sess:     sess,
		readCL:   gocql.ParseConsistency(cfg.ReadConsistency),
		writeCL:  gocql.ParseConsistency(cfg.WriteConsistency),
		serialCL: gocql.ParseConsistency(cfg.SerialConsistency),
		q:        newQueries(cfg.Keyspace, cfg.Mode),
		bulk:     newInFlight(BulkMaxInFlight / 4),
	}
	s.execCAS = func(ctx context.Context, b *gocql.Batch, dest map[string]any) (bool, *gocql.Iter, error) {
		return b.MapExecCASContext(ctx, dest)
	}
	return s, nil
}

// tlsHint explains a reset plain connection: a node that requires client
// TLS drops a client that speaks plain CQL to it, which the driver reports
// only as a reset or an EOF.
func tlsHint(cfg Config, err error) string {
	if cfg.TLS.Enabled {
		return ""
	}
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) ||
		strings.Contains(err.Error(), "connection reset by peer") || strings.HasSuffix(err.Error(), "EOF") {
		return " (the node closed a plain connection: does it require client TLS? enable TLS, e.g. --cassandra-tls)"
	}
	return ""
}

// connect opens a session without a keyspace (statements name it), so that
// the same session can create the keyspace.
func connect(ctx context.Context, cfg Config) (*gocql.Session, error) {
	type result struct {
		s   *gocql.Session
		err error
	}
	done := make(chan result, 1)
	start := time.Now()
	go func() {
		s, err := cfg.clusterConfig("").CreateSession()
		done <- result{s, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return nil, fmt.Errorf("cassandra: cannot connect to contact points %s (connect timeout %s, gave up after %s): %w: %w%s",
				cfg.contactPoints(), cfg.ConnectTimeout, time.Since(start).Round(time.Millisecond), store.ErrUnavailable, r.err, tlsHint(cfg, r.err))
		}
		return r.s, nil
	case <-ctx.Done():
		go func() {
			if r := <-done; r.s != nil {
				r.s.Close()
			}
		}()
		return nil, fmt.Errorf("cassandra: connecting to contact points %s: %w", cfg.contactPoints(), ctx.Err())
	}
}

// Config returns the effective configuration (defaults applied).
func (s *Store) Config() Config { return s.cfg }

// Close closes the session; later calls return store.ErrClosed.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.sess.Close()
	return nil
}

func (s *Store) check(ctx context.Context) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	return ctx.Err()
}

// unavailable wraps a driver error in store.ErrUnavailable, except the
// caller's own cancellation and requests the server refused as malformed.
func unavailable(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var inv *gocql.RequestErrInvalid
	var syn *gocql.RequestErrSyntax
	if errors.As(err, &inv) || errors.As(err, &syn) {
		return err
	}
	return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
}

// fail maps a failed request: ErrClosed when the store was closed under
// it, else as unavailable does.
func (s *Store) fail(err error) error {
	if s.closed.Load() && !errors.Is(err, store.ErrClosed) {
		return fmt.Errorf("%w: %w", store.ErrClosed, err)
	}
	return unavailable(err)
}

// failWrite is fail for writes, whose oversized batches are the caller's.
func (s *Store) failWrite(err error) error {
	if s.closed.Load() {
		return s.fail(err)
	}
	return classifyWrite(err)
}

func version64(v uint64, what string, st store.StreamID) (int64, error) {
	if v > math.MaxInt64 {
		return 0, fmt.Errorf("%w: %s %d of %s exceeds Cassandra's bigint", store.ErrInvalid, what, v, st)
	}
	return int64(v), nil
}

// --- append ---

// Append implements store.EventStore.
func (s *Store) Append(ctx context.Context, reqs ...store.AppendRequest) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	if err := store.CheckAppend(reqs); err != nil {
		return err
	}
	for _, r := range reqs {
		if _, err := version64(r.ExpectedVersion+uint64(len(r.Events)), "last version", r.Stream); err != nil || r.ExpectedVersion > math.MaxInt64-uint64(len(r.Events)) {
			return fmt.Errorf("%w: expected version %d of %s leaves no room for %d events", store.ErrInvalid, r.ExpectedVersion, r.Stream, len(r.Events))
		}
	}
	if s.cfg.Mode == ModeUnconditional {
		return s.appendPlain(ctx, reqs)
	}
	return s.appendConditional(ctx, reqs)
}

func eventArgs(st store.StreamID, v int64, e store.Record) []any {
	var md map[string]string
	if len(e.Metadata) > 0 {
		md = e.Metadata
	}
	return []any{st.Customer, st.AggregateType, st.AggregateID, v, e.EventID, e.Type, int(e.SchemaVersion), e.Codec, e.Payload, md, e.RecordedAt}
}

func (s *Store) appendPlain(ctx context.Context, reqs []store.AppendRequest) error {
	// One partition, so an unlogged batch is still atomic and isolated; it
	// rewrites identical rows on a retry, hence idempotent.
	b := s.sess.Batch(gocql.UnloggedBatch).Consistency(s.writeCL)
	for _, r := range reqs {
		for i, e := range r.Events {
			b.Query(s.q.insertPlain, eventArgs(r.Stream, int64(r.ExpectedVersion)+int64(i)+1, e)...)
		}
	}
	markIdempotent(b)
	if err := b.ExecContext(ctx); err != nil {
		return fmt.Errorf("cassandra: append to %s: %w", reqs[0].Stream, s.failWrite(err))
	}
	return nil
}

// classifyWrite maps a refused write: an oversized batch is the caller's
// input, everything else the backend's trouble.
func classifyWrite(err error) error {
	var inv *gocql.RequestErrInvalid
	if errors.As(err, &inv) {
		return fmt.Errorf("%w: %w", store.ErrInvalid, err)
	}
	return unavailable(err)
}

func (s *Store) appendConditional(ctx context.Context, reqs []store.AppendRequest) error {
	b := s.sess.Batch(gocql.LoggedBatch).Consistency(s.writeCL).SerialConsistency(s.serialCL)
	// A conditional batch is not idempotent: a blind retry of one that did
	// apply would come back as not applied. Timeouts are resolved by reading
	// back instead.
	b.RetryPolicy(&gocql.SimpleRetryPolicy{NumRetries: 0})
	for _, r := range reqs {
		st := r.Stream
		exp := int64(r.ExpectedVersion)
		last := exp + int64(len(r.Events))
		if exp == 0 {
			b.Query(s.q.insertHead, st.Customer, st.AggregateType, st.AggregateID, last)
		} else {
			b.Query(s.q.updateHead, last, st.Customer, st.AggregateType, st.AggregateID, exp)
		}
		for i, e := range r.Events {
			b.Query(s.q.insertEvent, eventArgs(st, exp+int64(i)+1, e)...)
		}
	}
	first := map[string]any{}
	applied, it, err := s.execCAS(ctx, b, first)
	if err != nil {
		if isTimeout(err) {
			return s.resolveTimeout(ctx, reqs, err)
		}
		if cerr := ctx.Err(); cerr != nil {
			// Cancelled while the batch may have been on the wire: no proof
			// either way, and the caller asked not to wait for one.
			return fmt.Errorf("cassandra: append to %s cancelled in flight (%v); retrying it is safe: %w: %w",
				reqs[0].Stream, err, ErrOutcomeUnknown, cerr)
		}
		return fmt.Errorf("cassandra: append to %s: %w", reqs[0].Stream, s.failWrite(err))
	}
	if applied {
		if it != nil {
			_ = it.Close()
		}
		return nil
	}
	rows := []map[string]any{first}
	if it != nil {
		for {
			m := map[string]any{}
			if !it.MapScan(m) {
				break
			}
			rows = append(rows, m)
		}
		if err := it.Close(); err != nil {
			return fmt.Errorf("cassandra: reading the rows of a failed conditional append to %s: %w", reqs[0].Stream, s.fail(err))
		}
	}
	states := streamStates(rows)
	if err := s.fillArchived(ctx, reqs, states); err != nil {
		return err
	}
	return decide(reqs, states)
}

// fillArchived looks up, in the cold tier, the event ids of targeted
// versions that the stream has passed but the hot table no longer holds, so
// that the retry of an append whose events were archived since is still
// recognised.
func (s *Store) fillArchived(ctx context.Context, reqs []store.AppendRequest, states map[[2]string]*streamState) error {
	for _, r := range reqs {
		st := states[[2]string{r.Stream.AggregateType, r.Stream.AggregateID}]
		if st == nil {
			continue
		}
		lo, hi := int64(r.ExpectedVersion)+1, int64(r.ExpectedVersion)+int64(len(r.Events))
		hi = min(hi, st.head)
		missing := false
		for v := lo; v <= hi; v++ {
			if _, ok := st.ids[v]; !ok {
				missing = true
				break
			}
		}
		if !missing {
			continue
		}
		it := s.sess.Query(s.q.archiveIDs, r.Stream.Customer, r.Stream.AggregateType, r.Stream.AggregateID, lo, hi).
			Consistency(s.readCL).Idempotent(true).IterContext(ctx)
		var v int64
		var eid string
		for it.Scan(&v, &eid) {
			if _, ok := st.ids[v]; !ok {
				st.ids[v] = eid
			}
		}
		if err := it.Close(); err != nil {
			return fmt.Errorf("cassandra: append to %s: reading archived event ids: %w", r.Stream, s.fail(err))
		}
	}
	return nil
}

// streamState is what the server holds at the versions an append targeted.
type streamState struct {
	head int64
	ids  map[int64]string
}

func streamStates(rows []map[string]any) map[[2]string]*streamState {
	out := map[[2]string]*streamState{}
	for _, m := range rows {
		typ, _ := m["aggregate_type"].(string)
		id, _ := m["aggregate_id"].(string)
		if typ == "" && id == "" {
			continue
		}
		k := [2]string{typ, id}
		st := out[k]
		if st == nil {
			st = &streamState{ids: map[int64]string{}}
			out[k] = st
		}
		v := asInt64(m["version"])
		if v == 0 {
			st.head = asInt64(m["head"])
			continue
		}
		eid, _ := m["event_id"].(string)
		st.ids[v] = eid
	}
	return out
}

func asInt64(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case *int64:
		if x != nil {
			return *x
		}
	case int:
		return int64(x)
	}
	return 0
}

// decide turns the server's state at the targeted versions into the
// append's outcome: an idempotent success when every request's events are
// already stored at their versions with the same ids, else a conflict on the
// first stream that is not where the request expected it.
func decide(reqs []store.AppendRequest, states map[[2]string]*streamState) error {
	get := func(st store.StreamID) *streamState {
		if s := states[[2]string{st.AggregateType, st.AggregateID}]; s != nil {
			return s
		}
		return &streamState{ids: map[int64]string{}}
	}
	all := true
	for _, r := range reqs {
		if !matches(r, get(r.Stream)) {
			all = false
			break
		}
	}
	if all {
		return nil
	}
	for _, r := range reqs {
		st := get(r.Stream)
		if st.head != int64(r.ExpectedVersion) || len(st.ids) > 0 {
			return &store.ConflictError{Stream: r.Stream, Expected: r.ExpectedVersion, Actual: uint64(max(st.head, 0))}
		}
	}
	return fmt.Errorf("cassandra: conditional append to %s not applied, yet every stream is at its expected version: %w", reqs[0].Stream, store.ErrUnavailable)
}

func matches(r store.AppendRequest, st *streamState) bool {
	for i, e := range r.Events {
		if got, ok := st.ids[int64(r.ExpectedVersion)+int64(i)+1]; !ok || got != e.EventID {
			return false
		}
	}
	return true
}

func isTimeout(err error) bool {
	var wt *gocql.RequestErrWriteTimeout
	var cu *gocql.RequestErrCASWriteUnknown
	var ne net.Error
	switch {
	case errors.As(err, &wt), errors.As(err, &cu):
		return true
	case errors.Is(err, gocql.ErrTimeoutNoResponse), errors.Is(err, context.DeadlineExceeded):
		return true
	case errors.As(err, &ne) && ne.Timeout():
		return true
	}
	return false
}

// resolveTimeout settles a conditional append whose outcome is unknown by
// reading the targeted rows back at serial consistency (a serial read
// completes any Paxos round in flight). Success needs proof: every event
// stored at its version with its id. Another event at one of the versions
// proves a conflict (the batch can never apply). Anything else stays
// unknown.
func (s *Store) resolveTimeout(ctx context.Context, reqs []store.AppendRequest, cause error) error {
	// The caller's own deadline may be what expired; the read-back gets a
	// bounded budget of its own, since only it can turn "unknown" into an
	// answer.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), min(s.cfg.Timeout, readBackTimeout))
	defer cancel()
	states := map[[2]string]*streamState{}
	for _, r := range reqs {
		st := r.Stream
		vs := []int64{0}
		for i := range r.Events {
			vs = append(vs, int64(r.ExpectedVersion)+int64(i)+1)
		}
		it := s.sess.Query(s.q.readBack, st.Customer, st.AggregateType, st.AggregateID, vs).
			Consistency(s.serialCL).IterContext(rctx)
		state := &streamState{ids: map[int64]string{}}
		var v int64
		var eid string
		var head *int64
		for it.Scan(&v, &eid, &head) {
			if v == 0 {
				if head != nil {
					state.head = *head
				}
				continue
			}
			state.ids[v] = eid
		}
		if err := it.Close(); err != nil {
			return fmt.Errorf("cassandra: append to %s timed out (%v) and reading it back failed: %w: %w: %w",
				st, cause, ErrOutcomeUnknown, store.ErrUnavailable, err)
		}
		states[[2]string{st.AggregateType, st.AggregateID}] = state
	}
	all := true
	for _, r := range reqs {
		if !matches(r, states[[2]string{r.Stream.AggregateType, r.Stream.AggregateID}]) {
			all = false
		}
	}
	if all {
		return nil
	}
	for _, r := range reqs {
		st := states[[2]string{r.Stream.AggregateType, r.Stream.AggregateID}]
		for i, e := range r.Events {
			if got, ok := st.ids[int64(r.ExpectedVersion)+int64(i)+1]; ok && got != e.EventID {
				return &store.ConflictError{Stream: r.Stream, Expected: r.ExpectedVersion, Actual: uint64(max(st.head, 0))}
			}
		}
	}
	return fmt.Errorf("cassandra: append to %s timed out (%v) and the read-back proves neither outcome; retrying it is safe: %w: %w",
		reqs[0].Stream, cause, ErrOutcomeUnknown, store.ErrUnavailable)
}

// --- load ---

// Load implements store.EventStore. It reads page by page (Config.PageSize).
// The read starts at the row of version `after` itself, so the usual case
// proves in one query that nothing after `after` was archived; only when
// that row is missing does it read the stream's marker row.
func (s *Store) Load(ctx context.Context, st store.StreamID, after uint64) iter.Seq2[store.Record, error] {
	return func(yield func(store.Record, error) bool) {
		if err := s.check(ctx); err != nil {
			yield(store.Record{}, err)
			return
		}
		if err := st.Validate(); err != nil {
			yield(store.Record{}, err)
			return
		}
		if after >= math.MaxInt64 {
			return
		}
		lo := max(int64(after), 1)
		it := s.sess.Query(s.q.load, st.Customer, st.AggregateType, st.AggregateID, lo).
			Consistency(s.readCL).PageSize(s.cfg.PageSize).Idempotent(true).IterContext(ctx)
		defer it.Close()
		var seen map[string]struct{}
		if s.cfg.Mode == ModeUnconditional {
			seen = map[string]struct{}{}
		}
		var div divergence
		checked := false
		for {
			r, ok := scanRecord(it)
			if !ok {
				break
			}
			if err := s.check(ctx); err != nil {
				yield(store.Record{}, err)
				return
			}
			if !checked {
				checked = true
				if r.Version > after+1 {
					if err := s.checkArchived(ctx, st, after); err != nil {
						yield(store.Record{}, err)
						return
					}
				}
			}
			if seen != nil {
				if _, dup := seen[r.EventID]; dup {
					continue
				}
				seen[r.EventID] = struct{}{}
			}
			if r.Version <= after {
				continue
			}
			if seen != nil {
				if derr := div.check(st, r); derr != nil {
					if !yield(store.Record{}, derr) {
						return
					}
					continue
				}
			}
			if !yield(r, nil) {
				return
			}
		}
		if err := it.Close(); err != nil {
			if cerr := s.check(ctx); cerr != nil {
				yield(store.Record{}, cerr)
				return
			}
			yield(store.Record{}, fmt.Errorf("cassandra: load %s after %d: %w", st, after, s.fail(err)))
			return
		}
		if !checked {
			if err := s.checkArchived(ctx, st, after); err != nil {
				yield(store.Record{}, err)
			}
		}
	}
}

// checkArchived returns store.ErrArchived when events after `after` were
// moved to the cold tier.
func (s *Store) checkArchived(ctx context.Context, st store.StreamID, after uint64) error {
	_, archived, err := s.marker(ctx, st)
	if err != nil {
		return err
	}
	if archived > 0 && uint64(archived) > after {
		return fmt.Errorf("%w: %s: versions up to %d are in the cold tier; load after %d or use LoadAudit", store.ErrArchived, st, archived, after)
	}
	return nil
}

func (s *Store) marker(ctx context.Context, st store.StreamID) (head, archived int64, err error) {
	var h, a *int64
	err = s.sess.Query(s.q.marker, st.Customer, st.AggregateType, st.AggregateID).
		Consistency(s.readCL).Idempotent(true).ScanContext(ctx, &h, &a)
	if errors.Is(err, gocql.ErrNotFound) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("cassandra: reading the marker row of %s: %w", st, s.fail(err))
	}
	if h != nil {
		head = *h
	}
	if a != nil {
		archived = *a
	}
	return head, archived, nil
}

// scanRecord reads the columns of newQueries' cols into a fresh Record.
func scanRecord(it *gocql.Iter) (store.Record, bool) {
	var (
		r   store.Record
		v   int64
		sv  int
		md  map[string]string
		eid string
	)
	if !it.Scan(&v, &eid, &r.Type, &sv, &r.Codec, &r.Payload, &md, &r.RecordedAt) {
		return r, false
	}
	r.Version = uint64(v)
	r.EventID = eid
	r.SchemaVersion = uint16(sv)
	if len(md) > 0 {
		r.Metadata = md
	}
	return r, true
}

// --- snapshots ---

func checkSnapshot(sn store.Snapshot) error {
	if err := store.CheckSnapshot(sn); err != nil {
		return err
	}
	_, err := version64(sn.Version, "snapshot version", sn.Stream)
	return err
}

// SaveSnapshot implements store.SnapshotStore.
func (s *Store) SaveSnapshot(ctx context.Context, sn store.Snapshot) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	if err := checkSnapshot(sn); err != nil {
		return err
	}
	st := sn.Stream
	err := s.sess.Query(s.q.saveSnap, st.Customer, st.AggregateType, st.AggregateID, int64(sn.Version), sn.Type, int(sn.SchemaVersion), sn.Codec, sn.Payload, sn.CreatedAt).
		Consistency(s.writeCL).Idempotent(true).ExecContext(ctx)
	if err != nil {
		return fmt.Errorf("cassandra: save snapshot of %s at %d: %w", st, sn.Version, s.failWrite(err))
	}
	return nil
}

// LatestSnapshot implements store.SnapshotStore with a forward LIMIT 1 on
// the version-descending clustering. The row is read as a replay's are
// (snapshotRow): the payload is the response frame's, which the driver
// never reuses, so it stays valid and unchanged as the read-only payload
// of store.SnapshotStore must.
func (s *Store) LatestSnapshot(ctx context.Context, st store.StreamID, atOrBelow uint64) (store.Snapshot, bool, error) {
	if err := s.check(ctx); err != nil {
		return store.Snapshot{}, false, err
	}
	if err := st.Validate(); err != nil {
		return store.Snapshot{}, false, err
	}
	if atOrBelow == 0 {
		return store.Snapshot{}, false, nil
	}
	bound := int64(min(atOrBelow, math.MaxInt64))
	row := snapshotRow{typ: internedText{tab: &s.texts}, codec: internedText{tab: &s.texts}}
	dest := row.dest()
	err := s.sess.Query(s.q.latestSnap, st.Customer, st.AggregateType, st.AggregateID, bound).
		Consistency(s.readCL).Idempotent(true).
		ScanContext(ctx, dest[:]...)
	if errors.Is(err, gocql.ErrNotFound) {
		return store.Snapshot{}, false, nil
	}
	if err != nil {
		return store.Snapshot{}, false, fmt.Errorf("cassandra: latest snapshot of %s: %w", st, s.fail(err))
	}
	return row.snapshot(st), true, nil
}

// TrimSnapshots implements store.SnapshotStore: it finds the newest
// snapshot to drop and deletes it and everything older with one range
// tombstone.
func (s *Store) TrimSnapshots(ctx context.Context, st store.StreamID, keep int) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	if err := st.Validate(); err != nil {
		return err
	}
	if keep < 0 {
		return fmt.Errorf("%w: keep %d snapshots of %s", store.ErrInvalid, keep, st)
	}
	if keep == 0 {
		if err := s.sess.Query(s.q.deleteSnaps, st.Customer, st.AggregateType, st.AggregateID).
			Consistency(s.writeCL).Idempotent(true).ExecContext(ctx); err != nil {
			return fmt.Errorf("cassandra: trim snapshots of %s: %w", st, s.fail(err))
		}
		return nil
	}
	it := s.sess.Query(s.q.snapVersions, st.Customer, st.AggregateType, st.AggregateID, keep+1).
		Consistency(s.readCL).Idempotent(true).IterContext(ctx)
	var v, n, cut int64
	for it.Scan(&v) {
		n++
		cut = v
	}
	if err := it.Close(); err != nil {
		return fmt.Errorf("cassandra: trim snapshots of %s: %w", st, s.fail(err))
	}
	if n <= int64(keep) {
		return nil
	}
	if err := s.sess.Query(s.q.deleteSnapsUpTo, st.Customer, st.AggregateType, st.AggregateID, cut).
		Consistency(s.writeCL).Idempotent(true).ExecContext(ctx); err != nil {
		return fmt.Errorf("cassandra: trim snapshots of %s: %w", st, s.fail(err))
	}
	return nil
}

// --- archival ---

// archiveBatchBytes keeps copy batches under Cassandra's default batch
// size warning region, far from its 50 KiB failure threshold.
const archiveBatchBytes = 24 << 10

// Archive implements store.Archiver as copy-then-range-delete: the events
// at or below the oldest kept snapshot are copied to events_archive, the
// stream's marker row records how far the cold tier reaches, then one range
// tombstone removes them from the hot table. A crash in between leaves
// events in both tiers, which loads tolerate and a rerun completes.
func (s *Store) Archive(ctx context.Context, st store.StreamID) (int, error) {
	if err := s.check(ctx); err != nil {
		return 0, err
	}
	if err := st.Validate(); err != nil {
		return 0, err
	}
	var oldest int64
	err := s.sess.Query(s.q.oldestSnap, st.Customer, st.AggregateType, st.AggregateID).
		Consistency(s.readCL).Idempotent(true).ScanContext(ctx, &oldest)
	if errors.Is(err, gocql.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("cassandra: archive %s: oldest snapshot: %w", st, s.fail(err))
	}
	_, archived, err := s.marker(ctx, st)
	if err != nil {
		return 0, err
	}
	// Copy every hot row up to the snapshot, including any left behind by an
	// interrupted earlier run.
	it := s.sess.Query(s.q.load, st.Customer, st.AggregateType, st.AggregateID, int64(1)).
		Consistency(s.readCL).PageSize(s.cfg.PageSize).Idempotent(true).IterContext(ctx)
	moved := 0
	var highest int64
	b := s.newArchiveBatch()
	size := 0
	flush := func() error {
		if len(b.Entries) == 0 {
			return nil
		}
		markIdempotent(b)
		if err := b.ExecContext(ctx); err != nil {
			return fmt.Errorf("cassandra: archive %s: copy: %w", st, s.fail(err))
		}
		b = s.newArchiveBatch()
		size = 0
		return nil
	}
	for {
		r, ok := scanRecord(it)
		if !ok || int64(r.Version) > oldest {
			break
		}
		b.Query(s.q.insertArchive, eventArgs(st, int64(r.Version), r)...)
		size += r.Size()
		moved++
		highest = int64(r.Version)
		if size >= archiveBatchBytes || len(b.Entries) >= 100 {
			if err := flush(); err != nil {
				_ = it.Close()
				return 0, err
			}
		}
	}
	if err := it.Close(); err != nil {
		return 0, fmt.Errorf("cassandra: archive %s: read: %w", st, s.fail(err))
	}
	if err := flush(); err != nil {
		return 0, err
	}
	if moved == 0 {
		return 0, nil
	}
	if highest > archived {
		q := s.sess.Query(s.q.setArchived, highest, st.Customer, st.AggregateType, st.AggregateID)
		if s.cfg.Mode == ModeConditional {
			// The marker row is the head row that appends update with Paxos;
			// writing it outside Paxos could be lost to a concurrent append.
			applied, err := q.Consistency(s.writeCL).SerialConsistency(s.serialCL).MapScanCASContext(ctx, map[string]any{})
			if err != nil {
				return 0, fmt.Errorf("cassandra: archive %s: mark: %w", st, s.fail(err))
			}
			if !applied {
				return 0, fmt.Errorf("cassandra: archive %s: the stream's head row is missing: %w", st, store.ErrUnavailable)
			}
		} else if err := q.Consistency(s.writeCL).Idempotent(true).ExecContext(ctx); err != nil {
			return 0, fmt.Errorf("cassandra: archive %s: mark: %w", st, s.fail(err))
		}
	}
	if err := s.sess.Query(s.q.deleteHot, st.Customer, st.AggregateType, st.AggregateID, highest).
		Consistency(s.writeCL).Idempotent(true).ExecContext(ctx); err != nil {
		return 0, fmt.Errorf("cassandra: archive %s: delete from the hot table: %w", st, s.fail(err))
	}
	return moved, nil
}

func (s *Store) newArchiveBatch() *gocql.Batch {
	return s.sess.Batch(gocql.UnloggedBatch).Consistency(s.writeCL)
}

// markIdempotent lets the driver retry b: every entry rewrites identical
// rows.
func markIdempotent(b *gocql.Batch) {
	for i := range b.Entries {
		b.Entries[i].Idempotent = true
	}
}

// divergence tracks the last event a load yielded, to tell a second,
// different event at the same version (two unconditional writers that both
// appended at one expected version) from the rows after it. Rows arrive in
// (version, event id) order and further copies of a yielded event id are
// dropped before this check, so only truly different events are reported.
type divergence struct {
	version uint64
	eventID string
}

func (d *divergence) check(st store.StreamID, r store.Record) error {
	if d.eventID != "" && r.Version == d.version && r.EventID != d.eventID {
		return &store.DivergenceError{Stream: st, Version: r.Version, Kept: d.eventID, Other: r.EventID}
	}
	d.version, d.eventID = r.Version, r.EventID
	return nil
}

// LoadAudit implements store.Archiver: the cold tier first, then the hot
// events after the last cold version. In unconditional mode further copies
// of an event id are dropped and a second event at one version is yielded
// as a *store.DivergenceError.
func (s *Store) LoadAudit(ctx context.Context, st store.StreamID) iter.Seq2[store.Record, error] {
	return s.loadAudit(ctx, st, s.cfg.Mode == ModeUnconditional)
}

// ReadRaw implements store.RawReader: every stored row of the stream, both
// tiers, with no copy dropped and no divergence reported.
func (s *Store) ReadRaw(ctx context.Context, st store.StreamID) iter.Seq2[store.Record, error] {
	return s.loadAudit(ctx, st, false)
}

func (s *Store) loadAudit(ctx context.Context, st store.StreamID, dedupe bool) iter.Seq2[store.Record, error] {
	return func(yield func(store.Record, error) bool) {
		if err := s.check(ctx); err != nil {
			yield(store.Record{}, err)
			return
		}
		if err := st.Validate(); err != nil {
			yield(store.Record{}, err)
			return
		}
		seen := map[string]struct{}{}
		var div divergence
		var last int64
		for _, tier := range []struct {
			stmt string
			from int64
		}{{s.q.loadArchive, -1}, {s.q.load, 0}} {
			var it *gocql.Iter
			if tier.from < 0 {
				it = s.sess.Query(tier.stmt, st.Customer, st.AggregateType, st.AggregateID).
					Consistency(s.readCL).PageSize(s.cfg.PageSize).Idempotent(true).IterContext(ctx)
			} else {
				it = s.sess.Query(tier.stmt, st.Customer, st.AggregateType, st.AggregateID, last+1).
					Consistency(s.readCL).PageSize(s.cfg.PageSize).Idempotent(true).IterContext(ctx)
			}
			for {
				r, ok := scanRecord(it)
				if !ok {
					break
				}
				if err := s.check(ctx); err != nil {
					_ = it.Close()
					yield(store.Record{}, err)
					return
				}
				if dedupe {
					if _, dup := seen[r.EventID]; dup {
						continue
					}
					seen[r.EventID] = struct{}{}
				}
				last = max(last, int64(r.Version))
				if dedupe {
					if derr := div.check(st, r); derr != nil {
						if !yield(store.Record{}, derr) {
							_ = it.Close()
							return
						}
						continue
					}
				}
				if !yield(r, nil) {
					_ = it.Close()
					return
				}
			}
			if err := it.Close(); err != nil {
				if cerr := s.check(ctx); cerr != nil {
					yield(store.Record{}, cerr)
					return
				}
				yield(store.Record{}, fmt.Errorf("cassandra: audit load of %s: %w", st, s.fail(err)))
				return
			}
		}
	}
}
