package repository

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/esbench/esbench/refimpl/codec"
	"github.com/esbench/esbench/refimpl/codec/binary"
	"github.com/esbench/esbench/refimpl/domain"
	"github.com/esbench/esbench/refimpl/store"
	"github.com/esbench/esbench/refimpl/store/memory"
)

// accountHistory returns n events of one customer's account stream, made by
// the domain's decide functions on an in-memory account (no store): an
// opened account, two devices, then acquisitions (some denied by the limits)
// and releases an hour apart.
func accountHistory(tb testing.TB, customer string, n int, seed uint64) []domain.Event {
	tb.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	p := domain.DefaultPolicy()
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	a := domain.NewAccount(customer)
	var evs []domain.Event
	seq := 0
	play := func(out domain.Outcome, err error) {
		if err != nil {
			tb.Fatalf("history command %d: %v", seq, err)
		}
		for _, e := range out.Account {
			if len(evs) == n {
				return
			}
			if err := a.Apply(a.Version()+1, e); err != nil {
				tb.Fatalf("history apply: %v", err)
			}
			evs = append(evs, e)
		}
	}
	play(domain.DecideOpenAccount(a, domain.OpenAccount{RequestID: "open", CustomerID: customer, Plan: domain.PlanStandard}, p, now))
	for _, d := range []string{"phone", "tablet"} {
		play(domain.DecideRegisterDevice(a, domain.RegisterDevice{RequestID: "reg-" + d, CustomerID: customer, DeviceID: d}, p, now))
	}
	devices := []string{"phone", "tablet"}
	for len(evs) < n {
		seq++
		now = now.Add(time.Hour)
		dev := devices[rng.IntN(2)]
		if active := a.ActiveLicenses(dev, now); len(active) > 20 && rng.IntN(3) == 0 {
			id := active[rng.IntN(len(active))]
			play(domain.Outcome{Account: []domain.Event{&domain.DownloadReleased{LicenseID: id, DeviceID: dev, At: now}}}, nil)
			continue
		}
		play(domain.DecideAcquire(a, domain.AcquireLicense{RequestID: fmt.Sprint("acq-", seq), CustomerID: customer, DeviceID: dev,
			TitleID: fmt.Sprint("title-", rng.IntN(200)), StudioID: "studio-1", Restricted: rng.IntN(4) == 0}, p, now))
	}
	return evs
}

// preload appends evs to stream in batches, as a preload phase would, and
// saves a snapshot at version snapAt (0: none).
func preload(tb testing.TB, st store.Store, reg *codec.Registry, stream store.StreamID, evs []domain.Event, snapAt int) {
	tb.Helper()
	preloadCodec(tb, st, reg, "json", stream, evs, snapAt)
}

// preloadCodec is preload with the events and snapshot encoded by codecID.
func preloadCodec(tb testing.TB, st store.Store, reg *codec.Registry, codecID string, stream store.StreamID, evs []domain.Event, snapAt int) {
	tb.Helper()
	ctx := context.Background()
	const batch = 500
	var agg *domain.Account
	if snapAt > 0 {
		agg = domain.NewAccount(stream.AggregateID)
	}
	for from := 0; from < len(evs); from += batch {
		to := min(from+batch, len(evs))
		recs := make([]store.Record, 0, to-from)
		for i := from; i < to; i++ {
			env, err := reg.Encode(codecID, evs[i])
			if err != nil {
				tb.Fatal(err)
			}
			recs = append(recs, store.Record{Version: uint64(i + 1), EventID: EventID("preload", stream, i), Type: env.Type,
				SchemaVersion: env.SchemaVersion, Codec: env.Codec, Payload: env.Payload, RecordedAt: time.Unix(int64(i), 0)})
			if agg != nil && i < snapAt {
				if err := agg.Apply(uint64(i+1), evs[i]); err != nil {
					tb.Fatal(err)
				}
			}
		}
		if err := st.Append(ctx, store.AppendRequest{Stream: stream, ExpectedVersion: uint64(from), Events: recs}); err != nil {
			tb.Fatal(err)
		}
	}
	if agg != nil {
		env, err := reg.Encode(codecID, agg.SnapshotState())
		if err != nil {
			tb.Fatal(err)
		}
		if err := st.SaveSnapshot(ctx, store.Snapshot{Stream: stream, Version: uint64(snapAt), Type: env.Type,
			SchemaVersion: env.SchemaVersion, Codec: env.Codec, Payload: env.Payload}); err != nil {
			tb.Fatal(err)
		}
	}
}

