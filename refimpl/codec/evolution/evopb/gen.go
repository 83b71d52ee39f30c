// Package evopb holds the generated protobuf types of the evolution matrix's
// test schemas. See docs/codecs.md to regenerate.
package evopb

//go:generate go tool buf generate
