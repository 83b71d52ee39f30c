package server

import (
	"context"
	"errors"
	"fmt"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	licensingv1 "github.com/esbench/esbench/api/licensing/v1"
	"github.com/esbench/esbench/refimpl/service"
)

// preloadBatch is the most events one customer's bulk append carries before
// it is flushed, as in the in-process preload: one single-partition batch
// well under Cassandra's batch size limit.
const preloadBatch = 100

// Preload implements the API's bulk write with the service's own bulk path
// (service.Preload): each customer's commands are decided in memory at their
// `at` times and appended in batches, leaving exactly the streams and
// snapshots the same commands sent one at a time would have left. A command
// the rules refuse as an error is listed in the answer and skipped; a failed
// append fails the call (the customers before it are written).
func (h *Handler) Preload(ctx context.Context, req *licensingv1.PreloadRequest) (*licensingv1.PreloadResponse, error) {
	out := &licensingv1.PreloadResponse{}
	var p *service.Preload
	flush := func() error {
		if p == nil || p.Pending() == 0 {
			return nil
		}
		f, err := p.Flush(ctx)
		if err != nil {
			return toConnectError(fmt.Errorf("preload of customer %s: %w", p.Customer(), err))
		}
		out.Events += int64(f.Events)
		out.Streams += int64(f.Streams)
		out.Snapshots += int64(f.Snapshots)
		return nil
	}
	for i, cmd := range req.GetCommands() {
		if err := ctx.Err(); err != nil {
			return nil, toConnectError(err)
		}
		customer, at, err := preloadTarget(cmd)
		if err != nil {
			return nil, connect.NewError(connect.CodeInvalidArgument, fmt.Errorf("commands[%d]: %w", i, err))
		}
		if p == nil || p.Customer() != customer {
			if err := flush(); err != nil {
				return nil, err
			}
			if p, err = h.bulk.NewPreload(customer); err != nil {
				return nil, connect.NewError(connect.CodeInvalidArgument, fmt.Errorf("commands[%d]: %w", i, err))
			}
		}
		when := at.AsTime()
		switch c := cmd.GetCommand().(type) {
		case *licensingv1.PreloadCommand_OpenAccount:
			_, err = p.OpenAccount(openAccount(c.OpenAccount), when)
		case *licensingv1.PreloadCommand_RegisterDevice:
			_, err = p.RegisterDevice(registerDevice(c.RegisterDevice), when)
		case *licensingv1.PreloadCommand_RemoveDevice:
			_, err = p.RemoveDevice(removeDevice(c.RemoveDevice), when)
		case *licensingv1.PreloadCommand_AcquireLicense:
			_, err = p.AcquireLicense(acquireLicense(c.AcquireLicense), when)
		case *licensingv1.PreloadCommand_RenewLicense:
			_, err = p.RenewLicense(renewLicense(c.RenewLicense), when)
		case *licensingv1.PreloadCommand_ReleaseLicense:
			_, err = p.ReleaseLicense(releaseLicense(c.ReleaseLicense), when)
		case *licensingv1.PreloadCommand_StartPlayback:
			_, err = p.StartPlayback(startPlayback(c.StartPlayback), when)
		}
		out.Commands++
		if err != nil {
			out.Refused = append(out.Refused, &licensingv1.PreloadRefusal{Index: int32(i), Message: err.Error()})
		}
		if p.Pending() >= preloadBatch {
			if err := flush(); err != nil {
				return nil, err
			}
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return out, nil
}

// preloadTarget returns the customer and time of a preload command.
func preloadTarget(cmd *licensingv1.PreloadCommand) (string, *timestamppb.Timestamp, error) {
	var (
		customer string
		at       *timestamppb.Timestamp
	)
	switch c := cmd.GetCommand().(type) {
	case *licensingv1.PreloadCommand_OpenAccount:
		customer, at = c.OpenAccount.GetCustomerId(), c.OpenAccount.GetAt()
	case *licensingv1.PreloadCommand_RegisterDevice:
		customer, at = c.RegisterDevice.GetCustomerId(), c.RegisterDevice.GetAt()
	case *licensingv1.PreloadCommand_RemoveDevice:
		customer, at = c.RemoveDevice.GetCustomerId(), c.RemoveDevice.GetAt()
	case *licensingv1.PreloadCommand_AcquireLicense:
		customer, at = c.AcquireLicense.GetCustomerId(), c.AcquireLicense.GetAt()
	case *licensingv1.PreloadCommand_RenewLicense:
		customer, at = c.RenewLicense.GetCustomerId(), c.RenewLicense.GetAt()
	case *licensingv1.PreloadCommand_ReleaseLicense:
		customer, at = c.ReleaseLicense.GetCustomerId(), c.ReleaseLicense.GetAt()
	case *licensingv1.PreloadCommand_StartPlayback:
		customer, at = c.StartPlayback.GetCustomerId(), c.StartPlayback.GetAt()
	default:
		return "", nil, errors.New("no command set")
	}
	if at == nil {
		return "", nil, errors.New("at: missing (every preload command needs its time)")
	}
	if err := at.CheckValid(); err != nil {
		return "", nil, fmt.Errorf("at: %w", err)
	}
	return customer, at, nil
}