// BenchmarkLoad measures Repository.Load of one account stream by backend,
// history length and snapshot policy. With snap=every100 the latest snapshot
// is 50 events behind the head, the mean tail an every-100 policy leaves.
// The history is built once per sub-benchmark, outside the timer.
func BenchmarkLoad(b *testing.B) {
	reg := domain.NewRegistry()
	for _, be := range benchBackends() {
		for _, n := range []int{100, 1000, 10000} {
			for _, snap := range []string{"none", "every100"} {
				b.Run(fmt.Sprintf("backend=%s/events=%d/snap=%s", be.name, n, snap), func(b *testing.B) {
					st := be.open(b)
					stream := accountStream("bench-load")
					pol, snapAt := SnapshotPolicy{}, 0
					if snap == "every100" {
						pol, snapAt = SnapshotPolicy{Mode: EveryN, Every: 100}, n-50
					}
					preload(b, st, reg, stream, accountHistory(b, stream.Customer, n, 1), snapAt)
					r := mustRepo(b, st, reg, Options{Snapshots: pol})
					benchLoad(b, r, stream, n)
				})
			}
		}
	}
}

func benchLoad(b *testing.B, r *Repository, stream store.StreamID, n int) {
	ctx := context.Background()
	var sum LoadStats
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		ls, err := r.Load(ctx, stream, domain.NewAccount(stream.AggregateID))
		if err != nil {
			b.Fatal(err)
		}
		if ls.Version != uint64(n) {
			b.Fatalf("loaded version %d, want %d", ls.Version, n)
		}
		sum.Replayed += ls.Replayed
		sum.Bytes += ls.Bytes
		sum.SnapshotRead += ls.SnapshotRead
		sum.EventRead += ls.EventRead
		sum.Decode += ls.Decode
		sum.Apply += ls.Apply
	}
	ops := float64(b.N)
	b.ReportMetric(float64(sum.Replayed)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(sum.Replayed)/ops, "replayed/op")
	b.ReportMetric(float64(sum.Bytes)/ops, "bytes/op")
	b.ReportMetric(float64(sum.SnapshotRead.Nanoseconds())/ops, "snapread-ns/op")
	b.ReportMetric(float64(sum.EventRead.Nanoseconds())/ops, "eventread-ns/op")
	b.ReportMetric(float64(sum.Decode.Nanoseconds())/ops, "decode-ns/op")
	b.ReportMetric(float64(sum.Apply.Nanoseconds())/ops, "apply-ns/op")
}

// BenchmarkLoadPhaseTiming measures what the per-event phase clock reads
// cost: the same full replay with and without them.
func BenchmarkLoadPhaseTiming(b *testing.B) {
	reg := domain.NewRegistry()
	for _, be := range benchBackends() {
		st := be.open(b)
		stream := accountStream("bench-timing")
		const n = 1000
		preload(b, st, reg, stream, accountHistory(b, stream.Customer, n, 2), 0)
		for _, timed := range []bool{true, false} {
			b.Run(fmt.Sprintf("backend=%s/events=%d/timing=%v", be.name, n, timed), func(b *testing.B) {
				r := mustRepo(b, st, reg, Options{})
				r.untimed = !timed
				benchLoad(b, r, stream, n)
			})
		}
	}
}

