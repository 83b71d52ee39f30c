package docs_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The marker convention (docs/contributing.md): a fenced block whose info
// string is a shell language followed by the word "runnable" is executed,
// as one bash script with -e and pipefail, in a fresh scratch directory that
// has the repository's tracked top-level entries linked in (so commands can
// name bench/baseline/ci.yaml as written) and the freshly built esbench first
// on PATH. An optional "timeout=DURATION" word bounds the block (default
// defaultBlockTimeout). "sh runnable cassandra" marks a block that needs the
// local Cassandra node: TestRunnableCommandsCassandra runs it, in the
// integration step of scripts/test.sh.
//
//	```sh runnable
//	esbench run --store memory --customers 200 --duration 2s --out results
//	```
const (
	runnableWord        = "runnable"
	cassandraWord       = "cassandra"
	defaultBlockTimeout = 60 * time.Second
)

// shellInfo are the info strings of blocks holding shell commands.
var shellInfo = map[string]bool{"sh": true, "bash": true, "shell": true, "console": true}

// block is one fenced code block of a Markdown file.
type block struct {
	file string // relative to the repository root
	line int    // 1-based line of the opening fence
	info []string
	body []string
}

func (b block) String() string { return fmt.Sprintf("%s:%d", b.file, b.line) }

func (b block) shell() bool { return len(b.info) > 0 && shellInfo[b.info[0]] }

func (b block) runnable() bool { return b.shell() && slices.Contains(b.info[1:], runnableWord) }

// needsCassandra is set by the word "cassandra" after "runnable": the
// block runs only in the Cassandra step of scripts/test.sh.
func (b block) needsCassandra() bool { return slices.Contains(b.info[1:], cassandraWord) }

func (b block) timeout() (time.Duration, error) {
	for _, w := range b.info[1:] {
		if v, ok := strings.CutPrefix(w, "timeout="); ok {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 || d > 10*time.Minute {
				return 0, fmt.Errorf("%s: info word %q: want timeout=DURATION in (0, 10m]", b, w)
			}
			return d, nil
		}
	}
	return defaultBlockTimeout, nil
}

var fence = regexp.MustCompile("^(\\s*)(```+|~~~+)\\s*(.*)$")

// parseBlocks returns the fenced blocks of a Markdown file and the text
// outside them (for inline code spans), line by line.
func parseBlocks(file string, data []byte) (blocks []block, prose map[int]string, err error) {
	prose = map[int]string{}
	var cur *block
	var closer string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		m := fence.FindStringSubmatch(line)
		switch {
		case cur == nil && m != nil:
			cur = &block{file: file, line: n, info: strings.Fields(m[3])}
			closer = m[2]
		case cur != nil && m != nil && strings.HasPrefix(m[2], closer[:1]) && len(m[2]) >= len(closer) && m[3] == "":
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			cur.body = append(cur.body, line)
		default:
			prose[n] = line
		}
	}
	if cur != nil {
		return nil, nil, fmt.Errorf("%s: block opened on line %d is never closed", file, cur.line)
	}
	return blocks, prose, sc.Err()
}

// repoRoot is the repository's top directory (the tests run in docs/).
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repository root %s: %v", root, err)
	}
	return root
}

// docFiles lists README.md and docs/*.md, relative to root.
func docFiles(t *testing.T, root string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	out := []string{"README.md"}
	for _, f := range files {
		rel, err := filepath.Rel(root, f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, rel)
	}
	return out
}

