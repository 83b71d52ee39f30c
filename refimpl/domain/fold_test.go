package domain

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/esbench/esbench/refimpl/codec"
)

// randomHistory plays n random commands for one customer, starting early in
// December so histories cross a calendar year, and returns the world with
// its event logs. Commands the rules refuse with an error (unknown device,
// ...) are skipped: they record nothing.
func randomHistory(tb testing.TB, seed uint64, n int) *world {
	tb.Helper()
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	w := newWorld(tb, DefaultPolicy(), time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC))
	plans := []string{PlanBasic, PlanStandard, PlanPremium}
	w.open(plans[r.IntN(len(plans))])
	devices := []string{"d0", "d1", "d2", "d3", "d4", "d5"}
	var licenses []string
	pick := func() string { return licenses[r.IntN(len(licenses))] }
	for range n {
		w.advance(time.Duration(r.Int64N(int64(6 * time.Hour))))
		var out Outcome
		var err error
		switch k := r.IntN(100); {
		case k < 8:
			out, err = DecideRegisterDevice(w.acc, RegisterDevice{RequestID: w.req(), CustomerID: testCustomer,
				DeviceID: devices[r.IntN(len(devices))]}, w.p, w.now)
		case k < 10:
			out, err = DecideRemoveDevice(w.acc, RemoveDevice{RequestID: w.req(), CustomerID: testCustomer,
				DeviceID: devices[r.IntN(len(devices))]}, w.p, w.now)
		case k < 60:
			out, err = DecideAcquire(w.acc, AcquireLicense{RequestID: w.req(), CustomerID: testCustomer,
				DeviceID: devices[r.IntN(len(devices))], TitleID: fmt.Sprintf("t%d", r.IntN(8)),
				StudioID: "s", Restricted: r.IntN(3) == 0}, w.p, w.now)
			if err == nil && out.Decision.Allowed {
				licenses = append(licenses, out.Decision.LicenseID)
			}
		case k < 72 && len(licenses) > 0:
			id := pick()
			out, err = DecideRenew(w.acc, w.lics[id], RenewLicense{RequestID: w.req(), CustomerID: testCustomer, LicenseID: id}, w.p, w.now)
		case k < 84 && len(licenses) > 0:
			id := pick()
			out, err = DecideRelease(w.acc, w.lics[id], ReleaseLicense{RequestID: w.req(), CustomerID: testCustomer, LicenseID: id}, w.p, w.now)
		case k < 96 && len(licenses) > 0:
			id := pick()
			out, err = DecidePlayback(w.lics[id], StartPlayback{RequestID: w.req(), CustomerID: testCustomer, LicenseID: id}, w.p, w.now)
		default:
			w.advance(time.Duration(r.Int64N(int64(5 * 24 * time.Hour))))
			continue
		}
		if err != nil {
			if !errors.Is(err, ErrUnknownDevice) {
				tb.Fatalf("seed %d: unexpected error %v", seed, err)
			}
			continue
		}
		w.apply(out)
	}
	return w
}

// roundTrip encodes v through the registry with codecID and decodes it.
func roundTrip(tb testing.TB, reg *codec.Registry, codecID string, v any) any {
	tb.Helper()
	env, err := reg.Encode(codecID, v)
	if err != nil {
		tb.Fatalf("encode %T with %s: %v", v, codecID, err)
	}
	out, err := reg.Decode(env)
	if err != nil {
		tb.Fatalf("decode %T with %s: %v", v, codecID, err)
	}
	return out
}

func fold[A Aggregate](tb testing.TB, agg A, events []Event, from uint64) A {
	tb.Helper()
	for i, e := range events {
		if err := agg.Apply(from+uint64(i)+1, e); err != nil {
			tb.Fatalf("apply %d: %v", from+uint64(i)+1, err)
		}
	}
	return agg
}

