// Package codectest is the shared test kit of the codec packages: sample
// values of every domain event and snapshot (with edge cases), a round-trip
// check, golden-payload checks against testdata, and the body of each
// codec's fuzz target.
package codectest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/esbench/esbench/refimpl/codec"
	"github.com/esbench/esbench/refimpl/domain"
)

// Sample is one named value, a pointer to a domain event or snapshot.
type Sample struct {
	Name  string
	Value any
}

func at(day, sec, nsec int) time.Time {
	return time.Date(2026, time.March, day, 10, 0, sec, nsec, time.UTC)
}

// Samples returns typical and edge-case values of every event type (and
// every snapshot type once they exist). Times are UTC, as the codecs return
// them.
func Samples() []Sample {
	s := []Sample{
		{"AccountOpened", &domain.AccountOpened{CustomerID: "c-000042", Plan: "premium", At: at(1, 0, 0)}},
		{"AccountOpened_zero", &domain.AccountOpened{}},
		{"DeviceRegistered", &domain.DeviceRegistered{DeviceID: "c-000042/d-1", At: at(1, 5, 123456789)}},
		{"DeviceRemoved", &domain.DeviceRemoved{DeviceID: "c-000042/d-1", At: at(9, 0, 1)}},
		{"DownloadGranted", &domain.DownloadGranted{RequestID: "r-7f3a9c", LicenseID: "l-00af31", DeviceID: "c-000042/d-2",
			TitleID: "t-01873", StudioID: "s-12", Restricted: true, Year: 2026, ExpiresAt: at(8, 0, 0), At: at(1, 7, 500)}},
		{"DownloadGranted_unicode", &domain.DownloadGranted{RequestID: "r-ü€😀", LicenseID: "", DeviceID: "d",
			TitleID: "Amélie", StudioID: "スタジオ", Restricted: false, Year: -1, ExpiresAt: time.Time{}, At: at(2, 0, 0)}},
		{"DownloadRenewed", &domain.DownloadRenewed{LicenseID: "l-00af31", ExpiresAt: at(15, 0, 0), At: at(8, 0, 0)}},
		{"DownloadReleased", &domain.DownloadReleased{LicenseID: "l-00af31", DeviceID: "c-000042/d-2", At: at(20, 0, 0)}},
		{"DownloadDenied", &domain.DownloadDenied{RequestID: "r-77", DeviceID: "c-000042/d-3", TitleID: "t-00001",
			Reason: "device_limit", Detail: "2 of 2 devices hold downloads", PolicyVersion: 3, At: at(3, 0, 0)}},
		{"LicenseIssued", &domain.LicenseIssued{LicenseID: "l-00af31", CustomerID: "c-000042", DeviceID: "c-000042/d-2",
			TitleID: "t-01873", StudioID: "s-12", PolicyVersion: 3, IssuedAt: at(1, 7, 500), ExpiresAt: at(8, 7, 500)}},
		{"LicenseRenewed", &domain.LicenseRenewed{RequestID: "r-81", Renewal: 2, ExpiresAt: at(15, 0, 0), At: at(8, 0, 0)}},
		{"PlaybackStarted", &domain.PlaybackStarted{At: at(4, 0, 0), PlaybackEndsAt: at(6, 0, 0)}},
		{"LicenseReleased", &domain.LicenseReleased{Reason: "deleted", At: at(20, 0, 0)}},
		{"LicenseActionDenied", &domain.LicenseActionDenied{RequestID: "r-90", Action: "renew", Reason: "renewal_limit", At: at(22, 0, 0)}},
		{"LicenseActionDenied_longtime", &domain.LicenseActionDenied{Action: "playback", Reason: strings.Repeat("x", 300),
			At: time.Date(2262, time.January, 1, 0, 0, 0, 0, time.UTC)}},
	}
	return append(s, snapshotSamples()...)
}

// Fresh returns a new zero value of the type sample points to.
func Fresh(sample any) any { return reflect.New(reflect.TypeOf(sample).Elem()).Interface() }

