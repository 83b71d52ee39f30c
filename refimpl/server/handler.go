// Package server puts the reference service behind its network API
// (api/licensing/v1, docs/api.md): Handler answers the API's calls with the
// aggregate service, Server serves it over HTTP/1.1 and HTTP/2 (gRPC,
// gRPC-Web and connect JSON from one handler) with health and readiness
// endpoints, limits, timeouts, optional TLS and a bearer token, and a
// graceful shutdown that drains requests and flushes queued snapshots.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	licensingv1 "github.com/esbench/esbench/api/licensing/v1"
	"github.com/esbench/esbench/api/licensing/v1/licensingv1connect"
	"github.com/esbench/esbench/refimpl/domain"
	"github.com/esbench/esbench/refimpl/repository"
	"github.com/esbench/esbench/refimpl/service"
)

// Clock says which time a command is decided at.
type Clock int

const (
	// ClockRequest decides a command at its request's `at` time when it
	// has one (the caller's simulated clock, so a seeded workload gets the
	// same decisions wherever the service runs), else at the server's.
	ClockRequest Clock = iota
	// ClockWall ignores `at`: every command is decided at the server's
	// clock, as a production service would.
	ClockWall
)

// ParseClock parses "request" or "wall".
func ParseClock(s string) (Clock, error) {
	switch s {
	case "request":
		return ClockRequest, nil
	case "wall":
		return ClockWall, nil
	}
	return 0, fmt.Errorf("clock %q: must be request or wall", s)
}

// HandlerOptions configure a Handler.
type HandlerOptions struct {
	// Clock chooses the decision time (default ClockRequest).
	Clock Clock
	// Timeout is the service's per-command store deadline (0: none).
	Timeout time.Duration
	// Logger receives the service's debug messages (default: discard).
	Logger *slog.Logger
	// Now is the server's clock (default time.Now).
	Now func() time.Time
}

// Handler implements the API on the reference service. It is safe for
// concurrent use.
type Handler struct {
	licensingv1connect.UnimplementedLicensingServiceHandler
	repo *repository.Repository
	opts HandlerOptions
	// clocked pools service instances whose injected clock is set per
	// request: the service reads its clock through a function, and a
	// request's `at` must not leak into a concurrent request.
	clocked sync.Pool
	bulk    *service.Service
}

var _ licensingv1connect.LicensingServiceHandler = (*Handler)(nil)