// TestSnapshotPlusTail: on random histories, for both codecs, (a) replaying
// the events after encoding and decoding each folds to the state of the
// original events, (b) a snapshot restored after a codec round trip is
// deep-equal to the state it captured, and (c) snapshot plus tail folds to
// exactly the full replay.
func TestSnapshotPlusTail(t *testing.T) {
	reg := NewRegistry()
	seeds := []uint64{1, 2, 3, 4, 5, 6}
	for _, seed := range seeds {
		w := randomHistory(t, seed, 700)
		for _, codecID := range []string{"json", "gob"} {
			t.Run(fmt.Sprintf("seed%d/%s", seed, codecID), func(t *testing.T) {
				decoded := make([]Event, len(w.accLog))
				for i, e := range w.accLog {
					decoded[i] = roundTrip(t, reg, codecID, e).(Event)
				}
				full := fold(t, NewAccount(testCustomer), decoded, 0)
				if !reflect.DeepEqual(full, w.acc) {
					t.Fatalf("replay of decoded events differs from the live state")
				}
				r := rand.New(rand.NewPCG(seed, 7))
				for range 5 {
					k := r.IntN(len(decoded)) + 1
					head := fold(t, NewAccount(testCustomer), decoded[:k], 0)
					snap := roundTrip(t, reg, codecID, head.SnapshotState())
					restored := NewAccount(testCustomer)
					if err := restored.RestoreSnapshot(uint64(k), snap); err != nil {
						t.Fatal(err)
					}
					if !reflect.DeepEqual(restored, head) {
						t.Fatalf("snapshot at %d restores to a different state:\n got %+v\nwant %+v", k, restored, head)
					}
					// The same from a decoded value handed over, as Load
					// restores: the account keeps its slices.
					owned := NewAccount(testCustomer)
					if err := owned.RestoreOwnedSnapshot(uint64(k), roundTrip(t, reg, codecID, head.SnapshotState())); err != nil {
						t.Fatal(err)
					}
					if !reflect.DeepEqual(owned, head) {
						t.Fatalf("snapshot at %d handed over restores to a different state:\n got %+v\nwant %+v", k, owned, head)
					}
					fold(t, restored, decoded[k:], uint64(k))
					if !reflect.DeepEqual(restored, full) {
						t.Fatalf("snapshot at %d plus tail differs from the full replay", k)
					}
					if fold(t, owned, decoded[k:], uint64(k)); !reflect.DeepEqual(owned, full) {
						t.Fatalf("snapshot at %d handed over plus tail differs from the full replay", k)
					}
				}
				for id, evs := range w.licLog {
					dec := make([]Event, len(evs))
					for i, e := range evs {
						dec[i] = roundTrip(t, reg, codecID, e).(Event)
					}
					fullL := fold(t, NewLicense(id), dec, 0)
					if !reflect.DeepEqual(fullL, w.lics[id]) {
						t.Fatalf("license %s replay differs", id)
					}
					k := r.IntN(len(dec)) + 1
					head := fold(t, NewLicense(id), dec[:k], 0)
					restored := NewLicense(id)
					if err := restored.RestoreSnapshot(uint64(k), roundTrip(t, reg, codecID, head.SnapshotState())); err != nil {
						t.Fatal(err)
					}
					if !reflect.DeepEqual(restored, head) {
						t.Fatalf("license %s snapshot at %d restores to a different state", id, k)
					}
					if !reflect.DeepEqual(fold(t, restored, dec[k:], uint64(k)), fullL) {
						t.Fatalf("license %s snapshot plus tail differs", id)
					}
				}
			})
		}
		// The histories must exercise what the test claims to cover.
		kinds := map[string]bool{}
		for _, e := range w.accLog {
			kinds[e.EventType()] = true
		}
		for _, evs := range w.licLog {
			for _, e := range evs {
				kinds[e.EventType()] = true
			}
		}
		if seed == seeds[0] {
			var missing []string
			for _, f := range eventFixtures() {
				if !kinds[f.current.EventType()] {
					missing = append(missing, f.current.EventType())
				}
			}
			if len(missing) > 0 {
				t.Errorf("seed %d history lacks %v", seed, missing)
			}
		}
	}
}

