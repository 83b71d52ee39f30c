#!/usr/bin/env bash
# The network path's cost (docs/benchmarks.md, "The network API"): the same
# seeded default workload on the memory store, at the same open-loop rate,
# against the in-process service, `esbench serve` over loopback gRPC, and
# over loopback HTTP JSON. For each it prints the client's and the server's
# CPU per operation (getrusage of each process, user + system) and p50/p99
# of acquire and check from result.json. Fixed costs (start-up, preload,
# warmup) cancel: each mode runs twice, for SHORT and for DURATION, and the
# CPU per operation is the difference in CPU over the difference in
# operations executed. The client runs with --no-spin, so its CPU is its
# work and not the spin-wait before each intended start. Run it from the
# repository root:
#
#   scripts/bench-api.sh    # RATE=200 DURATION=20s SHORT=5s CUSTOMERS=1000 REPEAT=3
#
# Every setting is an environment variable; REPEAT runs the three modes that
# many times, interleaved, so a busy neighbour hurts all three alike.
set -euo pipefail
cd "$(dirname "$0")/.."

RATE=${RATE:-200}
DURATION=${DURATION:-20s}
SHORT=${SHORT:-5s}
CUSTOMERS=${CUSTOMERS:-1000}
REPEAT=${REPEAT:-3}
WORKERS=${WORKERS:-16}

work=$(mktemp -d -t esbench-bench-api-XXXXXX)
trap 'rm -rf "$work"' EXIT
go build -o "$work/esbench" ./cmd/esbench
bin=$work/esbench

# rusage CMD...: runs CMD, writes its pid to $work/pid while it runs, and
# prints "user+sys seconds" of the finished child to stderr's last line.
rusage() {
	python3 - "$work/pid" "$@" <<'EOF'
import resource, subprocess, sys
p = subprocess.Popen(sys.argv[2:])
open(sys.argv[1], "w").write(str(p.pid))
rc = p.wait()
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.3f" % (r.ru_utime + r.ru_stime), file=sys.stderr)
sys.exit(rc)
EOF
}

# summary DIR: executed ops and corrected p50/p99 (µs) of acquire and check.
summary() {
	python3 - "$1" <<'EOF'
import json, glob, sys
res = json.load(open(glob.glob(sys.argv[1] + "/*/result.json")[0]))
run = [r for r in res["runs"] if "preload" not in r["name"]][-1]
ops = {o["op"]: o for o in run["operations"]}
executed = sum(r["executed"] for r in res["runs"] if "preload" not in r["name"])
out = [str(executed)]
for name in ("acquire", "check"):
    c = ops[name]["corrected"]
    out += ["%.0f" % (c["p50_ns"] / 1e3), "%.0f" % (c["p99_ns"] / 1e3)]
print(" ".join(out))
EOF
}

common=(default --customers "$CUSTOMERS" --rate "$RATE" --workers "$WORKERS" --warmup 2s --progress none --seed 7 --no-spin)

# one MODE DURATION OUT: runs one measurement and prints "client_cpu
# server_cpu" (seconds).
one() {
	local mode=$1 dur=$2 out=$3 client_cpu server_cpu=0
	if [[ $mode == inproc ]]; then
		client_cpu=$(rusage "$bin" run "${common[@]}" --duration "$dur" --store memory --out "$out" 2>&1 >/dev/null | tail -1)
	else
		rm -f "$work/serve.out" "$work/pid"
		rusage "$bin" serve --store memory --listen 127.0.0.1:0 --snapshot every:100 --codec json \
			>"$work/serve.out" 2>"$work/serve.err" &
		local wrapper=$!
		for _ in $(seq 400); do grep -q 'listening on' "$work/serve.out" 2>/dev/null && break; sleep 0.05; done
		local url spid
		url=$(sed -n 's/.*listening on //p' "$work/serve.out")
		spid=$(cat "$work/pid")
		client_cpu=$(rusage "$bin" run "${common[@]}" --duration "$dur" --target "$url" --remote-protocol "$mode" --out "$out" 2>&1 >/dev/null | tail -1)
		kill -TERM "$spid"
		wait "$wrapper" || true
		server_cpu=$(tail -1 "$work/serve.err")
	fi
	echo "$client_cpu $server_cpu"
}

printf '%-8s %3s %10s %12s %12s %9s %9s %9s %9s\n' mode rep ops client_us/op server_us/op acq_p50us acq_p99us chk_p50us chk_p99us
for rep in $(seq "$REPEAT"); do
	for mode in inproc grpc json; do
		read -r c1 s1 < <(one "$mode" "$SHORT" "$work/$mode-$rep-short")
		read -r c2 s2 < <(one "$mode" "$DURATION" "$work/$mode-$rep")
		read -r ops1 _ < <(summary "$work/$mode-$rep-short")
		read -r ops2 ap50 ap99 cp50 cp99 < <(summary "$work/$mode-$rep")
		d=$((ops2 - ops1))
		printf '%-8s %3d %10d %12.1f %12.1f %9s %9s %9s %9s\n' "$mode" "$rep" "$d" \
			"$(echo "($c2 - $c1) * 1000000 / $d" | bc -l)" "$(echo "($s2 - $s1) * 1000000 / $d" | bc -l)" \
			"$ap50" "$ap99" "$cp50" "$cp99"
	done
done
