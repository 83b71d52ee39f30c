package docker

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// There is no Docker engine where the tests run, so these tests check what
// can be checked without one: both files parse, and the pieces refer to each
// other correctly.

type compose struct {
	Name     string             `yaml:"name"`
	Services map[string]service `yaml:"services"`
	Volumes  map[string]any     `yaml:"volumes"`
}

type service struct {
	Image       string               `yaml:"image"`
	Hostname    string               `yaml:"hostname"`
	Build       *build               `yaml:"build"`
	Command     []string             `yaml:"command"`
	Environment map[string]string    `yaml:"environment"`
	Ports       []string             `yaml:"ports"`
	Volumes     []string             `yaml:"volumes"`
	DependsOn   map[string]dependsOn `yaml:"depends_on"`
	Profiles    []string             `yaml:"profiles"`
	Healthcheck *struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
}

type build struct {
	Context    string `yaml:"context"`
	Dockerfile string `yaml:"dockerfile"`
}

type dependsOn struct {
	Condition string `yaml:"condition"`
}

func loadCompose(t *testing.T) compose {
	t.Helper()
	data, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c compose
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	return c
}

func TestComposeServices(t *testing.T) {
	c := loadCompose(t)
	nodes := []string{"cassandra1", "cassandra2", "cassandra3"}
	for _, name := range append(slices.Clone(nodes), "schema", "serve", "esbench") {
		if _, ok := c.Services[name]; !ok {
			t.Fatalf("compose.yaml has no service %q (has %v)", name, keys(c.Services))
		}
	}
	cassImage := regexp.MustCompile(`^cassandra:5\.0(\.\d+)?$`)
	for _, n := range nodes {
		s := c.Services[n]
		if !cassImage.MatchString(s.Image) {
			t.Errorf("%s: image %q, want cassandra:5.0.x", n, s.Image)
		}
		if s.Hostname != n {
			t.Errorf("%s: hostname %q", n, s.Hostname)
		}
		if s.Environment["CASSANDRA_DC"] != "dc1" || s.Environment["CASSANDRA_CLUSTER_NAME"] != "esbench" {
			t.Errorf("%s: environment %v lacks the data centre or cluster name", n, s.Environment)
		}
		for _, seed := range strings.Split(s.Environment["CASSANDRA_SEEDS"], ",") {
			if !slices.Contains(nodes, seed) {
				t.Errorf("%s: seed %q is not a node", n, seed)
			}
		}
		if s.Healthcheck == nil || !strings.Contains(strings.Join(s.Healthcheck.Test, " "), "cqlsh") {
			t.Errorf("%s: no CQL health check", n)
		}
		if len(s.Volumes) != 1 || !strings.HasSuffix(s.Volumes[0], ":/var/lib/cassandra") {
			t.Errorf("%s: volumes %v, want one data volume", n, s.Volumes)
		} else if vol, _, _ := strings.Cut(s.Volumes[0], ":"); c.Volumes == nil || !hasKey(c.Volumes, vol) {
			t.Errorf("%s: volume %q is not declared", n, vol)
		}
	}
	// One node at a time joins the ring.
	wantDeps := map[string][]string{
		"cassandra1": nil,
		"cassandra2": {"cassandra1"},
		"cassandra3": {"cassandra2"},
		"schema":     nodes,
		"serve":      {"schema"},
		"esbench":    {"serve"},
	}
	for name, want := range wantDeps {
		got := keys(c.Services[name].DependsOn)
		if !slices.Equal(got, want) {
			t.Errorf("%s depends on %v, want %v", name, got, want)
		}
		for dep, d := range c.Services[name].DependsOn {
			wantCond := "service_healthy"
			switch dep {
			case "schema":
				wantCond = "service_completed_successfully"
			case "serve":
				// The image has no shell for a health check; esbench waits
				// for the API itself (--remote-wait).
				wantCond = "service_started"
			}
			if d.Condition != wantCond {
				t.Errorf("%s: depends on %s with condition %q, want %q", name, dep, d.Condition, wantCond)
			}
		}
	}
	checkAcyclic(t, c)

	// Only the first node publishes CQL, on loopback.
	if p := c.Services["cassandra1"].Ports; len(p) != 1 {
		t.Errorf("cassandra1 ports %v, want one", p)
	} else {
		host, container := parsePort(t, p[0])
		if host != 9042 || container != 9042 || !strings.HasPrefix(p[0], "127.0.0.1:") {
			t.Errorf("cassandra1 port %q, want 127.0.0.1:9042:9042", p[0])
		}
	}
	for _, name := range []string{"schema", "serve", "esbench"} {
		s := c.Services[name]
		if s.Build == nil || s.Build.Context != ".." || s.Build.Dockerfile != "docker/Dockerfile" {
			t.Fatalf("%s: build %+v, want context .. and docker/Dockerfile", name, s.Build)
		}
		if _, err := os.Stat(filepath.Join(s.Build.Context, s.Build.Dockerfile)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if name == "esbench" {
			continue // it reaches Cassandra through the serve tier
		}
		hosts := flagValue(s.Command, "--cassandra-hosts")
		if hosts == "" {
			t.Errorf("%s: command %v has no --cassandra-hosts", name, s.Command)
		}
		for _, h := range strings.Split(hosts, ",") {
			if !slices.Contains(nodes, h) {
				t.Errorf("%s: contact point %q is not a node", name, h)
			}
		}
		if dc := flagValue(s.Command, "--cassandra-local-dc"); dc != "dc1" {
			t.Errorf("%s: --cassandra-local-dc %q, want dc1", name, dc)
		}
	}
	if cmd := c.Services["schema"].Command; len(cmd) < 2 || cmd[0] != "schema" || cmd[1] != "apply" {
		t.Errorf("schema service runs %v, want schema apply", cmd)
	}
	if rf := flagValue(c.Services["schema"].Command, "--cassandra-replication-dcs"); rf != "dc1=3" {
		t.Errorf("schema replication %q, want dc1=3 for three nodes", rf)
	}
	// Three tiers: esbench drives the serve tier, which stores in Cassandra.
	srv := c.Services["serve"]
	if len(srv.Command) == 0 || srv.Command[0] != "serve" || flagValue(srv.Command, "--store") != "cassandra" {
		t.Errorf("serve service runs %v, want serve --store=cassandra", srv.Command)
	}
	listen := flagValue(srv.Command, "--listen")
	_, port, _ := strings.Cut(listen, ":")
	if srv.Environment["ESBENCH_SERVE_TOKEN"] == "" {
		t.Errorf("serve listens on %q without ESBENCH_SERVE_TOKEN", listen)
	}
	eb := c.Services["esbench"]
	if len(eb.Command) == 0 || eb.Command[0] != "run" || flagValue(eb.Command, "--target") != "http://"+srv.Hostname+":"+port {
		t.Errorf("esbench command %v does not target the serve tier at http://%s:%s", eb.Command, srv.Hostname, port)
	}
	if eb.Environment["ESBENCH_TARGET_TOKEN"] != srv.Environment["ESBENCH_SERVE_TOKEN"] {
		t.Errorf("esbench sends token %q, serve expects %q", eb.Environment["ESBENCH_TARGET_TOKEN"], srv.Environment["ESBENCH_SERVE_TOKEN"])
	}
	if flagValue(eb.Command, "--store") != "" {
		t.Errorf("esbench command %v names a store: the remote target has none", eb.Command)
	}
}

func flagValue(args []string, name string) string {
	for i, a := range args {
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v
		}
		if a == name && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

func parsePort(t *testing.T, spec string) (host, container int) {
	t.Helper()
	parts := strings.Split(spec, ":")
	if len(parts) < 2 {
		t.Fatalf("port %q is not [ip:]host:container", spec)
	}
	h, err1 := strconv.Atoi(parts[len(parts)-2])
	c, err2 := strconv.Atoi(parts[len(parts)-1])
	if err1 != nil || err2 != nil {
		t.Fatalf("port %q: not numbers", spec)
	}
	return h, c
}

func checkAcyclic(t *testing.T, c compose) {
	t.Helper()
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(n string, path []string)
	visit = func(n string, path []string) {
		switch state[n] {
		case 1:
			t.Fatalf("dependency cycle: %v", append(path, n))
		case 2:
			return
		}
		state[n] = 1
		for dep := range c.Services[n].DependsOn {
			if _, ok := c.Services[dep]; !ok {
				t.Fatalf("%s depends on unknown service %s", n, dep)
			}
			visit(dep, append(path, n))
		}
		state[n] = 2
	}
	for _, n := range keys(c.Services) {
		visit(n, nil)
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	if len(out) == 0 {
		return nil
	}
	return out
}

func hasKey(m map[string]any, k string) bool {
	_, ok := m[k]
	return ok
}

// instruction is one Dockerfile instruction with continuation lines joined.
type instruction struct {
	line int
	cmd  string
	args string
}

func parseDockerfile(t *testing.T, path string) []instruction {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []instruction
	var cur strings.Builder
	start := 0
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if cur.Len() == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if cur.Len() == 0 {
			start = n
		}
		if strings.HasPrefix(line, "#") {
			continue // comment inside a continued instruction
		}
		if s, ok := strings.CutSuffix(line, "\\"); ok {
			cur.WriteString(s + " ")
			continue
		}
		cur.WriteString(line)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		out = append(out, instruction{start, strings.ToUpper(cmd), strings.TrimSpace(args)})
		cur.Reset()
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if cur.Len() > 0 {
		t.Fatalf("%s: instruction at line %d never ends (trailing backslash)", path, start)
	}
	return out
}

func TestDockerfileStages(t *testing.T) {
	ins := parseDockerfile(t, "Dockerfile")
	known := map[string]bool{"FROM": true, "WORKDIR": true, "COPY": true, "RUN": true, "ARG": true, "USER": true,
		"ENTRYPOINT": true, "CMD": true, "ENV": true, "LABEL": true, "EXPOSE": true, "VOLUME": true}
	var stages []string
	var finalEntrypoint string
	copiesFromBuild := false
	buildsCmd := false
	for _, in := range ins {
		if !known[in.cmd] {
			t.Errorf("Dockerfile line %d: unknown instruction %q", in.line, in.cmd)
		}
		switch in.cmd {
		case "FROM":
			f := strings.Fields(in.args)
			if len(f) != 3 || !strings.EqualFold(f[1], "AS") {
				t.Fatalf("Dockerfile line %d: FROM %q, want FROM image AS stage", in.line, in.args)
			}
			stages = append(stages, f[2])
			finalEntrypoint = ""
			if len(stages) == 1 {
				checkGoImage(t, f[0])
			}
		case "COPY":
			if from, ok := strings.CutPrefix(strings.Fields(in.args)[0], "--from="); ok {
				if !slices.Contains(stages[:len(stages)-1], from) {
					t.Errorf("Dockerfile line %d: COPY --from=%s names no earlier stage (stages %v)", in.line, from, stages)
				}
				copiesFromBuild = true
			}
		case "RUN":
			if strings.Contains(in.args, "go build") {
				buildsCmd = strings.Contains(in.args, "./cmd/esbench")
				if !strings.Contains(in.args, "CGO_ENABLED=0") {
					t.Errorf("Dockerfile line %d: the final image is static; build with CGO_ENABLED=0", in.line)
				}
			}
		case "ENTRYPOINT":
			finalEntrypoint = in.args
		}
	}
	if len(stages) < 2 {
		t.Fatalf("Dockerfile has stages %v, want a multi-stage build", stages)
	}
	if !copiesFromBuild || !buildsCmd {
		t.Errorf("Dockerfile: copies from the build stage %v, builds ./cmd/esbench %v", copiesFromBuild, buildsCmd)
	}
	if !strings.Contains(finalEntrypoint, "esbench") {
		t.Errorf("final stage entrypoint %q does not run esbench", finalEntrypoint)
	}
	if _, err := os.Stat("../cmd/esbench/main.go"); err != nil {
		t.Errorf("the Dockerfile builds ./cmd/esbench: %v", err)
	}
}

// checkGoImage: the build image's Go must be at least the module's.
func checkGoImage(t *testing.T, image string) {
	t.Helper()
	m := regexp.MustCompile(`^golang:(\d+)\.(\d+)`).FindStringSubmatch(image)
	if m == nil {
		t.Fatalf("build stage image %q is not golang:X.Y", image)
	}
	mod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	g := regexp.MustCompile(`(?m)^go (\d+)\.(\d+)`).FindSubmatch(mod)
	if g == nil {
		t.Fatal("go.mod has no go directive")
	}
	img := [2]int{atoi(m[1]), atoi(m[2])}
	need := [2]int{atoi(string(g[1])), atoi(string(g[2]))}
	if img[0] < need[0] || (img[0] == need[0] && img[1] < need[1]) {
		t.Errorf("build image %s is older than go.mod's go %d.%d", image, need[0], need[1])
	}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func TestDockerignoreKeepsSources(t *testing.T) {
	data, err := os.ReadFile("Dockerfile.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		for _, needed := range []string{"go.mod", "go.sum", "cmd", "refimpl", "internal", "workload", "bench", "reports"} {
			if line == needed || line == needed+"/" || line == "*" || line == "**" {
				t.Errorf("Dockerfile.dockerignore excludes %q, which the build needs", line)
			}
		}
	}
}

// TestComposeShardedGenerators checks the sharded profile: generators
// 0..n-1 run shards i/n of one run through the serve tier, beginning at the
// same START_AT, each into its own results directory, and merge reads
// exactly those directories after all of them completed.
func TestComposeShardedGenerators(t *testing.T) {
	c := loadCompose(t)
	var gens []string
	for name := range c.Services {
		if strings.HasPrefix(name, "generator") {
			gens = append(gens, name)
		}
	}
	slices.Sort(gens)
	n := len(gens)
	if n < 2 {
		t.Fatalf("compose.yaml has %d generator services, want several sharing a run", n)
	}
	esb := c.Services["esbench"]
	var outs []string
	for i, name := range gens {
		s := c.Services[name]
		if name != "generator"+strconv.Itoa(i) {
			t.Fatalf("generators %v are not numbered 0..%d", gens, n-1)
		}
		if !slices.Equal(s.Profiles, []string{"sharded"}) {
			t.Errorf("%s: profiles %v, want [sharded] (not started by a plain up)", name, s.Profiles)
		}
		if len(s.Command) == 0 || s.Command[0] != "run" {
			t.Fatalf("%s runs %v, want esbench run", name, s.Command)
		}
		if got, want := flagValue(s.Command, "--shard"), strconv.Itoa(i)+"/"+strconv.Itoa(n); got != want {
			t.Errorf("%s: --shard=%s, want %s", name, got, want)
		}
		if at := flagValue(s.Command, "--start-at"); !strings.HasPrefix(at, "${START_AT:?") {
			t.Errorf("%s: --start-at=%q, want the shared ${START_AT:?...}", name, at)
		}
		if flagValue(s.Command, "--target") != flagValue(esb.Command, "--target") || s.Environment["ESBENCH_TARGET_TOKEN"] != esb.Environment["ESBENCH_TARGET_TOKEN"] {
			t.Errorf("%s does not drive the serve tier as the esbench service does", name)
		}
		out := flagValue(s.Command, "--out")
		if !strings.HasPrefix(out, "/data/results/") || slices.Contains(outs, out) {
			t.Errorf("%s: --out=%s, want its own directory under the results volume", name, out)
		}
		outs = append(outs, out)
	}
	m := c.Services["merge"]
	if len(m.Command) < 2 || m.Command[0] != "merge" {
		t.Fatalf("merge runs %v", m.Command)
	}
	var dirs []string
	for _, a := range m.Command[1:] {
		if !strings.HasPrefix(a, "--") {
			dirs = append(dirs, a)
		}
	}
	if !slices.Equal(dirs, outs) {
		t.Errorf("merge reads %v, the generators write %v", dirs, outs)
	}
	if deps := keys(m.DependsOn); !slices.Equal(deps, gens) {
		t.Errorf("merge depends on %v, want every generator %v", deps, gens)
	}
	for _, g := range gens {
		if m.DependsOn[g].Condition != "service_completed_successfully" {
			t.Errorf("merge waits for %s with %q, want service_completed_successfully", g, m.DependsOn[g].Condition)
		}
	}
}
