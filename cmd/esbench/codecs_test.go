package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCodecsCommand(t *testing.T) {
	out := filepath.Join(t.TempDir(), "codecs")
	stdout, err := runCLI(t, "codecs", "--codecs", "binary,cbor", "--budget", "1ms", "--customers", "5",
		"--histories", "10,30", "--out", out)
	if err != nil {
		t.Fatalf("esbench codecs: %v\n%s", err, stdout)
	}
	for _, want := range []string{"binary", "cbor", "enc ns/ev", "results written to " + out} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "msgp") {
		t.Errorf("--codecs binary,cbor measured msgp:\n%s", stdout)
	}
	data, err := os.ReadFile(filepath.Join(out, "codecs.json"))
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Corpus struct {
			Customers int   `json:"customers"`
			Histories []int `json:"histories"`
		} `json:"corpus"`
		Totals []struct {
			Codec string `json:"codec"`
		} `json:"totals"`
	}
	if err := json.Unmarshal(data, &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Totals) != 2 || res.Totals[0].Codec != "binary" || res.Corpus.Customers != 5 || len(res.Corpus.Histories) != 2 {
		t.Errorf("codecs.json: %+v", res)
	}
	for _, f := range []string{"codecs.md", "evolution.md", "evolution.json", "report.html"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("results directory lacks %s: %v", f, err)
		}
	}
}

func TestCodecsCommandRejectsBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--codecs", "thrift", "--out", ""}, "thrift"},
		{[]string{"--budget", "0s", "--out", ""}, "--budget"},
		{[]string{"--batch", "0", "--out", ""}, "--batch"},
		{[]string{"--customers", "0", "--out", ""}, "customers"},
		{[]string{"--compressors", "brotli", "--codecs", "binary", "--out", ""}, "brotli"},
	} {
		_, err := runCLI(t, append([]string{"codecs", "--budget", "1ms", "--customers", "2", "--histories", "10"}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("esbench codecs %v: err %v, want one naming %q", tc.args, err, tc.want)
		}
	}
}
