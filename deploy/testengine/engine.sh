#!/usr/bin/env bash
# Test engine for store/elastic: one OpenSearch 2.19.6 node from Maven Central
# jars, run in one JVM on loopback (see pom.xml and TestEngine.java).
#
#   engine.sh build          resolve the jars (cached in ~/.m2) and compile
#   engine.sh start [--keep] start in the background (fresh data unless --keep)
#   engine.sh wait           wait until the node answers with status yellow/green
#   engine.sh stop           stop it (SIGTERM, then SIGKILL after 30 s)
#   engine.sh url            print its URL
#
# Environment: NEWSWATCH_ENGINE_PORT (default 19200), NEWSWATCH_ENGINE_HOME
# (default ${TMPDIR:-/tmp}/newswatch-testengine-$PORT), NEWSWATCH_ENGINE_HEAP
# (default 768m), NEWSWATCH_ENGINE_WAIT (seconds, default 240).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
port="${NEWSWATCH_ENGINE_PORT:-19200}"
home="${NEWSWATCH_ENGINE_HOME:-${TMPDIR:-/tmp}/newswatch-testengine-$port}"
heap="${NEWSWATCH_ENGINE_HEAP:-768m}"
url="http://127.0.0.1:$port"
pidfile="$home/engine.pid"
log="$home/engine.log"

build() {
	if [ -f "$here/target/testengine-1.jar" ] && [ -d "$here/target/lib" ] &&
		[ "$here/target/testengine-1.jar" -nt "$here/pom.xml" ] &&
		[ "$here/target/testengine-1.jar" -nt "$here/src/main/java/org/newswatch/testengine/TestEngine.java" ]; then
		return 0
	fi
	(cd "$here" && mvn -q -B -DskipTests package)
}

running() {
	[ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

start() {
	if running; then
		echo "engine.sh: already running (pid $(cat "$pidfile")) at $url" >&2
		return 0
	fi
	build
	if [ "${1:-}" != "--keep" ]; then
		rm -rf "$home/data"
	fi
	mkdir -p "$home"
	nohup java -Xms"$heap" -Xmx"$heap" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
		-Dopensearch.set.netty.runtime.available.processors=false \
		-cp "$here/target/testengine-1.jar:$here/target/lib/*" \
		org.newswatch.testengine.TestEngine "$home" "$port" >"$log" 2>&1 </dev/null &
	echo $! >"$pidfile"
	echo "engine.sh: started OpenSearch (pid $!) at $url, log $log" >&2
}

wait_ready() {
	local deadline=$((SECONDS + ${NEWSWATCH_ENGINE_WAIT:-240}))
	while [ $SECONDS -lt $deadline ]; do
		if ! running; then
			echo "engine.sh: the engine is not running; last log lines:" >&2
			tail -n 40 "$log" >&2 || true
			return 1
		fi
		if curl -fsS "$url/_cluster/health?wait_for_status=yellow&timeout=2s" >/dev/null 2>&1; then
			echo "engine.sh: ready at $url" >&2
			return 0
		fi
		sleep 1
	done
	echo "engine.sh: not ready after ${NEWSWATCH_ENGINE_WAIT:-240}s; last log lines:" >&2
	tail -n 40 "$log" >&2 || true
	return 1
}

stop() {
	running || { rm -f "$pidfile"; return 0; }
	local pid
	pid="$(cat "$pidfile")"
	kill "$pid" 2>/dev/null || true
	for _ in $(seq 30); do
		kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile"; return 0; }
		sleep 1
	done
	kill -9 "$pid" 2>/dev/null || true
	rm -f "$pidfile"
}

case "${1:-}" in
build) build ;;
start) start "${2:-}" ;;
wait) wait_ready ;;
stop) stop ;;
url) echo "$url" ;;
*)
	sed -n '2,14p' "$0" >&2
	exit 2
	;;
esac
