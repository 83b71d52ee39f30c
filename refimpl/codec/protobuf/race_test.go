//go:build race

package protobuf

const raceEnabled = true
