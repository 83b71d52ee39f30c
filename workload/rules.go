package workload

import (
	"fmt"
	"time"
)

// Rules are the download rules of the service a workload drives, as far as
// the generator simulates them: preload decides which of a history's
// acquires the service grants, and streams avoid renewing past the limit.
// They belong to the system under test, so the caller supplies them (the
// in-process reference service derives them from its policy; see
// target/inproc and docs/design.md, "Layers").
type Rules struct {
	// DevicesPerPlan is how many devices may hold active downloads at once,
	// per plan name (basic, standard, premium).
	DevicesPerPlan map[string]int
	// DownloadsPerDevice caps the active downloads on one device.
	DownloadsPerDevice int
	// RestrictedPerTitleYear caps the downloads of one restricted title per
	// customer and calendar year.
	RestrictedPerTitleYear int
	// LicenseDuration is how long a license lasts, and how far a renewal
	// extends it.
	LicenseDuration time.Duration
	// MaxRenewals is how many times one license may be renewed.
	MaxRenewals int
}

// validate rejects rules the generator cannot simulate.
func (r *Rules) validate() error {
	if len(r.DevicesPerPlan) == 0 {
		return fmt.Errorf("workload: Options.Rules.DevicesPerPlan is empty: the generator needs the service's download rules")
	}
	for plan, n := range r.DevicesPerPlan {
		if n < 0 || n > MaxDevices {
			return fmt.Errorf("workload: Options.Rules.DevicesPerPlan[%s] = %d, must be in [0, %d]", plan, n, MaxDevices)
		}
	}
	switch {
	case r.DownloadsPerDevice < 1:
		return fmt.Errorf("workload: Options.Rules.DownloadsPerDevice = %d, must be ≥ 1", r.DownloadsPerDevice)
	case r.RestrictedPerTitleYear < 0:
		return fmt.Errorf("workload: Options.Rules.RestrictedPerTitleYear = %d, must be ≥ 0", r.RestrictedPerTitleYear)
	case r.LicenseDuration <= 0:
		return fmt.Errorf("workload: Options.Rules.LicenseDuration = %v, must be > 0", r.LicenseDuration)
	case r.MaxRenewals < 0:
		return fmt.Errorf("workload: Options.Rules.MaxRenewals = %d, must be ≥ 0", r.MaxRenewals)
	}
	return nil
}
