package service

import (
	"context"
	"fmt"
	"time"

	"github.com/esbench/esbench/refimpl/domain"
	"github.com/esbench/esbench/refimpl/repository"
	"github.com/esbench/esbench/refimpl/store"
)

// Preload writes one new customer's history in bulk: each command is decided
// by the same domain rules as the Service's, on the customer's aggregates
// kept in memory, at the time the caller gives, and its events are appended
// by Flush, many commands at once, through the repository's bulk writer
// (repository.Bulk). The streams and snapshots it leaves are those the
// Service would have left for the same commands sent one at a time with the
// same clock readings, at O(n) instead of the O(n²) cost of re-loading a
// growing account for every command.
//
// Commands are counted in the Service's Stats like the Service's own. There
// is no fallback: nothing touches the store before Flush. A Preload is for
// customers whose streams do not exist yet, with unique request ids (see
// repository.Bulk); it is not safe for concurrent use.
type Preload struct {
	s        *Service
	b        *repository.Bulk
	customer string
}

// NewPreload returns a bulk writer for customerID's history.
func (s *Service) NewPreload(customerID string) (*Preload, error) {
	b, err := s.repo.NewBulk(customerID, func(id store.StreamID) (domain.Aggregate, error) {
		return domain.NewAggregate(id.AggregateType, id.AggregateID)
	})
	if err != nil {
		return nil, fmt.Errorf("service: preload: %w", err)
	}
	return &Preload{s: s, b: b, customer: customerID}, nil
}

// Customer is the customer whose history p writes.
func (p *Preload) Customer() string { return p.customer }

// Pending is the number of events decided but not yet flushed.
func (p *Preload) Pending() int { return p.b.Pending() }

// Flush appends the pending events, all the customer's streams in one
// atomic append, and saves the snapshots due since the last Flush.
func (p *Preload) Flush(ctx context.Context) (repository.BulkFlush, error) {
	return p.b.Flush(ctx)
}

// Take hands the decided history over for a bulk load instead of Flush (see
// repository.Bulk.Take); p is finished afterwards.
func (p *Preload) Take() ([]store.AppendRequest, []store.Snapshot, error) {
	return p.b.Take()
}

// Account returns the in-memory account with every committed command
// applied; the caller must not modify it.
func (p *Preload) Account() (*domain.Account, error) {
	a, err := p.b.Aggregate(accountStream(p.customer))
	if err != nil {
		return nil, err
	}
	return a.(*domain.Account), nil
}

// commit runs one command through the bulk writer and counts it as the
// Service counts its commands.
func (p *Preload) commit(cmd int, requestID, customer string, targets []store.StreamID, decide decider) (Result, error) {
	var res Result
	if customer != p.customer {
		err := fmt.Errorf("%w: preload of customer %s got a command for %s", domain.ErrInvalidCommand, p.customer, customer)
		return p.s.finish(cmd, res, err, nil)
	}
	var out domain.Outcome
	ur, err := p.b.Commit(requestID, targets, func(aggs []domain.Aggregate) ([]repository.Change, error) {
		o, err := decide(aggs)
		if err != nil {
			return nil, err
		}
		out = o
		return changes(customer, o), nil
	})
	res.Attempts = ur.Attempts
	if err == nil {
		res.Decision = out.Decision
	}
	return p.s.finish(cmd, res, err, nil)
}

// OpenAccount opens the account at now.
func (p *Preload) OpenAccount(c domain.OpenAccount, now time.Time) (Result, error) {
	if err := c.Validate(); err != nil {
		return p.s.finish(iOpen, Result{}, err, nil)
	}
	return p.commit(iOpen, c.RequestID, c.CustomerID, []store.StreamID{accountStream(c.CustomerID)},
		func(a []domain.Aggregate) (domain.Outcome, error) {
			return domain.DecideOpenAccount(a[0].(*domain.Account), c, p.s.opts.Policy, now)
		})
}

