package service

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/esbench/esbench/refimpl/codec"
	"github.com/esbench/esbench/refimpl/domain"
	"github.com/esbench/esbench/refimpl/repository"
	"github.com/esbench/esbench/refimpl/store"
	"github.com/esbench/esbench/refimpl/store/memory"
)

// histCmd is one command of a generated history and when it happens.
type histCmd struct {
	at  time.Time
	cmd any
}

// randomHistory generates n commands for customer: an opening, then a random
// mix of every command the preload path takes, with some that the domain
// refuses (unknown licenses and devices, a second opening) or denies (device
// and per-title limits), at non-decreasing times.
func randomHistory(rng *rand.Rand, customer string, n int) []histCmd {
	plans := []string{domain.PlanBasic, domain.PlanStandard, domain.PlanPremium}
	at := start.Add(-365 * 24 * time.Hour)
	var (
		out      []histCmd
		acquired []string
	)
	req := func(i int) string { return customer + ".r" + strconv.Itoa(i) }
	// Mostly devices registered before, sometimes one that never was.
	var devices []string
	dev := func() string {
		if len(devices) == 0 || rng.IntN(15) == 0 {
			return "d" + strconv.Itoa(rng.IntN(6))
		}
		return devices[rng.IntN(len(devices))]
	}
	lic := func() string {
		if len(acquired) == 0 || rng.IntN(20) == 0 {
			return domain.LicenseIDFor("never-acquired")
		}
		return acquired[rng.IntN(len(acquired))]
	}
	out = append(out, histCmd{at, domain.OpenAccount{RequestID: req(0), CustomerID: customer, Plan: plans[rng.IntN(3)]}})
	for i := 1; i < n; i++ {
		if rng.IntN(3) > 0 {
			at = at.Add(time.Duration(rng.Int64N(int64(72 * time.Hour))))
		}
		var c any
		switch k := rng.IntN(100); {
		case i < 4 || k < 6:
			d := "d" + strconv.Itoa(rng.IntN(6))
			devices = append(devices, d)
			c = domain.RegisterDevice{RequestID: req(i), CustomerID: customer, DeviceID: d}
		case k < 9:
			c = domain.RemoveDevice{RequestID: req(i), CustomerID: customer, DeviceID: dev()}
		case k < 50:
			st := rng.IntN(3)
			c = domain.AcquireLicense{RequestID: req(i), CustomerID: customer, DeviceID: dev(),
				TitleID: "t" + strconv.Itoa(rng.IntN(4)), StudioID: "s" + strconv.Itoa(st), Restricted: st == 0}
			acquired = append(acquired, domain.LicenseIDFor(req(i)))
		case k < 65:
			c = domain.RenewLicense{RequestID: req(i), CustomerID: customer, LicenseID: lic()}
		case k < 80:
			c = domain.ReleaseLicense{RequestID: req(i), CustomerID: customer, LicenseID: lic()}
		case k < 99:
			c = domain.StartPlayback{RequestID: req(i), CustomerID: customer, LicenseID: lic()}
		default:
			c = domain.OpenAccount{RequestID: req(i), CustomerID: customer, Plan: domain.PlanBasic}
		}
		out = append(out, histCmd{at, c})
	}
	return out
}

// oneByOne sends cmd through the Service, the path bulk preloading replaces.
func oneByOne(ctx context.Context, s *Service, clk *clock, h histCmd) (Result, error) {
	clk.mu.Lock()
	clk.now = h.at
	clk.mu.Unlock()
	switch c := h.cmd.(type) {
	case domain.OpenAccount:
		return s.OpenAccount(ctx, c)
	case domain.RegisterDevice:
		return s.RegisterDevice(ctx, c)
	case domain.RemoveDevice:
		return s.RemoveDevice(ctx, c)
	case domain.AcquireLicense:
		return s.AcquireLicense(ctx, c)
	case domain.RenewLicense:
		return s.RenewLicense(ctx, c)
	case domain.ReleaseLicense:
		return s.ReleaseLicense(ctx, c)
	case domain.StartPlayback:
		return s.StartPlayback(ctx, c)
	}
	panic(fmt.Sprintf("test history holds a %T", h.cmd))
}

