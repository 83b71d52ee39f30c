// Command esbench is the load-testing and benchmark harness for
// event-sourced services on Cassandra. This package holds flag parsing and
// wiring only; the work lives in bench, reports, workload and refimpl.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go handleSignals(sigs, cancel, os.Exit, os.Stderr)
	if err := newRootCmd().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "esbench:", err)
		os.Exit(exitCode(err))
	}
}

// handleSignals cancels the command on the first signal, so it stops and
// writes its partial results, and exits at once (exitInterrupted) on a
// second: a user who presses Ctrl-C twice wants out now.
func handleSignals(sigs <-chan os.Signal, cancel context.CancelCauseFunc, exit func(int), stderr io.Writer) {
	s, ok := <-sigs
	if !ok {
		return
	}
	// Commands differ in what stopping means (a run writes partial results,
	// serve drains its requests), so the message names none of it.
	fmt.Fprintf(stderr, "esbench: %s: stopping cleanly (again to exit at once)\n", s)
	cancel(fmt.Errorf("%s", s))
	if _, ok := <-sigs; !ok {
		return
	}
	fmt.Fprintln(stderr, "esbench: second signal: exiting at once")
	exit(exitInterrupted)
}
