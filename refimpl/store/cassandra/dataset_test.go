package cassandra

import (
	"bytes"
	"context"
	"testing"

	"github.com/esbench/esbench/refimpl/store"
)

// TestDatasetManifest checks the keyspace's dataset row on the node: none
// at first, the bytes written read back whole, a second write replaces the
// first, and HoldsStreams sees a stream in either mode's table.
func TestDatasetManifest(t *testing.T) {
	ctx := context.Background()
	for _, mode := range []Mode{ModeConditional, ModeUnconditional} {
		t.Run(string(mode), func(t *testing.T) {
			cfg := newKeyspace(t, nodeConfig(t))
			cfg.Mode = mode
			s := openStore(t, cfg)
			if _, ok, err := s.ReadDataset(ctx); ok || err != nil {
				t.Fatalf("ReadDataset of a new keyspace: ok %v, %v; want none", ok, err)
			}
			if holds, err := s.HoldsStreams(ctx); holds || err != nil {
				t.Fatalf("HoldsStreams of a new keyspace: %v, %v", holds, err)
			}
			for _, m := range [][]byte{[]byte(`{"format": 2, "a": "first"}`), []byte(`{"format": 2, "a": "second, longer"}`)} {
				if err := s.WriteDataset(ctx, m); err != nil {
					t.Fatal(err)
				}
				got, ok, err := s.ReadDataset(ctx)
				if err != nil || !ok || !bytes.Equal(got, m) {
					t.Fatalf("ReadDataset: %q, %v, %v; want %q", got, ok, err, m)
				}
			}
			// The manifest row is no stream.
			if holds, err := s.HoldsStreams(ctx); holds || err != nil {
				t.Fatalf("HoldsStreams with only a manifest: %v, %v", holds, err)
			}
			st := store.StreamID{Customer: "c1", AggregateType: "account", AggregateID: "c1"}
			if err := s.Append(ctx, store.AppendRequest{Stream: st, Events: benchRecords(0, 1)}); err != nil {
				t.Fatal(err)
			}
			// Any mode's table counts: a keyspace opened in the other mode
			// sees the stream too.
			other := cfg
			other.Mode = map[Mode]Mode{ModeConditional: ModeUnconditional, ModeUnconditional: ModeConditional}[mode]
			for _, c := range []Config{cfg, other} {
				if holds, err := openStore(t, c).HoldsStreams(ctx); !holds || err != nil {
					t.Fatalf("HoldsStreams (%s mode) after an append in %s mode: %v, %v", c.Mode, mode, holds, err)
				}
			}
		})
	}
}
