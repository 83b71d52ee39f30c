package evolution

//go:generate go tool msgp -file types.go -o types_msgp.go -tests=false

// The test schemas. V1 is the old version every case starts from; each
// other type is V1 after one change. Tags give each codec's key: msg for
// MessagePack and avro for Avro are the field names (so a rename changes
// them), cbor is the integer key (kept across a rename). JSON and gob use the
// Go field names.

// V1 is the old version.
type V1 struct {
	ID    string `msg:"id" cbor:"1,keyasint" avro:"id"`
	Count int32  `msg:"count" cbor:"2,keyasint" avro:"count"`
	Note  string `msg:"note" cbor:"3,keyasint" avro:"note"`
}

// Added is V1 with a field inserted in the middle, where a developer would
// write it.
type Added struct {
	ID    string `msg:"id" cbor:"1,keyasint" avro:"id"`
	Extra string `msg:"extra" cbor:"4,keyasint" avro:"extra"`
	Count int32  `msg:"count" cbor:"2,keyasint" avro:"count"`
	Note  string `msg:"note" cbor:"3,keyasint" avro:"note"`
}

// Removed is V1 without Count.
type Removed struct {
	ID   string `msg:"id" cbor:"1,keyasint" avro:"id"`
	Note string `msg:"note" cbor:"3,keyasint" avro:"note"`
}

// Renamed is V1 with Count renamed Total.
type Renamed struct {
	ID    string `msg:"id" cbor:"1,keyasint" avro:"id"`
	Total int32  `msg:"total" cbor:"2,keyasint" avro:"total"`
	Note  string `msg:"note" cbor:"3,keyasint" avro:"note"`
}

// Widened is V1 with Count widened from int32 to int64.
type Widened struct {
	ID    string `msg:"id" cbor:"1,keyasint" avro:"id"`
	Count int64  `msg:"count" cbor:"2,keyasint" avro:"count"`
	Note  string `msg:"note" cbor:"3,keyasint" avro:"note"`
}
