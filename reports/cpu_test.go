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
		{"late with workers free, idle process", Run{Mode: "open", Recorded: 1000, Late: 50, GeneratorLate: 20, CPU: idle}, true},
		{"late with workers free, no CPU recorded", Run{Mode: "open", Recorded: 1000, Late: 50, GeneratorLate: 20}, true},
		{"a few late with workers free", Run{Mode: "open", Recorded: 1000, Late: 50, GeneratorLate: 10, CPU: idle}, false},
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

// TestLateWarningsSplit: late starts whose worker was free are blamed on the
// generator, the rest on the target's backlog, each with its own share.
func TestLateWarningsSplit(t *testing.T) {
	for _, tc := range []struct {
		name                string
		late, generatorLate int64
		backlog, generator  string // the share each warning must state, "" for none
	}{
		{"all backlog", 50, 0, "5.0%", ""},
		{"all the generator's", 50, 50, "", "5.0%"},
		{"both", 50, 30, "2.0%", "3.0%"},
		{"generator's within 1%", 50, 8, "4.2%", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := &Run{Mode: "open", Recorded: 1000, Late: tc.late, GeneratorLate: tc.generatorLate, LateThresholdNs: 1e6}
			var backlog, generator string
			for _, w := range Warnings(run) {
				switch {
				case strings.Contains(w, "did not keep up"):
					backlog = w
				case strings.Contains(w, "worker was free"):
					generator = w
				}
			}
			for _, c := range []struct{ what, got, share string }{{"backlog", backlog, tc.backlog}, {"generator", generator, tc.generator}} {
				switch {
				case c.share == "" && c.got != "":
					t.Errorf("%s warning %q, want none", c.what, c.got)
				case c.share != "" && !strings.HasPrefix(c.got, c.share+" of operations"):
					t.Errorf("%s warning %q, want one stating %s", c.what, c.got, c.share)
				}
			}
			line := runLine(run)
			if want := "with their worker free"; (tc.generatorLate > 0) != strings.Contains(line, want) {
				t.Errorf("run line %q: mentions %q: %v, want %v", line, want, !(tc.generatorLate > 0), tc.generatorLate > 0)
			}
		})
	}
}
