package workload

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseErrorsNameFileLineField(t *testing.T) {
	cases := []struct {
		name  string
		yaml  string
		line  int
		field string
		msg   string
	}{
		{"unknown top-level key", "seed: 3\nbogus: 1\n", 2, "bogus", "unknown field"},
		{"unknown nested key", "population:\n  customers: 10\n  colour: red\n", 3, "population.colour", "unknown field"},
		{"unknown key in a list item", "arrival:\n  stages:\n    - duration: 5s\n      rate: 3\n      burst: 2\n", 5, "arrival.stages[0].burst", "unknown field"},
		{"wrong type: string for a number", "arrival:\n  rate: fast\n", 2, "arrival.rate", "want a number"},
		{"wrong type: float for an integer", "population:\n  customers: 1.5\n", 2, "population.customers", "want a non-negative integer"},
		{"wrong type: list for a mapping", "mix: [1, 2]\n", 1, "mix", "want a mapping"},
		{"wrong type: bad duration", "warmup: soon\n", 1, "warmup", "want a duration"},
		{"wrong type: number for a duration", "duration: 60\n", 1, "duration", "want a duration"},
		{"wrong type: bool", "preload:\n  enabled: maybe\n", 2, "preload.enabled", "want true or false"},
		{"negative rate", "seed: 1\narrival:\n  mode: open\n  rate: -5\n", 4, "arrival.rate", "must be in [0, 1000000] ops/s, got -5"},
		{"negative stage rate", "arrival:\n  stages:\n    - {duration: 10s, rate: 5}\n    - {duration: 10s, rate: -1}\n", 4, "arrival.stages[1].rate", "must be in [0, 1000000] ops/s"},
		{"weights sum to zero", "mix:\n  acquire: 0\n  check: 0\n", 1, "mix", "weights sum to zero"},
		{"negative weight", "mix:\n  acquire: 5\n  check: -1\n", 3, "mix.check", "weight must be ≥ 0"},
		{"plans sum to zero", "population:\n  plans: {basic: 0, standard: 0, premium: 0}\n", 2, "population.plans", "weights sum to zero"},
		{"shard 3/2", "name: x\nshard: 3/2\n", 2, "shard", "shard index must be in [0, 2)"},
		{"shard 0/0", "shard: 0/0\n", 1, "shard", "shard count must be ≥ 1"},
		{"shard garbage", "shard: half\n", 1, "shard", "want i/n"},
		{"negative customers", "population:\n  customers: -3\n", 2, "population.customers", "must be ≥ 0, got -3"},
		{"too many customers", "population:\n  customers: 100000001\n", 2, "population.customers", "must be in [1, 100000000]"},
		{"zero customers", "population:\n  customers: 0\n", 2, "population.customers", "must be in [1"},
		{"unknown chooser", "population:\n  chooser: hottest\n", 2, "population.chooser", "want one of uniform, zipf, latest"},
		{"zipf skew too small", "population:\n  skew: 0.9\n", 2, "population.skew", "must be > 1"},
		{"restricted share above 1", "catalogue:\n  restricted: 1.5\n", 2, "catalogue.restricted", "share in [0, 1]"},
		{"history max below min", "population:\n  history:\n    min: 50\n    max: 10\n", 4, "population.history.max", "must be in [min=50"},
		{"unknown mode", "arrival:\n  mode: half-open\n", 2, "arrival.mode", "want one of open, closed"},
		{"zero workers", "arrival:\n  workers: 0\n", 2, "arrival.workers", "must be in [1"},
		{"duration with stages", "warmup: 0s\nduration: 30s\narrival:\n  stages: [{duration: 10s, rate: 5}]\n", 2, "duration", "omit duration or set it to 10s"},
		{"bad sweep interval", "sweep:\n  intervals: [none, ten]\n", 2, "sweep.intervals[1]", "want \"none\" or an event count"},
		{"negative warmup", "warmup: -5s\n", 1, "warmup", "must be in [0s, 24h0m0s]"},
		{"huge warmup", "warmup: 100000h\n", 1, "warmup", "must be in [0s, 24h0m0s], got 100000h0m0s"},
		{"huge rate", "arrival:\n  rate: 2000000.5\n", 2, "arrival.rate", "must be in [0, 1000000] ops/s"},
		{"huge duration", "duration: 10000h\n", 1, "duration", "must be in [0s, 720h0m0s]"},
		{"empty value", "seed:\n", 1, "seed", "has no value"},
		{"too few customers for a replay study", "experiment: replay\npopulation:\n  customers: 12\n  history: {distribution: groups, lengths: [10, 100]}\nsweep:\n  histories: [10, 100]\n  customers: 10\n", 3, "population.customers", "fewer than sweep.customers 10"},
		{"sweep history without a group", "experiment: sweep\npopulation:\n  customers: 100\n  history: {distribution: groups, lengths: [10, 100]}\nsweep:\n  histories: [10, 1000]\n  customers: 10\n", 6, "sweep.histories[1]", "not one of population.history.lengths"},
		{"top level not a mapping", "- 1\n- 2\n", 1, "", "want a mapping, got a list"},
		{"integer out of range", "seed: 99999999999999999999999\n", 1, "seed", "want an integer in [0, 2^64)"},
		{"more workers than customers", "population:\n  customers: 10\narrival:\n  workers: 11\n", 4, "arrival.workers", "11 workers need at least as many customers per shard"},
		{"no duration nor operations", "duration: 0s\n", 1, "duration", "needs a duration > 0 or operations > 0"},
		{"empty codec", "service:\n  codec: \"\"\n", 2, "service.codec", "must not be empty"},
		{"empty snapshot policy", "service:\n  snapshot: \" \"\n", 2, "service.snapshot", "must not be empty"},
		{"malformed threshold", "thresholds:\n  - acquire.p99 < 5ms\n  - acquire.p99 is fast\n", 3, "thresholds[1]", `malformed threshold "acquire.p99 is fast"`},
		{"threshold limit not a value", "thresholds:\n  - replay.p99 < soon\n", 2, "thresholds[0]", `limit "soon"`},
		{"regression limit not a percentage", "thresholds:\n  - acquire.p99 regression < 5ms\n", 2, "thresholds[0]", "a regression limit is a percentage"},
		{"empty threshold", "thresholds:\n  - \"\"\n", 2, "thresholds[0]", "must not be empty"},
		{"unknown fault kind", "faults:\n  - {kind: fire, at: 1s, for: 1s}\n", 2, "faults[0].kind", "want one of latency, errors, timeout, stall, node-stop, node-kill"},
		{"fault without a window", "faults:\n  - kind: stall\n    at: 1s\n", 2, "faults[0].for", "must be positive"},
		{"fault negative start", "faults:\n  - kind: stall\n    at: -1s\n    for: 1s\n", 3, "faults[0].at", "must not be negative"},
		{"fault after the run", "warmup: 1s\nduration: 10s\nfaults:\n  - {kind: stall, at: 8s, for: 5s}\n", 4, "faults[0].for", "the window ends at 13s, after the run's 11s"},
		{"latency fault without latency", "faults:\n  - {kind: latency, at: 1s, for: 1s}\n", 2, "faults[0].latency", "want a latency from 1ns to 1m"},
		{"latency distribution unknown", "faults:\n  - kind: latency\n    at: 1s\n    for: 1s\n    latency: 5ms\n    distribution: pareto\n", 6, "faults[0].distribution", "want one of fixed, uniform, exponential"},
		{"error rate above one", "faults:\n  - kind: errors\n    at: 1s\n    for: 1s\n    rate: 1.5\n", 5, "faults[0].rate", "want a share of calls in (0, 1]"},
		{"timeout fault without timeout", "faults:\n  - {kind: timeout, at: 1s, for: 1s}\n", 2, "faults[0].timeout", "want how long calls hang"},
		{"parameter of another kind", "faults:\n  - kind: stall\n    at: 1s\n    for: 1s\n    rate: 0.5\n", 5, "faults[0].rate", "applies to kind errors only, not to stall"},
		{"node out of range", "faults:\n  - kind: node-kill\n    at: 1s\n    for: 1s\n    node: 12\n", 5, "faults[0].node", "want a node number from 1 to 9"},
		{"node faults overlap", "faults:\n  - {kind: node-stop, at: 1s, for: 5s, node: 2}\n  - {kind: node-kill, at: 3s, for: 5s, node: 2}\n", 3, "faults[1]", "overlaps faults[0] on node 2"},
		{"faults in a study", "experiment: replay\nfaults:\n  - {kind: stall, at: 1s, for: 1s}\n", 2, "faults", "apply to the mixed experiment only"},
		{"fault field unknown", "faults:\n  - {kind: stall, at: 1s, for: 1s, severity: 3}\n", 2, "faults[0].severity", "unknown field"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("runs/w.yaml", []byte(tc.yaml))
			if err == nil {
				t.Fatalf("Parse accepted:\n%s", tc.yaml)
			}
			var se *SpecError
			if !errors.As(err, &se) {
				t.Fatalf("error %v is %T, want *SpecError", err, err)
			}
			var fe *FieldError
			for _, e := range se.Errs {
				if e.Field == tc.field {
					fe = e
				}
			}
			if fe == nil {
				t.Fatalf("no error for field %s in:\n%v", tc.field, err)
			}
			if fe.File != "runs/w.yaml" || fe.Line != tc.line {
				t.Errorf("error at %s:%d, want runs/w.yaml:%d", fe.File, fe.Line, tc.line)
			}
			if !strings.Contains(fe.Msg, tc.msg) {
				t.Errorf("message %q does not contain %q", fe.Msg, tc.msg)
			}
			wantPrefix := fmt.Sprintf("runs/w.yaml:%d: field %s: ", tc.line, tc.field)
			if tc.field == "" {
				wantPrefix = fmt.Sprintf("runs/w.yaml:%d: ", tc.line)
			}
			if !strings.Contains(err.Error(), wantPrefix) {
				t.Errorf("error text %q lacks %q", err.Error(), wantPrefix)
			}
		})
	}
}

