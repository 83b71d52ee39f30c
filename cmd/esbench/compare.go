package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/esbench/esbench/reports/compare"
	"github.com/esbench/esbench/thresholds"
)

// Exit codes of `esbench compare`, for CI scripts.
const (
	// exitComparePass: every threshold held.
	exitComparePass = 0
	// exitCompareFailure: bad usage, an unreadable result, a malformed
	// threshold or one naming an unknown metric.
	exitCompareFailure = 1
	// exitCompareRegression: the comparison ran and a threshold failed.
	exitCompareRegression = 3
)

// errRegression is returned (in an exitError) when a threshold failed.
var errRegression = errors.New("regression: a threshold failed")

type compareOptions struct {
	thresholds      []string
	workloadFile    string
	out             string
	jsonOut         string
	csvOut          string
	failWithinNoise bool
	alpha           float64
}

func newCompareCmd() *cobra.Command {
	var o compareOptions
	cmd := &cobra.Command{
		Use:   "compare BASE NEW | compare BASE... -- NEW...",
		Short: "Compare a run (or a set of runs) with a baseline; exit 3 on a threshold regression",
		Long: fmt.Sprintf(`compare reads two results (result directories or result.json files) and
prints, as Markdown for a CI comment, the metrics side by side with their
change and whether it lies within run-to-run noise (estimated from the .hlog
interval logs), then checks thresholds:

  --threshold 'replay.p99 < 5ms'              absolute limit on NEW
  --threshold 'acquire.p99 regression < 10%%'  change against BASE, worse direction
  --threshold 'acquire.error_rate < 1%%'

Thresholds come from --threshold (repeatable) and from the thresholds list of
a workload file (--workload). Metric names: <op>.p50|p90|p99|p999|p9999|max|mean
(corrected latency; <op>.service.<stat> for service time; <op>.<outcome>.<stat>),
<op>.error_rate|throughput|count, replay.<stat> (replay total), phase.<name>.<stat>,
sweep[history=H,interval=I].replay_p50|replay_p99|replay_p999|append_p99|bytes_per_stream|write_amp;
with several runs also run[<name>].<metric>. STAT(OP), as in p99(acquire), is accepted.
A relative threshold exceeded by a change within the noise band passes, marked
"within noise" (--fail-within-noise fails it); the report's footnote states the
rule. A threshold naming a metric the runs lack is an error, not a pass.

Several runs on a side make a comparison across runs: give the directory
esbench run --count N wrote (or any directory of result directories) as
BASE or NEW, or list several of each around "--" (compare B1 B2 B3 B4 --
N1 N2 N3 N4). Each metric is then the median over its side's runs, and each
row carries a Mann-Whitney U rank test of the runs (golang.org/x/perf
benchmath: p-value and runs per side) beside the within-run noise band; a
change counts when p < --alpha, and a relative threshold exceeded by a
change that is not significant passes, marked "not significant". The runs
of one side must repeat one workload, and there must be enough of them for
the test to reach --alpha (4 on each side at 0.05).

Exit codes: %d every threshold held; %d a threshold failed (regression);
%d usage error, unreadable result, malformed threshold or unknown metric.`,
			exitComparePass, exitCompareRegression, exitCompareFailure),
		Args: compareArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			base, cur := args[:1], args[1:]
			if at := cmd.ArgsLenAtDash(); at >= 0 {
				base, cur = args[:at], args[at:]
			}
			return o.run(cmd, base, cur)
		},
	}
	fs := cmd.Flags()
	fs.StringArrayVar(&o.thresholds, "threshold", nil, "a check such as 'replay.p99 < 5ms' or 'acquire.p99 regression < 10%' (repeatable)")
	fs.StringVar(&o.workloadFile, "workload", "", "also check the thresholds list of this workload file or preset")
	fs.StringVar(&o.out, "out", "", "also write the Markdown report to this file (new, or an earlier compare report: another file is never overwritten)")
	fs.StringVar(&o.jsonOut, "json", "", "also write the comparison as JSON to this file (every metric with both sides, change, noise band and, across runs, the rank test's medians, p-value, runs and verdict; then the thresholds); new, or an earlier compare JSON")
	fs.StringVar(&o.csvOut, "csv", "", "also write the comparison as CSV to this file (one row per metric, then per threshold, with the same columns as --json); new, or an earlier compare CSV")
	fs.BoolVar(&o.failWithinNoise, "fail-within-noise", false, "fail a relative threshold even when the change is within the noise band (or, across runs, not significant)")
	fs.Float64Var(&o.alpha, "alpha", compare.DefaultAlpha, "significance level of the rank test across runs, in (0, 0.5]")
	return cmd
}

// compareArgs takes BASE NEW, or BASE... -- NEW... with at least one
// path on each side.
func compareArgs(cmd *cobra.Command, args []string) error {
	at := cmd.ArgsLenAtDash()
	if at < 0 {
		if len(args) != 2 {
			return fmt.Errorf("compare takes BASE NEW (2 arguments), or several of each as BASE... -- NEW...; got %d arguments", len(args))
		}
		return nil
	}
	if at == 0 || at == len(args) {
		return fmt.Errorf("compare BASE... -- NEW...: got %d base and %d new paths; give at least one on each side of --", at, len(args)-at)
	}
	return nil
}

