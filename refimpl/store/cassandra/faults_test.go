package cassandra

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/esbench/esbench/refimpl/store"
)

// silentListener accepts connections and never answers, like a host whose
// CQL port is firewalled into a black hole.
func silentListener(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return ln.Addr().String()
}

// closedPort returns an address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// TestUnreachableContactPoints needs no node: Open must give up within the
// configured timeouts, name the contact points, and mark the error as the
// backend being unavailable.
func TestUnreachableContactPoints(t *testing.T) {
	for _, tc := range []struct {
		name string
		addr func(t *testing.T) string
	}{
		{"Refused", closedPort},
		{"Silent", silentListener},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := tc.addr(t)
			cfg := Config{Hosts: []string{addr}, ConnectTimeout: 500 * time.Millisecond, Timeout: 500 * time.Millisecond, Keyspace: "nowhere"}
			start := time.Now()
			s, err := Open(context.Background(), cfg)
			took := time.Since(start)
			if err == nil {
				_ = s.Close()
				t.Fatalf("Open(%s) succeeded", addr)
			}
			if !errors.Is(err, store.ErrUnavailable) {
				t.Fatalf("Open(%s): %v, want ErrUnavailable", addr, err)
			}
			if !strings.Contains(err.Error(), addr) {
				t.Fatalf("Open(%s): %q does not name the contact point", addr, err)
			}
			// The driver makes a few attempts of ConnectTimeout each; what
			// must not happen is a hang far beyond them.
			if took > 20*time.Second {
				t.Fatalf("Open(%s) took %s with a 500ms connect timeout", addr, took)
			}
		})
	}
}

func TestUnreachableHonoursContext(t *testing.T) {
	addr := silentListener(t)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := Open(ctx, Config{Hosts: []string{addr}, ConnectTimeout: time.Minute})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Open with an expiring context: %v, want context.DeadlineExceeded", err)
	}
	if !strings.Contains(err.Error(), addr) {
		t.Fatalf("%q does not name the contact point", err)
	}
}