func TestParseCollectsEveryError(t *testing.T) {
	_, err := Parse("w.yaml", []byte("arrival:\n  rate: -1\n  workers: 0\nmix: {acquire: 0}\n"))
	var se *SpecError
	if !errors.As(err, &se) {
		t.Fatalf("got %v", err)
	}
	fields := map[string]bool{}
	for _, e := range se.Errs {
		fields[e.Field] = true
	}
	for _, f := range []string{"arrival.rate", "arrival.workers", "mix"} {
		if !fields[f] {
			t.Errorf("no error for %s in %v", f, err)
		}
	}
}

func TestParseSyntaxErrorNamesLine(t *testing.T) {
	_, err := Parse("w.yaml", []byte("seed: 1\narrival:\n  rate: [1, 2\n"))
	if err == nil || !strings.HasPrefix(err.Error(), "w.yaml:") || !strings.Contains(err.Error(), "invalid YAML") {
		t.Fatalf("got %v", err)
	}
}

func TestServiceHintsAccepted(t *testing.T) {
	for _, snap := range []string{"none", "every:100", "load:events>200", "load:events>200,time>5ms"} {
		if _, err := Parse("w.yaml", []byte("service:\n  snapshot: \""+snap+"\"\n  codec: msgp\n")); err != nil {
			t.Errorf("snapshot %q: %v", snap, err)
		}
	}
}