// RoundTrip checks that every sample survives Marshal then Unmarshal with
// equal values, and that the value Unmarshal returns shares no memory with
// the payload: overwriting the payload afterwards must not change it. A
// codec that implements codec.AliasUnmarshaler must round-trip through
// UnmarshalAlias too.
func RoundTrip(t *testing.T, c codec.Codec) {
	t.Helper()
	for _, s := range Samples() {
		t.Run(s.Name, func(t *testing.T) {
			b, err := c.Marshal(s.Value)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			got := Fresh(s.Value)
			if err := c.Unmarshal(b, got); err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			for i := range b {
				b[i] = 0xA5
			}
			if got = Normalize(got); !reflect.DeepEqual(got, s.Value) {
				t.Fatalf("round trip changed the value (or the value shares the payload's memory):\n got %+v\nwant %+v", got, s.Value)
			}
			a, ok := c.(codec.AliasUnmarshaler)
			if !ok {
				return
			}
			if b, err = c.Marshal(s.Value); err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			got = Fresh(s.Value)
			if err := a.UnmarshalAlias(b, got); err != nil {
				t.Fatalf("UnmarshalAlias: %v", err)
			}
			if got = Normalize(got); !reflect.DeepEqual(got, s.Value) {
				t.Fatalf("round trip through UnmarshalAlias changed the value:\n got %+v\nwant %+v", got, s.Value)
			}
		})
	}
}

// Rejects checks the errors every codec owes: an unsupported Go type on
// Marshal and Unmarshal, and truncated payloads on Unmarshal. With truncAll
// every strict prefix of an encoded DownloadGranted must fail; codecs whose
// format makes a prefix at a field boundary a valid message (protobuf: absent
// fields are defaults) set it false and only a one-byte prefix is tried.
// schema is set for the schema-driven codecs: they must refuse a Go type
// they have no schema for, and their own errors must start with their id
// (the registry's DecodeError names the codec for the standard-library
// codecs, which accept any type).
func Rejects(t *testing.T, c codec.Codec, truncAll, schema bool) {
	t.Helper()
	type alien struct{ X int }
	if schema {
		if _, err := c.Marshal(&alien{X: 1}); err == nil {
			t.Errorf("Marshal(%T) succeeded; want an error", &alien{})
		}
		if err := c.Unmarshal([]byte{0}, &alien{}); err == nil {
			t.Errorf("Unmarshal into %T succeeded; want an error", &alien{})
		}
	}
	s := Samples()[4] // DownloadGranted
	b, err := c.Marshal(s.Value)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	cuts := []int{1}
	if truncAll {
		cuts = cuts[:0]
		for n := 0; n < len(b); n++ {
			cuts = append(cuts, n)
		}
	}
	for _, n := range cuts {
		// A copy, so that no decoder can read past the cut within the
		// original slice's capacity.
		cut := append([]byte(nil), b[:n]...)
		err := c.Unmarshal(cut, Fresh(s.Value))
		if err == nil {
			t.Errorf("Unmarshal of the first %d of %d bytes succeeded; want an error", n, len(b))
			continue
		}
		if schema && !strings.HasPrefix(err.Error(), c.ID()+":") {
			t.Errorf("error %q does not start with the codec id %q", err, c.ID())
		}
		if a, ok := c.(codec.AliasUnmarshaler); ok {
			if err := a.UnmarshalAlias(cut, Fresh(s.Value)); err == nil {
				t.Errorf("UnmarshalAlias of the first %d of %d bytes succeeded; want an error", n, len(b))
			} else if schema && !strings.HasPrefix(err.Error(), c.ID()+":") {
				t.Errorf("error %q does not start with the codec id %q", err, c.ID())
			}
		}
	}
}

// Golden decodes the committed payload of every sample from
// dir/<sample>.v<schema version>.bin (dir is under testdata) and compares the values. With
// ESBENCH_UPDATE_GOLDEN=1 it first (re)writes the files from the current
// encoder; payloads written once must keep decoding forever.
func Golden(t *testing.T, c codec.Codec, dir string) {
	t.Helper()
	update := os.Getenv("ESBENCH_UPDATE_GOLDEN") == "1"
	reg := Registry(c)
	for _, s := range Samples() {
		t.Run(s.Name, func(t *testing.T) {
			ver, err := reg.CurrentVersion(TypeName(reg, s.Value))
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, fmt.Sprintf("%s.v%d.bin", s.Name, ver))
			if update {
				b, err := c.Marshal(s.Value)
				if err != nil {
					t.Fatalf("Marshal: %v", err)
				}
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("golden payload missing (run with ESBENCH_UPDATE_GOLDEN=1 once): %v", err)
			}
			got := Fresh(s.Value)
			if err := c.Unmarshal(b, got); err != nil {
				t.Fatalf("Unmarshal golden %s: %v", path, err)
			}
			if got = Normalize(got); !reflect.DeepEqual(got, s.Value) {
				t.Fatalf("golden %s decodes to\n %+v\nwant %+v", path, got, s.Value)
			}
			// Payloads of older schema versions decode, through the
			// registry, to the same value.
			for old := uint16(1); old < ver; old++ {
				path := filepath.Join(dir, fmt.Sprintf("%s.v%d.bin", s.Name, old))
				b, err := os.ReadFile(path)
				if errors.Is(err, os.ErrNotExist) {
					continue
				} else if err != nil {
					t.Fatal(err)
				}
				v, err := reg.Decode(codec.Envelope{Type: TypeName(reg, s.Value), SchemaVersion: old, Codec: c.ID(), Payload: b})
				if err != nil {
					t.Fatalf("decode golden %s as version %d: %v", path, old, err)
				}
				if v = Normalize(v); !reflect.DeepEqual(v, s.Value) {
					t.Fatalf("golden %s (version %d) decodes to\n %+v\nwant %+v", path, old, v, s.Value)
				}
			}
		})
	}
}

