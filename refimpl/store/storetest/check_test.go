package storetest_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/esbench/esbench/refimpl/store"
	"github.com/esbench/esbench/refimpl/store/memory"
	"github.com/esbench/esbench/refimpl/store/storetest"
)

func openMemory(t storetest.T) store.Store {
	s := memory.New()
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// ignoresCancel is a deliberately broken store: its Append ignores the
// caller's context, which only the Context area checks.
type ignoresCancel struct{ store.Store }

func (s ignoresCancel) Append(_ context.Context, reqs ...store.AppendRequest) error {
	return s.Store.Append(context.Background(), reqs...)
}

func statuses(rs []storetest.Result) map[string]storetest.Status {
	out := map[string]storetest.Status{}
	for _, r := range rs {
		out[r.Name] = r.Status
	}
	return out
}

func TestCheckMemoryPasses(t *testing.T) {
	var reported []string
	rs, err := storetest.Check(context.Background(), storetest.Harness{Open: openMemory}, func(r storetest.Result) {
		reported = append(reported, r.Name)
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(reported, storetest.Areas()) {
		t.Fatalf("reported %v, want every area in order %v", reported, storetest.Areas())
	}
	for _, r := range rs {
		want := storetest.Pass
		if r.Name == "Reopen" {
			want = storetest.Skip
		}
		if r.Status != want {
			t.Errorf("%s: %s (%s %q), want %s", r.Name, r.Status, r.Reason, r.Failures, want)
		}
	}
	if st := statuses(rs); st["Reopen"] != storetest.Skip {
		t.Errorf("Reopen without Harness.Reopen: %s, want skip", st["Reopen"])
	}
}

func TestCheckFindsBrokenStore(t *testing.T) {
	h := storetest.Harness{Open: func(t storetest.T) store.Store { return ignoresCancel{openMemory(t)} }}
	rs, err := storetest.Check(context.Background(), h, nil)
	if err != nil {
		t.Fatal(err)
	}
	var failed []string
	for _, r := range rs {
		if r.Status == storetest.Fail {
			failed = append(failed, r.Name)
			if r.Name == "Context" && (len(r.Failures) == 0 || !strings.Contains(strings.Join(r.Failures, "\n"), "Context/Append: Append with a cancelled context")) {
				t.Errorf("Context failures %q do not name the Append subtest", r.Failures)
			}
		}
	}
	if !slices.Equal(failed, []string{"Context"}) {
		t.Fatalf("failed areas %v, want exactly [Context]", failed)
	}
}

func TestCheckSkipsAndCancel(t *testing.T) {
	h := storetest.Harness{Open: openMemory, Skip: map[string]string{"Paging": "pages are not a thing here"}}
	rs, err := storetest.Check(context.Background(), h, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.Name == "Paging" && (r.Status != storetest.Skip || r.Reason != "pages are not a thing here") {
			t.Errorf("Paging: %s %q, want skipped with the harness's reason", r.Status, r.Reason)
		}
	}
	h.Skip = map[string]string{"Pagingg": "typo"}
	if _, err := storetest.Check(context.Background(), h, nil); err == nil || !strings.Contains(err.Error(), `"Pagingg"`) {
		t.Fatalf("Check with an unknown skip: %v, want an error naming it", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rs, err = storetest.Check(ctx, storetest.Harness{Open: openMemory}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.Status != storetest.NotRun {
			t.Errorf("%s after cancellation: %s, want not run", r.Name, r.Status)
		}
	}
}

// TestCheckFatalAndPanic checks the runner's T: Fatal ends the check and
// fails it, a panic fails the check instead of the process, and cleanups
// run either way.
func TestCheckFatalAndPanic(t *testing.T) {
	var closed int
	open := func(t storetest.T) store.Store {
		s := memory.New()
		t.Cleanup(func() { closed++; _ = s.Close() })
		return panicky{s}
	}
	rs, err := storetest.Check(context.Background(), storetest.Harness{Open: open}, nil)
	if err != nil {
		t.Fatal(err)
	}
	st := statuses(rs)
	if st["Snapshots"] != storetest.Fail {
		t.Fatalf("Snapshots with a panicking TrimSnapshots: %s, want fail", st["Snapshots"])
	}
	for _, r := range rs {
		if r.Name == "Snapshots" && !strings.Contains(strings.Join(r.Failures, "\n"), "panic: trim") {
			t.Errorf("Snapshots failures %q do not report the panic", r.Failures)
		}
	}
	if closed == 0 {
		t.Error("no cleanup ran")
	}
}

type panicky struct{ store.Store }

func (panicky) TrimSnapshots(context.Context, store.StreamID, int) error { panic("trim") }
