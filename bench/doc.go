// Package bench runs workloads against a target and measures them: the
// open- and closed-loop runner, the per-worker HdrHistogram recorders merged
// at interval ticks, replay-phase measurement, progress display, and the
// experiments built on them (mixed load, replay study, snapshot sweep).
//
// # Measurement model
//
// Every worker owns a recorder holding, per operation and outcome, two
// sparse interval histograms (nanoseconds, 3 significant digits, up to one
// hour): the corrected latency, from the operation's intended start, and
// the service time, from its actual start. The hot path takes only the
// worker's own mutex; the collector contends for it once per interval to
// swap the worker's buffers, then merges them into interval histograms
// (written to the .hlog sinks) and cumulative ones. Raw samples are never
// kept, so memory depends on the number of series, not on the run's length.
//
// Open loop: each worker follows an arrival schedule. An operation's
// intended start is the run's start plus its scheduled offset; when the
// target falls behind, later operations start late but their latency is
// still measured from the intended start, so a stall shows in the corrected
// percentiles (coordinated-omission correction) while the service time does
// not hide it either. The start lag (actual − intended) has its own
// histogram and operations lagging more than the late threshold are
// counted. A worker waits for an intended start on its own timerfd, which
// the kernel fires on time and the runtime's poller turns into one wake-up,
// or, for waits under wakerSlack, through one shared waker goroutine that
// sleeps in the kernel until the earliest pending start: Go's timers wake
// up to a millisecond late, and spinning instead would take a core from the
// system under test (docs/design.md §8).
//
// Closed loop: each worker sends its next operation when the previous one
// finishes. The intended start is the actual start, so corrected latency
// equals service time and no correction is made; reports say so.
//
// Warmup: operations whose intended start lies before the warmup boundary
// are executed and counted in progress but not recorded.
//
// Preload: systems that implement BulkPreloader (the reference service
// does) write preload histories in bulk: each history operation is decided
// by the real domain rules on the customer's aggregates kept in memory, and
// the events are appended PreloadBatch at a time, one customer's streams
// atomically, with snapshots exactly where one-at-a-time commands would have
// written them. Each recorded preload operation is one such append, so a
// sweep cell's append p99 is the p99 of those appends (events plus due
// snapshots) for its history length and interval.
//
// Replay study and sweep histories: the customers of a history group of
// length L do not all get exactly L events. With snapshots every N events a
// load replays the history's length mod N events after the latest
// snapshot, which for equal lengths is one value for the whole group (0 for
// every N dividing L, making a long interval look as cheap as a short one),
// while real accounts sit anywhere between two snapshots. So each group's
// lengths are spread, one stratum per customer, over S consecutive values
// centred on L (L-S/2 .. L-S/2+S-1, mean about L), S being the least common
// multiple of the intervals up to L, capped at L (see studySpread and
// workload.Population.SpreadHistories): the tails are then uniform over
// [0, N), mean (N-1)/2, for every interval N up to L. The same lengths are
// used for every interval, and the sweep's note lists the ranges. The
// presets' groups 10, 100, 1,000 and 10,000 under intervals up to 1,000 get
// 5..14, 50..149, 500..1,499 and 9,500..10,499.
//
// Cancellation: when the context ends, workers stop, in-flight operations cut
// short by the cancellation are not recorded, and Run returns everything
// measured so far marked partial.
package bench
