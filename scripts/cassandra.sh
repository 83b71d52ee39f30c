#!/usr/bin/env bash
# A local single-node Apache Cassandra 5.0 for esbench's integration tests
# and benchmarks: Maven resolves cassandra-all and its runtime jars
# (scripts/cassandra/pom.xml), java runs CassandraDaemon on 127.0.0.1 with a
# cassandra.yaml generated into a scratch run directory.
#
#   scripts/cassandra.sh up       resolve jars if needed, start, wait for CQL
#   scripts/cassandra.sh down     stop the node this script started
#   scripts/cassandra.sh status   say whether it runs and whether CQL answers
#   scripts/cassandra.sh ping     exit 0 if a node answers CQL on the port
#   scripts/cassandra.sh logs     print the tail of the node's log
#   scripts/cassandra.sh jars     only resolve the jars (no node is started)
#   scripts/cassandra.sh clean    stop it and delete its data and jars
#
# Environment (defaults in brackets):
#   ESBENCH_CASSANDRA_DIR            scratch directory [<repo>/.cassandra]
#   ESBENCH_CASSANDRA_HOST           listen and CQL address [127.0.0.1]
#   ESBENCH_CASSANDRA_PORT           CQL port [9042]
#   ESBENCH_CASSANDRA_STORAGE_PORT   inter-node port [7000]
#   ESBENCH_CASSANDRA_HEAP           JVM heap [1G]
#   ESBENCH_CASSANDRA_START_TIMEOUT  seconds to wait for CQL [180]
#   JAVA, MVN                        the java and mvn commands [java, mvn]
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
conf="$repo/scripts/cassandra"
dir=${ESBENCH_CASSANDRA_DIR:-"$repo/.cassandra"}
host=${ESBENCH_CASSANDRA_HOST:-127.0.0.1}
cql_port=${ESBENCH_CASSANDRA_PORT:-9042}
storage_port=${ESBENCH_CASSANDRA_STORAGE_PORT:-7000}
heap=${ESBENCH_CASSANDRA_HEAP:-1G}
start_timeout=${ESBENCH_CASSANDRA_START_TIMEOUT:-180}
java_cmd=${JAVA:-java}
mvn_cmd=${MVN:-mvn}

lib="$dir/lib"
run="$dir/run"
pidfile="$dir/cassandra.pid"
syslog="$run/logs/system.log"
stdoutlog="$run/logs/stdout.log"

say() { printf 'cassandra: %s\n' "$*"; }
die() {
	printf 'cassandra: error: %s\n' "$*" >&2
	exit 1
}

# show_log prints the last lines of the node's logs, the evidence for any
# start-up failure.
show_log() {
	local n=${1:-40} f
	for f in "$syslog" "$stdoutlog"; do
		if [[ -s $f ]]; then
			printf -- '--- last %d lines of %s ---\n' "$n" "$f" >&2
			tail -n "$n" "$f" >&2
		fi
	done
}

