package workload

import (
	"time"
)

// Experiment names what a workload file asks the runner to do.
const (
	// ExperimentMixed is the mixed service load at a rate (or closed loop).
	ExperimentMixed = "mixed"
	// ExperimentReplay measures aggregate loads against history length, with
	// and without snapshots.
	ExperimentReplay = "replay"
	// ExperimentSweep measures replay and append costs over a grid of
	// snapshot intervals × history lengths.
	ExperimentSweep = "sweep"
	// ExperimentCapacity searches for the highest open-loop arrival rate at
	// which every SLO holds: steps up geometrically from arrival.rate, then
	// bisects between the last passing and the first failing rate. Each
	// step runs warmup then duration (at least capacity.min_operations).
	ExperimentCapacity = "capacity"
)

// Key choosers: how measured operations pick a customer.
const (
	ChooserUniform = "uniform"
	// ChooserZipf picks by Zipf rank, scrambled over the customer space so
	// the hot customers are not neighbours (YCSB's scrambled zipfian).
	ChooserZipf = "zipf"
	// ChooserLatest favours the newest customers (the highest ids), like
	// YCSB's "latest".
	ChooserLatest = "latest"
)

// History-length distributions.
const (
	HistoryFixed       = "fixed"
	HistoryUniform     = "uniform"
	HistoryExponential = "exponential"
	HistoryLognormal   = "lognormal"
	// HistoryGroups splits the customers into len(Lengths) equal blocks of
	// consecutive ids, block g having exactly Lengths[g] events, for replay
	// studies that need known history lengths. With the uniform and latest
	// choosers every shard gets an equal share of each block.
	HistoryGroups = "groups"
)

// Arrival modes and processes.
const (
	ModeOpen        = "open"
	ModeClosed      = "closed"
	ProcessConstant = "constant"
	ProcessPoisson  = "poisson"
)

// Spec is a workload file after parsing: every field has its default filled
// in, so a Spec rendered with Marshal is the resolved workload.
type Spec struct {
	// Name identifies the workload (the preset name or the file's name).
	Name        string `yaml:"name"`
	Description string `yaml:"description,omitempty"`
	// Experiment is mixed, replay or sweep.
	Experiment string `yaml:"experiment"`
	// Seed makes everything reproducible: same seed, same operations.
	Seed uint64 `yaml:"seed"`
	// Shard is "i/n": this process drives the i-th of n contiguous ranges
	// of the customer space. The CLI's --shard overrides it.
	Shard string `yaml:"shard"`
	// Start is the simulated instant at which measurement begins; preload
	// histories lie before it. Fixed by default so runs are reproducible.
	Start time.Time `yaml:"start"`

	Population PopulationSpec `yaml:"population"`
	Catalogue  CatalogueSpec  `yaml:"catalogue"`
	Mix        MixSpec        `yaml:"mix"`
	Arrival    ArrivalSpec    `yaml:"arrival"`

	// Warmup is run before measurement and excluded from results.
	Warmup time.Duration `yaml:"warmup"`
	// Duration is the measured time after warmup (0 with Operations set:
	// run until that many measured operations).
	Duration time.Duration `yaml:"duration"`
	// Operations, when non-zero, stops the run after this many operations
	// across all workers of this shard. The count includes the warmup's
	// operations (warmup is time-based), so with a warmup fewer are measured;
	// the result reports how many were.
	Operations uint64 `yaml:"operations"`

	Preload PreloadSpec `yaml:"preload"`
	Service ServiceSpec `yaml:"service"`
	Sweep   SweepSpec   `yaml:"sweep"`
	// Capacity parameterises the capacity experiment.
	Capacity CapacitySpec `yaml:"capacity"`
	// Thresholds are regression checks for compare, kept as written (for
	// example "p99(acquire) < 20ms").
	Thresholds []string `yaml:"thresholds"`
	// AbortOnFail are thresholds that, besides being checked at the end
	// like Thresholds, stop the run as soon as they fail while it runs
	// (k6's abortOnFail); see AbortSpec.
	AbortOnFail []AbortSpec `yaml:"abort_on_fail,omitempty"`
	// Target is the system under test as run's --target takes it: a target
	// name (inproc, remote) or a service URL (http://host:port, meaning the
	// remote target at that URL). Empty: the command line's choice. Which
	// names exist is the target registry's to say; --target overrides it.
	Target string `yaml:"target,omitempty"`
	// Faults are the fault windows injected into the measured run (see
	// FaultSpec), in any order.
	Faults []FaultSpec `yaml:"faults,omitempty"`

	src *source
}