// loadSide reads every run the paths of one side stand for.
func loadSide(side string, paths []string) ([]*compare.Loaded, error) {
	var out []*compare.Loaded
	for _, p := range paths {
		ls, err := compare.LoadResults(p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", side, err)
		}
		out = append(out, ls...)
	}
	return out, nil
}

func (o *compareOptions) run(cmd *cobra.Command, basePaths, newPaths []string) error {
	if err := checkReportFile(o.out); err != nil {
		return err
	}
	if err := o.checkDataFiles(); err != nil {
		return err
	}
	if !(o.alpha > 0 && o.alpha <= 0.5) {
		return &flagError{flag: "alpha", value: fmt.Sprint(o.alpha), want: "must lie in (0, 0.5]: the rank test's significance level, 0.05 by default"}
	}
	texts := append([]string(nil), o.thresholds...)
	if o.workloadFile != "" {
		spec, err := loadWorkload(o.workloadFile)
		if err != nil {
			return err
		}
		texts = append(texts, spec.Thresholds...)
	}
	ths, err := thresholds.ParseAll(texts)
	if err != nil {
		return err
	}
	base, err := loadSide("base", basePaths)
	if err != nil {
		return err
	}
	cur, err := loadSide("new", newPaths)
	if err != nil {
		return err
	}
	c, err := compare.CompareSets(base, cur, ths, thresholds.Options{FailWithinNoise: o.failWithinNoise}, o.alpha)
	if err != nil {
		return err
	}
	var sb strings.Builder
	if err := compare.WriteMarkdown(&sb, c); err != nil {
		return err
	}
	if _, err := fmt.Fprint(cmd.OutOrStdout(), sb.String()); err != nil {
		return err
	}
	if o.out != "" {
		if err := os.WriteFile(o.out, []byte(sb.String()), 0o644); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
	}
	if err := writeCompareFile("json", o.jsonOut, c, compare.WriteJSON); err != nil {
		return err
	}
	if err := writeCompareFile("csv", o.csvOut, c, compare.WriteCSV); err != nil {
		return err
	}
	if c.Regressed {
		failed := thresholds.Failed(c.Checks)
		return &exitError{code: exitCompareRegression, err: fmt.Errorf("%w: %s", errRegression, strings.Join(failed, "; "))}
	}
	return nil
}

// compareHeading starts every Markdown report of compare; a file that
// starts otherwise is someone else's and is not overwritten.
const compareHeading = "# esbench compare:"

// checkReportFile refuses a --out that exists and is not an earlier
// compare report, before any work.
func checkReportFile(path string) error {
	if path == "" {
		return nil
	}
	return checkOwnFile("out", path, compareHeading, "an esbench compare report")
}

// compareJSONHead and compareCSVHead start every JSON and CSV file compare
// writes; a file that starts otherwise is someone else's and is not
// overwritten.
var (
	compareJSONHead = "{\n  \"schema\": \"" + compare.JSONSchema + "\""
	compareCSVHead  = strings.Join(compare.CSVHeader, ",") + "\n"
)

// checkDataFiles refuses a --json or --csv that exists and is not an
// earlier compare output of its kind, or that names the same file as
// another output, before any work.
func (o *compareOptions) checkDataFiles() error {
	seen := map[string]string{}
	for _, f := range []struct{ flag, path, head, what string }{
		{"out", o.out, "", ""},
		{"json", o.jsonOut, compareJSONHead, "an esbench compare JSON"},
		{"csv", o.csvOut, compareCSVHead, "an esbench compare CSV"},
	} {
		if f.path == "" {
			continue
		}
		abs, err := filepath.Abs(f.path)
		if err != nil {
			return fmt.Errorf("--%s %s: %w", f.flag, f.path, err)
		}
		if other, ok := seen[abs]; ok {
			return fmt.Errorf("--%s %s: the same file as --%s; give each output its own file", f.flag, f.path, other)
		}
		seen[abs] = f.flag
		if f.head == "" {
			continue
		}
		if err := checkOwnFile(f.flag, f.path, f.head, f.what); err != nil {
			return err
		}
	}
	return nil
}

// checkOwnFile refuses a path that is a directory, or an existing file that
// does not start with head (what names such a file).
func checkOwnFile(flag, path, head, what string) error {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("--%s %s: %w", flag, path, err)
	}
	if fi.IsDir() {
		return fmt.Errorf("--%s %s: is a directory; give the path of the file to write", flag, path)
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("--%s %s: %w", flag, path, err)
	}
	defer f.Close()
	buf := make([]byte, len(head))
	if _, err := io.ReadFull(f, buf); err != nil || string(buf) != head {
		return fmt.Errorf("--%s %s: the file exists and is not %s (it does not start with %q): esbench will not overwrite it; give a new path", flag, path, what, head)
	}
	return nil
}

// writeCompareFile writes the comparison to path with write (nothing when
// path is empty).
func writeCompareFile(flag, path string, c *compare.Comparison, write func(io.Writer, *compare.Comparison) error) error {
	if path == "" {
		return nil
	}
	var b strings.Builder
	if err := write(&b, c); err != nil {
		return fmt.Errorf("--%s: %w", flag, err)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("--%s: %w", flag, err)
	}
	return nil
}
