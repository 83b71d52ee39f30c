package repository

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/esbench/esbench/refimpl/codec/binary"
	"github.com/esbench/esbench/refimpl/domain"
	"github.com/esbench/esbench/refimpl/store"
)

func accountStream(customer string) store.StreamID {
	return store.StreamID{Customer: customer, AggregateType: domain.TypeAccount, AggregateID: customer}
}

func licenseStream(customer, license string) store.StreamID {
	return store.StreamID{Customer: customer, AggregateType: domain.TypeLicense, AggregateID: license}
}

// outcomeChanges turns a domain outcome into repository changes, license
// streams in id order so the append is deterministic.
func outcomeChanges(customer string, out domain.Outcome) []Change {
	var ch []Change
	if len(out.Account) > 0 {
		ch = append(ch, Change{Stream: accountStream(customer), Events: out.Account})
	}
	for _, id := range slices.Sorted(mapsKeys(out.Licenses)) {
		ch = append(ch, Change{Stream: licenseStream(customer, id), Events: out.Licenses[id]})
	}
	return ch
}

func mapsKeys(m map[string][]domain.Event) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// history plays random commands of one customer through repositories, the
// way the service does, using the real domain decide functions.
type history struct {
	t        testing.TB
	rng      *rand.Rand
	repos    []*Repository // writers; one is picked per command, so codecs mix
	customer string
	p        domain.Policy
	now      time.Time
	devices  []string
	licenses []string
	seq      int
}

func (h *history) update(targets []Target, decide func(aggs []domain.Aggregate) (domain.Outcome, error)) {
	h.t.Helper()
	h.seq++
	r := h.repos[h.rng.IntN(len(h.repos))]
	_, err := r.Update(context.Background(), fmt.Sprintf("%s-req-%d", h.customer, h.seq), targets, func(aggs []domain.Aggregate) ([]Change, error) {
		out, err := decide(aggs)
		if err != nil {
			return nil, err
		}
		return outcomeChanges(h.customer, out), nil
	})
	if err != nil && !isDomainError(err) {
		h.t.Fatalf("command %d: %v", h.seq, err)
	}
}

