package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/esbench/esbench/target/remote"
)

// resolveTarget applies the two shorthands for a remote target before the
// selection is checked: --target URL (or target: URL in the workload file,
// when --target is not given) selects the remote target with that URL; a
// workload's target: NAME selects the target NAME.
func resolveTarget(cmd *cobra.Command, workloadName string) error {
	fs := cmd.Flags()
	val, from := fs.Lookup("target").Value.String(), "--target"
	if !fs.Changed("target") {
		spec, err := loadWorkload(workloadName)
		if err != nil {
			return err
		}
		if spec.Target == "" {
			return nil
		}
		val, from = spec.Target, fmt.Sprintf("target: in workload %s", workloadName)
	}
	if !strings.Contains(val, "://") {
		if from != "--target" {
			return fs.Set("target", val)
		}
		return nil
	}
	if fs.Changed("remote-url") {
		return fmt.Errorf("%s %s and --remote-url both name the service: give one", from, val)
	}
	if err := fs.Set("target", remote.Name); err != nil {
		return err
	}
	if err := fs.Set("remote-url", val); err != nil {
		return fmt.Errorf("%s: %w", from, err)
	}
	return nil
}