func TestParseOverDefaults(t *testing.T) {
	s, err := Parse("dir/mine.yaml", []byte("mix:\n  acquire: 2\n  load: 1\narrival:\n  rate: 50\n"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "mine" {
		t.Errorf("name %q, want the file's base name", s.Name)
	}
	if (s.Mix != MixSpec{Acquire: 2, Load: 1}) {
		t.Errorf("a written mix replaces the default, got %+v", s.Mix)
	}
	d := DefaultSpec()
	if s.Arrival.Rate != 50 || s.Arrival.Workers != d.Arrival.Workers || s.Population.Customers != d.Population.Customers {
		t.Errorf("unwritten fields should keep defaults: %+v", s.Arrival)
	}
}

func TestStagesSetDuration(t *testing.T) {
	s, err := Parse("w.yaml", []byte("warmup: 5s\narrival:\n  stages:\n    - {duration: 10s, rate: 100}\n    - {duration: 20s, rate: 100}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Duration != 25*time.Second || s.Total() != 30*time.Second {
		t.Errorf("duration %v total %v, want 25s and 30s", s.Duration, s.Total())
	}
}

func TestStagesRoundTrip(t *testing.T) {
	s, err := Parse("w.yaml", []byte("warmup: 5s\narrival:\n  stages:\n    - {duration: 10s, rate: 100}\n"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse("resolved.yaml", out)
	if err != nil {
		t.Fatalf("rendered spec does not parse: %v\n%s", err, out)
	}
	if back.Duration != 5*time.Second || len(back.Arrival.Stages) != 1 {
		t.Errorf("round trip gave duration %v, stages %v", back.Duration, back.Arrival.Stages)
	}
}

func TestPresetsParseValidateAndRoundTrip(t *testing.T) {
	names := Presets()
	for _, want := range []string{"default", "replay", "sweep"} {
		if !contains(names, want) {
			t.Errorf("preset %q missing from %v", want, names)
		}
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			s, err := Preset(name)
			if err != nil {
				t.Fatal(err)
			}
			if s.Name != name {
				t.Errorf("name %q", s.Name)
			}
			if _, err := New(s, testOptions()); err != nil {
				t.Fatal(err)
			}
			out, err := Marshal(s)
			if err != nil {
				t.Fatal(err)
			}
			back, err := Parse("resolved.yaml", out)
			if err != nil {
				t.Fatalf("rendered preset does not parse: %v\n%s", err, out)
			}
			back.src, s.src = nil, nil
			if !reflect.DeepEqual(normal0(back), normal0(s)) {
				t.Errorf("round trip changed the spec:\n%+v\n%+v", back, s)
			}
		})
	}
	if _, err := Preset("nope"); !errors.Is(err, ErrUnknownPreset) {
		t.Errorf("unknown preset: %v", err)
	}
}

// normal0 makes nil and empty slices compare equal.
func normal0(s *Spec) Spec {
	c := *s
	if len(c.Thresholds) == 0 {
		c.Thresholds = nil
	}
	if len(c.Capacity.SLOs) == 0 {
		c.Capacity.SLOs = nil
	}
	if len(c.Arrival.Stages) == 0 {
		c.Arrival.Stages = nil
	}
	if len(c.Population.History.Lengths) == 0 {
		c.Population.History.Lengths = nil
	}
	return c
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func TestLoadFileAndLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(path, []byte("seed: 1\narrival:\n  rate: -2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if err == nil || !strings.Contains(err.Error(), path+":3: field arrival.rate") {
		t.Fatalf("got %v", err)
	}
	if _, err := LoadFile(filepath.Join(dir, "missing.yaml")); err == nil {
		t.Fatal("missing file accepted")
	}
	s, err := Load("sweep")
	if err != nil || s.Experiment != ExperimentSweep {
		t.Fatalf("Load(sweep) = %v, %v", s, err)
	}
}

func TestValidateAfterOverride(t *testing.T) {
	s, err := Preset("default")
	if err != nil {
		t.Fatal(err)
	}
	s.Shard = "3/2"
	err = s.Validate()
	if err == nil || !strings.Contains(err.Error(), "field shard: shard index must be in [0, 2)") {
		t.Fatalf("got %v", err)
	}
	if !strings.Contains(err.Error(), "preset default.yaml") {
		t.Errorf("error %q should name the preset file", err)
	}
}

// TestDefaultPresetIsTheDefaults: a file that sets only the name is the
// default workload.
func TestDefaultPresetIsTheDefaults(t *testing.T) {
	p, err := Preset("default")
	if err != nil {
		t.Fatal(err)
	}
	empty, err := Parse("default.yaml", []byte("name: default\n"))
	if err != nil {
		t.Fatal(err)
	}
	p.src, empty.src = nil, nil
	p.Description = ""
	if !reflect.DeepEqual(normal0(p), normal0(empty)) {
		t.Errorf("default preset and defaults differ:\n%+v\n%+v", p, empty)
	}
}

// TestEmptyFileRejected: an empty or comment-only file is an error, not
// the defaults under the file's name.
func TestEmptyFileRejected(t *testing.T) {
	for _, src := range []string{"", "\n\n", "# just a comment\n", "---\n# c\n"} {
		_, err := Parse("w.yaml", []byte(src))
		if err == nil || !strings.Contains(err.Error(), "w.yaml") || !strings.Contains(err.Error(), "empty") {
			t.Errorf("Parse(%q) = %v, want an error naming w.yaml as empty", src, err)
		}
	}
}

// TestPackageDocExample keeps the package documentation's example valid.
func TestPackageDocExample(t *testing.T) {
	src := `name: burst
seed: 7
population: {customers: 1000000, chooser: zipf, skew: 1.2}
mix: {acquire: 40, check: 40, release: 20}   # replaces the whole mix
arrival:
  mode: open
  process: poisson
  workers: 64
  stages: [{duration: 30s, rate: 2000}, {duration: 2m, rate: 2000}]
warmup: 30s
`
	s, err := Parse("burst.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if s.Duration != 2*time.Minute || s.Mix.Renew != 0 || s.Population.Customers != 1_000_000 {
		t.Errorf("got duration %v, mix %+v, customers %d", s.Duration, s.Mix, s.Population.Customers)
	}
}
