package store

import (
	"context"
	"strings"

	"github.com/spf13/pflag"

	"github.com/esbench/esbench/internal/choice"
)

// Backend is a store implementation as the command line knows it. A backend
// package registers itself from init, as database/sql drivers do:
//
//	func init() {
//		store.Register(store.Backend{Name: "memory", Summary: "...", New: func() store.Settings { return &settings{} }})
//	}
//
// and the binary selects it with --store NAME once the package is imported.
type Backend struct {
	// Name is the --store value: lower case letters, digits and dashes.
	Name string
	// Summary is one line for help texts.
	Summary string
	// New returns fresh settings holding the backend's defaults.
	New func() Settings
}

// Settings are one backend's options. The command line binds them to flags
// with AddFlags, then opens stores with them.
type Settings interface {
	// AddFlags registers the backend's flags. Their names must be unique
	// among all backends; prefix them with the backend's name.
	AddFlags(fs *pflag.FlagSet)
	// Open opens a store. It fails on invalid settings before touching
	// anything, with an error naming the flag.
	Open(ctx context.Context, opts OpenOptions) (Store, error)
	// About describes the store Open opens, for logs and results.
	About() About
}

// Checker is implemented by settings that can be validated without
// opening anything; Selection.Check calls it, so a bad flag is reported
// before any work starts.
type Checker interface {
	Check() error
}

// OpenOptions are what a caller asks of one opened store beyond the
// backend's settings.
type OpenOptions struct {
	// Instance, when set, asks for a store that shares nothing with the
	// stores of other instances of the same settings: a subdirectory, a
	// keyspace of its own (see SafeInstance). A backend whose every Open is
	// fresh (memory) ignores it.
	Instance string
}

// SafeInstance is Instance with every character but ASCII letters, digits,
// '-' and '_' replaced by '_', fit for a file or keyspace name.
func (o OpenOptions) SafeInstance() string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		default:
			return '_'
		}
	}, o.Instance)
}

// About describes a configured store.
type About struct {
	// Description names the store for logs ("pebble (/var/data)").
	Description string
	// Options are settings worth recording with results.
	Options map[string]string
	// Persistent is set for stores that may hold data from earlier runs, so
	// a run salts its request ids to avoid replaying older requests. Opening
	// the same settings and instance again sees the same data.
	Persistent bool
	// Exclusive is set for stores that lock their data while open (an
	// embedded database): a second Open of the same instance fails until
	// the first store is closed, so concurrent users need instances of
	// their own.
	Exclusive bool
	// Location says where a persistent store's data lives, independently of
	// how it is reached (the pebble directory; the Cassandra keyspace and
	// write mode), so that another process can tell it opens the same data
	// (esbench audit checks a run's ledger against it).
	Location string
}

// ContractExceptions is implemented by settings under which a store
// documents that it does not keep part of the contract (a mode without
// optimistic concurrency): it maps the conformance suite's area names
// (storetest.Areas) to the reason, and the suite reports them as skipped.
type ContractExceptions interface {
	ContractExceptions() map[string]string
}

// backends is the registry the backend packages fill from init.
var backends = choice.NewRegistry[Backend]("store backend")

// Register makes a backend selectable by name. It panics if the name is not
// lower-case letters, digits and dashes, is taken, or New is nil: all
// programming errors that every test of the binary finds.
func Register(b Backend) {
	if b.New == nil {
		panic("store backend " + b.Name + " has no New")
	}
	backends.Add(b.Name, b)
}

// Backends lists the registered backends, sorted by name.
func Backends() []Backend { return backends.All() }

// Lookup returns the backend registered as name.
func Lookup(name string) (Backend, bool) { return backends.Lookup(name) }

// Selection is the --store flag with the flags of every registered backend
// on one command.
type Selection struct {
	choice   *choice.Choice
	settings map[string]Settings
}

// NewSelection registers --store (default def) and every registered
// backend's flags on fs.
func NewSelection(fs *pflag.FlagSet, def string) *Selection {
	s := &Selection{settings: map[string]Settings{}}
	var kinds []choice.Kind
	for _, b := range Backends() {
		set := b.New()
		s.settings[b.Name] = set
		kinds = append(kinds, choice.Kind{Name: b.Name, AddFlags: set.AddFlags})
	}
	s.choice = choice.New(fs, "store", "store", def, "event store backend", kinds)
	return s
}

// Name is the chosen backend's name.
func (s *Selection) Name() string { return s.choice.Value() }

// Check validates the choice once flags are parsed: the backend is
// registered (else the error lists those that are and suggests the
// closest), no flag of another backend was given, and the chosen
// backend's settings pass their own Check (Checker).
func (s *Selection) Check() error {
	if err := s.choice.Check(); err != nil {
		return err
	}
	if c, ok := s.Settings().(Checker); ok {
		return c.Check()
	}
	return nil
}

// Owner returns the backend a flag (named without dashes) belongs to; ok
// is false for flags of no backend.
func (s *Selection) Owner(flag string) (backend string, ok bool) { return s.choice.Owner(flag) }

// Flags lists the flags of the named backend.
func (s *Selection) Flags(backend string) []string { return s.choice.Flags(backend) }

// Settings returns the chosen backend's settings (nil for an unknown one).
func (s *Selection) Settings() Settings { return s.settings[s.Name()] }

// Open checks the choice and opens the chosen store.
func (s *Selection) Open(ctx context.Context, opts OpenOptions) (Store, error) {
	if err := s.Check(); err != nil {
		return nil, err
	}
	return s.Settings().Open(ctx, opts)
}
