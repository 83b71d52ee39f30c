package cassandra

import (
	"context"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// TestRawWriteBaseline is the yardstick of docs/benchmarks.md for the
// Cassandra preload: it reads every row of an existing keyspace's events
// and snapshots tables (one a preload filled, named by
// ESBENCH_RAW_WRITE_FROM) into memory, then writes the same rows into a new
// keyspace with a plain loop of single-row inserts from BulkMaxInFlight
// goroutines, as fast as the node takes them, so the preload's rate can be
// set beside the raw write rate of the same rows on the same node.
func TestRawWriteBaseline(t *testing.T) {
	from := os.Getenv("ESBENCH_RAW_WRITE_FROM")
	if from == "" {
		t.Skip("set ESBENCH_RAW_WRITE_FROM to a preloaded keyspace to measure the raw write rate")
	}
	base := nodeConfig(t)
	src := base
	src.Keyspace = from
	s := openStore(t, src)
	ctx := context.Background()
	type row struct {
		stmt string
		args []any
	}
	var rows []row
	var events int64
	start := time.Now()
	it := s.sess.Query("SELECT customer, aggregate_type, aggregate_id, version, event_id, type, schema_version, codec, payload, metadata, recorded_at, head FROM " +
		from + ".events").PageSize(5000).IterContext(ctx)
	for {
		var (
			c, at, aid, eid, typ, codec string
			v                           int64
			sv                          int
			payload                     []byte
			md                          map[string]string
			rec                         time.Time
			head                        *int64
		)
		if !it.Scan(&c, &at, &aid, &v, &eid, &typ, &sv, &codec, &payload, &md, &rec, &head) {
			break
		}
		if v == 0 {
			h := int64(0)
			if head != nil {
				h = *head
			}
			rows = append(rows, row{"head", []any{c, at, aid, h}})
			continue
		}
		events++
		rows = append(rows, row{"event", []any{c, at, aid, v, eid, typ, sv, codec, payload, md, rec}})
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	it = s.sess.Query("SELECT customer, aggregate_type, aggregate_id, version, type, schema_version, codec, payload, created_at FROM " +
		from + ".snapshots").PageSize(5000).IterContext(ctx)
	for {
		var (
			c, at, aid, typ, codec string
			v                      int64
			sv                     int
			payload                []byte
			created                time.Time
		)
		if !it.Scan(&c, &at, &aid, &v, &typ, &sv, &codec, &payload, &created) {
			break
		}
		rows = append(rows, row{"snap", []any{c, at, aid, v, typ, sv, codec, payload, created}})
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("read %d rows (%d events) of %s in %v", len(rows), events, from, time.Since(start).Round(time.Millisecond))

	dst := newKeyspace(t, base)
	d := openStore(t, dst)
	stmts := map[string]string{"head": d.q.bulkHead, "event": d.q.insertPlain, "snap": d.q.saveSnap}
	var next atomic.Int64
	var failed atomic.Pointer[error]
	var wg sync.WaitGroup
	start = time.Now()
	for range BulkMaxInFlight {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(len(rows)) || failed.Load() != nil {
					return
				}
				r := rows[i]
				if err := d.sess.Query(stmts[r.stmt], r.args...).Consistency(gocql.LocalQuorum).Idempotent(true).ExecContext(ctx); err != nil {
					failed.CompareAndSwap(nil, &err)
					return
				}
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	if p := failed.Load(); p != nil {
		t.Fatalf("raw write: %v", *p)
	}
	t.Logf("raw write of %d rows (%d events) of %s with %d writers in %v: %.0f rows/s, %.0f events/s",
		len(rows), events, from, BulkMaxInFlight, took.Round(time.Millisecond), float64(len(rows))/took.Seconds(), float64(events)/took.Seconds())
}
