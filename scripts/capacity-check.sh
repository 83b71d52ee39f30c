#!/usr/bin/env bash
# Confirms a capacity search's sustainable rate with fixed-rate runs: one at
# 0.9× the rate must meet every SLO (esbench run exits 0) and one at 1.2×
# must break one (exit 3, a threshold failed). A benchmark-style check, not
# part of scripts/test.sh: on a shared or busy machine the latencies of two
# runs minutes apart can differ by more than the 10% margin, so a failure
# here says "re-run on a quiet machine" as often as "the search is wrong".
#
#   scripts/capacity-check.sh WORKLOAD OUT [esbench run flags…]
#
# WORKLOAD is a capacity workload (a file or the preset name "capacity"),
# OUT a directory this script creates for the three result directories.
# Extra flags (--store …) go to every run.
set -euo pipefail
[[ $# -ge 2 ]] || { echo "usage: scripts/capacity-check.sh WORKLOAD OUT [esbench run flags…]" >&2; exit 2; }
workload=$1 out=$2
shift 2
esbench=${ESBENCH:-esbench}
[[ ! -e $out ]] || { echo "capacity-check: $out exists; name a new directory" >&2; exit 2; }
mkdir -p "$out"

# The workload as a file, for the fixed-rate variant.
if [[ -f $workload ]]; then
	cp "$workload" "$out/capacity.yaml"
else
	"$esbench" presets "$workload" >"$out/capacity.yaml"
fi

echo "== capacity search"
"$esbench" run "$out/capacity.yaml" --out "$out/search" --progress none "$@" | tail -n 3
result=$(ls -d "$out"/search/*/result.json)
read -r rate achieved < <(python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["capacity"]; print(c["sustainable_rate"], c["sustainable_achieved"])' "$result")
if [[ $rate == 0 || $rate == 0.0 ]]; then
	echo "capacity-check: the search found no sustainable rate; nothing to confirm" >&2
	exit 1
fi
echo "sustainable rate: $rate/s (achieved $achieved/s)"

# The same workload as a fixed-rate mixed run whose thresholds are the SLOs.
awk '
	/^experiment:/ { print "experiment: mixed"; next }
	/^  slos:/ { inslo = 1; next }
	inslo && /^    - / { slos = slos $0 "\n"; next }
	{ inslo = 0; print }
	END { printf "thresholds:\n%s", slos }
' "$out/capacity.yaml" >"$out/fixed.yaml"

status=0
for factor in 0.9 1.2; do
	r=$(python3 -c "print(round($rate * $factor, 1))")
	echo "== fixed rate ${factor}× = $r/s"
	set +e
	"$esbench" run "$out/fixed.yaml" --rate "$r" --out "$out/fixed-$factor" --progress none "$@" | sed -n '/^thresholds:/,$p'
	code=${PIPESTATUS[0]}
	set -e
	want=0
	[[ $factor == 1.2 ]] && want=3
	if [[ $code == "$want" ]]; then
		echo "ok: exit $code at ${factor}× as expected"
	else
		echo "MISMATCH: exit $code at ${factor}×, want $want"
		status=1
	fi
done
exit $status
