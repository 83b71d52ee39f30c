package main

// Flag validation: every numeric flag has a stated range, checked before a
// command does any work or creates any directory. The ranges are listed in
// docs/contributing.md; every flag and command has cases in
// badinput_test.go.

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/esbench/esbench/internal/suggest"
)

// errUsage marks a bad flag, argument or combination (exit code 1, before
// any work started).
var errUsage = errors.New("bad usage")

// flagError is one flag whose value is outside its range.
type flagError struct {
	flag, value, want string
}

func (e *flagError) Error() string {
	return fmt.Sprintf("--%s %s: %s", e.flag, e.value, e.want)
}

func (e *flagError) Unwrap() error { return errUsage }

// flagChecks collects the problems of one command's flags, so a user sees
// them all at once.
type flagChecks struct {
	fs   *pflag.FlagSet
	errs []error
}

func newFlagChecks(cmd *cobra.Command) *flagChecks { return &flagChecks{fs: cmd.Flags()} }

func (c *flagChecks) add(flag, value, format string, args ...any) {
	c.errs = append(c.errs, &flagError{flag: flag, value: value, want: fmt.Sprintf(format, args...)})
}

// given reports whether the flag was set on the command line.
func (c *flagChecks) given(flag string) bool { return c.fs.Changed(flag) }

// duration checks lo ≤ v ≤ hi.
func (c *flagChecks) duration(flag string, v, lo, hi time.Duration, note string) {
	if v < lo || v > hi {
		c.add(flag, v.String(), "must be in [%s, %s]%s", lo, hi, note)
	}
}

// intRange checks lo ≤ v ≤ hi.
func (c *flagChecks) intRange(flag string, v, lo, hi int64) {
	if v < lo || v > hi {
		c.add(flag, fmt.Sprint(v), "must be in [%d, %d]", lo, hi)
	}
}

// uintRange checks lo ≤ v ≤ hi.
func (c *flagChecks) uintRange(flag string, v, lo, hi uint64) {
	if v < lo || v > hi {
		c.add(flag, fmt.Sprint(v), "must be in [%d, %d]", lo, hi)
	}
}

// floatRange checks lo < v ≤ hi (open below when openLow) or lo ≤ v ≤ hi,
// and that v is a finite number.
func (c *flagChecks) floatRange(flag string, v, lo, hi float64, openLow bool) {
	bad := math.IsNaN(v) || math.IsInf(v, 0) || v > hi || v < lo || (openLow && v == lo)
	if !bad {
		return
	}
	br := "["
	if openLow {
		br = "("
	}
	c.add(flag, fmt.Sprint(v), "must be a number in %s%s, %s]", br,
		strconv.FormatFloat(lo, 'f', -1, 64), strconv.FormatFloat(hi, 'f', -1, 64))
}

// oneOf checks v is one of allowed.
func (c *flagChecks) oneOf(flag, v string, allowed ...string) {
	for _, a := range allowed {
		if v == a {
			return
		}
	}
	c.add(flag, fmt.Sprintf("%q", v), "want one of %s%s", strings.Join(allowed, ", "), suggest.Hint(v, allowed))
}

// notWith rejects flag when it was given although it does not apply.
func (c *flagChecks) notWith(flag, why string) {
	if c.given(flag) {
		v := c.fs.Lookup(flag).Value.String()
		c.add(flag, v, "does not apply %s; remove it", why)
	}
}

func (c *flagChecks) err() error { return errors.Join(c.errs...) }

// requireSubcommands makes every command that only groups subcommands
// (esbench schema, ...) reject a missing or unknown subcommand with an
// error and a suggestion, instead of printing help and exiting 0: cobra
// suggests only for the root unless the parent has Args and RunE.
func requireSubcommands(cmd *cobra.Command) {
	for _, c := range cmd.Commands() {
		requireSubcommands(c)
	}
	if cmd.Parent() == nil || !cmd.HasSubCommands() || cmd.Runnable() {
		return
	}
	cmd.Args = cobra.ArbitraryArgs
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		var names []string
		for _, s := range cmd.Commands() {
			if s.IsAvailableCommand() {
				names = append(names, s.Name())
			}
		}
		sort.Strings(names)
		if len(args) == 0 {
			return fmt.Errorf("%q needs a subcommand: %s", cmd.CommandPath(), strings.Join(names, ", "))
		}
		return fmt.Errorf("unknown command %q for %q (subcommands: %s)%s", args[0], cmd.CommandPath(), strings.Join(names, ", "), suggest.Hint(args[0], names))
	}
}
