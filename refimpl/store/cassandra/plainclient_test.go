package cassandra

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/esbench/esbench/refimpl/store"
)

// TestPlainClientLoad is the plain-driver client of docs/benchmarks.md's
// client CPU per CQL request: for ESBENCH_PLAIN_LOAD (a duration) it sends,
// at ESBENCH_PLAIN_RATE operations a second from 16 goroutines, the CQL
// requests a service operation on a preloaded keyspace (ESBENCH_PLAIN_KEYSPACE)
// makes of one stream (an account or a license) — the latest snapshot, the
// events after it, one conditional append — straight through gocql with the store's
// statements and session settings, and nothing of esbench's around them:
// no service, decoding, recorder or open-loop generator. Its CPU per
// request, read by TestClientRequestProbe like any other client's, is what
// the driver alone costs for esbench's kind of requests.
func TestPlainClientLoad(t *testing.T) {
	durText := os.Getenv("ESBENCH_PLAIN_LOAD")
	if durText == "" {
		t.Skip("set ESBENCH_PLAIN_LOAD to a duration (and ESBENCH_PLAIN_KEYSPACE to a preloaded keyspace) to run the plain-driver client")
	}
	dur, err := time.ParseDuration(durText)
	if err != nil || dur <= 0 {
		t.Fatalf("ESBENCH_PLAIN_LOAD %q: want a positive duration", durText)
	}
	rate := 150.0
	if r := os.Getenv("ESBENCH_PLAIN_RATE"); r != "" {
		if rate, err = strconv.ParseFloat(r, 64); err != nil || rate <= 0 || rate > 100000 {
			t.Fatalf("ESBENCH_PLAIN_RATE %q: want operations a second in (0, 100000]", r)
		}
	}
	cfg := nodeConfig(t)
	if cfg.Keyspace = os.Getenv("ESBENCH_PLAIN_KEYSPACE"); cfg.Keyspace == "" {
		t.Fatal("ESBENCH_PLAIN_KEYSPACE is not set: name a keyspace `esbench preload --store cassandra` filled")
	}
	s := openStore(t, cfg)
	ctx := context.Background()

	const workers = 16
	// Every stream's head row (version 0). Each worker owns the streams
	// whose index ≡ its number mod workers, so no two appends race for one
	// stream's version.
	owned := make([][]plainStream, workers)
	it := s.sess.Query("SELECT customer, aggregate_type, aggregate_id FROM " + s.q.hot + " WHERE version = 0 ALLOW FILTERING").
		PageSize(5000).IterContext(ctx)
	var (
		st store.StreamID
		n  int
	)
	for it.Scan(&st.Customer, &st.AggregateType, &st.AggregateID) {
		owned[n%workers] = append(owned[n%workers], plainStream{st: st})
		n++
	}
	if err := it.Close(); err != nil {
		t.Fatalf("listing the streams of %s: %v", cfg.Keyspace, err)
	}
	if n < workers {
		t.Fatalf("keyspace %s holds %d streams, want at least %d: preload it first", cfg.Keyspace, n, workers)
	}

	ops := make(chan struct{}, 1024)
	var done, failed atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			mine := owned[w]
			ev := benchRecords(0, 1)
			for range ops {
				ps := &mine[rng.IntN(len(mine))]
				ps.appends++
				ev[0].EventID = "plain-" + strconv.Itoa(w) + "-" + strconv.Itoa(ps.appends)
				err := plainOperation(ctx, s, ps.st, ev)
				if err != nil {
					failed.Add(1)
					once.Do(func() { firstErr = err })
					continue
				}
				done.Add(1)
			}
		}()
	}
	// A fixed schedule of starts, slept to with Go timers, as a plain
	// rate-limited client does.
	start := time.Now()
	interval := time.Duration(float64(time.Second) / rate)
	for i := 1; ; i++ {
		next := start.Add(time.Duration(i) * interval)
		if next.Sub(start) > dur {
			break
		}
		time.Sleep(time.Until(next))
		ops <- struct{}{}
	}
	close(ops)
	wg.Wait()
	took := time.Since(start)
	t.Logf("plain driver client: %d operations in %.1f s (%.1f/s, target %.0f/s) on %d streams of %s, %d failed",
		done.Load(), took.Seconds(), float64(done.Load())/took.Seconds(), rate, n, cfg.Keyspace, failed.Load())
	if failed.Load() > 0 {
		t.Fatalf("%d operations failed, the first: %v", failed.Load(), firstErr)
	}
}

// plainStream is a stream and the events the plain client appended to it.
type plainStream struct {
	st      store.StreamID
	appends int
}

// plainOperation sends one service operation's requests on a stream: the
// latest snapshot, the events after it (scanned into plain variables, as a
// gocql user would), and one conditional append after the last of them.
func plainOperation(ctx context.Context, s *Store, st store.StreamID, ev []store.Record) error {
	var (
		snapV, after int64
		typ, cdc     string
		sv           int
		payload      []byte
		created      time.Time
	)
	err := s.sess.Query(s.q.latestSnap, st.Customer, st.AggregateType, st.AggregateID, int64(math.MaxInt64)).
		Consistency(s.readCL).Idempotent(true).ScanContext(ctx, &snapV, &typ, &sv, &cdc, &payload, &created)
	switch {
	case err == nil:
		after = snapV
	case !errors.Is(err, gocql.ErrNotFound):
		return err
	}
	it := s.sess.Query(s.q.replay, st.Customer, st.AggregateType, st.AggregateID, max(after, 1)).
		Consistency(s.readCL).PageSize(s.cfg.PageSize).Idempotent(true).IterContext(ctx)
	var (
		v   int64
		eid string
		md  map[string]string
	)
	last := after
	for it.Scan(&v, &eid, &typ, &sv, &cdc, &payload, &md) {
		last = max(last, v)
	}
	if err := it.Close(); err != nil {
		return err
	}
	return rawAppend(ctx, s, st, last, ev)
}
