package codecs

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/esbench/esbench/refimpl/domain"
)

func environment() Env {
	return Env{Go: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH, CPUs: runtime.NumCPU(),
		GOMAXPROCS: runtime.GOMAXPROCS(0), CPU: cpuModel(), Date: time.Now().UTC().Format(time.RFC3339)}
}

// cpuModel reads the CPU model name on Linux; elsewhere it is empty.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// Result file names in a results directory.
const (
	FileJSON          = "codecs.json"
	FileMarkdown      = "codecs.md"
	FileEvolution     = "evolution.md"
	FileEvolutionJSON = "evolution.json"
)

// WriteDir writes the results directory: codecs.json (everything, the
// source of truth), codecs.md (the tables), evolution.md and
// evolution.json (the schema evolution matrix).
func WriteDir(dir string, r *Results) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("codecs: results directory: %w", err)
	}
	write := func(name string, data []byte) error {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return fmt.Errorf("codecs: %w", err)
		}
		return nil
	}
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("codecs: %w", err)
	}
	evo, err := json.MarshalIndent(r.Evolution, "", "  ")
	if err != nil {
		return fmt.Errorf("codecs: %w", err)
	}
	var md strings.Builder
	if err := WriteMarkdown(&md, r); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		data []byte
	}{
		{FileJSON, append(js, '\n')},
		{FileMarkdown, []byte(md.String())},
		{FileEvolution, []byte("# Schema evolution matrix\n\n" + r.Evolution.Markdown())},
		{FileEvolutionJSON, append(evo, '\n')},
	} {
		if err := write(f.name, f.data); err != nil {
			return err
		}
	}
	return nil
}

// largestAccount returns the name of the account snapshot with the longest
// history.
func largestAccount(r *Results) string {
	best, hist := "", -1
	for _, s := range r.Snapshots {
		var h int
		if _, err := fmt.Sscanf(s.Snapshot, domain.TypeAccount+"@%d", &h); err == nil && h > hist {
			best, hist = s.Snapshot, h
		}
	}
	return best
}

func (r *Results) snapshot(codecID, name string) (SnapshotCost, bool) {
	for _, s := range r.Snapshots {
		if s.Codec == codecID && s.Snapshot == name {
			return s, true
		}
	}
	return SnapshotCost{}, false
}

func (r *Results) inSitu(codecID string) (InSitu, bool) {
	for _, is := range r.InSitu {
		if is.Codec == codecID {
			return is, true
		}
	}
	return InSitu{}, false
}

func (r *Results) batch(codecID string) (BatchCost, bool) {
	for _, b := range r.Batches {
		if b.Codec == codecID {
			return b, true
		}
	}
	return BatchCost{}, false
}

func compressedBy(cs []Compressed, id string) (Compressed, bool) {
	for _, c := range cs {
		if c.Compressor == id {
			return c, true
		}
	}
	return Compressed{}, false
}

// summaryRows is the main table: one row per codec.
func summaryRows(r *Results) (header []string, rows [][]string) {
	snap := largestAccount(r)
	header = []string{"codec", "enc ns/ev", "dec ns/ev", "enc allocs", "dec allocs", "owned dec ns/ev", "owned dec allocs", "B/ev", "batch zstd B/ev",
		"replay ns/ev", "load ns/ev", "snap B " + snap, "snap zstd B", "snap enc µs", "snap dec µs"}
	for _, t := range r.Totals {
		row := []string{t.Codec, f0(t.Encode.Ns), f0(t.Decode.Ns), f1(t.Encode.Allocs), f1(t.Decode.Allocs),
			f0(t.DecodeOwned.Ns), f1(t.DecodeOwned.Allocs), f1(t.BytesPerEvent)}
		if b, ok := r.batch(t.Codec); ok {
			if z, ok := compressedBy(b.Compressed, "zstd"); ok {
				row = append(row, f1(z.Bytes))
			} else {
				row = append(row, "-")
			}
		} else {
			row = append(row, "-")
		}
		row = append(row, f0(t.Replay.Ns))
		if is, ok := r.inSitu(t.Codec); ok {
			row = append(row, f0(is.TotalNs))
		} else {
			row = append(row, "-")
		}
		if s, ok := r.snapshot(t.Codec, snap); ok {
			z := "-"
			if c, ok := compressedBy(s.Compressed, "zstd"); ok {
				z = f0(c.Bytes)
			}
			row = append(row, fmt.Sprint(s.Bytes), z, f1(s.Encode.Ns/1e3), f1(s.Decode.Ns/1e3))
		} else {
			row = append(row, "-", "-", "-", "-")
		}
		rows = append(rows, row)
	}
	return header, rows
}

// WriteTable prints the main table for a terminal.
func WriteTable(w io.Writer, r *Results) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	header, rows := summaryRows(r)
	fmt.Fprintln(tw, strings.Join(header, "\t")+"\t")
	for _, row := range rows {
		fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if r.Flatbuf != nil {
		_, err := fmt.Fprintf(w, "flatbuf DownloadGranted: read one field %.0f ns, decode all %.0f ns (protobuf decode all %.0f ns)\n",
			r.Flatbuf.ReadOneField.Ns, r.Flatbuf.DecodeAll.Ns, r.Flatbuf.ProtobufDecode.Ns)
		return err
	}
	return nil
}

