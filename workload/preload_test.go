package workload

import (
	"reflect"
	"testing"
)

func smallSpec(t testing.TB, mutate func(*Spec)) *Spec {
	t.Helper()
	s := DefaultSpec()
	s.Population.Customers = 300
	s.Population.History = HistorySpec{Distribution: HistoryLognormal, Mean: 40, Sigma: 1, Min: 5, Max: 400, Span: s.Population.History.Span}
	s.Catalogue.Titles = 200 // a small catalogue makes restricted denials frequent
	s.Catalogue.Restricted = 0.5
	s.Arrival.Workers = 2
	if mutate != nil {
		mutate(&s)
	}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	return &s
}

// TestPreloadHistoriesAreValidAndExact replays every preloaded history
// through the real domain rules: each op is accepted as the generator
// predicted, times increase, and each account stream ends with exactly
// HistoryLen events.
func TestPreloadHistoriesAreValidAndExact(t *testing.T) {
	cases := map[string]func(*Spec){
		"lognormal": nil,
		"groups": func(s *Spec) {
			s.Population.Customers = 8
			s.Population.History = HistorySpec{Distribution: HistoryGroups, Lengths: []int{10, 100, 1000, 3000}, Span: s.Population.History.Span}
		},
		"dense year of premium customers": func(s *Spec) {
			s.Population.Customers = 20
			s.Population.Plans = PlanWeights{Premium: 1}
			s.Population.Devices = PlanDevices{Basic: 1, Standard: 2, Premium: 6} // more devices than the plan may use
			s.Population.History = HistorySpec{Distribution: HistoryFixed, Min: 2000, Max: 2000, Span: s.Population.History.Span}
		},
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			w, err := New(smallSpec(t, mutate), testOptions())
			if err != nil {
				t.Fatal(err)
			}
			p, err := w.Preload(0, 1)
			if err != nil {
				t.Fatal(err)
			}
			sm := newSim(t)
			var op Op
			var denied, granted, customers int
			last := map[string]Op{}
			prev := ""
			var prevCustomer Customer
			for p.Next(&op) {
				if op.CustomerID != prev {
					if prev != "" {
						if v := sm.customer(prev).acc.Version(); v != uint64(prevCustomer.HistoryLen) {
							t.Fatalf("customer %s: account has %d events, want %d", prev, v, prevCustomer.HistoryLen)
						}
					}
					customers++
					prev, prevCustomer = op.CustomerID, p.Customer()
				}
				if l, ok := last[op.CustomerID]; ok && !op.At.After(l.At) {
					t.Fatalf("op %+v not after %+v", op, l)
				}
				last[op.CustomerID] = op
				d, err := sm.exec(&op, op.At)
				checkValid(t, &op, d, err)
				if op.Kind == OpAcquire {
					if op.LicenseID == "" {
						if d.Allowed {
							t.Fatalf("acquire %+v predicted denied but granted", op)
						}
						denied++
					} else {
						granted++
					}
				}
			}
			if v := sm.customer(prev).acc.Version(); v != uint64(prevCustomer.HistoryLen) {
				t.Fatalf("customer %s: account has %d events, want %d", prev, v, prevCustomer.HistoryLen)
			}
			if uint64(customers) != w.ShardSize() {
				t.Errorf("preloaded %d customers, want %d", customers, w.ShardSize())
			}
			if granted == 0 {
				t.Error("no acquire granted")
			}
			t.Logf("%d customers, %d acquires granted, %d denied", customers, granted, denied)
		})
	}
}

