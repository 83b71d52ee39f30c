package reports

import (
	"fmt"
	"runtime"
	"time"
)

// CPUUse is the CPU the esbench process itself used during a measured
// period: the load generator, recorder and progress display, and, when the
// target runs in the same process, the service and its store too. It is how
// a reader tells whether the generator could have been the bottleneck.
type CPUUse struct {
	// CPUNs is user plus system time (getrusage) in the measured period.
	CPUNs int64 `json:"cpu_ns"`
	// PerOpNs is CPUNs divided by the measured operations.
	PerOpNs float64 `json:"per_op_ns"`
	// MachineShare is CPUNs over the measured wall time times the machine's
	// logical CPUs: 1 means the process kept every CPU busy.
	MachineShare float64 `json:"machine_share"`
	// CPUs is the number of logical CPUs the share is taken of.
	CPUs int `json:"cpus"`
}

// NewCPUUse summarises cpu used over measured by ops operations, or nil when
// nothing was measured.
func NewCPUUse(cpu, measured time.Duration, ops int64) *CPUUse {
	if cpu <= 0 || measured <= 0 {
		return nil
	}
	n := runtime.NumCPU()
	u := &CPUUse{CPUNs: int64(cpu), CPUs: n, MachineShare: cpu.Seconds() / (measured.Seconds() * float64(n))}
	if ops > 0 {
		u.PerOpNs = float64(cpu) / float64(ops)
	}
	return u
}

// generatorBusyShare is the machine share of the esbench process above which
// late starts are blamed on the generator as much as on the target.
const generatorBusyShare = 0.8

// generatorWarning says when the load generator itself may have been the
// bottleneck (k6 warns about its load generator the same way), or "": when
// more than 1% of operations started late although their worker was free
// (the generator did not start them on time), or when the esbench process
// kept the machine busy while more than 1% started late.
func generatorWarning(run *Run) string {
	if run.Mode != "open" || run.Recorded == 0 {
		return ""
	}
	c := run.CPU
	var use string
	if c != nil {
		use = fmt.Sprintf("the esbench process used %.0f%% of the machine's %d CPUs (%s per operation)", 100*c.MachineShare, c.CPUs, FormatNs(int64(c.PerOpNs)))
	}
	if gen := float64(run.GeneratorLate) / float64(run.Recorded); gen > 0.01 {
		w := fmt.Sprintf("%.1f%% of operations started more than %s late although their worker was free at the intended start: "+
			"the load generator did not start them on time (it was short of CPU, or this machine was busy), so that start lag is the harness's, not the system under test's",
			100*gen, FormatNs(run.LateThresholdNs))
		if use != "" {
			w += "; " + use
		}
		return w
	}
	late := float64(run.Late) / float64(run.Recorded)
	if c == nil || c.MachineShare < generatorBusyShare || late <= 0.01 {
		return ""
	}
	return fmt.Sprintf("%s while %.1f%% of operations started late: the load generator (or an in-process target sharing its CPUs) may be the bottleneck, not the system under test",
		use, 100*late)
}
