package store

import (
	"context"
	"iter"
)

// Replayed is one event as a replay needs it: what the aggregate folds and
// the duplicate check reads, without the event-id text, metadata and
// recording time that Load builds for every record (docs/design.md, "Replay
// records").
type Replayed struct {
	Version       uint64
	Type          string
	SchemaVersion uint16
	Codec         string
	// Payload is shared with the store when a Replayer yields it: the store
	// never changes it and keeps it valid, so a decoder may leave the
	// decoded value pointing into it, but the caller must never write to
	// it.
	Payload []byte
	// Size is Record.Size of the stored event: the bytes a Load of it
	// reads, ids and metadata included.
	Size int
	// Watched is set when the event's id is the one the replay was asked
	// to watch for.
	Watched bool
}

// Record returns the fields r shares with a loaded record, for messages.
func (r Replayed) Record() Record {
	return Record{Version: r.Version, Type: r.Type, SchemaVersion: r.SchemaVersion, Codec: r.Codec, Payload: r.Payload}
}

// Replayer is implemented by backends that can yield a stream's events for
// a replay more cheaply than Load: no event-id text, no metadata map and no
// copy of the payload per event. The repository uses it when the store
// offers it and ReplayOf(Load) otherwise.
type Replayer interface {
	// Replay yields what Load(ctx, stream, after) yields (the same
	// versions, errors and paging), as Replayed values. An event whose id
	// equals watch is marked Watched; an empty watch watches nothing.
	Replay(ctx context.Context, stream StreamID, after uint64, watch string) iter.Seq2[Replayed, error]
}

// ReplayFrom returns st's replay of stream after after, watching watch:
// through its Replayer when it has one, ReplayOf(Load) otherwise. Wrappers
// that add nothing to reads use it, so wrapping a store never hides its
// replay reader.
func ReplayFrom(ctx context.Context, st EventStore, stream StreamID, after uint64, watch string) iter.Seq2[Replayed, error] {
	if rp, ok := st.(Replayer); ok {
		return rp.Replay(ctx, stream, after, watch)
	}
	return ReplayOf(st.Load(ctx, stream, after), watch)
}

// ReplayOf turns loaded records into replayed ones, for backends without
// Replayer and for the cold tier (LoadAudit).
func ReplayOf(seq iter.Seq2[Record, error], watch string) iter.Seq2[Replayed, error] {
	return func(yield func(Replayed, error) bool) {
		for rec, err := range seq {
			if err != nil {
				// Passed through as Load gave it: the caller decides
				// whether to read on (an audit past a *DivergenceError).
				if !yield(Replayed{Version: rec.Version}, err) {
					return
				}
				continue
			}
			if !yield(Replayed{Version: rec.Version, Type: rec.Type, SchemaVersion: rec.SchemaVersion, Codec: rec.Codec,
				Payload: rec.Payload, Size: rec.Size(), Watched: watch != "" && rec.EventID == watch}, nil) {
				return
			}
		}
	}
}
