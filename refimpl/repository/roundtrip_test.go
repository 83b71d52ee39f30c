package repository

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/esbench/esbench/refimpl/domain"
	"github.com/esbench/esbench/refimpl/store"
)

// TestEventIDIsUUIDv5: the stack-built hash gives uuid.NewSHA1's ids, for
// names short and longer than the stack buffer.
func TestEventIDIsUUIDv5(t *testing.T) {
	for _, req := range []string{"r", "p1.c42.7", strings.Repeat("x", 300)} {
		for i, id := range []store.StreamID{
			{Customer: "c1", AggregateType: domain.TypeAccount, AggregateID: "c1"},
			{Customer: "c1", AggregateType: domain.TypeLicense, AggregateID: domain.LicenseIDFor(req)},
		} {
			var name []byte
			name = append(append(name, req...), 0)
			name = append(append(name, id.Customer...), 0)
			name = append(append(name, id.AggregateType...), 0)
			name = append(append(name, id.AggregateID...), 0)
			name = strconv.AppendInt(name, int64(i), 10)
			want := uuid.NewSHA1(eventNamespace(), name).String()
			if got := EventID(req, id, i); got != want {
				t.Errorf("EventID(%.20q, %s, %d) = %s, uuid.NewSHA1 gives %s", req, id, i, got, want)
			}
		}
	}
}

func TestSameEvent(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)
	elsewhere := at.In(time.FixedZone("x", 3600))
	granted := func(f func(*domain.DownloadGranted)) *domain.DownloadGranted {
		g := &domain.DownloadGranted{RequestID: "r", LicenseID: "l", DeviceID: "d", TitleID: "t", StudioID: "s", Restricted: true, Year: 2026, ExpiresAt: at, At: at}
		if f != nil {
			f(g)
		}
		return g
	}
	tests := []struct {
		name string
		a, b any
		want bool
	}{
		{"equal", granted(nil), granted(nil), true},
		{"same instant in another zone", granted(nil), granted(func(g *domain.DownloadGranted) { g.At = elsewhere }), true},
		{"time truncated", granted(nil), granted(func(g *domain.DownloadGranted) { g.ExpiresAt = at.Truncate(time.Millisecond) }), false},
		{"string differs", granted(nil), granted(func(g *domain.DownloadGranted) { g.TitleID = "u" }), false},
		{"bool differs", granted(nil), granted(func(g *domain.DownloadGranted) { g.Restricted = false }), false},
		{"int differs", granted(nil), granted(func(g *domain.DownloadGranted) { g.Year = 2025 }), false},
		{"other type", granted(nil), &domain.DownloadRenewed{At: at}, false},
		{"nil and value", (*domain.DownloadGranted)(nil), granted(nil), false},
		{"untyped nil", nil, granted(nil), false},
		{"map", map[string]int{"a": 1}, map[string]int{"a": 1}, false},
	}
	for _, tc := range tests {
		if got := sameEvent(tc.a, tc.b); got != tc.want {
			t.Errorf("%s: sameEvent = %v, want %v", tc.name, got, tc.want)
		}
	}
}
