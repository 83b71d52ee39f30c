package codec_test

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/esbench/esbench/refimpl/codec"
)

// Three schema versions of one test event: v1 has a full name, v2 splits it,
// v3 adds a count with a default.
type v1 struct{ Name string }
type v2 struct{ First, Last string }
type v3 struct {
	First, Last string
	Count       int
}

func newRegistry() *codec.Registry {
	r := codec.NewRegistry(codec.JSON{}, codec.Gob{})
	r.Register("Thing", 1, func() any { return new(v1) }, func(old any) (any, error) {
		o := old.(*v1)
		var first, last string
		if _, err := fmt.Sscan(o.Name, &first, &last); err != nil {
			return nil, fmt.Errorf("split %q: %w", o.Name, err)
		}
		return &v2{First: first, Last: last}, nil
	})
	r.Register("Thing", 2, func() any { return new(v2) }, func(old any) (any, error) {
		o := old.(*v2)
		return &v3{First: o.First, Last: o.Last, Count: 1}, nil
	})
	r.Register("Thing", 3, func() any { return new(v3) }, nil)
	return r
}

func TestRegistryRoundTripAndUpcast(t *testing.T) {
	r := newRegistry()
	for _, c := range []string{"json", "gob"} {
		env, err := r.Encode(c, &v3{First: "Ada", Last: "Lovelace", Count: 7})
		if err != nil {
			t.Fatalf("%s: encode: %v", c, err)
		}
		if env.Type != "Thing" || env.SchemaVersion != 3 || env.Codec != c {
			t.Fatalf("%s: envelope %+v", c, env)
		}
		got, err := r.Decode(env)
		if err != nil {
			t.Fatalf("%s: decode: %v", c, err)
		}
		if *got.(*v3) != (v3{First: "Ada", Last: "Lovelace", Count: 7}) {
			t.Fatalf("%s: round trip gave %+v", c, got)
		}
		// A v1 payload written by this codec climbs the whole chain.
		old, _ := r.Codec(c)
		payload, err := old.Marshal(&v1{Name: "Grace Hopper"})
		if err != nil {
			t.Fatal(err)
		}
		got, err = r.Decode(codec.Envelope{Type: "Thing", SchemaVersion: 1, Codec: c, Payload: payload})
		if err != nil {
			t.Fatalf("%s: decode v1: %v", c, err)
		}
		if *got.(*v3) != (v3{First: "Grace", Last: "Hopper", Count: 1}) {
			t.Fatalf("%s: upcast v1 gave %+v", c, got)
		}
	}
}

