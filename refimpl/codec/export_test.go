package codec

// AppendFlatJSON exposes the flat-struct path to the external tests, so
// they can check it is taken, not only that Marshal's bytes are right.
var AppendFlatJSON = appendFlatJSON
