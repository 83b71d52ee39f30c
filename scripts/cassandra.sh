#!/usr/bin/env bash
# A local Apache Cassandra 5.0 node, or a cluster of N nodes on 127.0.0.1,
# 127.0.0.2, ... (as ccm lays them out), for esbench's integration tests and
# benchmarks: Maven resolves cassandra-all and its runtime jars
# (scripts/cassandra/pom.xml), java runs CassandraDaemon with a
# cassandra.yaml generated into each node's scratch run directory.
#
#   scripts/cassandra.sh up       resolve jars if needed, start, wait for CQL
#                                 (ESBENCH_CASSANDRA_NODES=N: N nodes, joined
#                                 one at a time, each waited for)
#   scripts/cassandra.sh down     stop every node this script started
#   scripts/cassandra.sh status   say whether they run and whether CQL answers
#   scripts/cassandra.sh pids     print "node pid" of every running node it started
#   scripts/cassandra.sh kill-node I    SIGKILL node I (cluster) or the node (I=1)
#   scripts/cassandra.sh stop-node I    SIGSTOP node I (it hangs, holding its ports)
#   scripts/cassandra.sh cont-node I    SIGCONT node I
#   scripts/cassandra.sh start-node I   start node I again on its data, wait for CQL
#   scripts/cassandra.sh ping     exit 0 if a node answers CQL on the port
#   scripts/cassandra.sh logs     print the tail of the node's log
#   scripts/cassandra.sh jars     only resolve the jars (no node is started)
#   scripts/cassandra.sh clean    stop it and delete its data and jars
#
# Environment (defaults in brackets):
#   ESBENCH_CASSANDRA_DIR            scratch directory [<repo>/.cassandra]
#   ESBENCH_CASSANDRA_NODES          nodes [1]; more than one makes a cluster
#                                    whose node I listens on 127.0.0.I
#   ESBENCH_CASSANDRA_HOST           listen and CQL address of a single node [127.0.0.1]
#   ESBENCH_CASSANDRA_PORT           CQL port [9042]
#   ESBENCH_CASSANDRA_STORAGE_PORT   inter-node port [7000]
#   ESBENCH_CASSANDRA_HEAP           JVM heap per node [1G; 512M in a cluster]
#   ESBENCH_CASSANDRA_SECURE         1: client TLS (a self-signed certificate
#                                    made with keytool, its PEM in
#                                    <dir>/tls/node.pem) and PasswordAuthenticator
#                                    (user cassandra, password cassandra) [0]
#   ESBENCH_CASSANDRA_START_TIMEOUT  seconds to wait for CQL [180]
#   JAVA, MVN                        the java and mvn commands [java, mvn]
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
conf="$repo/scripts/cassandra"
dir=${ESBENCH_CASSANDRA_DIR:-"$repo/.cassandra"}
nodes=${ESBENCH_CASSANDRA_NODES:-1}
cql_port=${ESBENCH_CASSANDRA_PORT:-9042}
storage_port=${ESBENCH_CASSANDRA_STORAGE_PORT:-7000}
start_timeout=${ESBENCH_CASSANDRA_START_TIMEOUT:-180}
java_cmd=${JAVA:-java}
mvn_cmd=${MVN:-mvn}
lib="$dir/lib"

if ! [[ $nodes =~ ^[1-9]$ ]]; then
	printf 'cassandra: error: ESBENCH_CASSANDRA_NODES=%s: want a number of nodes from 1 to 9\n' "$nodes" >&2
	exit 2
fi
if ((nodes > 1)); then
	heap=${ESBENCH_CASSANDRA_HEAP:-512M}
else
	heap=${ESBENCH_CASSANDRA_HEAP:-1G}
fi

# select_node sets the per-node variables. A single node keeps the layout
# it always had (.cassandra/run, .cassandra/cassandra.pid); node I of a
# cluster lives in .cassandra/nodeI and listens on 127.0.0.I, with the same
# CQL and storage ports (each loopback address has its own) and its own JMX
# port, as ccm does.
select_node() {
	node=$1
	if [[ $node == single ]]; then
		host=${ESBENCH_CASSANDRA_HOST:-127.0.0.1}
		ndir=$dir
		seeds="$host:$storage_port"
		token=0
		jmx_port=""
	else
		host="127.0.0.$node"
		ndir="$dir/node$node"
		seeds="127.0.0.1:$storage_port"
		jmx_port=$((7100 + 100 * node))
		# Evenly spaced Murmur3 tokens, -2^63 + i * 2^64/N, summed step by
		# step so bash's 64-bit arithmetic never overflows.
		local step=$(((9223372036854775807 / nodes) * 2)) i
		token=$((-9223372036854775807 - 1))
		for ((i = 1; i < node; i++)); do
			token=$((token + step))
		done
	fi
	run="$ndir/run"
	pidfile="$ndir/cassandra.pid"
	syslog="$run/logs/system.log"
	stdoutlog="$run/logs/stdout.log"
}