func allBlocks(t *testing.T, root string) ([]block, map[string]map[int]string) {
	t.Helper()
	var blocks []block
	prose := map[string]map[int]string{}
	for _, f := range docFiles(t, root) {
		bs, p := allBlocksOf(t, root, f)
		blocks = append(blocks, bs...)
		prose[f] = p
	}
	return blocks, prose
}

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// esbenchBin builds the esbench binary once per test process and returns
// the directory holding it.
func esbenchBin(t *testing.T, root string) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "esbench-docs-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binDir = dir
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "esbench"), "./cmd/esbench")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/esbench: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binDir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// trackedTopLevel lists the repository's top-level entries that git tracks,
// or, outside a git checkout, every top-level entry but .git.
func trackedTopLevel(root string) ([]string, error) {
	cmd := exec.Command("git", "ls-files")
	cmd.Dir = root
	out, err := cmd.Output()
	seen := map[string]bool{}
	if err == nil {
		for _, l := range strings.Split(string(out), "\n") {
			if l != "" {
				seen[strings.SplitN(l, "/", 2)[0]] = true
			}
		}
	} else {
		ents, err := os.ReadDir(root)
		if err != nil {
			return nil, err
		}
		for _, e := range ents {
			if e.Name() != ".git" {
				seen[e.Name()] = true
			}
		}
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	slices.Sort(names)
	return names, nil
}

// errLine is what the script's ERR trap prints: the script line that failed.
var errLine = regexp.MustCompile(`(?m)^docs-test: failed at script line (\d+)$`)

// TestRunnableCommands executes every block marked runnable in README.md
// and docs/*.md (except those that also need Cassandra) and fails with the
// document and line of a command that fails.
func TestRunnableCommands(t *testing.T) {
	root := repoRoot(t)
	blocks, _ := allBlocks(t, root)
	var runnable []block
	for _, b := range blocks {
		switch {
		case b.runnable() && !b.needsCassandra():
			runnable = append(runnable, b)
		case !b.runnable() && slices.Contains(b.info, runnableWord):
			t.Errorf("%s: %q is marked runnable but is not a shell block (info %q)", b, strings.Join(b.body, "\n"), strings.Join(b.info, " "))
		}
	}
	// A parser that finds nothing would pass vacuously.
	if len(runnable) < 5 {
		t.Fatalf("found only %d runnable blocks in README.md and docs/*.md; the marker convention or the parser is broken", len(runnable))
	}
	runBlocks(t, root, runnable)
}

// TestRunnableCommandsCassandra executes the blocks marked "runnable
// cassandra" against the node at ESBENCH_CASSANDRA, which scripts/test.sh
// starts for its integration step. The commands use esbench's default
// contact point, so the node must be the local one on 127.0.0.1:9042.
func TestRunnableCommandsCassandra(t *testing.T) {
	addr := os.Getenv("ESBENCH_CASSANDRA")
	required := os.Getenv("ESBENCH_REQUIRE_CASSANDRA") == "1"
	switch {
	case addr == "" && required:
		t.Fatal("ESBENCH_REQUIRE_CASSANDRA=1 but ESBENCH_CASSANDRA is not set")
	case addr == "":
		t.Skip("ESBENCH_CASSANDRA not set: no Cassandra node to run the documented commands against")
	case addr != "127.0.0.1:9042" && addr != "localhost:9042":
		if required {
			t.Fatalf("ESBENCH_CASSANDRA=%s: the documented commands use the default contact point 127.0.0.1:9042", addr)
		}
		t.Skipf("ESBENCH_CASSANDRA=%s: the documented commands use the default contact point 127.0.0.1:9042", addr)
	}
	root := repoRoot(t)
	blocks, _ := allBlocks(t, root)
	var runnable []block
	for _, b := range blocks {
		if b.runnable() && b.needsCassandra() {
			runnable = append(runnable, b)
		}
	}
	if len(runnable) == 0 {
		t.Fatal("no block is marked runnable cassandra; the marker convention or the parser is broken")
	}
	runBlocks(t, root, runnable)
}

// runBlocks runs each block as a subtest, then checks the repository was
// left as it was.
func runBlocks(t *testing.T, root string, blocks []block) {
	t.Helper()
	bin := esbenchBin(t, root)
	top, err := trackedTopLevel(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range blocks {
		t.Run(b.String(), func(t *testing.T) { runBlock(t, root, bin, top, b) })
	}
	// The blocks must leave the repository as they found it.
	if status, err := gitStatus(root); err == nil && status != initialStatus {
		t.Errorf("runnable blocks changed the repository (git status --porcelain before:\n%s\nafter:\n%s)", initialStatus, status)
	}
}

func runBlock(t *testing.T, root, bin string, top []string, b block) {
	timeout, err := b.timeout()
	if err != nil {
		t.Fatal(err)
	}
	scratch := t.TempDir()
	for _, name := range top {
		if err := os.Symlink(filepath.Join(root, name), filepath.Join(scratch, name)); err != nil {
			t.Fatal(err)
		}
	}
	// Line 1 of the script is this prelude, so block line k is script line
	// k+1 and document line b.line+k.
	script := `set -Eeo pipefail; trap 'echo "docs-test: failed at script line $LINENO" >&2' ERR` + "\n" +
		strings.Join(b.body, "\n") + "\n"
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script)
	cmd.Dir = scratch
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "NO_COLOR=1")
	// The block runs in a process group of its own, killed whole on timeout
	// and when the block ends, so a server it started in the background
	// cannot outlive it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	// Output goes to a file, not a pipe, so Wait returns when bash exits even
	// if a background child still holds its output open.
	logf, err := os.Create(filepath.Join(t.TempDir(), "output"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	start := time.Now()
	err = cmd.Start()
	if err == nil {
		err = cmd.Wait()
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // leftovers; the group may be gone
	}
	elapsed := time.Since(start).Round(time.Millisecond)
	outData, rerr := os.ReadFile(logf.Name())
	if rerr != nil {
		t.Fatal(rerr)
	}
	out := bytes.NewBuffer(outData)
	if err == nil {
		t.Logf("%s: ok in %s", b, elapsed)
		return
	}
	where := b.String()
	if m := errLine.FindAllStringSubmatch(out.String(), -1); len(m) > 0 {
		if k, perr := strconv.Atoi(m[len(m)-1][1]); perr == nil && k >= 2 && k-1 <= len(b.body) {
			where = fmt.Sprintf("%s:%d: %s", b.file, b.line+k-1, strings.TrimSpace(b.body[k-2]))
		}
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("%s: block did not finish within %s (shorten its commands or give it timeout=DURATION)\n%s", where, timeout, tail(out.String(), 40))
	}
	t.Fatalf("%s: %v after %s\n%s", where, err, elapsed, tail(out.String(), 40))
}

var initialStatus string

func init() {
	if root, err := filepath.Abs(".."); err == nil {
		initialStatus, _ = gitStatus(root)
	}
}

func gitStatus(root string) (string, error) {
	cmd := exec.Command("git", "status", "--porcelain")
	cmd.Dir = root
	out, err := cmd.Output()
	return string(out), err
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{"..."}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// esbenchCall is one esbench invocation named in the documentation.
type esbenchCall struct {
	where string
	args  []string
}

var inlineCode = regexp.MustCompile("`([^`]+)`")

// shellWords splits a command line into words, honouring quotes roughly
// (enough for flags: quoted values are never flags).
func shellWords(s string) []string {
	var out []string
	var cur strings.Builder
	var quote rune
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	for _, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote = r
		case r == ' ' || r == '\t':
			flush()
		case r == '#' && cur.Len() == 0:
			flush()
			return out
		case r == ';' || r == '|' || r == '&' || r == '(' || r == ')':
			flush()
			out = append(out, string(r))
		default:
			cur.WriteRune(r)
		}
	}
	flush()
	return out
}

// callsIn finds the esbench invocations in one logical command line.
func callsIn(where, line string) []esbenchCall {
	words := shellWords(line)
	var calls []esbenchCall
	for i, w := range words {
		if filepath.Base(w) != "esbench" || i+1 >= len(words) {
			continue
		}
		var args []string
		for _, a := range words[i+1:] {
			if a == ";" || a == "|" || a == "&" || a == ")" || a == ">" || strings.HasPrefix(a, ">") {
				break
			}
			args = append(args, strings.Trim(a, "[]"))
		}
		if len(args) > 0 && args[0] != "" && !strings.HasPrefix(args[0], "-") && regexp.MustCompile(`^[a-z]+$`).MatchString(args[0]) {
			calls = append(calls, esbenchCall{where: where, args: args})
		}
	}
	return calls
}

// documentedCalls gathers esbench invocations from every shell block
// (runnable or not; continuation lines joined) and from inline code spans.
func documentedCalls(blocks []block, prose map[string]map[int]string) []esbenchCall {
	var calls []esbenchCall
	for _, b := range blocks {
		if !b.shell() {
			continue
		}
		var logical strings.Builder
		start := 0
		for k, l := range b.body {
			if logical.Len() == 0 {
				start = b.line + 1 + k
			}
			if s, ok := strings.CutSuffix(l, "\\"); ok {
				logical.WriteString(s + " ")
				continue
			}
			logical.WriteString(l)
			calls = append(calls, callsIn(fmt.Sprintf("%s:%d", b.file, start), logical.String())...)
			logical.Reset()
		}
	}
	for file, lines := range prose {
		for n, l := range lines {
			for _, m := range inlineCode.FindAllStringSubmatch(l, -1) {
				if strings.HasPrefix(m[1], "esbench ") {
					calls = append(calls, callsIn(fmt.Sprintf("%s:%d", file, n), m[1])...)
				}
			}
		}
	}
	return calls
}

var (
	helpFlag = regexp.MustCompile(`(?m)^\s+(?:-\w, )?--([a-z0-9][a-z0-9-]*)`)
	helpCmds = regexp.MustCompile(`(?m)^  ([a-z][a-z0-9-]*) +\S`)
)

// commandHelp is what `esbench PATH... --help` says.
type commandHelp struct {
	flags map[string]bool
	subs  map[string]bool
}

// readHelp runs `esbench PATH... --help` and reads the flags and
// subcommands it lists.
func readHelp(bin string, path []string) (*commandHelp, error) {
	out, err := exec.Command(bin, append(path, "--help")...).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("esbench %s --help: %v\n%s", strings.Join(path, " "), err, out)
	}
	h := &commandHelp{flags: map[string]bool{}, subs: map[string]bool{}}
	text := string(out)
	// Flags and subcommands are listed after "Usage:"; the long description
	// before it may quote examples.
	if _, rest, ok := strings.Cut(text, "Usage:"); ok {
		text = rest
	}
	if _, cmds, ok := strings.Cut(text, "Available Commands:"); ok {
		cmds, _, _ = strings.Cut(cmds, "\n\n")
		for _, m := range helpCmds.FindAllStringSubmatch(cmds, -1) {
			h.subs[m[1]] = true
		}
	}
	for _, m := range helpFlag.FindAllStringSubmatch(text, -1) {
		h.flags[m[1]] = true
	}
	return h, nil
}