// BenchmarkLoadFloor compares a full replay of 10,000 events from the
// memory store, with phase timing on and off, with its floor: decoding and
// applying the same stored records in a plain loop, no store and no
// repository. Each iteration runs all three, in turn (the order reversed
// every other iteration), so they see the same background load on a shared
// machine; the ratios are the result (the
// issue's goal: load with timing on ≤ 1.2× decode+apply).
func BenchmarkLoadFloor(b *testing.B) {
	const n = 10000
	for _, codecID := range []string{binary.ID, "json"} {
		b.Run("codec="+codecID, func(b *testing.B) {
			ctx := context.Background()
			reg := domain.NewRegistry(binary.Codec{})
			st := memory.New()
			stream := accountStream("bench-floor")
			preloadCodec(b, st, reg, codecID, stream, accountHistory(b, stream.Customer, n, 3), 0)
			timed := mustRepo(b, st, reg, Options{})
			untimed := mustRepo(b, st, reg, Options{})
			untimed.untimed = true
			var recs []store.Record
			for rec, err := range st.Load(ctx, stream, 0) {
				if err != nil {
					b.Fatal(err)
				}
				recs = append(recs, rec)
			}
			load := func(r *Repository) time.Duration {
				t0 := time.Now()
				ls, err := r.Load(ctx, stream, domain.NewAccount(stream.AggregateID))
				d := time.Since(t0)
				if err != nil || ls.Version != n {
					b.Fatalf("load: version %d, %v", ls.Version, err)
				}
				return d
			}
			floor := func() time.Duration {
				t0 := time.Now()
				a := domain.NewAccount(stream.AggregateID)
				for _, rec := range recs {
					// The decode Load does (the records stay unmodified).
					v, err := reg.DecodeOwned(codec.Envelope{Type: rec.Type, SchemaVersion: rec.SchemaVersion, Codec: rec.Codec, Payload: rec.Payload})
					if err != nil {
						b.Fatal(err)
					}
					if err := a.Apply(rec.Version, v.(domain.Event)); err != nil {
						b.Fatal(err)
					}
				}
				d := time.Since(t0)
				if a.Version() != n {
					b.Fatalf("folded version %d, want %d", a.Version(), n)
				}
				return d
			}
			var on, off, fl time.Duration
			var onR, offR []float64
			i := 0
			for b.Loop() {
				// Alternate the order so none always pays for the garbage
				// the one before it left.
				var a, u, f time.Duration
				if i%2 == 0 {
					a = load(timed)
					u = load(untimed)
					f = floor()
				} else {
					f = floor()
					u = load(untimed)
					a = load(timed)
				}
				on, off, fl = on+a, off+u, fl+f
				onR, offR = append(onR, float64(a)/float64(f)), append(offR, float64(u)/float64(f))
				i++
			}
			ops := float64(b.N)
			b.ReportMetric(float64(on.Nanoseconds())/ops, "load-timed-ns/op")
			b.ReportMetric(float64(off.Nanoseconds())/ops, "load-untimed-ns/op")
			b.ReportMetric(float64(fl.Nanoseconds())/ops, "decode+apply-ns/op")
			b.ReportMetric(float64(on)/float64(fl), "timed/floor")
			b.ReportMetric(float64(off)/float64(fl), "untimed/floor")
			// The ratios of the sums let one stall of a shared machine
			// decide; the median of the per-iteration ratios does not.
			b.ReportMetric(median(onR), "timed/floor-median")
			b.ReportMetric(median(offR), "untimed/floor-median")
		})
	}
}

// BenchmarkUpdate measures Repository.Update (load, decide, append) of
// account commands: each customer gets OpenAccount then seven RegisterDevice
// commands, so loads stay short and the append path dominates. snap=every4
// adds a snapshot write after every fourth event, on the command's path
// (sync) or in the background worker (async).
func BenchmarkUpdate(b *testing.B) {
	reg := domain.NewRegistry()
	p := domain.DefaultPolicy()
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	for _, be := range benchBackends() {
		for _, snap := range []string{"none", "every4-sync", "every4-async"} {
			b.Run(fmt.Sprintf("backend=%s/snap=%s", be.name, snap), func(b *testing.B) {
				ctx := context.Background()
				st := be.open(b)
				opts := Options{}
				if snap != "none" {
					opts.Snapshots = SnapshotPolicy{Mode: EveryN, Every: 4}
					opts.AsyncSnapshots = snap == "every4-async"
				}
				r := mustRepo(b, st, reg, opts)
				appended := 0
				i := 0
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					cust := fmt.Sprintf("bench-update-%d", i/8)
					req := fmt.Sprintf("%s-%d", cust, i%8)
					target := Target{Stream: accountStream(cust), New: func() domain.Aggregate { return domain.NewAccount(cust) }}
					k := i % 8
					res, err := r.Update(ctx, req, []Target{target}, func(aggs []domain.Aggregate) ([]Change, error) {
						a := aggs[0].(*domain.Account)
						var out domain.Outcome
						var err error
						if k == 0 {
							out, err = domain.DecideOpenAccount(a, domain.OpenAccount{RequestID: req, CustomerID: cust, Plan: domain.PlanPremium}, p, now)
						} else {
							out, err = domain.DecideRegisterDevice(a, domain.RegisterDevice{RequestID: req, CustomerID: cust, DeviceID: fmt.Sprint("dev-", k)}, p, now)
						}
						if err != nil {
							return nil, err
						}
						return outcomeChanges(cust, out), nil
					})
					if err != nil {
						b.Fatal(err)
					}
					appended += res.Appended
					i++
				}
				r.Flush()
				b.ReportMetric(float64(appended)/b.Elapsed().Seconds(), "events/s")
			})
		}
	}
}

