package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/esbench/esbench/refimpl/store"
	"github.com/esbench/esbench/target/remote"
	"github.com/esbench/esbench/target/remote/apitest"
)

// apiConformance is conformance --target: the API conformance kit against
// a service.
type apiConformance struct {
	url    string
	client remote.Settings
}

func (a *apiConformance) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&a.url, "target", "", "check the service at this URL against the API's download rules instead of a store")
	a.client.AddClientFlags(fs)
}

func (a *apiConformance) run(cmd *cobra.Command, stores *store.Selection) error {
	fs := cmd.Flags()
	var storeFlags []string
	fs.Visit(func(f *pflag.Flag) {
		if _, ok := stores.Owner(f.Name); ok || f.Name == "store" {
			storeFlags = append(storeFlags, "--"+f.Name)
		}
	})
	if len(storeFlags) > 0 {
		return fmt.Errorf("--target checks a service through its API; %s applies to store conformance: give one or the other", strings.Join(storeFlags, ", "))
	}
	if !strings.Contains(a.url, "://") {
		return fmt.Errorf("--target %q: want the service's URL (http://127.0.0.1:8080)", a.url)
	}
	a.client.SetURL(a.url)
	client, closeClient, err := a.client.Client()
	if err != nil {
		return errors.New(strings.NewReplacer("--remote-url", "--target").Replace(err.Error())) // same setting, named as given
	}
	defer closeClient()
	if err := remote.Probe(cmd.Context(), client, a.url); err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	checks := apitest.Checks()
	width := 0
	for _, c := range checks {
		width = max(width, len(c.Name))
	}
	p := apitest.Policy()
	fmt.Fprintf(w, "conformance of the service at %s: %d checks of the download rules (policy v%d: devices per plan %v, %d downloads per device, %d restricted per title and year, license %s, %d renewals, playback window %s)\n",
		a.url, len(checks), p.Version, p.DevicesPerPlan, p.DownloadsPerDevice, p.RestrictedPerTitleYear, p.LicenseDuration, p.MaxRenewals, p.PlaybackWindow)
	start := time.Now()
	results := apitest.Run(cmd.Context(), client, func(r apitest.Result) {
		status := "PASS"
		if !r.Pass {
			status = "FAIL"
		}
		fmt.Fprintf(w, "%-7s %-*s %9s  %s\n", status, width, r.Name, r.Duration.Round(time.Millisecond), r.Rule)
		if !r.Pass {
			fmt.Fprintf(w, "        %s\n", r.Failure)
		}
	})
	fmt.Fprintf(w, "%s in %s\n", apitest.Summary(results), time.Since(start).Round(time.Millisecond))
	var failed []string
	for _, r := range results {
		if !r.Pass {
			failed = append(failed, r.Name)
		}
	}
	switch {
	case len(failed) > 0:
		return &exitError{code: exitConformance, err: fmt.Errorf("the service at %s failed %d API conformance checks: %s", a.url, len(failed), strings.Join(failed, ", "))}
	case len(results) < len(checks):
		return &exitError{code: exitInterrupted, err: errors.New("conformance interrupted: not every check ran")}
	}
	return nil
}
