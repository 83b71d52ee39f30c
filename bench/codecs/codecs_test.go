package codecs

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/esbench/esbench/refimpl/codec"
	"github.com/esbench/esbench/refimpl/codec/catalog"
	"github.com/esbench/esbench/refimpl/codec/evolution"
)

// Every codec, and every codec behind every compressor (catalog.All has
// both), round-trips the whole corpus: all events and all snapshots.
func TestEveryCodecRoundTripsTheCorpus(t *testing.T) {
	c := testCorpus(t)
	all, err := catalog.All()
	if err != nil {
		t.Fatal(err)
	}
	for _, cd := range all {
		t.Run(cd.ID(), func(t *testing.T) {
			if err := RoundTrip(cd, c); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// RoundTrip must notice a codec that loses a value.
func TestRoundTripDetectsLoss(t *testing.T) {
	if err := RoundTrip(lossy{codec.JSON{}}, testCorpus(t)); err == nil || !strings.Contains(err.Error(), "changed") {
		t.Fatalf("RoundTrip of a lossy codec = %v, want a changed-value error", err)
	}
}

// lossy is JSON whose decoder changes the first string starting with "c"
// (a customer id) to start with "x".
type lossy struct{ codec.Codec }

func (l lossy) Unmarshal(data []byte, v any) error {
	if err := l.Codec.Unmarshal(data, v); err != nil {
		return err
	}
	return l.Codec.Unmarshal(bytes.Replace(data, []byte(`"c`), []byte(`"x`), 1), v)
}

func TestMeasureAndWriteDir(t *testing.T) {
	c := testCorpus(t)
	opts := DefaultOptions()
	opts.Budget = time.Millisecond
	opts.Codecs = []string{"flatbuf", "binary"}
	res, err := Measure(context.Background(), c, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Totals) != 2 || res.Totals[0].Codec != "flatbuf" || res.Totals[1].Codec != "binary" {
		t.Fatalf("totals %+v", res.Totals)
	}
	types := len(c.Types())
	if len(res.Events) != 2*types {
		t.Fatalf("%d event rows, want %d", len(res.Events), 2*types)
	}
	for _, tot := range res.Totals {
		if tot.Encode.Ns <= 0 || tot.Decode.Ns <= 0 || tot.Replay.Ns <= 0 || tot.BytesPerEvent < 10 {
			t.Errorf("implausible total %+v", tot)
		}
		// Both decode without copying a handed-over payload: the binary
		// codec saves its one string copy per event, FlatBuffers one per
		// string field; what is left is the value itself.
		if tot.DecodeOwned.Ns <= 0 || tot.DecodeOwned.Allocs >= tot.Decode.Allocs || tot.DecodeOwned.Allocs > 1.05 {
			t.Errorf("%s: owned decode %.2f allocs/event, copying decode %.2f; want fewer, at most one (the value)",
				tot.Codec, tot.DecodeOwned.Allocs, tot.Decode.Allocs)
		}
	}
	// Bytes per event is the corpus mean: recompute it from the payloads.
	var sum int
	fb, _ := catalog.Select([]string{"flatbuf"})
	for _, e := range c.Events {
		b, err := fb[0].Marshal(e.Value)
		if err != nil {
			t.Fatal(err)
		}
		sum += len(b)
	}
	if got, want := res.Totals[0].BytesPerEvent, float64(sum)/float64(len(c.Events)); got < want-0.01 || got > want+0.01 {
		t.Errorf("flatbuf bytes per event %.3f, want %.3f", got, want)
	}
	if len(res.Snapshots) != 2*len(c.Snapshots) {
		t.Errorf("%d snapshot rows, want %d", len(res.Snapshots), 2*len(c.Snapshots))
	}
	for _, s := range res.Snapshots {
		if len(s.Compressed) != 3 {
			t.Errorf("%s %s: %d compressed sizes", s.Codec, s.Snapshot, len(s.Compressed))
		}
		if strings.HasSuffix(s.Snapshot, "@1000") {
			if z, _ := compressedBy(s.Compressed, "zstd"); z.Bytes >= float64(s.Bytes) {
				t.Errorf("%s %s: zstd %v bytes from %d", s.Codec, s.Snapshot, z.Bytes, s.Bytes)
			}
		}
	}
	if len(res.InSitu) != 2 {
		t.Fatalf("in-situ rows %+v", res.InSitu)
	}
	for _, is := range res.InSitu {
		if is.Events != len(c.Replay) || is.Loads < 3 || is.DecodeNs <= 0 || is.TotalNs < is.DecodeNs || is.StoredBytes < 10*is.Events {
			t.Errorf("implausible in-situ load %+v", is)
		}
	}
	if res.Flatbuf == nil || res.Flatbuf.ReadOneField.Ns <= 0 {
		t.Errorf("no flatbuf field read: %+v", res.Flatbuf)
	}
	if len(res.Evolution.Cells) != len(catalog.IDs())*len(evolution.Cases()) {
		t.Errorf("evolution matrix has %d cells", len(res.Evolution.Cells))
	}

	dir := t.TempDir()
	if err := WriteDir(dir, res); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, FileJSON))
	if err != nil {
		t.Fatal(err)
	}
	var back Results
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if back.Schema != ResultsSchema || len(back.Totals) != 2 || back.CorpusEvents != len(c.Events) {
		t.Errorf("codecs.json read back as %+v", back.Totals)
	}
	md, err := os.ReadFile(filepath.Join(dir, FileMarkdown))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| flatbuf |", "| binary |", "DownloadGranted", "Schema evolution", "silent corruption", "read one field", "In-situ load"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("codecs.md lacks %q", want)
		}
	}
	evo, err := os.ReadFile(filepath.Join(dir, FileEvolution))
	if err != nil || !strings.Contains(string(evo), "| json |") {
		t.Errorf("evolution.md: %v\n%s", err, evo)
	}
	var table bytes.Buffer
	if err := WriteTable(&table, res); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table.String(), "flatbuf") || strings.Count(table.String(), "\n") < 3 {
		t.Errorf("table:\n%s", table.String())
	}
}