// BenchmarkPhaseClock measures one phase-timing clock read, the way load
// takes it; a replay takes four per PhaseSampleEvery events (and two per
// loop), to compare with the decode-ns/op and apply-ns/op of BenchmarkLoad.
func BenchmarkPhaseClock(b *testing.B) {
	base := time.Now()
	var sink time.Duration
	for b.Loop() {
		sink += time.Since(base)
	}
	if sink < 0 {
		b.Fatal("clock went backwards")
	}
}

// median returns the median of xs (which it sorts).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	if n := len(xs); n%2 == 0 {
		return (xs[n/2-1] + xs[n/2]) / 2
	}
	return xs[len(xs)/2]
}

// studySnapshot is an account snapshot shaped like the snapshot study's at
// history 10,000 (docs/benchmarks.md, "Snapshots: load at history 100 and
// 10,000"): titles restricted-title counts of the catalogue's "t<N>" ids,
// all in one year, MaxRecentDenials denials with their detail text, six
// downloads on one device.
func studySnapshot(titles int) *domain.AccountSnapshot {
	at := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	s := &domain.AccountSnapshot{CustomerID: "c000123", Plan: domain.PlanStandard, OpenedAt: at.AddDate(0, -5, 0),
		Devices:    []domain.DeviceEntry{{DeviceID: "c000123-d0", RegisteredAt: at.AddDate(0, -5, 0)}},
		LatestYear: 2025, PruneAt: 64, Counters: domain.AccountCounters{Granted: 4000, Denied: 900, Renewed: 1500, Released: 3000}}
	for i := range 6 {
		s.Downloads = append(s.Downloads, domain.DownloadEntry{LicenseID: EventID("lic", accountStream("c000123"), i),
			DeviceID: "c000123-d0", TitleID: fmt.Sprint("t", i*37), ExpiresAt: at.Add(time.Duration(i) * time.Hour)})
	}
	for i := range titles {
		s.TitleYears = append(s.TitleYears, domain.TitleYearCount{TitleID: fmt.Sprint("t", i*31), Year: 2025, Count: 1 + i%3})
	}
	slices.SortFunc(s.TitleYears, func(x, y domain.TitleYearCount) int {
		if x.TitleID < y.TitleID {
			return -1
		}
		return 1
	})
	for i := range domain.MaxRecentDenials {
		s.Denials = append(s.Denials, domain.Denial{RequestID: fmt.Sprintf("c000123-r%07d", 9000+i), DeviceID: "c000123-d0",
			TitleID: fmt.Sprint("t", i*13), Reason: domain.ReasonTitleYearLimit,
			Detail: fmt.Sprintf("title t%d downloaded 3 times in 2025, the limit of restricted studios is 3 a year", i*13), At: at})
	}
	return s
}

// BenchmarkRestoreSnapshot measures what a load spends on an account
// snapshot once its bytes are read: DecodeOwned (as Load decodes) and
// RestoreSnapshot, together and apart, for a snapshot shaped like the
// study's at history 100 (few titles) and 10,000 (307 titles).
func BenchmarkRestoreSnapshot(b *testing.B) {
	reg := domain.NewRegistry(binary.Codec{})
	for _, codecID := range []string{binary.ID, "json"} {
		for _, titles := range []int{10, 307} {
			snap := studySnapshot(titles)
			env, err := reg.Encode(codecID, snap)
			if err != nil {
				b.Fatal(err)
			}
			name := fmt.Sprintf("codec=%s/titles=%d", codecID, titles)
			decode := func() any {
				v, err := reg.DecodeOwned(env)
				if err != nil {
					b.Fatal(err)
				}
				return v
			}
			// As Load restores: the decoded value is handed over.
			restore := func(v any) {
				if err := domain.NewAccount("c000123").RestoreOwnedSnapshot(7, v); err != nil {
					b.Fatal(err)
				}
			}
			b.Run(name+"/op=decode+restore", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					restore(decode())
				}
				b.ReportMetric(float64(len(env.Payload)), "B/snapshot")
			})
			b.Run(name+"/op=decode", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					decode()
				}
			})
			b.Run(name+"/op=restore", func(b *testing.B) {
				v := decode()
				b.ReportAllocs()
				for b.Loop() {
					restore(v)
				}
			})
		}
	}
}
