package main

import (
	"fmt"
	"math"
	"sort"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/esbench/esbench/reports"
	"github.com/esbench/esbench/reports/plan"
)

func newPlanCmd() *cobra.Command {
	vals := map[string]*float64{}
	var codec string
	cmd := &cobra.Command{
		Use:   "plan RESULT_DIR",
		Short: "Project storage, Cassandra nodes and replay latency for a target load from a measured run",
		Long: `plan reads a measured result (a result directory or its result.json) and
projects, for the target given by flags, events and bytes per day, storage over
the retention (events plus snapshots), the Cassandra nodes needed and the
expected replay latency. It prints a Markdown table of every input with its
source (flag, assumed default, or the measurement it came from), the
assumptions, and the outputs with their formulas. See docs/plan.md.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := validatePlan(cmd, vals); err != nil {
				return err
			}
			d, err := reports.OpenResult(args[0])
			if err != nil {
				return err
			}
			res, err := d.ReadResult()
			if err != nil {
				return err
			}
			in := plan.DefaultInputs()
			for _, i := range planInputs(&in) {
				name := i.Flag[2:]
				if cmd.Flags().Changed(name) {
					i.Set(*vals[name])
				}
			}
			if cmd.Flags().Changed("codec") {
				in.Codec, in.CodecSource = codec, plan.SourceFlag
			}
			in.Measure(res, d.ResultPath())
			p, err := plan.Compute(in)
			if err != nil {
				return err
			}
			return p.WriteMarkdown(cmd.OutOrStdout())
		},
	}
	help := map[string]string{
		"customers":         "customers (one event stream each); required",
		"active-share":      "share of customers active per day, (0, 1]",
		"ops-per-active":    "operations per second per active customer (or --total-ops)",
		"total-ops":         "total operations per second (or --ops-per-active)",
		"retention-days":    "days events are kept",
		"replication":       "Cassandra replication factor",
		"snapshot-interval": "events between snapshots, 0 for none (default: the sweep's recommendation, if the result is a sweep)",
		"per-node-ops":      "replica writes per second one Cassandra node sustains (default is an assumption: measure yours)",
		"headroom":          "share of node capacity kept free, [0, 1)",
		"writes-per-op":     "appends (Cassandra batches) per operation",
		"events-per-op":     "events appended per operation",
		"bytes-per-event":   "stored bytes per event (default: measured from the result)",
		"snapshot-bytes":    "bytes per snapshot (default: measured from a sweep cell at the interval)",
	}
	defaults := plan.DefaultInputs()
	for _, i := range planInputs(&defaults) {
		name := i.Flag[2:]
		v := new(float64)
		vals[name] = v
		def := 0.0
		if i.Source == plan.SourceDefault {
			def = i.Value
		}
		cmd.Flags().Float64Var(v, name, def, help[name])
	}
	cmd.Flags().StringVar(&codec, "codec", "", "event codec of the plan (default: the measured run's)")
	return cmd
}

// planInputs lists the numeric inputs that flags set.
func planInputs(in *plan.Inputs) []*plan.Input {
	return []*plan.Input{&in.Customers, &in.ActiveShare, &in.OpsPerActive, &in.TotalOps, &in.RetentionDays,
		&in.Replication, &in.SnapshotInterval, &in.PerNodeOps, &in.Headroom, &in.WritesPerOp, &in.EventsPerOp,
		&in.BytesPerEvent, &in.SnapshotBytes}
}

// planRange is the allowed range of a plan flag: wide enough for any real
// deployment, finite so no product overflows.
type planRange struct {
	lo, hi  float64
	openLow bool // lo itself is excluded
	integer bool // a count: fractions are rejected
}

var planRanges = map[string]planRange{
	"customers":         {lo: 1, hi: 1e10, integer: true},
	"active-share":      {lo: 0, hi: 1, openLow: true},
	"ops-per-active":    {lo: 0, hi: 1e3, openLow: true},
	"total-ops":         {lo: 0, hi: 1e9, openLow: true},
	"retention-days":    {lo: 0, hi: 36500, openLow: true},
	"replication":       {lo: 1, hi: 100, integer: true},
	"snapshot-interval": {lo: 0, hi: 1e6, integer: true},
	"per-node-ops":      {lo: 0, hi: 1e8, openLow: true},
	"headroom":          {lo: 0, hi: 0.99},
	"writes-per-op":     {lo: 0, hi: 1e3},
	"events-per-op":     {lo: 0, hi: 1e3},
	"bytes-per-event":   {lo: 0, hi: 1e8, openLow: true},
	"snapshot-bytes":    {lo: 0, hi: 1e9},
}

// validatePlan checks every plan flag given against its range.
func validatePlan(cmd *cobra.Command, vals map[string]*float64) error {
	c := newFlagChecks(cmd)
	names := make([]string, 0, len(vals))
	for name := range vals {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if !c.given(name) {
			continue
		}
		v, r := *vals[name], planRanges[name]
		if r.hi == 0 {
			c.add(name, fmt.Sprint(v), "has no stated range (a bug: add it to planRanges)")
			continue
		}
		c.floatRange(name, v, r.lo, r.hi, r.openLow)
		if r.integer && v != math.Trunc(v) && !math.IsInf(v, 0) {
			c.add(name, fmt.Sprint(v), "must be a whole number in [%s, %s]",
				strconv.FormatFloat(r.lo, 'f', -1, 64), strconv.FormatFloat(r.hi, 'f', -1, 64))
		}
	}
	return c.err()
}