// TestStateStaysBounded: expired downloads and past years' counts are swept,
// and denials are capped, so a long history keeps a small snapshot.
func TestStateStaysBounded(t *testing.T) {
	w := newWorld(t, DefaultPolicy(), time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC))
	w.open(PlanBasic)
	w.register("d1", "d2")
	for day := range 800 {
		w.acquire("d1", fmt.Sprintf("t%d", day), true, 1)
		w.must(DecideAcquire(w.acc, w.acquireCmd("d2", "t", false), w.p, w.now)) // device limit denial
		w.advance(24 * time.Hour)
	}
	s := w.acc.SnapshotState().(*AccountSnapshot)
	// 6 active (7-day licenses, one a day, the oldest expiring right now)
	// plus at most the unswept rest.
	if len(s.Downloads) > 2*minPruneAt || len(s.Downloads) < 6 {
		t.Fatalf("%d downloads in the snapshot after 800 days", len(s.Downloads))
	}
	if got := w.acc.ActiveDownloads("d1", w.now); got != 6 {
		t.Fatalf("active downloads = %d, want 6", got)
	}
	years := map[int]bool{}
	for _, c := range s.TitleYears {
		years[c.Year] = true
	}
	if len(years) != 1 || !years[w.now.Year()] {
		t.Fatalf("title-year counts kept for years %v, want only %d", years, w.now.Year())
	}
	if len(s.Denials) != MaxRecentDenials || s.Counters.Denied != 800 || s.Counters.Granted != 800 {
		t.Fatalf("%d denials kept, counters %+v", len(s.Denials), s.Counters)
	}
	// The kept denials are the latest, oldest first.
	last := w.acc.RecentDenials()
	if !sort.SliceIsSorted(last, func(i, j int) bool { return last[i].At.Before(last[j].At) }) ||
		!last[len(last)-1].At.Equal(w.now.Add(-24*time.Hour)) {
		t.Fatalf("recent denials not the latest in order: first %v last %v", last[0].At, last[len(last)-1].At)
	}
}

// TestApplyRejects: Apply refuses, with a typed error and without changing
// the state, every event it cannot accept.
func TestApplyRejects(t *testing.T) {
	at := midYear
	opened := func() *Account {
		a := NewAccount(testCustomer)
		if err := a.Apply(1, &AccountOpened{CustomerID: testCustomer, Plan: PlanBasic, At: at}); err != nil {
			t.Fatal(err)
		}
		return a
	}
	issued := func() *License {
		l := NewLicense("lic-1")
		if err := l.Apply(1, &LicenseIssued{LicenseID: "lic-1", CustomerID: testCustomer, ExpiresAt: at.Add(week)}); err != nil {
			t.Fatal(err)
		}
		return l
	}
	var nilGranted *DownloadGranted
	var nilIssued *LicenseIssued
	var nilRenewed *LicenseRenewed
	cases := []struct {
		name string
		agg  func() Aggregate
		v    uint64
		e    Event
		want error
	}{
		{"account: version gap", func() Aggregate { return opened() }, 3, &DeviceRegistered{DeviceID: "d"}, ErrVersionGap},
		{"account: version repeated", func() Aggregate { return opened() }, 1, &DeviceRegistered{DeviceID: "d"}, ErrVersionGap},
		{"account: version 0", func() Aggregate { return NewAccount(testCustomer) }, 0, &AccountOpened{CustomerID: testCustomer}, ErrVersionGap},
		{"account: license event", func() Aggregate { return opened() }, 2, &LicenseIssued{LicenseID: "x"}, ErrWrongAggregate},
		{"account: another customer's opening", func() Aggregate { return NewAccount(testCustomer) }, 1, &AccountOpened{CustomerID: "cust-2"}, ErrWrongAggregate},
		{"account: second opening", func() Aggregate { return opened() }, 2, &AccountOpened{CustomerID: testCustomer}, ErrUnexpectedEvent},
		{"account: stream not starting with the opening", func() Aggregate { return NewAccount(testCustomer) }, 1, &DeviceRegistered{DeviceID: "d"}, ErrUnexpectedEvent},
		{"account: nil event", func() Aggregate { return opened() }, 2, nil, ErrUnexpectedEvent},
		{"account: typed nil event", func() Aggregate { return opened() }, 2, nilGranted, ErrUnexpectedEvent},
		{"account: event by value", func() Aggregate { return opened() }, 2, DeviceRegistered{DeviceID: "d"}, ErrWrongAggregate},
		{"license: version gap", func() Aggregate { return issued() }, 5, &LicenseRenewed{Renewal: 1}, ErrVersionGap},
		{"license: account event", func() Aggregate { return issued() }, 2, &DownloadGranted{LicenseID: "lic-1"}, ErrWrongAggregate},
		{"license: another license's issue", func() Aggregate { return NewLicense("lic-1") }, 1, &LicenseIssued{LicenseID: "lic-2"}, ErrWrongAggregate},
		{"license: second issue", func() Aggregate { return issued() }, 2, &LicenseIssued{LicenseID: "lic-1"}, ErrUnexpectedEvent},
		{"license: stream not starting with the issue", func() Aggregate { return NewLicense("lic-1") }, 1, &PlaybackStarted{At: at}, ErrUnexpectedEvent},
		{"license: typed nil issue", func() Aggregate { return NewLicense("lic-1") }, 1, nilIssued, ErrUnexpectedEvent},
		{"license: typed nil renewal", func() Aggregate { return issued() }, 2, nilRenewed, ErrUnexpectedEvent},
		{"license: nil event", func() Aggregate { return issued() }, 2, nil, ErrUnexpectedEvent},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			agg := tc.agg()
			before := fmt.Sprintf("%+v", agg)
			err := agg.Apply(tc.v, tc.e)
			var ae *ApplyError
			if !errors.Is(err, tc.want) || !errors.As(err, &ae) || ae.Aggregate != agg.AggregateType() || ae.Version != tc.v {
				t.Fatalf("Apply error = %v, want %v in an *ApplyError", err, tc.want)
			}
			if after := fmt.Sprintf("%+v", agg); after != before {
				t.Fatalf("a refused event changed the state:\n%s\n%s", before, after)
			}
		})
	}
}

