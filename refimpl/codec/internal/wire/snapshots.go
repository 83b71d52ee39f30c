package wire

// Snapshot mirrors are added when the domain snapshot types land.

func fromSnapshot(v any) (any, error) { return nil, &UnsupportedError{Value: v} }

func newSnapshot(v any) (any, error) { return nil, &UnsupportedError{Value: v} }

func toSnapshot(w, v any) error { return &UnsupportedError{Value: v} }
