package protobuf

import "github.com/esbench/esbench/refimpl/codec/internal/wire"

// Snapshot messages are added when the domain snapshot types land.

func snapshotToPB(v any) (message, error) { return nil, &wire.UnsupportedError{Value: v} }

func newSnapshotPB(v any) (message, error) { return nil, &wire.UnsupportedError{Value: v} }

func snapshotFromPB(m message, v any) error { return &wire.UnsupportedError{Value: v} }
