// Package wire holds the flat mirror of the domain events and snapshots that
// the tag-keyed codecs (MessagePack, CBOR, Avro) serialise, and the mapping
// between them and the domain types. Times travel as int64 Unix nanoseconds
// so that every codec keeps full precision; the zero time.Time is written as
// 0 (so the exact instant 1970-01-01T00:00:00Z cannot be told apart from "no
// time", which no domain event uses).
package wire

//go:generate go tool msgp -file events.go -o events_msgp.go -tests=false
//go:generate go tool msgp -file snapshots.go -o snapshots_msgp.go -tests=false

import (
	"fmt"
	"math"
	"time"
)

// minNanos and maxNanos bound the instants an int64 of nanoseconds holds
// (years 1678 to 2262).
var (
	minNanos = time.Unix(0, math.MinInt64)
	maxNanos = time.Unix(0, math.MaxInt64)
)

// Nanos returns t as Unix nanoseconds, 0 for the zero time, and an error
// naming field for an instant outside the int64 range.
func Nanos(field string, t time.Time) (int64, error) {
	if t.IsZero() {
		return 0, nil
	}
	if t.Before(minNanos) || t.After(maxNanos) {
		return 0, fmt.Errorf("field %s: time %s is outside the int64 nanosecond range (1678..2262)", field, t.Format(time.RFC3339Nano))
	}
	return t.UnixNano(), nil
}

// Time is the inverse of Nanos: 0 is the zero time, anything else a UTC
// instant.
func Time(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// Int returns an int64 read from the wire as an int, with an error naming
// the field when it does not fit (on 32-bit platforms).
func Int(field string, n int64) (int, error) {
	if int64(int(n)) != n {
		return 0, fmt.Errorf("field %s: value %d overflows int", field, n)
	}
	return int(n), nil
}

// Conv collects the first conversion error so that mapping code stays one
// line per field. Err is the first error seen.
type Conv struct{ Err error }

// Nanos is Nanos, recording the error.
func (c *Conv) Nanos(field string, t time.Time) int64 {
	n, err := Nanos(field, t)
	if err != nil && c.Err == nil {
		c.Err = err
	}
	return n
}

// Int is Int, recording the error.
func (c *Conv) Int(field string, n int64) int {
	v, err := Int(field, n)
	if err != nil && c.Err == nil {
		c.Err = err
	}
	return v
}