// TestPreloadIndependentOfWorkers: a customer's history is the same however
// the shard is split between preload workers, and the workers' customers
// are disjoint and cover the shard.
func TestPreloadIndependentOfWorkers(t *testing.T) {
	w, err := New(smallSpec(t, func(s *Spec) { s.Population.Customers = 101 }), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	collect := func(workers int) map[string][]Op {
		out := map[string][]Op{}
		for i := range workers {
			p, err := w.Preload(i, workers)
			if err != nil {
				t.Fatal(err)
			}
			var op Op
			for p.Next(&op) {
				if _, seen := out[op.CustomerID]; seen && out[op.CustomerID][0].Seq == 0 && op.Seq == 0 {
					t.Fatalf("customer %s preloaded twice", op.CustomerID)
				}
				out[op.CustomerID] = append(out[op.CustomerID], op)
			}
		}
		return out
	}
	one, three := collect(1), collect(3)
	if len(one) != 101 {
		t.Fatalf("%d customers preloaded, want 101", len(one))
	}
	if !reflect.DeepEqual(one, three) {
		t.Fatal("histories differ between 1 and 3 preload workers")
	}
}

func TestPreloadCustomersWithHistory(t *testing.T) {
	s, err := Preset("replay")
	if err != nil {
		t.Fatal(err)
	}
	w, err := New(s, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range s.Sweep.Histories {
		ids := w.CustomersWithHistory(l, s.Sweep.Customers)
		if len(ids) != s.Sweep.Customers {
			t.Fatalf("history %d: %d customers, want %d", l, len(ids), s.Sweep.Customers)
		}
		for _, id := range ids {
			if got := w.Population().Customer(id).HistoryLen; got != l {
				t.Fatalf("customer %d has history %d, want %d", id, got, l)
			}
		}
		if l > 100 {
			continue
		}
		p, err := w.PreloadCustomers(ids[:2])
		if err != nil {
			t.Fatal(err)
		}
		sm := newSim(t)
		var op Op
		for p.Next(&op) {
			d, err := sm.exec(&op, op.At)
			checkValid(t, &op, d, err)
		}
		for _, id := range ids[:2] {
			if v := sm.customer(CustomerID(id)).acc.Version(); v != uint64(l) {
				t.Fatalf("customer %d: %d account events, want %d", id, v, l)
			}
		}
	}
	if _, err := w.PreloadCustomers([]uint64{1 << 40}); err == nil {
		t.Error("customer outside the population accepted")
	}
}

// TestGroupsSpreadOverShards: with history groups every shard holds enough
// customers of every length for a replay study, even when the shard count
// and the group count share a factor.
func TestGroupsSpreadOverShards(t *testing.T) {
	for _, n := range []int{1, 2, 4} {
		for i := range n {
			s, err := Preset("replay")
			if err != nil {
				t.Fatal(err)
			}
			s.Population.Customers = uint64(40 * n)
			s.Shard = Shard{Index: i, Count: n}.String()
			w, err := New(s, testOptions())
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range s.Sweep.Histories {
				if got := len(w.CustomersWithHistory(l, s.Sweep.Customers)); got != s.Sweep.Customers {
					t.Errorf("shard %d/%d: %d customers with history %d, want %d", i, n, got, l, s.Sweep.Customers)
				}
			}
		}
	}
}

// TestSpreadHistories: a history group's spread lengths stay centred on the
// group length, cover the range one stratum per customer, give tails mod
// any interval dividing the spread that are uniform, and the preloader
// writes exactly those lengths, each a valid history.
func TestSpreadHistories(t *testing.T) {
	tests := []struct {
		name      string
		length    int
		customers int
		spread    int
	}{
		{"no spread", 100, 4, 0},
		{"one customer per value", 100, 100, 100},
		{"few customers", 1000, 5, 1000},
		{"long history, narrow spread", 3000, 10, 100},
		{"short history clamped to its devices", 4, 6, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := New(smallSpec(t, func(s *Spec) {
				s.Population.Customers = uint64(2 * tt.customers)
				s.Population.Plans = PlanWeights{Standard: 1}
				s.Population.History = HistorySpec{Distribution: HistoryGroups, Lengths: []int{tt.length, tt.length + 1}, Span: s.Population.History.Span}
			}), testOptions())
			if err != nil {
				t.Fatal(err)
			}
			ids := w.CustomersWithHistory(tt.length, tt.customers)
			if len(ids) != tt.customers {
				t.Fatalf("%d customers of history %d, want %d", len(ids), tt.length, tt.customers)
			}
			ls := w.Population().SpreadHistories(ids, tt.spread)
			lo := tt.length - tt.spread/2
			sum := 0
			for j, l := range ls {
				c := w.Population().Customer(ids[j])
				if want := max(lo, 1+c.Devices); l < want || l > max(lo+tt.spread-1, want) {
					t.Errorf("customer %d: length %d outside %d..%d", ids[j], l, want, lo+tt.spread-1)
				}
				// Customer j lies in the j-th of len(ids) equal strata (of
				// whole lengths when the spread is a multiple of them).
				if s := tt.spread; s > 1 && s%len(ids) == 0 && l > 1+c.Devices {
					if st := (l - lo) * len(ids) / s; st != j {
						t.Errorf("customer %d (of %d): length %d in stratum %d", j, len(ids), l, st)
					}
				}
				sum += l
			}
			if mean := float64(sum) / float64(len(ls)); tt.length > 10 && (mean < float64(tt.length)-float64(tt.spread)/10-1 || mean > float64(tt.length)+float64(tt.spread)/10) {
				t.Errorf("mean length %.1f, want about %d", mean, tt.length)
			}
			if tt.customers == tt.spread {
				// One customer per value: every tail mod 10 equally often.
				var tails [10]int
				for _, l := range ls {
					tails[l%10]++
				}
				for r, n := range tails {
					if n != tt.customers/10 {
						t.Errorf("%d customers with tail %d mod 10, want %d", n, r, tt.customers/10)
					}
				}
			}

			p, err := w.PreloadHistories(ids, ls)
			if err != nil {
				t.Fatal(err)
			}
			sm := newSim(t)
			var op Op
			for p.Next(&op) {
				d, err := sm.exec(&op, op.At)
				checkValid(t, &op, d, err)
				if p.Customer().HistoryLen != ls[p.Started()-1] {
					t.Fatalf("customer %s: Customer().HistoryLen %d, want %d", op.CustomerID, p.Customer().HistoryLen, ls[p.Started()-1])
				}
			}
			for j, id := range ids {
				if v := sm.customer(CustomerID(id)).acc.Version(); v != uint64(ls[j]) {
					t.Errorf("customer %d: %d account events, want %d", id, v, ls[j])
				}
			}
		})
	}
}

func TestPreloadHistoriesBadInput(t *testing.T) {
	w, err := New(smallSpec(t, nil), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		ids []uint64
		ls  []int
	}{
		"fewer lengths":     {[]uint64{1, 2}, []int{10}},
		"zero length":       {[]uint64{1}, []int{0}},
		"outside customers": {[]uint64{1 << 40}, []int{10}},
	} {
		if _, err := w.PreloadHistories(c.ids, c.ls); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
