package repository_test

import (
	"context"
	"fmt"
	"time"

	"github.com/esbench/esbench/refimpl/domain"
	"github.com/esbench/esbench/refimpl/repository"
	"github.com/esbench/esbench/refimpl/store"
	"github.com/esbench/esbench/refimpl/store/memory"
)

// An Update loads its targets, decides on them and appends the decision's
// events atomically; a Load folds a stream back into an aggregate.
func ExampleRepository_Update() {
	ctx := context.Background()
	policy, _ := repository.ParseSnapshotPolicy("every:2")
	repo, err := repository.New(memory.New(), domain.NewRegistry(), repository.Options{Snapshots: policy})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer repo.Close()

	account := store.StreamID{Customer: "c1", AggregateType: domain.TypeAccount, AggregateID: "c1"}
	target := repository.Target{Stream: account, New: func() domain.Aggregate { return domain.NewAccount("c1") }}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, dev := range []string{"", "phone", "tablet"} {
		res, err := repo.Update(ctx, fmt.Sprint("req-", i), []repository.Target{target}, func(aggs []domain.Aggregate) ([]repository.Change, error) {
			a := aggs[0].(*domain.Account)
			var out domain.Outcome
			var err error
			if dev == "" {
				out, err = domain.DecideOpenAccount(a, domain.OpenAccount{RequestID: "req-0", CustomerID: "c1", Plan: domain.PlanPremium}, domain.DefaultPolicy(), now)
			} else {
				out, err = domain.DecideRegisterDevice(a, domain.RegisterDevice{RequestID: fmt.Sprint("req-", i), CustomerID: "c1", DeviceID: dev}, domain.DefaultPolicy(), now)
			}
			return []repository.Change{{Stream: account, Events: out.Account}}, err
		})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s: appended %d, stream at %d, snapshots %d\n", res.Commits[0].Stream.AggregateType, res.Appended, res.Commits[0].To, res.Snapshots)
	}

	a := domain.NewAccount("c1")
	ls, err := repo.Load(ctx, account, a)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("loaded version %d from snapshot %d + %d events: devices %v\n", ls.Version, ls.SnapshotVersion, ls.Replayed, a.Devices())
	// Output:
	// DownloadAccount: appended 1, stream at 1, snapshots 0
	// DownloadAccount: appended 1, stream at 2, snapshots 1
	// DownloadAccount: appended 1, stream at 3, snapshots 0
	// loaded version 3 from snapshot 2 + 1 events: devices [phone tablet]
}
