#!/usr/bin/env bash
# A reconnect storm against the chat demo, by hand: N clients (default 5000) connect, all drop at once and all
# reconnect at once; prints how many connection attempts the kernel dropped (accept queue full) and how long each
# wave took. Loopback only; ends by itself. Run from the repository root after
#   mvn -q -pl presence-examples/javalin -am package -DskipTests
# Usage: presence-examples/javalin/scripts/storm.sh [CLIENTS] [extra demo options, e.g. --accept-queue 50]
set -euo pipefail
cd "$(dirname "$0")/.."
clients=${1:-5000}
shift || true
port=${STORM_PORT:-18181}
[ -f target/presence-demo.jar ] && [ -d target/test-classes ] || { echo "build first: mvn -q -pl presence-examples/javalin -am package -DskipTests" >&2; exit 2; }
[ "$(ulimit -n)" -ge $((clients * 2 + 200)) ] || ulimit -n $((clients * 2 + 200))

java -jar target/presence-demo.jar --port "$port" "$@" > target/storm-server.log 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q "open http" target/storm-server.log && break; sleep 0.2; done
grep -m1 "presence chat demo" target/storm-server.log
java -cp target/test-classes dev.presence.examples.load.ReconnectStorm "$port" "$clients"