// AbortSpec is a threshold checked while a mixed run goes, on everything
// measured so far, once DelayAbortEval of the measured period has passed
// (k6's delayAbortEval: the first seconds of a run say little); the run
// stops when it fails, writes its results marked partial and exits with
// the threshold code.
type AbortSpec struct {
	// Threshold is an absolute threshold ("acquire.p99 < 500ms").
	Threshold string `yaml:"threshold"`
	// DelayAbortEval is the grace period: the measured time before the
	// threshold is first evaluated.
	DelayAbortEval time.Duration `yaml:"delay_abort_eval"`
}

// PopulationSpec describes the customers.
type PopulationSpec struct {
	// Customers is the population size, 1 to 100,000,000.
	Customers uint64 `yaml:"customers"`
	// Chooser is uniform, zipf or latest.
	Chooser string `yaml:"chooser"`
	// Skew is the Zipf exponent of the zipf and latest choosers (> 1): the
	// customers' activity skew.
	Skew float64 `yaml:"skew"`
	// Plans are the relative weights of the plans.
	Plans PlanWeights `yaml:"plans"`
	// Devices is the most devices a customer of each plan has (each
	// customer gets 1..max, uniformly).
	Devices PlanDevices `yaml:"devices"`
	History HistorySpec `yaml:"history"`
}

// PlanWeights weighs the service's plans.
type PlanWeights struct {
	Basic    float64 `yaml:"basic"`
	Standard float64 `yaml:"standard"`
	Premium  float64 `yaml:"premium"`
}

// PlanDevices gives a device count per plan.
type PlanDevices struct {
	Basic    int `yaml:"basic"`
	Standard int `yaml:"standard"`
	Premium  int `yaml:"premium"`
}

// HistorySpec is the distribution of history lengths: the number of events
// in a customer's account stream after preload (account opening and device
// registrations included, so a length is at least 1 + the device count).
type HistorySpec struct {
	Distribution string `yaml:"distribution"`
	// Mean is the mean of exponential and the median of lognormal.
	Mean float64 `yaml:"mean"`
	// Sigma is the lognormal shape.
	Sigma float64 `yaml:"sigma"`
	// Min and Max bound every distribution (fixed uses Min).
	Min int `yaml:"min"`
	Max int `yaml:"max"`
	// Lengths are the exact lengths of the groups distribution.
	Lengths []int `yaml:"lengths"`
	// Span is the simulated time a history covers before Start.
	Span time.Duration `yaml:"span"`
}

// CatalogueSpec describes the titles.
type CatalogueSpec struct {
	Titles int `yaml:"titles"`
	// Skew is the Zipf exponent of title popularity (≥ 0; 0 is uniform).
	Skew    float64 `yaml:"skew"`
	Studios int     `yaml:"studios"`
	// Restricted is the share of studios whose titles are limited per year.
	Restricted float64 `yaml:"restricted"`
}

// MixSpec weighs the operations of the measured phase. Writing a mix in a
// file replaces the default mix entirely (absent operations weigh 0).
type MixSpec struct {
	Acquire        float64 `yaml:"acquire"`
	Check          float64 `yaml:"check"`
	Renew          float64 `yaml:"renew"`
	Release        float64 `yaml:"release"`
	Playback       float64 `yaml:"playback"`
	RegisterDevice float64 `yaml:"register_device"`
	RemoveDevice   float64 `yaml:"remove_device"`
	Load           float64 `yaml:"load"`
}

// ArrivalSpec says when operations start.
type ArrivalSpec struct {
	// Mode is open (operations start on a schedule, whether or not earlier
	// ones finished) or closed (each worker starts the next when the last
	// finishes).
	Mode string `yaml:"mode"`
	// Process is constant or poisson (open loop only).
	Process string `yaml:"process"`
	// Rate is the target in operations per second over all workers of this
	// shard, used when Stages is empty.
	Rate float64 `yaml:"rate"`
	// Stages ramp the rate linearly from the previous stage's target (0
	// before the first) to each stage's target over its duration. They
	// cover warmup and measurement: their total replaces Warmup+Duration.
	Stages []StageSpec `yaml:"stages"`
	// Workers is the number of concurrent workers.
	Workers int `yaml:"workers"`
}

// StageSpec is one ramp stage.
type StageSpec struct {
	Duration time.Duration `yaml:"duration"`
	Rate     float64       `yaml:"rate"`
}

// PreloadSpec controls the preload phase.
type PreloadSpec struct {
	Enabled bool `yaml:"enabled"`
	// Workers write histories in parallel.
	Workers int `yaml:"workers"`
}