# cql_ping speaks the CQL native protocol (v4) over bash's /dev/tcp: STARTUP,
# then SELECT release_version FROM system.local. It prints the version and
# succeeds only when the node answers the query, which is the readiness the
# tests need (an open port alone is not).
cql_ping() {
	timeout 10 bash -c '
		set -e
		exec 3<>"/dev/tcp/$1/$2"
		frame() { # read one response frame; print opcode, then the body as text
			local h op len
			h=$(head -c 9 <&3 | od -An -tu1 -v)
			set -- $h
			[[ $# -eq 9 ]] || return 1
			op=$5
			len=$(( ($6 << 24) | ($7 << 16) | ($8 << 8) | $9 ))
			echo "$op"
			if (( len > 0 )); then head -c "$len" <&3 | tr -c "[:print:]" "."; fi
			echo
		}
		# STARTUP {CQL_VERSION: 3.0.0}
		printf "\x04\x00\x00\x01\x01\x00\x00\x00\x16\x00\x01\x00\x0bCQL_VERSION\x00\x053.0.0" >&3
		r=$(frame)
		[[ ${r%%$'"'"'\n'"'"'*} == 2 ]] || exit 1 # READY
		q="SELECT release_version FROM system.local"
		printf "\x04\x00\x00\x02\x07\x00\x00\x00\x2f\x00\x00\x00\x28%s\x00\x01\x00" "$q" >&3
		r=$(frame)
		[[ ${r%%$'"'"'\n'"'"'*} == 8 ]] || exit 1 # RESULT
		v=$(grep -o "[0-9][0-9]*\.[0-9][0-9]*\.[0-9][0-9]*[^.]*" <<<"${r#*$'"'"'\n'"'"'}" | tail -n 1)
		[[ -n $v ]] || exit 1
		echo "$v"
	' cql_ping "$host" "$cql_port" 2>/dev/null
}

# our_pid prints the pid of the node this script started, if it still runs.
# The command line must name our run directory, so a recycled pid is never
# mistaken for the node.
our_pid() {
	[[ -f $pidfile ]] || return 1
	local pid
	pid=$(<"$pidfile")
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	[[ -r /proc/$pid/cmdline ]] || return 1
	local cmdline
	cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline")
	[[ $cmdline == *" -Dcassandra.storagedir=$run "* ]] || return 1
	echo "$pid"
}

# port_user describes whatever listens on a TCP port, or fails if nothing does.
port_user() {
	local port=$1 out
	if command -v ss >/dev/null 2>&1; then
		out=$(ss -Hltnp "sport = :$port" 2>/dev/null || true)
		[[ -n $out ]] || return 1
		echo "$out" | head -n 1
		return 0
	fi
	if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then
		echo "a process accepting connections on $host:$port"
		return 0
	fi
	return 1
}

need() {
	command -v "$1" >/dev/null 2>&1 || die "$2"
}

# resolve_jars copies cassandra-all and its runtime dependencies into $lib,
# once per version of the pom (the stamp records the pom's checksum).
resolve_jars() {
	local stamp="$lib/.pom.sha256" sum
	sum=$(sha256sum "$conf/pom.xml" | cut -d' ' -f1)
	if [[ -f $stamp && $(<"$stamp") == "$sum" ]] && compgen -G "$lib/cassandra-all-*.jar" >/dev/null; then
		return 0
	fi
	need "$mvn_cmd" "mvn (Apache Maven) not found: it resolves Cassandra's jars from Maven Central. Install it (Debian: apt-get install maven) or set MVN."
	say "resolving org.apache.cassandra:cassandra-all with Maven into $lib (about 70 MB on first run; cached in ~/.m2)"
	rm -rf "$lib"
	mkdir -p "$dir"
	if ! "$mvn_cmd" -B -q -f "$conf/pom.xml" dependency:copy-dependencies \
		-DincludeScope=runtime -DoutputDirectory="$lib" >"$dir/mvn.log" 2>&1; then
		tail -n 30 "$dir/mvn.log" >&2
		die "Maven could not resolve Cassandra's jars (full log: $dir/mvn.log)"
	fi
	compgen -G "$lib/cassandra-all-*.jar" >/dev/null || die "Maven finished but $lib has no cassandra-all jar (log: $dir/mvn.log)"
	echo "$sum" >"$stamp"
}

java_major() {
	local v
	v=$("$java_cmd" -version 2>&1 | head -n 1 | sed -E 's/.*version "([0-9]+)(\.[0-9]+)?.*/\1\2/')
	case $v in
	1.*) echo "${v#1.}" ;;
	*) echo "${v%%.*}" ;;
	esac
}

write_config() {
	mkdir -p "$run/logs" "$run/jna" "$run/tmp"
	sed -e "s|@LISTEN_ADDRESS@|$host|g" \
		-e "s|@STORAGE_PORT@|$storage_port|g" \
		-e "s|@CQL_PORT@|$cql_port|g" \
		-e "s|@RUN_DIR@|$run|g" \
		"$conf/cassandra.yaml.in" >"$run/cassandra.yaml"
	cp "$conf/logback.xml" "$run/logback.xml"
}

