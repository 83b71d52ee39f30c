# esbench — build, test and benchmark entry points. The README's two set-up
# commands are `make run` and `make test`; .ci/run calls `make test`.
GO      ?= go
BIN     ?= bin/esbench
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS := -X github.com/esbench/esbench/internal/buildinfo.Version=$(VERSION) -X github.com/esbench/esbench/internal/buildinfo.Commit=$(COMMIT)
BENCH   ?= .
BENCHTIME ?= 1x
COUNT   ?= 1

.PHONY: fuzz build test unit-test bench run lint cassandra-up cassandra-down cassandra-status

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/esbench

## run: the main job — the default workload on the embedded pebble store.
run: build
	./$(BIN) run

## test: vet, unit tests, then the integration tests against a local Cassandra
## node that this target starts if none is running (and stops afterwards).
test:
	$(GO) vet ./...
	scripts/test.sh

## unit-test: everything that needs no Cassandra node.
unit-test:
	$(GO) test ./...

## bench: Go benchmarks in benchstat-compatible form.
bench:
	$(GO) test -run '^$$' -bench '$(BENCH)' -benchmem -benchtime $(BENCHTIME) -count $(COUNT) ./...

lint:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

cassandra-up:
	scripts/cassandra.sh up

cassandra-down:
	scripts/cassandra.sh down

cassandra-status:
	scripts/cassandra.sh status

## fuzz: a short run of every decoder's fuzz target (FUZZTIME each, default 3s).
fuzz:
	scripts/fuzz-short.sh $(or $(FUZZTIME),3s)
