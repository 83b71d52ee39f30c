package compare

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math"
	"strconv"
	"testing"

	"github.com/esbench/esbench/thresholds"
)

// TestWriteJSONAndCSV: across runs, the JSON and CSV outputs carry for each
// metric the medians of both sides, every run's value (JSON), the change,
// the rank test's p-value, runs per side, alpha and significance, and the
// verdict, the same figures as the comparison itself; the thresholds
// follow with their verdicts.
func TestWriteJSONAndCSV(t *testing.T) {
	base := mustLoadSet(t, writeRunSet(t, 1.00, 0.80, 1.20, 0.90, 1.10))
	cur := mustLoadSet(t, writeRunSet(t, 1.45, 1.30, 1.50, 1.35, 1.40))
	c, err := CompareSets(base, cur, mustThresholds(t, "acquire.p99 regression < 5%"), thresholds.Options{}, DefaultAlpha)
	if err != nil {
		t.Fatal(err)
	}
	row, ok := findRow(c, "acquire.p99")
	if !ok || row.Rank == nil {
		t.Fatal("acquire.p99 has no rank test")
	}

	var jb bytes.Buffer
	if err := WriteJSON(&jb, c); err != nil {
		t.Fatal(err)
	}
	var doc JSONComparison
	if err := json.Unmarshal(jb.Bytes(), &doc); err != nil {
		t.Fatalf("JSON does not parse: %v\n%s", err, jb.String())
	}
	if doc.Schema != JSONSchema || doc.Base.Runs != 5 || doc.New.Runs != 5 || doc.Alpha != DefaultAlpha || !doc.Regressed {
		t.Errorf("header %+v %+v alpha %g regressed %v", doc.Base, doc.New, doc.Alpha, doc.Regressed)
	}
	var jm *JSONMetric
	for i := range doc.Metrics {
		if doc.Metrics[i].Name == "acquire.p99" {
			jm = &doc.Metrics[i]
		}
	}
	if jm == nil {
		t.Fatalf("acquire.p99 missing from the JSON metrics")
	}
	if jm.Base == nil || *jm.Base != row.Base.Value || jm.New == nil || *jm.New != row.New.Value || jm.Unit != "ns" {
		t.Errorf("JSON medians %v %v %s, want %v %v ns", jm.Base, jm.New, jm.Unit, row.Base.Value, row.New.Value)
	}
	if len(jm.BaseRuns) != 5 || len(jm.NewRuns) != 5 {
		t.Errorf("JSON runs %v and %v, want 5 values each", jm.BaseRuns, jm.NewRuns)
	}
	if r := jm.Rank; r == nil || r.P != row.Rank.P || r.NBase != 5 || r.NNew != 5 || r.Alpha != DefaultAlpha || !r.Significant || r.P >= 0.01 {
		t.Errorf("JSON rank test %+v, want p %v < 0.01 over 5+5 runs, significant", r, row.Rank.P)
	}
	if jm.Verdict != VerdictWorse || jm.Change == nil || math.Abs(*jm.Change-row.Delta) > 1e-12 {
		t.Errorf("JSON verdict %q change %v, want %q %v", jm.Verdict, jm.Change, VerdictWorse, row.Delta)
	}
	if len(doc.Checks) != 1 || !doc.Checks[0].Failed || doc.Checks[0].Verdict != thresholds.VerdictRegression || doc.Checks[0].Rank == nil {
		t.Errorf("JSON checks %+v: want the one regression with its rank test", doc.Checks)
	}

	var cb bytes.Buffer
	if err := WriteCSV(&cb, c); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&cb).ReadAll()
	if err != nil {
		t.Fatalf("CSV does not parse: %v", err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	if len(recs) != 1+len(doc.Metrics)+len(doc.Checks) {
		t.Errorf("CSV has %d rows, want a header, %d metrics and %d thresholds", len(recs), len(doc.Metrics), len(doc.Checks))
	}
	var found bool
	for _, r := range recs[1:] {
		if r[col["kind"]] != "metric" || r[col["name"]] != "acquire.p99" {
			continue
		}
		found = true
		p, _ := strconv.ParseFloat(r[col["p_value"]], 64)
		b, _ := strconv.ParseFloat(r[col["base"]], 64)
		n, _ := strconv.ParseFloat(r[col["new"]], 64)
		if p != row.Rank.P || b != row.Base.Value || n != row.New.Value || r[col["n_base"]] != "5" || r[col["n_new"]] != "5" ||
			r[col["significant"]] != "true" || r[col["verdict"]] != VerdictWorse || r[col["unit"]] != "ns" {
			t.Errorf("CSV row %v: want medians %v %v, p %v, 5+5 runs, significant, %q", r, row.Base.Value, row.New.Value, row.Rank.P, VerdictWorse)
		}
	}
	if !found {
		t.Error("acquire.p99 missing from the CSV")
	}
	last := recs[len(recs)-1]
	if last[col["kind"]] != "threshold" || last[col["failed"]] != "true" || last[col["name"]] != "acquire.p99 regression < 5%" {
		t.Errorf("CSV threshold row %v", last)
	}
}

// TestWriteJSONSingleRun: a single-run comparison has no rank test and no
// alpha in its outputs, and a metric one side lacks has a null value and
// change, not a zero.
func TestWriteJSONSingleRun(t *testing.T) {
	base := mustLoadSet(t, writeRunSet(t, 1.00))
	cur := mustLoadSet(t, writeRunSet(t, 1.10))
	c, err := CompareSets(base, cur, nil, thresholds.Options{}, DefaultAlpha)
	if err != nil {
		t.Fatal(err)
	}
	c.Sections = append(c.Sections, Section{Title: "extra", Rows: []Row{makeRow("gone.p99", &thresholds.Metric{Value: 5}, nil)}})
	var jb bytes.Buffer
	if err := WriteJSON(&jb, c); err != nil {
		t.Fatal(err)
	}
	var doc JSONComparison
	if err := json.Unmarshal(jb.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Alpha != 0 || doc.Base.Runs != 1 {
		t.Errorf("single run: alpha %g runs %d", doc.Alpha, doc.Base.Runs)
	}
	for _, m := range doc.Metrics {
		if m.Rank != nil || m.BaseRuns != nil {
			t.Errorf("%s: a rank test or run values in a single-run comparison", m.Name)
		}
		if m.Name == "gone.p99" && (m.New != nil || m.Change != nil || m.Base == nil) {
			t.Errorf("gone.p99: base %v new %v change %v, want 5, null, null", m.Base, m.New, m.Change)
		}
	}
	var cb bytes.Buffer
	if err := WriteCSV(&cb, c); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(cb.Bytes(), []byte("kind,section,name,unit,base,new,change,noise_band,p_value,n_base,n_new,alpha,significant,verdict,failed\n")) {
		t.Errorf("CSV header: %q", cb.String()[:min(cb.Len(), 120)])
	}
}