# cluster_nodes lists the nodes of the configured layout: "single", or 1..N.
cluster_nodes() {
	if ((nodes == 1)); then
		echo single
	else
		seq 1 "$nodes"
	fi
}

# started_nodes lists every node whose pid file exists, whatever
# ESBENCH_CASSANDRA_NODES says now, so that down stops all it started.
started_nodes() {
	[[ -f $dir/cassandra.pid ]] && echo single
	local f
	for f in "$dir"/node[1-9]/cassandra.pid; do
		[[ -f $f ]] || continue
		f=${f%/cassandra.pid}
		echo "${f##*/node}"
	done
	return 0
}

select_node single

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
		# Only listeners on this node's address (or on every address): the
		# nodes of a cluster share port numbers on their own addresses.
		out=$(ss -Hltnp "sport = :$port" 2>/dev/null | awk -v h="$host" -v p=":$port" \
			'$4 == h p || $4 == "0.0.0.0" p || $4 == "*" p || $4 == "[::]" p' || true)
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

# make_tls creates, once, the node's TLS key and self-signed certificate
# with the JDK's keytool (PKCS12 keystore for Cassandra) and exports the
# certificate as PEM, which clients trust as their CA.
make_tls() {
	local tls="$dir/tls"
	[[ -f $tls/node.p12 && -f $tls/node.pem ]] && return 0
	need keytool "keytool (from the JDK) not found: it makes the test node's TLS certificate"
	mkdir -p "$tls"
	keytool -genkeypair -alias node -keyalg RSA -keysize 2048 -validity 30 \
		-dname "CN=127.0.0.1, O=esbench test node" -ext "SAN=IP:127.0.0.1,DNS:localhost" \
		-keystore "$tls/node.p12" -storetype PKCS12 -storepass esbench-test -keypass esbench-test >"$tls/keytool.log" 2>&1 ||
		die "keytool could not make the node's key (log: $tls/keytool.log)"
	keytool -exportcert -rfc -alias node -keystore "$tls/node.p12" -storetype PKCS12 -storepass esbench-test \
		-file "$tls/node.pem" >>"$tls/keytool.log" 2>&1 || die "keytool could not export the certificate (log: $tls/keytool.log)"
	say "made a self-signed TLS certificate for 127.0.0.1 in $tls (clients trust $tls/node.pem)"
}

write_config() {
	mkdir -p "$run/logs" "$run/jna" "$run/tmp"
	local auth=AllowAllAuthenticator
	if [[ ${ESBENCH_CASSANDRA_SECURE:-0} == 1 ]]; then
		auth=PasswordAuthenticator
		make_tls
	fi
	sed -e "s|@LISTEN_ADDRESS@|$host|g" \
		-e "s|^authenticator: AllowAllAuthenticator|authenticator: $auth|" \
		-e "s|@SEEDS@|$seeds|g" \
		-e "s|@INITIAL_TOKEN@|$token|g" \
		-e "s|@STORAGE_PORT@|$storage_port|g" \
		-e "s|@CQL_PORT@|$cql_port|g" \
		-e "s|@RUN_DIR@|$run|g" \
		"$conf/cassandra.yaml.in" >"$run/cassandra.yaml"
	if [[ ${ESBENCH_CASSANDRA_SECURE:-0} == 1 ]]; then
		cat >>"$run/cassandra.yaml" <<-EOF
			# ESBENCH_CASSANDRA_SECURE=1: clients must speak TLS.
			client_encryption_options:
			  enabled: true
			  optional: false
			  keystore: $dir/tls/node.p12
			  keystore_password: esbench-test
			  store_type: PKCS12
			  require_client_auth: false
		EOF
	fi
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
	if [[ -n $jmx_port ]]; then
		args+=(-Dcassandra.jmx.local.port="$jmx_port")
	fi
	if [[ $node != single ]]; then
		# Gossip on a one-machine cluster settles in well under the default
		# 30 s a joining node waits to learn the ring.
		args+=(-Dcassandra.ring_delay_ms=5000)
	fi
	if [[ -n $jamm ]]; then
		args+=(-javaagent:"$jamm")
	fi
	printf '%s\n' "${args[@]}"
}

