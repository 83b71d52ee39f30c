package bench

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/esbench/esbench/workload"
)

// DefaultLogPerSecond is how many failed or fallback operations a run logs
// per second at most; the rest are counted and reported once at the end.
const DefaultLogPerSecond = 10

// failureLog logs failed and fallback operations at a bounded rate: a store
// outage fails thousands of operations a second, and a log line each would
// cost more than the operations. Only the error path reaches it; the
// window and counters are atomics, so it adds no lock either.
type failureLog struct {
	log        *slog.Logger
	run        string
	perSec     int64
	window     atomic.Int64 // the Unix second being counted
	n          atomic.Int64
	suppressed atomic.Int64
}

func newFailureLog(log *slog.Logger, run string, perSec int) *failureLog {
	if log == nil {
		return nil
	}
	if perSec <= 0 {
		perSec = DefaultLogPerSecond
	}
	return &failureLog{log: log, run: run, perSec: int64(perSec)}
}

// levelOf is the level an outcome is logged at: store failures and
// fallbacks are warnings; a request the domain rejected (a release of a
// licence whose grant failed) or an unresolved conflict is the workload's
// own business, logged at debug.
func levelOf(out Outcome) slog.Level {
	switch out {
	case OutcomeInvalid, OutcomeConflict:
		return slog.LevelDebug
	}
	return slog.LevelWarn
}

func (f *failureLog) offer(ctx context.Context, op *workload.Op, out Outcome, err error) {
	level := levelOf(out)
	if f == nil || !f.log.Enabled(ctx, level) {
		return
	}
	now := time.Now().Unix()
	if w := f.window.Load(); w != now && f.window.CompareAndSwap(w, now) {
		f.n.Store(0)
	}
	if f.n.Add(1) > f.perSec {
		f.suppressed.Add(1)
		return
	}
	msg := "operation failed"
	if out == OutcomeFallback {
		msg = "operation answered with the permissive fallback"
	}
	attrs := []slog.Attr{slog.String("run", f.run), slog.String("op", string(op.Kind)), slog.String("outcome", out.String())}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	f.log.LogAttrs(ctx, level, msg, attrs...)
}

// finish reports how many messages the rate limit held back.
func (f *failureLog) finish(ctx context.Context) {
	if f == nil {
		return
	}
	if n := f.suppressed.Load(); n > 0 {
		f.log.LogAttrs(ctx, slog.LevelWarn, "failure messages suppressed by the rate limit",
			slog.String("run", f.run), slog.Int64("suppressed", n), slog.Int64("limit_per_second", f.perSec))
	}
}
