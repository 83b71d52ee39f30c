package reports

import (
	"bufio"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/esbench/esbench/internal/buildinfo"
)

// Environment records where and with what a run was made.
type Environment struct {
	Version   string `json:"esbench_version"`
	Commit    string `json:"esbench_commit"`
	GoVersion string `json:"go_version"`
	GOOS      string `json:"goos"`
	GOARCH    string `json:"goarch"`
	CPUModel  string `json:"cpu_model,omitempty"`
	Cores     int    `json:"cores"`
	// GOMAXPROCS is the parallelism the run actually had.
	GOMAXPROCS int    `json:"gomaxprocs"`
	Hostname   string `json:"hostname,omitempty"`
	// Backend is the event store ("memory", "pebble", "cassandra") and
	// BackendOptions its settings.
	Backend        string            `json:"backend,omitempty"`
	BackendOptions map[string]string `json:"backend_options,omitempty"`
	Codec          string            `json:"codec,omitempty"`
	Started        time.Time         `json:"started"`
	Finished       time.Time         `json:"finished"`
}

// CollectEnvironment describes this process and machine. The caller fills
// in the backend, codec and times.
func CollectEnvironment() Environment {
	v, c := buildinfo.Info()
	host, _ := os.Hostname()
	return Environment{
		Version:    v,
		Commit:     c,
		GoVersion:  runtime.Version(),
		GOOS:       runtime.GOOS,
		GOARCH:     runtime.GOARCH,
		CPUModel:   cpuModel("/proc/cpuinfo"),
		Cores:      runtime.NumCPU(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		Hostname:   host,
	}
}

// cpuModel returns the first "model name" in a Linux cpuinfo file, or ""
// where there is none.
func cpuModel(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// Process records the harness's own resource use at the end of a run, so
// that a long run can be checked for memory growth.
type Process struct {
	HeapAllocBytes uint64 `json:"heap_alloc_bytes"`
	HeapSysBytes   uint64 `json:"heap_sys_bytes"`
	SysBytes       uint64 `json:"sys_bytes"`
	NumGC          uint32 `json:"num_gc"`
	GCPauseTotalNs uint64 `json:"gc_pause_total_ns"`
}

// CollectProcess reads the Go runtime's memory statistics.
func CollectProcess() *Process {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return &Process{
		HeapAllocBytes: ms.HeapAlloc,
		HeapSysBytes:   ms.HeapSys,
		SysBytes:       ms.Sys,
		NumGC:          ms.NumGC,
		GCPauseTotalNs: ms.PauseTotalNs,
	}
}