// Normalize returns v with an account snapshot's title counts as
// TitleYears, however the codec left them (the binary codec leaves a
// domain.TitleBlock), so that values compare with the samples.
func Normalize(v any) any {
	if a, ok := v.(*domain.AccountSnapshot); ok {
		return a.Decoded()
	}
	return v
}

// Registry returns the domain registry (every event and snapshot type, all
// schema versions) with c added.
func Registry(c codec.Codec) *codec.Registry {
	r := domain.NewRegistry()
	r.AddCodec(c)
	return r
}

// TypeName is the registered type name of a sample value.
func TypeName(r *codec.Registry, v any) string {
	name, err := r.TypeOf(v)
	if err != nil {
		panic(fmt.Sprintf("codectest: sample %T is not registered: %v", v, err))
	}
	return name
}

// FuzzSeeds adds the encoding of every sample to f, prefixed with the
// sample's type index, plus a few degenerate inputs.
func FuzzSeeds(f *testing.F, c codec.Codec) {
	reg := Registry(c)
	types := typeNames(reg)
	for _, s := range Samples() {
		b, err := c.Marshal(s.Value)
		if err != nil {
			f.Fatalf("Marshal %s: %v", s.Name, err)
		}
		idx := indexOf(types, TypeName(reg, s.Value))
		f.Add(append([]byte{byte(idx)}, b...))
		if len(b) > 2 {
			f.Add(append([]byte{byte(idx)}, b[:len(b)/2]...))
		}
	}
	f.Add([]byte{})
	f.Add([]byte{0, 0xff, 0xff, 0xff, 0xff})
}

// FuzzDecode is the body of every FuzzDecode<Codec> target: the first byte
// picks the type, the rest is the payload, decoded at the type's current
// schema version. Decoding through the registry must return a value or a
// *codec.DecodeError naming the codec, type and schema version (which the
// repository completes with stream and version); it must never panic.
func FuzzDecode(t *testing.T, r *codec.Registry, c codec.Codec, data []byte) {
	types := typeNames(r)
	if len(data) == 0 {
		data = []byte{0}
	}
	typ := types[int(data[0])%len(types)]
	ver, err := r.CurrentVersion(typ)
	if err != nil {
		t.Fatal(err)
	}
	env := codec.Envelope{Type: typ, SchemaVersion: ver, Codec: c.ID(), Payload: data[1:]}
	// The owned path (no copy out of the payload) must be as safe on bad
	// input as the copying one, and agree with it.
	owned := env
	owned.Payload = append([]byte(nil), env.Payload...)
	ov, oerr := r.DecodeOwned(owned)
	v, err := r.Decode(env)
	if (err == nil) != (oerr == nil) {
		t.Fatalf("Decode error %v but DecodeOwned error %v", err, oerr)
	}
	if err == nil && !reflect.DeepEqual(v, ov) {
		t.Fatalf("Decode %+v but DecodeOwned %+v", v, ov)
	}
	if err == nil {
		if v == nil {
			t.Fatalf("Decode returned neither a value nor an error")
		}
		return
	}
	var de *codec.DecodeError
	if !errors.As(err, &de) {
		t.Fatalf("Decode error %T %v is not a *codec.DecodeError", err, err)
	}
	if de.Codec != c.ID() || de.Type != typ || de.SchemaVersion != ver {
		t.Fatalf("DecodeError names codec %q type %q v%d; want %q %q v%d", de.Codec, de.Type, de.SchemaVersion, c.ID(), typ, ver)
	}
	if !errors.Is(err, codec.ErrCorrupt) {
		t.Fatalf("Decode error %v does not wrap codec.ErrCorrupt", err)
	}
	de.Stream, de.Version = "acct/c-1/DownloadAccount", 7
	msg := de.Error()
	for _, want := range []string{c.ID(), typ, "acct/c-1/DownloadAccount", "version 7"} {
		if !strings.Contains(msg, want) {
			t.Fatalf("DecodeError %q does not name %q", msg, want)
		}
	}
}

