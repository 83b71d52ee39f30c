package bench

import (
	"context"
	"errors"
	"fmt"

	"github.com/esbench/esbench/workload"
)

// PreloadBatch is the most events a bulk preload decides before appending
// them: one customer's streams in one atomic append (a single-partition
// batch on Cassandra), kept well under Cassandra's batch size limit. A
// command that alone writes more (removing a device with many downloads)
// still goes in one append.
const PreloadBatch = 100

// OpPreloadAppend is the series kind of a bulk preload append in the mixed
// experiment's preload run.
const OpPreloadAppend workload.OpKind = "append"

// bulkWorker feeds a preload worker's history operations to its bulk
// writer and turns each flush into one operation of the run, so the run
// measures appends: each recorded operation is one atomic append of up to
// PreloadBatch events of one customer, plus the snapshots due in them. The
// in-memory decisions run in Next, outside the measured call.
//
// In a study that is what a cell's "append p99" is: the 99th percentile of
// the service time of these appends for the customers of that history
// length, under that snapshot interval (a history shorter than the batch is
// one append per customer).
type bulkWorker struct {
	src  OpSource
	w    BulkWriter
	next workload.Op
	have bool // next holds an operation not yet added
	done bool // src has ended
	cur  workload.Op
	seq  uint64
	// refused counts the operations of the pending batch the service
	// refused; they are reported with its append.
	refused  int
	firstErr error
	// skip is a customer whose append failed: the rest of its history
	// cannot be written consistently, so its operations are dropped.
	skip string
}

// Next decides history operations until a batch is due (full, a customer
// finished, or the source ended) and yields its append.
func (b *bulkWorker) Next(op *workload.Op) bool {
	for {
		if !b.have && !b.done {
			b.have = b.src.Next(&b.next)
			b.done = !b.have
		}
		if !b.have {
			return b.emit(op)
		}
		if b.skip != "" && b.next.CustomerID == b.skip {
			b.have = false
			continue
		}
		if b.next.CustomerID != b.cur.CustomerID && b.emit(op) {
			return true
		}
		b.cur = workload.Op{Customer: b.next.Customer, CustomerID: b.next.CustomerID}
		b.have = false
		if err := b.w.Add(&b.next); err != nil {
			b.refused++
			if b.firstErr == nil {
				b.firstErr = fmt.Errorf("%s %s: %w", b.next.Kind, b.next.RequestID, err)
			}
		}
		if b.w.Pending() >= PreloadBatch {
			return b.emit(op)
		}
	}
}

// emit yields the append of the pending batch, if there is anything to
// report.
func (b *bulkWorker) emit(op *workload.Op) bool {
	if b.w.Pending() == 0 && b.refused == 0 {
		return false
	}
	*op = workload.Op{Kind: OpPreloadAppend, Seq: b.seq, Customer: b.cur.Customer, CustomerID: b.cur.CustomerID}
	b.seq++
	return true
}

// Do appends the pending batch; operations the service refused while it
// was decided make the append's outcome an error.
func (b *bulkWorker) Do(ctx context.Context, _ *workload.Op, _ *Response) error {
	err := b.w.Flush(ctx)
	if err != nil {
		b.w.Discard()
		b.skip = b.cur.CustomerID
		err = fmt.Errorf("bench: preload of customer %s abandoned: %w", b.cur.CustomerID, err)
	}
	if b.refused > 0 {
		err = errors.Join(err, fmt.Errorf("bench: %d preload operations of customer %s refused, first %w", b.refused, b.cur.CustomerID, b.firstErr))
		b.refused, b.firstErr = 0, nil
	}
	return err
}

// bulkPreload makes cfg write its sources' histories through sys's bulk
// writers when sys has them; otherwise cfg sends them one at a time.
func bulkPreload(cfg *Config, sys System, srcs []*customerCounter) error {
	bp, ok := sys.(BulkPreloader)
	if !ok {
		return nil
	}
	ws := make([]*bulkWorker, len(srcs))
	for i := range ws {
		w, err := bp.BulkWriter(i)
		if err != nil {
			return err
		}
		ws[i] = &bulkWorker{src: srcs[i], w: w}
	}
	cfg.TargetFor = func(i int) Target { return ws[i] }
	cfg.Source = func(i int) OpSource { return ws[i] }
	return nil
}
