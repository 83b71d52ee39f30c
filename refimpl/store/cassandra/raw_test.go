package cassandra

import (
	"context"
	"os"
	"strconv"
	"strings"
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
// keyspace as a plain load tool would, as fast as the node takes them, so
// the preload's rate can be set beside the raw write rate of the same rows
// on the same node. ESBENCH_RAW_WRITE_MODES lists the ways, each into a
// fresh keyspace (default "batch:64"):
//   - single:N: single-row inserts, N in flight (the async loop of
//     cassandra-loader: one statement per row, many futures out);
//   - batch:N: one unlogged batch per partition and table (cut at
//     bulkBatchBytes), N in flight (cassandra-stress's per-partition
//     unlogged batches).
//
// Both write at LOCAL_QUORUM, prepared, token-aware, like the preload.
func TestRawWriteBaseline(t *testing.T) {
	from := os.Getenv("ESBENCH_RAW_WRITE_FROM")
	if from == "" {
		t.Skip("set ESBENCH_RAW_WRITE_FROM to a preloaded keyspace to measure the raw write rate")
	}
	base := nodeConfig(t)
	src := base
	src.Keyspace = from
	s := openStore(t, src)
	if os.Getenv("ESBENCH_RAW_WRITE_DROP_SOURCE") == "1" {
		// Measurement sessions drop each preloaded keyspace once copied,
		// so the next round's compactions start from the same state.
		t.Cleanup(func() { dropKeyspace(t, src) })
	}
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

	modes := strings.Fields(os.Getenv("ESBENCH_RAW_WRITE_MODES"))
	if len(modes) == 0 {
		modes = []string{"batch:64"}
	}
	for _, m := range modes {
		mode, n, _ := strings.Cut(m, ":")
		inflight, err := strconv.Atoi(n)
		if err != nil || inflight < 1 || (mode != "single" && mode != "batch") {
			t.Fatalf("ESBENCH_RAW_WRITE_MODES: %q is not single:N or batch:N", m)
		}
		dst := newKeyspace(t, base)
		d := openStore(t, dst)
		stmts := map[string]string{"head": d.q.bulkHead, "event": d.q.insertPlain, "snap": d.q.saveSnap}
		// The units of work: single rows, or (batch) every row of one
		// partition of one table, as a stress tool's per-partition insert
		// does, cut at bulkBatchBytes.
		var units [][]row
		if mode == "single" {
			for _, r := range rows {
				units = append(units, []row{r})
			}
		} else {
			units = partitionBatches(rows, func(r row) (string, int) {
				key := r.args[0].(string)
				if r.stmt == "snap" {
					key += "/snap"
				}
				return key, rowBytes(r.args)
			})
		}
		var next atomic.Int64
		var failed atomic.Pointer[error]
		var wg sync.WaitGroup
		start = time.Now()
		for range inflight {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := next.Add(1) - 1
					if i >= int64(len(units)) || failed.Load() != nil {
						return
					}
					u := units[i]
					var err error
					if len(u) == 1 {
						err = d.sess.Query(stmts[u[0].stmt], u[0].args...).Consistency(gocql.LocalQuorum).Idempotent(true).ExecContext(ctx)
					} else {
						b := d.sess.Batch(gocql.UnloggedBatch).Consistency(gocql.LocalQuorum)
						for _, r := range u {
							b.Query(stmts[r.stmt], r.args...)
						}
						err = b.ExecContext(ctx)
					}
					if err != nil {
						failed.CompareAndSwap(nil, &err)
						return
					}
				}
			}()
		}
		wg.Wait()
		took := time.Since(start)
		if p := failed.Load(); p != nil {
			t.Fatalf("raw write (%s): %v", m, *p)
		}
		t.Logf("raw write %s: %d rows (%d events) of %s in %d requests, %d in flight, in %v: %.0f rows/s, %.0f events/s",
			m, len(rows), events, from, len(units), inflight, took.Round(time.Millisecond), float64(len(rows))/took.Seconds(), float64(events)/took.Seconds())
		_ = d.Close()
		dropKeyspace(t, dst)
	}
}

// rowBytes approximates a row's size in a batch: its strings and blobs.
func rowBytes(args []any) int {
	n := 0
	for _, a := range args {
		switch v := a.(type) {
		case string:
			n += len(v)
		case []byte:
			n += len(v)
		default:
			n += 8
		}
	}
	return n
}

// partitionBatches groups consecutive rows of one key (rows are read in
// partition order) into batches of at most bulkBatchBytes.
func partitionBatches[R any](rows []R, key func(R) (string, int)) [][]R {
	var out [][]R
	var cur []R
	var curKey string
	size := 0
	for _, r := range rows {
		k, n := key(r)
		if len(cur) > 0 && (k != curKey || size+n > bulkBatchBytes) {
			out = append(out, cur)
			cur, size = nil, 0
		}
		cur = append(cur, r)
		curKey = k
		size += n
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}
