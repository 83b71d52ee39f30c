#!/usr/bin/env bash
# Debian's headless-capable Chromium, which the HTML report's browser test
# (reports/html_browser_test.go) drives over the DevTools protocol.
#
#   scripts/chromium.sh ensure    install the chromium package unless
#                                 /usr/bin/chromium is already there
#   scripts/chromium.sh version   print the installed Chromium's version
#
# Installing needs root (or sudo) and a Debian-like system with apt-get.
set -euo pipefail

bin=/usr/bin/chromium

have() { [[ -x $bin ]]; }

install() {
	local sudo=()
	if [[ $(id -u) != 0 ]]; then
		if ! command -v sudo >/dev/null; then
			echo "chromium.sh: $bin is missing and installing it needs root (no sudo found)" >&2
			return 1
		fi
		sudo=(sudo)
	fi
	if ! command -v apt-get >/dev/null; then
		echo "chromium.sh: $bin is missing and there is no apt-get to install Debian's chromium package" >&2
		return 1
	fi
	echo "chromium.sh: installing Debian's chromium package" >&2
	local log
	log=$(mktemp)
	# Quiet on success; on failure show apt's own words, which say why.
	if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$log" 2>&1 ||
		! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >>"$log" 2>&1; then
		tail -n 20 "$log" >&2
		rm -f "$log"
		echo "chromium.sh: installing chromium failed (see apt-get output above)" >&2
		return 1
	fi
	rm -f "$log"
	if ! have; then
		echo "chromium.sh: apt-get installed chromium but $bin is still missing" >&2
		return 1
	fi
}

case ${1:-} in
ensure)
	have || install
	;;
version)
	# Debian's wrapper script prints a harmless shell warning on stderr.
	"$bin" --version 2>/dev/null
	;;
*)
	echo "usage: $0 ensure|version" >&2
	exit 2
	;;
esac
