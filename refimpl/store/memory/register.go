package memory

import (
	"context"

	"github.com/spf13/pflag"

	"github.com/esbench/esbench/refimpl/store"
)

func init() {
	store.Register(store.Backend{
		Name:    "memory",
		Summary: "in this process's memory, gone on exit (no flags)",
		New:     func() store.Settings { return settings{} },
	})
}

// settings of the memory backend: it has none, and every Open is a fresh,
// empty store.
type settings struct{}

func (settings) AddFlags(*pflag.FlagSet) {}

func (settings) Open(context.Context, store.OpenOptions) (store.Store, error) { return New(), nil }

func (settings) About() store.About { return store.About{Description: "memory"} }
