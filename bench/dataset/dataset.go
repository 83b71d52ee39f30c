// Package dataset describes a preloaded dataset: a store (a pebble data
// directory) that esbench preload filled with a population's histories
// once, so that later runs of the same workload reuse it instead of
// preloading again. The manifest beside the data says which workload the
// histories belong to, whether the preload finished, and what it wrote; a
// run checks it and refuses a dataset made for another workload
// (docs/design.md §16).
package dataset

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/esbench/esbench/internal/buildinfo"
	"github.com/esbench/esbench/workload"
)

// File is the manifest's name inside the dataset's directory.
const File = "dataset.json"

// Format is the manifest layout version (2: table checksums).
const Format = 2

// RunsDir is where runs on a dataset keep their checkpoints, inside the
// dataset's directory (hard links need the same file system); its tables
// are not the dataset's.
const RunsDir = "runs"

// ErrMismatch is returned (wrapped) when a dataset was made for another
// workload than the one asked for.
var ErrMismatch = errors.New("dataset made for another workload")

// ErrIncomplete is returned (wrapped) when a dataset's preload has not
// finished.
var ErrIncomplete = errors.New("dataset preload not finished")

// Manifest describes one dataset.
type Manifest struct {
	Format int `json:"format"`
	// Esbench is the version and commit of the esbench that made it.
	Esbench string `json:"esbench"`
	// Store names the backend ("pebble" or "cassandra").
	Store string `json:"store"`
	// Location is where a dataset kept inside its store lives, as the store
	// describes it (the Cassandra keyspace and write mode): a run must open
	// the data the same way to see it. Empty for a pebble directory.
	Location string   `json:"location,omitempty"`
	Workload Identity `json:"workload"`
	// Fingerprint is the SHA-256 of Workload's JSON: two datasets with the
	// same fingerprint hold the same histories.
	Fingerprint string `json:"fingerprint"`
	// RangeSize is the customer numbers per preload range (the unit of
	// resumption).
	RangeSize uint64    `json:"range_size"`
	Created   time.Time `json:"created"`
	// Complete is set when every range is committed and the audit passed.
	Complete  bool      `json:"complete"`
	Completed time.Time `json:"completed,omitzero"`
	// Counts are what the preload sessions wrote, summed over sessions
	// when it was resumed.
	Counts Counts `json:"counts"`
	// Sessions counts the preload invocations it took (more than 1 after
	// an interruption).
	Sessions int `json:"sessions"`
	// Tables are the dataset's table files when it was completed, each
	// with its size and checksum (see Verify), and TablesChecksum the
	// SHA-256 of that list.
	Tables         []TableSum `json:"tables,omitempty"`
	TablesChecksum string     `json:"tables_checksum,omitempty"`
	// Runs counts the runs that reused a dataset kept inside its store:
	// they run on the data itself (Cassandra has no cheap copy), so each
	// leaves its writes for the next. Pebble runs work on checkpoints and
	// leave it 0.
	Runs int `json:"runs,omitempty"`
}

// Counts is what a preload wrote.
type Counts struct {
	Customers     int64 `json:"customers"`
	AccountEvents int64 `json:"account_events"`
	Events        int64 `json:"events"`
	Ranges        int64 `json:"ranges"`
	// Seconds is the preloading time, summed over sessions.
	Seconds float64 `json:"seconds"`
	Audited int     `json:"audited"`
}

// Identity is every workload setting that changes what the preload writes.
type Identity struct {
	Seed       uint64                  `json:"seed"`
	Shard      string                  `json:"shard"`
	Start      time.Time               `json:"start"`
	Codec      string                  `json:"codec"`
	Snapshot   string                  `json:"snapshot"`
	Population workload.PopulationSpec `json:"population"`
	Catalogue  workload.CatalogueSpec  `json:"catalogue"`
}

// IdentityOf picks spec's identity.
func IdentityOf(spec *workload.Spec) Identity {
	shard := spec.Shard
	if shard == "" {
		shard = "0/1"
	}
	return Identity{Seed: spec.Seed, Shard: shard, Start: spec.Start.UTC(), Codec: spec.Service.Codec, Snapshot: spec.Service.Snapshot,
		Population: spec.Population, Catalogue: spec.Catalogue}
}

