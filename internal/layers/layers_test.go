package layers

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// loadRepo lists every package of the module with its non-test imports.
func loadRepo(t *testing.T) []Package {
	t.Helper()
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	cmd := exec.Command("go", "list", "-e", "-json=ImportPath,Imports,Error", "./...")
	cmd.Dir = filepath.Dir(strings.TrimSpace(string(gomod)))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []Package
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			ImportPath string
			Imports    []string
			Error      *struct{ Err string }
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decoding go list output: %v", err)
		}
		if p.Error != nil {
			t.Fatalf("go list: %s: %s", p.ImportPath, p.Error.Err)
		}
		pkgs = append(pkgs, Package{Path: p.ImportPath, Imports: p.Imports})
	}
	return pkgs
}

// TestRepositoryLayers checks the repository's own import graph.
func TestRepositoryLayers(t *testing.T) {
	pkgs := loadRepo(t)
	// A loader that found nothing would pass vacuously: the graph must hold
	// the packages and edges the rules are about.
	byPath := map[string]Package{}
	for _, p := range pkgs {
		byPath[p.Path] = p
	}
	for _, want := range []struct{ pkg, imports string }{
		{"cmd/esbench", "bench"},
		{"target/inproc", "refimpl/service"},
		{"refimpl/store/cassandra", "github.com/apache/cassandra-gocql-driver/v2"},
		{"workload", "thresholds"},
	} {
		p, ok := byPath[Module+"/"+want.pkg]
		imp := want.imports
		if !strings.Contains(imp, ".") {
			imp = Module + "/" + imp
		}
		if !ok || !slices.Contains(p.Imports, imp) {
			t.Fatalf("the loaded graph lacks %s → %s (loaded %d packages)", want.pkg, imp, len(pkgs))
		}
	}
	for _, v := range Check(pkgs) {
		t.Error(v)
	}
	// A package no layer places is checked only by the driver rules: name
	// it, so whoever adds a top-level directory gives it a layer in
	// layerTable (and docs/design.md §10).
	for _, p := range pkgs {
		r, _ := rel(p.Path)
		if _, _, ok := place(r); !ok && r != "docker" {
			t.Logf("package %s has no layer in layerTable: only its drivers are checked", p.Path)
		}
	}
}

// TestWorkloadDepsHaveNoRefimpl is the issue's own check, transitively:
// go list -deps ./workload names no refimpl package.
func TestWorkloadDepsHaveNoRefimpl(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", Module+"/workload").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if !slices.Contains(deps, Module+"/workload") {
		t.Fatalf("go list -deps ./workload printed %d packages without workload itself", len(deps))
	}
	for _, d := range deps {
		if strings.HasPrefix(d, Module+"/refimpl") {
			t.Errorf("workload depends on %s", d)
		}
	}
}

// TestCheckCatchesViolations proves the rules fail on real violations, each
// a synthetic graph with one wrong edge, and pass the right direction.
func TestCheckCatchesViolations(t *testing.T) {
	m := func(p string) string { return Module + "/" + p }
	tests := []struct {
		name     string
		from, to string
		// rule is a fragment of the expected violation; "" means allowed.
		rule string
	}{
		{"workload imports refimpl", m("workload"), m("refimpl/domain"), "may import only lower layers"},
		{"refimpl imports workload", m("refimpl/service"), m("workload"), "may import only lower layers"},
		{"workload imports bench", m("workload"), m("bench"), "may import only lower layers"},
		{"reports imports bench", m("reports"), m("bench"), "may import only lower layers"},
		{"compare imports bench", m("reports/compare"), m("bench"), "may import only lower layers"},
		{"thresholds imports reports", m("thresholds"), m("reports"), "may import only lower layers"},
		{"thresholds imports workload", m("thresholds"), m("workload"), "may import only lower layers"},
		{"target imports reports", m("target"), m("reports"), "may import only lower layers"},
		{"one target imports another", m("target/remote"), m("target/inproc"), "may import only lower layers"},
		{"runner imports the service", m("bench"), m("refimpl/service"), "only through the target seam"},
		{"runner imports a target implementation", m("bench"), m("target/inproc"), "target seam"},
		{"reports imports workload", m("reports"), m("workload"), "not workloads"},
		{"anything imports cmd", m("bench"), m("cmd/esbench"), "nothing imports a command"},
		{"store imports domain", m("refimpl/store/memory"), m("refimpl/domain"), "payload-agnostic"},
		{"backend imports backend", m("refimpl/store/pebble"), m("refimpl/store/memory"), "another backend"},
		{"domain imports repository", m("refimpl/domain"), m("refimpl/repository"), "below the repository"},
		{"gocql outside its backend", m("refimpl/repository"), "github.com/apache/cassandra-gocql-driver/v2", "refimpl/store/cassandra"},
		{"pebble outside its backend", m("bench"), "github.com/cockroachdb/pebble/v2", "refimpl/store/pebble"},
		{"old gocql anywhere", m("refimpl/store/cassandra"), "github.com/gocql/gocql", "no non-test package"},
		{"cobra outside cmd", m("bench"), "github.com/spf13/cobra", "cmd/"},
		{"chromedp outside tests", m("reports"), "github.com/chromedp/chromedp", "no non-test package"},
		{"msgp outside codecs", m("workload"), "github.com/tinylib/msgp/msgp", "refimpl/codec/"},
		// The right direction passes.
		{"cmd imports anything", m("cmd/esbench"), m("refimpl/store/cassandra"), ""},
		{"bench imports workload", m("bench"), m("workload"), ""},
		{"codec matrix imports codecs", m("bench/codecs"), m("refimpl/codec/msgp"), ""},
		{"inproc imports the service", m("target/inproc"), m("refimpl/service"), ""},
		{"inproc imports the seam", m("target/inproc"), m("target"), ""},
		{"compare imports thresholds", m("reports/compare"), m("thresholds"), ""},
		{"workload imports thresholds", m("workload"), m("thresholds"), ""},
		{"gocql in its backend", m("refimpl/store/cassandra"), "github.com/apache/cassandra-gocql-driver/v2", ""},
		{"backend imports the contract", m("refimpl/store/pebble"), m("refimpl/store"), ""},
		{"within refimpl", m("refimpl/service"), m("refimpl/repository"), ""},
		{"stdlib", m("workload"), "fmt", ""},
		{"internal imports internal", m("internal/choice"), m("internal/suggest"), ""},
		{"internal imports the module", m("internal/choice"), m("workload"), "may import only lower layers"},
		{"the CLI wires an example backend", m("cmd/esbench"), m("examples/sqlite"), ""},
		{"an example backend implements the contract", m("examples/sqlite"), m("refimpl/store"), ""},
		{"the wire schema imports nothing of esbench", m("api/licensing/v1"), m("workload"), "may import only lower layers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vs := Check([]Package{{Path: tt.from, Imports: []string{"fmt", tt.to}}})
			if tt.rule == "" {
				if len(vs) != 0 {
					t.Fatalf("allowed import flagged: %v", vs)
				}
				return
			}
			if len(vs) != 1 || vs[0].From != tt.from || vs[0].To != tt.to || !strings.Contains(vs[0].Rule, tt.rule) {
				t.Fatalf("violations %v, want one %s → %s mentioning %q", vs, tt.from, tt.to, tt.rule)
			}
		})
	}
}
