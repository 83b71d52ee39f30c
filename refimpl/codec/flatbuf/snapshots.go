package flatbuf

import (
	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/esbench/esbench/refimpl/codec/internal/wire"
)

// Snapshot tables are added when the domain snapshot types land.

func buildSnapshot(b *flatbuffers.Builder, v any) (flatbuffers.UOffsetT, error) {
	return 0, &wire.UnsupportedError{Value: v}
}

func readSnapshot(data []byte, root flatbuffers.UOffsetT, v any) error {
	return &wire.UnsupportedError{Value: v}
}