func TestRegistryDecodeErrors(t *testing.T) {
	r := newRegistry()
	good, err := r.Encode("json", &v3{First: "a", Last: "b"})
	if err != nil {
		t.Fatal(err)
	}
	oneWord, _ := codec.JSON{}.Marshal(&v1{Name: "Plato"})
	tests := []struct {
		name string
		env  codec.Envelope
		want error
	}{
		{"unknown type", codec.Envelope{Type: "Nope", SchemaVersion: 1, Codec: "json", Payload: good.Payload}, codec.ErrUnknownType},
		{"future version", codec.Envelope{Type: "Thing", SchemaVersion: 9, Codec: "json", Payload: good.Payload}, codec.ErrUnknownVersion},
		{"unknown codec", codec.Envelope{Type: "Thing", SchemaVersion: 3, Codec: "kryo", Payload: good.Payload}, codec.ErrUnknownCodec},
		{"truncated json", codec.Envelope{Type: "Thing", SchemaVersion: 3, Codec: "json", Payload: good.Payload[:5]}, codec.ErrCorrupt},
		{"trailing json", codec.Envelope{Type: "Thing", SchemaVersion: 3, Codec: "json", Payload: append(append([]byte{}, good.Payload...), '{')}, codec.ErrCorrupt},
		{"garbage gob", codec.Envelope{Type: "Thing", SchemaVersion: 3, Codec: "gob", Payload: []byte{0xff, 0x00, 0x13, 0x37}}, codec.ErrCorrupt},
		{"upcaster refuses", codec.Envelope{Type: "Thing", SchemaVersion: 1, Codec: "json", Payload: oneWord}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := r.Decode(tt.env)
			if err == nil {
				t.Fatalf("decoded %+v, want an error", v)
			}
			var de *codec.DecodeError
			if !errors.As(err, &de) || de.Type != tt.env.Type || de.Codec != tt.env.Codec {
				t.Fatalf("error %v is not a DecodeError naming type and codec", err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
		})
	}
}

func TestRegistryEncodeUnregistered(t *testing.T) {
	r := newRegistry()
	if _, err := r.Encode("json", &v1{Name: "old"}); !errors.Is(err, codec.ErrUnknownType) {
		t.Fatalf("encoding a non-current type: %v, want ErrUnknownType", err)
	}
	if _, err := r.Encode("kryo", &v3{}); !errors.Is(err, codec.ErrUnknownCodec) {
		t.Fatalf("encoding with an unknown codec: %v, want ErrUnknownCodec", err)
	}
}

// spy is a JSON codec that records which decode method it was asked for.
type spy struct {
	codec.JSON
	alias, copies int
}

func (s *spy) ID() string { return "spy" }

func (s *spy) Unmarshal(data []byte, v any) error {
	s.copies++
	return s.JSON.Unmarshal(data, v)
}

func (s *spy) UnmarshalAlias(data []byte, v any) error {
	s.alias++
	return s.JSON.Unmarshal(data, v)
}

func TestDecodeOwnedUsesAliasOnlyWhenOwned(t *testing.T) {
	s := &spy{}
	r := newRegistry()
	r.AddCodec(s)
	env, err := r.Encode("spy", &v3{First: "a", Last: "b", Count: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Decode(env); err != nil {
		t.Fatal(err)
	}
	if s.copies != 1 || s.alias != 0 {
		t.Fatalf("Decode: %d Unmarshal, %d UnmarshalAlias calls; want 1, 0", s.copies, s.alias)
	}
	v, err := r.DecodeOwned(env)
	if err != nil {
		t.Fatal(err)
	}
	if s.copies != 1 || s.alias != 1 {
		t.Fatalf("DecodeOwned: %d Unmarshal, %d UnmarshalAlias calls; want 1, 1", s.copies, s.alias)
	}
	if got := *v.(*v3); got != (v3{First: "a", Last: "b", Count: 2}) {
		t.Fatalf("DecodeOwned = %+v", got)
	}
	// A codec without UnmarshalAlias decodes an owned payload as usual.
	env, err = r.Encode("json", &v3{First: "c", Last: "d"})
	if err != nil {
		t.Fatal(err)
	}
	if v, err = r.DecodeOwned(env); err != nil || v.(*v3).First != "c" {
		t.Fatalf("DecodeOwned(json) = %+v, %v", v, err)
	}
}

// versionSpy is a JSON codec that reads by schema version
// (codec.VersionedUnmarshaler) and records what it was asked for.
type versionSpy struct {
	codec.JSON
	calls []string
}

func (s *versionSpy) ID() string { return "vspy" }

func (s *versionSpy) UnmarshalVersion(data []byte, version uint16, alias bool, v any) error {
	s.calls = append(s.calls, fmt.Sprintf("v%d alias=%v", version, alias))
	return s.JSON.Unmarshal(data, v)
}

// TestDecodeTellsVersionedCodecs: a codec that reads by schema version gets
// the envelope's version and whether the payload is given away, for
// Decode and DecodeOwned alike, and neither Unmarshal nor UnmarshalAlias.
func TestDecodeTellsVersionedCodecs(t *testing.T) {
	s := &versionSpy{}
	r := newRegistry()
	r.AddCodec(s)
	env, err := r.Encode("vspy", &v3{First: "a", Last: "b", Count: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Decode(env); err != nil {
		t.Fatal(err)
	}
	if _, err := r.DecodeOwned(env); err != nil {
		t.Fatal(err)
	}
	if want := []string{"v3 alias=false", "v3 alias=true"}; !reflect.DeepEqual(s.calls, want) {
		t.Fatalf("UnmarshalVersion calls %v, want %v", s.calls, want)
	}
}
