package cassandra

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/esbench/esbench/refimpl/store"
)

// Bulk loading (docs/design.md §16): a customer's fresh streams are plain
// rows in one partition, so they go as unlogged single-partition batches
// (one mutation on the replica, no batch log, no Paxos), routed to a
// replica by the driver's token-aware policy, which takes the partition
// key of a batch's first statement. Batches are sent concurrently, at most
// the in-flight limit of the store at once; a timed-out or overloaded
// batch halves that limit and is sent again after a pause (the rows are
// the same, so a resend is idempotent), and each run of successes as long
// as the limit raises it by one, up to BulkMaxInFlight.
const (
	// BulkMaxInFlight is the most bulk batches a store has in flight.
	BulkMaxInFlight = 64
	// bulkBatchBytes bounds the rows of one batch (payloads, ids and
	// keys), well under Cassandra's default batch_size_fail_threshold
	// (50 KiB); a customer whose history is larger goes in several.
	bulkBatchBytes = 24 << 10
	// bulkAttempts is how often a batch is sent before the load fails.
	bulkAttempts = 8
	// bulkBackoff is the first pause after a timeout; it doubles per
	// attempt up to bulkMaxBackoff.
	bulkBackoff    = 100 * time.Millisecond
	bulkMaxBackoff = 5 * time.Second
	// bulkTimestamp is the write time (microseconds since the epoch) of
	// every bulk row: older than anything a service writes, so a preload
	// that runs late (a second process preloading the same population
	// while the first already serves it) never overwrites a newer head,
	// event or deletion; its rows only fill what is missing.
	bulkTimestamp = 1
)

var _ store.BulkLoader = (*Store)(nil)

// inFlight bounds the bulk batches in flight with an additive-increase,
// multiplicative-decrease limit.
type inFlight struct {
	mu    sync.Mutex
	limit int
	used  int
	// streak counts successes since the limit last changed.
	streak int
	// wake is closed, and replaced, whenever a slot frees.
	wake chan struct{}
}

func newInFlight(limit int) *inFlight {
	return &inFlight{limit: limit, wake: make(chan struct{})}
}

// acquire waits for a slot.
func (f *inFlight) acquire(ctx context.Context) error {
	for {
		f.mu.Lock()
		if f.used < f.limit {
			f.used++
			f.mu.Unlock()
			return nil
		}
		w := f.wake
		f.mu.Unlock()
		select {
		case <-w:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// shrink halves the limit: a batch met a timeout or an overloaded node.
func (f *inFlight) shrink() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.limit = max(1, f.limit/2)
	f.streak = 0
}

// release frees a slot; ok says its batch went through without meeting
// back-pressure, which counts towards raising the limit.
func (f *inFlight) release(ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.used--
	if ok && f.limit < BulkMaxInFlight {
		f.streak++
		if f.streak >= f.limit {
			f.limit++
			f.streak = 0
		}
	}
	close(f.wake)
	f.wake = make(chan struct{})
}

// Limit is the current in-flight limit (for tests and progress).
func (f *inFlight) Limit() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.limit
}

// NewBulkBatch implements store.BulkLoader.
func (s *Store) NewBulkBatch(ctx context.Context) (store.BulkBatch, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	bctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	return &bulkBatch{s: s, ctx: bctx, cancel: cancel}, nil
}

// BulkMarks implements store.BulkLoader.
func (s *Store) BulkMarks(ctx context.Context) ([]store.BulkMark, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	it := s.sess.Query(s.q.marks).Consistency(s.readCL).Idempotent(true).IterContext(ctx)
	var (
		marks          []store.BulkMark
		part, from, to int64
		bad            error
	)
	for it.Scan(&part, &from, &to) {
		if bad == nil && (part < 0 || part > math.MaxUint32 || from < 0 || to < from) {
			bad = fmt.Errorf("cassandra: bulk mark of part %d, range %d-%d in %s.preload_marks is not a range of customers", part, from, to, s.cfg.Keyspace)
		}
		marks = append(marks, store.BulkMark{Part: uint32(part), From: uint64(from), To: uint64(to)})
	}
	if err := it.Close(); err != nil {
		return nil, fmt.Errorf("cassandra: bulk marks: %w", s.fail(err))
	}
	if bad != nil {
		return nil, bad
	}
	return marks, nil
}

type bulkBatch struct {
	s *Store
	// ctx is the batch's own: Abort cancels what is in flight.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu  sync.Mutex
	err error
}

func (b *bulkBatch) fail(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err == nil {
		b.err = err
	}
}

func (b *bulkBatch) failed() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}

