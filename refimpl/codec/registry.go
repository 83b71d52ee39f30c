package codec

import (
	"fmt"
	"reflect"
	"sort"
)

// Upcaster converts a decoded value of schema version N into version N+1.
type Upcaster func(old any) (any, error)

type version struct {
	newValue func() any // returns a pointer to a zero value of this version's type
	upcast   Upcaster   // to the next version; nil for the current version
}

type entry struct {
	versions map[uint16]version
	current  uint16
	// goType is the current version's Go type: the only one Encode accepts.
	goType reflect.Type
}

// Registry knows every event and snapshot type, each of its schema versions,
// the upcaster from each version to the next, and the codecs by id. It is
// built once at start-up and read-only afterwards, so it is safe for
// concurrent use.
type Registry struct {
	types  map[string]*entry
	codecs map[string]Codec
	// kinds maps a current-version Go type to its registered type name.
	kinds map[reflect.Type]string
}

// NewRegistry returns an empty registry that knows the given codecs.
func NewRegistry(codecs ...Codec) *Registry {
	r := &Registry{types: map[string]*entry{}, codecs: map[string]Codec{}, kinds: map[reflect.Type]string{}}
	for _, c := range codecs {
		r.codecs[c.ID()] = c
	}
	return r
}

// AddCodec makes c available for encoding and decoding.
func (r *Registry) AddCodec(c Codec) { r.codecs[c.ID()] = c }

// Codec returns the codec with the given id.
func (r *Registry) Codec(id string) (Codec, error) {
	c, ok := r.codecs[id]
	if !ok {
		return nil, fmt.Errorf("%w %q (have %v)", ErrUnknownCodec, id, r.CodecIDs())
	}
	return c, nil
}

// CodecIDs lists the known codec ids, sorted.
func (r *Registry) CodecIDs() []string {
	ids := make([]string, 0, len(r.codecs))
	for id := range r.codecs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Register adds schema version v of typ. newValue returns a pointer to a
// fresh value of that version's Go type; upcast converts such a value (as
// returned by newValue, after decoding) to version v+1 and is nil for the
// current version. The highest registered version is the current one, the
// one Encode writes.
func (r *Registry) Register(typ string, v uint16, newValue func() any, upcast Upcaster) {
	e, ok := r.types[typ]
	if !ok {
		e = &entry{versions: map[uint16]version{}}
		r.types[typ] = e
	}
	e.versions[v] = version{newValue: newValue, upcast: upcast}
	if v > e.current {
		// Only the current version may be encoded: an older Go type left in
		// kinds would be written under the current version number and decoded
		// into the wrong shape.
		if e.goType != nil {
			delete(r.kinds, e.goType)
		}
		e.current = v
		e.goType = reflect.TypeOf(newValue())
		r.kinds[e.goType] = typ
	}
}

// TypeOf returns the registered type name of value (a pointer to a current
// version type).
func (r *Registry) TypeOf(value any) (string, error) {
	name, ok := r.kinds[reflect.TypeOf(value)]
	if !ok {
		return "", fmt.Errorf("%w: Go type %T is not registered", ErrUnknownType, value)
	}
	return name, nil
}

// CurrentVersion returns the schema version Encode writes for typ.
func (r *Registry) CurrentVersion(typ string) (uint16, error) {
	e, ok := r.types[typ]
	if !ok {
		return 0, fmt.Errorf("%w %q", ErrUnknownType, typ)
	}
	return e.current, nil
}

// Encode writes value (a pointer to a registered current-version type) with
// the codec named codecID.
func (r *Registry) Encode(codecID string, value any) (Envelope, error) {
	typ, err := r.TypeOf(value)
	if err != nil {
		return Envelope{}, err
	}
	c, err := r.Codec(codecID)
	if err != nil {
		return Envelope{}, err
	}
	payload, err := c.Marshal(value)
	if err != nil {
		return Envelope{}, fmt.Errorf("codec %s: encode %s: %w", codecID, typ, err)
	}
	return Envelope{Type: typ, SchemaVersion: r.types[typ].current, Codec: codecID, Payload: payload}, nil
}

// Decode reads env with the codec it names and upcasts the value to the
// current schema version. Errors are *DecodeError; Stream and Version are left
// for the caller to fill. The value shares no memory with env.Payload.
func (r *Registry) Decode(env Envelope) (any, error) { return r.decode(env, false) }

// DecodeOwned is Decode for a caller that gives env.Payload away: it never
// modifies the payload afterwards (a store record's payload is the
// caller's own), so a codec that implements AliasUnmarshaler decodes
// without copying and the value's strings may point into the payload.
func (r *Registry) DecodeOwned(env Envelope) (any, error) { return r.decode(env, true) }

func (r *Registry) decode(env Envelope, owned bool) (any, error) {
	fail := func(err error) (any, error) {
		return nil, &DecodeError{Type: env.Type, SchemaVersion: env.SchemaVersion, Codec: env.Codec, Err: err}
	}
	e, ok := r.types[env.Type]
	if !ok {
		return fail(ErrUnknownType)
	}
	ver, ok := e.versions[env.SchemaVersion]
	if !ok {
		return fail(fmt.Errorf("%w %d (current is %d)", ErrUnknownVersion, env.SchemaVersion, e.current))
	}
	c, ok := r.codecs[env.Codec]
	if !ok {
		return fail(fmt.Errorf("%w %q", ErrUnknownCodec, env.Codec))
	}
	v := ver.newValue()
	var err error
	if vu, ok := c.(VersionedUnmarshaler); ok {
		err = vu.UnmarshalVersion(env.Payload, env.SchemaVersion, owned, v)
	} else if a, ok := c.(AliasUnmarshaler); ok && owned {
		err = a.UnmarshalAlias(env.Payload, v)
	} else {
		err = c.Unmarshal(env.Payload, v)
	}
	if err != nil {
		return fail(fmt.Errorf("%w: %w", ErrCorrupt, err))
	}
	for s := env.SchemaVersion; s < e.current; s++ {
		step, ok := e.versions[s]
		if !ok || step.upcast == nil {
			return fail(fmt.Errorf("%w: no upcaster from version %d", ErrUnknownVersion, s))
		}
		next, err := step.upcast(v)
		if err != nil {
			return fail(fmt.Errorf("upcast from version %d: %w", s, err))
		}
		v = next
	}
	return v, nil
}
