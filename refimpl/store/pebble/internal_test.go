package pebble

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/esbench/esbench/refimpl/store"
)

func openTest(tb testing.TB, opts Options) *Store {
	tb.Helper()
	s, err := Open(opts)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

func rec(id string) store.Record {
	return store.Record{EventID: id, Type: "DownloadGranted", Codec: "json", Payload: []byte(id), RecordedAt: time.Unix(1_700_000_000, 5).UTC()}
}

func appendN(tb testing.TB, s *Store, st store.StreamID, from, n int) {
	tb.Helper()
	evs := make([]store.Record, n)
	for i := range evs {
		evs[i] = rec("ev-" + strconv.Itoa(from+i))
	}
	if err := s.Append(context.Background(), store.AppendRequest{Stream: st, ExpectedVersion: uint64(from - 1), Events: evs}); err != nil {
		tb.Fatalf("Append: %v", err)
	}
}

// versions drains seq and returns the versions it yielded, checking each
// event id matches its version.
func versions(tb testing.TB, recs func(func(store.Record, error) bool)) ([]uint64, error) {
	tb.Helper()
	var out []uint64
	for r, err := range recs {
		if err != nil {
			return out, err
		}
		if r.EventID != "ev-"+strconv.FormatUint(r.Version, 10) {
			tb.Fatalf("version %d holds event %q", r.Version, r.EventID)
		}
		out = append(out, r.Version)
	}
	return out, nil
}

func checkRun(tb testing.TB, what string, got []uint64, from, to uint64) {
	tb.Helper()
	if len(got) != int(to-from+1) {
		tb.Fatalf("%s: %d versions %v, want %d..%d", what, len(got), got, from, to)
	}
	for i, v := range got {
		if v != from+uint64(i) {
			tb.Fatalf("%s: position %d holds version %d, want %d", what, i, v, from+uint64(i))
		}
	}
}

// TestArchiveCrashBetweenTiers stops an archival after the cold copy and
// before the hot delete, as a crash would: nothing is lost or doubled, and
// the re-run completes the move.
func TestArchiveCrashBetweenTiers(t *testing.T) {
	for _, tc := range []struct {
		name   string
		copied uint64 // versions 1..copied reached the cold tier before the crash
	}{
		{"PartialCopy", 4},
		{"FullCopy", 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			opts := DefaultOptions(t.TempDir())
			opts.PageSize = 3
			s := openTest(t, opts)
			st := store.StreamID{Customer: "c", AggregateType: "DownloadAccount", AggregateID: "a"}
			appendN(t, s, st, 1, 20)
			if err := s.SaveSnapshot(ctx, store.Snapshot{Stream: st, Version: 10, Type: "DownloadAccount", Codec: "json"}); err != nil {
				t.Fatalf("SaveSnapshot: %v", err)
			}
			if _, err := s.copyToCold(ctx, st, streamPrefix(kindEvent, st), 1, tc.copied); err != nil {
				t.Fatalf("copyToCold: %v", err)
			}
			// The "crash": the process goes away without the hot delete.
			if err := s.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			s = openTest(t, opts)
			got, err := versions(t, s.Load(ctx, st, 0))
			if err != nil {
				t.Fatalf("Load after the crash: %v", err)
			}
			checkRun(t, "Load after the crash", got, 1, 20)
			got, err = versions(t, s.LoadAudit(ctx, st))
			if err != nil {
				t.Fatalf("LoadAudit after the crash: %v", err)
			}
			checkRun(t, "LoadAudit after the crash", got, 1, 20)

			moved, err := s.Archive(ctx, st)
			if err != nil || moved != 10 {
				t.Fatalf("Archive re-run = %d, %v; want 10 moved", moved, err)
			}
			if _, err := versions(t, s.Load(ctx, st, 0)); !errors.Is(err, store.ErrArchived) {
				t.Fatalf("Load(0) after archival: %v, want ErrArchived", err)
			}
			got, err = versions(t, s.LoadAudit(ctx, st))
			if err != nil {
				t.Fatalf("LoadAudit: %v", err)
			}
			checkRun(t, "LoadAudit after the re-run", got, 1, 20)
		})
	}
}

