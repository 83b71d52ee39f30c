#!/usr/bin/env bash
# Resolves HdrHistogram's Java jar (scripts/hdrhistogram/pom.xml) with Maven
# and prints its path. scripts/test.sh exports it as ESBENCH_HDRHISTOGRAM_JAR
# for the test that decodes esbench's .hlog files with HdrHistogram's own
# HistogramLogProcessor.
#
#   scripts/hdrhistogram.sh jar     resolve (once per pom version) and print the jar
#
#   ESBENCH_HDRHISTOGRAM_DIR   where the jar is copied [<repo>/.hdrhistogram]
#   MVN                        the mvn command [mvn]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
conf="$repo/scripts/hdrhistogram"
dir=${ESBENCH_HDRHISTOGRAM_DIR:-"$repo/.hdrhistogram"}
lib="$dir/lib"
mvn_cmd=${MVN:-mvn}

die() {
	echo "hdrhistogram.sh: $*" >&2
	exit 1
}

jar() {
	local stamp="$lib/.pom.sha256" sum found
	sum=$(sha256sum "$conf/pom.xml" | cut -d' ' -f1)
	if ! [[ -f $stamp && $(<"$stamp") == "$sum" ]] || ! compgen -G "$lib/HdrHistogram-*.jar" >/dev/null; then
		command -v "$mvn_cmd" >/dev/null 2>&1 ||
			die "mvn (Apache Maven) not found: it resolves HdrHistogram's jar from Maven Central. Install it (Debian: apt-get install maven) or set MVN."
		rm -rf "$lib"
		mkdir -p "$dir"
		if ! "$mvn_cmd" -B -q -f "$conf/pom.xml" dependency:copy-dependencies \
			-DincludeScope=runtime -DoutputDirectory="$lib" >"$dir/mvn.log" 2>&1; then
			tail -n 30 "$dir/mvn.log" >&2
			die "Maven could not resolve HdrHistogram's jar (full log: $dir/mvn.log)"
		fi
		echo "$sum" >"$stamp"
	fi
	found=$(compgen -G "$lib/HdrHistogram-*.jar" | head -n 1) ||
		die "Maven finished but $lib has no HdrHistogram jar (log: $dir/mvn.log)"
	echo "$found"
}

case ${1:-} in
jar) jar ;;
*) die "usage: scripts/hdrhistogram.sh jar" ;;
esac
