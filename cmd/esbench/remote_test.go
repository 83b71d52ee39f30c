package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/esbench/esbench/reports"
)

// equivWorkload is closed-loop with one worker and a fixed operation count,
// so the same seed sends the same operations in the same order to both
// targets and their answers can be compared one for one.
const equivWorkload = `name: equiv
experiment: mixed
seed: 7
population:
  customers: 60
  plans: {basic: 1, standard: 0, premium: 0}
  devices: {basic: 3, standard: 2, premium: 4}
  history: {distribution: lognormal, mean: 12, sigma: 0.5, min: 5, max: 40, span: 720h}
catalogue: {titles: 8, studios: 2, restricted: 0.5}
arrival: {mode: closed, workers: 1}
warmup: 0s
duration: 0s
operations: 400
preload: {enabled: true, workers: 1}
service: {snapshot: "every:10", codec: json}
`

// outcomeCounts is "run/op/outcome" → count over the measured runs.
func outcomeCounts(t *testing.T, out string) map[string]int64 {
	t.Helper()
	res, err := reports.ReadFile(filepath.Join(resultDir(t, out), reports.ResultFile))
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]int64{}
	for _, r := range res.Runs {
		if strings.Contains(r.Name, "preload") {
			continue
		}
		for _, op := range r.Operations {
			for _, oc := range op.Outcomes {
				if oc.Count > 0 {
					m[r.Name+"/"+op.Op+"/"+oc.Outcome] += oc.Count
				}
			}
		}
	}
	return m
}

func TestRunRemoteMatchesInProcess(t *testing.T) {
	dir := t.TempDir()
	wl := filepath.Join(dir, "equiv.yaml")
	if err := os.WriteFile(wl, []byte(equivWorkload), 0o644); err != nil {
		t.Fatal(err)
	}
	inOut := filepath.Join(dir, "inproc")
	if out, err := runCLI(t, "run", wl, "--store", "memory", "--out", inOut, "--progress", "none"); err != nil {
		t.Fatalf("in-process run: %v\n%s", err, out)
	}
	want := outcomeCounts(t, inOut)
	var denied int64
	for k, v := range want {
		if strings.HasSuffix(k, "/denied") {
			denied += v
		}
	}
	t.Logf("in-process outcomes: %v", sorted(want))
	if len(want) < 4 || denied == 0 {
		t.Fatalf("the in-process run is too plain to compare (need several operations and some denials): %v", want)
	}
	for _, tc := range []struct{ proto, preload string }{{"grpc", "bulk"}, {"json", "bulk"}, {"json", "commands"}} {
		proto := tc.proto
		t.Run(proto+"/"+tc.preload, func(t *testing.T) {
			url, _, _ := startServe(t, "--store", "memory")
			out := filepath.Join(dir, "remote-"+proto+"-"+tc.preload)
			stdout, err := runCLI(t, "run", wl, "--target", url, "--remote-protocol", proto, "--remote-preload", tc.preload, "--out", out, "--progress", "none")
			if err != nil {
				t.Fatalf("remote run: %v\n%s", err, stdout)
			}
			got := outcomeCounts(t, out)
			if fmt.Sprint(sorted(got)) != fmt.Sprint(sorted(want)) {
				t.Fatalf("remote outcomes differ from in-process:\n got %v\nwant %v", sorted(got), sorted(want))
			}
			res, err := reports.ReadFile(filepath.Join(resultDir(t, out), reports.ResultFile))
			if err != nil {
				t.Fatal(err)
			}
			if res.Environment.Backend != "remote" || res.Environment.BackendOptions["preload"] != "api-"+tc.preload || res.Environment.BackendOptions["protocol"] != proto {
				t.Errorf("result environment %+v does not say remote, api-%s preload, %s", res.Environment, tc.preload, proto)
			}
		})
	}
}

func sorted(m map[string]int64) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(out)
	return out
}

func TestRunRemoteBadInput(t *testing.T) {
	dir := t.TempDir()
	wl := filepath.Join(dir, "equiv.yaml")
	if err := os.WriteFile(wl, []byte(equivWorkload), 0o644); err != nil {
		t.Fatal(err)
	}
	withTarget := filepath.Join(dir, "target.yaml")
	if err := os.WriteFile(withTarget, []byte(equivWorkload+"target: ftp://nowhere\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	badName := filepath.Join(dir, "badname.yaml")
	if err := os.WriteFile(badName, []byte(equivWorkload+"target: mainframe\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	noCA := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(noCA, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	closed := "http://127.0.0.1:1"
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"remote without url", []string{"--target", "remote"}, "--remote-url: required"},
		{"bad url scheme", []string{"--target", "remote", "--remote-url", "ftp://x"}, "--remote-url"},
		{"url with query", []string{"--target", "http://x:1/?a=b"}, "--remote-url"},
		{"url twice", []string{"--target", "http://x:1", "--remote-url", "http://y:1"}, "both name the service"},
		{"protocol", []string{"--target", closed, "--remote-protocol", "soap"}, "--remote-protocol"},
		{"pool zero", []string{"--target", closed, "--remote-pool", "0"}, "--remote-pool 0: must be between 1 and 4096"},
		{"pool huge", []string{"--target", closed, "--remote-pool", "100000"}, "--remote-pool"},
		{"negative call timeout", []string{"--target", closed, "--remote-call-timeout", "-1s"}, "--remote-call-timeout"},
		{"preload mode", []string{"--target", closed, "--remote-preload", "carrier-pigeon"}, "--remote-preload"},
		{"negative wait", []string{"--target", closed, "--remote-wait", "-1s"}, "--remote-wait"},
		{"missing token file", []string{"--target", closed, "--remote-token-file", filepath.Join(dir, "nope")}, "--remote-token-file"},
		{"ca file without certificate", []string{"--target", closed, "--remote-ca-file", noCA}, "no PEM certificate"},
		{"store flag with a remote target", []string{"--target", closed, "--store", "memory"}, "--store"},
		{"remote flag with the in-process target", []string{"--store", "memory", "--remote-pool", "3"}, "--remote-pool"},
		{"unreachable service", []string{"--target", closed}, "cannot reach"},
		{"workload target URL", []string{}, "ftp://nowhere"},
		{"workload target name", []string{}, "mainframe"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			file := wl
			switch tc.name {
			case "workload target URL":
				file = withTarget
			case "workload target name":
				file = badName
			}
			out := filepath.Join(t.TempDir(), "out")
			stdout, err := runCLI(t, append([]string{"run", file, "--out", out, "--progress", "none"}, tc.args...)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one naming %q\n%s", err, tc.want, stdout)
			}
		})
	}
}
