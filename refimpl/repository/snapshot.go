package repository

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/esbench/esbench/refimpl/codec"
	"github.com/esbench/esbench/refimpl/domain"
	"github.com/esbench/esbench/refimpl/store"
)

// snapshotJob is a snapshot due after a commit: the aggregate as loaded
// before the commit and the records the commit appended to it.
type snapshotJob struct {
	ctx    context.Context
	stream store.StreamID
	agg    domain.Snapshotter
	recs   []store.Record
}

// writeSnapshot brings job.agg up to the committed version and saves its
// snapshot, then trims old ones. The committed records are decoded rather than
// the decision's event values applied, so the snapshot holds exactly what a
// replay of the stored events would build. Failures are logged and counted;
// it reports whether the snapshot was saved.
func (r *Repository) writeSnapshot(ctx context.Context, job snapshotJob) bool {
	if err := r.saveSnapshot(ctx, job); err != nil {
		r.c.snapshotFailures.Add(1)
		r.log.LogAttrs(ctx, slog.LevelWarn, "snapshot not written",
			slog.String("stream", job.stream.String()), slog.Any("error", err))
		return false
	}
	r.c.snapshotsWritten.Add(1)
	return true
}

func (r *Repository) saveSnapshot(ctx context.Context, job snapshotJob) error {
	if err := r.applyRecords(job.stream, job.agg, job.recs); err != nil {
		return err
	}
	var createdAt time.Time
	if len(job.recs) > 0 {
		createdAt = job.recs[len(job.recs)-1].RecordedAt
	}
	snap, err := r.snapshotOf(job.stream, job.agg, createdAt)
	if err != nil {
		return err
	}
	if err := r.st.SaveSnapshot(ctx, snap); err != nil {
		return fmt.Errorf("save snapshot at version %d: %w", snap.Version, err)
	}
	if err := r.st.TrimSnapshots(ctx, job.stream, r.opts.KeepSnapshots); err != nil {
		return fmt.Errorf("trim snapshots to %d: %w", r.opts.KeepSnapshots, err)
	}
	return nil
}

// applyRecords decodes recs and applies them to agg, so agg becomes exactly
// what a replay of the stored records builds.
func (r *Repository) applyRecords(stream store.StreamID, agg domain.Aggregate, recs []store.Record) error {
	for _, rec := range recs {
		v, err := r.reg.Decode(codec.Envelope{Type: rec.Type, SchemaVersion: rec.SchemaVersion, Codec: rec.Codec, Payload: rec.Payload})
		if err != nil {
			return decodeError(stream, rec, err)
		}
		ev, ok := v.(domain.Event)
		if !ok {
			return decodeError(stream, rec, fmt.Errorf("%w: decoded %T is not a domain event", codec.ErrUnknownType, v))
		}
		if err := agg.Apply(rec.Version, ev); err != nil {
			return fmt.Errorf("apply version %d (%s): %w", rec.Version, rec.Type, err)
		}
	}
	return nil
}

// snapshotOf encodes agg's state as the snapshot of stream at its version.
func (r *Repository) snapshotOf(stream store.StreamID, agg domain.Snapshotter, createdAt time.Time) (store.Snapshot, error) {
	env, err := r.reg.Encode(r.opts.Codec, agg.SnapshotState())
	if err != nil {
		return store.Snapshot{}, fmt.Errorf("encode snapshot at version %d: %w", agg.Version(), err)
	}
	return store.Snapshot{
		Stream:        stream,
		Version:       agg.Version(),
		Type:          env.Type,
		SchemaVersion: env.SchemaVersion,
		Codec:         env.Codec,
		Payload:       env.Payload,
		CreatedAt:     createdAt,
	}, nil
}

// snapshotWorker writes snapshots off the command path: one goroutine fed by
// a bounded queue, so a burst of commits can never start unbounded work.
type snapshotWorker struct {
	r    *Repository
	jobs chan snapshotJob
	done chan struct{}

	mu      sync.Mutex
	idle    *sync.Cond // signalled when pending drops to 0
	pending int
	closed  bool
}

func newSnapshotWorker(r *Repository, queue int) *snapshotWorker {
	w := &snapshotWorker{r: r, jobs: make(chan snapshotJob, queue), done: make(chan struct{})}
	w.idle = sync.NewCond(&w.mu)
	go w.run()
	return w
}

func (w *snapshotWorker) run() {
	defer close(w.done)
	for job := range w.jobs {
		ctx, cancel := context.WithTimeout(job.ctx, w.r.opts.SnapshotTimeout)
		w.r.writeSnapshot(ctx, job)
		cancel()
		w.mu.Lock()
		w.pending--
		if w.pending == 0 {
			w.idle.Broadcast()
		}
		w.mu.Unlock()
	}
}

// enqueue queues job without blocking; a full queue or a closed worker drops
// it (counted), since a later commit or load will call for a snapshot again.
func (w *snapshotWorker) enqueue(job snapshotJob) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.closed {
		select {
		case w.jobs <- job:
			w.pending++
			return true
		default:
		}
	}
	w.r.c.snapshotsDropped.Add(1)
	return false
}

func (w *snapshotWorker) flush() {
	w.mu.Lock()
	for w.pending > 0 {
		w.idle.Wait()
	}
	w.mu.Unlock()
}

func (w *snapshotWorker) close() {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.jobs)
	}
	w.mu.Unlock()
	<-w.done
}
