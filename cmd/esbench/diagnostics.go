package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime"
	runpprof "runtime/pprof"
	"strings"

	"github.com/spf13/cobra"
)

// diagnostics are the flags every command takes for looking at esbench
// itself: its log and its CPU and memory profiles.
type diagnostics struct {
	logLevel, logFormat    string
	cpuProfile, memProfile string
	pprofListen            string
}

func (d *diagnostics) register(root *cobra.Command) {
	fs := root.PersistentFlags()
	fs.StringVar(&d.logLevel, "log-level", "warn", "log level on stderr: debug, info, warn or error (store failures and fallbacks are warn, domain rejections debug; at most 10 a second)")
	fs.StringVar(&d.logFormat, "log-format", "text", "log format on stderr: text or json")
	fs.StringVar(&d.cpuProfile, "cpuprofile", "", "write a CPU profile of the command to FILE (go tool pprof)")
	fs.StringVar(&d.memProfile, "memprofile", "", "write a heap profile to FILE when the command ends (go tool pprof)")
	fs.StringVar(&d.pprofListen, "pprof-listen", "", "serve net/http/pprof at http://ADDR/debug/pprof/ while the command runs (HOST:PORT)")
}

// logger builds the command's logger from the flags.
func (d *diagnostics) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	switch strings.ToLower(d.logLevel) {
	case "debug":
		level = slog.LevelDebug
	case "info":
		level = slog.LevelInfo
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	default:
		return nil, fmt.Errorf("--log-level %q: must be debug, info, warn or error", d.logLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch d.logFormat {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: must be text or json", d.logFormat)
}

// start checks the flags and starts what they ask for, before the command
// does any work; the returned function stops it and writes the profiles.
func (d *diagnostics) start(cmd *cobra.Command) (stop func() error, err error) {
	if _, err := d.logger(io.Discard); err != nil {
		return nil, err
	}
	var stops []func() error
	stop = func() error {
		var errs []error
		for i := len(stops) - 1; i >= 0; i-- {
			errs = append(errs, stops[i]())
		}
		return errors.Join(errs...)
	}
	fail := func(e error) (func() error, error) {
		_ = stop()
		return nil, e
	}
	flags := cmd.Flags()
	if flags.Changed("pprof-listen") {
		ln, err := listenFor("pprof-listen", d.pprofListen)
		if err != nil {
			return fail(err)
		}
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		shut := serveHTTP(ln, mux, cmd.ErrOrStderr())
		stops = append(stops, func() error { shut(); return nil })
		fmt.Fprintf(cmd.ErrOrStderr(), "esbench: pprof on http://%s/debug/pprof/\n", ln.Addr())
	}
	if flags.Changed("memprofile") {
		if d.memProfile == "" {
			return fail(errors.New("--memprofile: empty file name"))
		}
		f, err := createNew(d.memProfile)
		if err != nil {
			return fail(fmt.Errorf("--memprofile: %w", err))
		}
		stops = append(stops, func() error {
			runtime.GC() // the heap as it is, not as of the last collection
			err := runpprof.Lookup("heap").WriteTo(f, 0)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return fmt.Errorf("--memprofile: %w", err)
			}
			return nil
		})
	}
	if flags.Changed("cpuprofile") {
		if d.cpuProfile == "" {
			return fail(errors.New("--cpuprofile: empty file name"))
		}
		f, err := createNew(d.cpuProfile)
		if err != nil {
			return fail(fmt.Errorf("--cpuprofile: %w", err))
		}
		if err := runpprof.StartCPUProfile(f); err != nil {
			f.Close()
			return fail(fmt.Errorf("--cpuprofile: %w", err))
		}
		stops = append(stops, func() error {
			runpprof.StopCPUProfile()
			if err := f.Close(); err != nil {
				return fmt.Errorf("--cpuprofile: %w", err)
			}
			return nil
		})
	}
	return stop, nil
}

// wrap makes every runnable command start the diagnostics before its work
// and stop them after it, whether it succeeded or not.
func (d *diagnostics) wrap(cmd *cobra.Command) {
	for _, c := range cmd.Commands() {
		d.wrap(c)
	}
	if cmd.RunE == nil {
		return
	}
	run := cmd.RunE
	cmd.RunE = func(c *cobra.Command, args []string) error {
		stop, err := d.start(c)
		if err != nil {
			return err
		}
		err = run(c, args)
		return errors.Join(err, stop())
	}
}

// commandLogger is the logger the root's --log-level and --log-format ask
// for, writing to the command's stderr.
func commandLogger(cmd *cobra.Command) (*slog.Logger, error) {
	d := diagnostics{}
	var err error
	if d.logLevel, err = cmd.Flags().GetString("log-level"); err != nil {
		return nil, err
	}
	if d.logFormat, err = cmd.Flags().GetString("log-format"); err != nil {
		return nil, err
	}
	return d.logger(cmd.ErrOrStderr())
}

// createNew creates a profile file that must not exist yet: a path naming
// an existing file is the user's, and esbench never overwrites it.
func createNew(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("%s exists: esbench writes a profile only to a new file and never overwrites one; give another path", path)
	}
	return f, err
}
