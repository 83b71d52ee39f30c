package server

import (
	"context"
	"errors"

	"connectrpc.com/connect"

	"github.com/esbench/esbench/refimpl/codec"
	"github.com/esbench/esbench/refimpl/domain"
	"github.com/esbench/esbench/refimpl/repository"
	"github.com/esbench/esbench/refimpl/store"
)

// toConnectError maps an error of the service to the API's status codes
// (docs/api.md): the caller can tell a bad request from a missing entity, a
// conflict worth retrying, an unavailable store and a missed deadline. The
// message is the service's, which names the command and field; it carries
// no secrets (ids and rule details only).
func toConnectError(err error) error {
	var (
		ce        *connect.Error
		decodeErr *codec.DecodeError
	)
	code := connect.CodeUnknown
	switch {
	case errors.As(err, &ce):
		return err
	case errors.Is(err, domain.ErrInvalidCommand), errors.Is(err, store.ErrInvalid):
		code = connect.CodeInvalidArgument
	case errors.Is(err, domain.ErrUnknownCustomer), errors.Is(err, domain.ErrUnknownDevice), errors.Is(err, domain.ErrUnknownLicense):
		code = connect.CodeNotFound
	case errors.Is(err, domain.ErrAccountExists):
		code = connect.CodeAlreadyExists
	case errors.Is(err, store.ErrConflict):
		code = connect.CodeAborted
	case errors.Is(err, context.DeadlineExceeded):
		code = connect.CodeDeadlineExceeded
	case errors.Is(err, context.Canceled):
		code = connect.CodeCanceled
	case errors.Is(err, store.ErrUnavailable), errors.Is(err, store.ErrClosed):
		code = connect.CodeUnavailable
	case errors.As(err, &decodeErr), errors.Is(err, repository.ErrVersionGap), errors.Is(err, store.ErrDiverged):
		code = connect.CodeDataLoss
	default:
		code = connect.CodeInternal
	}
	return connect.NewError(code, err)
}
