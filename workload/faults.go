package workload

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Fault kinds. The store-level ones act on every store call through a
// decorator, whatever the backend; the node-level ones act on a node of the
// local Cassandra cluster that scripts/cassandra.sh started.
const (
	// FaultLatency adds latency to every store call (fixed, uniform or
	// exponential).
	FaultLatency = "latency"
	// FaultErrors fails a share (rate) of store calls as unavailable.
	FaultErrors = "errors"
	// FaultTimeout makes every store call hang for timeout, then fail as a
	// timeout.
	FaultTimeout = "timeout"
	// FaultStall blocks every store call until the window ends.
	FaultStall = "stall"
	// FaultNodeStop freezes a node (SIGSTOP) for the window, then resumes it
	// (SIGCONT).
	FaultNodeStop = "node-stop"
	// FaultNodeKill kills a node (SIGKILL) at the window's start and starts
	// it again, on its data, at its end.
	FaultNodeKill = "node-kill"
)

// FaultKinds lists every fault kind.
var FaultKinds = []string{FaultLatency, FaultErrors, FaultTimeout, FaultStall, FaultNodeStop, FaultNodeKill}

// Latency distributions of a latency fault.
const (
	LatencyFixed       = "fixed"
	LatencyUniform     = "uniform"
	LatencyExponential = "exponential"
)

// MaxNode is the highest node number of the local cluster.
const MaxNode = 9

// FaultSpec is one fault window: what goes wrong, from At (measured from
// the start of the run, warmup included) for For.
type FaultSpec struct {
	Kind string        `yaml:"kind"`
	At   time.Duration `yaml:"at"`
	For  time.Duration `yaml:"for"`
	// Latency is a latency fault's added latency: the fixed value, or the
	// mean of the uniform (0 to twice it) and exponential distributions.
	Latency      time.Duration `yaml:"latency,omitempty"`
	Distribution string        `yaml:"distribution,omitempty"`
	// Rate is the share of store calls an errors fault fails, in (0, 1].
	Rate float64 `yaml:"rate,omitempty"`
	// Timeout is how long a timeout fault's calls hang before failing.
	Timeout time.Duration `yaml:"timeout,omitempty"`
	// Node is the node (1..9, 127.0.0.N) of a node fault.
	Node int `yaml:"node,omitempty"`
}

// Name labels the window in results ("latency 10s+5s", "node-kill 2 20s+10s").
func (f FaultSpec) Name() string {
	if f.Node > 0 {
		return fmt.Sprintf("%s node %d at %s for %s", f.Kind, f.Node, f.At, f.For)
	}
	return fmt.Sprintf("%s at %s for %s", f.Kind, f.At, f.For)
}

// IsNode reports whether the fault acts on a cluster node.
func (f FaultSpec) IsNode() bool { return f.Kind == FaultNodeStop || f.Kind == FaultNodeKill }

// resolve fills the defaults of f.
func (f *FaultSpec) resolve() {
	if f.Kind == FaultLatency && f.Distribution == "" {
		f.Distribution = LatencyFixed
	}
}

