#!/usr/bin/env bash
# Runs every codec decoder fuzz target, and the domain's (decisions, folds,
# the snapshot title block's checker), for a few seconds each (FUZZTIME,
# default 3s). `go test` alone already runs each target's seed corpus; this
# explores beyond it. Usage: scripts/fuzz-short.sh [fuzztime]
set -euo pipefail
cd "$(dirname "$0")/.."
t="${1:-${FUZZTIME:-3s}}"
for pkg in $(go list ./refimpl/codec/... ./refimpl/domain); do
	for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
		echo "== $pkg $target ($t)"
		go test "$pkg" -run '^$' -fuzz "^${target}\$" -fuzztime "$t"
	done
done