func inBulk(p *Preload, h histCmd) (Result, error) {
	switch c := h.cmd.(type) {
	case domain.OpenAccount:
		return p.OpenAccount(c, h.at)
	case domain.RegisterDevice:
		return p.RegisterDevice(c, h.at)
	case domain.RemoveDevice:
		return p.RemoveDevice(c, h.at)
	case domain.AcquireLicense:
		return p.AcquireLicense(c, h.at)
	case domain.RenewLicense:
		return p.RenewLicense(c, h.at)
	case domain.ReleaseLicense:
		return p.ReleaseLicense(c, h.at)
	case domain.StartPlayback:
		return p.StartPlayback(c, h.at)
	}
	panic(fmt.Sprintf("test history holds a %T", h.cmd))
}

// savedSnapshots records every snapshot saved, in order, so trimmed ones
// are compared too.
type savedSnapshots struct {
	store.Store
	mu    sync.Mutex
	saved []store.Snapshot
}

func (s *savedSnapshots) SaveSnapshot(ctx context.Context, sn store.Snapshot) error {
	if err := s.Store.SaveSnapshot(ctx, sn); err != nil {
		return err
	}
	s.mu.Lock()
	s.saved = append(s.saved, sn)
	s.mu.Unlock()
	return nil
}

// streamsOf lists the streams a history can have written.
func streamsOf(customer string, hist []histCmd) []store.StreamID {
	ids := []store.StreamID{accountStream(customer)}
	seen := map[string]bool{}
	for _, h := range hist {
		if c, ok := h.cmd.(domain.AcquireLicense); ok {
			id := domain.LicenseIDFor(c.RequestID)
			if !seen[id] {
				seen[id] = true
				ids = append(ids, licenseStream(customer, id))
			}
		}
	}
	return ids
}

// decoded is a stored record with its payload decoded, for comparison:
// RecordedAt is a wall-clock reading and differs between any two writes.
type decoded struct {
	Version       uint64
	EventID, Type string
	SchemaVersion int
	Codec         string
	Metadata      map[string]string
	Value         any
}

func readStream(t *testing.T, st store.Store, reg *codec.Registry, id store.StreamID) []decoded {
	t.Helper()
	var out []decoded
	for rec, err := range st.Load(context.Background(), id, 0) {
		if err != nil {
			t.Fatalf("load %s: %v", id, err)
		}
		v, err := reg.Decode(codec.Envelope{Type: rec.Type, SchemaVersion: rec.SchemaVersion, Codec: rec.Codec, Payload: rec.Payload})
		if err != nil {
			t.Fatalf("decode %s v%d: %v", id, rec.Version, err)
		}
		out = append(out, decoded{rec.Version, rec.EventID, rec.Type, int(rec.SchemaVersion), rec.Codec, rec.Metadata, v})
	}
	return out
}

func decodeSnapshots(t *testing.T, reg *codec.Registry, snaps []store.Snapshot) []decoded {
	t.Helper()
	out := make([]decoded, len(snaps))
	for i, s := range snaps {
		v, err := reg.Decode(codec.Envelope{Type: s.Type, SchemaVersion: s.SchemaVersion, Codec: s.Codec, Payload: s.Payload})
		if err != nil {
			t.Fatalf("decode snapshot %s v%d: %v", s.Stream, s.Version, err)
		}
		out[i] = decoded{Version: s.Version, EventID: s.Stream.String(), Type: s.Type, SchemaVersion: int(s.SchemaVersion), Codec: s.Codec, Value: v}
	}
	return out
}

// retained lists the snapshots a stream keeps, newest first.
func retained(t *testing.T, st store.Store, id store.StreamID) []uint64 {
	t.Helper()
	var out []uint64
	at := store.Latest
	for {
		s, ok, err := st.LatestSnapshot(context.Background(), id, at)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return out
		}
		out = append(out, s.Version)
		if s.Version == 0 {
			return out
		}
		at = s.Version - 1
	}
}

