package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/spf13/cobra"

	"github.com/esbench/esbench/bench"
	"github.com/esbench/esbench/bench/faults"
	"github.com/esbench/esbench/bench/ledger"
	"github.com/esbench/esbench/bench/livemetrics"
	"github.com/esbench/esbench/internal/owned"
	"github.com/esbench/esbench/internal/suggest"
	"github.com/esbench/esbench/refimpl/codec/catalog"
	"github.com/esbench/esbench/refimpl/store"
	"github.com/esbench/esbench/reports"
	"github.com/esbench/esbench/target"
	"github.com/esbench/esbench/target/inproc"
	"github.com/esbench/esbench/workload"
)

// exitInterrupted is the exit code of a run stopped by a signal (after its
// partial results were written), as shells report SIGINT.
const exitInterrupted = 130

type runOptions struct {
	target *target.Selection
	out    string

	// Workload overrides, applied when the flag is given.
	duration, warmup time.Duration
	rate             float64
	workers          int
	seed             uint64
	shard            string
	codec            string
	snapshot         string
	mode             string
	operations       uint64
	customers        uint64

	interval      time.Duration
	late          time.Duration
	noSpin        bool
	progress      string
	progressEvery time.Duration
	alertShare    float64
	metricsListen string
	startAt       string
	ledger        bool
	faults        []string
	nodesDir      string
	count         int
}

// maxCount bounds --count: more repetitions than this is a typo, not a
// campaign (a rank test needs 4 to 20).
const maxCount = 1000

func newRunCmd() *cobra.Command {
	var o runOptions
	cmd := &cobra.Command{
		Use:   "run [workload]",
		Short: "Run a workload and write its results (default: the default preset on a temporary pebble store)",
		Long: `run executes a workload — a built-in preset (` + fmt.Sprint(workload.Presets()) + `) or a YAML
workload file — against the reference service, shows progress, prints a
summary table and writes a result directory: result.json, summary.md, report.html,
workload.yaml and HdrHistogram interval logs (.hlog). Ctrl-C or SIGTERM stops
the run and still writes the results, marked partial.

The workload's thresholds (for example "acquire.p99 < 20ms") are checked when
the file is loaded and evaluated against the run's own figures at its end;
relative ones ("regression < 10%") are left to esbench compare.

Exit codes: 0 the run finished and every threshold held; 1 an error (bad
input, a store failure); 3 the run finished and wrote its results but a
threshold failed; 130 interrupted (partial results written).` + targetsHelp() + storesHelp(),
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := "default"
			if len(args) == 1 {
				name = args[0]
			}
			return o.run(cmd.Context(), cmd, name)
		},
	}
	fs := cmd.Flags()
	o.target = target.NewSelection(fs, inproc.Name)
	fs.StringVar(&o.out, "out", "results", "directory under which the run's result directory is created")
	fs.DurationVar(&o.duration, "duration", 0, "override the measured duration")
	fs.DurationVar(&o.warmup, "warmup", 0, "override the warmup")
	fs.Float64Var(&o.rate, "rate", 0, "override the open-loop target rate (ops/s)")
	fs.IntVar(&o.workers, "workers", 0, "override the number of workers")
	fs.Uint64Var(&o.seed, "seed", 0, "override the seed")
	fs.StringVar(&o.shard, "shard", "", "drive shard i/n of the customer space")
	fs.StringVar(&o.codec, "codec", "", "override the event codec ("+fmt.Sprint(catalog.IDs())+", each also as CODEC+zstd|s2|lz4)")
	fs.StringVar(&o.snapshot, "snapshot", "", "override the snapshot policy (none, every:N, load:events>N,time>D)")
	fs.StringVar(&o.mode, "mode", "", "override the arrival mode (open or closed)")
	fs.Uint64Var(&o.operations, "operations", 0, "override the number of operations to run, warmup included")
	fs.Uint64Var(&o.customers, "customers", 0, "override the population size")
	fs.DurationVar(&o.interval, "interval", bench.DefaultInterval, "histogram interval of the .hlog files")
	fs.DurationVar(&o.late, "late", bench.DefaultLateThreshold, "start lag above which an open-loop operation counts as late")
	fs.BoolVar(&o.noSpin, "no-spin", false, "wait for each intended start on Go timers, which wake up to ~1ms late, instead of the precise timerfd wait (more start lag)")
	fs.StringVar(&o.progress, "progress", "auto", "progress display: auto (bars on a terminal, else lines), bars, lines or none")
	fs.DurationVar(&o.progressEvery, "progress-every", bench.DefaultPlainEvery, "interval of plain progress lines")
	fs.StringVar(&o.startAt, "start-at", "", "begin the warmup at this instant (RFC 3339, e.g. 2026-11-30T10:30:00Z; within 24h of now), after the preload: the shards of one run start together")
	fs.StringVar(&o.metricsListen, "metrics-listen", "", "serve live Prometheus metrics at http://ADDR/metrics during the run (HOST:PORT, e.g. :9464)")
	fs.BoolVar(&o.ledger, "ledger", true, "record every acknowledged append (and every append of unknown outcome) in <run>"+reports.LedgerExt+" in the results directory, for esbench audit; only on stores that outlive the run (cassandra, pebble with --data-dir)")
	fs.StringArrayVar(&o.faults, "fault", nil, "add a fault window, KIND,at=D,for=D[,latency=D][,distribution=fixed|uniform|exponential][,rate=X][,timeout=D][,node=N] with KIND one of "+strings.Join(workload.FaultKinds, ", ")+" (repeatable; added to the workload's faults:)")
	fs.StringVar(&o.nodesDir, "nodes-dir", nodesDirDefault(), "directory of the local Cassandra cluster whose nodes node faults act on (scripts/cassandra.sh's ESBENCH_CASSANDRA_DIR)")
	fs.IntVar(&o.count, "count", 1, fmt.Sprintf("repeat the run this many times (1..%d); with more than one, the result directories go into one new directory under --out for esbench compare's rank test across runs", maxCount))
	fs.Float64Var(&o.alertShare, "alert-share", reports.DefaultAlertShare, "share of measured operations (0..1) ending in errors or fallbacks above which the summary says so at its top")
	return cmd
}

