//go:build !linux

package bench

import (
	"context"
	"errors"
	"time"
)

// deadlineTimer is the precise wait of Linux; elsewhere workers wait on Go
// timers.
type deadlineTimer struct{}

var errNoDeadlineTimer = errors.New("bench: no precise timer on this platform")

func newDeadlineTimer(context.Context, time.Time) (*deadlineTimer, error) {
	return nil, errNoDeadlineTimer
}

func (*deadlineTimer) waitUntil(time.Duration) bool { return false }

func (*deadlineTimer) close() {}