// ServiceSpec carries hints for the service under test. Which values are
// valid is the target's to say (see Spec.Errors).
type ServiceSpec struct {
	// Snapshot is the snapshot policy: "none", "every:N", or "load:"
	// followed by "events>N" and/or "time>D" (snapshot when a load
	// replayed more than N events or took longer than D), as
	// the reference service reads it.
	Snapshot string `yaml:"snapshot"`
	// Codec is the event codec id (json, gob, msgp, ... for the reference
	// service).
	Codec string `yaml:"codec"`
}

// CapacitySpec parameterises the capacity experiment: the rate search
// starts at arrival.rate and each step runs the workload's warmup and
// duration at one rate.
type CapacitySpec struct {
	// MaxRate bounds the search (ops/s): a workload whose SLOs still hold
	// there reports MaxRate as a lower bound.
	MaxRate float64 `yaml:"max_rate"`
	// MinRate is the lowest rate tried when the starting rate already
	// fails (the search then steps down by Growth).
	MinRate float64 `yaml:"min_rate"`
	// Growth is the factor between steps while every SLO holds.
	Growth float64 `yaml:"growth"`
	// Resolution ends the bisection once the first failing rate is within
	// this share of the last passing one (0.05 = 5%).
	Resolution float64 `yaml:"resolution"`
	// MinOperations is the fewest measured operations a step needs; a
	// step's measured period is stretched to reach it at its rate.
	MinOperations uint64 `yaml:"min_operations"`
	// MaxSteps bounds the number of steps (and so the experiment's time).
	MaxSteps int `yaml:"max_steps"`
	// Settle lengthens the first step's warmup: a system just preloaded
	// (flushing and compacting what it was sent, a JVM still compiling) is
	// slower than it will be, and a first step judged on that fails at a
	// rate the system sustains once settled.
	Settle time.Duration `yaml:"settle,omitempty"`
	// SLOs must all hold at a sustainable rate, written as thresholds:
	// "acquire.p99 < 20ms", "error_share < 1%", "late_share < 5%".
	SLOs []string `yaml:"slos"`
}

// Bounds of the capacity search's settings.
const (
	MaxCapacityRate  = 10_000_000
	MaxCapacitySteps = 50
)

// SweepSpec parameterises the replay and sweep experiments.
type SweepSpec struct {
	// Intervals are snapshot intervals in events, or "none".
	Intervals []string `yaml:"intervals"`
	// Histories are the history lengths studied.
	Histories []int `yaml:"histories"`
	// Customers is how many customers of each history length are studied.
	Customers int `yaml:"customers"`
	// Replays is how many loads are measured per point.
	Replays int `yaml:"replays"`
	// ReplayTarget is the replay latency the study looks for the largest
	// snapshot interval to meet.
	ReplayTarget time.Duration `yaml:"replay_target"`
}

// DefaultSpec returns the defaults every workload file is read over: the
// default preset's workload.
func DefaultSpec() Spec {
	return Spec{
		Name:       "default",
		Experiment: ExperimentMixed,
		Seed:       1,
		Shard:      "0/1",
		Start:      time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		Population: PopulationSpec{
			Customers: 20000,
			Chooser:   ChooserZipf,
			Skew:      1.1,
			Plans:     PlanWeights{Basic: 30, Standard: 50, Premium: 20},
			Devices:   PlanDevices{Basic: 1, Standard: 2, Premium: 4},
			History: HistorySpec{
				Distribution: HistoryLognormal,
				Mean:         12,
				Sigma:        1,
				Min:          5,
				Max:          100,
				Span:         365 * 24 * time.Hour,
			},
		},
		Catalogue: CatalogueSpec{Titles: 10000, Skew: 1.0, Studios: 200, Restricted: 0.2},
		Mix: MixSpec{
			Acquire: 30, Check: 30, Renew: 10, Release: 15, Playback: 10,
			RegisterDevice: 1, RemoveDevice: 1, Load: 3,
		},
		Arrival:  ArrivalSpec{Mode: ModeOpen, Process: ProcessPoisson, Rate: 400, Workers: 16},
		Warmup:   10 * time.Second,
		Duration: 60 * time.Second,
		Preload:  PreloadSpec{Enabled: true, Workers: 16},
		Service:  ServiceSpec{Snapshot: "every:100", Codec: "json"},
		Sweep: SweepSpec{
			Intervals:    []string{"none", "10", "50", "100", "500", "1000"},
			Histories:    []int{10, 100, 1000, 10000},
			Customers:    10,
			Replays:      200,
			ReplayTarget: 5 * time.Millisecond,
		},
		Capacity: CapacitySpec{MaxRate: 100_000, MinRate: 10, Growth: 2, Resolution: 0.1, MinOperations: 1000, MaxSteps: 12},
	}
}