// problems lists what is wrong with f, keyed by field under prefix
// ("faults[0]"); total is the run's length (0: unknown).
func (f *FaultSpec) problems(prefix string, total time.Duration) map[string]string {
	out := map[string]string{}
	add := func(field, format string, a ...any) { out[prefix+"."+field] = fmt.Sprintf(format, a...) }
	if !slices.Contains(FaultKinds, f.Kind) {
		add("kind", "want one of %s, got %q", strings.Join(FaultKinds, ", "), f.Kind)
		return out
	}
	if f.At < 0 {
		add("at", "must not be negative, got %s", f.At)
	}
	if f.For <= 0 {
		add("for", "must be positive (the window's length), got %s", f.For)
	}
	if total > 0 && f.At >= 0 && f.For > 0 && f.At+f.For > total {
		add("for", "the window ends at %s, after the run's %s (warmup plus duration)", f.At+f.For, total)
	}
	only := func(field string, set bool, kinds ...string) {
		if set && !slices.Contains(kinds, f.Kind) {
			add(field, "applies to kind %s only, not to %s", strings.Join(kinds, " and "), f.Kind)
		}
	}
	only("latency", f.Latency != 0, FaultLatency)
	only("distribution", f.Distribution != "", FaultLatency)
	only("rate", f.Rate != 0, FaultErrors)
	only("timeout", f.Timeout != 0, FaultTimeout)
	only("node", f.Node != 0, FaultNodeStop, FaultNodeKill)
	switch f.Kind {
	case FaultLatency:
		if f.Latency <= 0 || f.Latency > time.Minute {
			add("latency", "want a latency from 1ns to 1m, got %s", f.Latency)
		}
		if f.Distribution != "" && !slices.Contains([]string{LatencyFixed, LatencyUniform, LatencyExponential}, f.Distribution) {
			add("distribution", "want one of fixed, uniform, exponential, got %q", f.Distribution)
		}
	case FaultErrors:
		if !(f.Rate > 0 && f.Rate <= 1) {
			add("rate", "want a share of calls in (0, 1], got %v", f.Rate)
		}
	case FaultTimeout:
		if f.Timeout <= 0 || f.Timeout > time.Minute {
			add("timeout", "want how long calls hang, from 1ns to 1m, got %s", f.Timeout)
		}
	case FaultNodeStop, FaultNodeKill:
		if f.Node < 1 || f.Node > MaxNode {
			add("node", "want a node number from 1 to %d (127.0.0.N of the local cluster), got %d", MaxNode, f.Node)
		}
	}
	return out
}

// faultProblems checks every fault of the spec and that windows on one
// node do not overlap (a node cannot be killed while it is stopped).
func faultProblems(faults []FaultSpec, total time.Duration) map[string]string {
	out := map[string]string{}
	for i := range faults {
		for k, v := range faults[i].problems(fmt.Sprintf("faults[%d]", i), total) {
			out[k] = v
		}
	}
	for i, a := range faults {
		for j := i + 1; j < len(faults); j++ {
			b := faults[j]
			if a.IsNode() && b.IsNode() && a.Node == b.Node && a.At < b.At+b.For && b.At < a.At+a.For {
				out[fmt.Sprintf("faults[%d]", j)] = fmt.Sprintf("overlaps faults[%d] on node %d: windows on one node must not overlap", i, a.Node)
			}
		}
	}
	return out
}

// ParseFault reads a fault from its command-line form,
// KIND,at=D,for=D[,latency=D][,distribution=NAME][,rate=X][,timeout=D][,node=N]
// (for example "latency,at=10s,for=5s,latency=20ms"). Its fields are
// checked when the workload is validated.
func ParseFault(s string) (FaultSpec, error) {
	parts := strings.Split(s, ",")
	f := FaultSpec{Kind: strings.TrimSpace(parts[0])}
	if f.Kind == "" {
		return f, fmt.Errorf("%q: want KIND,at=DURATION,for=DURATION,... with KIND one of %s", s, strings.Join(FaultKinds, ", "))
	}
	seen := map[string]bool{}
	for _, p := range parts[1:] {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok || v == "" {
			return f, fmt.Errorf("%q: %q is not key=value", s, p)
		}
		if seen[k] {
			return f, fmt.Errorf("%q: %s given twice", s, k)
		}
		seen[k] = true
		var err error
		switch k {
		case "at":
			f.At, err = time.ParseDuration(v)
		case "for":
			f.For, err = time.ParseDuration(v)
		case "latency":
			f.Latency, err = time.ParseDuration(v)
		case "timeout":
			f.Timeout, err = time.ParseDuration(v)
		case "distribution":
			f.Distribution = v
		case "rate":
			f.Rate, err = strconv.ParseFloat(v, 64)
			if err == nil && (math.IsNaN(f.Rate) || math.IsInf(f.Rate, 0)) {
				err = fmt.Errorf("not a finite number")
			}
		case "node":
			f.Node, err = strconv.Atoi(v)
		default:
			return f, fmt.Errorf("%q: unknown key %q (want at, for, latency, distribution, rate, timeout or node)", s, k)
		}
		if err != nil {
			return f, fmt.Errorf("%q: %s=%q: %v", s, k, v, err)
		}
	}
	for _, k := range []string{"at", "for"} {
		if !seen[k] {
			return f, fmt.Errorf("%q: %s= is required", s, k)
		}
	}
	f.resolve()
	return f, nil
}
