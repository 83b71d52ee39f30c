package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/spf13/cobra"

	"github.com/esbench/esbench/internal/suggest"
	"github.com/esbench/esbench/refimpl/codec"
	"github.com/esbench/esbench/refimpl/codec/catalog"
	"github.com/esbench/esbench/refimpl/domain"
	"github.com/esbench/esbench/target/inproc"
	"github.com/esbench/esbench/workload"
)

// resolveWorkload loads a workload the way run does: a built-in preset name
// or a file, then the command-line overrides (override may be nil; it
// returns the flags it applied), then validation of the whole spec and of
// its codec. validate calls it too, so a file it accepts is one run accepts.
func resolveWorkload(name string, override func(*workload.Spec) []string, wopts workload.Options) (*workload.Spec, *workload.Workload, *codec.Registry, error) {
	spec, err := loadWorkload(name)
	if err != nil {
		return nil, nil, nil, err
	}
	var overrides []string
	if override != nil {
		overrides = override(spec)
	}
	w, err := workload.New(spec, wopts)
	if err == nil {
		// The reference service is the target: its codecs and snapshot
		// policies are the ones a workload may name.
		err = inproc.CheckWorkload(spec)
	}
	if err != nil {
		if len(overrides) > 0 {
			return nil, nil, nil, fmt.Errorf("%w\n(the workload was checked after the command-line overrides %s)", err, strings.Join(overrides, ", "))
		}
		return nil, nil, nil, err
	}
	codecs, err := catalog.All()
	if err != nil {
		return nil, nil, nil, err
	}
	if _, err := checkThresholds(name, spec); err != nil {
		return nil, nil, nil, err
	}
	return spec, w, domain.NewRegistry(codecs...), nil
}

func newPresetsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "presets [NAME]",
		Short: "List the built-in workloads, or print one as YAML to copy and edit",
		Long: `presets lists the built-in workloads with a one-line description. With a
NAME it prints that preset's workload file as shipped, comments included:

  esbench presets default > my.yaml     # edit, then
  esbench validate my.yaml && esbench run my.yaml`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 1 {
				return fmt.Errorf("presets takes at most one preset name, got %d arguments (built in: %s)", len(args), strings.Join(workload.Presets(), ", "))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			if len(args) == 1 {
				data, err := workload.PresetYAML(args[0])
				if err != nil {
					return err
				}
				_, err = out.Write(data)
				return err
			}
			return listPresets(out)
		},
	}
}

func listPresets(out io.Writer) error {
	names := workload.Presets()
	specs := make([]*workload.Spec, len(names))
	nameW, expW := 0, 0
	for i, n := range names {
		spec, err := workload.Preset(n)
		if err != nil {
			return err
		}
		specs[i] = spec
		nameW, expW = max(nameW, len(n)), max(expW, len(spec.Experiment))
	}
	for i, n := range names {
		if _, err := fmt.Fprintf(out, "%-*s  %-*s  %s\n", nameW, n, expW, specs[i].Experiment, specs[i].Description); err != nil {
			return err
		}
	}
	return nil
}

func newValidateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "validate WORKLOAD...",
		Short: "Check workload files or preset names as run would, and summarise them",
		Long: `validate loads each workload — a built-in preset name or a YAML file — exactly
as run does and prints a summary of the resolved workload (defaults filled
in). Nothing is run and no store is opened. A workload with an error is
reported with its file, line and field, and the exit code is 1 if any
workload failed.`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return fmt.Errorf("validate needs at least one workload file or preset name (built in: %s)", strings.Join(workload.Presets(), ", "))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			var failed []string
			printed := false
			for _, name := range args {
				spec, w, _, err := resolveWorkload(name, nil, inproc.WorkloadOptions(""))
				if err != nil {
					fmt.Fprintf(cmd.ErrOrStderr(), "esbench: %v\n", err)
					failed = append(failed, name)
					continue
				}
				if printed {
					fmt.Fprintln(out)
				}
				printed = true
				if err := summarise(out, name, spec, w); err != nil {
					return err
				}
			}
			if len(failed) > 0 {
				return fmt.Errorf("validate: %d of %d workloads invalid: %s", len(failed), len(args), strings.Join(failed, ", "))
			}
			return nil
		},
	}
}

