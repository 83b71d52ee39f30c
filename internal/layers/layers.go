// Package layers states which esbench packages may import which, and checks
// an import graph against those rules (docs/design.md §10). Its test runs
// the check on the repository's own packages, so an import that runs the
// wrong way fails the build.
package layers

import (
	"fmt"
	"slices"
	"strings"
)

// Module is the esbench module path; rules name packages relative to it.
const Module = "github.com/esbench/esbench"

// Package is one node of an import graph: its import path and its direct
// (non-test) imports, both as full import paths.
type Package struct {
	Path    string
	Imports []string
}

// Violation is one import that breaks a rule.
type Violation struct {
	From, To string
	// Rule says which rule and why.
	Rule string
}

func (v Violation) String() string {
	return fmt.Sprintf("%s imports %s: %s", v.From, v.To, v.Rule)
}

// layer places the packages under a path (relative to Module) at a rank.
// A package may import packages of a lower rank, and packages of its own
// group; a package of the same rank in another group sits beside it and is
// off limits. The longest matching prefix decides.
type layer struct {
	prefix string
	rank   int
	// group is the unit within which imports are free; "" means the prefix
	// itself, "*" each direct child of the prefix on its own (so two target
	// implementations stay apart).
	group string
}

var layerTable = []layer{
	{prefix: "cmd", rank: 7},
	// docs holds the test that runs the documentation's commands.
	{prefix: "docs", rank: 7},
	// An example backend is wired in by the CLI with one import.
	{prefix: "examples/", rank: 6, group: "*"},
	{prefix: "bench", rank: 6},
	{prefix: "reports/compare", rank: 5, group: "reports-jobs"},
	{prefix: "reports/merge", rank: 5, group: "reports-jobs"},
	{prefix: "reports/plan", rank: 5, group: "reports-jobs"},
	{prefix: "target/", rank: 4, group: "*"},
	{prefix: "target", rank: 3},
	{prefix: "reports", rank: 3},
	{prefix: "workload", rank: 2},
	{prefix: "refimpl", rank: 2},
	{prefix: "thresholds", rank: 1},
	// api holds the service's generated wire schema.
	{prefix: "api", rank: 1},
	{prefix: "internal", rank: 0},
}

// forbidden are imports the ranks allow but the design does not.
var forbidden = []struct {
	from, to string
	// exact applies the rule to the package from itself, not its subtree.
	exact bool
	why   string
}{
	{from: "bench", to: "refimpl", exact: true, why: "the runner reaches the system under test only through the target seam"},
	{from: "bench", to: "target/", exact: true, why: "the runner reaches the system under test only through the target seam, not a target implementation"},
	{from: "reports", to: "workload", exact: true, why: "the result schema and its writers know results, not workloads"},
	{from: "reports", to: "target", exact: true, why: "the result schema and its writers know results, not targets"},
	{from: "refimpl/store", to: "refimpl/domain", why: "the store contract is payload-agnostic"},
	{from: "refimpl/store", to: "refimpl/codec", why: "the store contract is payload-agnostic"},
	{from: "refimpl/store", to: "refimpl/repository", why: "the store sits below the repository"},
	{from: "refimpl/store", to: "refimpl/service", why: "the store sits below the service"},
	{from: "refimpl/domain", to: "refimpl/repository", why: "the domain sits below the repository"},
	{from: "refimpl/domain", to: "refimpl/service", why: "the domain sits below the service"},
	{from: "refimpl/codec", to: "refimpl/repository", why: "codecs sit below the repository"},
	{from: "refimpl/codec", to: "refimpl/service", why: "codecs sit below the service"},
	{from: "refimpl/repository", to: "refimpl/service", why: "the repository sits below the service"},
}

// backendsDir holds the store backends, which must not import each other.
const backendsDir = "refimpl/store/"

