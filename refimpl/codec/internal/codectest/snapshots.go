package codectest

// snapshotSamples returns the snapshot samples once the domain snapshot
// types exist.
func snapshotSamples() []Sample { return nil }