jvm_args() {
	local jamm
	jamm=$(compgen -G "$lib/jamm-*.jar" | head -n 1 || true)
	local args=(
		-Xms"$heap" -Xmx"$heap" -Xss256k
		-XX:+UseG1GC -XX:+ParallelRefProcEnabled -XX:MaxTenuringThreshold=1
		-XX:+UseThreadPriorities -XX:+HeapDumpOnOutOfMemoryError
		-XX:HeapDumpPath="$run"
		-XX:+ExitOnOutOfMemoryError -XX:+PerfDisableSharedMem
		-ea -da:net.openhft...
		-Djava.net.preferIPv4Stack=true -Djdk.attach.allowAttachSelf=true
		--add-exports java.base/jdk.internal.misc=ALL-UNNAMED
		--add-exports java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED
		--add-exports java.rmi/sun.rmi.registry=ALL-UNNAMED
		--add-exports java.rmi/sun.rmi.server=ALL-UNNAMED
		--add-exports java.sql/java.sql=ALL-UNNAMED
		--add-exports java.base/java.lang.ref=ALL-UNNAMED
		--add-exports jdk.unsupported/sun.misc=ALL-UNNAMED
		--add-exports jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED
		--add-exports jdk.attach/sun.tools.attach=ALL-UNNAMED
		--add-opens java.base/java.lang.module=ALL-UNNAMED
		--add-opens java.base/jdk.internal.loader=ALL-UNNAMED
		--add-opens java.base/jdk.internal.ref=ALL-UNNAMED
		--add-opens java.base/jdk.internal.reflect=ALL-UNNAMED
		--add-opens java.base/jdk.internal.math=ALL-UNNAMED
		--add-opens java.base/jdk.internal.module=ALL-UNNAMED
		--add-opens java.base/jdk.internal.util.jar=ALL-UNNAMED
		--add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED
		--add-opens java.base/sun.nio.ch=ALL-UNNAMED
		--add-opens java.base/java.io=ALL-UNNAMED
		--add-opens java.base/java.lang.reflect=ALL-UNNAMED
		--add-opens jdk.compiler/com.sun.tools.javac=ALL-UNNAMED
		--add-opens java.base/java.lang=ALL-UNNAMED
		--add-opens java.base/java.util=ALL-UNNAMED
		--add-opens java.base/java.nio=ALL-UNNAMED
		--add-opens java.base/java.nio.charset=ALL-UNNAMED
		-Dio.netty.tryReflectionSetAccessible=true
		-Dchronicle.analytics.disable=true
		-Djava.security.manager=allow
		-Djna.tmpdir="$run/jna"
		-Djava.io.tmpdir="$run/tmp"
		-Dcassandra.config="file://$run/cassandra.yaml"
		-Dcassandra.storagedir="$run"
		-Dcassandra.logdir="$run/logs"
		-Dlogback.configurationFile="$run/logback.xml"
		-Dcassandra-foreground=yes
		-Dcassandra.skip_wait_for_gossip_to_settle=0
		-Dcassandra.superuser_setup_delay_ms=0
	)
	if [[ -n $jamm ]]; then
		args+=(-javaagent:"$jamm")
	fi
	printf '%s\n' "${args[@]}"
}

