package store_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/esbench/esbench/refimpl/store"
)

type nopSettings struct{ checked *bool }

func (nopSettings) AddFlags(fs *pflag.FlagSet) { fs.Int("nop-level", 1, "") }
func (n nopSettings) Check() error {
	*n.checked = true
	return nil
}
func (nopSettings) Open(context.Context, store.OpenOptions) (store.Store, error) { return nil, nil }
func (nopSettings) About() store.About                                           { return store.About{Description: "nop"} }

var nopChecked bool

func init() {
	store.Register(store.Backend{Name: "nop", Summary: "test", New: func() store.Settings { return nopSettings{&nopChecked} }})
}

func TestRegister(t *testing.T) {
	if _, ok := store.Lookup("nop"); !ok {
		t.Fatal("registered backend not found")
	}
	names := []string{}
	for _, b := range store.Backends() {
		names = append(names, b.Name)
	}
	if !slices.IsSorted(names) || !slices.Contains(names, "nop") {
		t.Fatalf("Backends = %v, want sorted and holding nop", names)
	}
	for _, b := range []store.Backend{
		{Name: "nop", New: func() store.Settings { return nopSettings{} }},
		{Name: "Bad Name", New: func() store.Settings { return nopSettings{} }},
		{Name: "nonew"},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%q) did not panic", b.Name)
				}
			}()
			store.Register(b)
		}()
	}
}

func TestSelection(t *testing.T) {
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	sel := store.NewSelection(fs, "nop")
	if owner, ok := sel.Owner("nop-level"); !ok || owner != "nop" {
		t.Fatalf("Owner(nop-level) = %q, %v", owner, ok)
	}
	if err := fs.Parse([]string{"--nop-level", "3"}); err != nil {
		t.Fatal(err)
	}
	if err := sel.Check(); err != nil || !nopChecked {
		t.Fatalf("Check: %v (settings checked: %v)", err, nopChecked)
	}
	fs = pflag.NewFlagSet("t", pflag.ContinueOnError)
	sel = store.NewSelection(fs, "nop")
	_ = fs.Parse([]string{"--store", "nopp"})
	if _, err := sel.Open(context.Background(), store.OpenOptions{}); err == nil || !strings.Contains(err.Error(), "did you mean nop?") {
		t.Fatalf("Open with --store nopp: %v, want a did-you-mean error", err)
	}
}

func TestSafeInstance(t *testing.T) {
	if got := (store.OpenOptions{Instance: "snapshots=every:100/../x"}).SafeInstance(); got != "snapshots_every_100____x" {
		t.Fatalf("SafeInstance = %q", got)
	}
}
