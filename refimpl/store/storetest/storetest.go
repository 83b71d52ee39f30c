// Package storetest is the conformance suite of the store contract: every
// backend (memory, pebble, cassandra) runs Run from its own tests, and the
// benchmarks in bench.go from its benchmarks, so the contract is defined in
// one place.
package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/esbench/esbench/refimpl/store"
)

// Harness tells the suite how to get stores of one backend.
type Harness struct {
	// Open returns a ready store and registers its Close with tb.Cleanup
	// (Close after Close must not panic). The suite gives every test its own
	// customer ids, so Open may hand out stores sharing one backing database
	// (for example one Cassandra keyspace).
	Open func(tb T) store.Store
	// Reopen closes s and returns a store over the same data, as a process
	// restart would. Nil when the backend is not durable; the reopen tests are
	// then skipped.
	Reopen func(tb T, s store.Store) store.Store
	// Large is the stream length of the paging test; 0 means 10,000.
	Large int
	// Writers is the number of goroutines racing on one stream; 0 means 8.
	Writers int
	// AppendsPerWriter is how many appends each racing goroutine lands; 0
	// means 25.
	AppendsPerWriter int
	// Skip names contract areas (subtest names of Run) that a backend mode
	// documents it does not guarantee, with the reason; they are reported as
	// skipped. Nil runs everything.
	Skip map[string]string
}

func (h Harness) large() int {
	if h.Large > 0 {
		return h.Large
	}
	return 10_000
}

func (h Harness) writers() int {
	if h.Writers > 0 {
		return h.Writers
	}
	return 8
}

func (h Harness) appendsPerWriter() int {
	if h.AppendsPerWriter > 0 {
		return h.AppendsPerWriter
	}
	return 25
}

// T is what the suite needs of a test: *testing.T and *testing.B satisfy
// it, and so does the runner behind Check, which runs the suite outside
// go test (esbench conformance).
type T interface {
	Helper()
	Name() string
	Logf(format string, args ...any)
	Errorf(format string, args ...any)
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	Skip(args ...any)
	Failed() bool
	Cleanup(f func())
	TempDir() string
}

// subtester is a T that runs subtests of its own kind (the Check runner).
type subtester interface {
	Run(name string, f func(t T)) bool
}

// run runs f as the subtest name of t.
func run(t T, name string, f func(t T)) bool {
	switch p := t.(type) {
	case *testing.T:
		return p.Run(name, func(t *testing.T) { f(t) })
	case subtester:
		return p.Run(name, f)
	}
	t.Fatalf("storetest: %T cannot run subtests", t)
	return false
}

// area is one contract area of the suite, the unit a report lists.
type area struct {
	name string
	fn   func(t T, h Harness)
}

// areas are the suite's contract areas, in the order they run.
var areas = []area{
	{"Ordering", testOrdering},
	{"StreamIsolation", testStreamIsolation},
	{"CopiesData", testCopiesData},
	{"Paging", testPaging},
	{"Conflict", testConflict},
	{"IdempotentRetry", testIdempotentRetry},
	{"MultiStreamAtomic", testMultiStreamAtomic},
	{"CrossPartition", testCrossPartition},
	{"InvalidInput", testInvalidInput},
	{"ConcurrentWriters", testConcurrentWriters},
	{"Snapshots", testSnapshots},
	{"SnapshotIsolation", testSnapshotIsolation},
	{"Archival", testArchival},
	{"ArchivalEdges", testArchivalEdges},
	{"Context", testContext},
	{"Reopen", testReopen},
	{"Closed", testClosed},
	{"Bulk", testBulk},
	{"Replay", testReplay},
}

// Areas lists the names of the suite's contract areas, in run order.
func Areas() []string {
	out := make([]string, len(areas))
	for i, a := range areas {
		out[i] = a.name
	}
	return out
}

// checkSkips reports Harness.Skip entries that name no area.
func (h Harness) checkSkips() error {
	var bad []string
	for name := range h.Skip {
		if !slices.Contains(Areas(), name) {
			bad = append(bad, strconv.Quote(name))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	slices.Sort(bad)
	return fmt.Errorf("storetest: Harness.Skip names %s, which is no area of the suite (areas: %v)", strings.Join(bad, ", "), Areas())
}

// runArea runs one area on t, honouring Harness.Skip.
func (h Harness) runArea(t T, a area) {
	if why, skip := h.Skip[a.name]; skip {
		t.Skip(why)
	}
	a.fn(t, h)
}

// Run runs the whole conformance suite against the backend of h. Subtests
// are named by contract area so a failure says which promise broke.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.Open == nil {
		t.Fatal("storetest: Harness.Open is nil")
	}
	if err := h.checkSkips(); err != nil {
		t.Error(err)
	}
	for _, a := range areas {
		t.Run(a.name, func(t *testing.T) { h.runArea(t, a) })
	}
}