// Add sends the customer's rows as they are given: it waits for room in
// the store's in-flight limit (so a slow node slows the preload's
// decisions) and returns once every batch of them is on its way.
func (b *bulkBatch) Add(ctx context.Context, reqs []store.AppendRequest, snaps []store.Snapshot) error {
	if err := b.s.check(ctx); err != nil {
		return err
	}
	if err := b.failed(); err != nil {
		return err
	}
	if err := store.CheckBulkAdd(reqs, snaps); err != nil {
		return err
	}
	for _, r := range reqs {
		if _, err := version64(uint64(len(r.Events)), "last version", r.Stream); err != nil {
			return err
		}
	}
	for _, sn := range snaps {
		if err := checkSnapshot(sn); err != nil {
			return err
		}
	}
	s := b.s
	var (
		cur   *gocql.Batch
		bytes int
	)
	flush := func() error {
		if cur == nil {
			return nil
		}
		gb := cur
		cur, bytes = nil, 0
		return b.send(ctx, gb)
	}
	add := func(size int, stmt string, args ...any) error {
		if cur != nil && bytes+size > bulkBatchBytes {
			if err := flush(); err != nil {
				return err
			}
		}
		if cur == nil {
			cur = s.sess.Batch(gocql.UnloggedBatch).Consistency(s.writeCL).WithTimestamp(bulkTimestamp)
		}
		cur.Query(stmt, args...)
		bytes += size
		return nil
	}
	for _, r := range reqs {
		st := r.Stream
		key := len(st.Customer) + len(st.AggregateType) + len(st.AggregateID) + 8
		if s.cfg.Mode == ModeConditional {
			// The head row later conditional appends compare against.
			if err := add(key+8, s.q.bulkHead, st.Customer, st.AggregateType, st.AggregateID, int64(len(r.Events))); err != nil {
				return err
			}
		}
		for i, e := range r.Events {
			size := key + len(e.EventID) + len(e.Type) + len(e.Codec) + len(e.Payload) + 16
			for k, v := range e.Metadata {
				size += len(k) + len(v)
			}
			if err := add(size, s.q.insertPlain, eventArgs(st, int64(i)+1, e)...); err != nil {
				return err
			}
		}
	}
	// Snapshots live in another table, so in a batch of their own: one
	// batch, one table, one partition.
	if err := flush(); err != nil {
		return err
	}
	for _, sn := range snaps {
		st := sn.Stream
		size := len(st.Customer) + len(st.AggregateType) + len(st.AggregateID) + len(sn.Type) + len(sn.Codec) + len(sn.Payload) + 24
		if err := add(size, s.q.saveSnap, st.Customer, st.AggregateType, st.AggregateID, int64(sn.Version), sn.Type, int(sn.SchemaVersion), sn.Codec, sn.Payload, sn.CreatedAt); err != nil {
			return err
		}
	}
	return flush()
}

// send waits for an in-flight slot, then writes gb in the background.
func (b *bulkBatch) send(ctx context.Context, gb *gocql.Batch) error {
	markIdempotent(gb)
	// Resends are this code's, with back-pressure; the driver's retry
	// policy would resend at once.
	gb.RetryPolicy(&gocql.SimpleRetryPolicy{NumRetries: 0})
	if err := b.s.bulk.acquire(ctx); err != nil {
		return err
	}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		if err := b.write(gb); err != nil {
			b.fail(err)
		}
	}()
	return nil
}

// write sends gb until it is acknowledged, pausing and halving the store's
// in-flight limit after each timeout or overload; it holds one slot.
func (b *bulkBatch) write(gb *gocql.Batch) error {
	overloaded := false
	defer func() { b.s.bulk.release(!overloaded) }()
	pause := bulkBackoff
	for attempt := 1; ; attempt++ {
		err := gb.ExecContext(b.ctx)
		if err == nil {
			return nil
		}
		if b.ctx.Err() != nil || b.s.closed.Load() || !backPressure(err) || attempt >= bulkAttempts {
			return fmt.Errorf("cassandra: bulk batch of %d rows for %s (attempt %d): %w", len(gb.Entries), routingCustomer(gb), attempt, b.s.failWrite(err))
		}
		if !overloaded {
			overloaded = true
			b.s.bulk.shrink()
		}
		t := time.NewTimer(pause)
		select {
		case <-t.C:
		case <-b.ctx.Done():
			t.Stop()
			return b.ctx.Err()
		}
		pause = min(2*pause, bulkMaxBackoff)
	}
}

// backPressure reports whether err says the node is behind (a timeout,
// an overloaded or unavailable replica) rather than that the batch is bad.
func backPressure(err error) bool {
	var un *gocql.RequestErrUnavailable
	return isTimeout(err) || errors.As(err, &un) || errors.Is(err, gocql.ErrNoConnections) ||
		errorCode(err) == gocql.ErrCodeOverloaded
}

func errorCode(err error) int {
	var re gocql.RequestError
	if errors.As(err, &re) {
		return re.Code()
	}
	return 0
}

func routingCustomer(gb *gocql.Batch) any {
	if len(gb.Entries) == 0 || len(gb.Entries[0].Args) == 0 {
		return "?"
	}
	return gb.Entries[0].Args[0]
}

// Commit waits for every batch sent, then records mark: a mark is written
// only after all of its range's rows were acknowledged.
func (b *bulkBatch) Commit(ctx context.Context, mark store.BulkMark) error {
	if err := b.s.check(ctx); err != nil {
		b.Abort()
		return err
	}
	done := make(chan struct{})
	go func() { b.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		b.Abort()
		return ctx.Err()
	}
	if err := b.failed(); err != nil {
		return err
	}
	b.cancel() // nothing is in flight any more
	if mark.From > math.MaxInt64 || mark.To > math.MaxInt64 || mark.To < mark.From {
		return fmt.Errorf("%w: bulk mark %d-%d is not a range Cassandra's bigint holds", store.ErrInvalid, mark.From, mark.To)
	}
	err := b.s.sess.Query(b.s.q.setMark, int64(mark.Part), int64(mark.From), int64(mark.To)).
		Consistency(b.s.writeCL).Idempotent(true).ExecContext(ctx)
	if err != nil {
		return fmt.Errorf("cassandra: bulk mark %d-%d of part %d: %w", mark.From, mark.To, mark.Part, b.s.failWrite(err))
	}
	return nil
}

// Abort cancels the batches still in flight and waits for them; rows
// already acknowledged stay, unmarked (a resumed load writes them again,
// identically).
func (b *bulkBatch) Abort() {
	b.cancel()
	b.wg.Wait()
}
