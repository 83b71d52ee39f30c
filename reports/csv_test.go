package reports

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
)

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rows
}

// column returns the index of name in the header, failing the test if absent.
func column(t *testing.T, header []string, name string) int {
	t.Helper()
	i := slices.Index(header, name)
	if i < 0 {
		t.Fatalf("header %v lacks %s", header, name)
	}
	return i
}

func TestDirWriteCSVs(t *testing.T) {
	res := fixtureResult(t)
	dir := t.TempDir()
	if err := DirAt(dir).Write(res); err != nil {
		t.Fatal(err)
	}

	ops := readCSV(t, filepath.Join(dir, OpsCSVFile))
	if !slices.Equal(ops[0], opsCSVHeader) {
		t.Fatalf("ops.csv header %v", ops[0])
	}
	want := 0
	for _, run := range res.Runs {
		for _, op := range run.Operations {
			want += 2 * (1 + len(op.Outcomes))
		}
	}
	if len(ops)-1 != want {
		t.Fatalf("ops.csv has %d rows, want %d", len(ops)-1, want)
	}
	h := ops[0]
	key := func(r []string) string {
		return r[column(t, h, "run")] + "/" + r[column(t, h, "op")] + "/" + r[column(t, h, "outcome")] + "/" + r[column(t, h, "metric")]
	}
	byKey := map[string][]string{}
	for _, r := range ops[1:] {
		byKey[key(r)] = r
	}
	type csvCheck struct {
		key, col string
		want     int64
		label    string
	}
	var tests []csvCheck
	for _, run := range res.Runs {
		for _, op := range run.Operations {
			tests = append(tests,
				csvCheck{run.Name + "/" + op.Op + "/all/corrected", "p99_ns", op.Corrected.P99Ns, "corrected p99"},
				csvCheck{run.Name + "/" + op.Op + "/all/service", "max_ns", op.Service.MaxNs, "service max"},
				csvCheck{run.Name + "/" + op.Op + "/all/corrected", "count", op.Count, "count"})
			for _, oc := range op.Outcomes {
				tests = append(tests, csvCheck{run.Name + "/" + op.Op + "/" + oc.Outcome + "/corrected", "p50_ns", oc.Corrected.P50Ns, "outcome p50"})
			}
		}
	}
	if len(tests) == 0 {
		t.Fatal("fixture has no operations")
	}
	for _, tt := range tests {
		r, ok := byKey[tt.key]
		if !ok {
			t.Errorf("no ops.csv row %s", tt.key)
			continue
		}
		got, err := strconv.ParseInt(r[column(t, h, tt.col)], 10, 64)
		if err != nil || got != tt.want {
			t.Errorf("%s %s = %q, want %d", tt.key, tt.label, r[column(t, h, tt.col)], tt.want)
		}
	}

	sw := readCSV(t, filepath.Join(dir, SweepCSVFile))
	if !slices.Equal(sw[0], sweepCSVHeader) {
		t.Fatalf("sweep.csv header %v", sw[0])
	}
	if len(sw)-1 != len(res.Sweep.Cells) {
		t.Fatalf("sweep.csv has %d rows, want %d", len(sw)-1, len(res.Sweep.Cells))
	}
	sh := sw[0]
	recommended := 0
	for i, c := range res.Sweep.Cells {
		r := sw[i+1]
		if r[column(t, sh, "history")] != strconv.Itoa(c.History) || r[column(t, sh, "interval")] != IntervalName(c.Interval) ||
			r[column(t, sh, "replay_p99_ns")] != strconv.FormatInt(c.ReplayP99Ns, 10) {
			t.Errorf("sweep row %d = %v, want cell %+v", i, r, c)
		}
		if b, err := strconv.ParseFloat(r[column(t, sh, "bytes_per_stream")], 64); err != nil || b != c.BytesPerStrm {
			t.Errorf("sweep row %d bytes %q, want %g", i, r[column(t, sh, "bytes_per_stream")], c.BytesPerStrm)
		}
		if r[column(t, sh, "recommended")] == "true" {
			recommended++
		}
	}
	met := 0
	for _, rc := range res.Sweep.Recommendations {
		if rc.Met {
			met++
		}
	}
	if recommended != met {
		t.Errorf("%d cells marked recommended, want %d", recommended, met)
	}
}

func TestWriteSweepCSVWithoutSweep(t *testing.T) {
	dir := t.TempDir()
	if err := DirAt(dir).Write(New("mixed")); err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct {
		name   string
		header []string
	}{{OpsCSVFile, opsCSVHeader}, {SweepCSVFile, sweepCSVHeader}} {
		rows := readCSV(t, filepath.Join(dir, f.name))
		if len(rows) != 1 || !slices.Equal(rows[0], f.header) {
			t.Errorf("%s of an empty result = %v, want the header only", f.name, rows)
		}
	}
}