// --- helpers ---

// customer returns a customer id no other test (or earlier run against the
// same database) uses.
func customer(tb T, label string) string {
	tb.Helper()
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		tb.Fatalf("random customer id: %v", err)
	}
	return "st-" + label + "-" + hex.EncodeToString(b[:])
}

func stream(cust, id string) store.StreamID {
	return store.StreamID{Customer: cust, AggregateType: "DownloadAccount", AggregateID: id}
}

// baseTime has millisecond precision: the least any backend must keep
// (Cassandra timestamps).
var baseTime = time.Date(2026, 3, 14, 15, 9, 26, 535_000_000, time.UTC)

// events builds n records whose ids are prefix-1, prefix-2, ... with varied
// contents so that a field lost or swapped by a backend shows.
func events(prefix string, n int) []store.Record {
	out := make([]store.Record, n)
	for i := range out {
		r := store.Record{
			EventID:       prefix + "-" + strconv.Itoa(i+1),
			Type:          []string{"DownloadGranted", "DownloadReleased", "DeviceRegistered"}[i%3],
			SchemaVersion: uint16(1 + i%4),
			Codec:         []string{"json", "gob"}[i%2],
			Payload:       []byte(fmt.Sprintf(`{"n":%d,"p":%q}`, i, prefix)),
			RecordedAt:    baseTime.Add(time.Duration(i) * time.Millisecond),
		}
		if i%2 == 0 {
			r.Metadata = map[string]string{"request": prefix + "/" + strconv.Itoa(i), "node": "a"}
		}
		out[i] = r
	}
	return out
}

// withVersions returns recs numbered from first, as Load should yield them.
func withVersions(recs []store.Record, first uint64) []store.Record {
	out := make([]store.Record, len(recs))
	for i, r := range recs {
		r.Version = first + uint64(i)
		out[i] = r
	}
	return out
}

func appendOK(tb T, s store.Store, reqs ...store.AppendRequest) {
	tb.Helper()
	if err := s.Append(context.Background(), reqs...); err != nil {
		tb.Fatalf("Append: %v", err)
	}
}

// build appends recs to st in batches of batch events, starting from an
// empty stream.
func build(tb T, s store.Store, st store.StreamID, recs []store.Record, batch int) {
	tb.Helper()
	for i := 0; i < len(recs); i += batch {
		j := min(i+batch, len(recs))
		appendOK(tb, s, store.AppendRequest{Stream: st, ExpectedVersion: uint64(i), Events: recs[i:j]})
	}
}

