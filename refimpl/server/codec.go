package server

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// strictJSON is connect's JSON codec without its leniency about unknown
// fields: a misspelled field in a hand-written request ("costumerId") is an
// invalid_argument error naming it, never a silently empty field.
type strictJSON struct{}

func (strictJSON) Name() string { return "json" }

func (strictJSON) Marshal(m any) ([]byte, error) {
	pm, ok := m.(proto.Message)
	if !ok {
		return nil, fmt.Errorf("server: %T is not a protobuf message", m)
	}
	return protojson.Marshal(pm)
}

func (strictJSON) Unmarshal(b []byte, m any) error {
	pm, ok := m.(proto.Message)
	if !ok {
		return fmt.Errorf("server: %T is not a protobuf message", m)
	}
	if len(b) == 0 {
		return errors.New("empty body: the request must be a JSON object")
	}
	if err := protojson.Unmarshal(b, pm); err != nil {
		return fmt.Errorf("request body: %w", err)
	}
	return nil
}
