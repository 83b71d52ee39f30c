package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esbench/esbench/workload"
)

func TestPresetsListsEveryPreset(t *testing.T) {
	out, err := runCLI(t, "presets")
	if err != nil {
		t.Fatalf("presets: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	names := workload.Presets()
	if len(lines) != len(names) {
		t.Fatalf("presets printed %d lines for %d presets:\n%s", len(lines), len(names), out)
	}
	for i, name := range names {
		spec, err := workload.Preset(name)
		if err != nil {
			t.Fatal(err)
		}
		if spec.Description == "" {
			t.Errorf("preset %s has no description to list", name)
		}
		f := strings.Fields(lines[i])
		if len(f) < 3 || f[0] != name || f[1] != spec.Experiment || !strings.HasSuffix(lines[i], spec.Description) {
			t.Errorf("line %d = %q, want %s, its experiment %s and its description %q", i, lines[i], name, spec.Experiment, spec.Description)
		}
	}
}

// TestPresetsPrintCopyableFile checks that what `presets NAME` prints is a
// workload file that reads back as the preset itself, comments included.
func TestPresetsPrintCopyableFile(t *testing.T) {
	dir := t.TempDir()
	for _, name := range workload.Presets() {
		out, err := runCLI(t, "presets", name)
		if err != nil {
			t.Fatalf("presets %s: %v", name, err)
		}
		if !strings.HasPrefix(out, "#") {
			t.Errorf("presets %s does not start with the preset's comment:\n%.200s", name, out)
		}
		path := filepath.Join(dir, name+".yaml")
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		fromFile, err := workload.LoadFile(path)
		if err != nil {
			t.Fatalf("the printed %s does not load: %v", name, err)
		}
		builtIn, err := workload.Preset(name)
		if err != nil {
			t.Fatal(err)
		}
		a, err := workload.Marshal(fromFile)
		if err != nil {
			t.Fatal(err)
		}
		b, err := workload.Marshal(builtIn)
		if err != nil {
			t.Fatal(err)
		}
		if string(a) != string(b) {
			t.Errorf("the printed %s resolves differently from the built-in preset:\n%s\nvs\n%s", name, a, b)
		}
		if vout, err := runCLI(t, "validate", path); err != nil || !strings.Contains(vout, path+": valid") {
			t.Errorf("validate of the printed %s: %v\n%s", name, err, vout)
		}
	}
}

func TestValidateSummarises(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "small.yaml")
	data := "name: small\nexperiment: mixed\npopulation: {customers: 300}\narrival: {mode: closed, workers: 3}\nduration: 2s\nwarmup: 0s\nservice: {codec: cbor, snapshot: every:10}\nthresholds: ['acquire.p99 < 1s']\n"
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	capPath := filepath.Join(dir, "cap.yaml")
	if err := os.WriteFile(capPath, []byte(capacityWorkload), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := runCLI(t, "validate", path, "replay", capPath)
	if err != nil {
		t.Fatalf("validate: %v\n%s", err, out)
	}
	for _, want := range []string{
		path + ": valid", "300 customers", "closed loop, 3 workers", "warmup 0s, measured 2s",
		"codec cbor, snapshots every:10", "acquire.p99 < 1s",
		"replay: valid", "intervals none,100",
		capPath + ": valid", "capacity experiment", "from 100 ops/s (×2 per step, 10..3200 ops/s, resolution 0.2, at most 8 steps), 4 workers",
		"per step: warmup 200ms, measured 1s (at least 50 operations)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
}

// TestValidateRejectsAsRunDoes checks each invalid workload is refused by
// validate and by run with the same message naming the file, line and field,
// and that validate still summarises the valid workloads given with it.
func TestValidateRejectsAsRunDoes(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name, data string
		want       []string
	}{
		{"negative.yaml", "population:\n  customers: -3\n", []string{"negative.yaml:2", "population.customers", "-3"}},
		{"unknown.yaml", "mix:\n  acquire: 1\n  bogus: 2\n", []string{"unknown.yaml:3", "mix.bogus", "unknown field"}},
		{"codec.yaml", "service:\n  codec: xml\n", []string{"codec.yaml:2", "service.codec", "xml"}},
		{"syntax.yaml", "arrival: [\n", []string{"syntax.yaml:1", "invalid YAML"}},
		{"snapshot.yaml", "service:\n  snapshot: every:0\n", []string{"snapshot.yaml:2", "service.snapshot"}},
	}
	for _, tt := range tests {
		p := write(tt.name, tt.data)
		vout, verr := runCLI(t, "validate", "default", p)
		if verr == nil {
			t.Errorf("validate %s succeeded:\n%s", tt.name, vout)
			continue
		}
		if !strings.Contains(vout, "default: valid") {
			t.Errorf("validate %s: the valid preset given with it was not summarised:\n%s", tt.name, vout)
		}
		_, rerr := runCLI(t, "run", p, "--store", "memory", "--out", t.TempDir())
		if rerr == nil {
			t.Errorf("run %s succeeded; validate rejected it", tt.name)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(vout, w) {
				t.Errorf("validate %s: output lacks %q:\n%s", tt.name, w, vout)
			}
			if !strings.Contains(rerr.Error(), w) {
				t.Errorf("run %s: error lacks %q: %v", tt.name, w, rerr)
			}
		}
		if !strings.Contains(vout, strings.TrimSpace(strings.SplitN(rerr.Error(), "\n", 2)[0])) {
			t.Errorf("validate %s and run disagree:\nvalidate: %s\nrun: %v", tt.name, vout, rerr)
		}
	}
}
