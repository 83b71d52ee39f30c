// Package pb holds the protobuf wire types of the domain events and
// snapshots, generated from events.proto and snapshots.proto by buf with
// protoc-gen-go (the protobuf codec) and protoc-gen-go-vtproto (the vtproto
// codec's MarshalVT and UnmarshalVT methods on the same types), all go.mod
// tools (buf.gen.yaml). See docs/codecs.md to regenerate.
package pb

//go:generate go tool buf generate
