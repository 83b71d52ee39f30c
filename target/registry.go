package target

import (
	"context"

	"github.com/spf13/pflag"

	"github.com/esbench/esbench/internal/choice"
)

// Driver is a kind of target as the command line knows it. A driver
// package registers itself from init, as database/sql drivers do, and the
// binary selects it with --target NAME once the package is imported.
type Driver struct {
	// Name is the --target value: lower case letters, digits and dashes.
	Name string
	// Summary is one line for help texts.
	Summary string
	// New returns fresh settings holding the driver's defaults.
	New func() Settings
}

// Settings are one driver's options. The command line binds them to flags
// with AddFlags, checks them once parsed, then opens systems with them.
type Settings interface {
	// AddFlags registers the driver's flags. Their names must be unique
	// among all drivers.
	AddFlags(fs *pflag.FlagSet)
	// Check validates the parsed flags before any work starts; the error
	// names the flag.
	Check() error
	// Open sets up one configuration of the system under test.
	Open(ctx context.Context, cfg Config) (System, error)
	// About describes the target, for logs and results.
	About() About
}

// About describes a configured target.
type About struct {
	// Description names the target for logs ("reference service on pebble
	// (temporary directory)").
	Description string
	// Backend is what results record as the system's backend (the store of
	// the in-process service).
	Backend string
	// Options are settings worth recording with results.
	Options map[string]string
	// Persistent is set for targets that may hold data from earlier runs,
	// so a run salts its request ids to avoid replaying older requests.
	Persistent bool
}

// drivers is the registry the driver packages fill from init.
var drivers = choice.NewRegistry[Driver]("target driver")

// Register makes a driver selectable by name. It panics if the name is not
// lower-case letters, digits and dashes, is taken, or New is nil: all
// programming errors that every test of the binary finds.
func Register(d Driver) {
	if d.New == nil {
		panic("target driver " + d.Name + " has no New")
	}
	drivers.Add(d.Name, d)
}

// Drivers lists the registered drivers, sorted by name.
func Drivers() []Driver { return drivers.All() }

// Lookup returns the driver registered as name.
func Lookup(name string) (Driver, bool) { return drivers.Lookup(name) }

// Selection is the --target flag with the flags of every registered
// driver on one command.
type Selection struct {
	choice   *choice.Choice
	settings map[string]Settings
}

// NewSelection registers --target (default def) and every registered
// driver's flags on fs.
func NewSelection(fs *pflag.FlagSet, def string) *Selection {
	s := &Selection{settings: map[string]Settings{}}
	var kinds []choice.Kind
	for _, d := range Drivers() {
		set := d.New()
		s.settings[d.Name] = set
		kinds = append(kinds, choice.Kind{Name: d.Name, AddFlags: set.AddFlags})
	}
	s.choice = choice.New(fs, "target", "target", def, "system under test", kinds)
	return s
}

// Name is the chosen driver's name.
func (s *Selection) Name() string { return s.choice.Value() }

// Check validates the parsed flags: the driver is registered, no flag of
// another driver was given, and the chosen driver's own Check passes.
func (s *Selection) Check() error {
	if err := s.choice.Check(); err != nil {
		return err
	}
	return s.Settings().Check()
}

// Owner returns the driver a flag (named without dashes) belongs to; ok is
// false for flags of no driver.
func (s *Selection) Owner(flag string) (driver string, ok bool) { return s.choice.Owner(flag) }

// Settings returns the chosen driver's settings (nil for an unknown one).
func (s *Selection) Settings() Settings { return s.settings[s.Name()] }

// Open sets up one configuration with the chosen driver; call Check first.
func (s *Selection) Open(ctx context.Context, cfg Config) (System, error) {
	set := s.Settings()
	if set == nil {
		return nil, s.choice.Check()
	}
	return set.Open(ctx, cfg)
}

// About describes the chosen target.
func (s *Selection) About() About {
	if set := s.Settings(); set != nil {
		return set.About()
	}
	return About{Description: s.Name()}
}