func isDomainError(err error) bool {
	for _, e := range []error{domain.ErrUnknownCustomer, domain.ErrUnknownDevice, domain.ErrUnknownLicense, domain.ErrInvalidCommand, domain.ErrAccountExists} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

func (h *history) accountTarget() Target {
	return Target{Stream: accountStream(h.customer), New: func() domain.Aggregate { return domain.NewAccount(h.customer) }}
}

func (h *history) licenseTarget(id string) Target {
	return Target{Stream: licenseStream(h.customer, id), New: func() domain.Aggregate { return domain.NewLicense(id) }}
}

func (h *history) pick(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return s[h.rng.IntN(len(s))]
}

func (h *history) step() {
	h.now = h.now.Add(time.Duration(h.rng.Int64N(int64(36 * time.Hour))))
	req := fmt.Sprintf("%s-req-%d", h.customer, h.seq+1)
	acc := h.accountTarget()
	switch k := h.rng.IntN(100); {
	case k < 10 || len(h.devices) == 0:
		dev := fmt.Sprintf("dev-%d", h.rng.IntN(6))
		h.devices = append(h.devices, dev)
		h.update([]Target{acc}, func(a []domain.Aggregate) (domain.Outcome, error) {
			return domain.DecideRegisterDevice(a[0].(*domain.Account), domain.RegisterDevice{RequestID: req, CustomerID: h.customer, DeviceID: dev}, h.p, h.now)
		})
	case k < 55:
		c := domain.AcquireLicense{RequestID: req, CustomerID: h.customer, DeviceID: h.pick(h.devices),
			TitleID: fmt.Sprintf("title-%d", h.rng.IntN(8)), StudioID: "studio", Restricted: h.rng.IntN(3) == 0}
		h.licenses = append(h.licenses, domain.LicenseIDFor(req))
		h.update([]Target{acc}, func(a []domain.Aggregate) (domain.Outcome, error) {
			return domain.DecideAcquire(a[0].(*domain.Account), c, h.p, h.now)
		})
	case k < 70:
		id := h.pick(h.licenses)
		h.update([]Target{acc, h.licenseTarget(id)}, func(a []domain.Aggregate) (domain.Outcome, error) {
			return domain.DecideRenew(a[0].(*domain.Account), a[1].(*domain.License), domain.RenewLicense{RequestID: req, CustomerID: h.customer, LicenseID: id}, h.p, h.now)
		})
	case k < 80:
		id := h.pick(h.licenses)
		h.update([]Target{acc, h.licenseTarget(id)}, func(a []domain.Aggregate) (domain.Outcome, error) {
			return domain.DecideRelease(a[0].(*domain.Account), a[1].(*domain.License), domain.ReleaseLicense{RequestID: req, CustomerID: h.customer, LicenseID: id}, h.p, h.now)
		})
	case k < 95:
		id := h.pick(h.licenses)
		h.update([]Target{h.licenseTarget(id)}, func(a []domain.Aggregate) (domain.Outcome, error) {
			return domain.DecidePlayback(a[0].(*domain.License), domain.StartPlayback{RequestID: req, CustomerID: h.customer, LicenseID: id}, h.p, h.now)
		})
	default:
		// The licenses the removal releases must be loaded too: the account
		// says which they are.
		dev := h.pick(h.devices)
		a := domain.NewAccount(h.customer)
		if _, err := h.repos[0].Load(context.Background(), acc.Stream, a); err != nil {
			h.t.Fatal(err)
		}
		targets := []Target{acc}
		for _, id := range a.ActiveLicenses(dev, h.now) {
			targets = append(targets, h.licenseTarget(id))
		}
		h.update(targets, func(a []domain.Aggregate) (domain.Outcome, error) {
			return domain.DecideRemoveDevice(a[0].(*domain.Account), domain.RemoveDevice{RequestID: req, CustomerID: h.customer, DeviceID: dev}, h.p, h.now)
		})
	}
}

// TestSnapshotPlusTailEqualsFullReplay is the property of docs/design.md §3: on
// random histories, under random snapshot policies and mixed codecs, the
// state folded from the latest snapshot plus the tail deep-equals the state
// of a full replay, for every stream and at checkpoints along the way.
func TestSnapshotPlusTailEqualsFullReplay(t *testing.T) {
	ctx := context.Background()
	// Pebble gets fewer histories: its part checks that the byte round trip
	// through a real engine changes nothing, the memory part covers breadth.
	histories := map[string]int{"memory": 48, "pebble": 12}
	if testing.Short() {
		histories = map[string]int{"memory": 12, "pebble": 4}
	}
	policies := []SnapshotPolicy{
		{Mode: EveryN, Every: 1}, {Mode: EveryN, Every: 2}, {Mode: EveryN, Every: 3},
		{Mode: EveryN, Every: 7}, {Mode: EveryN, Every: 20}, {Mode: EveryN, Every: 100},
		{Mode: LoadTriggered, MaxReplayed: 4}, {Mode: LoadTriggered, MaxReplayed: 15},
	}
	// binary: the codec whose decode the account adopts without copies
	// (domain.OwnedRestorer over DecodeOwned's aliased strings).
	codecSets := [][]string{{"json"}, {"gob"}, {"json", "gob"}, {"binary"}, {"binary", "json"}}
	reg := domain.NewRegistry(binary.Codec{})
	var snapLoads, tailReplayed int
	for _, be := range backends(t) {
		st := be.open(t)
		for i := range histories[be.name] {
			rng := rand.New(rand.NewPCG(20261122, uint64(i)))
			pol := policies[rng.IntN(len(policies))]
			codecs := codecSets[rng.IntN(len(codecSets))]
			async := rng.IntN(4) == 0
			keep := 1 + rng.IntN(3)
			name := fmt.Sprintf("%s/h%d/%s/%v/keep=%d/async=%v", be.name, i, pol, codecs, keep, async)
			h := &history{t: t, rng: rng, customer: fmt.Sprintf("cust-%s-%d", be.name, i), p: domain.DefaultPolicy(),
				now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.Int64N(int64(365 * 24 * time.Hour))))}
			for _, c := range codecs {
				h.repos = append(h.repos, mustRepo(t, st, reg, Options{Codec: c, Snapshots: pol, KeepSnapshots: keep, AsyncSnapshots: async}))
			}
			plain := mustRepo(t, st, reg, Options{})
			reader := mustRepo(t, st, reg, Options{Snapshots: pol})
			plan := []string{domain.PlanBasic, domain.PlanStandard, domain.PlanPremium}[rng.IntN(3)]
			h.update([]Target{h.accountTarget()}, func(a []domain.Aggregate) (domain.Outcome, error) {
				return domain.DecideOpenAccount(a[0].(*domain.Account), domain.OpenAccount{RequestID: "open", CustomerID: h.customer, Plan: plan}, h.p, h.now)
			})
			steps := 30 + rng.IntN(220)
			compare := func(tg Target) {
				t.Helper()
				for _, r := range h.repos {
					r.Flush()
				}
				full, snap := tg.New(), tg.New()
				fls, err := plain.Load(ctx, tg.Stream, full)
				if err != nil {
					t.Fatalf("%s: full replay of %s: %v", name, tg.Stream, err)
				}
				sls, err := reader.Load(ctx, tg.Stream, snap)
				if err != nil {
					t.Fatalf("%s: snapshot load of %s: %v", name, tg.Stream, err)
				}
				if fls.SnapshotVersion != 0 || fls.Replayed != int(fls.Version) {
					t.Fatalf("%s: full replay used a snapshot: %+v", name, fls)
				}
				if sls.SnapshotVersion > 0 {
					snapLoads++
					tailReplayed += sls.Replayed
				}
				if sls.SnapshotFallbacks != 0 {
					t.Fatalf("%s: snapshot fallback on a healthy store: %+v", name, sls)
				}
				if !sameState(full, snap) {
					t.Fatalf("%s: %s at version %d: snapshot %d + %d events:\n%#v\nfull replay:\n%#v",
						name, tg.Stream, fls.Version, sls.SnapshotVersion, sls.Replayed, snap, full)
				}
			}
			for s := range steps {
				h.step()
				if s%40 == 39 {
					compare(h.accountTarget())
				}
			}
			compare(h.accountTarget())
			for _, id := range slices.Compact(slices.Sorted(slices.Values(h.licenses))) {
				compare(h.licenseTarget(id))
			}
		}
	}
	// The property is empty if no load ever started from a snapshot.
	if snapLoads == 0 || tailReplayed == 0 {
		t.Fatalf("no snapshot+tail load was exercised (snapshot loads %d, tail events %d)", snapLoads, tailReplayed)
	}
	t.Logf("%d loads started from a snapshot, replaying %d tail events in all", snapLoads, tailReplayed)
}