// TestLoadRacesArchival runs loads and audits while the same stream is
// archived step by step: a load either reads contiguous versions to the end
// or stops with ErrArchived; an audit always reads every version once.
func TestLoadRacesArchival(t *testing.T) {
	ctx := context.Background()
	opts := DefaultOptions(t.TempDir())
	opts.PageSize = 5
	opts.Sync = false
	s := openTest(t, opts)
	st := store.StreamID{Customer: "c", AggregateType: "DownloadAccount", AggregateID: "race"}
	const n = 600
	for i := 1; i <= n; i += 100 {
		appendN(t, s, st, i, 100)
	}
	done := make(chan error, 1)
	go func() {
		for v := uint64(20); v <= n; v += 20 {
			if err := s.SaveSnapshot(ctx, store.Snapshot{Stream: st, Version: v, Type: "DownloadAccount", Codec: "json"}); err != nil {
				done <- err
				return
			}
			if err := s.TrimSnapshots(ctx, st, 1); err != nil {
				done <- err
				return
			}
			if _, err := s.Archive(ctx, st); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for i := 0; ; i++ {
		got, err := versions(t, s.Load(ctx, st, 0))
		if err != nil && !errors.Is(err, store.ErrArchived) {
			t.Fatalf("Load: %v", err)
		}
		for j := 1; j < len(got); j++ {
			if got[j] != got[j-1]+1 {
				t.Fatalf("Load yielded %d after %d", got[j], got[j-1])
			}
		}
		if err == nil && len(got) != n {
			t.Fatalf("Load ended without error after %d of %d events", len(got), n)
		}
		audit, err := versions(t, s.LoadAudit(ctx, st))
		if err != nil {
			t.Fatalf("LoadAudit: %v", err)
		}
		checkRun(t, "LoadAudit during archival", audit, 1, n)
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("archiver: %v", err)
			}
			return
		default:
		}
	}
}

func TestOpenErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		opts    Options
		invalid bool
	}{
		{"EmptyDir", Options{}, true},
		{"NegativePageSize", Options{Dir: t.TempDir(), PageSize: -1}, true},
		{"NegativeCache", Options{Dir: t.TempDir(), CacheSize: -1}, true},
		{"DirIsAFile", Options{Dir: file}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open(tc.opts)
			if err == nil {
				_ = s.Close()
				t.Fatalf("Open(%+v) succeeded", tc.opts)
			}
			if errors.Is(err, store.ErrInvalid) != tc.invalid {
				t.Fatalf("Open(%+v): %v; ErrInvalid want %v", tc.opts, err, tc.invalid)
			}
		})
	}
	t.Run("AlreadyOpen", func(t *testing.T) {
		opts := DefaultOptions(t.TempDir())
		openTest(t, opts)
		if s, err := Open(opts); err == nil {
			_ = s.Close()
			t.Fatal("a second Open of an open directory succeeded")
		}
	})
	t.Run("Defaults", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "not", "yet")
		got := openTest(t, Options{Dir: dir}).Options()
		if got.ColdDir != filepath.Join(dir, "cold") || got.PageSize != defaultPageSize || got.Sync {
			t.Fatalf("options with defaults: %+v", got)
		}
		if !DefaultOptions(dir).Sync {
			t.Fatal("DefaultOptions does not sync")
		}
	})
}

// TestCrashDurability kills a writer process with SIGKILL in the middle of
// its appends: a reopened store holds every append the writer saw
// acknowledged, with gapless versions.
func TestCrashDurability(t *testing.T) {
	const envDir = "ESBENCH_PEBBLE_CRASH_DIR"
	if dir := os.Getenv(envDir); dir != "" {
		crashWriter(dir)
		return
	}
	if testing.Short() {
		t.Skip("starts a child process")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashDurability$", "-test.count=1")
	cmd.Env = append(os.Environ(), envDir+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var acked uint64
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		v, err := strconv.ParseUint(sc.Text(), 10, 64)
		if err != nil {
			continue // test framework output
		}
		acked = v
		if acked == 40 {
			_ = cmd.Process.Kill()
		}
	}
	_ = cmd.Wait()
	if acked < 40 {
		t.Fatalf("writer acknowledged only %d appends before it ended", acked)
	}
	s := openTest(t, DefaultOptions(dir))
	st := crashStream()
	got, err := versions(t, s.Load(context.Background(), st, 0))
	if err != nil {
		t.Fatalf("Load after the crash: %v", err)
	}
	if uint64(len(got)) < acked {
		t.Fatalf("%d events survived, %d were acknowledged", len(got), acked)
	}
	checkRun(t, "after the crash", got, 1, uint64(len(got)))
	if sn, ok, err := s.LatestSnapshot(context.Background(), st, store.Latest); err != nil || !ok || sn.Version != 10 {
		t.Fatalf("snapshot after the crash: %v %v %v", sn.Version, ok, err)
	}
}

func crashStream() store.StreamID {
	return store.StreamID{Customer: "c", AggregateType: "DownloadAccount", AggregateID: "crash"}
}

// crashWriter appends one event at a time and prints each acknowledged
// version until it is killed.
func crashWriter(dir string) {
	s, err := Open(DefaultOptions(dir))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ctx := context.Background()
	st := crashStream()
	for v := uint64(1); v <= 100_000; v++ {
		err := s.Append(ctx, store.AppendRequest{Stream: st, ExpectedVersion: v - 1, Events: []store.Record{rec("ev-" + strconv.FormatUint(v, 10))}})
		if err == nil && v == 10 {
			err = s.SaveSnapshot(ctx, store.Snapshot{Stream: st, Version: 10, Type: "DownloadAccount", Codec: "json"})
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Println(v)
	}
	os.Exit(3) // never killed: the parent notices too few or too many lines
}
