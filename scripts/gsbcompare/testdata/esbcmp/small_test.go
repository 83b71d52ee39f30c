package esbcmp

import (
	"testing"

	"github.com/alecthomas/go_serialization_benchmarks/goserbench"
	"github.com/alecthomas/go_serialization_benchmarks/internal/serializers/flatbuffers"
	msgpacktinylib "github.com/alecthomas/go_serialization_benchmarks/internal/serializers/msgpack_tinylib"
	"github.com/alecthomas/go_serialization_benchmarks/internal/serializers/protobuf"
	"github.com/alecthomas/go_serialization_benchmarks/internal/serializers/stdlib"
)

// BenchmarkSmall is go_serialization_benchmarks' own unmarshal benchmark
// (its SmallStruct, validation on) for the libraries it shares with
// esbench, built with esbench's library versions.
func BenchmarkSmall(b *testing.B) {
	for _, c := range []struct {
		name string
		new  func() goserbench.Serializer
	}{
		{"msgp", msgpacktinylib.NewMsgpSerializer},
		{"protobuf-go", protobuf.NewProtobufSerializer},
		{"flatbuffers", flatbuffers.NewFlatBuffersSerializer},
		{"flatbuffers/unsafe_reuse", flatbuffers.NewFlatBuffersUnsafeReuseSerializer},
		{"json", stdlib.NewJSONSerializer},
		{"gob", stdlib.NewGobSerializer},
	} {
		b.Run("unmarshal/"+c.name, func(b *testing.B) { goserbench.BenchUnmarshalSmallStruct(b, c.new(), true) })
	}
}