// summarise prints what a run of spec would do, one aspect a line.
func summarise(out io.Writer, name string, s *workload.Spec, w *workload.Workload) error {
	var b strings.Builder
	line := func(k, format string, a ...any) { fmt.Fprintf(&b, "  %-11s %s\n", k, fmt.Sprintf(format, a...)) }
	fmt.Fprintf(&b, "%s: valid\n", name)
	line("workload", "%s (%s experiment, seed %d, shard %s)", s.Name, s.Experiment, s.Seed, w.Shard())
	if s.Description != "" {
		line("", "%s", s.Description)
	}
	p := s.Population
	line("population", "%d customers (%d in this shard), chooser %s, history %s", p.Customers, w.ShardSize(), p.Chooser, history(p.History))
	c := s.Catalogue
	line("catalogue", "%d titles, %d studios, %g restricted", c.Titles, c.Studios, c.Restricted)
	switch s.Experiment {
	case workload.ExperimentMixed:
		line("mix", "%s", mix(s.Mix))
		a := s.Arrival
		switch {
		case a.Mode == workload.ModeClosed:
			line("arrival", "closed loop, %d workers", a.Workers)
		case len(a.Stages) > 0:
			line("arrival", "open loop, %s, %d ramp stages, %d workers", a.Process, len(a.Stages), a.Workers)
		default:
			line("arrival", "open loop, %s, %g ops/s, %d workers", a.Process, a.Rate, a.Workers)
		}
		if s.Operations > 0 {
			line("time", "warmup %s, measured %s, at most %d operations", s.Warmup, s.Duration, s.Operations)
		} else {
			line("time", "warmup %s, measured %s", s.Warmup, s.Duration)
		}
	case workload.ExperimentCapacity:
		line("mix", "%s", mix(s.Mix))
		c := s.Capacity
		line("search", "open loop, %s, from %g ops/s (×%g per step, %g..%g ops/s, resolution %g, at most %d steps), %d workers",
			s.Arrival.Process, s.Arrival.Rate, c.Growth, c.MinRate, c.MaxRate, c.Resolution, c.MaxSteps, s.Arrival.Workers)
		line("time", "per step: warmup %s, measured %s (at least %d operations)", s.Warmup, s.Duration, c.MinOperations)
		line("slos", "%s", strings.Join(c.SLOs, "; "))
	default:
		sw := s.Sweep
		line("study", "intervals %s × histories %v, %d customers per history, %d replays per point, target %s",
			strings.Join(sw.Intervals, ","), sw.Histories, sw.Customers, sw.Replays, sw.ReplayTarget)
	}
	if s.Preload.Enabled {
		line("preload", "on, %d workers", s.Preload.Workers)
	} else {
		line("preload", "off")
	}
	line("service", "codec %s, snapshots %s", s.Service.Codec, s.Service.Snapshot)
	if len(s.Thresholds) > 0 {
		line("thresholds", "%s", strings.Join(s.Thresholds, "; "))
	}
	for _, a := range s.AbortOnFail {
		line("abort on fail", "%s (checked from %s of measured time)", a.Threshold, a.DelayAbortEval)
	}
	_, err := io.WriteString(out, b.String())
	return err
}

func history(h workload.HistorySpec) string {
	switch h.Distribution {
	case workload.HistoryGroups:
		return fmt.Sprintf("groups %v", h.Lengths)
	case workload.HistoryFixed:
		return fmt.Sprintf("fixed %d events", h.Min)
	case workload.HistoryUniform:
		return fmt.Sprintf("uniform %d..%d events", h.Min, h.Max)
	case workload.HistoryLognormal:
		return fmt.Sprintf("lognormal median %g sigma %g (%d..%d events)", h.Mean, h.Sigma, h.Min, h.Max)
	}
	return fmt.Sprintf("%s mean %g (%d..%d events)", h.Distribution, h.Mean, h.Min, h.Max)
}

func mix(m workload.MixSpec) string {
	parts := []struct {
		name string
		w    float64
	}{
		{"acquire", m.Acquire}, {"check", m.Check}, {"renew", m.Renew}, {"release", m.Release},
		{"playback", m.Playback}, {"register_device", m.RegisterDevice}, {"remove_device", m.RemoveDevice}, {"load", m.Load},
	}
	var out []string
	for _, p := range parts {
		if p.w > 0 {
			out = append(out, fmt.Sprintf("%s %g", p.name, p.w))
		}
	}
	if len(out) == 0 {
		return "(none)"
	}
	return strings.Join(out, ", ")
}

// loadWorkload resolves a preset name or a file, suggesting the nearest
// preset for a name that is neither.
func loadWorkload(name string) (*workload.Spec, error) {
	spec, err := workload.Load(name)
	if err != nil && errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("workload %q: no built-in preset of that name (presets: %s) and no such file%s",
			name, strings.Join(workload.Presets(), ", "), suggest.Hint(name, workload.Presets()))
	}
	return spec, err
}