// TestDocumentedFlagsExist checks that every esbench command quoted in
// README.md and docs/*.md names a real command and only flags that command
// has, whether or not the block is runnable.
func TestDocumentedFlagsExist(t *testing.T) {
	root := repoRoot(t)
	blocks, prose := allBlocks(t, root)
	calls := documentedCalls(blocks, prose)
	if len(calls) < 10 {
		t.Fatalf("found only %d esbench commands in the documentation; the parser is broken", len(calls))
	}
	bin := filepath.Join(esbenchBin(t, root), "esbench")
	helps := map[string]*commandHelp{}
	help := func(path []string) (*commandHelp, error) {
		key := strings.Join(path, " ")
		if h, ok := helps[key]; ok {
			return h, nil
		}
		h, err := readHelp(bin, path)
		if err == nil {
			helps[key] = h
		}
		return h, err
	}
	root0, err := help(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range calls {
		if !root0.subs[c.args[0]] {
			t.Errorf("%s: esbench %s: no such command (esbench has %s)", c.where, c.args[0], strings.Join(sortedKeys(root0.subs), ", "))
			continue
		}
		path := []string{c.args[0]}
		h, err := help(path)
		if err != nil {
			t.Errorf("%s: %v", c.where, err)
			continue
		}
		rest := c.args[1:]
		for len(rest) > 0 && h.subs[rest[0]] {
			path = append(path, rest[0])
			rest = rest[1:]
			if h, err = help(path); err != nil {
				t.Errorf("%s: %v", c.where, err)
				break
			}
		}
		if h == nil {
			continue
		}
		for _, a := range rest {
			name, ok := strings.CutPrefix(a, "--")
			if !ok || name == "" {
				continue
			}
			name, _, _ = strings.Cut(name, "=")
			if !h.flags[name] {
				t.Errorf("%s: esbench %s has no flag --%s", c.where, strings.Join(path, " "), name)
			}
		}
	}
}

// notFlags are --words the documentation quotes that are deliberately not
// esbench flags.
var notFlags = map[string]string{
	"calibrate": "docs/plan.md says plan has no --calibrate option",
	"flag":      "docs/contributing.md's placeholder for any flag",
}

var proseFlag = regexp.MustCompile(`(?:^|[\s(\[])--([a-z][a-z0-9-]*)`)

// TestProseFlagsExist checks every --flag quoted in inline code anywhere in
// README.md and docs/*.md (such as "--store pebble" in a sentence) is a flag
// of some esbench command, so a flag that was renamed or never existed
// (--workload on run, --preset) cannot linger in the prose.
func TestProseFlagsExist(t *testing.T) {
	root := repoRoot(t)
	_, prose := allBlocks(t, root)
	bin := filepath.Join(esbenchBin(t, root), "esbench")
	known := map[string]bool{}
	var walk func(path []string)
	walk = func(path []string) {
		h, err := readHelp(bin, path)
		if err != nil {
			t.Fatal(err)
		}
		for f := range h.flags {
			known[f] = true
		}
		for sub := range h.subs {
			if sub != "help" && sub != "completion" {
				walk(append(slices.Clone(path), sub))
			}
		}
	}
	walk(nil)
	if !known["store"] || !known["threshold"] {
		t.Fatalf("flags read from --help look wrong (no --store or --threshold): %v", sortedKeys(known))
	}
	checked := 0
	for file, lines := range prose {
		for n, l := range lines {
			for _, code := range inlineCode.FindAllStringSubmatch(l, -1) {
				for _, m := range proseFlag.FindAllStringSubmatch(code[1], -1) {
					checked++
					if _, ok := notFlags[m[1]]; !ok && !known[m[1]] {
						t.Errorf("%s:%d: `%s` names --%s, which no esbench command has", file, n, code[1], m[1])
					}
				}
			}
		}
	}
	if checked < 20 {
		t.Fatalf("checked only %d flags in the prose; the parser is broken", checked)
	}
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestParseBlocks pins the marker convention the other tests rely on.
func TestParseBlocks(t *testing.T) {
	doc := "text `esbench run --rate 5`\n" +
		"```sh runnable timeout=30s\n" +
		"esbench run \\\n  --store memory\n" +
		"```\n" +
		"  ```sh\n  esbench compare A B --out x # note\n  ```\n" +
		"````markdown\n```sh runnable\nnot a block\n```\n````\n" +
		"```yaml\nrunnable: true\n```\n" +
		"```sh runnable cassandra\nesbench schema apply\n```\n"
	blocks, prose, err := parseBlocks("x.md", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) != 5 {
		t.Fatalf("got %d blocks, want 5: %+v", len(blocks), blocks)
	}
	if !blocks[4].runnable() || !blocks[4].needsCassandra() || blocks[0].needsCassandra() {
		t.Errorf("block 4 = %+v, want runnable and needing Cassandra (and block 0 not)", blocks[4])
	}
	if !blocks[0].runnable() || blocks[0].line != 2 || len(blocks[0].body) != 2 {
		t.Errorf("block 0 = %+v, want runnable at line 2 with 2 lines", blocks[0])
	}
	if d, err := blocks[0].timeout(); err != nil || d != 30*time.Second {
		t.Errorf("timeout = %v, %v; want 30s", d, err)
	}
	if blocks[1].runnable() || !blocks[1].shell() {
		t.Errorf("block 1 = %+v, want a shell block not marked runnable", blocks[1])
	}
	if blocks[2].runnable() || len(blocks[2].body) != 3 {
		t.Errorf("block 2 = %+v, want the 4-backtick block holding 3 lines, not runnable", blocks[2])
	}
	if blocks[3].runnable() {
		t.Errorf("a yaml block is never runnable")
	}
	calls := documentedCalls(blocks, map[string]map[int]string{"x.md": prose})
	var got []string
	for _, c := range calls {
		got = append(got, c.where+" "+strings.Join(c.args, " "))
	}
	slices.Sort(got)
	want := []string{"x.md:1 run --rate 5", "x.md:18 schema apply", "x.md:3 run --store memory", "x.md:7 compare A B --out x"}
	if !slices.Equal(got, want) {
		t.Errorf("calls = %q, want %q", got, want)
	}
	if _, err := (block{file: "x", info: []string{"sh", "runnable", "timeout=forever"}}).timeout(); err == nil {
		t.Error("timeout=forever accepted")
	}
}

var (
	designCite    = regexp.MustCompile(`design\.md\s*§\s*(\d+)`)
	designHeading = regexp.MustCompile(`(?m)^## (\d+)\. `)
	outsideDesign = regexp.MustCompile(`\bDESIGN(\.md)?\s*§|\bDESIGN\.md\b`)
)

// TestDesignCitations checks that every "design.md §N" cited in the
// repository's code, scripts and docs names a section docs/design.md has,
// and that nothing cites the DESIGN.md outside the repository.
func TestDesignCitations(t *testing.T) {
	root := repoRoot(t)
	design, err := os.ReadFile(filepath.Join(root, "docs", "design.md"))
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string]bool{}
	for _, m := range designHeading.FindAllStringSubmatch(string(design), -1) {
		sections[m[1]] = true
	}
	if len(sections) < 9 {
		t.Fatalf("docs/design.md has %d numbered sections (## N. Title), want at least the 9 core ones", len(sections))
	}
	cmd := exec.Command("git", "ls-files")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Skipf("not a git checkout (%v): cannot list the files to check", err)
	}
	cites := 0
	for _, f := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		switch filepath.Ext(f) {
		case ".go", ".md", ".sh", ".yaml", ".yml", ".proto":
		default:
			if filepath.Base(f) != "Makefile" {
				continue
			}
		}
		if f == "docs/commands_test.go" {
			continue // this test's own patterns and messages
		}
		data, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			continue // listed but deleted in the work tree
		}
		for i, line := range strings.Split(string(data), "\n") {
			for _, m := range designCite.FindAllStringSubmatch(line, -1) {
				cites++
				if !sections[m[1]] {
					t.Errorf("%s:%d: cites design.md §%s, which docs/design.md does not have (sections %v)", f, i+1, m[1], sortedKeys(sections))
				}
			}
			if outsideDesign.MatchString(line) {
				t.Errorf("%s:%d: cites DESIGN.md, which is not in this repository; cite docs/design.md §N", f, i+1)
			}
		}
	}
	if cites < 3 {
		t.Fatalf("found only %d citations of design.md; the search is broken", cites)
	}
}

