// Command esbench is the load-testing and benchmark harness for
// event-sourced services on Cassandra. This package holds flag parsing and
// wiring only; the work lives in bench, reports, workload and refimpl.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		// The first signal stops the work and lets the command write its
		// partial results; a second one exits at once.
		s := <-sigs
		fmt.Fprintf(os.Stderr, "esbench: %s: stopping and writing partial results (again to exit at once)\n", s)
		cancel(fmt.Errorf("%s", s))
		<-sigs
		fmt.Fprintln(os.Stderr, "esbench: second signal: exiting without writing results")
		os.Exit(exitInterrupted)
	}()
	if err := newRootCmd().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "esbench:", err)
		os.Exit(exitCode(err))
	}
}