# node_up starts the selected node (if it does not run already) and waits
# until it answers CQL.
node_up() {
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
	local p user
	for p in "$cql_port" "$storage_port"; do
		if user=$(port_user "$p"); then
			if [[ $p == "$cql_port" ]] && v=$(cql_ping); then
				die "port $p is taken: a Cassandra $v node not started by this script answers CQL on $host:$p. Use it (ESBENCH_CASSANDRA=$host:$p) or stop it; or set ESBENCH_CASSANDRA_PORT. Listener: $user"
			fi
			die "port $p on $host is already taken ($user); stop that process or set ESBENCH_CASSANDRA_PORT / ESBENCH_CASSANDRA_STORAGE_PORT"
		fi
	done
	write_config
	local -a args
	mapfile -t args < <(jvm_args)
	# A fresh log per start, so the tail shown on failure is this start's.
	[[ -f $syslog ]] && mv -f "$syslog" "$syslog.prev"
	: >"$stdoutlog"
	say "starting Cassandra ($(basename "$(compgen -G "$lib/cassandra-all-*.jar" | head -n 1)" .jar)) on $host:$cql_port (heap $heap), data in $run"
	# setsid: the node outlives this script and its terminal's signals; it is
	# stopped only through `down`.
	setsid "$java_cmd" "${args[@]}" -cp "$lib/*" org.apache.cassandra.service.CassandraDaemon \
		</dev/null >>"$stdoutlog" 2>&1 &
	pid=$!
	echo "$pid" >"$pidfile"
	wait_ready "$pid"
}

# check_java fails unless java is a version Cassandra 5.0 runs on.
check_java() {
	need "$java_cmd" "java not found: Cassandra 5.0 needs Java 11 or 17 (Debian: apt-get install openjdk-17-jre-headless) or set JAVA."
	local major
	major=$(java_major)
	case $major in
	11 | 17) ;;
	*) die "java is version '$major' ($("$java_cmd" -version 2>&1 | head -n 1)); Cassandra 5.0 runs on Java 11 or 17. Set JAVA to a Java 17 binary." ;;
	esac
}

# wait_joined waits until node 1 has seen node $node come UP and NORMAL
# (gossip), so the next node joins a settled ring, as ccm does.
wait_joined() {
	local start=$SECONDS log1="$dir/node1/run/logs/system.log"
	while :; do
		if grep -q "/$host:$storage_port.*\(is now UP\|state jump to NORMAL\)" "$log1" 2>/dev/null &&
			grep -q "state jump to NORMAL\|Node /$host:$storage_port state jump to NORMAL\|Startup complete" "$syslog" 2>/dev/null; then
			say "node $node ($host) joined: node 1 sees it UP"
			return 0
		fi
		if ((SECONDS - start >= start_timeout)); then
			show_log 20
			die "node 1 did not see node $node ($host) come UP within $start_timeout s (logs in $dir/node1/run/logs and $run/logs)"
		fi
		sleep 1
	done
}

cmd_up() {
	check_java
	resolve_jars
	local n
	for n in $(cluster_nodes); do
		select_node "$n"
		node_up
		if [[ $n != single && $n != 1 ]]; then
			wait_joined
		fi
	done
	if ((nodes > 1)); then
		say "cluster of $nodes nodes up: CQL on 127.0.0.1..127.0.0.$nodes port $cql_port (use --cassandra-hosts $(seq -s, -f '127.0.0.%g' 1 "$nodes"); a keyspace esbench creates on it gets replication factor $((nodes < 3 ? nodes : 3)))"
	fi
}

