package domain

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestDefaultPolicy(t *testing.T) {
	p := DefaultPolicy()
	if err := p.Validate(); err != nil {
		t.Fatalf("default policy invalid: %v", err)
	}
	// The defaults of docs/design.md §2.
	want := map[string]int{PlanBasic: 1, PlanStandard: 2, PlanPremium: 4}
	if len(p.DevicesPerPlan) != len(want) {
		t.Fatalf("plans = %v", p.DevicesPerPlan)
	}
	for plan, n := range want {
		if p.DevicesPerPlan[plan] != n {
			t.Errorf("DevicesPerPlan[%s] = %d, want %d", plan, p.DevicesPerPlan[plan], n)
		}
	}
	if p.Version != 1 || p.DownloadsPerDevice != 100 || p.RestrictedPerTitleYear != 3 || p.LicenseDuration != 7*24*time.Hour ||
		p.MaxRenewals != 3 || p.PlaybackWindow != 48*time.Hour || p.FallbackLicense != 24*time.Hour {
		t.Fatalf("defaults = %+v", p)
	}
	// Each call returns its own map: configuring one policy must not change
	// another.
	q := DefaultPolicy()
	q.DevicesPerPlan[PlanBasic] = 9
	if DefaultPolicy().DevicesPerPlan[PlanBasic] != 1 {
		t.Fatal("DefaultPolicy shares its map")
	}
}

func TestPolicyValidate(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(p *Policy)
		field string // "" = valid
	}{
		{"version 0", func(p *Policy) { p.Version = 0 }, "Version"},
		{"negative version", func(p *Policy) { p.Version = -3 }, "Version"},
		{"no plans", func(p *Policy) { p.DevicesPerPlan = nil }, "DevicesPerPlan"},
		{"empty plan name", func(p *Policy) { p.DevicesPerPlan[""] = 1 }, "DevicesPerPlan"},
		{"plan with 0 devices", func(p *Policy) { p.DevicesPerPlan[PlanStandard] = 0 }, `DevicesPerPlan["standard"]`},
		{"plan with absurd devices", func(p *Policy) { p.DevicesPerPlan[PlanPremium] = maxPolicyDevices + 1 }, `DevicesPerPlan["premium"]`},
		{"plan at the device bound", func(p *Policy) { p.DevicesPerPlan[PlanPremium] = maxPolicyDevices }, ""},
		{"0 downloads per device", func(p *Policy) { p.DownloadsPerDevice = 0 }, "DownloadsPerDevice"},
		{"absurd downloads per device", func(p *Policy) { p.DownloadsPerDevice = maxPolicyDownloads + 1 }, "DownloadsPerDevice"},
		{"negative restricted per title", func(p *Policy) { p.RestrictedPerTitleYear = -1 }, "RestrictedPerTitleYear"},
		{"0 restricted per title", func(p *Policy) { p.RestrictedPerTitleYear = 0 }, ""},
		{"zero license duration", func(p *Policy) { p.LicenseDuration = 0 }, "LicenseDuration"},
		{"absurd license duration", func(p *Policy) { p.LicenseDuration = maxPolicyDuration + 1 }, "LicenseDuration"},
		{"negative renewals", func(p *Policy) { p.MaxRenewals = -1 }, "MaxRenewals"},
		{"0 renewals", func(p *Policy) { p.MaxRenewals = 0 }, ""},
		{"negative playback window", func(p *Policy) { p.PlaybackWindow = -time.Hour }, "PlaybackWindow"},
		{"zero fallback", func(p *Policy) { p.FallbackLicense = 0 }, "FallbackLicense"},
		{"fallback longer than a license", func(p *Policy) { p.FallbackLicense = p.LicenseDuration + 1 }, "FallbackLicense"},
		{"fallback as long as a license", func(p *Policy) { p.FallbackLicense = p.LicenseDuration }, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := DefaultPolicy()
			tc.edit(&p)
			err := p.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("valid policy refused: %v", err)
				}
				return
			}
			var pe *PolicyError
			if !errors.Is(err, ErrInvalidPolicy) || !errors.As(err, &pe) || pe.Field != tc.field {
				t.Fatalf("error = %v, want a *PolicyError on %s", err, tc.field)
			}
			if !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("message %q does not name %s", err, tc.field)
			}
		})
	}
}

func TestFallbackDecision(t *testing.T) {
	p := DefaultPolicy()
	c := AcquireLicense{RequestID: "req-7", CustomerID: "c", DeviceID: "d", TitleID: "t", StudioID: "s"}
	d := FallbackDecision(c, p, midYear)
	if !d.Allowed || !d.Fallback || d.Reason != ReasonStoreUnavailable || d.LicenseID != LicenseIDFor("req-7") ||
		!d.ExpiresAt.Equal(midYear.Add(24*time.Hour)) || d.PolicyVersion != 1 {
		t.Fatalf("fallback = %+v", d)
	}
}

func TestLicenseIDFor(t *testing.T) {
	a, b := LicenseIDFor("req-1"), LicenseIDFor("req-1")
	if a != b || a == LicenseIDFor("req-2") || len(a) != 36 {
		t.Fatalf("license ids: %q %q %q", a, b, LicenseIDFor("req-2"))
	}
	// A fixed value: license ids are stored, so the derivation must never
	// change.
	if want := "f7c2bb59-4ac3-5fb4-82ae-7be26b2ae38d"; a != want {
		t.Fatalf("LicenseIDFor(req-1) = %s, want %s", a, want)
	}
}

// TestLicenseIDIsUUIDv5: the stack-built hash gives uuid.NewSHA1's ids, for
// request ids short and longer than the stack buffer.
func TestLicenseIDIsUUIDv5(t *testing.T) {
	for _, req := range []string{"", "r", "p1.c42.7", strings.Repeat("x", 112), strings.Repeat("y", 300)} {
		if got, want := LicenseIDFor(req), uuid.NewSHA1(licenseNamespace, []byte(req)).String(); got != want {
			t.Errorf("LicenseIDFor(%.20q) = %s, uuid.NewSHA1 gives %s", req, got, want)
		}
	}
}
