package codec

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
	"fmt"
)

// JSON is the encoding/json codec: self-describing, field names on the wire,
// tolerant of added and removed fields.
type JSON struct{}

// ID returns "json".
func (JSON) ID() string { return "json" }

// Marshal encodes v as JSON.
func (JSON) Marshal(v any) ([]byte, error) { return json.Marshal(v) }

// Unmarshal decodes JSON into v. json.Unmarshal already rejects trailing
// data after the value, and avoids a Decoder allocation per event.
func (JSON) Unmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }

// Gob is the encoding/gob codec. Each payload is a self-contained gob stream
// (type description included), because events are decoded one at a time.
type Gob struct{}

// ID returns "gob".
func (Gob) ID() string { return "gob" }

// Marshal encodes v as a standalone gob stream.
func (Gob) Marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Unmarshal decodes a standalone gob stream into v. gob can panic on some
// hostile inputs in older Go versions; recover turns that into an error.
func (Gob) Unmarshal(data []byte, v any) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("gob: %v", p)
		}
	}()
	return gob.NewDecoder(bytes.NewReader(data)).Decode(v)
}