// RegisterDevice adds a device at now.
func (p *Preload) RegisterDevice(c domain.RegisterDevice, now time.Time) (Result, error) {
	if err := c.Validate(); err != nil {
		return p.s.finish(iRegister, Result{}, err, nil)
	}
	return p.commit(iRegister, c.RequestID, c.CustomerID, []store.StreamID{accountStream(c.CustomerID)},
		func(a []domain.Aggregate) (domain.Outcome, error) {
			return domain.DecideRegisterDevice(a[0].(*domain.Account), c, p.s.opts.Policy, now)
		})
}

// RemoveDevice removes a device at now and releases its active downloads,
// targeting the same license streams as Service.RemoveDevice.
func (p *Preload) RemoveDevice(c domain.RemoveDevice, now time.Time) (Result, error) {
	if err := c.Validate(); err != nil {
		return p.s.finish(iRemove, Result{}, err, nil)
	}
	a, err := p.Account()
	if err != nil {
		return p.s.finish(iRemove, Result{}, err, nil)
	}
	targets := []store.StreamID{accountStream(c.CustomerID)}
	for _, id := range a.ActiveLicenses(c.DeviceID, now) {
		targets = append(targets, licenseStream(c.CustomerID, id))
	}
	return p.commit(iRemove, c.RequestID, c.CustomerID, targets,
		func(aggs []domain.Aggregate) (domain.Outcome, error) {
			return domain.DecideRemoveDevice(aggs[0].(*domain.Account), c, p.s.opts.Policy, now)
		})
}

// AcquireLicense decides a download at now.
func (p *Preload) AcquireLicense(c domain.AcquireLicense, now time.Time) (Result, error) {
	if err := c.Validate(); err != nil {
		return p.s.finish(iAcquire, Result{}, err, nil)
	}
	return p.commit(iAcquire, c.RequestID, c.CustomerID, []store.StreamID{accountStream(c.CustomerID)},
		func(a []domain.Aggregate) (domain.Outcome, error) {
			return domain.DecideAcquire(a[0].(*domain.Account), c, p.s.opts.Policy, now)
		})
}

// RenewLicense extends a license at now.
func (p *Preload) RenewLicense(c domain.RenewLicense, now time.Time) (Result, error) {
	if err := c.Validate(); err != nil {
		return p.s.finish(iRenew, Result{}, err, nil)
	}
	return p.commit(iRenew, c.RequestID, c.CustomerID,
		[]store.StreamID{accountStream(c.CustomerID), licenseStream(c.CustomerID, c.LicenseID)},
		func(a []domain.Aggregate) (domain.Outcome, error) {
			return domain.DecideRenew(a[0].(*domain.Account), a[1].(*domain.License), c, p.s.opts.Policy, now)
		})
}

// ReleaseLicense ends a license at now.
func (p *Preload) ReleaseLicense(c domain.ReleaseLicense, now time.Time) (Result, error) {
	if err := c.Validate(); err != nil {
		return p.s.finish(iRelease, Result{}, err, nil)
	}
	return p.commit(iRelease, c.RequestID, c.CustomerID,
		[]store.StreamID{accountStream(c.CustomerID), licenseStream(c.CustomerID, c.LicenseID)},
		func(a []domain.Aggregate) (domain.Outcome, error) {
			return domain.DecideRelease(a[0].(*domain.Account), a[1].(*domain.License), c, p.s.opts.Policy, now)
		})
}

// StartPlayback starts playing a downloaded title at now.
func (p *Preload) StartPlayback(c domain.StartPlayback, now time.Time) (Result, error) {
	if err := c.Validate(); err != nil {
		return p.s.finish(iPlayback, Result{}, err, nil)
	}
	return p.commit(iPlayback, c.RequestID, c.CustomerID, []store.StreamID{licenseStream(c.CustomerID, c.LicenseID)},
		func(a []domain.Aggregate) (domain.Outcome, error) {
			return domain.DecidePlayback(a[0].(*domain.License), c, p.s.opts.Policy, now)
		})
}
