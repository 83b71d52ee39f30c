// Package esbcmp measures, in go_serialization_benchmarks' own style
// (goserbench.Serializer, unmarshal into a reused target, random payload
// order), each library's idiomatic decode of a struct shaped like esbench's
// domain.DownloadGranted, side by side with esbench's codecs on the same
// values. It is copied into a scratch checkout of
// go_serialization_benchmarks by scripts/gsb-compare.sh and built there,
// never as part of esbench (docs/codecs.md).
package esbcmp

// GrantedMsgp is the msgp-generated mirror (times as int64 ns, the keys
// esbench writes).
type GrantedMsgp struct {
	RequestID  string `msg:"request_id"`
	LicenseID  string `msg:"license_id"`
	DeviceID   string `msg:"device_id"`
	TitleID    string `msg:"title_id"`
	StudioID   string `msg:"studio_id"`
	Restricted bool   `msg:"restricted"`
	Year       int64  `msg:"year"`
	ExpiresAt  int64  `msg:"expires_at"`
	At         int64  `msg:"at"`
}

// GrantedTagged is the struct hamba/avro and fxamacker/cbor fill (their
// idiomatic use: a tagged struct).
type GrantedTagged struct {
	RequestID  string `cbor:"1,keyasint" avro:"request_id"`
	LicenseID  string `cbor:"2,keyasint" avro:"license_id"`
	DeviceID   string `cbor:"3,keyasint" avro:"device_id"`
	TitleID    string `cbor:"4,keyasint" avro:"title_id"`
	StudioID   string `cbor:"5,keyasint" avro:"studio_id"`
	Restricted bool   `cbor:"6,keyasint" avro:"restricted"`
	Year       int64  `cbor:"7,keyasint" avro:"year"`
	ExpiresAt  int64  `cbor:"8,keyasint" avro:"expires_at"`
	At         int64  `cbor:"9,keyasint" avro:"at"`
}
