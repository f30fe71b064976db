#!/usr/bin/env bash
# Capacity, end to end (BENCHMARKS.md row 9; dev.presence.benchmarks.Capacity's javadoc says what it
# does): one engine, 1,000,000 connected devices, 100,000 users each watched by 50 subscribers, real
# timer and delivery threads; status changes per second in steps until the p99 lag from a change to
# its delivery exceeds flush interval + 200 ms; then the same with 1,000 typists. About 10 minutes.
#
#   benchmarks/capacity.sh                  # full size; report in benchmarks/results/capacity.txt
#   benchmarks/capacity.sh --smoke          # smallest size, a few seconds (run by smoke.sh)
#   BUILD=1 benchmarks/capacity.sh ...      # builds the benchmarks jar first
#   benchmarks/capacity.sh --rates 5000,10000 --seconds 30   # any option of Capacity.main
set -euo pipefail
cd "$(dirname "$0")/.."

jar=benchmarks/target/benchmarks.jar
if [[ "${BUILD:-0}" == 1 || ! -f "$jar" ]]; then
  mvn -B -q -pl benchmarks -am package -DskipTests
fi

if [[ "${1:-}" == --smoke ]]; then
  shift
  # Not a measurement: no lock, a small heap, one short step per phase.
  exec java -Xms256m -Xmx1g -cp "$jar" dev.presence.benchmarks.Capacity --no-lock \
    --users 2000 --watched 200 --watchers 5 --typists 10 --rates 200 --seconds 1 --flush-ms 100 "$@"
fi

out=benchmarks/results
mkdir -p "$out"
# 8 GiB at most (the machine has 24 GiB, shared); G1, the JDK's default. The GC log keeps every pause,
# including the remark and cleanup pauses that GC notifications do not report.
exec java -Xms4g -Xmx8g -XX:+UseG1GC -Xlog:gc:file="$out/capacity-gc.log" \
  -cp "$jar" dev.presence.benchmarks.Capacity --out "$out/capacity.txt" "$@"
