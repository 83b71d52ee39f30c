package reports

import (
	"strings"
	"testing"
)

func TestFitLine(t *testing.T) {
	tests := []struct {
		name string
		fit  LinearFit
		want string
	}{
		{"line", LinearFit{A: 2000, B: 40, R2: 0.9, N: 100, OK: true}, "load time ≈ 2.0µs + 40.0 ns × events (r² = 0.900, 100 loads)"},
		{"low r²", LinearFit{A: 2000, B: -3, R2: 0.2, N: 100, OK: true, MeanX: 50, MeanY: 3000}, "no line: r² = 0.200 over 100 loads"},
		{"at the threshold", LinearFit{A: 1, B: 1, R2: MinFitR2, N: 10, OK: true}, "load time ≈"},
		{"undetermined", LinearFit{N: 5, MeanX: 7, MeanY: 1000}, "not determined: the 5 loads all replayed about 7 events"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fitLine(tt.fit); !strings.Contains(got, tt.want) {
				t.Errorf("fitLine = %q, want it to contain %q", got, tt.want)
			}
		})
	}
}

func TestP99Interval(t *testing.T) {
	tests := []struct {
		cell SweepCell
		want string
	}{
		{SweepCell{Loads: 1000, ReplayP99LowNs: 2_000_000, ReplayP99HighNs: 3_000_000}, "2.00ms..3.00ms"},
		{SweepCell{Loads: 30, ReplayP99LowNs: 2_000_000}, "2.00ms..? (too few loads)"},
		{SweepCell{}, "-"},
	}
	for _, tt := range tests {
		if got := p99Interval(tt.cell); got != tt.want {
			t.Errorf("p99Interval(%+v) = %q, want %q", tt.cell, got, tt.want)
		}
	}
}

func TestRecommendUncertain(t *testing.T) {
	const target = 5_000_000
	tests := []struct {
		name      string
		cell      SweepCell
		met       bool
		uncertain bool
		why       string
	}{
		{"met, interval below the target", SweepCell{ReplayP99Ns: 2e6, Loads: 1000, ReplayP99LowNs: 1e6, ReplayP99HighNs: 3e6}, true, false, ""},
		{"met, interval spans the target", SweepCell{ReplayP99Ns: 2e6, Loads: 1000, ReplayP99LowNs: 1e6, ReplayP99HighNs: 9e6}, true, true, "interval 1.00ms..9.00ms includes the target"},
		{"met, no upper bound", SweepCell{ReplayP99Ns: 2e6, Loads: 100, ReplayP99LowNs: 1e6}, true, true, "100 loads are too few"},
		{"over, interval spans the target: a tie", SweepCell{ReplayP99Ns: 8e6, Loads: 1000, ReplayP99LowNs: 4e6, ReplayP99HighNs: 9e6}, false, true, "includes the target"},
		{"missed, interval above the target", SweepCell{ReplayP99Ns: 8e6, Loads: 1000, ReplayP99LowNs: 6e6, ReplayP99HighNs: 9e6}, false, false, ""},
		{"no interval known", SweepCell{ReplayP99Ns: 8e6}, false, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cell.History, tt.cell.Interval = 100, 10
			recs := Recommend([]SweepCell{tt.cell}, target)
			if len(recs) != 1 {
				t.Fatalf("%d recommendations, want 1", len(recs))
			}
			r := recs[0]
			if r.Met != tt.met || r.Uncertain != tt.uncertain || (tt.why != "" && !strings.Contains(r.Reason, tt.why)) ||
				(tt.why == "" && strings.Contains(r.Reason, "uncertain")) {
				t.Errorf("recommendation %+v, want met %v, uncertain %v, reason with %q", r, tt.met, tt.uncertain, tt.why)
			}
		})
	}
}

