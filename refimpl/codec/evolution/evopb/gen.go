// Package evopb holds the generated protobuf types of the evolution matrix's
// test schemas. See docs/codecs.md to regenerate.
package evopb

//go:generate protoc --proto_path=. --go_out=. --go_opt=paths=source_relative --go-vtproto_out=. --go-vtproto_opt=paths=source_relative,features=marshal+unmarshal+size evolution.proto
