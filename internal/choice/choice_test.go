package choice

import (
	"errors"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func newTestChoice() (*pflag.FlagSet, *Choice) {
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	fs.Int("workers", 1, "command's own flag")
	c := New(fs, "store", "store", "pebble", "event store", []Kind{
		{Name: "memory"},
		{Name: "pebble", AddFlags: func(fs *pflag.FlagSet) { fs.String("data-dir", "", ""); fs.Bool("pebble-sync", true, "") }},
		{Name: "cassandra", AddFlags: func(fs *pflag.FlagSet) { fs.String("cassandra-hosts", "", "") }},
	})
	return fs, c
}

func TestCheck(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr []string // substrings; nil: no error
	}{
		{nil, nil},
		{[]string{"--store", "memory", "--workers", "3"}, nil},
		{[]string{"--data-dir", "/x", "--pebble-sync=false"}, nil},
		{[]string{"--store", "cassandra", "--cassandra-hosts", "h"}, nil},
		{[]string{"--store", "memory", "--data-dir", "/x"}, []string{"--data-dir applies to --store pebble, not to --store memory"}},
		{[]string{"--store", "pebble", "--cassandra-hosts", "h"}, []string{"--cassandra-hosts applies to --store cassandra, not to --store pebble"}},
		{[]string{"--store", "memroy"}, []string{`--store "memroy": unknown store (registered: cassandra, memory, pebble); did you mean memory?`}},
		{[]string{"--store", "postgres"}, []string{`--store "postgres": unknown store (registered: cassandra, memory, pebble)`}},
		{[]string{"--store", "memory", "--data-dir", "/x", "--cassandra-hosts", "h"}, []string{"--data-dir applies", "--cassandra-hosts applies"}},
	}
	for _, tt := range tests {
		fs, c := newTestChoice()
		if err := fs.Parse(tt.args); err != nil {
			t.Fatal(err)
		}
		err := c.Check()
		if tt.wantErr == nil {
			if err != nil {
				t.Errorf("%q: %v", tt.args, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%q: no error, want %q", tt.args, tt.wantErr)
			continue
		}
		for _, w := range tt.wantErr {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q: error %q does not contain %q", tt.args, err, w)
			}
		}
	}
}

func TestOwnerAndTypedErrors(t *testing.T) {
	fs, c := newTestChoice()
	if k, ok := c.Owner("data-dir"); !ok || k != "pebble" {
		t.Errorf("Owner(data-dir) = %q, %v", k, ok)
	}
	if _, ok := c.Owner("workers"); ok {
		t.Error("the command's own flag has an owner")
	}
	if got := strings.Join(c.Flags("pebble"), ","); got != "data-dir,pebble-sync" {
		t.Errorf("Flags(pebble) = %s", got)
	}
	if err := fs.Parse([]string{"--store", "memory", "--data-dir", "d"}); err != nil {
		t.Fatal(err)
	}
	var fe *ForeignFlagError
	if err := c.Check(); !errors.As(err, &fe) || fe.Flag != "data-dir" || fe.Kind != "pebble" || fe.Chosen != "memory" {
		t.Errorf("Check: %v, want a ForeignFlagError for data-dir", err)
	}
	fs, c = newTestChoice()
	_ = fs.Parse([]string{"--store", "x"})
	if err := c.Check(); !errors.Is(err, ErrUnknown) {
		t.Errorf("Check: %v, want ErrUnknown", err)
	}
}

func TestDuplicateFlagPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("two kinds registering --dir did not panic")
		}
	}()
	add := func(fs *pflag.FlagSet) { fs.String("dir", "", "") }
	New(pflag.NewFlagSet("t", pflag.ContinueOnError), "store", "store", "a", "", []Kind{{Name: "a", AddFlags: add}, {Name: "b", AddFlags: add}})
}

// TestNestedChoice is a choice registered by a kind of another choice (the
// store selection inside the in-process target's flags): its flags are
// parsed through the outer command's flag set.
func TestNestedChoice(t *testing.T) {
	fs := pflag.NewFlagSet("cmd", pflag.ContinueOnError)
	var inner *Choice
	outer := New(fs, "target", "target", "inproc", "", []Kind{
		{Name: "inproc", AddFlags: func(fs *pflag.FlagSet) {
			inner = New(fs, "store", "store", "pebble", "", []Kind{
				{Name: "memory"},
				{Name: "pebble", AddFlags: func(fs *pflag.FlagSet) { fs.String("data-dir", "", "") }},
			})
		}},
		{Name: "remote", AddFlags: func(fs *pflag.FlagSet) { fs.String("url", "", "") }},
	})
	if err := fs.Parse([]string{"--store", "memory", "--data-dir", "d"}); err != nil {
		t.Fatal(err)
	}
	if err := outer.Check(); err != nil {
		t.Fatalf("outer: %v", err)
	}
	if err := inner.Check(); err == nil || !strings.Contains(err.Error(), "--data-dir applies to --store pebble") {
		t.Fatalf("inner: %v, want --data-dir refused with --store memory", err)
	}
	fs = pflag.NewFlagSet("cmd", pflag.ContinueOnError)
	outer = New(fs, "target", "target", "inproc", "", []Kind{
		{Name: "inproc", AddFlags: func(fs *pflag.FlagSet) { New(fs, "store", "store", "pebble", "", []Kind{{Name: "pebble"}}) }},
		{Name: "remote", AddFlags: func(fs *pflag.FlagSet) { fs.String("url", "", "") }},
	})
	_ = fs.Parse([]string{"--target", "remote", "--store", "pebble"})
	if err := outer.Check(); err == nil || !strings.Contains(err.Error(), "--store applies to --target inproc, not to --target remote") {
		t.Fatalf("outer: %v, want --store refused with --target remote", err)
	}
}

func TestRegistry(t *testing.T) {
	r := NewRegistry[int]("thing")
	r.Add("b", 2)
	r.Add("a-1", 1)
	if got := r.All(); len(got) != 2 || got[0] != 1 || got[1] != 2 {
		t.Fatalf("All = %v, want sorted by name [1 2]", got)
	}
	if v, ok := r.Lookup("b"); !ok || v != 2 {
		t.Fatalf("Lookup(b) = %v, %v", v, ok)
	}
	if _, ok := r.Lookup("c"); ok {
		t.Fatal("Lookup(c) found something")
	}
	for _, name := range []string{"b", "", "Upper", "with space"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Add(%q) did not panic", name)
				}
			}()
			r.Add(name, 0)
		}()
	}
}
