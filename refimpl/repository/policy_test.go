package repository

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseSnapshotPolicy(t *testing.T) {
	tests := []struct {
		in      string
		want    SnapshotPolicy
		str     string
		wantErr string // substring of the error; empty means success
	}{
		{in: "none", want: SnapshotPolicy{Mode: None}, str: "none"},
		{in: " NONE ", want: SnapshotPolicy{Mode: None}, str: "none"},
		{in: "every:100", want: SnapshotPolicy{Mode: EveryN, Every: 100}, str: "every:100"},
		{in: "every:1", want: SnapshotPolicy{Mode: EveryN, Every: 1}, str: "every:1"},
		{in: "load:events>200", want: SnapshotPolicy{Mode: LoadTriggered, MaxReplayed: 200}, str: "load:events>200"},
		{in: "load:time>5ms", want: SnapshotPolicy{Mode: LoadTriggered, MaxLoadTime: 5 * time.Millisecond}, str: "load:time>5ms"},
		{in: "load:events>50, time>1.5ms", want: SnapshotPolicy{Mode: LoadTriggered, MaxReplayed: 50, MaxLoadTime: 1500 * time.Microsecond}, str: "load:events>50,time>1.5ms"},
		{in: "", wantErr: "empty"},
		{in: "none:3", wantErr: "no argument"},
		{in: "every:0", wantErr: `interval "0"`},
		{in: "every:-5", wantErr: `interval "-5"`},
		{in: "every:ten", wantErr: `interval "ten"`},
		{in: "every", wantErr: `interval ""`},
		{in: "load:", wantErr: "needs events>N"},
		{in: "load:events>0", wantErr: `events threshold "0"`},
		{in: "load:time>-1ms", wantErr: `time threshold "-1ms"`},
		{in: "load:time>soon", wantErr: `time threshold "soon"`},
		{in: "load:bytes>10", wantErr: `unknown condition "bytes"`},
		{in: "load:events=10", wantErr: `condition "events=10"`},
		{in: "sometimes", wantErr: `unknown mode "sometimes"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSnapshotPolicy(tt.in)
			if tt.wantErr != "" {
				if err == nil || !errors.Is(err, ErrBadPolicy) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseSnapshotPolicy(%q) error = %v, want ErrBadPolicy containing %q", tt.in, err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.in) {
					t.Errorf("error %q does not quote the input %q", err, tt.in)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseSnapshotPolicy(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("ParseSnapshotPolicy(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
			if got.String() != tt.str {
				t.Errorf("String() = %q, want %q", got.String(), tt.str)
			}
			again, err := ParseSnapshotPolicy(got.String())
			if err != nil || again != got {
				t.Errorf("round trip of %q gave %+v, %v", got.String(), again, err)
			}
			var viaText SnapshotPolicy
			if err := viaText.UnmarshalText([]byte(tt.in)); err != nil || viaText != got {
				t.Errorf("UnmarshalText(%q) = %+v, %v", tt.in, viaText, err)
			}
		})
	}
}

func TestPolicyDue(t *testing.T) {
	every10 := SnapshotPolicy{Mode: EveryN, Every: 10}
	load := SnapshotPolicy{Mode: LoadTriggered, MaxReplayed: 5, MaxLoadTime: time.Millisecond}
	tests := []struct {
		name     string
		p        SnapshotPolicy
		from, to uint64
		ls       LoadStats
		want     bool
	}{
		{"none never", SnapshotPolicy{}, 0, 1000, LoadStats{Replayed: 1000}, false},
		{"every below boundary", every10, 3, 9, LoadStats{}, false},
		{"every reaches boundary", every10, 9, 10, LoadStats{}, true},
		{"every crosses boundary", every10, 8, 12, LoadStats{}, true},
		{"every just past boundary", every10, 10, 11, LoadStats{}, false},
		{"load few events fast", load, 0, 1, LoadStats{Replayed: 5, Total: time.Microsecond}, false},
		{"load many events", load, 0, 1, LoadStats{Replayed: 6}, true},
		{"load slow", load, 0, 1, LoadStats{Replayed: 1, Total: 2 * time.Millisecond}, true},
	}
	for _, tt := range tests {
		if got := tt.p.due(tt.from, tt.to, tt.ls); got != tt.want {
			t.Errorf("%s: due(%d, %d) = %v, want %v", tt.name, tt.from, tt.to, got, tt.want)
		}
	}
}
