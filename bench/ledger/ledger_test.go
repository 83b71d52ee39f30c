package ledger

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/esbench/esbench/refimpl/store"
	"github.com/esbench/esbench/refimpl/store/memory"
)

func ev(ids ...string) []store.Record {
	out := make([]store.Record, len(ids))
	for i, id := range ids {
		out[i] = store.Record{EventID: id, Type: "T", Codec: "json", Payload: []byte("{}")}
	}
	return out
}

func stream(c string) store.StreamID {
	return store.StreamID{Customer: c, AggregateType: "account", AggregateID: c}
}

func newLedger(t *testing.T) (string, *Writer) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "mixed.ledger")
	w, err := Create(p, Header{Config: "mixed", Store: "memory"})
	if err != nil {
		t.Fatal(err)
	}
	return p, w
}

// TestAuditMemoryStore records the appends of a real (memory) store through
// the decorator and audits it: conflicts are not recorded, acknowledged
// appends are found, and a ledger that claims more than the store holds
// shows the loss.
func TestAuditMemoryStore(t *testing.T) {
	ctx := context.Background()
	st := memory.New()
	path, w := newLedger(t)
	ls := Wrap(st, w)
	a, b := stream("c1"), stream("c 2/odd%") // a name that needs escaping
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(ls.Append(ctx, store.AppendRequest{Stream: a, Events: ev("a1", "a2")}))
	must(ls.Append(ctx, store.AppendRequest{Stream: a, ExpectedVersion: 2, Events: ev("a3")},
		store.AppendRequest{Stream: store.StreamID{Customer: "c1", AggregateType: "license", AggregateID: "l1"}, Events: ev("l1")}))
	must(ls.Append(ctx, store.AppendRequest{Stream: b, Events: ev("b1")}))
	// A conflict proves nothing was written: not in the ledger.
	if err := ls.Append(ctx, store.AppendRequest{Stream: a, ExpectedVersion: 1, Events: ev("x")}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("stale append: %v, want a conflict", err)
	}
	// An idempotent retry is acknowledged again: recorded, counted once.
	must(ls.Append(ctx, store.AppendRequest{Stream: b, Events: ev("b1")}))
	must(w.Close())

	l, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if l.TornTail || len(l.Acked) != 5 || len(l.Unknown) != 0 || l.Header.Config != "mixed" || l.Header.Format != Format {
		t.Fatalf("ledger read back: %+v", l)
	}
	rep, err := Audit(ctx, st, []*Ledger{l})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || rep.Acknowledged != 5 || rep.Found != 5 || rep.Streams != 3 || rep.Gaps != 0 {
		t.Fatalf("audit of a clean store: %+v", rep)
	}

	// A ledger claiming an event the store never got: lost. One claiming
	// a stored event at another version: misplaced.
	l.Acked = append(l.Acked, Append{Stream: a, First: 4, EventIDs: []string{"ghost"}}, Append{Stream: a, First: 5, EventIDs: []string{"a1"}})
	rep, err = Audit(ctx, st, []*Ledger{l})
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() || rep.Lost != 1 || rep.Misplaced != 1 || rep.Found != 5 {
		t.Fatalf("audit with a lost and a misplaced event: %+v", rep)
	}
	var text strings.Builder
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"lost                1", "FAILED", "lost: c1/account/c1 event ghost acknowledged at version 4"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("report text lacks %q:\n%s", want, text.String())
		}
	}
}

// failing fails every append with err.
type failing struct {
	store.Store
	err error
}

func (f failing) Append(context.Context, ...store.AppendRequest) error { return f.err }

// TestUnknownOutcomes checks which failures are recorded as unknown and how
// the audit resolves them.
func TestUnknownOutcomes(t *testing.T) {
	ctx := context.Background()
	st := memory.New()
	path, w := newLedger(t)
	s1, s2 := stream("u1"), stream("u2")
	// Applied, but the caller saw a timeout.
	if err := st.Append(ctx, store.AppendRequest{Stream: s1, Events: ev("e1")}); err != nil {
		t.Fatal(err)
	}
	timeout := fmt.Errorf("write timed out: %w", store.ErrUnavailable)
	for _, c := range []struct {
		err     error
		reqs    []store.AppendRequest
		unknown bool
	}{
		{timeout, []store.AppendRequest{{Stream: s1, Events: ev("e1")}}, true},
		{context.Canceled, []store.AppendRequest{{Stream: s2, Events: ev("f1")}}, true},
		{&store.ConflictError{Stream: s2}, []store.AppendRequest{{Stream: s2, Events: ev("g1")}}, false},
		{fmt.Errorf("%w: too big", store.ErrInvalid), []store.AppendRequest{{Stream: s2, Events: ev("g2")}}, false},
		{store.ErrClosed, []store.AppendRequest{{Stream: s2, Events: ev("g3")}}, false},
	} {
		if err := Wrap(failing{st, c.err}, w).Append(ctx, c.reqs...); !errors.Is(err, c.err) {
			t.Fatalf("decorator changed the error %v to %v", c.err, err)
		}
	}
	// Half of an atomic append stored: a broken promise the audit reports.
	if err := st.Append(ctx, store.AppendRequest{Stream: stream("u3"), Events: ev("h1")}); err != nil {
		t.Fatal(err)
	}
	Wrap(failing{st, timeout}, w).Append(ctx, store.AppendRequest{Stream: stream("u3"), Events: ev("h1", "h2")})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	l, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Acked) != 0 || len(l.Unknown) != 3 {
		t.Fatalf("ledger: %d acked, %d unknown; want 0 and 3", len(l.Acked), len(l.Unknown))
	}
	rep, err := Audit(ctx, st, []*Ledger{l})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Unknown != 3 || rep.UnknownPresent != 1 || rep.UnknownAbsent != 1 || rep.UnknownPartial != 1 || rep.OK() {
		t.Fatalf("unknown outcomes resolved as %+v", rep)
	}
}