// TestPreloadMatchesOneByOne checks on random histories that the bulk path
// leaves exactly what sending the same commands one at a time through the
// Service leaves: the same answers, the same records (type, version, event
// id, metadata, decoded payload) in every stream, snapshots saved at the
// same versions with the same decoded state, the same snapshots retained,
// and deep-equal aggregates when loaded afterwards.
func TestPreloadMatchesOneByOne(t *testing.T) {
	policies := []string{"none", "every:1", "every:3", "every:10", "every:50", "load:events>7"}
	// json-ms loses precision on decode: the bulk path must notice and
	// decode its events as a replay would.
	codecs := []string{"json", "gob", "json-ms"}
	ctx := context.Background()
	reg := testRegistry()
	for _, pol := range policies {
		for ci, cod := range codecs {
			for seed := range uint64(3) {
				name := fmt.Sprintf("%s/%s/seed%d", pol, cod, seed)
				t.Run(name, func(t *testing.T) {
					rng := rand.New(rand.NewPCG(seed, uint64(ci)*7+uint64(len(pol))))
					n := 60 + rng.IntN(300)
					customer := "c" + strconv.FormatUint(seed, 10)
					hist := randomHistory(rng, customer, n)
					policy, err := repository.ParseSnapshotPolicy(pol)
					if err != nil {
						t.Fatal(err)
					}
					keep := 1 + rng.IntN(3)
					ropts := repository.Options{Codec: cod, Snapshots: policy, KeepSnapshots: keep}

					oneSt := &savedSnapshots{Store: memory.New()}
					one, clk := newService(t, oneSt, ropts, Options{})
					bulkSt := &savedSnapshots{Store: memory.New()}
					bulk, _ := newService(t, bulkSt, ropts, Options{})
					p, err := bulk.NewPreload(customer)
					if err != nil {
						t.Fatal(err)
					}
					batch := 1 + rng.IntN(60)
					var errs int
					for i, h := range hist {
						want, werr := oneByOne(ctx, one, clk, h)
						got, gerr := inBulk(p, h)
						if (werr == nil) != (gerr == nil) || (werr != nil && werr.Error() != gerr.Error()) {
							t.Fatalf("command %d %T: one by one: %v; bulk: %v", i, h.cmd, werr, gerr)
						}
						if werr != nil {
							errs++
						}
						if !reflect.DeepEqual(want.Decision, got.Decision) {
							t.Fatalf("command %d %T: one by one decided %+v, bulk %+v", i, h.cmd, want.Decision, got.Decision)
						}
						if p.Pending() >= batch {
							if _, err := p.Flush(ctx); err != nil {
								t.Fatal(err)
							}
						}
					}
					if _, err := p.Flush(ctx); err != nil {
						t.Fatal(err)
					}
					if errs == 0 || errs == len(hist) {
						t.Errorf("%d of %d commands refused: the history does not exercise both paths", errs, len(hist))
					}
					if !reflect.DeepEqual(one.Stats(), bulk.Stats()) {
						t.Errorf("stats: one by one %+v, bulk %+v", one.Stats(), bulk.Stats())
					}

					var events, accountEvents int
					for k, id := range streamsOf(customer, hist) {
						want, got := readStream(t, oneSt, reg, id), readStream(t, bulkSt, reg, id)
						events += len(want)
						if k == 0 {
							accountEvents = len(want)
						}
						if !reflect.DeepEqual(want, got) {
							t.Fatalf("%s: one by one stored %d records, bulk %d; first difference in %+v vs %+v", id, len(want), len(got), want, got)
						}
						if w, g := retained(t, oneSt, id), retained(t, bulkSt, id); !reflect.DeepEqual(w, g) {
							t.Errorf("%s: snapshots retained one by one %v, bulk %v", id, w, g)
						}
					}
					if events < n/4 {
						t.Errorf("only %d events stored for %d commands", events, n)
					}
					ws, gs := decodeSnapshots(t, reg, oneSt.saved), decodeSnapshots(t, reg, bulkSt.saved)
					if !reflect.DeepEqual(ws, gs) {
						t.Errorf("snapshots saved: one by one %d, bulk %d, differing", len(ws), len(gs))
					}
					if pol != "none" && accountEvents >= 50 && len(ws) == 0 {
						t.Errorf("policy %s saved no snapshot", pol)
					}

					// Loads afterwards, through a fresh repository on each.
					for _, id := range streamsOf(customer, hist) {
						var aggs [2]domain.Aggregate
						var stats [2]repository.LoadStats
						for k, st := range []store.Store{oneSt, bulkSt} {
							repo, err := repository.New(st, reg, ropts)
							if err != nil {
								t.Fatal(err)
							}
							a, err := domain.NewAggregate(id.AggregateType, id.AggregateID)
							if err != nil {
								t.Fatal(err)
							}
							if stats[k], err = repo.Load(ctx, id, a); err != nil {
								t.Fatalf("load %s: %v", id, err)
							}
							aggs[k] = a
						}
						if !reflect.DeepEqual(aggs[0], aggs[1]) {
							t.Errorf("%s: loaded aggregates differ:\none by one %+v\nbulk       %+v", id, aggs[0], aggs[1])
						}
						if stats[0].SnapshotVersion != stats[1].SnapshotVersion || stats[0].Version != stats[1].Version {
							t.Errorf("%s: load from snapshot %d to %d one by one, %d to %d bulk", id,
								stats[0].SnapshotVersion, stats[0].Version, stats[1].SnapshotVersion, stats[1].Version)
						}
					}
				})
			}
		}
	}
}

