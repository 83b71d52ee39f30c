package workload

import (
	"math"
	"reflect"
	"runtime"
	"testing"
	"time"
)

func genOps(t testing.TB, w *Workload, worker, workers, n int) []Op {
	t.Helper()
	st, err := w.NewStream(worker, workers, uint64(n))
	if err != nil {
		t.Fatal(err)
	}
	ops := make([]Op, 0, n)
	var op Op
	for st.Next(&op) {
		ops = append(ops, op)
	}
	if len(ops) != n {
		t.Fatalf("stream gave %d ops, want its limit %d", len(ops), n)
	}
	return ops
}

func TestSameSeedSameOperations(t *testing.T) {
	spec := smallSpec(t, nil)
	a, err := New(spec, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(smallSpec(t, nil), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	for worker := range 3 {
		if !reflect.DeepEqual(genOps(t, a, worker, 3, 5000), genOps(t, b, worker, 3, 5000)) {
			t.Fatalf("worker %d: same seed gave different operations", worker)
		}
	}
	other, err := New(smallSpec(t, func(s *Spec) { s.Seed = 2 }), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	x, y := genOps(t, a, 0, 1, 1000), genOps(t, other, 0, 1, 1000)
	same := 0
	for i := range x {
		if x[i].Customer == y[i].Customer && x[i].Kind == y[i].Kind {
			same++
		}
	}
	if same > 300 {
		t.Errorf("seeds 1 and 2 agree on %d of 1000 ops", same)
	}
	run, err := New(smallSpec(t, nil), withRunID(testOptions(), "second"))
	if err != nil {
		t.Fatal(err)
	}
	r1, r2 := genOps(t, a, 0, 1, 10), genOps(t, run, 0, 1, 10)
	if r1[0].RequestID == r2[0].RequestID || r1[0].Customer != r2[0].Customer {
		t.Errorf("a run id should change request ids only: %+v vs %+v", r1[0], r2[0])
	}
}

// TestShardsPartitionThePopulation: shards are disjoint, their union is the
// whole population, and a shard's streams and preload stay inside it.
func TestShardsPartitionThePopulation(t *testing.T) {
	for _, chooser := range []string{ChooserUniform, ChooserZipf, ChooserLatest} {
		for _, n := range []int{1, 3, 7} {
			const customers = 1000
			owner := make([]int, customers)
			for i := range owner {
				owner[i] = -1
			}
			for i := range n {
				w, err := New(smallSpec(t, func(s *Spec) {
					s.Population.Customers = customers
					s.Population.Chooser = chooser
					s.Shard = Shard{Index: i, Count: n}.String()
				}), testOptions())
				if err != nil {
					t.Fatal(err)
				}
				count := uint64(0)
				w.ShardCustomers(func(id uint64) bool {
					if owner[id] != -1 {
						t.Fatalf("%s %d/%d: customer %d already in shard %d", chooser, i, n, id, owner[id])
					}
					if !w.InShard(id) {
						t.Fatalf("%s: customer %d listed but not InShard", chooser, id)
					}
					owner[id] = i
					count++
					return true
				})
				if count != w.ShardSize() {
					t.Fatalf("listed %d customers, ShardSize %d", count, w.ShardSize())
				}
				seen := map[uint64]int{}
				for worker := range 2 {
					for _, op := range genOps(t, w, worker, 2, 3000) {
						if !w.InShard(op.Customer) {
							t.Fatalf("%s %d/%d: op for customer %d outside the shard", chooser, i, n, op.Customer)
						}
						if prev, ok := seen[op.Customer]; ok && prev != worker {
							t.Fatalf("customer %d used by workers %d and %d", op.Customer, prev, worker)
						}
						seen[op.Customer] = worker
					}
				}
			}
			for id, o := range owner {
				if o == -1 {
					t.Fatalf("%s n=%d: customer %d in no shard", chooser, n, id)
				}
			}
		}
	}
}

// TestStreamOperationsAreValid runs preload, then measured streams, through
// the real domain rules: no operation fails, and every renew, release and
// playback is granted.
func TestStreamOperationsAreValid(t *testing.T) {
	w, err := New(smallSpec(t, func(s *Spec) {
		s.Population.Customers = 200
		s.Mix = MixSpec{Acquire: 30, Check: 10, Renew: 15, Release: 15, Playback: 15, RegisterDevice: 3, RemoveDevice: 3, Load: 2}
	}), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	sm := newSim(t)
	p, _ := w.Preload(0, 1)
	var op Op
	for p.Next(&op) {
		d, err := sm.exec(&op, op.At)
		checkValid(t, &op, d, err)
	}
	const workers, n = 3, 20000
	streams := make([]*Stream, workers)
	for i := range streams {
		streams[i], err = w.NewStream(i, workers, n)
		if err != nil {
			t.Fatal(err)
		}
	}
	kinds := map[OpKind]int{}
	now := w.Spec().Start
	for i := 0; i < n; i++ {
		for _, st := range streams {
			if !st.Next(&op) {
				t.Fatal("stream ended early")
			}
			now = now.Add(10 * time.Millisecond)
			d, err := sm.exec(&op, now)
			checkValid(t, &op, d, err)
			kinds[op.Kind]++
		}
	}
	for _, k := range []OpKind{OpAcquire, OpCheck, OpRenew, OpRelease, OpPlayback, OpRegisterDevice, OpRemoveDevice, OpLoad} {
		if kinds[k] == 0 {
			t.Errorf("no %s generated in %d ops", k, workers*n)
		}
	}
}

func TestMixFrequencies(t *testing.T) {
	// Check and load never fall back to other kinds, so their shares are
	// the mix's exactly in expectation.
	w, err := New(smallSpec(t, func(s *Spec) { s.Mix = MixSpec{Check: 3, Load: 1} }), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	n := 100000
	checks := 0
	for _, op := range genOps(t, w, 0, 1, n) {
		if op.Kind == OpCheck {
			checks++
		}
	}
	if got := float64(checks) / float64(n); math.Abs(got-0.75) > 0.01 {
		t.Errorf("check share %.3f, want 0.75", got)
	}
}

func TestDistributions(t *testing.T) {
	s := DefaultSpec()
	s.Population.Customers = 100000
	w, err := New(&s, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	// Plans and devices.
	var plans [3]int
	histSum, histN := 0.0, 0
	below := 0
	for id := uint64(0); id < 100000; id++ {
		c := w.Population().Customer(id)
		switch c.Plan {
		case "basic":
			plans[0]++
		case "standard":
			plans[1]++
		case "premium":
			plans[2]++
		default:
			t.Fatalf("plan %q", c.Plan)
		}
		max := map[string]int{"basic": 1, "standard": 2, "premium": 4}[c.Plan]
		if c.Devices < 1 || c.Devices > max {
			t.Fatalf("customer %d (%s) has %d devices", id, c.Plan, c.Devices)
		}
		if c.HistoryLen < s.Population.History.Min || c.HistoryLen > s.Population.History.Max {
			t.Fatalf("history %d outside [%d, %d]", c.HistoryLen, s.Population.History.Min, s.Population.History.Max)
		}
		if c.HistoryLen <= int(s.Population.History.Mean) {
			below++
		}
		histSum += float64(c.HistoryLen)
		histN++
	}
	for i, want := range []float64{0.3, 0.5, 0.2} {
		if got := float64(plans[i]) / 100000; math.Abs(got-want) > 0.01 {
			t.Errorf("plan %s share %.3f, want %.2f", planNames[i], got, want)
		}
	}
	// Lognormal with median 20: about half the customers at or below it.
	if got := float64(below) / float64(histN); math.Abs(got-0.5) > 0.03 {
		t.Errorf("share of histories ≤ median %.3f, want about 0.5", got)
	}

	// Catalogue: exact restricted share, Zipf head.
	cat := w.Catalogue()
	restrictedStudios := 0
	for _, r := range cat.restricted {
		if r {
			restrictedStudios++
		}
	}
	if restrictedStudios != 40 {
		t.Errorf("%d restricted studios, want 20%% of 200 = 40", restrictedStudios)
	}
	h := 0.0
	for k := 1; k <= s.Catalogue.Titles; k++ {
		h += 1 / float64(k)
	}
	wantTop := 1 / h
	if got := cat.Popularity(0); math.Abs(got-wantTop) > 1e-9 {
		t.Errorf("alias table gives title 0 probability %v, want %v", got, wantTop)
	}
	counts := make([]int, cat.Len())
	const draws = 200000
	st, _ := w.NewStream(0, 1, 0)
	for range draws {
		counts[cat.sample(st.src.Uint64())]++
	}
	if got := float64(counts[0]) / draws; math.Abs(got-wantTop) > 0.005 {
		t.Errorf("title 0 drawn %.4f of the time, want %.4f", got, wantTop)
	}
	top10 := 0
	for _, c := range counts[:10] {
		top10 += c
	}
	if got := float64(top10) / draws; got < 0.25 {
		t.Errorf("top 10 of 10,000 titles take %.3f of draws; Zipf(1) gives about 0.30", got)
	}

	// Customer activity: the zipf chooser's most frequent customer is rank 0,
	// with the share its Activity attribute says.
	freq := map[uint64]int{}
	for range draws {
		freq[st.choose()]++
	}
	hot := w.Population().ByRank(0)
	c := w.Population().Customer(hot)
	want := c.Activity / float64(s.Population.Customers)
	if got := float64(freq[hot]) / draws; math.Abs(got-want) > 0.1*want {
		t.Errorf("hottest customer drawn %.4f, its activity says %.4f", got, want)
	}
	for id, n := range freq {
		if n > freq[hot] {
			t.Errorf("customer %d (rank %d) drawn more than rank 0", id, w.Population().Rank(id))
		}
	}
}

func TestHistoryDistributions(t *testing.T) {
	cases := []struct {
		h    HistorySpec
		test func(t *testing.T, lens []int)
	}{
		{HistorySpec{Distribution: HistoryFixed, Min: 12, Max: 12}, func(t *testing.T, lens []int) {
			for _, l := range lens {
				if l != 12 {
					t.Fatalf("fixed history %d", l)
				}
			}
		}},
		{HistorySpec{Distribution: HistoryUniform, Min: 10, Max: 20}, func(t *testing.T, lens []int) {
			seen := map[int]bool{}
			for _, l := range lens {
				if l < 10 || l > 20 {
					t.Fatalf("uniform history %d", l)
				}
				seen[l] = true
			}
			if len(seen) != 11 {
				t.Errorf("uniform history hit %d of 11 values", len(seen))
			}
		}},
		{HistorySpec{Distribution: HistoryExponential, Mean: 100, Min: 10, Max: 100000}, func(t *testing.T, lens []int) {
			sum := 0
			for _, l := range lens {
				sum += l
			}
			if mean := float64(sum) / float64(len(lens)); math.Abs(mean-100) > 5 {
				t.Errorf("exponential mean %.1f, want 100", mean)
			}
		}},
		{HistorySpec{Distribution: HistoryGroups, Lengths: []int{10, 100, 1000}}, func(t *testing.T, lens []int) {
			for i, l := range lens {
				if l != []int{10, 100, 1000}[i*3/len(lens)] {
					t.Fatalf("customer %d: groups history %d", i, l)
				}
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.h.Distribution, func(t *testing.T) {
			s := DefaultSpec()
			s.Population.Customers = 20000
			s.Population.Devices = PlanDevices{1, 1, 1}
			tc.h.Span = time.Hour
			s.Population.History = tc.h
			w, err := New(&s, testOptions())
			if err != nil {
				t.Fatal(err)
			}
			lens := make([]int, 20000)
			for i := range lens {
				lens[i] = w.Population().Customer(uint64(i)).HistoryLen
			}
			tc.test(t, lens)
		})
	}
}

// TestTenMillionCustomersFitIn64MB: a 10,000,000-customer population, with a
// stream generating over it and a sample of customers touched, adds less
// than 64 MB to the heap.
func TestTenMillionCustomersFitIn64MB(t *testing.T) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s := DefaultSpec()
	s.Population.Customers = 10_000_000
	w, err := New(&s, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	st, err := w.NewStream(0, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	var op Op
	sum := 0
	for i := 0; i < 200000; i++ {
		st.Next(&op)
		sum += w.Population().Customer(uint64(i) * 49).HistoryLen
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	grew := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("heap grew by %.1f MB (history sum %d)", float64(grew)/(1<<20), sum)
	if grew > 64<<20 {
		t.Errorf("10M-customer workload grew the heap by %d bytes, limit 64 MB", grew)
	}
	runtime.KeepAlive(w)
	runtime.KeepAlive(st)
}

func TestStreamErrors(t *testing.T) {
	w, err := New(smallSpec(t, func(s *Spec) { s.Population.Customers = 3; s.Arrival.Workers = 1 }), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.NewStream(0, 4, 0); err != nil {
		t.Errorf("worker 0 of 4 over 3 customers has one: %v", err)
	}
	if _, err := w.NewStream(3, 4, 0); err == nil {
		t.Error("4 workers over 3 customers accepted")
	}
	if _, err := w.NewStream(2, 2, 0); err == nil {
		t.Error("worker 2 of 2 accepted")
	}
	if _, err := w.Preload(-1, 2); err == nil {
		t.Error("worker -1 accepted")
	}
}

// TestDefaultMixHolds: over a default-sized run (a few thousand operations
// per worker) the realised operation mix is the configured one, despite the
// stream's fallbacks for missing state.
func TestDefaultMixHolds(t *testing.T) {
	s, err := Preset("default")
	if err != nil {
		t.Fatal(err)
	}
	w, err := New(s, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	const workers, per = 16, 5000
	cnt := map[OpKind]float64{}
	for i := range workers {
		for _, op := range genOps(t, w, i, workers, per) {
			cnt[op.Kind]++
		}
	}
	m := s.Mix
	total := m.Acquire + m.Check + m.Renew + m.Release + m.Playback + m.RegisterDevice + m.RemoveDevice + m.Load
	for kind, weight := range map[OpKind]float64{OpAcquire: m.Acquire, OpCheck: m.Check, OpRenew: m.Renew,
		OpRelease: m.Release, OpPlayback: m.Playback, OpRegisterDevice: m.RegisterDevice, OpRemoveDevice: m.RemoveDevice, OpLoad: m.Load} {
		want := weight / total
		if got := cnt[kind] / (workers * per); math.Abs(got-want) > 0.015 {
			t.Errorf("%s share %.3f, want %.3f", kind, got, want)
		}
	}
}