func typeNames(r *codec.Registry) []string {
	var names []string
	seen := map[string]bool{}
	for _, s := range Samples() {
		n := TypeName(r, s.Value)
		if !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	return names
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	panic(fmt.Sprintf("codectest: %q not in %v", s, list))
}

// CheckSamplesComplete fails if a domain type has a field that no sample of
// that type sets to a non-zero value: a field added to the domain must get a
// sample value, so that every codec's round trip proves it maps the field.
func CheckSamplesComplete(t *testing.T) {
	t.Helper()
	set := map[reflect.Type]map[string]bool{}
	var walk func(prefix string, v reflect.Value, into map[string]bool)
	walk = func(prefix string, v reflect.Value, into map[string]bool) {
		switch v.Kind() {
		case reflect.Struct:
			if v.Type() == reflect.TypeOf(time.Time{}) {
				if !v.IsZero() {
					into[prefix] = true
				}
				return
			}
			for i := 0; i < v.NumField(); i++ {
				walk(prefix+"."+v.Type().Field(i).Name, v.Field(i), into)
			}
		case reflect.Slice:
			for i := 0; i < v.Len(); i++ {
				walk(prefix+"[]", v.Index(i), into)
			}
			if v.Len() == 0 {
				into[prefix+"(empty)"] = true
			}
		default:
			if !v.IsZero() {
				into[prefix] = true
			}
		}
	}
	var need func(prefix string, t reflect.Type, out *[]string)
	need = func(prefix string, t reflect.Type, out *[]string) {
		switch {
		case t == reflect.TypeOf(time.Time{}):
			*out = append(*out, prefix)
		case t.Kind() == reflect.Struct:
			for i := 0; i < t.NumField(); i++ {
				// Unexported fields are no codec's mapping (the binary
				// codec's title block is tested in its own package).
				if t.Field(i).IsExported() {
					need(prefix+"."+t.Field(i).Name, t.Field(i).Type, out)
				}
			}
		case t.Kind() == reflect.Slice:
			need(prefix+"[]", t.Elem(), out)
		default:
			*out = append(*out, prefix)
		}
	}
	for _, s := range Samples() {
		typ := reflect.TypeOf(s.Value).Elem()
		if set[typ] == nil {
			set[typ] = map[string]bool{}
		}
		walk("", reflect.ValueOf(s.Value).Elem(), set[typ])
	}
	for typ, got := range set {
		var fields []string
		need("", typ, &fields)
		for _, f := range fields {
			if !got[f] {
				t.Errorf("no sample of %s sets field %s", typ.Name(), f)
			}
		}
	}
	for _, v := range AllTypes() {
		if _, ok := set[reflect.TypeOf(v).Elem()]; !ok {
			t.Errorf("no sample of %T", v)
		}
	}
}

// AllTypes returns a pointer to a zero value of every current domain event
// and snapshot type.
func AllTypes() []any {
	return []any{
		new(domain.AccountOpened), new(domain.DeviceRegistered), new(domain.DeviceRemoved), new(domain.DownloadGranted),
		new(domain.DownloadRenewed), new(domain.DownloadReleased), new(domain.DownloadDenied), new(domain.LicenseIssued),
		new(domain.LicenseRenewed), new(domain.PlaybackStarted), new(domain.LicenseReleased), new(domain.LicenseActionDenied),
		new(domain.AccountSnapshot), new(domain.LicenseSnapshot),
	}
}

// DecodeAllocs checks how many allocations each decode function makes per
// call decoding the DownloadGranted sample (five strings), as encoded by c,
// into one reused value. Run it without -race: sync.Pool drops items at
// random under the race detector.
func DecodeAllocs(t *testing.T, c codec.Codec, want map[string]float64, decode map[string]func([]byte, any) error) {
	t.Helper()
	s := Samples()[4]
	b, err := c.Marshal(s.Value)
	if err != nil {
		t.Fatal(err)
	}
	v := Fresh(s.Value)
	for name, dec := range decode {
		got := testing.AllocsPerRun(100, func() {
			if err := dec(b, v); err != nil {
				t.Fatal(err)
			}
		})
		if got != want[name] {
			t.Errorf("%s of %s: %v allocations, want %v", name, s.Name, got, want[name])
		}
	}
}
