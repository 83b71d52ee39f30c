package inproc

import (
	"fmt"
	"strings"

	"github.com/esbench/esbench/refimpl/codec/catalog"
	"github.com/esbench/esbench/refimpl/domain"
	"github.com/esbench/esbench/refimpl/repository"
	"github.com/esbench/esbench/workload"
)

// Rules returns the download rules of policy p in the form the workload
// generator simulates them.
func Rules(p domain.Policy) workload.Rules {
	return workload.Rules{
		DevicesPerPlan:         p.DevicesPerPlan,
		DownloadsPerDevice:     p.DownloadsPerDevice,
		RestrictedPerTitleYear: p.RestrictedPerTitleYear,
		LicenseDuration:        p.LicenseDuration,
		MaxRenewals:            p.MaxRenewals,
	}
}

// WorkloadOptions are the generator options for driving the reference
// service with its default policy: its rules and its license id rule.
// runID is workload.Options.RunID (empty: derived from the seed).
func WorkloadOptions(runID string) workload.Options {
	return workload.Options{RunID: runID, LicenseID: domain.LicenseIDFor, Rules: Rules(domain.DefaultPolicy())}
}

// CheckWorkload checks a workload's service section against the reference
// service: the snapshot policy must parse and the codec must be one it has.
// The errors name the workload file, line and field (a *workload.SpecError).
func CheckWorkload(spec *workload.Spec) error {
	problems := map[string]string{}
	if _, err := repository.ParseSnapshotPolicy(spec.Service.Snapshot); err != nil {
		problems["service.snapshot"] = err.Error()
	}
	if !catalog.Known(spec.Service.Codec) {
		problems["service.codec"] = fmt.Sprintf("want one of %s, each also as CODEC+%s (for example json+zstd), got %q",
			strings.Join(catalog.IDs(), ", "), strings.Join(catalog.Compressors(), "|"), spec.Service.Codec)
	}
	return spec.Errors(problems)
}
