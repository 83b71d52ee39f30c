package domain

import (
	"errors"
	"fmt"
	"sort"
	"time"
)

// Plan names of the default policy.
const (
	PlanBasic    = "basic"
	PlanStandard = "standard"
	PlanPremium  = "premium"
)

// Upper bounds beyond which a policy value is treated as a mistake (a typo
// of an extra zero, a duration in the wrong unit) rather than a choice.
const (
	maxPolicyDevices   = 1000
	maxPolicyDownloads = 100_000
	maxPolicyPerTitle  = 10_000
	maxPolicyRenewals  = 10_000
	maxPolicyDuration  = 10 * 365 * 24 * time.Hour
)

// ErrInvalidPolicy marks a policy that fails Validate.
var ErrInvalidPolicy = errors.New("domain: invalid policy")

// Policy is the versioned, configurable rule set the decide functions apply.
// Version is recorded in every decision and issued license so an audit can
// tell which rules produced it.
type Policy struct {
	// Version identifies this rule set; it must be at least 1.
	Version int
	// DevicesPerPlan is how many devices may hold active downloads at once,
	// per plan name. Its keys are the plans OpenAccount accepts.
	DevicesPerPlan map[string]int
	// DownloadsPerDevice caps the active downloads on one device.
	DownloadsPerDevice int
	// RestrictedPerTitleYear caps the downloads of one title from a
	// restricted studio per customer and calendar year (UTC).
	RestrictedPerTitleYear int
	// LicenseDuration is how long a new license lasts, and how far each
	// renewal extends it.
	LicenseDuration time.Duration
	// MaxRenewals is how many times one license may be renewed.
	MaxRenewals int
	// PlaybackWindow is how long after the first playback the title may be
	// played.
	PlaybackWindow time.Duration
	// FallbackLicense is the duration of the short license the service grants
	// when the store fails.
	FallbackLicense time.Duration
}

// DefaultPolicy returns the rules of docs/design.md §2 as policy version 1.
func DefaultPolicy() Policy {
	return Policy{
		Version:                1,
		DevicesPerPlan:         map[string]int{PlanBasic: 1, PlanStandard: 2, PlanPremium: 4},
		DownloadsPerDevice:     100,
		RestrictedPerTitleYear: 3,
		LicenseDuration:        7 * 24 * time.Hour,
		MaxRenewals:            3,
		PlaybackWindow:         48 * time.Hour,
		FallbackLicense:        24 * time.Hour,
	}
}

// PolicyError names the policy field that failed validation and its value.
type PolicyError struct {
	Field string
	Value any
	// Want says what the field must be.
	Want string
}

func (e *PolicyError) Error() string {
	return fmt.Sprintf("domain: invalid policy: %s = %v, must be %s", e.Field, e.Value, e.Want)
}

// Unwrap lets errors.Is(err, ErrInvalidPolicy) match.
func (e *PolicyError) Unwrap() error { return ErrInvalidPolicy }

// Validate reports the first field that is missing, negative or absurd, as a
// *PolicyError.
func (p Policy) Validate() error {
	bad := func(field string, v any, want string) error { return &PolicyError{Field: field, Value: v, Want: want} }
	if p.Version < 1 {
		return bad("Version", p.Version, ">= 1")
	}
	if len(p.DevicesPerPlan) == 0 {
		return bad("DevicesPerPlan", p.DevicesPerPlan, "a non-empty map of plan to device count")
	}
	plans := make([]string, 0, len(p.DevicesPerPlan))
	for plan := range p.DevicesPerPlan {
		plans = append(plans, plan)
	}
	sort.Strings(plans) // report the same field on every run
	for _, plan := range plans {
		n := p.DevicesPerPlan[plan]
		if plan == "" {
			return bad("DevicesPerPlan", `""`, "keyed by non-empty plan names")
		}
		if n < 1 || n > maxPolicyDevices {
			return bad(fmt.Sprintf("DevicesPerPlan[%q]", plan), n, fmt.Sprintf("in [1, %d]", maxPolicyDevices))
		}
	}
	if p.DownloadsPerDevice < 1 || p.DownloadsPerDevice > maxPolicyDownloads {
		return bad("DownloadsPerDevice", p.DownloadsPerDevice, fmt.Sprintf("in [1, %d]", maxPolicyDownloads))
	}
	// Zero is allowed: it forbids downloading restricted titles at all.
	if p.RestrictedPerTitleYear < 0 || p.RestrictedPerTitleYear > maxPolicyPerTitle {
		return bad("RestrictedPerTitleYear", p.RestrictedPerTitleYear, fmt.Sprintf("in [0, %d]", maxPolicyPerTitle))
	}
	if p.LicenseDuration <= 0 || p.LicenseDuration > maxPolicyDuration {
		return bad("LicenseDuration", p.LicenseDuration, fmt.Sprintf("in (0, %v]", maxPolicyDuration))
	}
	if p.MaxRenewals < 0 || p.MaxRenewals > maxPolicyRenewals {
		return bad("MaxRenewals", p.MaxRenewals, fmt.Sprintf("in [0, %d]", maxPolicyRenewals))
	}
	if p.PlaybackWindow <= 0 || p.PlaybackWindow > maxPolicyDuration {
		return bad("PlaybackWindow", p.PlaybackWindow, fmt.Sprintf("in (0, %v]", maxPolicyDuration))
	}
	// A fallback license longer than a real one would reward store outages.
	if p.FallbackLicense <= 0 || p.FallbackLicense > p.LicenseDuration {
		return bad("FallbackLicense", p.FallbackLicense, fmt.Sprintf("in (0, LicenseDuration=%v]", p.LicenseDuration))
	}
	return nil
}
