package inproc

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/esbench/esbench/refimpl/codec"
	"github.com/esbench/esbench/refimpl/domain"
	"github.com/esbench/esbench/refimpl/store"
	"github.com/esbench/esbench/refimpl/store/memory"
	"github.com/esbench/esbench/target"
	"github.com/esbench/esbench/workload"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		err  error
		want target.Outcome
	}{
		{nil, target.OutcomeOK},
		{&store.ConflictError{Expected: 1, Actual: 2}, target.OutcomeConflict},
		{fmt.Errorf("svc: %w", store.ErrUnavailable), target.OutcomeUnavailable},
		{context.DeadlineExceeded, target.OutcomeUnavailable},
		{fmt.Errorf("x: %w", domain.ErrUnknownLicense), target.OutcomeInvalid},
		{&codec.DecodeError{}, target.OutcomeInvalid},
		{errors.New("boom"), target.OutcomeOther},
	}
	for _, tt := range tests {
		if got := Classify(tt.err); got != tt.want {
			t.Errorf("%v: got %s, want %s", tt.err, got, tt.want)
		}
	}
}

// TestTargetReportsDecisionAndVersions drives the service through the seam
// and checks what the runner and API checks read back: outcome, decision
// and the versions of the loads.
func TestTargetReportsDecisionAndVersions(t *testing.T) {
	ctx := context.Background()
	sys, err := New(memory.New(), Options{Registry: domain.NewRegistry(), Codec: "json", Snapshot: "none", Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close()
	tg := sys.Target(0)
	do := func(op workload.Op) target.Response {
		t.Helper()
		var resp target.Response
		if err := tg.Do(ctx, &op, &resp); err != nil {
			t.Fatalf("%s: %v", op.Kind, err)
		}
		return resp
	}
	r := do(workload.Op{Kind: workload.OpOpenAccount, RequestID: "r1", CustomerID: "c1", Plan: domain.PlanBasic})
	if r.Outcome != target.OutcomeOK || !r.Decision.Allowed {
		t.Fatalf("open: outcome %s, decision %+v", r.Outcome, r.Decision)
	}
	r = do(workload.Op{Kind: workload.OpRegisterDevice, RequestID: "r2", CustomerID: "c1", DeviceID: "d1"})
	if len(r.Loads) == 0 || r.Loads[0].Version != 1 {
		t.Fatalf("register: loads %+v, want the account loaded at version 1", r.Loads)
	}
	r = do(workload.Op{Kind: workload.OpAcquire, RequestID: "r3", CustomerID: "c1", DeviceID: "d1", TitleID: "t1", StudioID: "s1"})
	if !r.Decision.Allowed || r.Decision.LicenseID == "" {
		t.Fatalf("acquire: decision %+v, want a granted license", r.Decision)
	}
	denied := false
	for i := 2; i < 20 && !denied; i++ {
		dev := fmt.Sprintf("d%d", i)
		do(workload.Op{Kind: workload.OpRegisterDevice, RequestID: "reg-" + dev, CustomerID: "c1", DeviceID: dev})
		r = do(workload.Op{Kind: workload.OpAcquire, RequestID: "acq-" + dev, CustomerID: "c1", DeviceID: dev, TitleID: "t1", StudioID: "s1"})
		denied = r.Outcome == target.OutcomeDenied
	}
	if !denied || r.Decision.Allowed || r.Decision.Reason != string(domain.ReasonDeviceLimit) {
		t.Fatalf("downloading on more devices than the plan allows: outcome %s, decision %+v, want denied for %s", r.Outcome, r.Decision, domain.ReasonDeviceLimit)
	}
	var resp target.Response
	unknown := workload.Op{Kind: workload.OpAcquire, RequestID: "r4", CustomerID: "c1", DeviceID: "unknown", TitleID: "t1", StudioID: "s1"}
	if err := tg.Do(ctx, &unknown, &resp); err == nil || resp.Outcome != target.OutcomeInvalid || resp.Decision != (target.Decision{}) {
		t.Fatalf("acquire on an unknown device: err %v, outcome %s, decision %+v; want an invalid-outcome error, no decision", err, resp.Outcome, resp.Decision)
	}
	r = do(workload.Op{Kind: workload.OpAcquire, RequestID: "r3", CustomerID: "c1", DeviceID: "d1", TitleID: "t1", StudioID: "s1"})
	if !r.Decision.AlreadyApplied {
		t.Fatalf("retried acquire: decision %+v, want already applied", r.Decision)
	}
	resp.Reset()
	bad := workload.Op{Kind: "bogus", CustomerID: "c1"}
	if err := tg.Do(ctx, &bad, &resp); err == nil || resp.Outcome != target.OutcomeInvalid {
		t.Fatalf("unknown kind: err %v, outcome %s, want an invalid-outcome error", err, resp.Outcome)
	}
}