func TestRestoreRejects(t *testing.T) {
	cases := []struct {
		name string
		agg  Snapshotter
		v    uint64
		snap any
		want error
	}{
		{"account: license snapshot", NewAccount("c"), 3, &LicenseSnapshot{LicenseID: "l"}, ErrWrongAggregate},
		{"account: nil", NewAccount("c"), 3, nil, ErrWrongAggregate},
		{"account: typed nil", NewAccount("c"), 3, (*AccountSnapshot)(nil), ErrWrongAggregate},
		{"account: another customer", NewAccount("c"), 3, &AccountSnapshot{CustomerID: "d"}, ErrWrongAggregate},
		{"account: version 0", NewAccount("c"), 0, &AccountSnapshot{CustomerID: "c"}, ErrUnexpectedEvent},
		{"account: too many denials", NewAccount("c"), 3, &AccountSnapshot{CustomerID: "c", Denials: make([]Denial, MaxRecentDenials+1)}, ErrUnexpectedEvent},
		{"account: negative count", NewAccount("c"), 3, &AccountSnapshot{CustomerID: "c", TitleYears: []TitleYearCount{{TitleID: "t", Year: 2026, Count: -1}}}, ErrUnexpectedEvent},
		{"license: account snapshot", NewLicense("l"), 3, &AccountSnapshot{CustomerID: "c"}, ErrWrongAggregate},
		{"license: another license", NewLicense("l"), 3, &LicenseSnapshot{LicenseID: "m"}, ErrWrongAggregate},
		{"license: negative renewals", NewLicense("l"), 3, &LicenseSnapshot{LicenseID: "l", Renewals: -1}, ErrUnexpectedEvent},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := fmt.Sprintf("%+v", tc.agg)
			err := tc.agg.RestoreSnapshot(tc.v, tc.snap)
			var ae *ApplyError
			if !errors.Is(err, tc.want) || !errors.As(err, &ae) {
				t.Fatalf("RestoreSnapshot error = %v, want %v in an *ApplyError", err, tc.want)
			}
			if fmt.Sprintf("%+v", tc.agg) != before {
				t.Fatal("a refused snapshot changed the state")
			}
		})
	}
}