// applyOverrides writes the flags given on the command line into spec and
// returns the names of those flags; each overridden field is marked as set
// by its flag, so a validation error names the flag, not the file's line.
func (o *runOptions) applyOverrides(cmd *cobra.Command, spec *workload.Spec) []string {
	var given []string
	ch := func(name, field string) bool {
		if cmd.Flags().Changed(name) {
			given = append(given, "--"+name)
			spec.SetByFlag(field, "--"+name)
			return true
		}
		return false
	}
	if ch("duration", "duration") {
		spec.Duration = o.duration
	}
	if ch("warmup", "warmup") {
		spec.Warmup = o.warmup
	}
	if ch("rate", "arrival.rate") {
		spec.Arrival.Rate = o.rate
		spec.Arrival.Stages = nil
	}
	if ch("workers", "arrival.workers") {
		spec.Arrival.Workers = o.workers
	}
	if ch("seed", "seed") {
		spec.Seed = o.seed
	}
	if ch("shard", "shard") {
		spec.Shard = o.shard
	}
	if ch("codec", "service.codec") {
		spec.Service.Codec = o.codec
	}
	if ch("snapshot", "service.snapshot") {
		spec.Service.Snapshot = o.snapshot
	}
	if ch("mode", "arrival.mode") {
		spec.Arrival.Mode = o.mode
		if o.mode == workload.ModeClosed && !cmd.Flags().Changed("rate") {
			// The file's rate does not apply to a closed loop; keep it out of
			// the resolved workload, which must parse back.
			spec.Arrival.Rate = 0
		}
	}
	if ch("operations", "operations") {
		spec.Operations = o.operations
	}
	if ch("customers", "population.customers") {
		spec.Population.Customers = o.customers
	}
	if cmd.Flags().Changed("fault") {
		given = append(given, "--fault")
		// Parse errors are reported by run before the workload is read.
		for _, f := range o.faults {
			if fs, err := workload.ParseFault(f); err == nil {
				spec.SetByFlag(fmt.Sprintf("faults[%d]", len(spec.Faults)), "--fault")
				spec.Faults = append(spec.Faults, fs)
			}
		}
	}
	return given
}

