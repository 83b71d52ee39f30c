package main

// The store backends and targets the binary offers: each registers itself
// (name, flags, constructor) from init. Adding one is one import line here.
import (
	_ "github.com/esbench/esbench/examples/sqlitestore"
	_ "github.com/esbench/esbench/refimpl/store/cassandra"
	_ "github.com/esbench/esbench/refimpl/store/memory"
	_ "github.com/esbench/esbench/refimpl/store/pebble"
	_ "github.com/esbench/esbench/target/inproc"
	_ "github.com/esbench/esbench/target/remote"
)