// TestRestoreTitleYearsAnyOrder: the account keeps its title counts sorted
// for binary search, so a snapshot listing them in another order (a codec or
// tool that does not sort) must restore to the same counts, a repeated
// (title, year) keeping its last count as before, and the restored account
// must snapshot them back sorted.
func TestRestoreTitleYearsAnyOrder(t *testing.T) {
	snap := &AccountSnapshot{CustomerID: "c", Plan: PlanBasic, LatestYear: 2026, TitleYears: []TitleYearCount{
		{TitleID: "t9", Year: 2026, Count: 1},
		{TitleID: "t1", Year: 2026, Count: 2},
		{TitleID: "t5", Year: 2025, Count: 3},
		{TitleID: "t1", Year: 2026, Count: 1}, // repeated: the last wins
		{TitleID: "t0", Year: 2026, Count: 4},
	}}
	for _, owned := range []bool{false, true} {
		a := NewAccount("c")
		in := *snap
		in.TitleYears = slices.Clone(snap.TitleYears)
		restore := a.RestoreSnapshot
		if owned {
			restore = a.RestoreOwnedSnapshot
		}
		if err := restore(7, &in); err != nil {
			t.Fatal(err)
		}
		for _, c := range []TitleYearCount{{"t9", 2026, 1}, {"t1", 2026, 1}, {"t5", 2025, 3}, {"t0", 2026, 4}, {"t5", 2026, 0}, {"t2", 2026, 0}} {
			if got := a.TitleYearCount(c.TitleID, c.Year); got != c.Count {
				t.Errorf("owned %v: TitleYearCount(%s, %d) = %d, want %d", owned, c.TitleID, c.Year, got, c.Count)
			}
		}
		want := []TitleYearCount{{"t5", 2025, 3}, {"t0", 2026, 4}, {"t1", 2026, 1}, {"t9", 2026, 1}}
		if got := a.SnapshotState().(*AccountSnapshot).TitleYears; !reflect.DeepEqual(got, want) {
			t.Fatalf("owned %v: snapshot of the restored account holds %v, want %v", owned, got, want)
		}
		if !owned && !reflect.DeepEqual(in.TitleYears, snap.TitleYears) {
			t.Fatal("restoring reordered the caller's snapshot")
		}
	}
}

// TestRestoreOwnedKeepsSortedSlices: a snapshot handed over in the order
// SnapshotState writes is kept as the account's state (no copy), one given
// by value or restored with RestoreSnapshot is copied, so the caller's
// snapshot never changes with the account.
func TestRestoreOwnedKeepsSortedSlices(t *testing.T) {
	mk := func() *AccountSnapshot {
		return &AccountSnapshot{CustomerID: "c", Plan: PlanBasic, LatestYear: 2026,
			TitleYears: []TitleYearCount{{"t0", 2026, 1}, {"t1", 2026, 2}},
			Denials:    []Denial{{RequestID: "r1", Reason: ReasonTitleYearLimit, At: time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600))}}}
	}
	for _, tc := range []struct {
		name   string
		shared bool
		do     func(a *Account, s *AccountSnapshot) error
	}{
		{"owned pointer", true, func(a *Account, s *AccountSnapshot) error { return a.RestoreOwnedSnapshot(3, s) }},
		{"owned value", false, func(a *Account, s *AccountSnapshot) error { return a.RestoreOwnedSnapshot(3, *s) }},
		{"copied", false, func(a *Account, s *AccountSnapshot) error { return a.RestoreSnapshot(3, s) }},
	} {
		s := mk()
		a := NewAccount("c")
		if err := tc.do(a, s); err != nil {
			t.Fatal(err)
		}
		if shared := &a.titles.over[0] == &s.TitleYears[0] && &a.denials[0] == &s.Denials[0]; shared != tc.shared {
			t.Errorf("%s: account shares the snapshot's slices: %v, want %v", tc.name, shared, tc.shared)
		}
		if at := a.RecentDenials()[0].At; at.Location() != time.UTC || !at.Equal(mk().Denials[0].At) {
			t.Errorf("%s: denial time restored as %v, want %v in UTC", tc.name, at, mk().Denials[0].At)
		}
		if !tc.shared && !reflect.DeepEqual(s, mk()) {
			t.Errorf("%s: restoring changed the caller's snapshot", tc.name)
		}
	}
}

func TestNewAggregate(t *testing.T) {
	for _, typ := range []string{TypeAccount, TypeLicense} {
		a, err := NewAggregate(typ, "x")
		if err != nil || a.AggregateType() != typ || a.Version() != 0 {
			t.Fatalf("NewAggregate(%s) = %v, %v", typ, a, err)
		}
	}
	if _, err := NewAggregate("Nope", "x"); !errors.Is(err, ErrWrongAggregate) {
		t.Fatalf("unknown aggregate type: %v", err)
	}
}