func TestMeasureRejectsUnknownCodec(t *testing.T) {
	opts := DefaultOptions()
	opts.Codecs = []string{"thrift"}
	if _, err := Measure(context.Background(), testCorpus(t), opts); err == nil || !strings.Contains(err.Error(), "thrift") {
		t.Fatalf("Measure(thrift) = %v", err)
	}
	opts = DefaultOptions()
	opts.Compressors = []string{"brotli"}
	if _, err := Measure(context.Background(), testCorpus(t), opts); err == nil || !strings.Contains(err.Error(), "brotli") {
		t.Fatalf("Measure(brotli) = %v", err)
	}
	if _, err := BuildCorpus(context.Background(), CorpusOptions{Seed: 1, Customers: 0}); err == nil {
		t.Fatal("BuildCorpus with 0 customers succeeded")
	}
	if _, err := BuildCorpus(context.Background(), CorpusOptions{Seed: 1, Customers: 1, Histories: []int{1}}); err == nil {
		t.Fatal("BuildCorpus with a 1-event history succeeded")
	}
}

// Every codec's stream loads through the harness's own service system, and
// the stored size is that codec's.
func TestInSituLoadEveryCodec(t *testing.T) {
	c := testCorpus(t)
	all, err := catalog.Base()
	if err != nil {
		t.Fatal(err)
	}
	sizes := map[string]int{}
	for _, cd := range all {
		is, err := MeasureInSitu(context.Background(), cd, c, 0)
		if err != nil {
			t.Fatalf("%s: %v", cd.ID(), err)
		}
		if is.Loads != 3 || is.Events != len(c.Replay) {
			t.Errorf("%s: %+v", cd.ID(), is)
		}
		sizes[cd.ID()] = is.StoredBytes
	}
	if sizes["binary"] >= sizes["json"] || sizes["protobuf"] != sizes["vtproto"] {
		t.Errorf("stored sizes %v: want binary < json and protobuf == vtproto", sizes)
	}
}
