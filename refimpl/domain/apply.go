package domain

import (
	"errors"
	"fmt"
)

// Sentinel errors of Apply and RestoreSnapshot, returned wrapped in an
// *ApplyError.
var (
	// ErrVersionGap: the event's version is not the aggregate's version + 1.
	ErrVersionGap = errors.New("domain: event version gap")
	// ErrWrongAggregate: the event or snapshot belongs to another aggregate
	// type, or to another instance (customer or license id mismatch).
	ErrWrongAggregate = errors.New("domain: event for another aggregate")
	// ErrUnexpectedEvent: the event cannot occur at this point of the stream
	// (a stream not starting with its creation event, a second creation
	// event, a nil event).
	ErrUnexpectedEvent = errors.New("domain: unexpected event")
)

// ApplyError says which aggregate and stream position refused an event.
type ApplyError struct {
	Aggregate string
	ID        string
	Version   uint64
	Event     string
	Err       error
}

func (e *ApplyError) Error() string {
	return fmt.Sprintf("%v: %s %q version %d event %s", e.Err, e.Aggregate, e.ID, e.Version, e.Event)
}

// Unwrap exposes the sentinel.
func (e *ApplyError) Unwrap() error { return e.Err }

func eventName(e Event) string {
	if e == nil {
		return "<nil>"
	}
	return fmt.Sprintf("%T", e)
}
