package main

// The bad-input table: every command and every flag of esbench, given
// wrong input, must fail fast with a non-zero exit and a message naming the
// flag, file or field AND the allowed range or values, and must change
// nothing outside esbench's own directories.
//
// EVERY NEW FLAG OR COMMAND MUST ADD CASES HERE (a new flag without a case
// is a review failure; see docs/contributing.md). Add a badCase to the
// table of its command in badInputCases: the arguments (use {sb} for the
// sandbox directory, {fx} for the shared fixtures), any files or
// directories it needs, the exit code and the substrings the message must
// contain.
//
// Each case runs the real binary (built once in TestMain) as a subprocess
// in a fresh sandbox directory (its working directory, HOME and TMPDIR),
// so exit codes, signals and files are real. The sandbox and the fixtures
// are hashed before and after: a case may not change them unless it says
// which new directory it may create (mayCreate).

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/esbench/esbench/bench/dataset"
	"github.com/esbench/esbench/internal/owned"
	"github.com/esbench/esbench/workload"
)

// esbenchBin is the binary built by TestMain for subprocess tests.
var esbenchBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "esbench-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	esbenchBin = filepath.Join(dir, "esbench")
	if runtime.GOOS == "windows" {
		esbenchBin += ".exe"
	}
	build := exec.Command("go", "build", "-o", esbenchBin, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building esbench for the subprocess tests:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	if fx.dir != "" {
		os.RemoveAll(fx.dir)
	}
	os.Exit(code)
}

// badCase is one bad input.
type badCase struct {
	name string
	args []string
	// files are created in the sandbox before the run (path relative to
	// the sandbox: content); dirs are created empty.
	files map[string]string
	dirs  []string
	stdin string
	env   []string
	// code is the expected exit code (default 1).
	code int
	// want are substrings of stderr: the flag, file or field, and the
	// allowed range or values.
	want []string
	// within bounds the wall time (default 10s; bad input is refused
	// before any work, so most cases take milliseconds).
	within time.Duration
}

// tinyYAML is a valid mixed workload small enough for fixtures.
const tinyYAML = `name: tiny
experiment: mixed
population:
  customers: 60
  history: {distribution: fixed, min: 3, max: 3, span: 24h}
arrival: {mode: open, process: constant, rate: 200, workers: 2}
warmup: 100ms
duration: 400ms
preload: {enabled: true, workers: 2}
service: {snapshot: "every:10", codec: json}
`

// Files named like pebble's and like esbench's results, for foreign
// directories.
var (
	pebbleLike = map[string]string{
		"000001.log": "user data", "MANIFEST-000001": "user manifest", "OPTIONS-000003": "user options",
		"CURRENT": "MANIFEST-000001\n", "LOCK": "", "000002.sst": "user table",
	}
	resultsLike = map[string]string{
		"result.json": `{"note": "a user's file"}`, "report.html": "<html>mine</html>",
		"codecs.json": "{}", "summary.md": "# mine\n", "tiny.corrected.hlog": "mine\n",
	}
)

// under returns files placed under dir.
func under(dir string, files ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, f := range files {
		for k, v := range f {
			out[filepath.Join(dir, k)] = v
		}
	}
	return out
}

// merged returns the union of file sets.
func merged(sets ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, s := range sets {
		for k, v := range s {
			out[k] = v
		}
	}
	return out
}

// fixtures are results made once by real runs: a mixed run and shards
// 0/3 and 1/3 of one workload.
type fixtures struct {
	dir            string // {fx}
	run            string // a result directory
	shard0, shard1 string // shards 0/3 and 1/3
	workload       string
}

var (
	fxOnce sync.Once
	fx     fixtures
	fxErr  error
)

