package dataset

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// ErrTampered is returned (wrapped) when a dataset's files are not those
// its manifest lists.
var ErrTampered = errors.New("dataset files differ from its manifest")

// TableSum is one table file of a dataset: its path inside the dataset's
// directory (slash-separated), size and CRC-32C (Castagnoli) of its bytes.
type TableSum struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	CRC32C string `json:"crc32c"`
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// tableFiles lists the table files (*.sst) under dir, runs' checkpoints
// excluded, sorted by path.
func tableFiles(dir string) ([]TableSum, error) {
	var out []TableSum
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		if d.IsDir() {
			if rel == RunsDir {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".sst") {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		out = append(out, TableSum{Path: filepath.ToSlash(rel), Size: info.Size()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("dataset: listing the tables of %s: %w", dir, err)
	}
	slices.SortFunc(out, func(a, b TableSum) int { return strings.Compare(a.Path, b.Path) })
	return out, nil
}

func fileCRC(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := crc32.New(castagnoli)
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return strconv.FormatUint(uint64(h.Sum32()), 16), nil
}

// Sum records the table files of the dataset in dir in m, each with its
// checksum: every byte of every table is read once. The dataset must be
// closed and flushed (its write-ahead logs empty), so that opening it
// again to checkpoint it changes no table.
func (m *Manifest) Sum(dir string) error {
	tables, err := tableFiles(dir)
	if err != nil {
		return err
	}
	for i := range tables {
		sum, err := fileCRC(filepath.Join(dir, filepath.FromSlash(tables[i].Path)))
		if err != nil {
			return fmt.Errorf("dataset: checksum of %s: %w", tables[i].Path, err)
		}
		tables[i].CRC32C = sum
	}
	m.Tables, m.TablesChecksum = tables, listChecksum(tables)
	return nil
}

// Bytes is the total size of the tables m lists.
func (m *Manifest) Bytes() int64 {
	var n int64
	for _, t := range m.Tables {
		n += t.Size
	}
	return n
}

func listChecksum(tables []TableSum) string {
	h := sha256.New()
	for _, t := range tables {
		fmt.Fprintf(h, "%s\x00%d\x00%s\n", t.Path, t.Size, t.CRC32C)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Verify checks the dataset in dir against m, cheaply: the manifest's table
// list against its own checksum, the table files present against the list
// (the same paths, none missing, none added, each of its size), and the
// bytes of up to sample tables picked at random against their CRC-32C.
// Pebble checks every block it reads against the block's own checksum, so
// a run still notices damage inside a table not sampled when it reads it.
// It returns the number of tables whose bytes it checked.
func (m *Manifest) Verify(dir string, sample int) (int, error) {
	fail := func(format string, args ...any) (int, error) {
		return 0, fmt.Errorf("%w: %s: %s", ErrTampered, dir, fmt.Sprintf(format, args...))
	}
	if len(m.Tables) == 0 {
		return fail("the manifest lists no tables")
	}
	if listChecksum(m.Tables) != m.TablesChecksum {
		return fail("the manifest's table list does not match its checksum %s", m.TablesChecksum)
	}
	have, err := tableFiles(dir)
	if err != nil {
		return 0, err
	}
	want := map[string]TableSum{}
	for _, t := range m.Tables {
		want[t.Path] = t
	}
	var problems []string
	for _, t := range have {
		w, ok := want[t.Path]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("table %s is not the dataset's", t.Path))
		case w.Size != t.Size:
			problems = append(problems, fmt.Sprintf("table %s has %d bytes, the manifest says %d", t.Path, t.Size, w.Size))
		}
		delete(want, t.Path)
	}
	for _, p := range slices.Sorted(maps.Keys(want)) {
		problems = append(problems, fmt.Sprintf("table %s is missing", p))
	}
	if len(problems) > 0 {
		if len(problems) > 5 {
			problems = append(problems[:5], fmt.Sprintf("and %d more", len(problems)-5))
		}
		return fail("%s", strings.Join(problems, "; "))
	}
	n := min(sample, len(m.Tables))
	for _, i := range rand.Perm(len(m.Tables))[:n] {
		t := m.Tables[i]
		sum, err := fileCRC(filepath.Join(dir, filepath.FromSlash(t.Path)))
		if err != nil {
			return 0, fmt.Errorf("dataset: checksum of %s: %w", t.Path, err)
		}
		if sum != t.CRC32C {
			return fail("table %s has CRC-32C %s, the manifest says %s", t.Path, sum, t.CRC32C)
		}
	}
	return n, nil
}
