package binary

import "github.com/esbench/esbench/refimpl/codec/internal/wire"

// Snapshot layouts are added when the domain snapshot types land.

func encodeSnapshot(w *writer, v any) error { return &wire.UnsupportedError{Value: v} }

func decodeSnapshot(r *reader, v any) error { return &wire.UnsupportedError{Value: v} }
