package dataset

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestVerify: a dataset whose tables are those its manifest lists passes;
// each kind of difference is refused with ErrTampered, naming it; runs'
// checkpoints and non-table files are not the dataset's tables.
func TestVerify(t *testing.T) {
	write := func(t *testing.T, dir, rel, body string) {
		t.Helper()
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	build := func(t *testing.T) (string, *Manifest) {
		dir := t.TempDir()
		write(t, dir, "hot/000001.sst", "alpha")
		write(t, dir, "hot/000002.sst", "beta")
		write(t, dir, "cold/000003.sst", "gamma")
		write(t, dir, "hot/MANIFEST-000004", "changes on every open")
		write(t, dir, "runs/x/hot/000001.sst", "a checkpoint's")
		m := &Manifest{}
		if err := m.Sum(dir); err != nil {
			t.Fatal(err)
		}
		return dir, m
	}
	dir, m := build(t)
	if len(m.Tables) != 3 || m.Bytes() != 14 || m.TablesChecksum == "" {
		t.Fatalf("Sum recorded %+v (%d bytes), want the 3 tables outside runs/, 14 bytes", m.Tables, m.Bytes())
	}
	if n, err := m.Verify(dir, 2); err != nil || n != 2 {
		t.Fatalf("Verify of an untouched dataset = %d, %v; want 2 tables checked, nil", n, err)
	}
	tests := []struct {
		name   string
		tamper func(dir string, m *Manifest)
		want   string
	}{
		{"byte changed", func(dir string, _ *Manifest) { write(t, dir, "hot/000002.sst", "bxta") }, "table hot/000002.sst has CRC-32C"},
		{"size changed", func(dir string, _ *Manifest) { write(t, dir, "cold/000003.sst", "gammas") }, "table cold/000003.sst has 6 bytes, the manifest says 5"},
		{"removed", func(dir string, _ *Manifest) { _ = os.Remove(filepath.Join(dir, "hot", "000001.sst")) }, "table hot/000001.sst is missing"},
		{"added", func(dir string, _ *Manifest) { write(t, dir, "hot/000009.sst", "new") }, "table hot/000009.sst is not the dataset's"},
		{"list edited", func(_ string, m *Manifest) { m.Tables[0].CRC32C = "0" }, "does not match its checksum"},
		{"no tables", func(_ string, m *Manifest) { m.Tables = nil }, "lists no tables"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir, m := build(t)
			tc.tamper(dir, m)
			_, err := m.Verify(dir, len(m.Tables))
			if !errors.Is(err, ErrTampered) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Verify = %v, want ErrTampered saying %q", err, tc.want)
			}
		})
	}
}
