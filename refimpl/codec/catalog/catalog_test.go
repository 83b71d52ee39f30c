package catalog

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/esbench/esbench/refimpl/codec"
	"github.com/esbench/esbench/refimpl/codec/internal/codectest"
	"github.com/esbench/esbench/refimpl/domain"
)

func TestAllMatchesIDs(t *testing.T) {
	base, err := Base()
	if err != nil {
		t.Fatal(err)
	}
	all, err := All()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range base {
		got = append(got, c.ID())
	}
	if !slices.Equal(got, IDs()) {
		t.Fatalf("Base() ids %v, IDs() %v", got, IDs())
	}
	if len(got) < 9 {
		t.Fatalf("only %d codecs", len(got))
	}
	got = got[:0]
	for _, c := range all {
		got = append(got, c.ID())
		if !Known(c.ID()) {
			t.Errorf("Known(%q) = false", c.ID())
		}
	}
	if want := append(IDs(), CompressedIDs()...); !slices.Equal(got, want) {
		t.Fatalf("All() ids %v, want %v", got, want)
	}
	for _, id := range []string{"", "thrift", "msgp+brotli", "zstd", "msgp+zstd+zstd"} {
		if Known(id) {
			t.Errorf("Known(%q) = true", id)
		}
	}
}

func TestSelect(t *testing.T) {
	cs, err := Select([]string{"cbor", " msgp", "cbor"})
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 || cs[0].ID() != "cbor" || cs[1].ID() != "msgp" {
		t.Fatalf("Select = %v", cs)
	}
	if _, err := Select([]string{"thrift"}); !errors.Is(err, codec.ErrUnknownCodec) {
		t.Fatalf("Select(thrift) err = %v, want ErrUnknownCodec", err)
	}
	if cs, err := Select(nil); err != nil || len(cs) != len(IDs()) {
		t.Fatalf("Select(nil) = %d codecs, %v", len(cs), err)
	}
	if cs, err := Select([]string{"cbor+zstd"}); err != nil || len(cs) != 1 || cs[0].ID() != "cbor+zstd" {
		t.Fatalf("Select(cbor+zstd) = %v, %v", cs, err)
	}
}

// A stream whose events were written by different codecs replays: each
// envelope names its codec and the registry picks it.
func TestMixedCodecStreamReplays(t *testing.T) {
	all, err := All()
	if err != nil {
		t.Fatal(err)
	}
	reg := domain.NewRegistry(all...)
	samples := codectest.Samples()
	var envs []codec.Envelope
	for i, s := range samples {
		c := all[i%len(all)]
		env, err := reg.Encode(c.ID(), s.Value)
		if err != nil {
			t.Fatalf("%s with %s: %v", s.Name, c.ID(), err)
		}
		envs = append(envs, env)
	}
	for i, env := range envs {
		got, err := reg.Decode(env)
		if err != nil {
			t.Fatalf("event %d (%s, codec %s): %v", i, env.Type, env.Codec, err)
		}
		want := samples[i].Value
		if !equal(got, want) {
			t.Errorf("event %d (%s, codec %s) = %+v, want %+v", i, env.Type, env.Codec, got, want)
		}
	}
}

// A deterministic mini-fuzz run inside the normal test suite: thousands of
// flipped, truncated and extended payloads per codec must decode or fail
// with a *codec.DecodeError naming the codec, never panic.
func TestMutatedPayloadsNeverPanic(t *testing.T) {
	all, err := All()
	if err != nil {
		t.Fatal(err)
	}
	reg := domain.NewRegistry(all...)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range all {
		fails := 0
		for _, s := range codectest.Samples() {
			env, err := reg.Encode(c.ID(), s.Value)
			if err != nil {
				t.Fatal(err)
			}
			for range 150 {
				p := mutate(rng, env.Payload)
				m := env
				m.Payload = p
				_, err := reg.Decode(m)
				if err == nil {
					continue
				}
				fails++
				var de *codec.DecodeError
				if !errors.As(err, &de) || de.Codec != c.ID() || de.Type != env.Type {
					t.Fatalf("%s: error %v is not a DecodeError naming codec and type", c.ID(), err)
				}
			}
		}
		if fails == 0 {
			t.Errorf("%s: no mutated payload failed to decode; the mutations are not reaching the decoder", c.ID())
		}
	}
}

func mutate(rng *rand.Rand, p []byte) []byte {
	out := append([]byte(nil), p...)
	switch rng.IntN(4) {
	case 0:
		if len(out) > 0 {
			out[rng.IntN(len(out))] ^= byte(1 << rng.IntN(8))
		}
	case 1:
		if len(out) > 0 {
			out = out[:rng.IntN(len(out))]
		}
	case 2:
		out = append(out, byte(rng.IntN(256)))
	default:
		for range 4 {
			if len(out) > 0 {
				out[rng.IntN(len(out))] = byte(rng.IntN(256))
			}
		}
	}
	return out
}
