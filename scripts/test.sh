#!/usr/bin/env bash
# The project's whole test suite: static checks (scripts/lint.sh), unit
# tests (those of concurrent packages under -race), then the integration tests
# against a real local Cassandra node (started here if none answers, and
# stopped again afterwards if this script started it).
#
#   ESBENCH_CASSANDRA=host:port   use that node instead of the local one; the
#                                 script then starts nothing
#   ESBENCH_SKIP_INTEGRATION=1    unit tests only (CI never sets this)
set -euo pipefail
cd "$(dirname "$0")/.."

# Packages whose tests need a Cassandra node. They also hold unit tests,
# which run in the second step together with the integration tests.
integration=(./refimpl/store/cassandra/...)

# CI runs on a fresh machine: the HTML report's browser test needs Chromium.
scripts/chromium.sh ensure
export ESBENCH_REQUIRE_BROWSER=1

# The .hlog compatibility test decodes esbench's interval logs with
# HdrHistogram's own Java HistogramLogProcessor (jar resolved by Maven).
ESBENCH_HDRHISTOGRAM_JAR=$(scripts/hdrhistogram.sh jar)
export ESBENCH_HDRHISTOGRAM_JAR

# Packages whose code runs concurrently (runner and recorder, the target,
# repository, service, stores, the generator's shared state, the codec
# registry): their tests run under the race detector, here and in the
# integration step.
race=(./bench ./target/... ./refimpl/repository ./refimpl/service ./refimpl/store/memory ./refimpl/store/pebble ./workload ./refimpl/codec/catalog)

scripts/lint.sh

echo "== unit tests"
mapfile -t integration_pkgs < <(go list "${integration[@]}")
mapfile -t race_pkgs < <(go list "${race[@]}")
mapfile -t unit_pkgs < <(go list ./... | grep -vxF -f <(printf '%s\n' "${integration_pkgs[@]}" "${race_pkgs[@]}"))
go test -count=1 "${unit_pkgs[@]}"
echo "== unit tests under the race detector"
go test -race -count=1 "${race_pkgs[@]}"

if [[ ${ESBENCH_SKIP_INTEGRATION:-} == 1 ]]; then
	echo "== integration tests skipped (ESBENCH_SKIP_INTEGRATION=1)"
	exit 0
fi

echo "== integration tests against Cassandra"
if [[ -n ${ESBENCH_CASSANDRA:-} ]]; then
	echo "using the node at ESBENCH_CASSANDRA=$ESBENCH_CASSANDRA"
else
	host=${ESBENCH_CASSANDRA_HOST:-127.0.0.1}
	port=${ESBENCH_CASSANDRA_PORT:-9042}
	export ESBENCH_CASSANDRA="$host:$port"
	if version=$(scripts/cassandra.sh ping); then
		echo "a Cassandra $version node already answers on $ESBENCH_CASSANDRA; using it"
	else
		# Stop the node again however this script ends, but only the node it
		# started itself.
		trap 'scripts/cassandra.sh down || true' EXIT
		trap 'exit 130' INT TERM
		scripts/cassandra.sh up
		# The fault tests kill and restart nodes: only nodes started here.
		export ESBENCH_FAULT_NODES_DIR="${ESBENCH_CASSANDRA_DIR:-$PWD/.cassandra}"
	fi
fi

# -p 1: the packages share one node, and a 2-core machine runs Cassandra and
# the tests side by side.
export ESBENCH_REQUIRE_CASSANDRA=1
go test -race -count=1 -p 1 -timeout 30m "${integration[@]}"
# The CLI's own Cassandra test (schema apply, --store cassandra); its unit
# tests already ran above.
go test -count=1 -p 1 -timeout 20m -run 'Cassandra' ./cmd/esbench/
# The documented commands marked `runnable cassandra` (docs/contributing.md).
go test -count=1 -p 1 -timeout 10m -run 'TestRunnableCommandsCassandra' ./docs/

# The steps below restart nodes: only when this script started the node
# above (ESBENCH_FAULT_NODES_DIR), never on a node it was given.
if [[ -z ${ESBENCH_FAULT_NODES_DIR:-} ]]; then
	echo "== TLS, password and 3-node cluster tests skipped: they need the nodes this script starts (ESBENCH_CASSANDRA was given)"
	exit 0
fi

# TLS and password authentication (docs/faults.md): the same node restarted
# with ESBENCH_CASSANDRA_SECURE=1, its certificate made with keytool.
echo "== TLS and password authentication on the local node"
scripts/cassandra.sh down
ESBENCH_CASSANDRA_SECURE=1 scripts/cassandra.sh up
secure_env=(ESBENCH_SECURE_CASSANDRA=127.0.0.1:9042 ESBENCH_SECURE_CA="$ESBENCH_FAULT_NODES_DIR/tls/node.pem" ESBENCH_REQUIRE_SECURE=1)
env "${secure_env[@]}" go test -count=1 -p 1 -timeout 10m -run 'TestSecureNode' ./refimpl/store/cassandra/
env "${secure_env[@]}" go test -count=1 -p 1 -timeout 10m -run 'TestCassandraSecureRun' ./cmd/esbench/
scripts/cassandra.sh down

# The fault tests on a local 3-node cluster (docs/faults.md): one node
# killed and restarted mid-run, then two; audits after each. The cluster's
# node 1 takes the single node's address, which is stopped above.
echo "== fault tests on a 3-node local cluster"
ESBENCH_CASSANDRA_NODES=3 scripts/cassandra.sh up
ESBENCH_CLUSTER_NODES=3 go test -count=1 -p 1 -timeout 20m -run 'TestClusterFaults' ./cmd/esbench/
scripts/cassandra.sh down
