package pebble_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/esbench/esbench/refimpl/store"
	"github.com/esbench/esbench/refimpl/store/pebble"
)

func forkEvents(prefix string, n int) []store.Record {
	out := make([]store.Record, n)
	for i := range out {
		out[i] = store.Record{EventID: prefix + string(rune('a'+i)), Type: "t", SchemaVersion: 1, Codec: "json",
			Payload: []byte(`{}`), RecordedAt: time.Unix(1, 0)}
	}
	return out
}

func streamLen(t *testing.T, s store.Store, id store.StreamID) int {
	t.Helper()
	n := 0
	for _, err := range s.Load(context.Background(), id, 0) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	return n
}

// TestFork: a fork starts with what the store held, writes to either do
// not reach the other, two forks are independent, and closing a fork
// removes its directory (and nothing of the store's).
func TestFork(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	base := openAt(t, pebble.DefaultOptions(dir))
	id := store.StreamID{Customer: "c1", AggregateType: "account", AggregateID: "c1"}
	if err := base.Append(ctx, store.AppendRequest{Stream: id, Events: forkEvents("p", 3)}); err != nil {
		t.Fatal(err)
	}
	f1, err := base.Fork(ctx, store.ForkOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f2, err := base.Fork(ctx, store.ForkOptions{Frozen: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := streamLen(t, f1, id); got != 3 {
		t.Fatalf("fork holds %d events, want the store's 3", got)
	}
	if err := f1.Append(ctx, store.AppendRequest{Stream: id, ExpectedVersion: 3, Events: forkEvents("f", 2)}); err != nil {
		t.Fatal(err)
	}
	if err := base.Append(ctx, store.AppendRequest{Stream: id, ExpectedVersion: 3, Events: forkEvents("b", 1)}); err != nil {
		t.Fatal(err)
	}
	if got := streamLen(t, f1, id); got != 5 {
		t.Errorf("fork 1 holds %d events, want 3+2 (its own writes, not the store's)", got)
	}
	if got := streamLen(t, f2, id); got != 3 {
		t.Errorf("fork 2 holds %d events, want 3 (neither fork 1's nor the store's later writes)", got)
	}
	if got := streamLen(t, base, id); got != 4 {
		t.Errorf("store holds %d events, want 3+1 (not the fork's)", got)
	}
	forks, err := os.ReadDir(filepath.Join(dir, "forks"))
	if err != nil || len(forks) != 2 {
		t.Fatalf("forks directory: %v, %d entries, want 2", err, len(forks))
	}
	if err := f1.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f2.Close(); err != nil {
		t.Fatal(err)
	}
	if left, err := os.ReadDir(filepath.Join(dir, "forks")); err != nil || len(left) != 0 {
		t.Errorf("after closing the forks: %v, %d entries left, want none", err, len(left))
	}
	if got := streamLen(t, base, id); got != 4 {
		t.Errorf("store holds %d events after the forks closed, want 4", got)
	}

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := base.Fork(cctx, store.ForkOptions{}); err == nil {
		t.Error("Fork with a cancelled context: no error")
	}

	// A fork outlives its store.
	f3, err := base.Fork(ctx, store.ForkOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := base.Close(); err != nil {
		t.Fatal(err)
	}
	if got := streamLen(t, f3, id); got != 4 {
		t.Errorf("fork of the closed store holds %d events, want 4", got)
	}
	if err := f3.Close(); err != nil {
		t.Fatal(err)
	}
}