// validate checks every flag of run against its range before the workload
// is loaded; the workload itself (with the overrides) is checked by
// resolveWorkload, the target's and store's flags by their own Check.
func (o *runOptions) validate(cmd *cobra.Command) error {
	c := newFlagChecks(cmd)
	if c.given("duration") {
		c.duration("duration", o.duration, 0, workload.MaxDuration, " (0: bounded by --operations)")
	}
	if c.given("warmup") {
		c.duration("warmup", o.warmup, 0, workload.MaxWarmup, "")
	}
	if c.given("rate") {
		c.floatRange("rate", o.rate, 0, workload.MaxRate, true)
	}
	if c.given("workers") {
		c.intRange("workers", int64(o.workers), 1, workload.MaxWorkers)
	}
	if c.given("customers") {
		c.uintRange("customers", o.customers, 1, workload.MaxCustomers)
	}
	if c.given("operations") {
		c.uintRange("operations", o.operations, 1, workload.MaxOperations)
	}
	if c.given("shard") {
		if _, err := workload.ParseShard(o.shard); err != nil {
			c.add("shard", fmt.Sprintf("%q", o.shard), "%s", strings.TrimPrefix(err.Error(), workload.ErrShard.Error()+": "))
		}
	}
	if c.given("codec") && !catalog.Known(o.codec) {
		c.add("codec", fmt.Sprintf("%q", o.codec), "want one of %s, each also as CODEC+%s (for example json+zstd)%s",
			strings.Join(catalog.IDs(), ", "), strings.Join(catalog.Compressors(), "|"), suggest.Hint(o.codec, append(catalog.IDs(), catalog.CompressedIDs()...)))
	}
	if c.given("mode") {
		c.oneOf("mode", o.mode, workload.ModeOpen, workload.ModeClosed)
	}
	c.duration("interval", o.interval, time.Millisecond, time.Hour, "")
	c.duration("late", o.late, time.Microsecond, time.Hour, "")
	c.oneOf("progress", o.progress, "auto", "bars", "lines", "none")
	c.duration("progress-every", o.progressEvery, 10*time.Millisecond, time.Hour, "")
	if o.progress == "none" || o.progress == "bars" {
		c.notWith("progress-every", "with --progress "+o.progress+" (it sets the interval of progress lines)")
	}
	if c.given("start-at") {
		if _, err := parseStartAt(o.startAt, time.Now()); err != nil {
			c.add("start-at", fmt.Sprintf("%q", o.startAt), "%v", err)
		}
	}
	c.intRange("count", int64(o.count), 1, maxCount)
	if !(o.alertShare >= 0 && o.alertShare <= 1) {
		c.add("alert-share", fmt.Sprint(o.alertShare), "must be a share between 0 and 1 (0.01 is 1%%)")
	}
	return c.err()
}

// checkForExperiment rejects the arrival flags on a replay or sweep
// workload, which runs each configuration closed-loop with the sweep's
// snapshot intervals and no warmup.
func checkForExperiment(cmd *cobra.Command, name string, spec *workload.Spec) error {
	// The capacity search runs the mix open-loop: --rate is its starting
	// rate, --warmup and --duration each step's (workload validation
	// rejects what does not apply to it).
	if spec.Experiment == workload.ExperimentMixed || spec.Experiment == workload.ExperimentCapacity {
		return nil
	}
	c := newFlagChecks(cmd)
	for _, f := range []string{"rate", "mode", "operations", "warmup", "snapshot"} {
		c.notWith(f, "to the "+spec.Experiment+" experiment of "+name+" (it runs each configuration closed-loop, with the sweep's snapshot intervals and no warmup)")
	}
	return c.err()
}

