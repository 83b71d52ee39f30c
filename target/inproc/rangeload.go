package inproc

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/esbench/esbench/refimpl/domain"
	"github.com/esbench/esbench/refimpl/service"
	"github.com/esbench/esbench/refimpl/store"
	"github.com/esbench/esbench/target"
	"github.com/esbench/esbench/workload"
)

var (
	_ target.RangePreloader = (*System)(nil)
	_ target.PreloadAuditor = (*System)(nil)
)

// ErrNoBulkLoader is returned by the range preload methods when the store
// has no bulk loader.
var ErrNoBulkLoader = errors.New("inproc: the store has no bulk loader")

// bulkLoader returns the store's bulk loader, if it has one.
func (s *System) bulkLoader() (store.BulkLoader, bool) {
	bl, ok := s.st.Store.(store.BulkLoader)
	return bl, ok
}

// CanPreloadRanges reports whether the store loads ranges in bulk; the
// runner uses the range preload only then.
func (s *System) CanPreloadRanges() bool {
	_, ok := s.bulkLoader()
	return ok
}

// PreloadedRanges implements target.RangePreloader.
func (s *System) PreloadedRanges(ctx context.Context) ([]target.Range, error) {
	bl, ok := s.bulkLoader()
	if !ok {
		return nil, ErrNoBulkLoader
	}
	marks, err := bl.BulkMarks(ctx)
	if err != nil {
		return nil, fmt.Errorf("inproc: preloaded ranges: %w", err)
	}
	out := make([]target.Range, len(marks))
	for i, m := range marks {
		out[i] = target.Range{Part: m.Part, From: m.From, To: m.To}
	}
	return out, nil
}

// NewRangeWriter implements target.RangePreloader: each customer's history
// is decided by the service's bulk path (service.Preload, the same rules as
// one command at a time) and handed whole to the store's bulk batch.
func (s *System) NewRangeWriter(ctx context.Context) (target.RangeWriter, error) {
	bl, ok := s.bulkLoader()
	if !ok {
		return nil, ErrNoBulkLoader
	}
	b, err := bl.NewBulkBatch(ctx)
	if err != nil {
		return nil, fmt.Errorf("inproc: %w", err)
	}
	svc, err := service.New(s.repo, service.Options{Logger: s.opts.Logger})
	if err != nil {
		b.Abort()
		return nil, fmt.Errorf("inproc: %w", err)
	}
	return &rangeWriter{ctx: ctx, b: b, w: serviceBulk{svc: svc}}, nil
}

type rangeWriter struct {
	// ctx is the context of the range, for the writes Add makes.
	ctx    context.Context
	b      store.BulkBatch
	w      serviceBulk
	events int64
	// err is the first failure handing a customer over; Commit returns it.
	err error
}

func (r *rangeWriter) Add(op *workload.Op) error {
	if r.w.p != nil && r.w.p.Customer() != op.CustomerID {
		r.take()
	}
	return r.w.Add(op)
}

// take hands the current customer's history to the batch.
func (r *rangeWriter) take() {
	p := r.w.p
	r.w.p = nil
	if p == nil || r.err != nil {
		return
	}
	reqs, snaps, err := p.Take()
	if err == nil && len(reqs) > 0 {
		err = r.b.Add(r.ctx, reqs, snaps)
		for _, q := range reqs {
			r.events += int64(len(q.Events))
		}
	}
	if err != nil {
		r.err = fmt.Errorf("inproc: preload of customer %s: %w", p.Customer(), err)
	}
}

func (r *rangeWriter) Commit(ctx context.Context, rg target.Range) (int64, error) {
	r.take()
	if r.err != nil {
		r.b.Abort()
		return 0, r.err
	}
	if err := r.b.Commit(ctx, store.BulkMark{Part: rg.Part, From: rg.From, To: rg.To}); err != nil {
		return 0, err
	}
	return r.events, nil
}

func (r *rangeWriter) Abort() {
	r.w.p = nil
	r.b.Abort()
}

// AuditPreload implements target.PreloadAuditor: the customer's account is
// decided again from ops in memory and loaded from the store through the
// repository (snapshot plus the events after it), and the two states must
// encode to the same bytes.
func (s *System) AuditPreload(ctx context.Context, ops []workload.Op) error {
	if len(ops) == 0 {
		return errors.New("inproc: audit of an empty history")
	}
	customer := ops[0].CustomerID
	svc, err := service.New(s.repo, service.Options{Logger: s.opts.Logger})
	if err != nil {
		return fmt.Errorf("inproc: %w", err)
	}
	w := serviceBulk{svc: svc}
	for i := range ops {
		if ops[i].CustomerID != customer {
			return fmt.Errorf("inproc: audit of %s got an operation of %s", customer, ops[i].CustomerID)
		}
		_ = w.Add(&ops[i]) // a refused operation writes nothing, here as in the preload
	}
	if w.p == nil {
		return fmt.Errorf("inproc: audit of %s: no history decided", customer)
	}
	want, err := w.p.Account()
	if err != nil {
		return fmt.Errorf("inproc: audit of %s: %w", customer, err)
	}
	got := domain.NewAccount(customer)
	if _, err := s.repo.Load(ctx, store.StreamID{Customer: customer, AggregateType: domain.TypeAccount, AggregateID: customer}, got); err != nil {
		return fmt.Errorf("inproc: audit of %s: loading the account: %w", customer, err)
	}
	if got.Version() != want.Version() {
		return fmt.Errorf("inproc: audit of %s: the stored account is at version %d, the history gives %d", customer, got.Version(), want.Version())
	}
	codec := s.opts.Codec
	a, err := s.opts.Registry.Encode(codec, got.SnapshotState())
	if err != nil {
		return fmt.Errorf("inproc: audit of %s: %w", customer, err)
	}
	b, err := s.opts.Registry.Encode(codec, want.SnapshotState())
	if err != nil {
		return fmt.Errorf("inproc: audit of %s: %w", customer, err)
	}
	if !bytes.Equal(a.Payload, b.Payload) {
		return fmt.Errorf("inproc: audit of %s: the stored account state differs from the state its history gives", customer)
	}
	return nil
}