// NewHandler returns the API handler on repo. The caller keeps owning repo.
func NewHandler(repo *repository.Repository, opts HandlerOptions) (*Handler, error) {
	if repo == nil {
		return nil, errors.New("server: nil repository")
	}
	if opts.Clock != ClockRequest && opts.Clock != ClockWall {
		return nil, fmt.Errorf("server: unknown clock %d", opts.Clock)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	h := &Handler{repo: repo, opts: opts}
	// Preload decides at each command's own time, so it needs no clock.
	bulk, err := service.New(repo, service.Options{Logger: opts.Logger})
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	h.bulk = bulk
	if _, err := h.newClocked(); err != nil { // fail now, not per request
		return nil, err
	}
	return h, nil
}

// Flush waits for the snapshots the repository queued (async snapshots).
func (h *Handler) Flush() { h.repo.Flush() }

// clocked is a service instance whose clock reads at.
type clocked struct {
	svc *service.Service
	at  time.Time
}

func (h *Handler) newClocked() (*clocked, error) {
	c := &clocked{}
	svc, err := service.New(h.repo, service.Options{Now: func() time.Time { return c.at }, Timeout: h.opts.Timeout, Logger: h.opts.Logger})
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	c.svc = svc
	return c, nil
}

// run calls f on a service instance whose clock reads the request's time.
func (h *Handler) run(at *timestamppb.Timestamp, f func(*service.Service) (service.Result, error)) (*licensingv1.CommandResponse, error) {
	when, err := h.decisionTime(at)
	if err != nil {
		return nil, err
	}
	c, _ := h.clocked.Get().(*clocked)
	if c == nil {
		if c, err = h.newClocked(); err != nil {
			return nil, connect.NewError(connect.CodeInternal, err)
		}
	}
	c.at = when
	res, err := f(c.svc)
	h.clocked.Put(c)
	if err != nil {
		return nil, toConnectError(err)
	}
	return commandResponse(&res), nil
}

// decisionTime is the time a command is decided at.
func (h *Handler) decisionTime(at *timestamppb.Timestamp) (time.Time, error) {
	if at == nil || h.opts.Clock == ClockWall {
		return h.opts.Now(), nil
	}
	if err := at.CheckValid(); err != nil {
		return time.Time{}, connect.NewError(connect.CodeInvalidArgument, fmt.Errorf("at: %w", err))
	}
	return at.AsTime(), nil
}

// OpenAccount implements the API.
func (h *Handler) OpenAccount(ctx context.Context, req *licensingv1.OpenAccountRequest) (*licensingv1.CommandResponse, error) {
	return h.run(req.GetAt(), func(s *service.Service) (service.Result, error) {
		return s.OpenAccount(ctx, openAccount(req))
	})
}

// RegisterDevice implements the API.
func (h *Handler) RegisterDevice(ctx context.Context, req *licensingv1.RegisterDeviceRequest) (*licensingv1.CommandResponse, error) {
	return h.run(req.GetAt(), func(s *service.Service) (service.Result, error) {
		return s.RegisterDevice(ctx, registerDevice(req))
	})
}

// RemoveDevice implements the API.
func (h *Handler) RemoveDevice(ctx context.Context, req *licensingv1.RemoveDeviceRequest) (*licensingv1.CommandResponse, error) {
	return h.run(req.GetAt(), func(s *service.Service) (service.Result, error) {
		return s.RemoveDevice(ctx, removeDevice(req))
	})
}

// AcquireLicense implements the API.
func (h *Handler) AcquireLicense(ctx context.Context, req *licensingv1.AcquireLicenseRequest) (*licensingv1.CommandResponse, error) {
	return h.run(req.GetAt(), func(s *service.Service) (service.Result, error) {
		return s.AcquireLicense(ctx, acquireLicense(req))
	})
}

// RenewLicense implements the API.
func (h *Handler) RenewLicense(ctx context.Context, req *licensingv1.RenewLicenseRequest) (*licensingv1.CommandResponse, error) {
	return h.run(req.GetAt(), func(s *service.Service) (service.Result, error) {
		return s.RenewLicense(ctx, renewLicense(req))
	})
}

// ReleaseLicense implements the API.
func (h *Handler) ReleaseLicense(ctx context.Context, req *licensingv1.ReleaseLicenseRequest) (*licensingv1.CommandResponse, error) {
	return h.run(req.GetAt(), func(s *service.Service) (service.Result, error) {
		return s.ReleaseLicense(ctx, releaseLicense(req))
	})
}

// StartPlayback implements the API.
func (h *Handler) StartPlayback(ctx context.Context, req *licensingv1.StartPlaybackRequest) (*licensingv1.CommandResponse, error) {
	return h.run(req.GetAt(), func(s *service.Service) (service.Result, error) {
		return s.StartPlayback(ctx, startPlayback(req))
	})
}

// CheckDownload implements the API.
func (h *Handler) CheckDownload(ctx context.Context, req *licensingv1.CheckDownloadRequest) (*licensingv1.CommandResponse, error) {
	return h.run(req.GetAt(), func(s *service.Service) (service.Result, error) {
		return s.CheckDownload(ctx, domain.CheckDownload{CustomerID: req.GetCustomerId(), DeviceID: req.GetDeviceId(),
			TitleID: req.GetTitleId(), StudioID: req.GetStudioId(), Restricted: req.GetRestricted()})
	})
}

// LoadAccount implements the API. A customer without an account is
// not_found, as for the commands.
func (h *Handler) LoadAccount(ctx context.Context, req *licensingv1.LoadAccountRequest) (*licensingv1.LoadAccountResponse, error) {
	id := req.GetCustomerId()
	if err := (domain.OpenAccount{RequestID: "load", CustomerID: id, Plan: "load"}).Validate(); err != nil {
		return nil, toConnectError(err)
	}
	ls, err := h.bulk.Load(ctx, id)
	if err != nil {
		return nil, toConnectError(err)
	}
	if ls.Version == 0 {
		return nil, connect.NewError(connect.CodeNotFound, fmt.Errorf("%w: customer %q has no account", domain.ErrUnknownCustomer, id))
	}
	return &licensingv1.LoadAccountResponse{
		Version: &licensingv1.AggregateVersion{Type: string(domain.TypeAccount), Id: id, Version: ls.Version},
		Load:    loadOf(&ls),
	}, nil
}

func openAccount(r *licensingv1.OpenAccountRequest) domain.OpenAccount {
	return domain.OpenAccount{RequestID: r.GetRequestId(), CustomerID: r.GetCustomerId(), Plan: r.GetPlan()}
}

func registerDevice(r *licensingv1.RegisterDeviceRequest) domain.RegisterDevice {
	return domain.RegisterDevice{RequestID: r.GetRequestId(), CustomerID: r.GetCustomerId(), DeviceID: r.GetDeviceId()}
}

func removeDevice(r *licensingv1.RemoveDeviceRequest) domain.RemoveDevice {
	return domain.RemoveDevice{RequestID: r.GetRequestId(), CustomerID: r.GetCustomerId(), DeviceID: r.GetDeviceId()}
}

func acquireLicense(r *licensingv1.AcquireLicenseRequest) domain.AcquireLicense {
	return domain.AcquireLicense{RequestID: r.GetRequestId(), CustomerID: r.GetCustomerId(), DeviceID: r.GetDeviceId(),
		TitleID: r.GetTitleId(), StudioID: r.GetStudioId(), Restricted: r.GetRestricted()}
}

func renewLicense(r *licensingv1.RenewLicenseRequest) domain.RenewLicense {
	return domain.RenewLicense{RequestID: r.GetRequestId(), CustomerID: r.GetCustomerId(), LicenseID: r.GetLicenseId()}
}

func releaseLicense(r *licensingv1.ReleaseLicenseRequest) domain.ReleaseLicense {
	return domain.ReleaseLicense{RequestID: r.GetRequestId(), CustomerID: r.GetCustomerId(), LicenseID: r.GetLicenseId()}
}

func startPlayback(r *licensingv1.StartPlaybackRequest) domain.StartPlayback {
	return domain.StartPlayback{RequestID: r.GetRequestId(), CustomerID: r.GetCustomerId(), LicenseID: r.GetLicenseId()}
}

// commandResponse converts the service's result.
func commandResponse(res *service.Result) *licensingv1.CommandResponse {
	d := &res.Decision
	out := &licensingv1.CommandResponse{
		Decision: &licensingv1.Decision{
			Allowed:       d.Allowed,
			Reason:        reasonOf(d.Reason),
			Detail:        d.Detail,
			LicenseId:     d.LicenseID,
			Fallback:      res.Fallback || d.Fallback,
			PolicyVersion: int32(d.PolicyVersion),
		},
		AlreadyApplied: res.AlreadyApplied,
	}
	if !d.ExpiresAt.IsZero() {
		out.Decision.ExpiresAt = timestamppb.New(d.ExpiresAt)
	}
	out.Versions = versionsOf(res)
	if len(res.Loads) > 0 {
		out.Loads = make([]*licensingv1.Load, len(res.Loads))
		for i := range res.Loads {
			out.Loads[i] = loadOf(&res.Loads[i])
		}
	}
	return out
}

// versionsOf lists each stream the command read or wrote once, in the order
// first met, at its version after the command: the version written, else
// the version of its last load.
func versionsOf(res *service.Result) []*licensingv1.AggregateVersion {
	var out []*licensingv1.AggregateVersion
	set := func(typ, id string, v uint64) {
		for _, av := range out {
			if av.Type == typ && av.Id == id {
				av.Version = v
				return
			}
		}
		out = append(out, &licensingv1.AggregateVersion{Type: typ, Id: id, Version: v})
	}
	for i := range res.Loads {
		s := res.Loads[i].Stream
		if s.AggregateID != "" {
			set(s.AggregateType, s.AggregateID, res.Loads[i].Version)
		}
	}
	for _, c := range res.Commits {
		set(c.Stream.AggregateType, c.Stream.AggregateID, c.To)
	}
	return out
}

func loadOf(ls *repository.LoadStats) *licensingv1.Load {
	return &licensingv1.Load{
		FromSnapshot:      ls.SnapshotVersion > 0,
		Replayed:          int64(ls.Replayed),
		Bytes:             int64(ls.Bytes),
		SnapshotReadNanos: int64(ls.SnapshotRead),
		EventReadNanos:    int64(ls.EventRead),
		DecodeNanos:       int64(ls.Decode),
		ApplyNanos:        int64(ls.Apply),
		TotalNanos:        int64(ls.Total),
		Version:           ls.Version,
	}
}

var reasons = map[domain.Reason]licensingv1.Reason{
	"":                               licensingv1.Reason_REASON_UNSPECIFIED,
	domain.ReasonDeviceLimit:         licensingv1.Reason_REASON_DEVICE_LIMIT,
	domain.ReasonDeviceNotRegistered: licensingv1.Reason_REASON_DEVICE_NOT_REGISTERED,
	domain.ReasonDownloadLimit:       licensingv1.Reason_REASON_DEVICE_DOWNLOAD_LIMIT,
	domain.ReasonTitleYearLimit:      licensingv1.Reason_REASON_TITLE_YEAR_LIMIT,
	domain.ReasonRenewalLimit:        licensingv1.Reason_REASON_RENEWAL_LIMIT,
	domain.ReasonLicenseExpired:      licensingv1.Reason_REASON_LICENSE_EXPIRED,
	domain.ReasonLicenseReleased:     licensingv1.Reason_REASON_LICENSE_RELEASED,
	domain.ReasonPlaybackWindowOver:  licensingv1.Reason_REASON_PLAYBACK_WINDOW_OVER,
	domain.ReasonStoreUnavailable:    licensingv1.Reason_REASON_STORE_UNAVAILABLE,
}

// reasonOf maps a domain reason to the API's; reasons the API does not name
// (an upcast "unspecified" denial) are REASON_OTHER.
func reasonOf(r domain.Reason) licensingv1.Reason {
	if v, ok := reasons[r]; ok {
		return v
	}
	return licensingv1.Reason_REASON_OTHER
}
