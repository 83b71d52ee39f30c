// Package pb holds the protobuf wire types of the domain events and
// snapshots, generated from events.proto by protoc-gen-go (the protobuf
// codec) and protoc-gen-go-vtproto (the vtproto codec's MarshalVT and
// UnmarshalVT methods on the same types). See docs/codecs.md to regenerate.
package pb

//go:generate protoc --proto_path=. --go_out=. --go_opt=paths=source_relative --go-vtproto_out=. --go-vtproto_opt=paths=source_relative,features=marshal+unmarshal+size events.proto snapshots.proto
