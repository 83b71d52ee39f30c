package sqlitestore_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestExtendingExcerpts keeps docs/extending.md true: every Go block there
// whose first line names a file of the repository (// examples/...) must
// appear verbatim in that file.
func TestExtendingExcerpts(t *testing.T) {
	root := filepath.Join("..", "..")
	doc, err := os.ReadFile(filepath.Join(root, "docs", "extending.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```go\n// ([a-z0-9_/.]+\\.go)\n(.*?)```").FindAllStringSubmatch(string(doc), -1)
	if len(blocks) < 4 {
		t.Fatalf("found %d Go excerpts naming their file in docs/extending.md, want at least 4", len(blocks))
	}
	for _, b := range blocks {
		src, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(b[1])))
		if err != nil {
			t.Errorf("excerpt of %s: %v", b[1], err)
			continue
		}
		if !strings.Contains(string(src), b[2]) {
			t.Errorf("docs/extending.md quotes %s, but the file no longer holds:\n%s", b[1], b[2])
		}
	}
}