// loadAll drains Load and returns what it yielded and the error that ended
// it, if any.
func loadAll(ctx context.Context, s store.EventStore, st store.StreamID, after uint64) ([]store.Record, error) {
	var out []store.Record
	for r, err := range s.Load(ctx, st, after) {
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

func auditAll(ctx context.Context, s store.Archiver, st store.StreamID) ([]store.Record, error) {
	var out []store.Record
	for r, err := range s.LoadAudit(ctx, st) {
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

func mustLoad(tb T, s store.Store, st store.StreamID, after uint64) []store.Record {
	tb.Helper()
	recs, err := loadAll(context.Background(), s, st, after)
	if err != nil {
		tb.Fatalf("Load(%s, after %d): %v", st, after, err)
	}
	return recs
}

// sameRecord compares every field a backend must keep; nil and empty
// payloads and metadata are the same thing.
func sameRecord(want, got store.Record) error {
	switch {
	case want.Version != got.Version:
		return fmt.Errorf("version %d, want %d", got.Version, want.Version)
	case want.EventID != got.EventID:
		return fmt.Errorf("event id %q, want %q", got.EventID, want.EventID)
	case want.Type != got.Type:
		return fmt.Errorf("type %q, want %q", got.Type, want.Type)
	case want.SchemaVersion != got.SchemaVersion:
		return fmt.Errorf("schema version %d, want %d", got.SchemaVersion, want.SchemaVersion)
	case want.Codec != got.Codec:
		return fmt.Errorf("codec %q, want %q", got.Codec, want.Codec)
	case !bytes.Equal(want.Payload, got.Payload):
		return fmt.Errorf("payload %q, want %q", got.Payload, want.Payload)
	case !maps.Equal(want.Metadata, got.Metadata):
		return fmt.Errorf("metadata %v, want %v", got.Metadata, want.Metadata)
	case !want.RecordedAt.Equal(got.RecordedAt):
		return fmt.Errorf("recorded at %v, want %v", got.RecordedAt, want.RecordedAt)
	}
	return nil
}

func checkRecords(tb T, what string, want, got []store.Record) {
	tb.Helper()
	if len(got) != len(want) {
		tb.Fatalf("%s: %d records, want %d (versions %v)", what, len(got), len(want), versionSummary(got))
	}
	for i := range want {
		if err := sameRecord(want[i], got[i]); err != nil {
			tb.Fatalf("%s: record %d: %v", what, i, err)
		}
	}
}

// checkVersions asserts recs are exactly versions from..to in order.
func checkVersions(tb T, what string, recs []store.Record, from, to uint64) {
	tb.Helper()
	n := 0
	if to >= from {
		n = int(to - from + 1)
	}
	if len(recs) != n {
		tb.Fatalf("%s: %d records (%s), want versions %d..%d", what, len(recs), versionSummary(recs), from, to)
	}
	for i, r := range recs {
		if r.Version != from+uint64(i) {
			tb.Fatalf("%s: record %d has version %d, want %d", what, i, r.Version, from+uint64(i))
		}
	}
}

func versionSummary(recs []store.Record) string {
	if len(recs) == 0 {
		return "none"
	}
	return fmt.Sprintf("%d..%d", recs[0].Version, recs[len(recs)-1].Version)
}

func checkConflict(tb T, err error, st store.StreamID, expected, actual uint64) {
	tb.Helper()
	if !errors.Is(err, store.ErrConflict) {
		tb.Fatalf("got %v, want a conflict", err)
	}
	var ce *store.ConflictError
	if !errors.As(err, &ce) {
		tb.Fatalf("conflict %v is not a *store.ConflictError", err)
	}
	if ce.Stream != st {
		tb.Fatalf("conflict names stream %s, want %s", ce.Stream, st)
	}
	if ce.Expected != expected {
		tb.Fatalf("conflict expected version %d, want %d", ce.Expected, expected)
	}
	if ce.Actual != actual && ce.Actual != 0 {
		tb.Fatalf("conflict actual version %d, want %d (or 0 when unknown)", ce.Actual, actual)
	}
}

// --- ordering and versions ---

func testOrdering(t T, h Harness) {
	s := h.Open(t)
	st := stream(customer(t, "order"), "acc")
	if got := mustLoad(t, s, st, 0); len(got) != 0 {
		t.Fatalf("missing stream yielded %d records", len(got))
	}
	recs := events("ord", 12)
	// Batches of uneven size: versions must continue across them.
	appendOK(t, s, store.AppendRequest{Stream: st, ExpectedVersion: 0, Events: recs[:1]})
	appendOK(t, s, store.AppendRequest{Stream: st, ExpectedVersion: 1, Events: recs[1:6]})
	appendOK(t, s, store.AppendRequest{Stream: st, ExpectedVersion: 6, Events: recs[6:]})
	want := withVersions(recs, 1)

	for _, tc := range []struct {
		after uint64
		want  []store.Record
	}{
		{0, want},
		{1, want[1:]},
		{5, want[5:]},
		{6, want[6:]},
		{11, want[11:]},
		{12, nil},
		{100, nil},
		{store.Latest, nil},
	} {
		run(t, fmt.Sprintf("after=%d", tc.after), func(t T) {
			checkRecords(t, fmt.Sprintf("Load(after %d)", tc.after), tc.want, mustLoad(t, s, st, tc.after))
		})
	}

	run(t, "EarlyBreak", func(t T) {
		n := 0
		for r, err := range s.Load(context.Background(), st, 0) {
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			n++
			if r.Version != uint64(n) {
				t.Fatalf("record %d has version %d", n, r.Version)
			}
			if n == 3 {
				break
			}
		}
		if n != 3 {
			t.Fatalf("read %d records before break, want 3", n)
		}
		// The store still works after an abandoned load.
		checkRecords(t, "Load after break", want, mustLoad(t, s, st, 0))
	})
}

// testStreamIsolation uses ids that a careless key encoding would confuse:
// shared prefixes, separators, NUL bytes and equal String() forms.
func testStreamIsolation(t T, h Harness) {
	s := h.Open(t)
	c := customer(t, "iso")
	streams := []store.StreamID{
		{Customer: c, AggregateType: "T", AggregateID: "a"},
		{Customer: c, AggregateType: "T", AggregateID: "ab"},
		{Customer: c, AggregateType: "T", AggregateID: "a/b"},
		{Customer: c, AggregateType: "T/a", AggregateID: "b"},
		{Customer: c, AggregateType: "Ta", AggregateID: "b"},
		{Customer: c, AggregateType: "T", AggregateID: "a\x00"},
		{Customer: c, AggregateType: "T\x00", AggregateID: "a"},
		{Customer: c + "\x00T", AggregateType: "a", AggregateID: "a"},
		{Customer: c + "T", AggregateType: "a", AggregateID: "a"},
		{Customer: c, AggregateType: "T", AggregateID: "ü:ß"},
	}
	for i, st := range streams {
		appendOK(t, s, store.AppendRequest{Stream: st, Events: events(fmt.Sprintf("iso%d", i), i+1)})
	}
	for i, st := range streams {
		checkRecords(t, fmt.Sprintf("stream %q", st), withVersions(events(fmt.Sprintf("iso%d", i), i+1), 1), mustLoad(t, s, st, 0))
		for _, after := range []uint64{1, uint64(i)} {
			got := mustLoad(t, s, st, after)
			checkVersions(t, fmt.Sprintf("stream %q after %d", st, after), got, after+1, uint64(i+1))
		}
	}
}

// testCopiesData: a caller mutating its slices and maps after Append or
// SaveSnapshot, or the records Load gave it, must not change what is
// stored; a snapshot payload handed out stays as it was.
func testCopiesData(t T, h Harness) {
	s := h.Open(t)
	st := stream(customer(t, "copy"), "acc")
	recs := events("copy", 2)
	want := withVersions(events("copy", 2), 1)
	appendOK(t, s, store.AppendRequest{Stream: st, Events: recs})
	recs[0].Payload[0] = 'X'
	recs[0].Metadata["node"] = "changed"
	recs[1].EventID = "other"

	got := mustLoad(t, s, st, 0)
	checkRecords(t, "after caller mutated its input", want, got)
	got[0].Payload[0] = 'Y'
	got[0].Metadata["node"] = "changed again"
	checkRecords(t, "after caller mutated loaded records", want, mustLoad(t, s, st, 0))

	snap := store.Snapshot{Stream: st, Version: 2, Type: "DownloadAccount", SchemaVersion: 1, Codec: "json", Payload: []byte("state"), CreatedAt: baseTime}
	if err := s.SaveSnapshot(context.Background(), snap); err != nil {
		t.Fatalf("SaveSnapshot: %v", err)
	}
	snap.Payload[0] = 'X'
	got1, ok, err := s.LatestSnapshot(context.Background(), st, store.Latest)
	if err != nil || !ok {
		t.Fatalf("LatestSnapshot: ok=%v err=%v", ok, err)
	}
	if string(got1.Payload) != "state" {
		t.Fatalf("snapshot payload %q after caller mutated its input, want %q", got1.Payload, "state")
	}
	// A snapshot's payload is read-only for the caller, and the store
	// never changes one it handed out: not when the snapshot is replaced,
	// nor when it is trimmed.
	snap.Payload = []byte("replaced")
	if err := s.SaveSnapshot(context.Background(), snap); err != nil {
		t.Fatalf("SaveSnapshot: %v", err)
	}
	got2, _, err := s.LatestSnapshot(context.Background(), st, store.Latest)
	if err != nil || string(got2.Payload) != "replaced" {
		t.Fatalf("snapshot payload %q (err %v) after it was replaced, want %q", got2.Payload, err, "replaced")
	}
	snap.Version, snap.Payload = 3, []byte("newer")
	if err := s.SaveSnapshot(context.Background(), snap); err != nil {
		t.Fatalf("SaveSnapshot: %v", err)
	}
	if err := s.TrimSnapshots(context.Background(), st, 1); err != nil {
		t.Fatalf("TrimSnapshots: %v", err)
	}
	if string(got1.Payload) != "state" || string(got2.Payload) != "replaced" {
		t.Fatalf("payloads handed out changed to %q and %q after a replace and a trim, want %q and %q", got1.Payload, got2.Payload, "state", "replaced")
	}
}

// --- paging ---

func testPaging(t T, h Harness) {
	s := h.Open(t)
	n := h.large()
	st := stream(customer(t, "page"), "acc")
	recs := make([]store.Record, n)
	for i := range recs {
		recs[i] = store.Record{
			EventID:       "pg-" + strconv.Itoa(i+1),
			Type:          "DownloadGranted",
			SchemaVersion: 1,
			Codec:         "json",
			Payload:       []byte(strconv.Itoa(i + 1)),
			RecordedAt:    baseTime,
		}
	}
	build(t, s, st, recs, 100)

	check := func(t T, after uint64) {
		t.Helper()
		next := after + 1
		for r, err := range s.Load(context.Background(), st, after) {
			if err != nil {
				t.Fatalf("Load(after %d) at version %d: %v", after, next, err)
			}
			if r.Version != next {
				t.Fatalf("Load(after %d): version %d, want %d", after, r.Version, next)
			}
			if r.EventID != "pg-"+strconv.FormatUint(next, 10) || string(r.Payload) != strconv.FormatUint(next, 10) {
				t.Fatalf("Load(after %d): version %d holds event %q payload %q", after, next, r.EventID, r.Payload)
			}
			next++
		}
		if next != uint64(n)+1 {
			t.Fatalf("Load(after %d) stopped after version %d, want %d", after, next-1, n)
		}
	}
	run(t, "All", func(t T) { check(t, 0) })
	run(t, "FromMiddle", func(t T) { check(t, uint64(n/2+7)) })
	run(t, "LastOne", func(t T) { check(t, uint64(n-1)) })
	run(t, "AppendAfterLarge", func(t T) {
		appendOK(t, s, store.AppendRequest{Stream: st, ExpectedVersion: uint64(n), Events: events("tail", 1)})
		got := mustLoad(t, s, st, uint64(n-1))
		checkVersions(t, "tail", got, uint64(n), uint64(n+1))
	})
	run(t, "CancelMidway", func(t T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		read := 0
		var last error
		for _, err := range s.Load(ctx, st, 0) {
			if err != nil {
				last = err
				break
			}
			read++
			if read == 10 {
				cancel()
			}
		}
		if !errors.Is(last, context.Canceled) {
			t.Fatalf("Load cancelled after 10 records ended with %v after %d records, want context.Canceled", last, read)
		}
		if read >= n {
			t.Fatalf("Load cancelled after 10 records still yielded all %d", read)
		}
	})
}

// --- conflicts and idempotency ---

func testConflict(t T, h Harness) {
	s := h.Open(t)
	c := customer(t, "conf")
	st := stream(c, "acc")
	appendOK(t, s, store.AppendRequest{Stream: st, Events: events("c", 3)})
	want := withVersions(events("c", 3), 1)

	for _, tc := range []struct {
		name     string
		stream   store.StreamID
		expected uint64
		actual   uint64
	}{
		{"Behind", st, 1, 3},
		{"NewStreamExpectedZero", st, 0, 3},
		{"Ahead", st, 5, 3},
		{"MissingStreamExpectedTwo", stream(c, "missing"), 2, 0},
	} {
		run(t, tc.name, func(t T) {
			err := s.Append(context.Background(), store.AppendRequest{Stream: tc.stream, ExpectedVersion: tc.expected, Events: events("x"+tc.name, 2)})
			checkConflict(t, err, tc.stream, tc.expected, tc.actual)
			checkRecords(t, "stream after conflict", want, mustLoad(t, s, st, 0))
			if got := mustLoad(t, s, stream(c, "missing"), 0); len(got) != 0 {
				t.Fatalf("missing stream has %d records after a conflict", len(got))
			}
		})
	}
	run(t, "RightVersionStillWorks", func(t T) {
		appendOK(t, s, store.AppendRequest{Stream: st, ExpectedVersion: 3, Events: events("d", 1)})
		checkVersions(t, "after append at the right version", mustLoad(t, s, st, 0), 1, 4)
	})
}

func testIdempotentRetry(t T, h Harness) {
	s := h.Open(t)
	st := stream(customer(t, "idem"), "acc")
	first := store.AppendRequest{Stream: st, ExpectedVersion: 0, Events: events("a", 2)}
	appendOK(t, s, first)

	run(t, "SameRequest", func(t T) {
		if err := s.Append(context.Background(), first); err != nil {
			t.Fatalf("retry of an applied append: %v, want success", err)
		}
		checkRecords(t, "after retry", withVersions(events("a", 2), 1), mustLoad(t, s, st, 0))
	})
	appendOK(t, s, store.AppendRequest{Stream: st, ExpectedVersion: 2, Events: events("b", 1)})
	want := append(withVersions(events("a", 2), 1), withVersions(events("b", 1), 3)...)

	run(t, "SameRequestAfterLaterAppends", func(t T) {
		if err := s.Append(context.Background(), first); err != nil {
			t.Fatalf("late retry of an applied append: %v, want success", err)
		}
		checkRecords(t, "after late retry", want, mustLoad(t, s, st, 0))
	})
	for _, tc := range []struct {
		name     string
		expected uint64
		ids      []string
	}{
		{"DifferentIDs", 0, []string{"x-1", "x-2"}},
		{"OneDifferentID", 0, []string{"a-1", "x-2"}},
		{"SameIDsOtherVersions", 1, []string{"a-1", "a-2"}},
		{"MoreEventsThanStored", 1, []string{"a-2", "b-1", "c-1"}},
		{"SwappedOrder", 0, []string{"a-2", "a-1"}},
	} {
		run(t, tc.name, func(t T) {
			evs := events("x", len(tc.ids))
			for i := range evs {
				evs[i].EventID = tc.ids[i]
			}
			err := s.Append(context.Background(), store.AppendRequest{Stream: st, ExpectedVersion: tc.expected, Events: evs})
			checkConflict(t, err, st, tc.expected, 3)
			checkRecords(t, "after conflicting retry", want, mustLoad(t, s, st, 0))
		})
	}
}

func testMultiStreamAtomic(t T, h Harness) {
	s := h.Open(t)
	c := customer(t, "multi")
	a, b, lic := stream(c, "acc"), stream(c, "acc2"), store.StreamID{Customer: c, AggregateType: "License", AggregateID: "lic-1"}
	firstReq := []store.AppendRequest{
		{Stream: a, Events: events("a", 2)},
		{Stream: b, Events: events("b", 1)},
		{Stream: lic, Events: events("l", 3)},
	}
	appendOK(t, s, firstReq...)
	want := map[store.StreamID][]store.Record{
		a:   withVersions(events("a", 2), 1),
		b:   withVersions(events("b", 1), 1),
		lic: withVersions(events("l", 3), 1),
	}
	checkAll := func(t T, what string) {
		t.Helper()
		for st, w := range want {
			checkRecords(t, fmt.Sprintf("%s: %s", what, st), w, mustLoad(t, s, st, 0))
		}
	}
	checkAll(t, "after multi-stream append")

	run(t, "OneConflictChangesNothing", func(t T) {
		err := s.Append(context.Background(),
			store.AppendRequest{Stream: a, ExpectedVersion: 2, Events: events("a2", 1)},
			store.AppendRequest{Stream: b, ExpectedVersion: 0, Events: events("b2", 1)},
			store.AppendRequest{Stream: lic, ExpectedVersion: 3, Events: events("l2", 2)},
		)
		checkConflict(t, err, b, 0, 1)
		checkAll(t, "after conflicting multi-stream append")
	})
	run(t, "NewStreamWithConflict", func(t T) {
		fresh := stream(c, "fresh")
		err := s.Append(context.Background(),
			store.AppendRequest{Stream: fresh, Events: events("f", 1)},
			store.AppendRequest{Stream: lic, ExpectedVersion: 1, Events: events("l3", 1)},
		)
		checkConflict(t, err, lic, 1, 3)
		if got := mustLoad(t, s, fresh, 0); len(got) != 0 {
			t.Fatalf("new stream got %d records from a failed atomic append", len(got))
		}
		checkAll(t, "after conflicting multi-stream append")
	})
	run(t, "RetryIsIdempotent", func(t T) {
		if err := s.Append(context.Background(), firstReq...); err != nil {
			t.Fatalf("retry of an applied multi-stream append: %v, want success", err)
		}
		checkAll(t, "after retry")
	})
	run(t, "SecondAppend", func(t T) {
		appendOK(t, s,
			store.AppendRequest{Stream: a, ExpectedVersion: 2, Events: events("a3", 1)},
			store.AppendRequest{Stream: lic, ExpectedVersion: 3, Events: events("l4", 2)},
		)
		want[a] = append(want[a], withVersions(events("a3", 1), 3)...)
		want[lic] = append(want[lic], withVersions(events("l4", 2), 4)...)
		checkAll(t, "after second multi-stream append")
	})
}

func testCrossPartition(t T, h Harness) {
	s := h.Open(t)
	a, b := stream(customer(t, "xa"), "acc"), stream(customer(t, "xb"), "acc")
	err := s.Append(context.Background(),
		store.AppendRequest{Stream: a, Events: events("a", 1)},
		store.AppendRequest{Stream: b, Events: events("b", 1)},
	)
	if !errors.Is(err, store.ErrCrossPartition) {
		t.Fatalf("append across two customers: %v, want ErrCrossPartition", err)
	}
	for _, st := range []store.StreamID{a, b} {
		if got := mustLoad(t, s, st, 0); len(got) != 0 {
			t.Fatalf("%s has %d records after a rejected cross-partition append", st, len(got))
		}
	}
}

// --- bad input ---

func testInvalidInput(t T, h Harness) {
	s := h.Open(t)
	ctx := context.Background()
	c := customer(t, "inv")
	good := stream(c, "acc")
	appendOK(t, s, store.AppendRequest{Stream: good, Events: events("g", 2)})
	want := withVersions(events("g", 2), 1)
	fresh := stream(c, "fresh")
	ev := func(mut func(*store.Record)) []store.Record {
		e := events("bad", 2)
		mut(&e[1])
		return e
	}
	appends := []struct {
		name string
		reqs []store.AppendRequest
	}{
		{"NoRequests", nil},
		{"EmptyCustomer", []store.AppendRequest{{Stream: store.StreamID{AggregateType: "T", AggregateID: "a"}, Events: events("e", 1)}}},
		{"EmptyType", []store.AppendRequest{{Stream: store.StreamID{Customer: c, AggregateID: "a"}, Events: events("e", 1)}}},
		{"EmptyAggregateID", []store.AppendRequest{{Stream: store.StreamID{Customer: c, AggregateType: "T"}, Events: events("e", 1)}}},
		{"NoEvents", []store.AppendRequest{{Stream: fresh}}},
		{"EmptyEventID", []store.AppendRequest{{Stream: fresh, Events: ev(func(r *store.Record) { r.EventID = "" })}}},
		{"EmptyEventType", []store.AppendRequest{{Stream: fresh, Events: ev(func(r *store.Record) { r.Type = "" })}}},
		{"StreamTwice", []store.AppendRequest{{Stream: fresh, Events: events("e", 1)}, {Stream: fresh, ExpectedVersion: 1, Events: events("f", 1)}}},
		{"GoodThenBad", []store.AppendRequest{{Stream: fresh, Events: events("e", 1)}, {Stream: good, ExpectedVersion: 2, Events: ev(func(r *store.Record) { r.EventID = "" })}}},
		{"ExistingStreamBadEvent", []store.AppendRequest{{Stream: good, ExpectedVersion: 2, Events: ev(func(r *store.Record) { r.Type = "" })}}},
	}
	for _, tc := range appends {
		run(t, "Append/"+tc.name, func(t T) {
			err := s.Append(ctx, tc.reqs...)
			if !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("Append: %v, want ErrInvalid", err)
			}
			checkRecords(t, "good stream after invalid append", want, mustLoad(t, s, good, 0))
			if got := mustLoad(t, s, fresh, 0); len(got) != 0 {
				t.Fatalf("invalid append stored %d records", len(got))
			}
		})
	}

	bad := store.StreamID{Customer: c, AggregateType: "T"}
	calls := []struct {
		name string
		call func() error
	}{
		{"Load", func() error { _, err := loadAll(ctx, s, bad, 0); return err }},
		{"LoadAudit", func() error { _, err := auditAll(ctx, s, bad); return err }},
		{"SaveSnapshot/EmptyStream", func() error {
			return s.SaveSnapshot(ctx, store.Snapshot{Stream: bad, Version: 1, Type: "T", Codec: "json"})
		}},
		{"SaveSnapshot/VersionZero", func() error {
			return s.SaveSnapshot(ctx, store.Snapshot{Stream: good, Version: 0, Type: "T", Codec: "json"})
		}},
		{"SaveSnapshot/EmptyType", func() error {
			return s.SaveSnapshot(ctx, store.Snapshot{Stream: good, Version: 1, Codec: "json"})
		}},
		{"LatestSnapshot", func() error { _, _, err := s.LatestSnapshot(ctx, bad, store.Latest); return err }},
		{"TrimSnapshots/EmptyStream", func() error { return s.TrimSnapshots(ctx, bad, 1) }},
		{"TrimSnapshots/NegativeKeep", func() error { return s.TrimSnapshots(ctx, good, -1) }},
		{"Archive", func() error { _, err := s.Archive(ctx, bad); return err }},
	}
	for _, tc := range calls {
		run(t, tc.name, func(t T) {
			if err := tc.call(); !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("%s: %v, want ErrInvalid", tc.name, err)
			}
		})
	}
	if _, ok, err := s.LatestSnapshot(ctx, good, store.Latest); err != nil || ok {
		t.Fatalf("invalid snapshot calls left a snapshot (ok=%v, err=%v)", ok, err)
	}
	checkRecords(t, "good stream after invalid calls", want, mustLoad(t, s, good, 0))
}

// --- concurrency ---

// testConcurrentWriters races writers on one stream, each appending at the
// version it last read and retrying on conflict: the stream must end gapless
// and hold exactly the appends that succeeded.
func testConcurrentWriters(t T, h Harness) {
	s := h.Open(t)
	st := stream(customer(t, "race"), "acc")
	writers, per := h.writers(), h.appendsPerWriter()
	landed := make([][]string, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			ctx := context.Background()
			var known uint64
			for i, tries := 0, 0; i < per; tries++ {
				if tries > 100*writers*per {
					t.Errorf("writer %d: no progress after %d tries", w, tries)
					return
				}
				id := fmt.Sprintf("w%d-%d", w, i)
				ev := store.Record{EventID: id, Type: "DownloadGranted", Codec: "json", Payload: []byte(id), RecordedAt: baseTime}
				err := s.Append(ctx, store.AppendRequest{Stream: st, ExpectedVersion: known, Events: []store.Record{ev}})
				switch {
				case err == nil:
					landed[w] = append(landed[w], id)
					known++
					i++
				case errors.Is(err, store.ErrConflict):
					var ce *store.ConflictError
					if errors.As(err, &ce) && ce.Actual > known {
						known = ce.Actual
						continue
					}
					// The backend does not know the actual version: read the tail.
					for r, lerr := range s.Load(ctx, st, known) {
						if lerr != nil {
							t.Errorf("writer %d: Load after conflict: %v", w, lerr)
							return
						}
						known = r.Version
					}
				default:
					t.Errorf("writer %d: Append: %v", w, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	got := mustLoad(t, s, st, 0)
	checkVersions(t, "stream after the race", got, 1, uint64(writers*per))
	want := map[string]bool{}
	for _, l := range landed {
		for _, id := range l {
			want[id] = true
		}
	}
	seen := map[string]bool{}
	for _, r := range got {
		if seen[r.EventID] {
			t.Fatalf("event %s stored twice", r.EventID)
		}
		seen[r.EventID] = true
		if !want[r.EventID] {
			t.Fatalf("event %s stored but its append did not succeed", r.EventID)
		}
		if string(r.Payload) != r.EventID {
			t.Fatalf("event %s has payload %q", r.EventID, r.Payload)
		}
	}
	if len(seen) != len(want) {
		t.Fatalf("%d events stored, %d appends succeeded", len(seen), len(want))
	}
	// Each writer's own events keep their order.
	pos := map[string]uint64{}
	for _, r := range got {
		pos[r.EventID] = r.Version
	}
	for w, l := range landed {
		for i := 1; i < len(l); i++ {
			if pos[l[i]] <= pos[l[i-1]] {
				t.Fatalf("writer %d: %s at version %d is not after %s at %d", w, l[i], pos[l[i]], l[i-1], pos[l[i-1]])
			}
		}
	}
}
