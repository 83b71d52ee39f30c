// Package choice is a command-line flag that selects one of several
// registered kinds (a store backend, a target), each bringing its own
// flags. Every kind's flags are registered on the command, so help lists
// them all; a flag given on the command line that belongs to a kind other
// than the chosen one is an error naming the flag and its kind, never
// silently ignored.
package choice

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/esbench/esbench/internal/suggest"
)

// ErrUnknown is the error of a value that names no registered kind.
var ErrUnknown = errors.New("unknown")

// Kind is one selectable kind.
type Kind struct {
	// Name is the flag value selecting it.
	Name string
	// AddFlags registers the kind's own flags; nil for none.
	AddFlags func(fs *pflag.FlagSet)
}

// Choice is a selection flag and the flags of every kind it can select.
type Choice struct {
	flag  string
	noun  string
	value string
	names []string
	owner map[string]string
	fs    *pflag.FlagSet
}

// New registers --flag (default def) on fs, listing the kinds' names in
// its usage, and every kind's flags. noun names what is chosen in messages
// ("store"). A flag name used twice, by two kinds or by a kind and the
// command, panics when registered, as pflag does: it is a programming
// error, found by any test that builds the command.
func New(fs *pflag.FlagSet, flag, noun, def, usage string, kinds []Kind) *Choice {
	c := &Choice{flag: flag, noun: noun, owner: map[string]string{}, fs: fs}
	for _, k := range kinds {
		c.names = append(c.names, k.Name)
	}
	slices.Sort(c.names)
	fs.StringVar(&c.value, flag, def, usage+": "+strings.Join(c.names, ", "))
	for _, k := range kinds {
		if k.AddFlags == nil {
			continue
		}
		kfs := pflag.NewFlagSet(k.Name, pflag.ContinueOnError)
		k.AddFlags(kfs)
		kfs.VisitAll(func(f *pflag.Flag) {
			if prev, ok := c.owner[f.Name]; ok {
				panic(fmt.Sprintf("choice: flag --%s registered by %s %s and %s", f.Name, noun, prev, k.Name))
			}
			c.owner[f.Name] = k.Name
		})
		fs.AddFlagSet(kfs)
	}
	return c
}

// Value is the chosen kind's name, as given (Check validates it).
func (c *Choice) Value() string { return c.value }

// Names lists the kinds' names, sorted.
func (c *Choice) Names() []string { return slices.Clone(c.names) }

// Owner returns the kind the flag named name (without dashes) belongs to;
// ok is false for flags of no kind (the command's own).
func (c *Choice) Owner(name string) (kind string, ok bool) {
	kind, ok = c.owner[name]
	return kind, ok
}

// Flags lists the names of kind's flags, sorted.
func (c *Choice) Flags(kind string) []string {
	var out []string
	for f, k := range c.owner {
		if k == kind {
			out = append(out, f)
		}
	}
	slices.Sort(out)
	return out
}

// ForeignFlagError is a flag given on the command line that belongs to a
// kind other than the chosen one.
type ForeignFlagError struct {
	// Flag is the flag's name, Kind the kind it belongs to, Chosen the
	// chosen kind; Selector is the selecting flag ("store").
	Flag, Kind, Chosen, Selector string
}

func (e *ForeignFlagError) Error() string {
	return fmt.Sprintf("--%s applies to --%s %s, not to --%s %s", e.Flag, e.Selector, e.Kind, e.Selector, e.Chosen)
}

// Check validates the choice after the command line was parsed: the value
// names a kind, and no flag given belongs to another kind.
func (c *Choice) Check() error {
	if !slices.Contains(c.names, c.value) {
		return fmt.Errorf("--%s %q: %w %s (registered: %s)%s", c.flag, c.value, ErrUnknown, c.noun,
			strings.Join(c.names, ", "), suggest.Hint(c.value, c.names))
	}
	var errs []error
	// The flag set may be a kind's own, nested in the command's by
	// AddFlagSet: only the shared Flag records that it was given.
	c.fs.VisitAll(func(f *pflag.Flag) {
		if k, ok := c.owner[f.Name]; ok && k != c.value && f.Changed {
			errs = append(errs, &ForeignFlagError{Flag: f.Name, Kind: k, Chosen: c.value, Selector: c.flag})
		}
	})
	return errors.Join(errs...)
}
