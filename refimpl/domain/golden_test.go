package domain

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/esbench/esbench/refimpl/codec"
)

// updateGolden rewrites testdata/ from the fixtures. Only run it for a NEW
// schema version: the files of released versions are what old streams hold
// and must never change.
var updateGolden = flag.Bool("update-golden", false, "write golden payloads to testdata/")

var goldenCodecs = []codec.Codec{codec.JSON{}, codec.Gob{}}

// fixture is one golden payload: encode is the value as its schema version
// wrote it (the old Go type for old versions), want the value decoding must
// produce at the current version.
type fixture struct {
	name    string // file base name in testdata/
	typ     string
	version uint16
	encode  any
	want    any
	// current is the fixture's event at the current version, nil for old
	// versions and snapshots.
	current Event
}

var goldenAt = time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.UTC)

// eventFixtures has one fixture per event type at its current version.
func eventFixtures() []fixture {
	evs := []Event{
		&AccountOpened{CustomerID: "cust-42", Plan: PlanStandard, At: goldenAt},
		&DeviceRegistered{DeviceID: "dev-phone", At: goldenAt.Add(time.Minute)},
		&DeviceRemoved{DeviceID: "dev-tablet", At: goldenAt.Add(2 * time.Minute)},
		&DownloadGranted{RequestID: "req-1", LicenseID: "lic-1", DeviceID: "dev-phone", TitleID: "title-9",
			StudioID: "studio-3", Restricted: true, Year: 2026, ExpiresAt: goldenAt.Add(week), At: goldenAt},
		&DownloadRenewed{LicenseID: "lic-1", ExpiresAt: goldenAt.Add(2 * week), At: goldenAt.Add(time.Hour)},
		&DownloadReleased{LicenseID: "lic-1", DeviceID: "dev-phone", At: goldenAt.Add(3 * time.Hour)},
		&DownloadDenied{RequestID: "req-2", DeviceID: "dev-tv", TitleID: "title-9", Reason: string(ReasonDeviceLimit),
			Detail: `plan "standard" allows downloads on 2 devices and 2 hold active downloads`, PolicyVersion: 4, At: goldenAt},
		&LicenseIssued{LicenseID: "lic-1", CustomerID: "cust-42", DeviceID: "dev-phone", TitleID: "title-9",
			StudioID: "studio-3", PolicyVersion: 4, IssuedAt: goldenAt, ExpiresAt: goldenAt.Add(week)},
		&LicenseRenewed{RequestID: "req-5", Renewal: 2, ExpiresAt: goldenAt.Add(3 * week), At: goldenAt.Add(time.Hour)},
		&PlaybackStarted{At: goldenAt.Add(time.Hour), PlaybackEndsAt: goldenAt.Add(49 * time.Hour)},
		&LicenseReleased{Reason: ReleaseDeviceRemoved, At: goldenAt.Add(5 * time.Hour)},
		&LicenseActionDenied{RequestID: "req-6", Action: ActionRenew, Reason: string(ReasonRenewalLimit), At: goldenAt},
	}
	fs := make([]fixture, 0, len(evs))
	for _, e := range evs {
		v := uint16(1)
		if e.EventType() == "DownloadDenied" {
			v = 2
		}
		fs = append(fs, fixture{name: fmt.Sprintf("%s.v%d", e.EventType(), v), typ: e.EventType(), version: v,
			encode: e, want: e, current: e})
	}
	return fs
}