// warnings names the flags given that have no effect on the loaded
// workload; they are printed, not errors, since the run still measures
// what was asked.
func (o *runOptions) warnings(cmd *cobra.Command, spec *workload.Spec) []string {
	var w []string
	fs := cmd.Flags()
	if spec.Arrival.Mode == workload.ModeClosed || (spec.Experiment != workload.ExperimentMixed && spec.Experiment != workload.ExperimentCapacity) {
		for _, f := range []string{"late", "no-spin"} {
			if fs.Changed(f) {
				w = append(w, fmt.Sprintf("--%s has no effect: the workload runs closed-loop, without a schedule to be late against", f))
			}
		}
	}
	if a, _ := fs.GetBool("async-snapshots"); a && fs.Changed("async-snapshots") && spec.Service.Snapshot == "none" {
		w = append(w, "--async-snapshots has no effect: the snapshot policy is none")
	}
	if fs.Changed("ledger") && !o.target.About().Persistent {
		w = append(w, "--ledger has no effect: the store does not outlive the run, so there is nothing to audit")
	}
	return w
}

// checkNodesDir rejects --nodes-dir on a workload without node faults: it
// names the cluster node faults act on and nothing else reads it.
func checkNodesDir(cmd *cobra.Command, spec *workload.Spec) error {
	if !cmd.Flags().Changed("nodes-dir") {
		return nil
	}
	for _, f := range spec.Faults {
		if f.IsNode() {
			return nil
		}
	}
	c := newFlagChecks(cmd)
	c.notWith("nodes-dir", "without a node fault (--fault or faults: of kind node-stop or node-kill)")
	return c.err()
}

func (o *runOptions) run(ctx context.Context, cmd *cobra.Command, name string) error {
	stderr := cmd.ErrOrStderr()
	if err := resolveTarget(cmd, name); err != nil {
		return err
	}
	if err := errors.Join(o.validate(cmd), o.target.Check()); err != nil {
		return err
	}
	for _, f := range o.faults {
		if _, err := workload.ParseFault(f); err != nil {
			return fmt.Errorf("--fault %w", err)
		}
	}
	if spec, err := loadWorkload(name); err == nil {
		// Before the overrides are validated, so a flag that does not
		// apply is reported as such rather than as the value it set.
		if err := checkForExperiment(cmd, name, spec); err != nil {
			return err
		}
	}
	spec, _, err := o.resolve(cmd, name)
	if err != nil {
		return err
	}
	if err := checkNodesDir(cmd, spec); err != nil {
		return err
	}
	for _, w := range o.warnings(cmd, spec) {
		fmt.Fprintln(stderr, "esbench: warning:", w)
	}

	var live *livemetrics.Exporter
	if cmd.Flags().Changed("metrics-listen") {
		ln, err := listenFor("metrics-listen", o.metricsListen)
		if err != nil {
			return err
		}
		live = livemetrics.New()
		mux := http.NewServeMux()
		mux.Handle("/metrics", live.Handler())
		defer serveHTTP(ln, mux, stderr)()
		fmt.Fprintf(stderr, "esbench: live metrics on http://%s/metrics\n", ln.Addr())
	}
	if o.count == 1 {
		_, err := o.runOnce(ctx, cmd, name, o.out, live)
		return err
	}
	return o.runRepeated(ctx, cmd, name, spec, live)
}

// resolve loads the workload with the command line's overrides; each call
// salts the request ids anew on a persistent store, so a repeated run's
// operations are new requests, not idempotent retries of the last run's.
func (o *runOptions) resolve(cmd *cobra.Command, name string) (*workload.Spec, *workload.Workload, error) {
	wopts := inproc.WorkloadOptions("")
	if o.target.About().Persistent {
		wopts.RunID = strconv.FormatInt(time.Now().UnixNano(), 36)
	}
	spec, w, _, err := resolveWorkload(name, func(spec *workload.Spec) []string { return o.applyOverrides(cmd, spec) }, wopts)
	return spec, w, err
}