// drivers maps a third-party module to the only packages (relative prefixes)
// that may import it; an empty list means no non-test package may.
var drivers = map[string][]string{
	"github.com/apache/cassandra-gocql-driver": {"refimpl/store/cassandra"},
	"github.com/gocql/gocql":                   {},
	"github.com/cockroachdb/pebble":            {"refimpl/store/pebble"},
	"github.com/tinylib/msgp":                  {"refimpl/codec/"},
	"github.com/google/flatbuffers":            {"refimpl/codec/"},
	"github.com/hamba/avro":                    {"refimpl/codec/"},
	"github.com/fxamacker/cbor":                {"refimpl/codec/"},
	"github.com/spf13/cobra":                   {"cmd/"},
	"modernc.org/sqlite":                       {"examples/"},
	"github.com/chromedp":                      {},
}

// rel is path relative to Module, and whether it is in the module.
func rel(path string) (string, bool) {
	if path == Module {
		return "", true
	}
	r, ok := strings.CutPrefix(path, Module+"/")
	return r, ok
}

// under reports whether rel path p is prefix itself or below it; a prefix
// ending in "/" matches only below.
func under(p, prefix string) bool {
	if strings.HasSuffix(prefix, "/") {
		return strings.HasPrefix(p, prefix)
	}
	return p == prefix || strings.HasPrefix(p, prefix+"/")
}

// place finds the layer of rel path p and its group; ok is false for a
// package no rule places (checked only by the driver rules).
func place(p string) (rank int, group string, ok bool) {
	best := -1
	for i, l := range layerTable {
		if under(p, l.prefix) && (best < 0 || len(l.prefix) > len(layerTable[best].prefix)) {
			best = i
		}
	}
	if best < 0 {
		return 0, "", false
	}
	l := layerTable[best]
	switch l.group {
	case "":
		group = l.prefix
	case "*":
		rest := strings.TrimPrefix(strings.TrimPrefix(p, l.prefix), "/")
		child, _, _ := strings.Cut(rest, "/")
		group = strings.TrimSuffix(l.prefix, "/") + "/" + child
	default:
		group = l.group
	}
	return l.rank, group, true
}

// Check returns every import in pkgs that breaks a rule, sorted.
func Check(pkgs []Package) []Violation {
	var out []Violation
	for _, pkg := range pkgs {
		from, ok := rel(pkg.Path)
		if !ok {
			continue
		}
		for _, imp := range pkg.Imports {
			if v, bad := checkImport(from, imp); bad {
				v.From, v.To = pkg.Path, imp
				out = append(out, v)
			}
		}
	}
	slices.SortFunc(out, func(a, b Violation) int {
		if c := strings.Compare(a.From, b.From); c != 0 {
			return c
		}
		return strings.Compare(a.To, b.To)
	})
	return out
}

func checkImport(from, imp string) (Violation, bool) {
	to, inModule := rel(imp)
	if !inModule {
		for mod, allowed := range drivers {
			if imp != mod && !strings.HasPrefix(imp, mod+"/") {
				continue
			}
			if !slices.ContainsFunc(allowed, func(p string) bool { return under(from, p) }) {
				where := "no non-test package"
				if len(allowed) > 0 {
					where = "only " + strings.Join(allowed, ", ")
				}
				return Violation{Rule: fmt.Sprintf("only the package that wraps %s imports it (%s)", mod, where)}, true
			}
		}
		return Violation{}, false
	}
	if under(to, "cmd") && !under(from, "cmd") {
		return Violation{Rule: "nothing imports a command"}, true
	}
	for _, f := range forbidden {
		fromOK := from == f.from
		if !f.exact {
			fromOK = under(from, f.from)
		}
		if fromOK && under(to, f.to) {
			return Violation{Rule: f.why}, true
		}
	}
	if under(from, backendsDir) && under(to, backendsDir) {
		fb, _, _ := strings.Cut(strings.TrimPrefix(from, backendsDir), "/")
		tb, _, _ := strings.Cut(strings.TrimPrefix(to, backendsDir), "/")
		if fb != tb {
			return Violation{Rule: "a store backend does not import another backend"}, true
		}
	}
	fr, fg, okF := place(from)
	tr, tg, okT := place(to)
	if !okF || !okT || fg == tg {
		return Violation{}, false
	}
	if tr >= fr {
		return Violation{Rule: fmt.Sprintf("layer %d (%s) may import only lower layers, not layer %d (%s); see docs/design.md §10", fr, fg, tr, tg)}, true
	}
	return Violation{}, false
}
