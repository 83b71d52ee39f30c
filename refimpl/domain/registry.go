package domain

import (
	"fmt"

	"github.com/esbench/esbench/refimpl/codec"
)

// Register adds every domain event (all schema versions, with upcasters)
// and both snapshot types to reg. Snapshots are registered under the
// aggregate type names TypeAccount and TypeLicense.
func Register(reg *codec.Registry) {
	current := []func() any{
		func() any { return new(AccountOpened) },
		func() any { return new(DeviceRegistered) },
		func() any { return new(DeviceRemoved) },
		func() any { return new(DownloadGranted) },
		func() any { return new(DownloadRenewed) },
		func() any { return new(DownloadReleased) },
		func() any { return new(LicenseIssued) },
		func() any { return new(LicenseRenewed) },
		func() any { return new(PlaybackStarted) },
		func() any { return new(LicenseReleased) },
		func() any { return new(LicenseActionDenied) },
	}
	for _, f := range current {
		reg.Register(f().(Event).EventType(), 1, f, nil)
	}
	// The current version goes first: the registry maps the Go type of the
	// highest version seen so far to the type name, and the v1 struct must
	// never be taken for an encodable current type.
	denied := DownloadDenied{}.EventType()
	reg.Register(denied, 2, func() any { return new(DownloadDenied) }, nil)
	reg.Register(denied, 1, func() any { return new(downloadDeniedV1) }, upcastDownloadDeniedV1)

	// Version 2 changed only the binary codec's layout (its title counts
	// became a TitleBlock); every version decodes into *AccountSnapshot and
	// the binary codec reads each in its own layout
	// (codec.VersionedUnmarshaler).
	reg.Register(TypeAccount, AccountSnapshotVersion, func() any { return new(AccountSnapshot) }, nil)
	reg.Register(TypeAccount, 1, func() any { return new(AccountSnapshot) }, func(old any) (any, error) { return old, nil })
	reg.Register(TypeLicense, 1, func() any { return new(LicenseSnapshot) }, nil)
}

// AccountSnapshotVersion is the current schema version of the account
// snapshot.
const AccountSnapshotVersion = 2

// NewRegistry returns a registry with the JSON and gob codecs, the given
// extra codecs and every domain type.
func NewRegistry(codecs ...codec.Codec) *codec.Registry {
	reg := codec.NewRegistry(append([]codec.Codec{codec.JSON{}, codec.Gob{}}, codecs...)...)
	Register(reg)
	return reg
}

// NewAggregate returns the empty aggregate of aggregateType (TypeAccount or
// TypeLicense) with id, ready for replay or a snapshot restore.
func NewAggregate(aggregateType, id string) (Snapshotter, error) {
	switch aggregateType {
	case TypeAccount:
		return NewAccount(id), nil
	case TypeLicense:
		return NewLicense(id), nil
	}
	return nil, fmt.Errorf("%w: aggregate type %q (want %s or %s)", ErrWrongAggregate, aggregateType, TypeAccount, TypeLicense)
}
