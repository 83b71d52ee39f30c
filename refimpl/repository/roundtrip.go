package repository

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/esbench/esbench/refimpl/codec"
	"github.com/esbench/esbench/refimpl/domain"
	"github.com/esbench/esbench/refimpl/store"
)

// Bulk applies a decision's own event values to its in-memory aggregates
// instead of decoding the records it just encoded (decoding was most of a
// preload's CPU). That is the same fold only where the codec gives back
// exactly what it was given, so it is checked, per event type, on real
// events (docs/design.md §16):
//   - the first trustAfter events of a type are decoded and compared with
//     the value encoded (times by instant: Apply keeps times in UTC);
//   - after that, one in checkEvery still is;
//   - one difference marks the type inexact for the Repository's lifetime,
//     and its events are decoded from then on, as Update's snapshots are.
//
// A difference found after the type was trusted breaks the Bulk: aggregates
// it folded directly may already hold what a replay would not, so its
// customer must be decided again (the range fails uncommitted).
const (
	trustAfter = 64
	checkEvery = 64
)

// roundTrips is a Repository's record of the types checked.
type roundTrips struct {
	m sync.Map // event type → *roundTrip
}

type roundTrip struct {
	checked atomic.Int64
	inexact atomic.Bool
}

func (rt *roundTrips) of(typ string) *roundTrip {
	if v, ok := rt.m.Load(typ); ok {
		return v.(*roundTrip)
	}
	v, _ := rt.m.LoadOrStore(typ, &roundTrip{})
	return v.(*roundTrip)
}

// applyDecided folds the records a decision produced into agg, using evs
// (the decision's events the records encode, in order) where the codec is
// known to round-trip them exactly.
func (r *Repository) applyDecided(stream store.StreamID, agg domain.Aggregate, recs []store.Record, evs []domain.Event) error {
	if len(evs) != len(recs) {
		return fmt.Errorf("%w: %d events for %d records of %s", store.ErrInvalid, len(evs), len(recs), stream)
	}
	for i, rec := range recs {
		ev := evs[i]
		rt := r.trips.of(rec.Type)
		if !rt.inexact.Load() {
			n := rt.checked.Add(1)
			if n <= trustAfter || n%checkEvery == 0 {
				dec, err := r.decodeRecord(stream, rec)
				if err != nil {
					return err
				}
				if !sameEvent(ev, dec) {
					rt.inexact.Store(true)
					r.log.LogAttrs(context.Background(), slog.LevelWarn, "codec does not round-trip an event type exactly: decoding it from now on",
						slog.String("codec", rec.Codec), slog.String("type", rec.Type), slog.String("stream", stream.String()))
					if n > trustAfter {
						return fmt.Errorf("%w: codec %s gave back a different %s at version %d of %s after %d exact ones",
							ErrInexactCodec, rec.Codec, rec.Type, rec.Version, stream, n-1)
					}
				}
				ev = dec
			}
		} else {
			dec, err := r.decodeRecord(stream, rec)
			if err != nil {
				return err
			}
			ev = dec
		}
		if err := agg.Apply(rec.Version, ev); err != nil {
			return fmt.Errorf("apply version %d (%s): %w", rec.Version, rec.Type, err)
		}
	}
	return nil
}

// ErrInexactCodec is returned by a Bulk that found, after trusting it, that
// the codec does not give back an event type exactly as encoded.
var ErrInexactCodec = errors.New("repository: inexact codec round trip")

func (r *Repository) decodeRecord(stream store.StreamID, rec store.Record) (domain.Event, error) {
	v, err := r.reg.Decode(codec.Envelope{Type: rec.Type, SchemaVersion: rec.SchemaVersion, Codec: rec.Codec, Payload: rec.Payload})
	if err != nil {
		return nil, decodeError(stream, rec, err)
	}
	ev, ok := v.(domain.Event)
	if !ok {
		return nil, decodeError(stream, rec, fmt.Errorf("%w: decoded %T is not a domain event", codec.ErrUnknownType, v))
	}
	return ev, nil
}

var timeType = reflect.TypeFor[time.Time]()

// sameEvent reports whether a and b are the same event as Apply sees them:
// equal field by field, times by instant. Anything it cannot compare
// (unexported fields, functions) counts as different.
func sameEvent(a, b any) bool {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	if !va.IsValid() || !vb.IsValid() || va.Type() != vb.Type() {
		return false
	}
	return sameValue(va, vb)
}

func sameValue(a, b reflect.Value) bool {
	if a.Type() == timeType {
		if !a.CanInterface() {
			return false
		}
		return a.Interface().(time.Time).Equal(b.Interface().(time.Time))
	}
	switch a.Kind() {
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		ea, eb := a.Elem(), b.Elem()
		return ea.Type() == eb.Type() && sameValue(ea, eb)
	case reflect.Struct:
		for i := range a.NumField() {
			if !sameValue(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Slice, reflect.Array:
		if a.Kind() == reflect.Slice && a.IsNil() != b.IsNil() {
			return false
		}
		if a.Len() != b.Len() {
			return false
		}
		for i := range a.Len() {
			if !sameValue(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.String:
		return a.String() == b.String()
	case reflect.Bool:
		return a.Bool() == b.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return a.Int() == b.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return a.Uint() == b.Uint()
	case reflect.Float32, reflect.Float64:
		return a.Float() == b.Float()
	default: // maps, channels, functions: not in events; be conservative
		return false
	}
}
