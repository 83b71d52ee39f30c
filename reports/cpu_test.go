package reports

import (
	"strings"
	"testing"
	"time"
)

func TestNewCPUUse(t *testing.T) {
	if u := NewCPUUse(0, time.Second, 10); u != nil {
		t.Errorf("no CPU: got %+v, want nil", u)
	}
	if u := NewCPUUse(time.Second, 0, 10); u != nil {
		t.Errorf("no measured time: got %+v, want nil", u)
	}
	u := NewCPUUse(500*time.Millisecond, 2*time.Second, 1000)
	if u.PerOpNs != 500e3 {
		t.Errorf("per op = %v ns, want 500000", u.PerOpNs)
	}
	if want := 0.25 / float64(u.CPUs); u.MachineShare != want {
		t.Errorf("machine share = %v, want %v", u.MachineShare, want)
	}
}

func TestGeneratorWarning(t *testing.T) {
	busy := &CPUUse{CPUNs: 1, PerOpNs: 20e3, MachineShare: 0.95, CPUs: 2}
	idle := &CPUUse{CPUNs: 1, PerOpNs: 20e3, MachineShare: 0.30, CPUs: 2}
	for _, tc := range []struct {
		name string
		run  Run
		warn bool
	}{
		{"busy and late", Run{Mode: "open", Recorded: 1000, Late: 50, CPU: busy}, true},
		{"busy, on time", Run{Mode: "open", Recorded: 1000, Late: 5, CPU: busy}, false},
		{"late, idle generator", Run{Mode: "open", Recorded: 1000, Late: 50, CPU: idle}, false},
		{"closed loop", Run{Mode: "closed", Recorded: 1000, Late: 50, CPU: busy}, false},
		{"no CPU recorded", Run{Mode: "open", Recorded: 1000, Late: 50}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := generatorWarning(&tc.run)
			if (w != "") != tc.warn {
				t.Fatalf("warning %q, want one: %v", w, tc.warn)
			}
			var found bool
			for _, x := range Warnings(&tc.run) {
				found = found || strings.Contains(x, "load generator")
			}
			if found != tc.warn {
				t.Errorf("Warnings() carries the generator warning: %v, want %v", found, tc.warn)
			}
		})
	}
}