// BenchmarkReplayAccount folds a recorded account history into an empty
// account: the domain's share of a replay (decoding is the codec's and the
// repository's benchmark).
func BenchmarkReplayAccount(b *testing.B) {
	w := randomHistory(b, 11, 5000)
	events := w.accLog
	b.ReportAllocs()
	for b.Loop() {
		a := NewAccount(testCustomer)
		for i, e := range events {
			if err := a.Apply(uint64(i)+1, e); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(events)), "ns/event")
}

// BenchmarkDecideAcquire measures one acquire decision against a busy
// account (hundreds of downloads).
func BenchmarkDecideAcquire(b *testing.B) {
	w := newWorld(b, DefaultPolicy(), midYear)
	w.open(PlanPremium)
	w.register("d1", "d2", "d3", "d4")
	for _, d := range []string{"d1", "d2", "d3", "d4"} {
		w.acquire(d, "t", false, 90)
	}
	c := w.acquireCmd("d1", "t", true)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecideAcquire(w.acc, c, w.p, w.now); err != nil {
			b.Fatal(err)
		}
	}
}

// TestFoldEveryEvent applies every account and license event by hand and
// checks the state each leaves.
func TestFoldEveryEvent(t *testing.T) {
	t0 := time.Date(2026, 12, 30, 10, 0, 0, 0, time.UTC)
	a := NewAccount("c1")
	accEvents := []Event{
		&AccountOpened{CustomerID: "c1", Plan: PlanStandard, At: t0},
		&DeviceRegistered{DeviceID: "d1", At: t0},
		&DeviceRegistered{DeviceID: "d2", At: t0},
		&DownloadGranted{RequestID: "r1", LicenseID: "l1", DeviceID: "d1", TitleID: "t1", Restricted: true, Year: 2026, ExpiresAt: t0.Add(week), At: t0},
		&DownloadGranted{RequestID: "r2", LicenseID: "l2", DeviceID: "d2", TitleID: "t1", Restricted: true, Year: 2026, ExpiresAt: t0.Add(week), At: t0},
		&DownloadGranted{RequestID: "r3", LicenseID: "l3", DeviceID: "d2", TitleID: "t2", Year: 2026, ExpiresAt: t0.Add(week), At: t0},
		&DownloadRenewed{LicenseID: "l1", ExpiresAt: t0.Add(2 * week), At: t0},
		&DownloadReleased{LicenseID: "l2", DeviceID: "d2", At: t0},
		&DownloadDenied{RequestID: "r4", DeviceID: "d1", TitleID: "t1", Reason: string(ReasonTitleYearLimit), Detail: "x", At: t0},
	}
	fold(t, a, accEvents, 0)
	switch {
	case a.CustomerID() != "c1" || a.Plan() != PlanStandard || a.Version() != uint64(len(accEvents)):
		t.Fatalf("identity: %q %q v%d", a.CustomerID(), a.Plan(), a.Version())
	case a.ActiveDevices(t0) != 2 || a.ActiveDownloads("d1", t0) != 1 || a.ActiveDownloads("d2", t0) != 1:
		t.Fatalf("active: %d devices, d1 %d, d2 %d", a.ActiveDevices(t0), a.ActiveDownloads("d1", t0), a.ActiveDownloads("d2", t0))
	case a.ActiveDownloads("d1", t0.Add(week)) != 1 || a.ActiveDevices(t0.Add(week)) != 1:
		t.Fatal("the renewal did not move l1's expiry on the account")
	case a.TitleYearCount("t1", 2026) != 2 || a.TitleYearCount("t2", 2026) != 0:
		t.Fatalf("title-year counts: t1 %d, t2 %d", a.TitleYearCount("t1", 2026), a.TitleYearCount("t2", 2026))
	case len(a.RecentDenials()) != 1 || a.RecentDenials()[0].Reason != ReasonTitleYearLimit:
		t.Fatalf("denials: %+v", a.RecentDenials())
	case a.Counters() != AccountCounters{Granted: 3, Denied: 1, Renewed: 1, Released: 1}:
		t.Fatalf("counters: %+v", a.Counters())
	}
	// A restricted grant in a new year drops the old year's counts.
	fold(t, a, []Event{
		&DownloadGranted{RequestID: "r5", LicenseID: "l5", DeviceID: "d1", TitleID: "t3", Restricted: true, Year: 2027, ExpiresAt: t0.Add(3 * week), At: t0.Add(3 * 24 * time.Hour)},
		&DeviceRemoved{DeviceID: "d2", At: t0.Add(3 * 24 * time.Hour)},
	}, a.Version())
	if a.TitleYearCount("t1", 2026) != 0 || a.TitleYearCount("t3", 2027) != 1 {
		t.Fatalf("after the new year: t1/2026 %d, t3/2027 %d", a.TitleYearCount("t1", 2026), a.TitleYearCount("t3", 2027))
	}
	if a.HasDevice("d2") || a.ActiveDownloads("d2", t0) != 0 {
		t.Fatal("DeviceRemoved left the device or its downloads")
	}

	l := NewLicense("l1")
	fold(t, l, []Event{
		&LicenseIssued{LicenseID: "l1", CustomerID: "c1", DeviceID: "d1", TitleID: "t1", StudioID: "s1", PolicyVersion: 3, IssuedAt: t0, ExpiresAt: t0.Add(week)},
		&LicenseRenewed{RequestID: "r9", Renewal: 1, ExpiresAt: t0.Add(2 * week), At: t0},
		&PlaybackStarted{At: t0.Add(time.Hour), PlaybackEndsAt: t0.Add(49 * time.Hour)},
		&LicenseActionDenied{RequestID: "r10", Action: ActionPlayback, Reason: string(ReasonPlaybackWindowOver), At: t0.Add(50 * time.Hour)},
	}, 0)
	switch {
	case l.ID() != "l1" || l.CustomerID() != "c1" || l.DeviceID() != "d1" || l.TitleID() != "t1" || l.StudioID() != "s1" || l.PolicyVersion() != 3:
		t.Fatalf("identity: %+v", l)
	case !l.IssuedAt().Equal(t0) || !l.ExpiresAt().Equal(t0.Add(2*week)) || l.Renewals() != 1:
		t.Fatalf("renewal: %+v", l)
	case !l.FirstPlaybackAt().Equal(t0.Add(time.Hour)) || !l.PlaybackEndsAt().Equal(t0.Add(49*time.Hour)) || l.Denials() != 1:
		t.Fatalf("playback: %+v", l)
	case l.Status(t0.Add(2*week-1)) != StatusActive || l.Status(t0.Add(2*week)) != StatusExpired || NewLicense("x").Status(t0) != StatusNone:
		t.Fatalf("status: %q at expiry-1ns, %q at expiry", l.Status(t0.Add(2*week-1)), l.Status(t0.Add(2*week)))
	}
	fold(t, l, []Event{&LicenseReleased{Reason: ReleaseUserDeleted, At: t0.Add(60 * time.Hour)}}, l.Version())
	if l.Status(t0) != StatusReleased || l.ReleaseReason() != ReleaseUserDeleted || !l.ReleasedAt().Equal(t0.Add(60*time.Hour)) {
		t.Fatalf("release: %q %q %v", l.Status(t0), l.ReleaseReason(), l.ReleasedAt())
	}
}

// TestErrorMessages: errors name what was wrong.
func TestErrorMessages(t *testing.T) {
	err := NewAccount("c1").Apply(4, &DeviceRegistered{DeviceID: "d"})
	for _, want := range []string{"version gap", "DownloadAccount", `"c1"`, "version 4", "DeviceRegistered", "aggregate at 0"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("apply error %q lacks %q", err, want)
		}
	}
	_, err = DecideAcquire(NewAccount("c1"), AcquireLicense{RequestID: "r", CustomerID: "c1", DeviceID: "d", TitleID: "t", StudioID: "s"}, DefaultPolicy(), midYear)
	for _, want := range []string{"unknown customer", "AcquireLicense.CustomerID", `"c1"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("command error %q lacks %q", err, want)
		}
	}
}