cmd_up() {
	local pid v
	if pid=$(our_pid); then
		if v=$(cql_ping); then
			say "already running (pid $pid, Cassandra $v, CQL on $host:$cql_port)"
			return 0
		fi
		say "node pid $pid is running but CQL does not answer yet; waiting"
		wait_ready "$pid"
		return
	fi
	need "$java_cmd" "java not found: Cassandra 5.0 needs Java 11 or 17 (Debian: apt-get install openjdk-17-jre-headless) or set JAVA."
	local major
	major=$(java_major)
	case $major in
	11 | 17) ;;
	*) die "java is version '$major' ($("$java_cmd" -version 2>&1 | head -n 1)); Cassandra 5.0 runs on Java 11 or 17. Set JAVA to a Java 17 binary." ;;
	esac
	local p user
	for p in "$cql_port" "$storage_port"; do
		if user=$(port_user "$p"); then
			if [[ $p == "$cql_port" ]] && v=$(cql_ping); then
				die "port $p is taken: a Cassandra $v node not started by this script answers CQL on $host:$p. Use it (ESBENCH_CASSANDRA=$host:$p) or stop it; or set ESBENCH_CASSANDRA_PORT. Listener: $user"
			fi
			die "port $p on $host is already taken ($user); stop that process or set ESBENCH_CASSANDRA_PORT / ESBENCH_CASSANDRA_STORAGE_PORT"
		fi
	done
	resolve_jars
	write_config
	local -a args
	mapfile -t args < <(jvm_args)
	# A fresh log per start, so the tail shown on failure is this start's.
	[[ -f $syslog ]] && mv -f "$syslog" "$syslog.prev"
	: >"$stdoutlog"
	say "starting Cassandra ($(basename "$(compgen -G "$lib/cassandra-all-*.jar" | head -n 1)" .jar)) on $host:$cql_port, data in $run"
	# setsid: the node outlives this script and its terminal's signals; it is
	# stopped only through `down`.
	setsid "$java_cmd" "${args[@]}" -cp "$lib/*" org.apache.cassandra.service.CassandraDaemon \
		</dev/null >>"$stdoutlog" 2>&1 &
	pid=$!
	echo "$pid" >"$pidfile"
	wait_ready "$pid"
}

# alive: the process exists and is not a zombie (the node is this script's
# child until the script exits, so a dead node lingers as a zombie).
alive() {
	local state
	kill -0 "$1" 2>/dev/null || return 1
	state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[[ $state != Z ]]
}

wait_ready() {
	local pid=$1 start=$SECONDS v
	while :; do
		if ! alive "$pid"; then
			rm -f "$pidfile"
			show_log 40
			die "the node (pid $pid) died during start-up; see the log above (full logs in $run/logs)"
		fi
		if v=$(cql_ping); then
			say "ready after $((SECONDS - start)) s: Cassandra $v, CQL on $host:$cql_port, pid $pid"
			return 0
		fi
		if ((SECONDS - start >= start_timeout)); then
			show_log 40
			say "stopping the node that did not become ready"
			stop_pid "$pid"
			die "CQL did not answer on $host:$cql_port within $start_timeout s; see the log above (full logs in $run/logs)"
		fi
		sleep 2
	done
}

stop_pid() {
	local pid=$1 grace=${2:-60} i
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < grace * 2; i++)); do
		kill -0 "$pid" 2>/dev/null || {
			rm -f "$pidfile"
			return 0
		}
		sleep 0.5
	done
	say "pid $pid did not stop within $grace s of SIGTERM; sending SIGKILL"
	kill -KILL "$pid" 2>/dev/null || true
	sleep 1
	rm -f "$pidfile"
}

cmd_down() {
	local pid
	if ! pid=$(our_pid); then
		rm -f "$pidfile"
		if v=$(cql_ping); then
			say "no node started by this script is running (a node not started here answers on $host:$cql_port and is left alone)"
		else
			say "not running"
		fi
		return 0
	fi
	say "stopping pid $pid"
	stop_pid "$pid"
	say "stopped"
}

cmd_status() {
	local pid v
	if pid=$(our_pid); then
		if v=$(cql_ping); then
			say "running: pid $pid, Cassandra $v, CQL on $host:$cql_port"
			return 0
		fi
		say "starting or unhealthy: pid $pid runs but CQL does not answer on $host:$cql_port"
		return 1
	fi
	if v=$(cql_ping); then
		say "a Cassandra $v node not started by this script answers on $host:$cql_port"
		return 0
	fi
	say "not running"
	return 3
}

case ${1:-} in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
ping) cql_ping ;;
jars) resolve_jars ;;
logs) show_log "${2:-80}" 2>&1 ;;
clean)
	cmd_down
	rm -rf "$run" "$lib" "$dir/mvn.log"
	say "removed $run and $lib"
	;;
*)
	echo "usage: $0 up|down|status|ping|jars|logs [N]|clean" >&2
	exit 2
	;;
esac
