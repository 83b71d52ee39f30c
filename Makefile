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

.PHONY: ci-bench ci-baseline fuzz build test unit-test bench run lint cassandra-up cassandra-down cassandra-status

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/esbench

## run: the main job — the default workload on the embedded pebble store.
run: build
	./$(BIN) run

## test: static checks (gofmt, vet, staticcheck, generated code), unit tests
## (-race for the concurrent packages), then the integration tests against a
## local Cassandra node that this target starts if none is running (and stops
## afterwards).
test:
	scripts/test.sh

## unit-test: everything that needs no Cassandra node.
unit-test:
	$(GO) test ./...

## bench: Go benchmarks in benchstat-compatible form.
bench:
	$(GO) test -run '^$$' -bench '$(BENCH)' -benchmem -benchtime $(BENCHTIME) -count $(COUNT) ./...

lint:
	scripts/lint.sh

## cassandra-up: a local node, or NODES=3 for a cluster on 127.0.0.1..3
## (docs/cassandra.md); cassandra-down stops every node it started.
NODES ?= 1
cassandra-up:
	ESBENCH_CASSANDRA_NODES=$(NODES) scripts/cassandra.sh up

cassandra-down:
	scripts/cassandra.sh down

cassandra-status:
	scripts/cassandra.sh status

## fuzz: a short run of every decoder's fuzz target (FUZZTIME each, default 3s).
fuzz:
	scripts/fuzz-short.sh $(or $(FUZZTIME),3s)

## ci-bench: a ~30 s run of bench/baseline/ci.yaml on the memory store into a
## fresh directory (CI_OUT, default a new temporary one), compared with the
## committed baseline; exits 3 on a regression (docs/ci.md). Not run by .ci/run:
## timings on a shared machine are too noisy to gate every change on.
CI_WORKLOAD   ?= bench/baseline/ci.yaml
CI_BASELINE   ?= bench/baseline/result
CI_OUT        ?=
CI_THRESHOLDS ?=
ci-bench: build
	@out="$(CI_OUT)"; [ -n "$$out" ] || out=$$(mktemp -d "$${TMPDIR:-/tmp}/esbench-ci.XXXXXX"); mkdir -p "$$out"; \
	./$(BIN) run $(CI_WORKLOAD) --store memory --out "$$out" --progress lines >"$$out/run.txt" || { cat "$$out/run.txt"; exit 1; }; \
	new=$$(ls -dt "$$out"/*/ | head -1); \
	./$(BIN) compare $(CI_BASELINE) "$$new" --workload $(CI_WORKLOAD) --out "$$out/compare.md" $(CI_THRESHOLDS)

## ci-baseline: refresh the committed baseline from a run on this machine
## (result.json and the interval logs only).
ci-baseline: build
	@out=$$(mktemp -d "$${TMPDIR:-/tmp}/esbench-ci.XXXXXX"); \
	./$(BIN) run $(CI_WORKLOAD) --store memory --out "$$out" --progress lines && \
	new=$$(ls -dt "$$out"/*/ | head -1) && \
	mkdir -p $(CI_BASELINE) && rm -f $(CI_BASELINE)/result.json $(CI_BASELINE)/*.hlog && \
	cp "$$new"result.json "$$new"*.hlog $(CI_BASELINE)/ && \
	echo "baseline refreshed from $$new"
