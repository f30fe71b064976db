#!/usr/bin/env bash
# Server CPU per WebSocket frame of the chat demo, by hand: for each mode (heartbeat = the baseline, status = every
# frame a status change fanned out to a team of 10), start a fresh demo server, load it with CLIENTS WebSockets
# sending RATE frames per second each, and print the server's CPU time per frame read or written. Loopback only;
# ends by itself. Run from the repository root after
#   mvn -q -pl presence-examples/javalin -am package -DskipTests
# Usage: presence-examples/javalin/scripts/frame-cost.sh [CLIENTS=2000] [RATE=1] [SECONDS=30]
# WARMUP=S sets the warm-up before the measured window (default 30 s: the JIT still takes a tenth of the CPU 10 s in).
# JFR=1 also records a flight recording of each server to presence-examples/javalin/target/frame-cost-MODE.jfr.
# SERVER_JAVA_OPTS are the server's JVM options, by default those of the README's run command (-XX:+UseParallelGC);
# SERVER_JAVA_OPTS= (empty) measures the JVM's defaults (G1). DEMO_JAR measures another build.
# NODE=1 measures the yardstick instead: the same job in Node + ws (scripts/node-yardstick; needs node and npm, and
# installs ws into target/node-yardstick on first use), under the same load.
set -euo pipefail
cd "$(dirname "$0")/.."
clients=${1:-2000}
rate=${2:-1}
seconds=${3:-30}
port=${FRAME_COST_PORT:-18182}
jar=${DEMO_JAR:-target/presence-demo.jar}
[ -f "$jar" ] && [ -d target/test-classes ] || { echo "build first: mvn -q -pl presence-examples/javalin -am package -DskipTests" >&2; exit 2; }
[ "$(ulimit -n)" -ge $((clients * 2 + 200)) ] || ulimit -n $((clients * 2 + 200))

if [ "${NODE:-0}" = 1 ]; then
  mkdir -p target/node-yardstick
  cp scripts/node-yardstick/package.json scripts/node-yardstick/server.js target/node-yardstick/
  [ -d target/node-yardstick/node_modules/ws ] || (cd target/node-yardstick && npm install --no-audit --no-fund --silent)
fi

for mode in heartbeat status; do
  if [ "${NODE:-0}" = 1 ]; then
    node target/node-yardstick/server.js "$port" > "target/frame-cost-$mode-server.log" 2>&1 &
    server=$!
    for _ in $(seq 100); do grep -q "open http" "target/frame-cost-$mode-server.log" && break; sleep 0.2; done
    java -DframeCost.warmupSeconds="${WARMUP:-30}" -cp target/test-classes dev.presence.examples.load.FrameCost "$port" "$server" "$clients" "$mode" "$rate" "$seconds"
    kill "$server"; wait "$server" 2>/dev/null || true
    continue
  fi
  jfr=()
  if [ "${JFR:-0}" = 1 ]; then jfr=("-XX:StartFlightRecording=filename=target/frame-cost-$mode.jfr,settings=profile"); fi
  # shellcheck disable=SC2086 # the options are words
  java ${SERVER_JAVA_OPTS--XX:+UseParallelGC} "${jfr[@]}" -jar "$jar" --port "$port" > "target/frame-cost-$mode-server.log" 2>&1 &
  server=$!
  for _ in $(seq 100); do grep -q "open http" "target/frame-cost-$mode-server.log" && break; sleep 0.2; done
  java -DframeCost.warmupSeconds="${WARMUP:-30}" -cp target/test-classes dev.presence.examples.load.FrameCost "$port" "$server" "$clients" "$mode" "$rate" "$seconds"
  echo "  server threads at the end: $(ls /proc/$server/task | wc -l)"
  kill "$server"; wait "$server" 2>/dev/null || true
done
