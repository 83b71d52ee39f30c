package repository

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/esbench/esbench/refimpl/codec/binary"
	"github.com/esbench/esbench/refimpl/domain"
	"github.com/esbench/esbench/refimpl/store/memory"
)

// TestDecisionsAfterSnapshotEqualFullReplay: on long random account
// histories (a couple of hundred restricted-title counts, the denial cap
// reached), with the binary and JSON codecs and a snapshot at a random
// version (and one at the last version), the account Load restores from the snapshot (taking over the
// decoded value, domain.OwnedRestorer) plus the tail decides every probe
// exactly as the account of a full replay, and stays equal to it as the
// probes' events are applied: an acquire of every title of the history on
// each device, restricted, in the history's year and the next, and a retry
// of every denial the account keeps.
func TestDecisionsAfterSnapshotEqualFullReplay(t *testing.T) {
	ctx := context.Background()
	reg := domain.NewRegistry(binary.Codec{})
	p := domain.DefaultPolicy()
	const n = 3000
	for _, codecID := range []string{binary.ID, "json"} {
		for seed := range uint64(4) {
			t.Run(fmt.Sprintf("codec=%s/seed=%d", codecID, seed), func(t *testing.T) {
				stream := accountStream(fmt.Sprintf("dec-%s-%d", codecID, seed))
				evs := accountHistory(t, stream.Customer, n, 40+seed)
				snapAt := n - 1 - rand.New(rand.NewPCG(seed, 9)).IntN(n/2)
				if seed == 3 {
					// Nothing after the snapshot: the account decides on
					// the snapshot's own title block and denial list.
					snapAt = n
				}
				st := memory.New()
				preloadCodec(t, st, reg, codecID, stream, evs, snapAt)
				full, restored := domain.NewAccount(stream.Customer), domain.NewAccount(stream.Customer)
				if _, err := mustRepo(t, st, reg, Options{}).Load(ctx, stream, full); err != nil {
					t.Fatal(err)
				}
				ls, err := mustRepo(t, st, reg, Options{Snapshots: SnapshotPolicy{Mode: EveryN, Every: 100}}).Load(ctx, stream, restored)
				if err != nil {
					t.Fatal(err)
				}
				if ls.SnapshotVersion != uint64(snapAt) || ls.Replayed != n-snapAt {
					t.Fatalf("load from snapshot %d replayed %d events, want snapshot %d and %d", ls.SnapshotVersion, ls.Replayed, snapAt, n-snapAt)
				}
				if !sameState(restored, full) {
					t.Fatal("snapshot plus tail differs from the full replay")
				}
				counted := 0
				for i := range 200 {
					if full.TitleYearCount(fmt.Sprint("title-", i), 2024) > 0 {
						counted++
					}
				}
				if counted < 100 || len(full.RecentDenials()) != domain.MaxRecentDenials {
					t.Fatalf("the history is too small to test much: %d counted titles, %d denials", counted, len(full.RecentDenials()))
				}
				reasons := map[domain.Reason]int{}
				probe := func(name string, c domain.AcquireLicense, now time.Time) {
					t.Helper()
					want, err := domain.DecideAcquire(full, c, p, now)
					if err != nil {
						t.Fatalf("%s on the full replay: %v", name, err)
					}
					got, err := domain.DecideAcquire(restored, c, p, now)
					if err != nil {
						t.Fatalf("%s on the restored account: %v", name, err)
					}
					if !reflect.DeepEqual(got, want) {
						t.Fatalf("%s decided differently:\nrestored %+v\nfull     %+v", name, got, want)
					}
					reasons[want.Decision.Reason]++
					for _, e := range want.Account {
						if err := full.Apply(full.Version()+1, e); err != nil {
							t.Fatal(err)
						}
						if err := restored.Apply(restored.Version()+1, e); err != nil {
							t.Fatal(err)
						}
					}
					if !sameState(restored, full) {
						t.Fatalf("after %s the restored account differs from the full replay", name)
					}
				}
				for _, d := range full.RecentDenials() {
					probe("retry of "+d.RequestID, domain.AcquireLicense{RequestID: d.RequestID, CustomerID: stream.Customer,
						DeviceID: d.DeviceID, TitleID: d.TitleID, StudioID: "studio-1", Restricted: true}, time.Date(2024, 12, 1, 0, 0, 0, 0, time.UTC))
				}
				seq := 0
				for _, now := range []time.Time{time.Date(2024, 12, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC)} {
					for i := range 201 {
						for _, dev := range []string{"phone", "tablet"} {
							seq++
							probe(fmt.Sprintf("acquire %d of title-%d on %s at %s", seq, i, dev, now.Format(time.DateOnly)),
								domain.AcquireLicense{RequestID: fmt.Sprint("probe-", seq), CustomerID: stream.Customer, DeviceID: dev,
									TitleID: fmt.Sprint("title-", i), StudioID: "studio-1", Restricted: true}, now)
						}
					}
				}
				if reasons[domain.ReasonTitleYearLimit] == 0 || reasons[""] == 0 {
					t.Fatalf("the probes never met the title rule or were never granted: %v", reasons)
				}
			})
		}
	}
}

// sameState reports whether a and b hold the same state: the same type and
// version and equal snapshots. An account restored from a binary snapshot
// keeps its title counts as the snapshot's block plus the changes since,
// one folded from events as a slice, so their structs differ where their
// states do not; SnapshotState writes both the same way.
func sameState(a, b domain.Aggregate) bool {
	sa, okA := a.(domain.Snapshotter)
	sb, okB := b.(domain.Snapshotter)
	if !okA || !okB {
		return reflect.DeepEqual(a, b)
	}
	return reflect.TypeOf(a) == reflect.TypeOf(b) && a.Version() == b.Version() && reflect.DeepEqual(sa.SnapshotState(), sb.SnapshotState())
}