// downloadDeniedV1Fixtures are payloads as schema version 1 wrote them, one
// per way the upcaster classifies the free text.
func downloadDeniedV1Fixtures() []fixture {
	cases := []struct {
		suffix, text string
		want         Reason
	}{
		{"devices", "Too many devices on this account", ReasonDeviceLimit},
		{"downloads", "too many downloads on device dev-tv", ReasonDownloadLimit},
		{"yearly", "Studio yearly limit reached for this title", ReasonTitleYearLimit},
		{"code", "title_year_limit", ReasonTitleYearLimit},
		{"other", "license server said no", ReasonUnspecified},
	}
	fs := make([]fixture, 0, len(cases))
	for i, c := range cases {
		at := goldenAt.Add(time.Duration(i) * time.Hour)
		old := &downloadDeniedV1{RequestID: fmt.Sprintf("req-v1-%d", i), DeviceID: "dev-tv", TitleID: "title-7",
			Reason: c.text, At: at}
		fs = append(fs, fixture{
			name: "DownloadDenied.v1." + c.suffix, typ: "DownloadDenied", version: 1, encode: old,
			want: &DownloadDenied{RequestID: old.RequestID, DeviceID: "dev-tv", TitleID: "title-7",
				Reason: string(c.want), Detail: c.text, PolicyVersion: 0, At: at},
		})
	}
	return fs
}

func snapshotFixtures() []fixture {
	acc := &AccountSnapshot{
		CustomerID: "cust-42", Plan: PlanPremium, OpenedAt: goldenAt,
		Devices: []DeviceEntry{{DeviceID: "dev-phone", RegisteredAt: goldenAt}, {DeviceID: "dev-tv", RegisteredAt: goldenAt.Add(time.Hour)}},
		Downloads: []DownloadEntry{{LicenseID: "lic-1", DeviceID: "dev-phone", TitleID: "title-9", ExpiresAt: goldenAt.Add(week)},
			{LicenseID: "lic-2", DeviceID: "dev-tv", TitleID: "title-8", ExpiresAt: goldenAt.Add(2 * week)}},
		TitleYears: []TitleYearCount{{TitleID: "title-9", Year: 2026, Count: 2}},
		LatestYear: 2026,
		Denials: []Denial{{RequestID: "req-2", DeviceID: "dev-tv", TitleID: "title-9", Reason: ReasonTitleYearLimit,
			Detail: "three already", At: goldenAt.Add(time.Minute)}},
		PruneAt:  128,
		Counters: AccountCounters{Granted: 17, Denied: 3, Renewed: 5, Released: 9},
	}
	lic := &LicenseSnapshot{
		LicenseID: "lic-1", CustomerID: "cust-42", DeviceID: "dev-phone", TitleID: "title-9", StudioID: "studio-3",
		PolicyVersion: 4, IssuedAt: goldenAt, ExpiresAt: goldenAt.Add(2 * week), Renewals: 1, LastRenewal: "req-5",
		FirstPlayAt: goldenAt.Add(time.Hour), PlaybackEndsAt: goldenAt.Add(49 * time.Hour), Released: true,
		ReleasedAt: goldenAt.Add(50 * time.Hour), ReleaseReason: ReleaseUserDeleted, Denials: 2,
	}
	return []fixture{
		{name: TypeAccount + ".v1", typ: TypeAccount, version: 1, encode: acc, want: acc},
		// Version 2 changed only the binary codec's layout: JSON and gob
		// write the same bytes as for version 1.
		{name: TypeAccount + ".v2", typ: TypeAccount, version: 2, encode: acc, want: acc},
		{name: TypeLicense + ".v1", typ: TypeLicense, version: 1, encode: lic, want: lic},
	}
}

func allFixtures() []fixture {
	return append(append(eventFixtures(), downloadDeniedV1Fixtures()...), snapshotFixtures()...)
}

func goldenPath(f fixture, c codec.Codec) string {
	return filepath.Join("testdata", f.name+"."+c.ID())
}