// TestRecommendTies: the cheapest cell not over the target with 95 %
// confidence is chosen (a cell whose interval includes the target is tied
// with it, and the tie goes to the cheaper configuration), whatever order
// the cells come in; cells with the same bytes are one configuration; when
// every cell is over the target, the cheapest of those tied with the
// fastest is named.
func TestRecommendTies(t *testing.T) {
	const target = 5_000_000
	noSnap := SweepCell{History: 100, Interval: 0, ReplayP99Ns: 4.5e6, Loads: 500, ReplayP99LowNs: 3.3e6, ReplayP99HighNs: 9.7e6, BytesPerStrm: 26931}
	every10 := SweepCell{History: 100, Interval: 10, ReplayP99Ns: 0.3e6, Loads: 500, ReplayP99LowNs: 0.2e6, ReplayP99HighNs: 1.2e6, BytesPerStrm: 29594}
	every100 := SweepCell{History: 100, Interval: 100, ReplayP99Ns: 3.2e6, Loads: 500, ReplayP99LowNs: 2.2e6, ReplayP99HighNs: 4.7e6, BytesPerStrm: 27551}
	overNoSnap := SweepCell{History: 100, Interval: 0, ReplayP99Ns: 8e6, Loads: 5000, ReplayP99LowNs: 6e6, ReplayP99HighNs: 9e6, BytesPerStrm: 26931}
	tiedOver := SweepCell{History: 100, Interval: 100, ReplayP99Ns: 5.4e6, Loads: 5000, ReplayP99LowNs: 4.4e6, ReplayP99HighNs: 5.8e6, BytesPerStrm: 27551}
	tests := []struct {
		name      string
		cells     []SweepCell
		interval  int
		met       bool
		uncertain bool
	}{
		{"cheapest not over the target: a tie with it", []SweepCell{noSnap, every10, every100}, 0, true, true},
		{"cheapest over the target with confidence loses", []SweepCell{overNoSnap, every10, every100}, 100, true, false},
		{"over by its point estimate only: a tie, the cheaper chosen", []SweepCell{overNoSnap, every10, tiedOver}, 100, false, true},
		{"one cell", []SweepCell{every100}, 100, true, false},
		// Intervals longer than the histories write no snapshot: the same
		// bytes as none, one configuration; the tie-break picks none, and
		// the measurement best placed under the target speaks for it.
		{"equal bytes: one configuration", []SweepCell{noSnap, every10, every100,
			{History: 100, Interval: 500, ReplayP99Ns: 1e6, Loads: 500, ReplayP99LowNs: 0.8e6, ReplayP99HighNs: 3e6, BytesPerStrm: 26931}}, 0, true, false},
		{"equal bytes: one configuration, even where a stall put none over the target", []SweepCell{every10, every100, overNoSnap,
			{History: 100, Interval: 1000, ReplayP99Ns: 0.8e6, Loads: 500, ReplayP99LowNs: 0.6e6, ReplayP99HighNs: 2e6, BytesPerStrm: 26931}}, 0, true, false},
		{"all over: the cheapest tied with the fastest", []SweepCell{
			{History: 100, Interval: 10, ReplayP99Ns: 6e6, Loads: 5000, ReplayP99LowNs: 5.5e6, ReplayP99HighNs: 7e6, BytesPerStrm: 3e6},
			{History: 100, Interval: 50, ReplayP99Ns: 6.5e6, Loads: 5000, ReplayP99LowNs: 6e6, ReplayP99HighNs: 7.5e6, BytesPerStrm: 2e6},
			{History: 100, Interval: 0, ReplayP99Ns: 20e6, Loads: 5000, ReplayP99LowNs: 18e6, ReplayP99HighNs: 22e6, BytesPerStrm: 1e6}}, 50, false, false},
		{"all over: no tie, the fastest", []SweepCell{
			{History: 100, Interval: 10, ReplayP99Ns: 6e6, Loads: 5000, ReplayP99LowNs: 5.5e6, ReplayP99HighNs: 6.2e6, BytesPerStrm: 3e6},
			{History: 100, Interval: 50, ReplayP99Ns: 7e6, Loads: 5000, ReplayP99LowNs: 6.5e6, ReplayP99HighNs: 7.5e6, BytesPerStrm: 2e6}}, 10, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Every order of the cells gives the same recommendation.
			for _, cells := range permutations(tt.cells) {
				recs := Recommend(cells, target)
				if len(recs) != 1 {
					t.Fatalf("%d recommendations, want 1", len(recs))
				}
				if r := recs[0]; r.Interval != tt.interval || r.Met != tt.met || r.Uncertain != tt.uncertain {
					t.Fatalf("cells %v: recommendation %+v, want interval %d, met %v, uncertain %v", intervalsOf(cells), r, tt.interval, tt.met, tt.uncertain)
				}
			}
		})
	}
}

func permutations(cells []SweepCell) [][]SweepCell {
	if len(cells) <= 1 {
		return [][]SweepCell{append([]SweepCell(nil), cells...)}
	}
	var out [][]SweepCell
	for i := range cells {
		rest := append(append([]SweepCell(nil), cells[:i]...), cells[i+1:]...)
		for _, p := range permutations(rest) {
			out = append(out, append([]SweepCell{cells[i]}, p...))
		}
	}
	return out
}

func intervalsOf(cells []SweepCell) []int {
	out := make([]int, len(cells))
	for i, c := range cells {
		out[i] = c.Interval
	}
	return out
}