// TestLicences checks the project's licence file and that the vendored
// Chart.js, inlined into every report.html, keeps its MIT notice: the
// banner in the script itself and its licence file beside it.
func TestLicences(t *testing.T) {
	root := repoRoot(t)
	lic, err := os.ReadFile(filepath.Join(root, "LICENSE"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(lic, []byte("Apache License")) || !bytes.Contains(lic, []byte("Version 2.0, January 2004")) {
		t.Error("LICENSE is not the Apache License 2.0 text")
	}
	cmd := exec.Command("git", "ls-files", "*chart.umd.min.js")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Skipf("not a git checkout (%v)", err)
	}
	charts := strings.Fields(string(out))
	if len(charts) == 0 {
		t.Fatal("no vendored chart.umd.min.js found; if Chart.js was removed, remove this check and its licence note together")
	}
	for _, c := range charts {
		js, err := os.ReadFile(filepath.Join(root, c))
		if err != nil {
			t.Fatal(err)
		}
		if head := js[:min(len(js), 300)]; !bytes.Contains(head, []byte("Released under the MIT License")) {
			t.Errorf("%s lost its licence banner: %q", c, head)
		}
		note, err := os.ReadFile(filepath.Join(root, filepath.Dir(c), "LICENSE.chartjs.md"))
		if err != nil {
			t.Errorf("%s: its licence file is missing: %v", c, err)
		} else if !bytes.Contains(note, []byte("The MIT License")) || !bytes.Contains(note, []byte("Chart.js Contributors")) {
			t.Errorf("%s: LICENSE.chartjs.md is not Chart.js's MIT licence", c)
		}
	}
}

var readmeCommand = regexp.MustCompile("(?m)^\\| `esbench ([a-z]+)")

// TestReadmeListsEveryCommand checks the README's command table names
// every command esbench has, and no command it lacks.
func TestReadmeListsEveryCommand(t *testing.T) {
	root := repoRoot(t)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, m := range readmeCommand.FindAllStringSubmatch(string(readme), -1) {
		listed[m[1]] = true
	}
	h, err := readHelp(filepath.Join(esbenchBin(t, root), "esbench"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.subs) < 5 {
		t.Fatalf("esbench --help lists %d commands; the help reader is broken", len(h.subs))
	}
	for sub := range h.subs {
		if sub != "help" && sub != "completion" && !listed[sub] {
			t.Errorf("README.md's command table does not list `esbench %s`", sub)
		}
	}
	for sub := range listed {
		if !h.subs[sub] {
			t.Errorf("README.md's command table lists `esbench %s`, which esbench does not have", sub)
		}
	}
}

var (
	mdLink    = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	mdHeading = regexp.MustCompile(`^#{1,6}\s+(.+?)\s*#*\s*$`)
)

// anchorOf is GitHub's anchor for a heading: lower case, punctuation other
// than '-' and '_' dropped, spaces made dashes.
func anchorOf(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// TestLinksResolve checks every relative link in README.md and docs/*.md
// names a file or directory of the repository, and every #anchor a heading
// of the linked document.
func TestLinksResolve(t *testing.T) {
	root := repoRoot(t)
	anchors := map[string]map[string]bool{}
	anchorsOf := func(path string) (map[string]bool, error) {
		if a, ok := anchors[path]; ok {
			return a, nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		_, prose, err := parseBlocks(path, data)
		if err != nil {
			return nil, err
		}
		a := map[string]bool{}
		for _, l := range prose {
			if m := mdHeading.FindStringSubmatch(l); m != nil {
				a[anchorOf(strings.ReplaceAll(m[1], "`", ""))] = true
			}
		}
		anchors[path] = a
		return a, nil
	}
	links := 0
	for _, f := range docFiles(t, root) {
		_, prose := allBlocksOf(t, root, f)
		for n, l := range prose {
			for _, m := range mdLink.FindAllStringSubmatch(l, -1) {
				target := m[1]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				links++
				file, anchor, _ := strings.Cut(target, "#")
				path := filepath.Join(root, f)
				if file != "" {
					path = filepath.Join(root, filepath.Dir(f), file)
					if _, err := os.Stat(path); err != nil {
						t.Errorf("%s:%d: link %s: %v", f, n, target, err)
						continue
					}
				}
				if anchor == "" {
					continue
				}
				a, err := anchorsOf(path)
				if err != nil {
					t.Errorf("%s:%d: link %s: %v", f, n, target, err)
					continue
				}
				if !a[anchor] {
					t.Errorf("%s:%d: link %s: no heading with anchor #%s", f, n, target, anchor)
				}
			}
		}
	}
	if links < 10 {
		t.Fatalf("found only %d relative links; the parser is broken", links)
	}
}

func allBlocksOf(t *testing.T, root, f string) ([]block, map[int]string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, f))
	if err != nil {
		t.Fatal(err)
	}
	bs, p, err := parseBlocks(f, data)
	if err != nil {
		t.Fatal(err)
	}
	return bs, p
}