// TestGolden decodes every golden payload, of every schema version, with
// every codec through the registry and compares the result field by field
// with the expected current-version value.
func TestGolden(t *testing.T) {
	reg := NewRegistry()
	highest := map[string]uint16{}
	for _, f := range allFixtures() {
		highest[f.typ] = max(highest[f.typ], f.version)
		for _, c := range goldenCodecs {
			t.Run(f.name+"/"+c.ID(), func(t *testing.T) {
				path := goldenPath(f, c)
				if *updateGolden {
					b, err := c.Marshal(f.encode)
					if err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(path, b, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				payload, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("golden payload missing (generate it ONCE, for a new version, with -update-golden): %v", err)
				}
				got, err := reg.Decode(codec.Envelope{Type: f.typ, SchemaVersion: f.version, Codec: c.ID(), Payload: payload})
				if err != nil {
					t.Fatalf("decode %s: %v", path, err)
				}
				for _, diff := range fieldDiffs(f.typ, reflect.ValueOf(got), reflect.ValueOf(f.want)) {
					t.Error(diff)
				}
			})
		}
	}
	// A new schema version must come with golden payloads: the registry's
	// current version of every type is the newest fixture's.
	for typ, v := range highest {
		cur, err := reg.CurrentVersion(typ)
		if err != nil || cur != v {
			t.Errorf("%s: registry current version %d (%v), newest golden fixture v%d", typ, cur, err, v)
		}
	}
	// And every event type has a golden fixture.
	if n := len(eventFixtures()); n != 12 {
		t.Errorf("%d event fixtures, want one per event type (12)", n)
	}
}

// fieldDiffs compares got and want field by field, naming each differing
// field by its path. Times compare with Equal.
func fieldDiffs(path string, got, want reflect.Value) []string {
	if got.Kind() != want.Kind() || got.Type() != want.Type() {
		return []string{fmt.Sprintf("%s: got type %s, want %s", path, got.Type(), want.Type())}
	}
	switch got.Kind() {
	case reflect.Pointer, reflect.Interface:
		if got.IsNil() || want.IsNil() {
			if got.IsNil() != want.IsNil() {
				return []string{fmt.Sprintf("%s: got nil %v, want nil %v", path, got.IsNil(), want.IsNil())}
			}
			return nil
		}
		return fieldDiffs(path, got.Elem(), want.Elem())
	case reflect.Struct:
		if tg, ok := got.Interface().(time.Time); ok {
			if tw := want.Interface().(time.Time); !tg.Equal(tw) {
				return []string{fmt.Sprintf("%s: got %v, want %v", path, tg, tw)}
			}
			return nil
		}
		var diffs []string
		for i := range got.NumField() {
			name := path + "." + got.Type().Field(i).Name
			if !got.Type().Field(i).IsExported() {
				// Not on the wire of the codecs here (the binary codec's
				// title block): must stay unset.
				if !got.Field(i).IsZero() || !want.Field(i).IsZero() {
					diffs = append(diffs, fmt.Sprintf("%s: unexported field set", name))
				}
				continue
			}
			diffs = append(diffs, fieldDiffs(name, got.Field(i), want.Field(i))...)
		}
		return diffs
	case reflect.Slice:
		if got.Len() != want.Len() {
			return []string{fmt.Sprintf("%s: got %d elements, want %d", path, got.Len(), want.Len())}
		}
		var diffs []string
		for i := range got.Len() {
			diffs = append(diffs, fieldDiffs(fmt.Sprintf("%s[%d]", path, i), got.Index(i), want.Index(i))...)
		}
		return diffs
	}
	if !reflect.DeepEqual(got.Interface(), want.Interface()) {
		return []string{fmt.Sprintf("%s: got %#v, want %#v", path, got.Interface(), want.Interface())}
	}
	return nil
}

// TestFieldDiffsCatchesSwaps: the comparison the golden test relies on
// reports a value moved into the wrong field (what a positional codec does
// silently) and a shifted time.
func TestFieldDiffsCatchesSwaps(t *testing.T) {
	want := &DownloadDenied{RequestID: "r", DeviceID: "d", TitleID: "t", Reason: "x", Detail: "y", At: goldenAt}
	swapped := *want
	swapped.Reason, swapped.Detail = want.Detail, want.Reason
	swapped.At = goldenAt.Add(time.Nanosecond)
	diffs := fieldDiffs("DownloadDenied", reflect.ValueOf(&swapped), reflect.ValueOf(want))
	if len(diffs) != 3 {
		t.Fatalf("diffs = %q, want Reason, Detail and At", diffs)
	}
	if d := fieldDiffs("x", reflect.ValueOf(want), reflect.ValueOf(want)); len(d) != 0 {
		t.Fatalf("equal values differ: %q", d)
	}
}

// TestCorruptPayloads: every truncation and every single-byte corruption of
// every golden payload decodes to an error of the codec's typed kind or to
// a value of the right type, and applying that value never panics.
func TestCorruptPayloads(t *testing.T) {
	reg := NewRegistry()
	for _, f := range allFixtures() {
		for _, c := range goldenCodecs {
			payload, err := os.ReadFile(goldenPath(f, c))
			if err != nil {
				t.Fatal(err)
			}
			wantType := reflect.TypeOf(f.want)
			try := func(what string, p []byte) {
				got, err := reg.Decode(codec.Envelope{Type: f.typ, SchemaVersion: f.version, Codec: c.ID(), Payload: p})
				if err != nil {
					var de *codec.DecodeError
					if !errors.As(err, &de) || !errors.Is(err, codec.ErrCorrupt) || de.Type != f.typ {
						t.Fatalf("%s %s %s: error %v is not a corrupt-payload *DecodeError", f.name, c.ID(), what, err)
					}
					return
				}
				if reflect.TypeOf(got) != wantType {
					t.Fatalf("%s %s %s: decoded a %T", f.name, c.ID(), what, got)
				}
				applyAnywhere(got)
			}
			for n := range len(payload) {
				try(fmt.Sprintf("truncated to %d", n), payload[:n])
			}
			buf := make([]byte, len(payload))
			for i := range payload {
				copy(buf, payload)
				buf[i] ^= 0xff
				try(fmt.Sprintf("byte %d flipped", i), buf)
			}
		}
	}
}

// applyAnywhere feeds a decoded value to fresh and started aggregates and to
// snapshot restores; it exists to prove none of that panics.
func applyAnywhere(v any) {
	if e, ok := v.(Event); ok {
		_ = NewAccount("cust-42").Apply(1, e)
		_ = NewLicense("lic-1").Apply(1, e)
		a := NewAccount("cust-42")
		if a.Apply(1, &AccountOpened{CustomerID: "cust-42", Plan: PlanBasic, At: goldenAt}) == nil {
			_ = a.Apply(2, e)
		}
		l := NewLicense("lic-1")
		if l.Apply(1, &LicenseIssued{LicenseID: "lic-1", CustomerID: "cust-42", ExpiresAt: goldenAt}) == nil {
			_ = l.Apply(2, e)
		}
	}
	_ = NewAccount("cust-42").RestoreSnapshot(9, v)
	_ = NewLicense("lic-1").RestoreSnapshot(9, v)
}

// FuzzDecodeApply decodes arbitrary payloads as any registered type and
// version with either codec, and applies whatever decodes.
func FuzzDecodeApply(f *testing.F) {
	fixtures := allFixtures()
	for i, fx := range fixtures {
		for j, c := range goldenCodecs {
			if b, err := os.ReadFile(goldenPath(fx, c)); err == nil {
				f.Add(uint8(i), uint8(j), b)
			}
		}
	}
	reg := NewRegistry()
	f.Fuzz(func(t *testing.T, which, codecIdx uint8, payload []byte) {
		fx := fixtures[int(which)%len(fixtures)]
		c := goldenCodecs[int(codecIdx)%len(goldenCodecs)]
		got, err := reg.Decode(codec.Envelope{Type: fx.typ, SchemaVersion: fx.version, Codec: c.ID(), Payload: payload})
		if err != nil {
			var de *codec.DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %v is not a *DecodeError", err)
			}
			return
		}
		applyAnywhere(got)
	})
}
