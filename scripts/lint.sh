#!/usr/bin/env bash
# Static checks, run by scripts/test.sh (and so by CI) before the tests:
# gofmt, go vet, staticcheck, and that the generated code is what its
# generators produce today. Every tool is a go.mod tool directive, so nothing
# needs installing and go.mod pins the versions. See docs/ci.md.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== gofmt"
out=$(gofmt -l $(git ls-files '*.go'))
if [[ -n $out ]]; then
	echo "gofmt needed:" >&2
	echo "$out" >&2
	exit 1
fi

echo "== go vet"
go vet ./...

echo "== staticcheck"
go tool staticcheck ./...

echo "== generated code is current"
# Hash every tracked and untracked file before and after go generate, so the
# check also works in a working tree with uncommitted changes. flatc is not a
# Go module: its directives are skipped here, and a test checks instead that
# each .fbs is the one its code was generated from (docs/ci.md).
snapshot() { git ls-files -co --exclude-standard -z | xargs -0 sha256sum; }
before=$(snapshot)
go generate -skip flatc ./...
after=$(snapshot)
if [[ $before != "$after" ]]; then
	echo "go generate changed generated files; run it and commit the result:" >&2
	diff <(echo "$before") <(echo "$after") | sed -n 's/^> [0-9a-f]*  /  /p' >&2
	exit 1
fi