// rawStore serves fixed rows, as a backend without conditional writes can
// hold them.
type rawStore struct {
	store.Store
	rows map[store.StreamID][]store.Record
}

func (r rawStore) ReadRaw(_ context.Context, s store.StreamID) iter.Seq2[store.Record, error] {
	return func(yield func(store.Record, error) bool) {
		for _, rec := range r.rows[s] {
			if !yield(rec, nil) {
				return
			}
		}
	}
}

// TestAuditDivergence checks the Jepsen-style counts on stored rows that
// only an unconditional store can hold: two events at one version, an event
// stored twice, a gap, and two writers both acknowledged at one version.
func TestAuditDivergence(t *testing.T) {
	s := stream("d")
	rec := func(v uint64, id string) store.Record { return store.Record{Version: v, EventID: id} }
	st := rawStore{Store: memory.New(), rows: map[store.StreamID][]store.Record{
		s: {rec(1, "x"), rec(1, "y"), rec(2, "z"), rec(3, "x"), rec(5, "w")},
	}}
	l1 := &Ledger{Acked: []Append{{Stream: s, First: 1, EventIDs: []string{"x"}}, {Stream: s, First: 5, EventIDs: []string{"w"}}}}
	l2 := &Ledger{Acked: []Append{{Stream: s, First: 1, EventIDs: []string{"y", "z"}}}}
	rep, err := Audit(context.Background(), st, []*Ledger{l1, l2})
	if err != nil {
		t.Fatal(err)
	}
	want := Report{Ledgers: 2, Streams: 1, Acknowledged: 4, Found: 4, Duplicated: 1, Divergent: 1, AckedTwice: 1, Gaps: 1}
	got := *rep
	got.Examples = nil
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("audit = %+v\nwant    %+v", got, want)
	}
	if rep.OK() {
		t.Fatal("a divergent stream audited OK")
	}
}

// TestReadTornTail: a ledger cut inside its last line (esbench killed while
// writing) reads without that line; damage before the end is an error.
func TestReadTornTail(t *testing.T) {
	dir := t.TempDir()
	head := `# {"format":"esbench-ledger/v1","config":"mixed","store":"pebble","location":"pebble /d","started":"2026-01-01T00:00:00Z"}` + "\n"
	tests := []struct {
		name, body string
		acked      int
		torn       bool
		err        string
	}{
		{"complete", "S 1 c account c\nA 1 1 e1 e2\n", 1, false, ""},
		{"torn last line", "S 1 c account c\nA 1 1 e1 e2\nA 1 3 e", 1, true, ""},
		{"empty file", "", 0, false, "empty file"},
		{"no header", "S 1 c account c\n", 0, false, "no header"},
		{"stream used before defined", "A 1 1 e1\n", 0, false, "line 2: stream \"1\" was not defined before"},
		{"version zero", "S 1 c account c\nA 1 0 e1\n", 0, false, "line 3: version \"0\""},
		{"no event id", "S 1 c account c\nA 1 1\n", 0, false, "line 3: append line has 2 fields"},
		{"unknown type", "S 1 c account c\nX 1 1 e\n", 0, false, `line 3: unknown record type "X"`},
		{"stream defined twice", "S 1 c account c\nS 1 d account d\n", 0, false, "line 3: stream 1 defined twice"},
		{"short stream line", "S 1 c account\n", 0, false, "line 2: stream line has 4 fields"},
		{"bad escape", "S 1 c%zz account c\n", 0, false, "line 2: stream field"},
		{"unknown without call", "S 1 c account c\nU\n", 0, false, "line 3: unknown-outcome line without a call number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := head + tt.body
			switch tt.name {
			case "empty file":
				body = ""
			case "no header":
				body = tt.body
			}
			p := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_"))
			if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			l, err := Read(p)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.Contains(err.Error(), p) {
					t.Fatalf("Read: %v, want an error naming %s and %q", err, p, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(l.Acked) != tt.acked || l.TornTail != tt.torn {
				t.Fatalf("read %d acked, torn %v; want %d, %v", len(l.Acked), l.TornTail, tt.acked, tt.torn)
			}
		})
	}
}