// runRepeated runs the workload o.count times, each run a result directory
// of its own inside one new directory under --out, which esbench compare
// reads as a set of runs. It stops at the first error or interrupt; a
// threshold failed in any run makes the exit code exitThresholds.
func (o *runOptions) runRepeated(ctx context.Context, cmd *cobra.Command, name string, spec *workload.Spec, live *livemetrics.Exporter) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	_, statErr := os.Stat(o.out)
	outCreated := errors.Is(statErr, fs.ErrNotExist)
	set, err := reports.CreateRunSet(o.out, spec.Name, time.Now(), o.count)
	if err != nil {
		return err
	}
	var failed []string
	done := 0
	for i := 1; i <= o.count; i++ {
		fmt.Fprintf(stderr, "esbench: run %d of %d\n", i, o.count)
		rf, err := o.runOnce(ctx, cmd, name, set, live)
		var ee *exitError
		switch {
		case errors.As(err, &ee) && ee.code == exitThresholds:
			failed = append(failed, fmt.Sprintf("run %d: %s", i, strings.Join(rf, "; ")))
		case err != nil:
			if done == 0 && removeEmptyOwned(set) == nil && outCreated {
				_ = os.Remove(o.out) // only if empty: --out was made by this run
			}
			return fmt.Errorf("run %d of %d: %w (the earlier runs' results are in %s)", i, o.count, err, set)
		}
		done++
	}
	fmt.Fprintf(stdout, "\n%d runs: %s (compare them with another set: esbench compare %s OTHER)\n", done, set, set)
	if len(failed) > 0 {
		return &exitError{code: exitThresholds, err: fmt.Errorf("thresholds failed in %d of %d runs: %s (results in %s)", len(failed), o.count, strings.Join(failed, " | "), set)}
	}
	return nil
}

