package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// listenFor opens addr for the flag named flag, before any work starts, so
// a taken port or a malformed address is an error naming the flag.
func listenFor(flag, addr string) (net.Listener, error) {
	if addr == "" {
		return nil, fmt.Errorf("--%s: empty address (want HOST:PORT, e.g. 127.0.0.1:9464 or :9464)", flag)
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return nil, fmt.Errorf("--%s %q: %v (want HOST:PORT, e.g. 127.0.0.1:9464 or :9464)", flag, addr, err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--%s %q: %w", flag, addr, err)
	}
	return ln, nil
}

// serveHTTP serves h on ln until the returned stop function is called;
// stop waits up to a second for scrapes in progress.
func serveHTTP(ln net.Listener, h http.Handler, errLog io.Writer) (stop func()) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintf(errLog, "esbench: serving %s: %v\n", ln.Addr(), err)
		}
	}()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-done
	}
}
