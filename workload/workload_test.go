package workload

import (
	"strings"
	"testing"
)

// TestNewNeedsTheServiceModel: the license id rule and the download rules
// belong to the target, so New refuses to guess them.
func TestNewNeedsTheServiceModel(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Options)
		want   string
	}{
		{"no license id rule", func(o *Options) { o.LicenseID = nil }, "Options.LicenseID"},
		{"no rules", func(o *Options) { o.Rules = Rules{} }, "Options.Rules.DevicesPerPlan is empty"},
		{"no downloads", func(o *Options) { o.Rules.DownloadsPerDevice = 0 }, "DownloadsPerDevice = 0"},
		{"too many devices", func(o *Options) { o.Rules.DevicesPerPlan = map[string]int{"basic": 17} }, "DevicesPerPlan[basic] = 17"},
		{"no license duration", func(o *Options) { o.Rules.LicenseDuration = 0 }, "LicenseDuration"},
		{"negative renewals", func(o *Options) { o.Rules.MaxRenewals = -1 }, "MaxRenewals = -1"},
		{"plan without a limit", func(o *Options) { o.Rules.DevicesPerPlan = map[string]int{"basic": 1, "standard": 2} }, `no plan "premium"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := testOptions()
			o.Rules.DevicesPerPlan = map[string]int{"basic": 1, "standard": 2, "premium": 4}
			tt.mutate(&o)
			spec := DefaultSpec()
			if _, err := New(&spec, o); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New = %v, want an error mentioning %q", err, tt.want)
			}
		})
	}
}