// removeEmptyOwned removes a directory esbench created that holds nothing
// but its marker.
func removeEmptyOwned(dir string) error {
	if !owned.Owns(dir, owned.KindRunSet) {
		return nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	if len(entries) != 1 {
		return fmt.Errorf("%s is not empty", dir)
	}
	if err := os.Remove(filepath.Join(dir, owned.MarkerFile)); err != nil {
		return err
	}
	return os.Remove(dir)
}

// runOnce runs the workload once into a new result directory under out and
// returns the thresholds that failed (the error is then an exitError with
// exitThresholds).
func (o *runOptions) runOnce(ctx context.Context, cmd *cobra.Command, name, out string, live *livemetrics.Exporter) ([]string, error) {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	about := o.target.About()
	spec, w, err := o.resolve(cmd, name)
	if err != nil {
		return nil, err
	}
	inj, windows, err := o.injector(spec, isInprocTarget(o.target))
	if err != nil {
		return nil, err
	}
	ds, dropCheckpoint, err := useDataset(ctx, cmd, o.target, spec, stderr)
	if err != nil {
		return nil, err
	}
	defer func() { _ = dropCheckpoint() }()
	// A pebble dataset is run on a checkpoint; one kept in its store
	// (Cassandra) is run on directly.
	onCheckpoint := ds != "" && o.target.Settings().(*inproc.Settings).Stores().Name() == "pebble"
	if onCheckpoint {
		// useDataset pointed --data-dir at this run's checkpoint; the next
		// run of a --count takes a checkpoint of its own from the dataset.
		defer func() { _ = cmd.Flags().Set("data-dir", ds) }()
	}
	useLedger := o.ledger
	switch {
	case onCheckpoint && useLedger:
		// The checkpoint is removed after the run: nothing could audit it.
		useLedger = false
		fmt.Fprintln(stderr, "esbench: no acknowledged-write ledger on a dataset's checkpoint (it is removed after the run)")
	case useLedger && spec.Experiment == workload.ExperimentCapacity && o.target.About().Backend == "pebble":
		// The ledger would hide the store's forks, and each step's writes go
		// to a fork removed after it: nothing could audit them.
		useLedger = false
		fmt.Fprintln(stderr, "esbench: no acknowledged-write ledger for a capacity search on pebble (each step runs on a fork of the preloaded store, removed after the step)")
	}

	start := time.Now()
	_, statErr := os.Stat(out)
	outCreated := errors.Is(statErr, fs.ErrNotExist)
	dir, err := reports.CreateDir(out, spec.Name, start)
	if err != nil {
		return nil, err
	}
	res := reports.New(spec.Experiment)
	res.Started = start
	res.Environment = reports.CollectEnvironment()
	res.Environment.Backend = about.Backend
	res.Environment.BackendOptions = about.Options
	res.Environment.Codec = spec.Service.Codec
	res.Environment.Started = start
	wyaml, err := workload.Marshal(spec)
	if err != nil {
		return nil, err
	}
	if wjson, err := yaml.YAMLToJSON(wyaml); err == nil {
		res.Workload = json.RawMessage(wjson)
	}
	if err := dir.WriteWorkload(wyaml); err != nil {
		return nil, fmt.Errorf("writing the resolved workload: %w", err)
	}

	is, isInproc := o.target.Settings().(*inproc.Settings)
	if isInproc {
		is.WrapStore = func(st store.Store, cfg target.Config) (store.Store, error) {
			if inj != nil && inj.HasStoreFaults() {
				st = inj.Wrap(st)
			}
			if !useLedger {
				return st, nil
			}
			return withLedger(st, is.Stores(), dir, cfg)
		}
	}
	var hlogs []*reports.HlogSet
	prog := o.newProgress(ctx, stderr)
	exp := &bench.Experiment{
		Workload:      w,
		Progress:      prog,
		Interval:      o.interval,
		LateThreshold: o.late,
		Hlog: func(run string, at time.Time) bench.IntervalSink {
			h := dir.NewHlogSet(run+".", at)
			hlogs = append(hlogs, h)
			return h
		},
		Factory: o.openAndSay(stderr),
		Windows: windows,
		// A window's recovery is judged by the alert share.
		RecoveryShare: max(o.alertShare, 1e-9),
		Dataset:       ds,
		// Ranges preloaded before this run may hold earlier runs' writes.
		AuditWrittenOnly: true,
	}
	if o.startAt != "" {
		exp.StartAt, _ = parseStartAt(o.startAt, time.Now()) // checked by validate
	}
	if o.noSpin {
		exp.GoTimers = true
	}
	var observers bench.Observers
	if live != nil {
		observers = append(observers, live)
	}
	runCtx := ctx
	var aborter *bench.Aborter
	if rules := abortRules(spec); len(rules) > 0 {
		var cancel context.CancelCauseFunc
		runCtx, cancel = context.WithCancelCause(ctx)
		defer cancel(nil)
		aborter = bench.NewAborter(rules, func(a *bench.Abort) {
			fmt.Fprintf(stderr, "esbench: aborting the run: %v\n", a)
			cancel(a)
		})
		observers = append(observers, aborter)
	}
	if len(observers) > 0 {
		exp.Live = observers
	}
	if exp.Log, err = commandLogger(cmd); err != nil {
		return nil, err
	}
	fmt.Fprintf(stderr, "esbench: %s (%s) on %s, results in %s\n", spec.Name, spec.Experiment, about.Description, dir)
	if inj != nil {
		exp.OnStart = func(t time.Time) { inj.Arm(ctx, t) }
	}
	runErr := exp.Run(runCtx, res)
	prog.Wait()
	var aborted *bench.Abort
	if aborter != nil {
		aborted = aborter.Fired()
	}
	if aborted != nil {
		// The run stopped because the abort cancelled it, not on an error.
		if errors.Is(runErr, context.Canceled) {
			runErr = nil
		}
		res.Partial, res.PartialReason = true, "aborted: "+aborted.Error()
	}
	if inj != nil {
		for _, e := range inj.Wait() {
			res.FaultEvents = append(res.FaultEvents, reports.FaultEvent{AtNs: int64(e.At), Action: e.Action, Error: e.Err})
		}
	}

	if runErr != nil && len(res.Runs) == 0 && ctx.Err() == nil {
		// Set-up failed before anything was measured (a store that would
		// not open, ...): a result directory would hold nothing but junk.
		for _, h := range hlogs {
			_ = h.Close()
		}
		err := removeRunDir(dir)
		if err == nil && outCreated {
			_ = os.Remove(out) // only if empty: --out was made by this run
		}
		return nil, errors.Join(runErr, err)
	}

	res.Finished = time.Now()
	res.Environment.Finished = res.Finished
	// What opening the store found out (a keyspace's replication).
	res.Environment.BackendOptions = o.target.About().Options
	res.Process = reports.CollectProcess()
	if runErr != nil && !res.Partial {
		res.Partial, res.PartialReason = true, "error: "+runErr.Error()
	}
	res.AlertShare = o.alertShare
	res.Alerts = reports.Alerts(res, o.alertShare)
	var closeErrs []error
	for _, h := range hlogs {
		closeErrs = append(closeErrs, h.Close())
	}
	failed, thErr := evaluateThresholds(res, endThresholds(spec))
	if err := dir.Write(res); err != nil {
		return nil, errors.Join(runErr, err)
	}
	if err := reports.WriteConsole(stdout, res); err != nil {
		return nil, err
	}
	if err := reports.WriteCapacity(stdout, res.Capacity); err != nil {
		return nil, err
	}
	if err := reports.WriteThresholds(stdout, res.Thresholds); err != nil {
		return nil, err
	}
	fmt.Fprintf(stdout, "\nresults: %s\n", dir)
	if err := errors.Join(closeErrs...); err != nil {
		return nil, errors.Join(runErr, err)
	}
	if runErr != nil {
		return nil, runErr
	}
	if ctx.Err() != nil {
		return nil, &exitError{code: exitInterrupted, err: fmt.Errorf("interrupted: partial results written to %s", dir)}
	}
	if thErr != nil {
		return nil, thErr
	}
	if aborted != nil {
		return []string{aborted.Rule.Threshold.Text}, &exitError{code: exitThresholds, err: fmt.Errorf("run aborted: %v; partial results written to %s", aborted, dir)}
	}
	if len(failed) > 0 {
		return failed, &exitError{code: exitThresholds, err: fmt.Errorf("thresholds failed: %s (results in %s)", strings.Join(failed, "; "), dir)}
	}
	return nil, nil
}

func (o *runOptions) newProgress(ctx context.Context, w io.Writer) *bench.Progress {
	mode := o.progress
	if mode == "auto" {
		mode = "lines"
		if f, ok := w.(*os.File); ok && bench.IsTerminal(f) {
			mode = "bars"
		}
	}
	switch mode {
	case "bars":
		return bench.NewProgress(ctx, w, true, 0)
	case "lines":
		return bench.NewProgress(ctx, w, false, o.progressEvery)
	}
	return nil
}

// withLedger records st's appends in the configuration's ledger file in the
// results directory, when the store outlives the run (Cassandra, or pebble
// with --data-dir), so that esbench audit can check it afterwards.
func withLedger(st store.Store, stores *store.Selection, dir reports.Dir, cfg target.Config) (store.Store, error) {
	about := stores.Settings().About()
	if !about.Persistent || about.Location == "" {
		return st, nil
	}
	h := ledger.Header{Config: cfg.Name, Store: stores.Name(), Location: about.Location, Started: time.Now()}
	if cfg.Isolated {
		h.Instance = cfg.Name
	}
	w, err := ledger.Create(dir.File(reports.SafeName(cfg.Name)+reports.LedgerExt), h)
	if err != nil {
		return nil, errors.Join(err, st.Close())
	}
	return ledger.Wrap(st, w), nil
}

// removeRunDir removes a result directory this run created, file by file
// and only the files it wrote, so nothing else can be lost.
func removeRunDir(d reports.Dir) error {
	dir := d.Path()
	if !owned.Owns(dir, owned.KindResults) {
		return nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		n := e.Name()
		if n == owned.MarkerFile || reports.RunFile(n) {
			if err := os.Remove(d.File(n)); err != nil {
				return err
			}
		}
	}
	// Fails, leaving the directory, if anything else is in it.
	if err := os.Remove(dir); err != nil {
		return fmt.Errorf("removing the empty result directory: %w", err)
	}
	return nil
}

// nodesDirDefault is where scripts/cassandra.sh keeps its nodes when run
// from the repository: ESBENCH_CASSANDRA_DIR, else .cassandra.
func nodesDirDefault() string {
	if d := os.Getenv("ESBENCH_CASSANDRA_DIR"); d != "" {
		return d
	}
	return ".cassandra"
}

func isInprocTarget(sel *target.Selection) bool {
	_, ok := sel.Settings().(*inproc.Settings)
	return ok
}

// injector sets up the workload's fault windows (nil when it has none):
// store faults need the in-process service, whose store they wrap; node
// faults need the local cluster's nodes running under --nodes-dir, checked
// before any work starts.
func (o *runOptions) injector(spec *workload.Spec, inprocTarget bool) (*faults.Injector, []bench.Window, error) {
	if len(spec.Faults) == 0 {
		return nil, nil, nil
	}
	var nodes *faults.Nodes
	var nodeList []int
	var windows []bench.Window
	for _, f := range spec.Faults {
		if f.IsNode() {
			nodeList = append(nodeList, f.Node)
		} else if !inprocTarget {
			return nil, nil, fmt.Errorf("fault %s acts on the store of the in-process service: it needs --target %s", f.Name(), inproc.Name)
		}
		windows = append(windows, bench.Window{Name: f.Name(), Kind: f.Kind, Start: f.At, End: f.At + f.For})
	}
	if len(nodeList) > 0 {
		nodes = &faults.Nodes{Dir: o.nodesDir}
		if err := nodes.Check(nodeList...); err != nil {
			return nil, nil, fmt.Errorf("--nodes-dir %s: %w", o.nodesDir, err)
		}
	}
	inj, err := faults.New(spec.Faults, nodes)
	return inj, windows, err
}

// maxStartAhead bounds how far --start-at may lie from now either way: an
// instant further off is a typo, not a plan.
const maxStartAhead = 24 * time.Hour

// parseStartAt reads --start-at: an RFC 3339 instant within maxStartAhead
// of now (a past one starts at once, its lateness recorded).
func parseStartAt(s string, now time.Time) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("want an RFC 3339 instant such as %s", now.UTC().Add(time.Minute).Truncate(time.Second).Format(time.RFC3339))
	}
	if d := t.Sub(now); d > maxStartAhead || d < -maxStartAhead {
		return time.Time{}, fmt.Errorf("is %s from now; it must lie within %s of now", d.Round(time.Second), maxStartAhead)
	}
	return t, nil
}

// openAndSay opens the target like o.target.Open and then prints the
// store's replication once, when opening chose or found it (a Cassandra
// keyspace's replication follows the cluster unless a flag sets it).
func (o *runOptions) openAndSay(w io.Writer) bench.Factory {
	var said sync.Once
	return func(ctx context.Context, cfg target.Config) (target.System, error) {
		sys, err := o.target.Open(ctx, cfg)
		if err == nil {
			if r := o.target.About().Options["replication"]; strings.HasPrefix(r, "keyspace ") {
				said.Do(func() { fmt.Fprintln(w, "esbench:", r) })
			}
		}
		return sys, err
	}
}
