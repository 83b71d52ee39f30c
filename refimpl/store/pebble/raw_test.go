package pebble

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	cpebble "github.com/cockroachdb/pebble/v2"
)

// TestRawIngestBaseline is the yardstick of docs/benchmarks.md: it copies
// every key and value of an existing store (a preloaded dataset, named by
// ESBENCH_RAW_INGEST_FROM) into a new database with a plain loop of write
// batches, as fast as pebble takes them, so the preload's rate can be set
// beside the raw write rate of the same bytes on the same machine.
func TestRawIngestBaseline(t *testing.T) {
	from := os.Getenv("ESBENCH_RAW_INGEST_FROM")
	if from == "" {
		t.Skip("set ESBENCH_RAW_INGEST_FROM to a dataset directory to measure the raw ingest rate")
	}
	src, err := cpebble.Open(filepath.Join(from, "hot"), &cpebble.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := cpebble.Open(filepath.Join(t.TempDir(), "hot"), &cpebble.Options{FormatMajorVersion: cpebble.FormatNewest})
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	it, err := src.NewIter(nil)
	if err != nil {
		t.Fatal(err)
	}
	// The keys in the order the preload decides them would be customer by
	// customer; the source's order is sorted, which favours the raw loop.
	var (
		kvs, events, bytes int64
		b                  = dst.NewBatch()
	)
	start := time.Now()
	for ok := it.First(); ok; ok = it.Next() {
		k, v := it.Key(), it.Value()
		if k[0] == kindEvent {
			events++
		}
		kvs++
		bytes += int64(len(k) + len(v))
		if err := b.Set(k, v, nil); err != nil {
			t.Fatal(err)
		}
		if b.Count() >= 1000 {
			if err := b.Commit(cpebble.NoSync); err != nil {
				t.Fatal(err)
			}
			b = dst.NewBatch()
		}
	}
	if err := b.Commit(cpebble.Sync); err != nil {
		t.Fatal(err)
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	if err := dst.Flush(); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	t.Logf("raw batch ingest of %s: %d keys (%d events), %.1f MB in %v: %.0f events/s, %.1f MB/s",
		from, kvs, events, float64(bytes)/1e6, took.Round(time.Millisecond), float64(events)/took.Seconds(), float64(bytes)/1e6/took.Seconds())
}
