//go:build !race

package protobuf

const raceEnabled = false