# node_arg selects the node named on the command line: a number 1..9 for a
# cluster's node, or 1 for the single node.
node_arg() {
	local n=${1:-}
	[[ $n =~ ^[1-9]$ ]] || die "node '$n': want a node number from 1 to 9"
	if [[ -f $dir/node$n/cassandra.pid || -d $dir/node$n ]]; then
		# A node of a cluster started again gets the cluster's heap and
		# token layout, whatever ESBENCH_CASSANDRA_NODES says now.
		local d count=0
		for d in "$dir"/node[1-9]; do
			[[ -d $d ]] && count=$((count + 1))
		done
		if ((count > 1)); then
			nodes=$count
			heap=${ESBENCH_CASSANDRA_HEAP:-512M}
		fi
		select_node "$n"
	elif [[ $n == 1 ]]; then
		select_node single
	else
		die "node $n: no such node under $dir (start a cluster with ESBENCH_CASSANDRA_NODES=N)"
	fi
}

# signal_node sends a signal to the selected node, only if this script
# started it (the pid file's process runs with this node's run directory).
signal_node() {
	local sig=$1 pid
	pid=$(our_pid) || die "node $node is not running (or was not started by this script)"
	kill "-$sig" "$pid"
	say "sent SIG$sig to node $node (pid $pid, $host)"
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
		# A TLS-only node does not speak the plain protocol cql_ping uses:
		# its log says when it listens.
		if [[ ${ESBENCH_CASSANDRA_SECURE:-0} == 1 ]] && grep -q "Startup complete" "$syslog" 2>/dev/null; then
			say "ready after $((SECONDS - start)) s: TLS and password authentication on $host:$cql_port, pid $pid (CA: $dir/tls/node.pem)"
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
	# A stopped (SIGSTOP) node would not see SIGTERM until continued.
	kill -CONT "$pid" 2>/dev/null || true
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

node_down() {
	local pid
	if ! pid=$(our_pid); then
		rm -f "$pidfile"
		return 1
	fi
	say "stopping node ${node/single/1} (pid $pid, $host)"
	stop_pid "$pid"
	return 0
}

cmd_down() {
	local n any=false pids=() p
	# The nodes stop side by side: each takes seconds to drain and flush.
	for n in $(started_nodes); do
		(
			select_node "$n"
			node_down
		) &
		pids+=($!)
	done
	for p in "${pids[@]}"; do
		if wait "$p"; then
			any=true
		fi
	done
	if $any; then
		say "stopped"
		return 0
	fi
	select_node single
	if v=$(cql_ping); then
		say "no node started by this script is running (a node not started here answers on $host:$cql_port and is left alone)"
	else
		say "not running"
	fi
	return 0
}

cmd_status() {
	local pid v n rc=3 found=false
	for n in $(started_nodes); do
		select_node "$n"
		pid=$(our_pid) || continue
		found=true
		if v=$(cql_ping); then
			say "running: node ${node/single/1} pid $pid, Cassandra $v, CQL on $host:$cql_port"
			[[ $rc == 3 ]] && rc=0
		else
			say "starting, stopped or unhealthy: node ${node/single/1} pid $pid runs but CQL does not answer on $host:$cql_port"
			rc=1
		fi
	done
	$found && return "$rc"
	select_node single
	if v=$(cql_ping); then
		say "a Cassandra $v node not started by this script answers on $host:$cql_port"
		return 0
	fi
	say "not running"
	return 3
}

cmd_pids() {
	local n pid
	for n in $(started_nodes); do
		select_node "$n"
		if pid=$(our_pid); then
			echo "$([[ $n == single ]] && echo 1 || echo "$n") $pid"
		fi
	done
}

case ${1:-} in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
pids) cmd_pids ;;
ping) cql_ping ;;
jars) resolve_jars ;;
logs)
	if [[ -n ${3:-} ]]; then node_arg "$3"; fi
	show_log "${2:-80}" 2>&1
	;;
kill-node)
	node_arg "${2:-}"
	signal_node KILL
	;;
stop-node)
	node_arg "${2:-}"
	signal_node STOP
	;;
cont-node)
	node_arg "${2:-}"
	signal_node CONT
	;;
start-node)
	node_arg "${2:-}"
	check_java
	resolve_jars
	node_up
	;;
clean)
	cmd_down
	rm -rf "$dir/run" "$dir"/node[1-9] "$lib" "$dir/mvn.log"
	say "removed the nodes' data and $lib"
	;;
*)
	echo "usage: $0 up|down|status|pids|ping|jars|logs [N [NODE]]|kill-node I|stop-node I|cont-node I|start-node I|clean" >&2
	exit 2
	;;
esac