// TestPreloadRefuses checks the bulk path's limits: a command for another
// customer and a repeated request id are refused and change nothing; a
// flush onto streams that already exist conflicts and keeps its events.
func TestPreloadRefuses(t *testing.T) {
	ctx := context.Background()
	st := memory.New()
	s, _ := newService(t, st, repository.Options{}, Options{})
	at := start
	p, err := s.NewPreload("c1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.OpenAccount(domain.OpenAccount{RequestID: "r1", CustomerID: "c1", Plan: domain.PlanBasic}, at); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		run  func() error
		want error
	}{
		{"other customer", func() error {
			_, err := p.RegisterDevice(domain.RegisterDevice{RequestID: "r2", CustomerID: "c2", DeviceID: "d"}, at)
			return err
		}, domain.ErrInvalidCommand},
		{"repeated request id", func() error {
			_, err := p.RegisterDevice(domain.RegisterDevice{RequestID: "r1", CustomerID: "c1", DeviceID: "d"}, at)
			return err
		}, store.ErrInvalid},
		{"invalid command", func() error {
			_, err := p.RegisterDevice(domain.RegisterDevice{RequestID: "r3", CustomerID: "c1"}, at)
			return err
		}, domain.ErrInvalidCommand},
	}
	for _, tt := range tests {
		if err := tt.run(); !errors.Is(err, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
		}
		if p.Pending() != 1 {
			t.Errorf("%s: %d events pending, want the opening only", tt.name, p.Pending())
		}
	}

	// The account already exists in the store: the flush conflicts, and a
	// later one still has the events.
	if _, err := s.OpenAccount(ctx, domain.OpenAccount{RequestID: "other", CustomerID: "c1", Plan: domain.PlanBasic}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Flush(ctx); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("flush onto an existing stream: got %v, want a conflict", err)
	}
	if p.Pending() != 1 {
		t.Errorf("after a failed flush %d events pending, want 1", p.Pending())
	}
}

// BenchmarkPreload writes one customer's random history of 1,000 commands
// on the memory store, one at a time through the Service and in bulk
// (flushing every 100 events), without snapshots: the one-at-a-time cost
// grows with the square of the history, the bulk cost linearly.
func BenchmarkPreload(b *testing.B) {
	const n = 1000
	ctx := context.Background()
	reg := domain.NewRegistry()
	hist := randomHistory(rand.New(rand.NewPCG(1, 2)), "c", n)
	newSvc := func(b *testing.B) (*Service, *clock) {
		repo, err := repository.New(memory.New(), reg, repository.Options{})
		if err != nil {
			b.Fatal(err)
		}
		clk := &clock{now: start}
		s, err := New(repo, Options{Now: clk.Now})
		if err != nil {
			b.Fatal(err)
		}
		return s, clk
	}
	b.Run("one-by-one", func(b *testing.B) {
		for b.Loop() {
			s, clk := newSvc(b)
			for _, h := range hist {
				_, _ = oneByOne(ctx, s, clk, h) // refused commands are part of the history
			}
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "commands/s")
	})
	b.Run("bulk", func(b *testing.B) {
		for b.Loop() {
			s, _ := newSvc(b)
			p, err := s.NewPreload("c")
			if err != nil {
				b.Fatal(err)
			}
			for _, h := range hist {
				_, _ = inBulk(p, h) // refused commands are part of the history
				if p.Pending() >= 100 {
					if _, err := p.Flush(ctx); err != nil {
						b.Fatal(err)
					}
				}
			}
			if _, err := p.Flush(ctx); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "commands/s")
	})
}
