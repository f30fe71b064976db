#!/usr/bin/env bash
# Runs every benchmark once, briefly, at its smallest size, to prove each one still sets up, runs and
# tears down. Not a measurement. Exits non-zero if any benchmark fails (or the jar is missing).
#
#   benchmarks/smoke.sh            # uses benchmarks/target/benchmarks.jar
#   BUILD=1 benchmarks/smoke.sh    # builds it first
set -euo pipefail
cd "$(dirname "$0")/.."

jar=benchmarks/target/benchmarks.jar
if [[ "${BUILD:-0}" == 1 || ! -f "$jar" ]]; then
  mvn -B -q -pl benchmarks -am package -DskipTests
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# -foe true: a benchmark that throws makes JMH exit non-zero. Smallest sizes only (the fanout's and
# typing's size parameters are subscribers and receivers); no warmup; one short iteration
# (RealTimeExpiryBenchmark: 2 s of real time). -jvmArgsAppend replaces each benchmark's own (@Fork
# jvmArgsAppend): its multi-GB heap, pretouched for measurements, is not needed at these sizes, and
# touching it on every fork would only slow this pass.
# -Djmh.ignoreLock: a smoke pass measures nothing, so another JMH run on the machine must not stop it.
java -Djmh.ignoreLock=true -jar "$jar" \
  -f 1 -wi 0 -i 1 -r 100ms -w 100ms \
  -p devices=10000 -p seconds=2 -p subscribers=10 -p receivers=10 \
  -jvmArgsAppend "-Xms512m -Xmx2g" \
  -foe true \
  -rf json -rff "$out/result.json" \
  "$@" | tee "$out/log.txt"

# Every benchmark listed must have produced a result.
expected=$(java -jar "$jar" -l "$@" | grep -c '^dev\.presence\.' || true)
got=$(grep -c '"benchmark"' "$out/result.json" || true)
configs=$(grep -c '^# Parameters' "$out/log.txt" || true)
if [[ "$got" -lt "$configs" || "$got" -eq 0 || "$expected" -eq 0 ]]; then
  echo "smoke: expected a result for each of $configs configurations of $expected benchmarks, got $got" >&2
  exit 1
fi
echo "smoke: $got configurations of $expected benchmarks ran"

# Honesty: an unknown parameter value fails the trial (it once measured the seed silently).
if java -Djmh.ignoreLock=true -jar "$jar" FanoutBenchmark -p impl=flor -p subscribers=10 \
    -f 1 -wi 0 -i 1 -r 100ms -foe true -jvmArgsAppend "-Xms512m -Xmx2g" >"$out/unknown.txt" 2>&1 \
    || ! grep -q "unknown value of @Param impl: 'flor'" "$out/unknown.txt"; then
  echo "smoke: FanoutBenchmark -p impl=flor did not fail with a clear message" >&2
  exit 1
fi
echo "smoke: an unknown @Param value is refused"

# The capacity harness (a main class, not JMH) at its smallest size.
benchmarks/capacity.sh --smoke