// TestWrongShapeIsReported creates tables of another shape and checks that
// Open reports each difference and changes nothing.
func TestWrongShapeIsReported(t *testing.T) {
	cfg := nodeConfig(t)
	cfg = newKeyspace(t, cfg)
	cfg = cfg.withDefaults()
	sess, err := connect(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	exec := func(stmt string) {
		t.Helper()
		if err := sess.Query(stmt).Exec(); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	exec("DROP TABLE " + cfg.Keyspace + ".events")
	exec("CREATE TABLE " + cfg.Keyspace + ".events (customer text, aggregate_type text, aggregate_id text, version int, event_id text, payload text, " +
		"PRIMARY KEY ((customer), aggregate_type, aggregate_id, version)) WITH CLUSTERING ORDER BY (aggregate_type ASC, aggregate_id ASC, version DESC)")
	exec("DROP TABLE " + cfg.Keyspace + ".snapshots")
	if err := sess.AwaitSchemaAgreement(context.Background()); err != nil {
		t.Fatal(err)
	}

	for _, create := range []bool{false, true} {
		t.Run(fmt.Sprintf("CreateSchema=%v", create), func(t *testing.T) {
			c := cfg
			c.CreateSchema = create
			s, err := Open(context.Background(), c)
			if err == nil {
				_ = s.Close()
				t.Fatal("Open accepted a keyspace of the wrong shape")
			}
			if !errors.Is(err, ErrSchema) {
				t.Fatalf("Open: %v, want ErrSchema", err)
			}
			msg := err.Error()
			wants := []string{
				"events: column version has type int, want bigint",
				"events: column payload has type text, want blob",
				"events: column type text is missing",
			}
			if !create {
				wants = append(wants, "table "+cfg.Keyspace+".snapshots is missing")
			}
			for _, w := range wants {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not say %q", msg, w)
				}
			}
		})
	}
	// Nothing was overwritten: the wrong table is still there as it was.
	var typ string
	if err := sess.Query(`SELECT type FROM system_schema.columns WHERE keyspace_name = ? AND table_name = 'events' AND column_name = 'payload'`, cfg.Keyspace).Scan(&typ); err != nil {
		t.Fatal(err)
	}
	if typ != "text" {
		t.Fatalf("events.payload is now %s; the existing table was changed", typ)
	}
}

func TestMissingKeyspaceIsReported(t *testing.T) {
	cfg := nodeConfig(t)
	cfg.Keyspace = "esbench_absent_keyspace"
	_, err := Open(context.Background(), cfg)
	if !errors.Is(err, ErrSchema) || !strings.Contains(err.Error(), "esbench_absent_keyspace") || !strings.Contains(err.Error(), "schema apply") {
		t.Fatalf("Open on a missing keyspace: %v, want ErrSchema naming it and the fix", err)
	}
}

// TestTimedOutConditionalAppend injects the timeouts a healthy node never
// shows: the outcome of a timed-out conditional batch is unknown, so the
// store reads back, and reports success only with proof.
func TestTimedOutConditionalAppend(t *testing.T) {
	cfg := newKeyspace(t, nodeConfig(t))
	s := openStore(t, cfg)
	real := s.execCAS
	ctx := context.Background()
	casTimeout := &gocql.RequestErrWriteTimeout{WriteType: "CAS"}
	ev := func(prefix string, n int) []store.Record {
		out := make([]store.Record, n)
		for i := range out {
			out[i] = store.Record{EventID: fmt.Sprintf("%s-%d", prefix, i+1), Type: "T", Codec: "json", Payload: []byte(prefix)}
		}
		return out
	}
	loadIDs := func(t *testing.T, st store.StreamID) []string {
		t.Helper()
		var ids []string
		for r, err := range s.Load(ctx, st, 0) {
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			ids = append(ids, r.EventID)
		}
		return ids
	}
	for _, tc := range []struct {
		name string
		// exec runs (or not) the batch, then fails like a timeout would.
		exec     func(ctx context.Context, b *gocql.Batch, dest map[string]any) (bool, *gocql.Iter, error)
		before   func(t *testing.T, st store.StreamID)
		wantErr  func(err error) bool
		wantIDs  []string
		describe string
	}{
		{
			name: "AppliedThenTimedOut",
			exec: func(ctx context.Context, b *gocql.Batch, dest map[string]any) (bool, *gocql.Iter, error) {
				if applied, _, err := real(ctx, b, dest); err != nil || !applied {
					return false, nil, fmt.Errorf("real batch: applied=%v err=%v", applied, err)
				}
				return false, nil, casTimeout
			},
			wantErr:  func(err error) bool { return err == nil },
			wantIDs:  []string{"a-1", "a-2"},
			describe: "success (the read-back proves the events landed)",
		},
		{
			name: "NeverAppliedTimedOut",
			exec: func(context.Context, *gocql.Batch, map[string]any) (bool, *gocql.Iter, error) {
				return false, nil, casTimeout
			},
			wantErr: func(err error) bool {
				return errors.Is(err, ErrOutcomeUnknown) && errors.Is(err, store.ErrUnavailable) && !errors.Is(err, store.ErrConflict)
			},
			wantIDs:  nil,
			describe: "ErrOutcomeUnknown and ErrUnavailable (no proof either way)",
		},
		{
			name: "ClientTimeoutNoResponse",
			exec: func(context.Context, *gocql.Batch, map[string]any) (bool, *gocql.Iter, error) {
				return false, nil, gocql.ErrTimeoutNoResponse
			},
			wantErr:  func(err error) bool { return errors.Is(err, ErrOutcomeUnknown) },
			wantIDs:  nil,
			describe: "ErrOutcomeUnknown",
		},
		{
			name: "OtherWriterWonThenTimedOut",
			before: func(t *testing.T, st store.StreamID) {
				if err := s.Append(ctx, store.AppendRequest{Stream: st, Events: ev("other", 1)}); err != nil {
					t.Fatal(err)
				}
			},
			exec: func(ctx context.Context, b *gocql.Batch, dest map[string]any) (bool, *gocql.Iter, error) {
				return false, nil, &gocql.RequestErrCASWriteUnknown{}
			},
			wantErr:  func(err error) bool { return errors.Is(err, store.ErrConflict) },
			wantIDs:  []string{"other-1"},
			describe: "a conflict (another event holds the version)",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := store.StreamID{Customer: "timeout-" + tc.name, AggregateType: "T", AggregateID: "a"}
			if tc.before != nil {
				s.execCAS = real
				tc.before(t, st)
			}
			s.execCAS = tc.exec
			err := s.Append(ctx, store.AppendRequest{Stream: st, Events: ev("a", 2)})
			s.execCAS = real
			if !tc.wantErr(err) {
				t.Fatalf("timed-out append returned %v, want %s", err, tc.describe)
			}
			got := loadIDs(t, st)
			if strings.Join(got, ",") != strings.Join(tc.wantIDs, ",") {
				t.Fatalf("stream holds %v, want %v", got, tc.wantIDs)
			}
			// A retry after an unknown outcome is safe and lands once.
			if errors.Is(err, ErrOutcomeUnknown) {
				if err := s.Append(ctx, store.AppendRequest{Stream: st, Events: ev("a", 2)}); err != nil {
					t.Fatalf("retry: %v", err)
				}
				if got := loadIDs(t, st); strings.Join(got, ",") != "a-1,a-2" {
					t.Fatalf("after retry the stream holds %v", got)
				}
			}
		})
	}
}

// TestCancelledInFlight: a caller that cancels while the batch may be on the
// wire gets an unknown outcome, never a success or a plain failure.
func TestCancelledInFlight(t *testing.T) {
	cfg := newKeyspace(t, nodeConfig(t))
	s := openStore(t, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s.execCAS = func(ctx context.Context, b *gocql.Batch, dest map[string]any) (bool, *gocql.Iter, error) {
		cancel()
		return false, nil, ctx.Err()
	}
	st := store.StreamID{Customer: "cancel", AggregateType: "T", AggregateID: "a"}
	err := s.Append(ctx, store.AppendRequest{Stream: st, Events: []store.Record{{EventID: "e1", Type: "T"}}})
	if !errors.Is(err, ErrOutcomeUnknown) || !errors.Is(err, context.Canceled) {
		t.Fatalf("append cancelled in flight: %v, want ErrOutcomeUnknown and context.Canceled", err)
	}
}
