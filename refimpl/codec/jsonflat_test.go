package codec_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/esbench/esbench/refimpl/codec"
	"github.com/esbench/esbench/refimpl/domain"
)

type flatAll struct {
	S    string
	I    int
	I8   int8
	I64  int64
	U    uint
	U16  uint16
	B    bool
	T    time.Time
	hide string //nolint:unused // encoding/json skips it; so must the flat path
	Name named
}

type named string

// Not flat: each has something the flat path leaves to encoding/json.
type (
	tagged struct {
		A string `json:"a"`
	}
	withFloat struct {
		A string
		F float64
	}
	withSlice struct{ L []string }
	withMap   struct{ M map[string]int }
	embedded  struct {
		flatAll
		X int
	}
	withMarshaler struct {
		A string
		D upper
	}
	selfMarshaler struct{ A string }
	withTimePtr   struct{ T *time.Time }
	empty         struct{}
)

type upper string

func (u upper) MarshalText() ([]byte, error) { return []byte("U" + string(u)), nil }

func (s selfMarshaler) MarshalJSON() ([]byte, error) { return []byte(`"self"`), nil }

// plainStrings and plainTimes take the flat path; tricky ones must give
// encoding/json's bytes through its own path.
var (
	plainStrings = []string{"", "c42", "d-1_x.y", "Device limit 2 reached (3 active)", "a b:c/d"}
	trickyString = []string{`q"uote`, `back\slash`, "<html>", "a&b", "tab\tnl\n", "é", "\u2028", "\xff", "\x7f"}
	utc          = time.Date(2026, 11, 30, 14, 5, 6, 123456789, time.UTC)
	plainTimes   = []time.Time{{}, utc, utc.Truncate(time.Second), utc.Truncate(time.Millisecond), time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), utc.In(time.FixedZone("GMT", 0))}
	trickyTimes  = []time.Time{utc.In(time.FixedZone("CET", 3600)), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC), utc.In(time.FixedZone("odd", 24*3600+60))}
)

func randFlat(rng *rand.Rand, tricky bool) flatAll {
	strs, times := plainStrings, plainTimes
	if tricky {
		if rng.IntN(2) == 0 {
			strs = trickyString
		} else {
			times = trickyTimes
		}
	}
	pick := func() string { return strs[rng.IntN(len(strs))] }
	return flatAll{
		S: pick(), I: rng.IntN(2000) - 1000, I8: math.MinInt8, I64: math.MaxInt64 - rng.Int64N(10),
		U: uint(rng.Uint64()), U16: math.MaxUint16, B: rng.IntN(2) == 0, T: times[rng.IntN(len(times))],
		hide: "x", Name: named(pick()),
	}
}

// TestAppendFlatJSONMatchesEncodingJSON holds the flat path to
// encoding/json's bytes: plain values take it, values it does not handle
// (escapes, zones, years past 9999) and types that are not flat are left
// to encoding/json, and Marshal always returns encoding/json's bytes.
func TestAppendFlatJSONMatchesEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	check := func(t *testing.T, v any, wantFlat bool) {
		t.Helper()
		want, werr := json.Marshal(v)
		got, gerr := codec.JSON{}.Marshal(v)
		if (werr == nil) != (gerr == nil) || !bytes.Equal(got, want) {
			t.Fatalf("%#v:\nMarshal       %s (%v)\nencoding/json %s (%v)", v, got, gerr, want, werr)
		}
		if _, flat := codec.AppendFlatJSON(nil, v); flat != wantFlat {
			t.Fatalf("%#v: flat path taken %v, want %v", v, flat, wantFlat)
		}
	}
	for range 2000 {
		v := randFlat(rng, false)
		check(t, &v, true)
	}
	for range 2000 {
		v := randFlat(rng, true)
		check(t, &v, false)
	}
	for _, s := range trickyString {
		v := randFlat(rng, false)
		v.Name = named(s)
		check(t, &v, false)
	}
	v := randFlat(rng, false)
	for _, x := range []any{
		v, // not a pointer
		(*flatAll)(nil),
		&tagged{A: "a"}, &withFloat{A: "a", F: 1.5}, &withSlice{L: []string{"a"}}, &withMap{M: map[string]int{"a": 1}},
		&embedded{flatAll: v, X: 1}, &withMarshaler{A: "a", D: "d"}, &selfMarshaler{A: "a"}, &withTimePtr{T: &utc}, &empty{},
		new(string),
	} {
		check(t, x, false)
	}
}

// TestDomainEventsTakeTheFlatPath checks every domain event type: random
// plain values take the flat path and encode to encoding/json's bytes, so
// a field added to an event that the path cannot encode shows up here.
func TestDomainEventsTakeTheFlatPath(t *testing.T) {
	events := []domain.Event{
		new(domain.AccountOpened), new(domain.DeviceRegistered), new(domain.DeviceRemoved),
		new(domain.DownloadGranted), new(domain.DownloadRenewed), new(domain.DownloadReleased),
		new(domain.DownloadDenied), new(domain.LicenseIssued), new(domain.LicenseRenewed),
		new(domain.PlaybackStarted), new(domain.LicenseReleased), new(domain.LicenseActionDenied),
	}
	// Every type the registry encodes for the domain is in the list.
	reg := domain.NewRegistry()
	rng := rand.New(rand.NewPCG(3, 4))
	for _, v := range events {
		if typ, err := reg.TypeOf(v); err != nil || typ != v.EventType() {
			t.Fatalf("%T: registered as %q (%v)", v, typ, err)
		}
		for range 200 {
			fill(rng, reflect.ValueOf(v).Elem())
			want, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			got, flat := codec.AppendFlatJSON(nil, v)
			if !flat || !bytes.Equal(got, want) {
				t.Fatalf("%T: flat path %v:\n%s\nencoding/json:\n%s", v, flat, got, want)
			}
		}
	}
}

// fill sets every exported field of the struct v to a random plain value.
func fill(rng *rand.Rand, v reflect.Value) {
	for i := range v.NumField() {
		f := v.Field(i)
		if !f.CanSet() {
			continue
		}
		switch {
		case f.Type() == reflect.TypeFor[time.Time]():
			t := plainTimes[rng.IntN(len(plainTimes))]
			if rng.IntN(2) == 0 {
				t = utc.Add(time.Duration(rng.Int64N(int64(1000 * time.Hour))))
			}
			f.Set(reflect.ValueOf(t))
		case f.Kind() == reflect.String:
			f.SetString(fmt.Sprintf("%s-%d", plainStrings[rng.IntN(len(plainStrings))], rng.IntN(100)))
		case f.CanInt():
			f.SetInt(rng.Int64N(5000) - 100)
		case f.CanUint():
			f.SetUint(rng.Uint64N(5000))
		case f.Kind() == reflect.Bool:
			f.SetBool(rng.IntN(2) == 0)
		default:
			panic("fill: field " + v.Type().Field(i).Name + " of kind " + f.Kind().String())
		}
	}
}