// Fingerprint is the SHA-256 of id's JSON.
func (id Identity) Fingerprint() string {
	b, _ := json.Marshal(id) // plain data: cannot fail
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// New returns the manifest of a dataset about to be preloaded.
func New(spec *workload.Spec, store string, rangeSize uint64) *Manifest {
	v, c := buildinfo.Info()
	id := IdentityOf(spec)
	return &Manifest{Format: Format, Esbench: v + " (" + c + ")", Store: store, Workload: id, Fingerprint: id.Fingerprint(),
		RangeSize: rangeSize, Created: time.Now().UTC()}
}

// Check reports how spec differs from the workload the dataset was made
// for, naming each differing setting, wrapped in ErrMismatch; nil when it
// is the same.
func (m *Manifest) Check(spec *workload.Spec) error {
	want := IdentityOf(spec)
	if want.Fingerprint() == m.Fingerprint {
		return nil
	}
	var diffs []string
	// field compares one setting; a struct is compared field by field so
	// the message names the setting that differs (population.customers).
	var field func(name string, have, asked any)
	field = func(name string, have, asked any) {
		a, _ := json.Marshal(have)
		b, _ := json.Marshal(asked)
		if bytes.Equal(a, b) {
			return
		}
		var ma, mb map[string]json.RawMessage
		if json.Unmarshal(a, &ma) == nil && json.Unmarshal(b, &mb) == nil && ma != nil && mb != nil {
			keys := map[string]bool{}
			for k := range ma {
				keys[k] = true
			}
			for k := range mb {
				keys[k] = true
			}
			for _, k := range slices.Sorted(maps.Keys(keys)) {
				field(name+"."+strings.ToLower(k), ma[k], mb[k])
			}
			return
		}
		diffs = append(diffs, fmt.Sprintf("%s is %s in the dataset, %s in the workload", name, a, b))
	}
	h := m.Workload
	field("seed", h.Seed, want.Seed)
	field("shard", h.Shard, want.Shard)
	field("start", h.Start, want.Start)
	field("service.codec", h.Codec, want.Codec)
	field("service.snapshot", h.Snapshot, want.Snapshot)
	field("population", h.Population, want.Population)
	field("catalogue", h.Catalogue, want.Catalogue)
	if len(diffs) == 0 {
		diffs = append(diffs, "its fingerprint "+m.Fingerprint+" differs from the workload's "+want.Fingerprint()+" (made by another esbench version?)")
	}
	return fmt.Errorf("%w: %s", ErrMismatch, strings.Join(diffs, "; "))
}

// Read returns the manifest in dir; ok is false when dir holds none.
func Read(dir string) (m *Manifest, ok bool, err error) {
	path := filepath.Join(dir, File)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("dataset: %w", err)
	}
	m, err = Decode(b, path)
	if err != nil {
		return nil, false, err
	}
	return m, true, nil
}

// Decode reads a manifest from b; where names its origin in errors (a file
// or a keyspace).
func Decode(b []byte, where string) (*Manifest, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	m := &Manifest{}
	if err := dec.Decode(m); err != nil {
		return nil, fmt.Errorf("dataset: %s: %w", where, err)
	}
	if m.Format != Format {
		return nil, fmt.Errorf("dataset: %s: format %d, this esbench reads format %d", where, m.Format, Format)
	}
	return m, nil
}

// Encode returns m as the JSON that Decode reads.
func Encode(m *Manifest) ([]byte, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	return append(b, '\n'), nil
}

// Write stores m in dir, replacing the manifest atomically.
func Write(dir string, m *Manifest) error {
	b, err := Encode(m)
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, File+".tmp")
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("dataset: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, File)); err != nil {
		return fmt.Errorf("dataset: %w", err)
	}
	return nil
}

// Usable checks that the dataset in m can serve a run of spec: made for it
// and complete.
func (m *Manifest) Usable(dir string, spec *workload.Spec) error {
	return m.UsableAt(dir, "another directory", spec)
}

// UsableAt is Usable for a dataset at where (a directory, a keyspace);
// elsewhere says where else to preload one ("another keyspace").
func (m *Manifest) UsableAt(where, elsewhere string, spec *workload.Spec) error {
	if err := m.Check(spec); err != nil {
		return fmt.Errorf("the dataset in %s cannot serve this run: %w; preload a dataset for this workload into %s with esbench preload", where, err, elsewhere)
	}
	if !m.Complete {
		return fmt.Errorf("the dataset in %s: %w (%d ranges written so far); run the same esbench preload again to finish it", where, ErrIncomplete, m.Counts.Ranges)
	}
	return nil
}