func loadFixtures(t *testing.T) fixtures {
	t.Helper()
	fxOnce.Do(func() {
		dir, err := os.MkdirTemp("", "esbench-fixtures-")
		if err != nil {
			fxErr = err
			return
		}
		fx.dir = dir
		fx.workload = filepath.Join(dir, "tiny.yaml")
		if fxErr = os.WriteFile(fx.workload, []byte(tinyYAML), 0o644); fxErr != nil {
			return
		}
		mk := func(out string, extra ...string) string {
			if fxErr != nil {
				return ""
			}
			args := append([]string{"run", fx.workload, "--store", "memory", "--progress", "none", "--out", filepath.Join(dir, out)}, extra...)
			cmd := exec.Command(esbenchBin, args...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Run(); err != nil {
				fxErr = fmt.Errorf("fixture run %v: %v\n%s", args, err, stderr.String())
				return ""
			}
			entries, err := os.ReadDir(filepath.Join(dir, out))
			if err != nil || len(entries) != 1 {
				fxErr = fmt.Errorf("fixture %s: %v %v", out, entries, err)
				return ""
			}
			return filepath.Join(dir, out, entries[0].Name())
		}
		fx.run = mk("run")
		fx.shard0 = mk("s0", "--shard", "0/3")
		fx.shard1 = mk("s1", "--shard", "1/3")
	})
	if fxErr != nil {
		t.Fatal(fxErr)
	}
	return fx
}

// hashTree hashes every file's path, mode and content, and every
// directory's path under root.
func hashTree(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			out[rel+"/"] = "dir"
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		out[rel] = info.Mode().String() + " " + hex.EncodeToString(sum[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// diffTrees lists what changed between two hashTree results.
func diffTrees(before, after map[string]string) []string {
	var d []string
	for k, v := range before {
		if w, ok := after[k]; !ok {
			d = append(d, "removed "+k)
		} else if v != w {
			d = append(d, "changed "+k)
		}
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			d = append(d, "added "+k)
		}
	}
	sort.Strings(d)
	return d
}

// runResult is one finished subprocess.
type runResult struct {
	code           int
	stdout, stderr string
	elapsed        time.Duration
	signaled       bool
}

// startEsbench starts the binary in dir with args; env adds to a clean
// environment whose HOME and TMPDIR are inside the sandbox.
func startEsbench(ctx context.Context, sb string, args, env []string, stdin string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	cmd := exec.CommandContext(ctx, esbenchBin, args...)
	cmd.Dir = filepath.Join(sb, "work")
	cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + filepath.Join(sb, "home"),
		"TMPDIR=" + filepath.Join(sb, "tmp"),
	}, env...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	return cmd, &stdout, &stderr
}

func finish(cmd *exec.Cmd, start time.Time, stdout, stderr *bytes.Buffer, err error) runResult {
	r := runResult{elapsed: time.Since(start), stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
		if r.code == -1 {
			r.signaled = true
		}
	default:
		r.code = -2
		r.stderr += "\n(start: " + err.Error() + ")"
	}
	return r
}

// newSandbox makes the sandbox: work/ (the working directory), home/,
// tmp/, plus the case's files and directories.
func newSandbox(t *testing.T, files map[string]string, dirs []string) string {
	t.Helper()
	sb := t.TempDir()
	for _, d := range append([]string{"work", "home", "tmp"}, dirs...) {
		if err := os.MkdirAll(filepath.Join(sb, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for p, content := range files {
		full := filepath.Join(sb, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(strings.ReplaceAll(content, "{sb}", sb)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return sb
}

func expand(args []string, sb string, f fixtures) []string {
	out := make([]string, len(args))
	r := strings.NewReplacer("{sb}", sb, "{fx}", f.dir, "{run}", f.run, "{shard0}", f.shard0, "{shard1}", f.shard1,
		"{tiny}", f.workload)
	for i, a := range args {
		out[i] = r.Replace(a)
	}
	return out
}

func TestBadInput(t *testing.T) {
	f := loadFixtures(t)
	cases := badInputCases()
	seen := map[string]bool{}
	for _, tc := range cases {
		if seen[tc.name] {
			t.Fatalf("two cases named %q", tc.name)
		}
		seen[tc.name] = true
	}
	t.Logf("%d bad-input cases", len(cases))
	checkDocumentedCount(t, len(cases))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{}
			for p, content := range tc.files {
				if src, ok := strings.CutPrefix(content, "{{copy:run/"); ok {
					data, err := os.ReadFile(filepath.Join(f.run, strings.TrimSuffix(src, "}}")))
					if err != nil {
						t.Fatal(err)
					}
					content = string(data)
				}
				files[p] = content
			}
			sb := newSandbox(t, files, tc.dirs)
			before, fxBefore := hashTree(t, sb), hashTree(t, f.dir)
			within := tc.within
			if within == 0 {
				within = 10 * time.Second
			}
			ctx, cancel := context.WithTimeout(context.Background(), within+5*time.Second)
			defer cancel()
			args := expand(tc.args, sb, f)
			cmd, stdout, stderr := startEsbench(ctx, sb, args, tc.env, tc.stdin)
			start := time.Now()
			r := finish(cmd, start, stdout, stderr, cmd.Run())
			want := tc.code
			if want == 0 {
				want = 1
			}
			if r.code != want {
				t.Errorf("esbench %s: exit code %d, want %d\nstderr: %s\nstdout: %s", strings.Join(args, " "), r.code, want, r.stderr, r.stdout)
			}
			if r.elapsed > within {
				t.Errorf("took %v, want at most %v", r.elapsed, within)
			}
			msg := strings.ReplaceAll(r.stderr, sb, "{sb}")
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("stderr does not contain %q:\n%s", w, msg)
				}
			}
			if strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "goroutine ") {
				t.Errorf("panicked:\n%s", r.stderr)
			}
			if d := diffTrees(before, hashTree(t, sb)); len(d) > 0 {
				t.Errorf("the sandbox changed:\n%s", strings.Join(d, "\n"))
			}
			if d := diffTrees(fxBefore, hashTree(t, f.dir)); len(d) > 0 {
				t.Errorf("the fixtures changed:\n%s", strings.Join(d, "\n"))
			}
		})
	}
}

// badInputCases is the table, by command.
func badInputCases() []badCase {
	var all []badCase
	for _, part := range [][]badCase{rootCases(), schemaCases(), runFlagCases(), runWorkloadCases(), runStoreCases(), registryCases(),
		codecsCases(), reportCases(), compareCases(), mergeCases(), planCases(), workloadCmdCases(), preloadCases(), apiCases(),
		validateCases(), conformanceCases(), auditCases(), serveCases(), targetCases(), faultCases(), moreRunCases(),
		moreSchemaCases(), workloadFieldCases(), diagnosticsCases()} {
		all = append(all, part...)
	}
	return all
}

func rootCases() []badCase {
	return []badCase{
		{name: "root/unknown command", args: []string{"bogus"}, want: []string{`unknown command "bogus"`}},
		{name: "root/typo suggests", args: []string{"verison"}, want: []string{`unknown command "verison"`, "version"}},
		{name: "root/typo suggests run", args: []string{"rnu"}, want: []string{"Did you mean", "run"}},
		{name: "root/unknown flag", args: []string{"--no-such-flag"}, want: []string{"unknown flag: --no-such-flag"}},
		{name: "version/extra argument", args: []string{"version", "extra"}, want: []string{`unknown command "extra"`, "esbench version"}},
		{name: "version/unknown flag", args: []string{"version", "--json"}, want: []string{"unknown flag: --json"}},
	}
}

func schemaCases() []badCase {
	return []badCase{
		{name: "schema/no subcommand", args: []string{"schema"}, want: []string{`"esbench schema" needs a subcommand`, "apply, print"}},
		{name: "schema/typo aply", args: []string{"schema", "aply"}, want: []string{`unknown command "aply"`, "did you mean apply?"}},
		{name: "schema/typo prnt", args: []string{"schema", "prnt"}, want: []string{`unknown command "prnt"`, "did you mean print?"}},
		{name: "schema/unknown subcommand", args: []string{"schema", "drop"}, want: []string{`unknown command "drop"`, "apply, print"}},
		{name: "schema/print extra argument", args: []string{"schema", "print", "x"}, want: []string{`unknown command "x"`}},
		{name: "schema/timeout zero", args: []string{"schema", "print", "--cassandra-timeout", "0s"}, want: []string{"--cassandra-timeout 0s", "positive"}},
		{name: "schema/connect timeout negative", args: []string{"schema", "print", "--cassandra-connect-timeout", "-1s"}, want: []string{"--cassandra-connect-timeout -1s", "positive"}},
		{name: "schema/page size zero", args: []string{"schema", "print", "--cassandra-page-size", "0"}, want: []string{"--cassandra-page-size 0", "positive"}},
		{name: "schema/write coalesce negative", args: []string{"schema", "print", "--cassandra-write-coalesce", "-1ms"}, want: []string{"--cassandra-write-coalesce -1ms", "[0s, 10ms]"}},
		{name: "schema/write coalesce too long", args: []string{"schema", "print", "--cassandra-write-coalesce", "1s"}, want: []string{"--cassandra-write-coalesce 1s", "[0s, 10ms]"}},
		{name: "schema/write coalesce not a duration", args: []string{"schema", "print", "--cassandra-write-coalesce", "200"}, want: []string{"--cassandra-write-coalesce", "invalid argument"}},
		{name: "schema/retries negative", args: []string{"schema", "print", "--cassandra-retries", "-1"}, want: []string{"--cassandra-retries -1", "negative"}},
		{name: "schema/replication dcs malformed", args: []string{"schema", "print", "--cassandra-replication-dcs", "dc1"}, want: []string{"--cassandra-replication-dcs", "dc=factor"}},
		{name: "schema/serial write consistency", args: []string{"schema", "print", "--cassandra-write-consistency", "SERIAL"}, want: []string{"SERIAL"}},
		{name: "schema/port not a number", args: []string{"schema", "print", "--cassandra-port", "x"}, want: []string{"--cassandra-port", "invalid argument"}},
	}
}

func runFlagCases() []badCase {
	r := func(args ...string) []string { return append([]string{"run", "--store", "memory"}, args...) }
	return []badCase{
		{name: "run/preset typo", args: r("defualt"), want: []string{`workload "defualt"`, "presets: capacity, default, replay, sweep", "did you mean default?"}},
		{name: "run/no such file", args: r("nosuch.yaml"), want: []string{`workload "nosuch.yaml"`, "no such file"}},
		{name: "run/two workloads", args: r("default", "sweep"), want: []string{"accepts at most 1 arg"}},
		{name: "run/rate 1e12", args: r("--rate", "1e12", "--duration", "2s"), want: []string{"--rate 1e+12", "(0, 1000000]"}},
		{name: "run/rate 1e9", args: r("--rate", "1e9"), want: []string{"--rate", "(0, 1000000]"}},
		{name: "run/abort relative threshold", args: r("{sb}/w.yaml"), files: map[string]string{"w.yaml": tinyYAML + "abort_on_fail: [{threshold: \"acquire.p99 regression < 10%\", delay_abort_eval: 100ms}]\n"}, want: []string{"abort_on_fail[0].threshold", "compares with a base run", "absolute threshold"}},
		{name: "run/abort delay beyond duration", args: r("{sb}/w.yaml"), files: map[string]string{"w.yaml": tinyYAML + "abort_on_fail: [{threshold: \"acquire.p99 < 1s\", delay_abort_eval: 1s}]\n"}, want: []string{"abort_on_fail[0].delay_abort_eval", "[0s, 400ms)"}},
		{name: "run/abort delay without unit", args: r("{sb}/w.yaml"), files: map[string]string{"w.yaml": tinyYAML + "abort_on_fail: [{threshold: \"acquire.p99 < 1s\", delay_abort_eval: 10}]\n"}, want: []string{"delay_abort_eval", "want a duration such as 10s"}},
		{name: "run/abort negative delay", args: r("{sb}/w.yaml"), files: map[string]string{"w.yaml": tinyYAML + "abort_on_fail: [{threshold: \"acquire.p99 < 1s\", delay_abort_eval: -1s}]\n"}, want: []string{"abort_on_fail[0].delay_abort_eval", "[0s, 400ms)"}},
		{name: "run/abort latency without unit", args: r("{sb}/w.yaml"), files: map[string]string{"w.yaml": tinyYAML + "abort_on_fail: [{threshold: \"acquire.p99 < 5\"}]\n"}, want: []string{"abort_on_fail[0].threshold", "needs a unit"}},
		{name: "run/abort unknown metric", args: r("{sb}/w.yaml"), files: map[string]string{"w.yaml": tinyYAML + "abort_on_fail: [{threshold: \"acquir.p99 < 5ms\"}]\n"}, want: []string{"abort_on_fail[0].threshold", "acquir.p99"}},
		{name: "run/abort empty threshold", args: r("{sb}/w.yaml"), files: map[string]string{"w.yaml": tinyYAML + "abort_on_fail: [{delay_abort_eval: 100ms}]\n"}, want: []string{"abort_on_fail[0].threshold", "must not be empty"}},
		{name: "run/abort unknown key", args: r("{sb}/w.yaml"), files: map[string]string{"w.yaml": tinyYAML + "abort_on_fail: [{threshold: \"acquire.p99 < 1s\", delayAbortEval: 1s}]\n"}, want: []string{"delayAbortEval"}},
		{name: "run/abort relative on a sweep", args: r("{sb}/w.yaml"), files: map[string]string{"w.yaml": "name: s\nexperiment: sweep\nabort_on_fail: [{threshold: \"replay.p99 regression < 10%\"}]\n"}, want: []string{"abort_on_fail[0].threshold", "compares with a base run"}},
		{name: "run/abort delay beyond a capacity step", args: r("{sb}/w.yaml"), files: map[string]string{"w.yaml": "name: c\nexperiment: capacity\nduration: 10s\nabort_on_fail: [{threshold: \"error_share < 50%\", delay_abort_eval: 10s}]\n"}, want: []string{"abort_on_fail[0].delay_abort_eval", "[0s, 10s)"}},
		{name: "run/abort unknown metric on a replay", args: r("{sb}/w.yaml"), files: map[string]string{"w.yaml": "name: r\nexperiment: replay\nabort_on_fail: [{threshold: \"replay.p42 < 1s\"}]\n"}, want: []string{"abort_on_fail[0].threshold", "replay.p42"}},
		{name: "run/count 0", args: r("--count", "0"), want: []string{"--count 0", "[1, 1000]"}},
		{name: "run/count too many", args: r("--count", "1001"), want: []string{"--count 1001", "[1, 1000]"}},
		{name: "run/count not a number", args: r("--count", "few"), want: []string{"--count", `"few"`}},
		{name: "run/rate zero", args: r("--rate", "0"), want: []string{"--rate 0", "(0, 1000000]"}},
		{name: "run/rate negative", args: r("--rate", "-5"), want: []string{"--rate -5", "(0, 1000000]"}},
		{name: "run/rate NaN", args: r("--rate", "NaN"), want: []string{"--rate NaN", "(0, 1000000]"}},
		{name: "run/rate Inf", args: r("--rate", "Inf"), want: []string{"--rate +Inf", "(0, 1000000]"}},
		{name: "run/rate not a number", args: r("--rate", "fast"), want: []string{`invalid argument "fast"`, "--rate"}},
		{name: "run/rate with closed mode", args: r("--rate", "100", "--mode", "closed"), want: []string{"--rate", "open-loop arrival only", "closed"}},
		{name: "run/mode unknown", args: r("--mode", "sideways"), want: []string{`--mode "sideways"`, "open, closed"}},
		{name: "run/mode typo", args: r("--mode", "opn"), want: []string{`--mode "opn"`, "did you mean open?"}},
		{name: "run/timeout negative", args: r("--timeout", "-1s"), want: []string{"--timeout -1s", "[0s, 1h0m0s]", "0: no deadline"}},
		{name: "run/timeout too long", args: r("--timeout", "2h"), want: []string{"--timeout 2h0m0s", "[0s, 1h0m0s]"}},
		{name: "run/timeout not a duration", args: r("--timeout", "5"), want: []string{"--timeout", "missing unit"}},
		{name: "run/late negative", args: r("--late", "-1s"), want: []string{"--late -1s", "[1µs, 1h0m0s]"}},
		{name: "run/late zero", args: r("--late", "0s"), want: []string{"--late 0s", "[1µs, 1h0m0s]"}},
		{name: "run/interval zero", args: r("--interval", "0s"), want: []string{"--interval 0s", "[1ms, 1h0m0s]"}},
		{name: "run/interval negative", args: r("--interval", "-1s"), want: []string{"--interval -1s", "[1ms, 1h0m0s]"}},
		{name: "run/interval too long", args: r("--interval", "2h"), want: []string{"--interval 2h0m0s", "[1ms, 1h0m0s]"}},
		{name: "run/warmup huge", args: r("--warmup", "100000h"), want: []string{"--warmup 100000h0m0s", "[0s, 24h0m0s]"}},
		{name: "run/warmup negative", args: r("--warmup", "-1s"), want: []string{"--warmup -1s", "[0s, 24h0m0s]"}},
		{name: "run/duration negative", args: r("--duration", "-1s"), want: []string{"--duration -1s", "[0s, 720h0m0s]"}},
		{name: "run/duration huge", args: r("--duration", "100000h"), want: []string{"--duration 100000h0m0s", "[0s, 720h0m0s]"}},
		{name: "run/duration zero without operations", args: r("--duration", "0s"), want: []string{"--duration (field duration", "duration > 0 or operations > 0"}},
		{name: "run/workers zero", args: r("--workers", "0"), want: []string{"--workers 0", "[1, 100000]"}},
		{name: "run/workers negative", args: r("--workers", "-3"), want: []string{"--workers -3", "[1, 100000]"}},
		{name: "run/workers too many", args: r("--workers", "1000000"), want: []string{"--workers 1000000", "[1, 100000]"}},
		{name: "run/workers above customers", args: r("--customers", "10"), want: []string{"arrival.workers", "16 workers need at least as many customers", "--customers"}},
		{name: "run/customers zero", args: r("--customers", "0"), want: []string{"--customers 0", "[1, 100000000]"}},
		{name: "run/customers too many", args: r("--customers", "1000000000"), want: []string{"--customers 1000000000", "[1, 100000000]"}},
		{name: "run/customers negative", args: r("--customers", "-1"), want: []string{"--customers", "invalid argument"}},
		{name: "run/operations zero", args: r("--operations", "0"), want: []string{"--operations 0", "[1, 1000000000000]"}},
		{name: "run/shard index too large", args: r("--shard", "3/2"), want: []string{`--shard "3/2"`, "[0, 2)"}},
		{name: "run/shard malformed", args: r("--shard", "x"), want: []string{`--shard "x"`, "i/n"}},
		{name: "run/shard count zero", args: r("--shard", "0/0"), want: []string{`--shard "0/0"`, "≥ 1"}},
		{name: "run/codec unknown", args: r("--codec", "xml"), want: []string{`--codec "xml"`, "json, gob", "CODEC+zstd|s2|lz4"}},
		{name: "run/codec typo", args: r("--codec", "jsn"), want: []string{`--codec "jsn"`, "did you mean json?"}},
		{name: "run/codec bad compressor", args: r("--codec", "json+brotli"), want: []string{`--codec "json+brotli"`, "CODEC+zstd|s2|lz4"}},
		{name: "run/snapshot policy", args: r("--snapshot", "sometimes"), want: []string{"--snapshot (field service.snapshot", "sometimes"}},
		{name: "run/progress unknown", args: r("--progress", "fancy"), want: []string{`--progress "fancy"`, "auto, bars, lines, none"}},
		{name: "run/progress-every zero", args: r("--progress-every", "0s"), want: []string{"--progress-every 0s", "[10ms, 1h0m0s]"}},
		{name: "run/progress-every without lines", args: r("--progress", "none", "--progress-every", "1s"), want: []string{"--progress-every 1s", "does not apply with --progress none"}},
		{name: "run/sweep with rate", args: r("sweep", "--rate", "5"), want: []string{"--rate 5", "does not apply to the sweep experiment"}},
		{name: "run/replay with mode", args: r("replay", "--mode", "open"), want: []string{"--mode open", "does not apply to the replay experiment"}},
		{name: "run/sweep with warmup", args: r("sweep", "--warmup", "1s"), want: []string{"--warmup 1s", "does not apply"}},
		{name: "run/sweep with snapshot", args: r("sweep", "--snapshot", "none"), want: []string{"--snapshot none", "does not apply"}},
		{name: "run/unknown flag", args: r("--rps", "5"), want: []string{"unknown flag: --rps"}},
	}
}

func runWorkloadCases() []badCase {
	w := func(content string) map[string]string { return map[string]string{"w.yaml": content} }
	r := []string{"run", "{sb}/w.yaml", "--store", "memory"}
	return []badCase{
		{name: "workload/empty file", args: r, files: w(""), want: []string{"{sb}/w.yaml", "empty", "capacity, default, replay, sweep"}},
		{name: "workload/comment-only file", args: r, files: w("# nothing here\n\n# at all\n"), want: []string{"{sb}/w.yaml", "empty"}},
		{name: "workload/unknown field", args: r, files: w("name: x\nrte: 5\n"), want: []string{"{sb}/w.yaml:2", "field rte", "unknown field", "arrival"}},
		{name: "workload/rate too high", args: r, files: w("arrival:\n  rate: 2000000\n"), want: []string{"{sb}/w.yaml:2", "arrival.rate", "[0, 1000000]"}},
		{name: "workload/warmup huge", args: r, files: w("warmup: 100000h\n"), want: []string{"{sb}/w.yaml:1", "field warmup", "[0s, 24h0m0s]"}},
		{name: "workload/duration huge", args: r, files: w("duration: 1000000h\n"), want: []string{"{sb}/w.yaml:1", "field duration", "[0s, 720h0m0s]"}},
		{name: "workload/closed with rate", args: r, files: w("arrival:\n  mode: closed\n  rate: 50\n"), want: []string{"{sb}/w.yaml:3", "arrival.rate", "open-loop arrival only"}},
		{name: "workload/two documents", args: r, files: w("name: a\n---\nname: b\n"), want: []string{"{sb}/w.yaml:3", "one YAML document"}},
		{name: "workload/invalid yaml", args: r, files: w("name: [unclosed\n"), want: []string{"{sb}/w.yaml", "invalid YAML"}},
		{name: "workload/fractional customers", args: r, files: w("population:\n  customers: 1.5\n"), want: []string{"{sb}/w.yaml:2", "population.customers", "integer"}},
		{name: "workload/negative customers", args: r, files: w("population:\n  customers: -3\n"), want: []string{"{sb}/w.yaml:2", "population.customers", "≥ 0"}},
		{name: "workload/unknown codec", args: r, files: w("service:\n  codec: xml\n"), want: []string{"{sb}/w.yaml:2", "service.codec", "json+zstd"}},
		{name: "workload/bad flag names the flag", args: append(r, "--workers", "7000"), files: w("population:\n  customers: 100\n"), want: []string{"arrival.workers", "--workers"}},
		{name: "workload/directory", args: []string{"run", "{sb}/wdir", "--store", "memory"}, dirs: []string{"wdir"}, want: []string{"{sb}/wdir"}},
	}
}

func runStoreCases() []badCase {
	return []badCase{
		{name: "store/unknown", args: []string{"run", "--store", "mysql"}, want: []string{`--store "mysql"`, "cassandra, memory, pebble"}},
		{name: "store/typo", args: []string{"run", "--store", "memry"}, want: []string{`--store "memry"`, "did you mean memory?"}},
		{name: "store/data-dir with memory", args: []string{"run", "--store", "memory", "--data-dir", "{sb}/d"}, want: []string{"--data-dir applies to --store pebble, not to --store memory"}},
		{name: "store/data-dir with cassandra", args: []string{"run", "--store", "cassandra", "--data-dir", "{sb}/d"}, want: []string{"--data-dir applies to --store pebble, not to --store cassandra"}},
		{name: "store/pebble-sync with memory", args: []string{"run", "--store", "memory", "--pebble-sync=false"}, want: []string{"--pebble-sync applies to --store pebble, not to --store memory"}},
		{name: "store/data-dir foreign pebble-like files", args: []string{"run", "--data-dir", "{sb}/d"}, files: under("d", pebbleLike),
			want: []string{"--data-dir", "{sb}/d", "not empty", owned.MarkerFile, "new or empty directory"}},
		{name: "store/data-dir foreign hot tier", args: []string{"run", "--data-dir", "{sb}/d"}, files: under("d/hot", pebbleLike),
			want: []string{"--data-dir", "not empty", owned.MarkerFile}},
		{name: "store/data-dir foreign results", args: []string{"run", "--data-dir", "{sb}/d"}, files: under("d", resultsLike),
			want: []string{"--data-dir", "not empty", "result.json"}},
		{name: "store/data-dir is a file", args: []string{"run", "--data-dir", "{sb}/f"}, files: map[string]string{"f": "x"}, want: []string{"--data-dir", "is a file"}},
		{name: "store/data-dir is a results directory", args: []string{"run", "--data-dir", "{run}"}, want: []string{"--data-dir", "esbench's results directory, not a pebble-data directory"}},
		{name: "store/data-dir foreign with sweep", args: []string{"run", "sweep", "--data-dir", "{sb}/d"}, files: under("d", pebbleLike), want: []string{"--data-dir", "not empty"}},
		{name: "store/cassandra write coalesce too long", args: []string{"run", "--store", "cassandra", "--cassandra-write-coalesce", "20ms"}, want: []string{"--cassandra-write-coalesce 20ms", "[0s, 10ms]"}},
		{name: "store/cassandra timeout zero", args: []string{"run", "--store", "cassandra", "--cassandra-timeout", "0s"}, want: []string{"--cassandra-timeout 0s", "positive"}},
		{name: "store/cassandra unreachable leaves no directory", args: []string{"run", "--store", "cassandra", "--cassandra-hosts", "127.0.0.1:1", "--cassandra-connect-timeout", "300ms", "--out", "{sb}/results"},
			want: []string{"127.0.0.1:1"}, within: 15 * time.Second},
	}
}

// registryCases cover the registry-driven selections (--store, --target
// and the flags each backend or target brings) and esbench conformance.
func registryCases() []badCase {
	c := func(args ...string) []string { return append([]string{"conformance"}, args...) }
	return []badCase{
		{name: "conformance/no store", args: c(), want: []string{"--store NAME is required", "cassandra, memory, pebble, sqlite"}},
		{name: "conformance/empty store", args: c("--store", ""), want: []string{`--store ""`, "unknown store", "cassandra, memory, pebble, sqlite"}},
		{name: "conformance/unknown store", args: c("--store", "postgres"), want: []string{`--store "postgres"`, "cassandra, memory, pebble, sqlite"}},
		{name: "conformance/store typo", args: c("--store", "sqlit"), want: []string{`--store "sqlit"`, "did you mean sqlite?"}},
		{name: "conformance/data-dir with memory", args: c("--store", "memory", "--data-dir", "{sb}/d"), want: []string{"--data-dir applies to --store pebble, not to --store memory"}},
		{name: "conformance/cassandra flag with pebble", args: c("--store", "pebble", "--cassandra-hosts", "h"), want: []string{"--cassandra-hosts applies to --store cassandra, not to --store pebble"}},
		{name: "conformance/sqlite flag with memory", args: c("--store", "memory", "--sqlite-path", "{sb}/x.db"), want: []string{"--sqlite-path applies to --store sqlite, not to --store memory"}},
		{name: "conformance/cassandra bad consistency", args: c("--store", "cassandra", "--cassandra-write-consistency", "MOST"), want: []string{`write consistency "MOST"`}},
		{name: "conformance/sqlite path in a missing directory", args: c("--store", "sqlite", "--sqlite-path", "{sb}/no/x.db"), want: []string{"--sqlite-path {sb}/no/x.db", "does not exist"}},
		{name: "conformance/sqlite path is a directory", args: c("--store", "sqlite", "--sqlite-path", "{sb}/d"), dirs: []string{"d"}, want: []string{"--sqlite-path {sb}/d", "is a directory"}},
		{name: "conformance/extra argument", args: c("--store", "memory", "extra"), want: []string{`unknown command "extra"`}},
		{name: "conformance/run flag", args: c("--store", "memory", "--workers", "2"), want: []string{"unknown flag: --workers"}},
		{name: "conformance/bad bool", args: c("--store", "sqlite", "--sqlite-sync=maybe"), want: []string{`invalid argument "maybe"`, "--sqlite-sync"}},
		{name: "run/target unknown", args: []string{"run", "--target", "remote-grpc"}, want: []string{`--target "remote-grpc"`, "unknown target", "inproc"}},
		{name: "run/target typo", args: []string{"run", "--target", "inprc"}, want: []string{`--target "inprc"`, "did you mean inproc?"}},
		{name: "run/sqlite-sync with pebble", args: []string{"run", "--sqlite-sync=false"}, want: []string{"--sqlite-sync applies to --store sqlite, not to --store pebble"}},
		{name: "run/data-dir with sqlite", args: []string{"run", "--store", "sqlite", "--data-dir", "{sb}/d"}, want: []string{"--data-dir applies to --store pebble, not to --store sqlite"}},
		{name: "run/sqlite path in a missing directory leaves no results", args: []string{"run", "--store", "sqlite", "--sqlite-path", "{sb}/no/x.db", "--out", "{sb}/results"},
			want: []string{"--sqlite-path {sb}/no/x.db", "does not exist"}},
	}
}

func codecsCases() []badCase {
	c := func(args ...string) []string { return append([]string{"codecs", "--out", ""}, args...) }
	return []badCase{
		{name: "codecs/empty codecs", args: c("--codecs", ""), want: []string{"--codecs", "names no codec", "json, gob", "CODEC+zstd|s2|lz4"}},
		{name: "codecs/unknown codec", args: c("--codecs", "xml"), want: []string{`--codecs "xml"`, "json+zstd"}},
		{name: "codecs/codec typo", args: c("--codecs", "json,protbuf"), want: []string{`--codecs "protbuf"`, "did you mean"}},
		{name: "codecs/empty compressors", args: c("--compressors", ""), want: []string{"--compressors", "none, zstd, s2, lz4"}},
		{name: "codecs/unknown compressor", args: c("--compressors", "brotli"), want: []string{`--compressors "brotli"`, "none, zstd, s2, lz4"}},
		{name: "codecs/budget zero", args: c("--budget", "0s"), want: []string{"--budget 0s", "[1µs, 1m0s]"}},
		{name: "codecs/budget too long", args: c("--budget", "2m"), want: []string{"--budget 2m0s", "[1µs, 1m0s]"}},
		{name: "codecs/batch zero", args: c("--batch", "0"), want: []string{"--batch 0", "[1, 100000]"}},
		{name: "codecs/customers zero", args: c("--customers", "0"), want: []string{"--customers 0", "[1, 100000]"}},
		{name: "codecs/customers huge", args: c("--customers", "10000000"), want: []string{"--customers 10000000", "[1, 100000]"}},
		{name: "codecs/histories zero", args: c("--histories", "0"), want: []string{"--histories 0", "[1, 100000]"}},
		{name: "codecs/histories empty", args: c("--histories", ""), want: []string{"--histories", "invalid argument"}},
		{name: "codecs/extra argument", args: []string{"codecs", "json"}, want: []string{`unknown command "json"`, "esbench codecs"}},
		{name: "codecs/out foreign results", args: []string{"codecs", "--out", "{sb}/o"}, files: under("o", resultsLike),
			want: []string{"--out", "{sb}/o", "not empty", owned.MarkerFile}},
		{name: "codecs/out foreign pebble files", args: []string{"codecs", "--out", "{sb}/o"}, files: under("o", pebbleLike), want: []string{"--out", "not empty"}},
		{name: "codecs/out is a file", args: []string{"codecs", "--out", "{sb}/f"}, files: map[string]string{"f": "x"}, want: []string{"--out", "is a file"}},
		{name: "codecs/out is a run directory", args: []string{"codecs", "--out", "{run}"}, want: []string{"--out", "esbench's results directory, not a codecs-results directory"}},
	}
}

func reportCases() []badCase {
	return []badCase{
		{name: "report/no argument", args: []string{"report"}, want: []string{"accepts 1 arg(s), received 0"}},
		{name: "report/two arguments", args: []string{"report", "a", "b"}, want: []string{"accepts 1 arg(s), received 2"}},
		{name: "report/missing directory", args: []string{"report", "{sb}/nope"}, want: []string{"{sb}/nope", "no such file"}},
		{name: "report/a file", args: []string{"report", "{sb}/f"}, files: map[string]string{"f": "x"}, want: []string{"{sb}/f is not a directory"}},
		{name: "report/empty directory", args: []string{"report", "{sb}/e"}, dirs: []string{"e"}, want: []string{"{sb}/e/result.json: no such file", "not an esbench result directory"}},
		{name: "report/foreign results", args: []string{"report", "{sb}/o"}, files: under("o", resultsLike), want: []string{"{sb}/o"}},
		{name: "report/foreign copy of a valid result", args: []string{"report", "{sb}/o"}, files: map[string]string{"o/result.json": "{{copy:run/result.json}}"},
			want: []string{"{sb}/o", "not a result directory esbench created", owned.MarkerFile}},
	}
}

func compareCases() []badCase {
	return []badCase{
		{name: "compare/one argument", args: []string{"compare", "{run}"}, want: []string{"compare takes BASE NEW (2 arguments)", "got 1"}},
		{name: "compare/nothing after --", args: []string{"compare", "{run}", "{run}", "--"}, want: []string{"BASE... -- NEW...", "2 base and 0 new", "at least one on each side"}},
		{name: "compare/too few runs", args: []string{"compare", "{run}", "{run}", "--", "{run}"}, want: []string{"too few runs for the rank test", "2 base and 1 new", "at least 4 runs on each side", "--count 4"}},
		{name: "compare/too few runs at alpha", args: []string{"compare", "--alpha", "0.01", "{run}", "{run}", "{run}", "{run}", "--", "{run}", "{run}", "{run}", "{run}"}, want: []string{"too few runs", "alpha 0.01", "at least 5 runs"}},
		{name: "compare/mixed workloads", args: []string{"compare", "{run}", "{shard0}", "{shard1}", "{run}", "--", "{run}", "{run}", "{run}", "{run}"}, want: []string{"base:", "ran different workloads", "/s0/", "field shard"}},
		{name: "compare/no results in directory", args: []string{"compare", "{sb}/empty", "{run}"}, dirs: []string{"empty"}, want: []string{"base:", "{sb}/empty holds no result.json and no result directory"}},
		{name: "compare/alpha 0", args: []string{"compare", "{run}", "{run}", "--alpha", "0"}, want: []string{"--alpha 0", "(0, 0.5]"}},
		{name: "compare/alpha above half", args: []string{"compare", "{run}", "{run}", "--alpha", "0.7"}, want: []string{"--alpha 0.7", "(0, 0.5]"}},
		{name: "compare/missing new", args: []string{"compare", "{run}", "{sb}/nope"}, want: []string{"new:", "{sb}/nope"}},
		{name: "compare/missing base", args: []string{"compare", "{sb}/nope", "{run}"}, want: []string{"base:", "{sb}/nope"}},
		{name: "compare/threshold garbage", args: []string{"compare", "{run}", "{run}", "--threshold", "fast please"}, want: []string{`"fast please"`, "METRIC < VALUE"}},
		{name: "compare/relative without percent", args: []string{"compare", "{run}", "{run}", "--threshold", "acquire.p99 regression < 10"}, want: []string{"acquire.p99 regression < 10", "percentage"}},
		{name: "compare/unknown metric", args: []string{"compare", "{run}", "{run}", "--threshold", "nosuch.p99 < 5ms"}, want: []string{"nosuch.p99"}},
		{name: "compare/workload typo", args: []string{"compare", "{run}", "{run}", "--workload", "defualt"}, want: []string{"did you mean default?"}},
		{name: "compare/result is not json", args: []string{"compare", "{sb}/r.json", "{run}"}, files: map[string]string{"r.json": "{not json"}, want: []string{"base:", "{sb}/r.json"}},
	}
}

func mergeCases() []badCase {
	return []badCase{
		{name: "merge/no arguments", args: []string{"merge"}, want: []string{"requires at least 2 arg(s)"}},
		{name: "merge/one shard", args: []string{"merge", "{shard0}"}, want: []string{"requires at least 2 arg(s), only received 1"}},
		{name: "merge/same shard twice", args: []string{"merge", "{shard0}", "{shard0}", "--out", "{sb}/m"}, want: []string{"shard 0/3 given twice"}},
		{name: "merge/2 of 3 shards", args: []string{"merge", "{shard0}", "{shard1}", "--out", "{sb}/m"}, want: []string{"only 2 of 3 shards given (missing 2/3)", "--allow-partial"}},
		{name: "merge/missing directory", args: []string{"merge", "{shard0}", "{sb}/nope", "--out", "{sb}/m"}, want: []string{"{sb}/nope"}},
		{name: "merge/foreign result", args: []string{"merge", "{shard0}", "{sb}/o", "--out", "{sb}/m"}, files: under("o", resultsLike), want: []string{"{sb}/o"}},
	}
}

func planCases() []badCase {
	p := func(args ...string) []string {
		return append([]string{"plan", "{run}", "--customers", "1000000", "--total-ops", "1000"}, args...)
	}
	return []badCase{
		{name: "plan/no argument", args: []string{"plan"}, want: []string{"accepts 1 arg(s), received 0"}},
		{name: "plan/missing result", args: []string{"plan", "{sb}/nope"}, want: []string{"{sb}/nope"}},
		{name: "plan/fractional customers", args: p("--customers", "1.5"), want: []string{"--customers 1.5", "whole number", "[1, 10000000000]"}},
		{name: "plan/fractional replication", args: p("--replication", "2.5"), want: []string{"--replication 2.5", "whole number", "[1, 100]"}},
		{name: "plan/fractional snapshot interval", args: p("--snapshot-interval", "10.5"), want: []string{"--snapshot-interval 10.5", "whole number"}},
		{name: "plan/huge rate", args: p("--total-ops", "1e300"), want: []string{"--total-ops 1e+300", "(0, 1000000000]"}},
		{name: "plan/infinite customers", args: p("--customers", "Inf"), want: []string{"--customers +Inf", "[1, 10000000000]"}},
		{name: "plan/active share above 1", args: p("--active-share", "2"), want: []string{"--active-share 2", "(0, 1]"}},
		{name: "plan/headroom 1", args: p("--headroom", "1"), want: []string{"--headroom 1", "[0, 0.99]"}},
		{name: "plan/negative retention", args: p("--retention-days", "-1"), want: []string{"--retention-days -1", "(0, 36500]"}},
		{name: "plan/replication zero", args: p("--replication", "0"), want: []string{"--replication 0", "[1, 100]"}},
		{name: "plan/negative bytes per event", args: p("--bytes-per-event", "-5"), want: []string{"--bytes-per-event -5", "(0, 100000000]"}},
	}
}

// workloadCmdCases are the bad inputs of presets and validate. validate
// loads a workload as run does, so the file errors run reports (file, line,
// field, allowed values) must come out of validate the same way.
func workloadCmdCases() []badCase {
	w := func(content string) map[string]string { return map[string]string{"w.yaml": content} }
	v := func(args ...string) []string { return append([]string{"validate"}, args...) }
	return []badCase{
		{name: "presets/unknown name", args: []string{"presets", "nope"}, want: []string{`unknown workload preset "nope"`, "built in: capacity, default, replay, sweep"}},
		{name: "presets/typo suggests", args: []string{"presets", "defualt"}, want: []string{`"defualt"`, "did you mean default?"}},
		{name: "presets/a path is not a name", args: []string{"presets", "../presets/default"}, want: []string{`unknown workload preset "../presets/default"`, "built in: capacity, default, replay, sweep"}},
		{name: "presets/two names", args: []string{"presets", "default", "replay"}, want: []string{"at most one preset name, got 2", "built in: capacity, default, replay, sweep"}},
		{name: "presets/unknown flag", args: []string{"presets", "--yaml"}, want: []string{"unknown flag: --yaml"}},
		{name: "validate/nothing to validate", args: v(), want: []string{"at least one workload file or preset name", "built in: capacity, default, replay, sweep"}},
		{name: "validate/preset typo", args: v("defualt"), want: []string{`workload "defualt"`, "did you mean default?", "1 of 1 workloads invalid"}},
		{name: "validate/missing file", args: v("{sb}/missing.yaml"), want: []string{"{sb}/missing.yaml", "1 of 1 workloads invalid"}},
		{name: "validate/a directory", args: v("{sb}/d"), dirs: []string{"d"}, want: []string{"{sb}/d", "is a directory"}},
		{name: "validate/unknown field", args: v("{sb}/w.yaml"), files: w("mix:\n  acquire: 1\n  bogus: 2\n"), want: []string{"w.yaml:3", "mix.bogus", "unknown field", "known: acquire"}},
		{name: "validate/negative customers", args: v("{sb}/w.yaml"), files: w("population:\n  customers: -3\n"), want: []string{"w.yaml:2", "population.customers", "-3"}},
		{name: "validate/bad codec", args: v("{sb}/w.yaml"), files: w("service:\n  codec: xml\n"), want: []string{"w.yaml:2", "service.codec", "xml", "json"}},
		{name: "validate/bad snapshot policy", args: v("{sb}/w.yaml"), files: w("service:\n  snapshot: every:0\n"), want: []string{"w.yaml:2", "service.snapshot", "every:0"}},
		{name: "validate/yaml syntax", args: v("{sb}/w.yaml"), files: w("arrival: [\n"), want: []string{"w.yaml:1", "invalid YAML"}},
		{name: "validate/bad one among good", args: v("default", "{sb}/w.yaml", "replay"), files: w("warmup: -1s\n"), want: []string{"w.yaml:1", "warmup", "1 of 3 workloads invalid"}},
		{name: "validate/unknown flag", args: v("--store", "memory", "default"), want: []string{"unknown flag: --store"}},
	}
}

// datasetManifest is the manifest esbench preload writes for tinyYAML with
// the population size changed to customers, complete or not.
func datasetManifest(customers uint64, complete bool) string {
	spec, err := workload.Parse("tiny.yaml", []byte(tinyYAML))
	if err != nil {
		panic(err)
	}
	spec.Population.Customers = customers
	m := dataset.New(spec, "pebble", 1024)
	m.Complete = complete
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func preloadCases() []badCase {
	p := func(args ...string) []string { return append([]string{"preload", "--data-dir", "{sb}/ds"}, args...) }
	ds := func(customers uint64, complete bool) map[string]string {
		return map[string]string{"ds/" + owned.MarkerFile: "kind: pebble-data\n", "ds/dataset.json": datasetManifest(customers, complete)}
	}
	return []badCase{
		{name: "preload/no data-dir", args: []string{"preload"}, want: []string{"--data-dir", "required", "new or empty"}},
		{name: "preload/memory store", args: []string{"preload", "--store", "memory"}, want: []string{"--store memory", "does not outlive the process", "--store cassandra --cassandra-keyspace KS"}},
		{name: "preload/cassandra store with data-dir", args: []string{"preload", "--store", "cassandra", "--data-dir", "{sb}/ds"}, want: []string{"--data-dir applies to --store pebble, not to --store cassandra"}},
		{name: "preload/cassandra keyspace malformed", args: []string{"preload", "--store", "cassandra", "--cassandra-keyspace", "no-dashes"}, want: []string{"keyspace", "no-dashes"}},
		{name: "preload/cassandra unreachable", args: []string{"preload", "--store", "cassandra", "--cassandra-hosts", "127.0.0.1:1", "--cassandra-connect-timeout", "300ms"},
			want: []string{"--store cassandra", "127.0.0.1:1"}, within: 15 * time.Second},
		{name: "preload/customers zero", args: p("--customers", "0"), want: []string{"--customers 0", "[1, 100000000]"}},
		{name: "preload/customers too many", args: p("--customers", "1000000000"), want: []string{"--customers 1000000000", "[1, 100000000]"}},
		{name: "preload/audit negative", args: p("--audit", "-1"), want: []string{"--audit -1", "[0, 100000]"}},
		{name: "preload/audit too many", args: p("--audit", "100001"), want: []string{"--audit 100001", "[0, 100000]"}},
		{name: "preload/shard malformed", args: p("--shard", "x"), want: []string{`--shard "x"`, "i/n"}},
		{name: "preload/shard index too large", args: p("--shard", "2/2"), want: []string{`--shard "2/2"`, "[0, 2)"}},
		{name: "preload/codec typo", args: p("--codec", "jsn"), want: []string{`--codec "jsn"`, "did you mean json?"}},
		{name: "preload/snapshot policy", args: p("--snapshot", "sometimes"), want: []string{"--snapshot (field service.snapshot", "sometimes"}},
		{name: "preload/progress unknown", args: p("--progress", "fancy"), want: []string{`--progress "fancy"`, "auto, bars, lines, none"}},
		{name: "preload/progress-every zero", args: p("--progress-every", "0s"), want: []string{"--progress-every 0s", "[10ms, 1h0m0s]"}},
		{name: "preload/seed not a number", args: p("--seed", "x"), want: []string{"--seed", "invalid argument"}},
		{name: "preload/replay workload", args: p("replay"), want: []string{"replay experiment", "mixed workloads"}},
		{name: "preload/two workloads", args: p("default", "sweep"), want: []string{"accepts at most 1 arg"}},
		{name: "preload/data-dir foreign files", args: p(), files: under("ds", pebbleLike), want: []string{"--data-dir", "{sb}/ds", "not empty", owned.MarkerFile}},
		{name: "preload/data-dir of a run without manifest", args: p(), files: map[string]string{"ds/" + owned.MarkerFile: "kind: pebble-data\n", "ds/hot/CURRENT": "x"},
			want: []string{"--data-dir {sb}/ds", "no dataset manifest", "new or empty directory"}},
		{name: "preload/data-dir is a results directory", args: []string{"preload", "--data-dir", "{run}"}, want: []string{"--data-dir", "esbench's results directory, not a pebble-data directory"}},
		{name: "preload/dataset of another population", args: p("{fx}/tiny.yaml"), files: ds(50, false),
			want: []string{"--data-dir {sb}/ds", "dataset made for another workload", "population.customers is 50 in the dataset, 60 in the workload"}},
		{name: "preload/manifest not JSON", args: p(), files: map[string]string{"ds/" + owned.MarkerFile: "kind: pebble-data\n", "ds/dataset.json": "{"},
			want: []string{"--data-dir {sb}/ds", "dataset.json", "unexpected EOF"}},
		{name: "preload/unknown flag", args: p("--rate", "5"), want: []string{"unknown flag: --rate"}},
		{name: "run/start-at not a time", args: []string{"run", "--store", "memory", "--start-at", "soon"}, want: []string{`--start-at "soon"`, "RFC 3339"}},
		{name: "run/start-at without zone", args: []string{"run", "--store", "memory", "--start-at", "2026-11-30T10:30:00"}, want: []string{`--start-at "2026-11-30T10:30:00"`, "RFC 3339"}},
		{name: "run/start-at far ahead", args: []string{"run", "--store", "memory", "--start-at", "2099-01-01T00:00:00Z"}, want: []string{`--start-at "2099-01-01T00:00:00Z"`, "within 24h0m0s of now"}},
		{name: "run/start-at long past", args: []string{"run", "--store", "memory", "--start-at", "2001-01-01T00:00:00Z"}, want: []string{`--start-at "2001-01-01T00:00:00Z"`, "within 24h0m0s of now"}},
		{name: "run/dataset of another population", args: []string{"run", "{fx}/tiny.yaml", "--data-dir", "{sb}/ds"}, files: ds(50, true),
			want: []string{"--data-dir", "cannot serve this run", "population.customers is 50 in the dataset, 60 in the workload", "esbench preload"}},
		{name: "run/dataset not finished", args: []string{"run", "{fx}/tiny.yaml", "--data-dir", "{sb}/ds"}, files: ds(60, false),
			want: []string{"--data-dir", "dataset preload not finished", "run the same esbench preload again"}},
	}
}

// apiCases cover esbench serve, run against a remote target, and
// conformance --target (docs/api.md).
func apiCases() []badCase {
	sv := func(args ...string) []string {
		return append([]string{"serve", "--store", "memory", "--listen", "127.0.0.1:0"}, args...)
	}
	rr := func(args ...string) []string {
		return append([]string{"run", "{fx}/tiny.yaml", "--out", "{sb}/out", "--target", "http://127.0.0.1:1"}, args...)
	}
	ct := func(args ...string) []string { return append([]string{"conformance"}, args...) }
	return []badCase{
		{name: "serve/clock", args: sv("--clock", "lunar"), want: []string{"--clock", "request or wall"}},
		{name: "serve/listen without port", args: sv("--listen", "localhost"), want: []string{`--listen "localhost"`, "host:port"}},
		{name: "serve/non-loopback without token", args: sv("--listen", "0.0.0.0:0"), want: []string{"--listen 0.0.0.0:0", "bearer token is required", "ESBENCH_SERVE_TOKEN"}},
		{name: "serve/codec", args: sv("--codec", "morse"), want: []string{`--codec "morse"`, "known:"}},
		{name: "serve/snapshot", args: sv("--snapshot", "sometimes"), want: []string{`--snapshot "sometimes"`}},
		{name: "serve/max request bytes small", args: sv("--max-request-bytes", "10"), want: []string{"--max-request-bytes 10", "between 1024 and"}},
		{name: "serve/read timeout zero", args: sv("--read-timeout", "0s"), want: []string{"--read-timeout 0s", "between 1ms and 24h"}},
		{name: "serve/write timeout negative", args: sv("--write-timeout", "-1s"), want: []string{"--write-timeout -1s", "between 1ms and 24h"}},
		{name: "serve/idle timeout huge", args: sv("--idle-timeout", "48h"), want: []string{"--idle-timeout 48h0m0s", "between 1ms and 24h"}},
		{name: "serve/header timeout zero", args: sv("--read-header-timeout", "0s"), want: []string{"--read-header-timeout 0s", "between"}},
		{name: "serve/drain timeout zero", args: sv("--drain-timeout", "0s"), want: []string{"--drain-timeout 0s", "between"}},
		{name: "serve/store timeout negative", args: sv("--timeout", "-1s"), want: []string{"--timeout -1s", "between 0s and 24h"}},
		{name: "serve/cert without key", args: sv("--tls-cert", "{sb}/c.pem"), want: []string{"--tls-cert and --tls-key", "both or neither"}},
		{name: "serve/missing cert", args: sv("--tls-cert", "{sb}/c.pem", "--tls-key", "{sb}/k.pem"), want: []string{"--tls-cert/--tls-key", "no such file"}},
		{name: "serve/missing token file", args: sv("--token-file", "{sb}/tok"), want: []string{"--token-file", "no such file"}},
		{name: "serve/empty token file", args: sv("--token-file", "{sb}/tok"), files: map[string]string{"tok": ""}, want: []string{"--token-file {sb}/tok", "empty"}},
		{name: "serve/token twice", args: sv("--token-file", "{sb}/tok"), files: map[string]string{"tok": "abc"}, env: []string{"ESBENCH_SERVE_TOKEN=x"}, want: []string{"--token-file and $ESBENCH_SERVE_TOKEN both set"}},
		{name: "serve/token with space", args: sv("--token-file", "{sb}/tok"), files: map[string]string{"tok": "a b"}, want: []string{"white space"}},
		{name: "serve/foreign store flag", args: sv("--data-dir", "{sb}/d"), want: []string{"--data-dir applies to --store pebble, not to --store memory"}},
		{name: "serve/extra argument", args: sv("extra"), want: []string{`unknown command "extra"`}},
		{name: "run/remote without url", args: []string{"run", "{fx}/tiny.yaml", "--out", "{sb}/out", "--target", "remote"}, want: []string{"--remote-url: required", "--target URL"}},
		{name: "run/remote url scheme", args: []string{"run", "{fx}/tiny.yaml", "--out", "{sb}/out", "--target", "remote", "--remote-url", "ftp://x"}, want: []string{"--remote-url", "http:// or https://"}},
		{name: "run/remote url twice", args: rr("--remote-url", "http://x:1"), want: []string{"both name the service"}},
		{name: "run/remote protocol", args: rr("--remote-protocol", "soap"), want: []string{`--remote-protocol "soap"`, "grpc or json"}},
		{name: "run/remote pool zero", args: rr("--remote-pool", "0"), want: []string{"--remote-pool 0", "between 1 and 4096"}},
		{name: "run/remote call timeout negative", args: rr("--remote-call-timeout", "-1s"), want: []string{"--remote-call-timeout -1s", "between 0 (none) and 1h"}},
		{name: "run/remote wait huge", args: rr("--remote-wait", "2h"), want: []string{"--remote-wait 2h0m0s", "between 0"}},
		{name: "run/remote preload", args: rr("--remote-preload", "fax"), want: []string{`--remote-preload "fax"`, "bulk or commands"}},
		{name: "run/remote token file missing", args: rr("--remote-token-file", "{sb}/tok"), want: []string{"--remote-token-file", "no such file"}},
		{name: "run/remote ca file not PEM", args: rr("--remote-ca-file", "{sb}/ca.pem"), files: map[string]string{"ca.pem": "nope"}, want: []string{"--remote-ca-file {sb}/ca.pem", "no PEM certificate"}},
		{name: "run/store flag with remote", args: rr("--store", "memory"), want: []string{"--store"}},
		{name: "run/remote flag with inproc", args: []string{"run", "{fx}/tiny.yaml", "--out", "{sb}/out", "--remote-pool", "3"}, want: []string{"--remote-pool"}},
		{name: "conformance/target not a URL", args: ct("--target", "localhost:8080"), want: []string{`--target "localhost:8080"`, "http://127.0.0.1:8080"}},
		{name: "conformance/target and store", args: ct("--target", "http://127.0.0.1:1", "--store", "memory"), want: []string{"--store applies to store conformance"}},
		{name: "conformance/target protocol", args: ct("--target", "http://127.0.0.1:1", "--remote-protocol", "soap"), want: []string{`--remote-protocol "soap"`, "grpc or json"}},
		{name: "conformance/target unreachable", args: ct("--target", "http://127.0.0.1:1"), want: []string{"cannot reach http://127.0.0.1:1", "refused"}},
	}
}

func validateCases() []badCase {
	w := func(content string) map[string]string { return map[string]string{"w.yaml": content} }
	return []badCase{
		{name: "validate/empty file", args: []string{"validate", "{sb}/w.yaml"}, files: w(""), want: []string{"{sb}/w.yaml", "empty"}},
		{name: "validate/comment-only file", args: []string{"validate", "{sb}/w.yaml"}, files: w("# x\n"), want: []string{"{sb}/w.yaml", "empty"}},
		{name: "validate/rate too high", args: []string{"validate", "{sb}/w.yaml"}, files: w("arrival:\n  rate: 1000001\n"), want: []string{"{sb}/w.yaml:2", "arrival.rate", "[0, 1000000]"}},
		{name: "validate/warmup huge", args: []string{"validate", "{sb}/w.yaml"}, files: w("warmup: 25h\n"), want: []string{"{sb}/w.yaml:1", "warmup", "[0s, 24h0m0s]"}},
		{name: "validate/one bad of two", args: []string{"validate", "default", "{sb}/w.yaml"}, files: w("rate: 5\n"), want: []string{"{sb}/w.yaml:1", "unknown field", "1 of 2 workloads invalid"}},
		{name: "validate/bad threshold", args: []string{"validate", "{sb}/w.yaml"}, files: w("thresholds: [\"acquire.p99 < 5\"]\n"), want: []string{"{sb}/w.yaml", "acquire.p99 < 5"}},
		{name: "validate/unknown codec", args: []string{"validate", "{sb}/w.yaml"}, files: w("service: {codec: xml}\n"), want: []string{"{sb}/w.yaml:1", "service.codec", "CODEC+zstd|s2|lz4"}},
		{name: "validate/negative stage", args: []string{"validate", "{sb}/w.yaml"}, files: w("arrival:\n  stages:\n    - {duration: -1s, rate: 5}\n"), want: []string{"{sb}/w.yaml:3", "arrival.stages[0].duration", "> 0"}},
		{name: "validate/stages too long", args: []string{"validate", "{sb}/w.yaml"}, files: w("arrival:\n  stages:\n    - {duration: 800h, rate: 5}\n"), want: []string{"{sb}/w.yaml", "arrival.stages", "at most 720h0m0s"}},
	}
}

func conformanceCases() []badCase {
	return []badCase{
		{name: "conformance/foreign data dir", args: []string{"conformance", "--store", "pebble", "--data-dir", "{sb}/d"}, files: under("d", pebbleLike),
			want: []string{"--data-dir", "not empty", owned.MarkerFile}},
	}
}

func auditCases() []badCase {
	return []badCase{
		{name: "audit/no argument", args: []string{"audit"}, want: []string{"requires at least 1 arg"}},
		{name: "audit/missing directory", args: []string{"audit", "{sb}/nope"}, want: []string{"{sb}/nope", "no such file"}},
		{name: "audit/a file", args: []string{"audit", "{sb}/f"}, files: map[string]string{"f": "x"}, want: []string{"{sb}/f is not a directory"}},
		{name: "audit/no ledger", args: []string{"audit", "{run}"}, want: []string{"holds no .ledger file"}},
		{name: "audit/foreign results", args: []string{"audit", "{sb}/o"}, files: under("o", resultsLike), want: []string{"{sb}/o", "no .ledger file"}},
		{name: "audit/malformed ledger", args: []string{"audit", "{sb}/o"}, files: map[string]string{"o/mixed.ledger": "not a ledger\n"}, want: []string{"mixed.ledger", "malformed"}},
		{name: "audit/foreign data dir", args: []string{"audit", "{sb}/o", "--data-dir", "{sb}/d"},
			files: merged(under("d", pebbleLike), map[string]string{"o/mixed.ledger": `# {"format":"esbench-ledger/v1","config":"mixed","store":"pebble","location":"pebble {sb}/d","started":"2026-01-01T00:00:00Z"}` + "\n"}),
			want:  []string{"--data-dir", "not empty"}},
	}
}

func serveCases() []badCase {
	return []badCase{
		{name: "serve/listen malformed", args: []string{"serve", "--listen", "nonsense"}, want: []string{`--listen "nonsense"`, "host:port"}},
		{name: "serve/listen bad port", args: []string{"serve", "--store", "memory", "--listen", "127.0.0.1:99999"}, want: []string{"127.0.0.1:99999", "invalid port"}},
		{name: "serve/max request bytes zero", args: []string{"serve", "--max-request-bytes", "0"}, want: []string{"--max-request-bytes 0", "between 1024 and 1073741824"}},
		{name: "serve/drain timeout negative", args: []string{"serve", "--drain-timeout", "-1s"}, want: []string{"--drain-timeout -1s", "between 1ms and 24h"}},
		{name: "serve/write timeout huge", args: []string{"serve", "--write-timeout", "100h"}, want: []string{"--write-timeout 100h0m0s", "between 1ms and 24h"}},
		{name: "serve/idle timeout zero", args: []string{"serve", "--idle-timeout", "0s"}, want: []string{"--idle-timeout 0s", "between 1ms and 24h"}},
		{name: "serve/clock unknown", args: []string{"serve", "--clock", "never"}, want: []string{"--clock", "request or wall"}},
		{name: "serve/codec unknown", args: []string{"serve", "--codec", "xml"}, want: []string{`--codec "xml"`, "CODEC+zstd|s2|lz4"}},
		{name: "serve/snapshot policy", args: []string{"serve", "--snapshot", "bogus"}, want: []string{`--snapshot "bogus"`, "none, every or load"}},
		{name: "serve/tls cert without key", args: []string{"serve", "--tls-cert", "{sb}/c.pem"}, want: []string{"--tls-cert and --tls-key: give both or neither"}},
		{name: "serve/token file missing", args: []string{"serve", "--token-file", "{sb}/nope"}, want: []string{"--token-file", "no such file"}},
		{name: "serve/foreign data dir", args: []string{"serve", "--data-dir", "{sb}/d"}, files: under("d", pebbleLike), want: []string{"--data-dir", "not empty", owned.MarkerFile}},
		{name: "serve/data dir with memory", args: []string{"serve", "--store", "memory", "--data-dir", "{sb}/d"}, want: []string{"--data-dir applies to --store pebble, not to --store memory"}},
		{name: "serve/timeout negative", args: []string{"serve", "--timeout", "-1s"}, want: []string{"--timeout -1s", "between 0s and 24h"}},
	}
}

func targetCases() []badCase {
	r := func(args ...string) []string {
		return append([]string{"run", "--target", "remote", "--remote-url", "http://127.0.0.1:1"}, args...)
	}
	return []badCase{
		{name: "target/unknown", args: []string{"run", "--target", "nosuch"}, want: []string{`--target "nosuch"`, "inproc, remote"}},
		{name: "target/typo", args: []string{"run", "--target", "remot"}, want: []string{"did you mean remote?"}},
		{name: "target/remote without url", args: []string{"run", "--target", "remote"}, want: []string{"--remote-url: required with --target remote"}},
		{name: "target/remote url scheme", args: []string{"run", "--target", "remote", "--remote-url", "ftp://x"}, want: []string{"--remote-url", "http:// or https://"}},
		{name: "target/store with remote", args: r("--store", "memory"), want: []string{"--store applies to --target inproc, not to --target remote"}},
		{name: "target/remote flag with inproc", args: []string{"run", "--store", "memory", "--remote-pool", "4"}, want: []string{"--remote-pool applies to --target remote, not to --target inproc"}},
		{name: "target/pool zero", args: r("--remote-pool", "0"), want: []string{"--remote-pool 0", "between 1 and 4096"}},
		{name: "target/pool huge", args: r("--remote-pool", "5000"), want: []string{"--remote-pool 5000", "between 1 and 4096"}},
		{name: "target/protocol unknown", args: r("--remote-protocol", "smoke"), want: []string{`--remote-protocol "smoke"`, "grpc or json"}},
		{name: "target/preload unknown", args: r("--remote-preload", "x"), want: []string{`--remote-preload "x"`, "bulk or commands"}},
		{name: "target/call timeout negative", args: r("--remote-call-timeout", "-1s"), want: []string{"--remote-call-timeout -1s", "between 0 (none) and 1h"}},
		{name: "target/token file missing", args: r("--remote-token-file", "{sb}/nope"), want: []string{"--remote-token-file", "no such file"}},
		{name: "target/ca file missing", args: r("--remote-ca-file", "{sb}/nope"), want: []string{"--remote-ca-file", "no such file"}},
		{name: "target/unreachable leaves no directory", args: r("--out", "{sb}/results", "--customers", "100", "--workers", "2"), want: []string{"127.0.0.1:1"}, within: 20 * time.Second},
	}
}

func faultCases() []badCase {
	r := func(f string) []string { return []string{"run", "--store", "memory", "--fault", f} }
	return []badCase{
		{name: "fault/no at", args: r("bogus"), want: []string{`--fault "bogus"`, "at= is required"}},
		{name: "fault/unknown kind", args: r("boom,at=1s,for=1s"), want: []string{"faults[0].kind", "latency, errors, timeout, stall, node-stop, node-kill", "--fault"}},
		{name: "fault/negative at", args: r("latency,at=-1s,for=1s,latency=1ms"), want: []string{"faults[0].at", "must not be negative"}},
		{name: "fault/latency too long", args: r("latency,at=1s,for=1s,latency=2m"), want: []string{"faults[0].latency", "from 1ns to 1m"}},
		{name: "fault/error rate above 1", args: r("errors,at=1s,for=1s,rate=2"), want: []string{"faults[0].rate", "(0, 1]"}},
		{name: "fault/node without number", args: r("node-kill,at=1s,for=1s"), want: []string{"faults[0].node", "from 1 to 9"}},
		{name: "fault/nodes-dir without node fault", args: []string{"run", "--store", "memory", "--nodes-dir", "{sb}/n"}, want: []string{"--nodes-dir {sb}/n", "does not apply without a node fault"}},
	}
}

func moreRunCases() []badCase {
	r := func(args ...string) []string { return append([]string{"run", "--store", "memory"}, args...) }
	return []badCase{
		{name: "run/alert share above 1", args: r("--alert-share", "2"), want: []string{"--alert-share 2", "between 0 and 1"}},
		{name: "run/alert share negative", args: r("--alert-share", "-0.5"), want: []string{"--alert-share -0.5", "between 0 and 1"}},
		{name: "run/metrics listen malformed", args: r("--metrics-listen", "nonsense"), want: []string{`--metrics-listen "nonsense"`, "HOST:PORT"}},
		{name: "run/metrics listen bad port", args: r("--metrics-listen", ":99999"), want: []string{`--metrics-listen ":99999"`, "invalid port"}},
		{name: "run/seed not a number", args: r("--seed", "-1"), want: []string{"--seed", "invalid argument"}},
		{name: "run/operations not a number", args: r("--operations", "many"), want: []string{"--operations", "invalid argument"}},
		{name: "run/customers fraction", args: r("--customers", "1.5"), want: []string{"--customers", "invalid argument"}},
		{name: "run/workers fraction", args: r("--workers", "2.5"), want: []string{"--workers", "invalid argument"}},
		{name: "run/duration without unit", args: r("--duration", "10"), want: []string{"--duration", "missing unit"}},
		{name: "run/warmup without unit", args: r("--warmup", "5"), want: []string{"--warmup", "missing unit"}},
		{name: "run/shard negative", args: r("--shard", "-1/2"), want: []string{`--shard "-1/2"`, "[0, 2)"}},
		{name: "run/shards above customers", args: r("--shard", "0/200", "--customers", "100", "--workers", "1"), want: []string{"200 shards for 100 customers"}},
		{name: "run/progress bars every", args: r("--progress", "bars", "--progress-every", "1s"), want: []string{"--progress-every 1s", "does not apply with --progress bars"}},
		{name: "run/out is a file", args: r("--out", "{sb}/f", "--customers", "100", "--duration", "1s", "--warmup", "0s"), files: map[string]string{"f": "x"}, want: []string{"{sb}/f"}},
		{name: "run/sqlite path is a directory", args: []string{"run", "--store", "sqlite", "--sqlite-path", "{sb}/d"}, dirs: []string{"d"}, want: []string{"--sqlite-path {sb}/d", "is a directory"}},
		{name: "run/sqlite path foreign file", args: []string{"run", "--store", "sqlite", "--sqlite-path", "{sb}/f", "--out", "{sb}/results"}, files: map[string]string{"f": "user data, not a database\n"}, want: []string{"--sqlite-path {sb}/f"}},
		{name: "compare/out foreign file", args: []string{"compare", "{run}", "{run}", "--out", "{sb}/f"}, files: map[string]string{"f": "my notes\n"}, want: []string{"--out {sb}/f", "not an esbench compare report", "will not overwrite"}},
		{name: "compare/out is a directory", args: []string{"compare", "{run}", "{run}", "--out", "{sb}/d"}, dirs: []string{"d"}, want: []string{"--out {sb}/d", "is a directory"}},
		{name: "compare/json foreign file", args: []string{"compare", "{run}", "{run}", "--json", "{sb}/f.json"}, files: map[string]string{"f.json": "{\"mine\": 1}\n"}, want: []string{"--json {sb}/f.json", "not an esbench compare JSON", "will not overwrite"}},
		{name: "compare/json is a directory", args: []string{"compare", "{run}", "{run}", "--json", "{sb}/d"}, dirs: []string{"d"}, want: []string{"--json {sb}/d", "is a directory"}},
		{name: "compare/csv foreign file", args: []string{"compare", "{run}", "{run}", "--csv", "{sb}/f.csv"}, files: map[string]string{"f.csv": "a,b\n1,2\n"}, want: []string{"--csv {sb}/f.csv", "not an esbench compare CSV", "will not overwrite"}},
		{name: "compare/csv is a directory", args: []string{"compare", "{run}", "{run}", "--csv", "{sb}/d"}, dirs: []string{"d"}, want: []string{"--csv {sb}/d", "is a directory"}},
		{name: "compare/json and csv one file", args: []string{"compare", "{run}", "{run}", "--json", "{sb}/x", "--csv", "{sb}/x"}, want: []string{"--csv {sb}/x", "the same file as --json"}},
		{name: "compare/out and json one file", args: []string{"compare", "{run}", "{run}", "--out", "{sb}/x", "--json", "{sb}/x"}, want: []string{"--json {sb}/x", "the same file as --out"}},
		{name: "merge/out is a file", args: []string{"merge", "{shard0}", "{shard1}", "--allow-partial", "--out", "{sb}/f"}, files: map[string]string{"f": "x"}, want: []string{"{sb}/f"}},
		{name: "plan/both loads", args: []string{"plan", "{run}", "--customers", "1000", "--snapshot-interval", "0", "--total-ops", "10", "--ops-per-active", "0.1"}, want: []string{"--ops-per-active", "--total-ops", "not both"}},
		{name: "plan/no load", args: []string{"plan", "{run}", "--customers", "1000", "--snapshot-interval", "0"}, want: []string{"--ops-per-active", "--total-ops"}},
		{name: "plan/unknown flag", args: []string{"plan", "{run}", "--nodes", "3"}, want: []string{"unknown flag: --nodes"}},
		{name: "report/unknown flag", args: []string{"report", "{run}", "--open"}, want: []string{"unknown flag: --open"}},
		{name: "merge/unknown flag", args: []string{"merge", "{shard0}", "{shard1}", "--force"}, want: []string{"unknown flag: --force"}},
		{name: "compare/unknown flag", args: []string{"compare", "{run}", "{run}", "--strict"}, want: []string{"unknown flag: --strict"}},
		{name: "codecs/unknown flag", args: []string{"codecs", "--fast"}, want: []string{"unknown flag: --fast"}},
		{name: "schema/apply unreachable", args: []string{"schema", "apply", "--cassandra-hosts", "127.0.0.1:1", "--cassandra-connect-timeout", "300ms"}, want: []string{"127.0.0.1:1"}, within: 15 * time.Second},
	}
}

func moreSchemaCases() []badCase {
	p := func(args ...string) []string { return append([]string{"schema", "print"}, args...) }
	return []badCase{
		{name: "schema/replication class", args: p("--cassandra-replication", "Bogus"), want: []string{`replication class "Bogus"`, "SimpleStrategy or NetworkTopologyStrategy"}},
		{name: "schema/read consistency", args: p("--cassandra-read-consistency", "LOUD"), want: []string{`read consistency "LOUD"`, "unknown consistency level"}},
		{name: "schema/serial consistency", args: p("--cassandra-serial-consistency", "QUORUM"), want: []string{"serial consistency QUORUM", "SERIAL or LOCAL_SERIAL"}},
		{name: "schema/keyspace name", args: p("--cassandra-keyspace", "bad-name!"), want: []string{`keyspace "bad-name!"`, "up to 47 letters, digits or underscores"}},
		{name: "schema/port zero", args: p("--cassandra-port", "0"), want: []string{"--cassandra-port 0", "[1, 65535]"}},
		{name: "schema/port too large", args: p("--cassandra-port", "70000"), want: []string{"--cassandra-port 70000", "[1, 65535]"}},
		{name: "schema/replication factor zero", args: p("--cassandra-replication-factor", "0"), want: []string{"--cassandra-replication-factor 0", "[1, 100]"}},
		{name: "schema/replication factor too large", args: p("--cassandra-replication-factor", "101"), want: []string{"--cassandra-replication-factor 101", "auto or in [1, 100]"}},
		{name: "schema/replication factor negative", args: p("--cassandra-replication-factor", "-2"), want: []string{"--cassandra-replication-factor -2", "auto or in [1, 100]"}},
		{name: "schema/replication factor not a number", args: p("--cassandra-replication-factor", "three"), want: []string{`invalid argument "three"`, "--cassandra-replication-factor", "auto or a whole number in [1, 100]"}},
		{name: "schema/network topology without dcs", args: p("--cassandra-replication", "NetworkTopologyStrategy"), want: []string{"NetworkTopologyStrategy", "needs data centres"}},
		{name: "schema/mode unknown", args: p("--cassandra-mode", "x"), want: []string{`mode "x"`, "conditional or unconditional"}},
		{name: "schema/tls cert without key", args: p("--cassandra-tls-cert", "{sb}/c.pem"), files: map[string]string{"c.pem": "x"}, want: []string{"client certificate and key files go together"}},
		{name: "schema/tls ca missing", args: p("--cassandra-tls", "--cassandra-tls-ca", "{sb}/nope.pem"), want: []string{"--cassandra-tls-ca", "{sb}/nope.pem", "no such file"}},
		{name: "schema/no hosts", args: p("--cassandra-hosts", ""), want: []string{"no contact points"}},
		{name: "schema/host bad port", args: p("--cassandra-hosts", "h:0"), want: []string{`"h:0"`, "port must be 1..65535"}},
		{name: "schema/apply extra argument", args: []string{"schema", "apply", "now"}, want: []string{`unknown command "now"`}},
	}
}

func workloadFieldCases() []badCase {
	v := func(name, yaml string, want ...string) badCase {
		return badCase{name: "field/" + name, args: []string{"validate", "{sb}/w.yaml"}, files: map[string]string{"w.yaml": yaml}, want: append([]string{"{sb}/w.yaml"}, want...)}
	}
	return []badCase{
		v("experiment unknown", "experiment: chaos\n", ":1", "field experiment", "mixed, replay, sweep"),
		v("chooser unknown", "population:\n  chooser: random\n", ":2", "population.chooser", "uniform, zipf, latest"),
		v("zipf skew 1", "population:\n  chooser: zipf\n  skew: 1\n", "population.skew", "> 1"),
		v("plan weight negative", "population:\n  plans: {basic: -1, standard: 1, premium: 1}\n", "population.plans.basic", "≥ 0"),
		v("devices zero", "population:\n  devices: {basic: 0, standard: 2, premium: 4}\n", "population.devices.basic", "[1, 16]"),
		v("history distribution unknown", "population:\n  history: {distribution: pareto}\n", "population.history.distribution", "fixed, uniform, exponential, lognormal, groups"),
		v("history min zero", "population:\n  history: {distribution: uniform, min: 0, max: 5}\n", "population.history.min", "[1, 1000000]"),
		v("history max below min", "population:\n  history: {distribution: uniform, min: 10, max: 5}\n", "population.history.max", "[min=10, 1000000]"),
		v("history span zero", "population:\n  history: {span: 0s}\n", "population.history.span", "≥ 1s"),
		v("titles zero", "catalogue:\n  titles: 0\n", ":2", "catalogue.titles", "[1, 1000000]"),
		v("restricted share", "catalogue:\n  restricted: 2\n", "catalogue.restricted", "[0, 1]"),
		v("mix all zero", "mix: {acquire: 0}\n", "mix", "weights sum to zero"),
		v("mix negative", "mix: {acquire: -1, check: 1}\n", "mix.acquire", "≥ 0"),
		v("process unknown", "arrival:\n  process: bursty\n", ":2", "arrival.process", "constant, poisson"),
		v("workers zero", "arrival:\n  workers: 0\n", ":2", "arrival.workers", "[1, 100000]"),
		v("preload workers zero", "preload:\n  workers: 0\n", ":2", "preload.workers", "[1, 100000]"),
		v("sweep interval word", "experiment: sweep\nsweep:\n  intervals: [often]\n", "sweep.intervals[0]", `"none" or an event count ≥ 1`),
		v("sweep history zero", "experiment: sweep\nsweep:\n  histories: [0]\n", "sweep.histories[0]", "[1, 1000000]"),
		v("sweep customers zero", "sweep:\n  customers: 0\n", ":2", "sweep.customers", "≥ 1"),
		v("snapshot policy", "service:\n  snapshot: sometimes\n", ":2", "service.snapshot", "sometimes"),
		v("shard out of range", "shard: 1/1\n", ":1", "field shard", "[0, 1)"),
		v("seed negative", "seed: -1\n", ":1", "field seed", "≥ 0"),
		v("start not a time", "start: yesterday\n", ":1", "field start", "RFC 3339"),
		v("duration not a duration", "duration: soon\n", ":1", "field duration", "want a duration"),
		v("operations too many", "operations: 2000000000000\n", ":1", "field operations", "[0, 1000000000000]"),
		v("threshold empty", "thresholds: [\"\"]\n", "thresholds[0]"),
		v("mapping expected", "arrival: [1, 2]\n", ":1", "field arrival", "want a mapping"),
		v("bool expected", "preload:\n  enabled: maybe\n", ":2", "preload.enabled", "true or false"),
		v("rate not a number", "arrival:\n  rate: fast\n", ":2", "arrival.rate", "want a number"),
		v("fault kind", "faults:\n  - {kind: boom, at: 1s, for: 1s}\n", "faults[0].kind", "latency, errors, timeout, stall, node-stop, node-kill"),
	}
}

// TestForeignDirectoriesUntouched fills directories esbench did not create
// with files named like pebble's and like esbench's results, points every
// command that writes at them, and checks that no file in them changed or
// disappeared. A command may add only a new directory carrying esbench's
// marker (run and merge create their result directory inside --out).
func TestForeignDirectoriesUntouched(t *testing.T) {
	f := loadFixtures(t)
	tests := []struct {
		name string
		args []string
		ok   bool // the command succeeds (adding a marked directory)
	}{
		{"run --out", []string{"run", "{tiny}", "--store", "memory", "--progress", "none", "--out", "{sb}/F"}, true},
		{"run --data-dir", []string{"run", "{tiny}", "--data-dir", "{sb}/F", "--out", "{sb}/F"}, false},
		{"run sweep --data-dir", []string{"run", "sweep", "--data-dir", "{sb}/F"}, false},
		{"codecs --out", []string{"codecs", "--customers", "5", "--histories", "10", "--budget", "1ms", "--out", "{sb}/F"}, false},
		{"report", []string{"report", "{sb}/F"}, false},
		{"merge --out", []string{"merge", "{shard0}", "{shard1}", "--allow-partial", "--out", "{sb}/F"}, true},
		{"compare --out report.html", []string{"compare", "{run}", "{run}", "--out", "{sb}/F/report.html"}, false},
		{"compare --out summary.md", []string{"compare", "{run}", "{run}", "--out", "{sb}/F/summary.md"}, false},
		{"plan", []string{"plan", "{sb}/F", "--customers", "1000", "--total-ops", "10"}, false},
		{"audit", []string{"audit", "{sb}/F"}, false},
		{"audit --data-dir", []string{"audit", "{run}", "--data-dir", "{sb}/F"}, false},
		{"conformance --data-dir", []string{"conformance", "--store", "pebble", "--data-dir", "{sb}/F"}, false},
		{"serve --data-dir", []string{"serve", "--listen", "127.0.0.1:0", "--data-dir", "{sb}/F"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sb := newSandbox(t, merged(under("F", pebbleLike, resultsLike), under("F/hot", pebbleLike), under("F/cold", pebbleLike)), nil)
			before := hashTree(t, sb)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			args := expand(tc.args, sb, f)
			cmd, stdout, stderr := startEsbench(ctx, sb, args, nil, "")
			r := finish(cmd, time.Now(), stdout, stderr, cmd.Run())
			if ok := r.code == 0; ok != tc.ok {
				t.Errorf("esbench %s: exit code %d, want success=%v\n%s", strings.Join(args, " "), r.code, tc.ok, r.stderr)
			}
			after := hashTree(t, sb)
			var added []string
			for _, d := range diffTrees(before, after) {
				if p, ok := strings.CutPrefix(d, "added "); ok {
					added = append(added, p)
					continue
				}
				t.Errorf("%s (esbench must never change or remove a file it did not write)", d)
			}
			// Additions must all lie inside new directories that esbench
			// marked as its own.
			for _, p := range added {
				rel := strings.TrimSuffix(p, "/")
				parts := strings.Split(rel, string(filepath.Separator))
				if len(parts) < 2 || parts[0] != "F" {
					if parts[0] == "tmp" || parts[0] == "work" {
						continue // temporary files and the default results, outside F
					}
					t.Errorf("added %s outside a directory of esbench's", p)
					continue
				}
				top := filepath.Join(sb, parts[0], parts[1])
				if _, existed := before[filepath.Join(parts[0], parts[1])+"/"]; existed || !owned.Owns(top, owned.KindResults) {
					t.Errorf("added %s: not inside a new directory marked as esbench's", p)
				}
			}
			if tc.ok && len(added) == 0 {
				t.Errorf("the command succeeded but added no result directory")
			}
		})
	}
}

// checkDocumentedCount keeps the case count stated in docs/contributing.md
// honest: it may not exceed the table, and the table holds at least 200.
func checkDocumentedCount(t *testing.T, n int) {
	t.Helper()
	if n < 200 {
		t.Errorf("the table holds %d cases, want at least 200", n)
	}
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "contributing.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`bad-input table holds (\d+) cases`).FindSubmatch(doc)
	if m == nil {
		t.Fatal("docs/contributing.md does not state the bad-input table's case count")
	}
	if stated, _ := strconv.Atoi(string(m[1])); stated > n {
		t.Errorf("docs/contributing.md states %d cases, the table holds %d", stated, n)
	}
}

// diagnosticsCases cover the flags every command has (--log-level,
// --log-format, --cpuprofile, --memprofile, --pprof-listen).
func diagnosticsCases() []badCase {
	return []badCase{
		{name: "diag/log level", args: []string{"version", "--log-level", "loud"}, want: []string{`--log-level "loud"`, "debug, info, warn or error"}},
		{name: "diag/log format", args: []string{"version", "--log-format", "xml"}, want: []string{`--log-format "xml"`, "text or json"}},
		{name: "diag/pprof listen malformed", args: []string{"version", "--pprof-listen", "nonsense"}, want: []string{`--pprof-listen "nonsense"`, "HOST:PORT"}},
		{name: "diag/cpuprofile in a missing directory", args: []string{"version", "--cpuprofile", "{sb}/no/cpu.prof"}, want: []string{"--cpuprofile", "{sb}/no/cpu.prof", "no such file"}},
		{name: "diag/cpuprofile over a user file", args: []string{"version", "--cpuprofile", "{sb}/f"}, files: map[string]string{"f": "my data\n"}, want: []string{"--cpuprofile", "{sb}/f exists", "never overwrites"}},
		{name: "diag/memprofile over a user file", args: []string{"version", "--memprofile", "{sb}/f"}, files: map[string]string{"f": "my data\n"}, want: []string{"--memprofile", "{sb}/f exists", "never overwrites"}},
		{name: "diag/cpuprofile over a result", args: []string{"run", "--store", "memory", "--cpuprofile", "{run}/result.json"}, want: []string{"--cpuprofile", "result.json exists"}},
		{name: "diag/log level on run", args: []string{"run", "--store", "memory", "--log-level", "verbose"}, want: []string{`--log-level "verbose"`, "debug, info, warn or error"}},
		{name: "compare/latency limit without unit", args: []string{"compare", "{run}", "{run}", "--threshold", "acquire.p99 < 5"}, want: []string{"acquire.p99 is a latency", "needs a unit, like 20ms"}},
		{name: "compare/negative latency limit", args: []string{"compare", "{run}", "{run}", "--threshold", "acquire.p99 < -5ms"}, want: []string{`limit "-5ms"`, "must not be negative"}},
		{name: "compare/percentage on a latency", args: []string{"compare", "{run}", "{run}", "--threshold", "acquire.p99 < 10%"}, want: []string{"acquire.p99 is a latency", "needs a unit"}},
		{name: "compare/negative regression", args: []string{"compare", "{run}", "{run}", "--threshold", "acquire.p99 regression < -10%"}, want: []string{`limit "-10%"`, "must not be negative"}},
		{name: "compare/negative error rate", args: []string{"compare", "{run}", "{run}", "--threshold", "acquire.error_rate < -1%"}, want: []string{`limit "-1%"`, "must not be negative"}},
		{name: "compare/duration on a rate", args: []string{"compare", "{run}", "{run}", "--threshold", "acquire.throughput > 5ms"}, want: []string{"acquire.throughput is not a latency", "number or a percentage"}},
		{name: "capacity/rate below its minimum", args: []string{"run", "capacity", "--store", "memory", "--rate", "5"}, want: []string{"capacity.min_rate", "must not be above the starting rate"}},
		{name: "capacity/rate above the maximum", args: []string{"run", "capacity", "--store", "memory", "--rate", "2000000"}, want: []string{"--rate 2e+06", "(0, 1000000]"}},
	}
}
