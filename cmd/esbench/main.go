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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newRootCmd().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "esbench:", err)
		os.Exit(exitCode(err))
	}
}
