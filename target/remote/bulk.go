package remote

import (
	"context"
	"fmt"

	"google.golang.org/protobuf/types/known/timestamppb"

	licensingv1 "github.com/esbench/esbench/api/licensing/v1"
	"github.com/esbench/esbench/target"
	"github.com/esbench/esbench/workload"
)

// bulkSystem is a System that preloads with the API's Preload call.
type bulkSystem struct {
	*System
}

var _ target.BulkPreloader = bulkSystem{}

// BulkWriter returns a writer that batches one customer's history commands
// into Preload calls.
func (b bulkSystem) BulkWriter(int) (target.BulkWriter, error) {
	return &bulkWriter{sys: b.System}, nil
}

// bulkWriter buffers commands; the service decides them when they are
// flushed, so Pending counts commands, not events, and a refusal is
// reported by Flush.
type bulkWriter struct {
	sys  *System
	cmds []*licensingv1.PreloadCommand
}

func (w *bulkWriter) Pending() int { return len(w.cmds) }

func (w *bulkWriter) Discard() { w.cmds = w.cmds[:0] }

// Flush sends the buffered commands in one Preload call.
func (w *bulkWriter) Flush(ctx context.Context) error {
	if len(w.cmds) == 0 {
		return nil
	}
	r, err := w.sys.client.Preload(ctx, &licensingv1.PreloadRequest{Commands: w.cmds})
	w.cmds = w.cmds[:0]
	if err != nil {
		return fmt.Errorf("remote: preload: %w", err)
	}
	if ref := r.GetRefused(); len(ref) > 0 {
		return fmt.Errorf("remote: preload: the service refused %d commands, first (#%d): %s", len(ref), ref[0].GetIndex(), ref[0].GetMessage())
	}
	return nil
}

// Add buffers op as a preload command at its own time.
func (w *bulkWriter) Add(op *workload.Op) error {
	if op.At.IsZero() {
		return fmt.Errorf("remote: preload operation %s %s has no time", op.Kind, op.RequestID)
	}
	at := timestamppb.New(op.At)
	var cmd licensingv1.PreloadCommand
	switch op.Kind {
	case workload.OpOpenAccount:
		cmd.Command = &licensingv1.PreloadCommand_OpenAccount{OpenAccount: &licensingv1.OpenAccountRequest{
			RequestId: op.RequestID, CustomerId: op.CustomerID, Plan: op.Plan, At: at}}
	case workload.OpRegisterDevice:
		cmd.Command = &licensingv1.PreloadCommand_RegisterDevice{RegisterDevice: &licensingv1.RegisterDeviceRequest{
			RequestId: op.RequestID, CustomerId: op.CustomerID, DeviceId: op.DeviceID, At: at}}
	case workload.OpRemoveDevice:
		cmd.Command = &licensingv1.PreloadCommand_RemoveDevice{RemoveDevice: &licensingv1.RemoveDeviceRequest{
			RequestId: op.RequestID, CustomerId: op.CustomerID, DeviceId: op.DeviceID, At: at}}
	case workload.OpAcquire:
		cmd.Command = &licensingv1.PreloadCommand_AcquireLicense{AcquireLicense: &licensingv1.AcquireLicenseRequest{
			RequestId: op.RequestID, CustomerId: op.CustomerID, DeviceId: op.DeviceID, TitleId: op.TitleID,
			StudioId: op.StudioID, Restricted: op.Restricted, At: at}}
	case workload.OpRenew:
		cmd.Command = &licensingv1.PreloadCommand_RenewLicense{RenewLicense: &licensingv1.RenewLicenseRequest{
			RequestId: op.RequestID, CustomerId: op.CustomerID, LicenseId: op.LicenseID, At: at}}
	case workload.OpRelease:
		cmd.Command = &licensingv1.PreloadCommand_ReleaseLicense{ReleaseLicense: &licensingv1.ReleaseLicenseRequest{
			RequestId: op.RequestID, CustomerId: op.CustomerID, LicenseId: op.LicenseID, At: at}}
	case workload.OpPlayback:
		cmd.Command = &licensingv1.PreloadCommand_StartPlayback{StartPlayback: &licensingv1.StartPlaybackRequest{
			RequestId: op.RequestID, CustomerId: op.CustomerID, LicenseId: op.LicenseID, At: at}}
	default:
		return fmt.Errorf("remote: operation kind %q is not a preload history operation", op.Kind)
	}
	w.cmds = append(w.cmds, &cmd)
	return nil
}
