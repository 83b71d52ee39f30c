package compare

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"math"
	"strconv"

	"github.com/esbench/esbench/thresholds"
)

// JSONSchema names the layout of WriteJSON's document.
const JSONSchema = "esbench/compare/v1"

// CSVHeader is the first line of WriteCSV's table.
var CSVHeader = []string{"kind", "section", "name", "unit", "base", "new", "change", "noise_band",
	"p_value", "n_base", "n_new", "alpha", "significant", "verdict", "failed"}

// JSONRank is a rank test across runs: the Mann-Whitney U test's p-value,
// the runs on each side and the level below which the change counts.
type JSONRank struct {
	P           float64 `json:"p_value"`
	NBase       int     `json:"n_base"`
	NNew        int     `json:"n_new"`
	Alpha       float64 `json:"alpha"`
	Significant bool    `json:"significant"`
}

func jsonRank(r *thresholds.Rank) *JSONRank {
	if r == nil {
		return nil
	}
	return &JSONRank{P: r.P, NBase: r.N1, NNew: r.N2, Alpha: r.Alpha, Significant: r.Significant()}
}

// JSONSide is one side of the comparison: its path(s) and number of runs.
type JSONSide struct {
	Path string `json:"path"`
	Runs int    `json:"runs"`
}

// JSONMetric is one metric compared: its value on each side (the median
// over the side's runs when there are several, with every run's value),
// the relative change, the within-run noise band, the rank test across
// runs and the verdict.
type JSONMetric struct {
	Section  string    `json:"section"`
	Name     string    `json:"name"`
	Unit     string    `json:"unit"`
	Base     *float64  `json:"base"`
	New      *float64  `json:"new"`
	BaseRuns []float64 `json:"base_runs,omitempty"`
	NewRuns  []float64 `json:"new_runs,omitempty"`
	// Change is (new-base)/base; null when a side lacks the metric.
	Change    *float64  `json:"change"`
	NoiseBand float64   `json:"noise_band"`
	Rank      *JSONRank `json:"rank_test,omitempty"`
	Verdict   string    `json:"verdict"`
}

// JSONCheck is one threshold evaluated.
type JSONCheck struct {
	Threshold string   `json:"threshold"`
	Unit      string   `json:"unit"`
	Base      *float64 `json:"base"`
	New       float64  `json:"new"`
	Change    *float64 `json:"change"`
	// Value is what was held to the limit: the new value, or the relative
	// change in the worse direction.
	Value          float64   `json:"value"`
	NoiseBand      float64   `json:"noise_band"`
	Rank           *JSONRank `json:"rank_test,omitempty"`
	Failed         bool      `json:"failed"`
	WithinNoise    bool      `json:"within_noise"`
	NotSignificant bool      `json:"not_significant"`
	Verdict        string    `json:"verdict"`
}

// JSONComparison is the document WriteJSON writes.
type JSONComparison struct {
	Schema    string       `json:"schema"`
	Base      JSONSide     `json:"base"`
	New       JSONSide     `json:"new"`
	Alpha     float64      `json:"alpha,omitempty"`
	Regressed bool         `json:"regressed"`
	Partial   bool         `json:"partial"`
	Metrics   []JSONMetric `json:"metrics"`
	Checks    []JSONCheck  `json:"checks"`
}

func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func metricValue(m *thresholds.Metric) *float64 {
	if m == nil {
		return nil
	}
	return finite(m.Value)
}

// Document is the comparison as WriteJSON writes it.
func Document(c *Comparison) JSONComparison {
	d := JSONComparison{Schema: JSONSchema, Base: JSONSide{Path: c.BasePath, Runs: c.BaseRuns}, New: JSONSide{Path: c.NewPath, Runs: c.NewRuns},
		Regressed: c.Regressed, Partial: c.Partial, Metrics: []JSONMetric{}, Checks: []JSONCheck{}}
	if c.BaseRuns > 1 || c.NewRuns > 1 {
		d.Alpha = c.Alpha
	}
	for _, s := range c.Sections {
		for _, r := range s.Rows {
			m := JSONMetric{Section: s.Title, Name: r.Name, Base: metricValue(r.Base), New: metricValue(r.New),
				Change: finite(r.Delta), NoiseBand: r.Band, Rank: jsonRank(r.Rank), Verdict: r.Verdict}
			for _, side := range []*thresholds.Metric{r.Base, r.New} {
				if side != nil {
					m.Unit = unitName(side.Unit)
				}
			}
			if r.Base != nil {
				m.BaseRuns = r.Base.Runs
			}
			if r.New != nil {
				m.NewRuns = r.New.Runs
			}
			d.Metrics = append(d.Metrics, m)
		}
	}
	for _, ch := range c.Checks {
		jc := JSONCheck{Threshold: ch.Threshold.Text, Base: metricValue(ch.Base), Change: finite(ch.Delta), Value: ch.Value,
			NoiseBand: ch.Band, Rank: jsonRank(ch.Rank), Failed: ch.Failed, WithinNoise: ch.Noise, NotSignificant: ch.NotSignificant,
			Verdict: ch.Verdict}
		if ch.New != nil {
			jc.New, jc.Unit = ch.New.Value, unitName(ch.New.Unit)
		}
		d.Checks = append(d.Checks, jc)
	}
	return d
}

// WriteJSON writes the comparison as one JSON document (schema
// JSONSchema): every metric row with both sides' values, change, noise
// band and, across runs, the rank test; then every threshold checked.
func WriteJSON(w io.Writer, c *Comparison) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(Document(c))
}

// WriteCSV writes the comparison as one table (CSVHeader): a row of kind
// "metric" per metric compared, then one of kind "threshold" per threshold
// checked. Values are in the row's unit; an empty cell is a value the
// comparison does not have (a side lacking the metric, no rank test in a
// single-run comparison).
func WriteCSV(w io.Writer, c *Comparison) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	num := func(v *float64) string {
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(*v, 'g', -1, 64)
	}
	rank := func(r *JSONRank) []string {
		if r == nil {
			return []string{"", "", "", "", ""}
		}
		return []string{strconv.FormatFloat(r.P, 'g', -1, 64), strconv.Itoa(r.NBase), strconv.Itoa(r.NNew),
			strconv.FormatFloat(r.Alpha, 'g', -1, 64), strconv.FormatBool(r.Significant)}
	}
	d := Document(c)
	for _, m := range d.Metrics {
		row := []string{"metric", m.Section, m.Name, m.Unit, num(m.Base), num(m.New), num(m.Change), strconv.FormatFloat(m.NoiseBand, 'g', -1, 64)}
		row = append(row, rank(m.Rank)...)
		row = append(row, m.Verdict, "")
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	for _, ch := range d.Checks {
		n := ch.New
		row := []string{"threshold", "", ch.Threshold, ch.Unit, num(ch.Base), num(&n), num(ch.Change), strconv.FormatFloat(ch.NoiseBand, 'g', -1, 64)}
		row = append(row, rank(ch.Rank)...)
		row = append(row, ch.Verdict, strconv.FormatBool(ch.Failed))
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