func mdTable(b *strings.Builder, header []string, rows [][]string) {
	b.WriteString("| " + strings.Join(header, " | ") + " |\n|")
	for range header {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, row := range rows {
		b.WriteString("| " + strings.Join(row, " | ") + " |\n")
	}
}

// WriteMarkdown writes codecs.md: the summary, per-type costs, snapshots,
// compression and the evolution matrix.
func WriteMarkdown(w io.Writer, r *Results) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Codec matrix\n\n%s %s/%s, %d CPUs (GOMAXPROCS %d) %s, %s.\n", r.Env.Go, r.Env.OS, r.Env.Arch,
		r.Env.CPUs, r.Env.GOMAXPROCS, r.Env.CPU, r.Env.Date)
	fmt.Fprintf(&b, "Corpus: seed %d, %d events from the preload histories of %d customers of the default workload; "+
		"replay over an account stream of %d events; %s per measurement.\n\n",
		r.Corpus.Seed, r.CorpusEvents, r.Corpus.Customers, r.ReplayEvents, time.Duration(r.BudgetNs))
	b.WriteString("## Per event (corpus mix) and snapshots\n\n")
	b.WriteString("ns and allocations per event are weighted by each type's share of the corpus; decode includes allocating " +
		"the value; owned decode is decode of a payload handed over to the value, as a load decodes a stored record " +
		"(strings point into the payload where the codec can); replay is decode through the registry plus Apply to the aggregate; load is the same account " +
		"loaded through the harness's service system (repository, registry, aggregate) from an in-memory store, " +
		"no snapshots.\n\n")
	header, rows := summaryRows(r)
	mdTable(&b, header, rows)
	if r.Flatbuf != nil {
		fmt.Fprintf(&b, "\nFlatBuffers, DownloadGranted: read one field in place %.0f ns; decode everything %.0f ns "+
			"(protobuf decode everything %.0f ns).\n", r.Flatbuf.ReadOneField.Ns, r.Flatbuf.DecodeAll.Ns, r.Flatbuf.ProtobufDecode.Ns)
	}

	if len(r.InSitu) > 0 {
		fmt.Fprintf(&b, "\n## In-situ load of a %d-event account (ns per event, median of the loads)\n\n", r.InSitu[0].Events)
		rows = nil
		for _, is := range r.InSitu {
			rows = append(rows, []string{is.Codec, fmt.Sprint(is.StoredBytes), fmt.Sprint(is.Loads), f0(is.TotalNs), f0(is.ReadNs),
				f0(is.DecodeNs), f0(is.ApplyNs)})
		}
		mdTable(&b, []string{"codec", "stored bytes", "loads", "total", "event read", "decode", "apply"}, rows)
	}

	b.WriteString("\n## Corpus\n\n| type | events | share |\n|---|---|---|\n")
	for _, t := range typesByCount(r.CorpusCounts) {
		fmt.Fprintf(&b, "| %s | %d | %.1f%% |\n", t, r.CorpusCounts[t], 100*float64(r.CorpusCounts[t])/float64(r.CorpusEvents))
	}

	b.WriteString("\n## Per event type\n\n")
	rows = nil
	for _, e := range r.Events {
		rows = append(rows, []string{e.Codec, e.Type, f1(e.Bytes), f0(e.Encode.Ns), f0(e.Decode.Ns), f1(e.Encode.Allocs),
			f1(e.Decode.Allocs), f0(e.Encode.AllocBytes), f0(e.Decode.AllocBytes), f0(e.DecodeOwned.Ns), f1(e.DecodeOwned.Allocs)})
	}
	mdTable(&b, []string{"codec", "type", "bytes", "enc ns", "dec ns", "enc allocs", "dec allocs", "enc B alloc", "dec B alloc",
		"owned dec ns", "owned dec allocs"}, rows)

	b.WriteString("\n## Snapshots\n\n")
	rows = nil
	for _, s := range r.Snapshots {
		row := []string{s.Codec, s.Snapshot, fmt.Sprint(s.Bytes), f1(s.Encode.Ns / 1e3), f1(s.Decode.Ns / 1e3), f1(s.Decode.Allocs)}
		for _, c := range s.Compressed {
			row = append(row, fmt.Sprintf("%s %.0f B (+%.1f/%.1f µs)", c.Compressor, c.Bytes, c.Compress.Ns/1e3, c.Decompress.Ns/1e3))
		}
		rows = append(rows, row)
	}
	h := []string{"codec", "snapshot", "bytes", "enc µs", "dec µs", "dec allocs"}
	if len(r.Snapshots) > 0 {
		for range r.Snapshots[0].Compressed {
			h = append(h, "compressed (+compress/decompress)")
		}
	}
	mdTable(&b, h, rows)

	if len(r.Batches) > 0 {
		fmt.Fprintf(&b, "\n## Batches of %d events, per event\n\n", r.Batches[0].BatchSize)
		rows = nil
		for _, bc := range r.Batches {
			row := []string{bc.Codec, f1(bc.Raw)}
			for _, c := range bc.Compressed {
				row = append(row, fmt.Sprintf("%s %.1f B (+%.0f/%.0f ns)", c.Compressor, c.Bytes, c.Compress.Ns, c.Decompress.Ns))
			}
			rows = append(rows, row)
		}
		h := []string{"codec", "raw B/ev"}
		for range r.Batches[0].Compressed {
			h = append(h, "compressed B/ev (+compress/decompress ns/ev)")
		}
		mdTable(&b, h, rows)
	}

	b.WriteString("\n## Schema evolution\n\n")
	b.WriteString(r.Evolution.Markdown())
	_, err := io.WriteString(w, b.String())
	return err
}

func typesByCount(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for t := range m {
		out = append(out, t)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && (m[out[j]] > m[out[j-1]] || m[out[j]] == m[out[j-1]] && out[j] < out[j-1]); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func f0(v float64) string { return fmt.Sprintf("%.0f", v) }
func f1(v float64) string { return fmt.Sprintf("%.1f", v) }
