#!/usr/bin/env bash
# Runs the ctest suite of a build RUNS times in a row (default 20) while `stress --cpu 1` keeps
# one core busy, as a flaky test would show itself on a loaded CI machine. Stops stress by its
# PID. Prints one line per run and exits non-zero if any run failed (its log is kept).
#   bash scripts/repeat_tests.sh [BUILD_DIR]        (default build/release; RUNS=20)
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
runs=${RUNS:-20}
[[ -f $build/CTestTestfile.cmake ]] || { echo "repeat_tests: no ctest build in $build" >&2; exit 2; }
command -v stress >/dev/null || { echo "repeat_tests: stress is missing (scripts/setup.sh --tests)" >&2; exit 2; }
logs=$(mktemp -d)
stress --cpu 1 >/dev/null 2>&1 &
stress_pid=$!
trap 'kill "$stress_pid" 2>/dev/null; wait "$stress_pid" 2>/dev/null' EXIT
failed=0
for ((i = 1; i <= runs; i++)); do
  start=$(date +%s)
  if (cd "$build" && ctest -j1 --output-on-failure) >"$logs/run_$i.log" 2>&1; then
    result=passed
  else
    result=FAILED
    failed=$((failed + 1))
  fi
  summary=$(grep -o '[0-9]*% tests passed, [0-9]* tests failed out of [0-9]*' "$logs/run_$i.log")
  echo "run $i/$runs: $result in $(($(date +%s) - start)) s: $summary (load $(cut -d' ' -f1 /proc/loadavg))"
done
echo "repeat_tests: $((runs - failed)) of $runs runs passed; logs in $logs"
((failed == 0))
