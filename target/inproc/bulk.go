package inproc

import (
	"context"
	"fmt"

	"github.com/esbench/esbench/refimpl/domain"
	"github.com/esbench/esbench/refimpl/service"
	"github.com/esbench/esbench/target"
	"github.com/esbench/esbench/workload"
)

// BulkWriter returns a bulk preload writer on the service.
func (s *System) BulkWriter(int) (target.BulkWriter, error) {
	svc, err := service.New(s.repo, service.Options{Logger: s.opts.Logger})
	if err != nil {
		return nil, fmt.Errorf("inproc: %w", err)
	}
	return &serviceBulk{svc: svc}, nil
}

// serviceBulk is a BulkWriter on the reference service's Preload.
type serviceBulk struct {
	svc *service.Service
	p   *service.Preload
}

func (b *serviceBulk) Pending() int {
	if b.p == nil {
		return 0
	}
	return b.p.Pending()
}

func (b *serviceBulk) Flush(ctx context.Context) error {
	if b.p == nil {
		return nil
	}
	_, err := b.p.Flush(ctx)
	return err
}

func (b *serviceBulk) Discard() { b.p = nil }

// Add decides op at its own time, op.At.
func (b *serviceBulk) Add(op *workload.Op) error {
	if op.At.IsZero() {
		return fmt.Errorf("inproc: preload operation %s %s has no time", op.Kind, op.RequestID)
	}
	if b.p == nil || b.p.Customer() != op.CustomerID {
		p, err := b.svc.NewPreload(op.CustomerID)
		if err != nil {
			return err
		}
		b.p = p
	}
	var err error
	switch op.Kind {
	case workload.OpOpenAccount:
		_, err = b.p.OpenAccount(domain.OpenAccount{RequestID: op.RequestID, CustomerID: op.CustomerID, Plan: op.Plan}, op.At)
	case workload.OpRegisterDevice:
		_, err = b.p.RegisterDevice(domain.RegisterDevice{RequestID: op.RequestID, CustomerID: op.CustomerID, DeviceID: op.DeviceID}, op.At)
	case workload.OpRemoveDevice:
		_, err = b.p.RemoveDevice(domain.RemoveDevice{RequestID: op.RequestID, CustomerID: op.CustomerID, DeviceID: op.DeviceID}, op.At)
	case workload.OpAcquire:
		_, err = b.p.AcquireLicense(domain.AcquireLicense{RequestID: op.RequestID, CustomerID: op.CustomerID,
			DeviceID: op.DeviceID, TitleID: op.TitleID, StudioID: op.StudioID, Restricted: op.Restricted}, op.At)
	case workload.OpRenew:
		_, err = b.p.RenewLicense(domain.RenewLicense{RequestID: op.RequestID, CustomerID: op.CustomerID, LicenseID: op.LicenseID}, op.At)
	case workload.OpRelease:
		_, err = b.p.ReleaseLicense(domain.ReleaseLicense{RequestID: op.RequestID, CustomerID: op.CustomerID, LicenseID: op.LicenseID}, op.At)
	case workload.OpPlayback:
		_, err = b.p.StartPlayback(domain.StartPlayback{RequestID: op.RequestID, CustomerID: op.CustomerID, LicenseID: op.LicenseID}, op.At)
	default:
		err = fmt.Errorf("inproc: operation kind %q is not a preload history operation", op.Kind)
	}
	return err
}
