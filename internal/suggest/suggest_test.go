package suggest

import (
	"slices"
	"testing"
)

func TestClosest(t *testing.T) {
	names := []string{"cassandra", "memory", "pebble", "sqlite"}
	tests := []struct {
		got  string
		want []string
	}{
		{"memroy", []string{"memory"}},
		{"pebbel", []string{"pebble"}},
		{"Cassandra", []string{"cassandra"}},
		{"cass", []string{"cassandra"}},
		{"sqlite3", []string{"sqlite"}},
		{"postgres", nil},
		{"", nil},
	}
	for _, tt := range tests {
		if got := Closest(tt.got, names); !slices.Equal(got, tt.want) {
			t.Errorf("Closest(%q) = %q, want %q", tt.got, got, tt.want)
		}
	}
	if h := Hint("pebbel", names); h != "; did you mean pebble?" {
		t.Errorf("Hint = %q", h)
	}
	if h := Hint("zzz", names); h != "" {
		t.Errorf("Hint for nothing close = %q, want empty", h)
	}
}

func TestDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"a", "", 1}, {"kitten", "sitting", 3}, {"memory", "memroy", 2}} {
		if d := Distance(tt.a, tt.b); d != tt.d {
			t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, d, tt.d)
		}
	}
}
