// Package codec turns domain events and snapshots into bytes and back. An
// event is stored in an envelope (type, schema version, codec id, payload);
// the envelope names the codec so a stream written by several codecs still
// replays, and old schema versions are read through a chain of upcasters.
package codec

import (
	"errors"
	"fmt"
)

// Codec serialises one Go value. Implementations must be safe for concurrent
// use and must return an error, never panic, on corrupt input.
type Codec interface {
	// ID is the short name recorded in every envelope ("json", "gob", ...).
	ID() string
	Marshal(v any) ([]byte, error)
	// Unmarshal decodes data into v, a pointer to the registered type.
	Unmarshal(data []byte, v any) error
}

// AliasUnmarshaler is implemented by codecs that can decode without
// copying out of the payload: the strings of the decoded value may share
// data's memory. The caller hands data over: it must never modify data
// afterwards, and the decoded value keeps all of data reachable.
// Registry.DecodeOwned uses it; Unmarshal must stay safe for a caller that
// reuses its buffer.
type AliasUnmarshaler interface {
	UnmarshalAlias(data []byte, v any) error
}

// VersionedUnmarshaler is implemented by a codec whose layout of a type
// differs between schema versions that decode into the same Go type (the
// binary codec's account snapshot, whose title counts became a block in
// version 2 while every other codec kept its layout: docs/design.md §3).
// The registry calls it, with the envelope's schema version, instead of
// Unmarshal and UnmarshalAlias; alias says whether the caller gave data
// away (AliasUnmarshaler's contract). Unmarshal and UnmarshalAlias of such
// a codec read the current version's layout.
type VersionedUnmarshaler interface {
	UnmarshalVersion(data []byte, version uint16, alias bool, v any) error
}

// Envelope is the codec-independent frame around an encoded event or
// snapshot.
type Envelope struct {
	Type          string
	SchemaVersion uint16
	Codec         string
	Payload       []byte
}

// Sentinel errors for callers that must tell cases apart.
var (
	// ErrUnknownType: the envelope names a type not in the registry.
	ErrUnknownType = errors.New("codec: unknown type")
	// ErrUnknownVersion: the envelope's schema version is newer than, or
	// missing from, the registry.
	ErrUnknownVersion = errors.New("codec: unknown schema version")
	// ErrUnknownCodec: the envelope names a codec this process does not have.
	ErrUnknownCodec = errors.New("codec: unknown codec")
	// ErrCorrupt: the payload could not be decoded.
	ErrCorrupt = errors.New("codec: corrupt payload")
)

// DecodeError says which stream position failed to decode and why. Stream
// and Version are filled in by the caller that knows them (the repository).
type DecodeError struct {
	Stream        string
	Version       uint64
	Type          string
	SchemaVersion uint16
	Codec         string
	Err           error
}

func (e *DecodeError) Error() string {
	where := "payload"
	if e.Stream != "" {
		where = fmt.Sprintf("stream %s version %d", e.Stream, e.Version)
	}
	return fmt.Sprintf("codec: decode %s (type %s v%d, codec %s): %v", where, e.Type, e.SchemaVersion, e.Codec, e.Err)
}

// Unwrap exposes the cause (ErrCorrupt, ErrUnknownType, ...).
func (e *DecodeError) Unwrap() error { return e.Err }
