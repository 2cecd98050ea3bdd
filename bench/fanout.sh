#!/usr/bin/env bash
# bench/fanout.sh: fan-out throughput — 1 publisher, SUBSCRIBERS (1000) subscribers, SIZE
# (20) byte messages on uvws-broadcast pinned to core 0, uvws-fanout pinned to core 1.
# Reports deliveries per second and server CPU per delivery, ROUNDS (3) runs of SECONDS (5)
# each, to bench/results/fanout.md (or OUT). The server is stopped by the PID it started.
#
#   BUILD_DIR=build/release bash bench/fanout.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build/release}
SUBSCRIBERS=${SUBSCRIBERS:-1000}
SIZE=${SIZE:-20}
ROUNDS=${ROUNDS:-3}
SECONDS_PER_RUN=${SECONDS:-5}
OUT=${OUT:-bench/results/fanout.md}
server_bin=$BUILD_DIR/examples/uvws-broadcast
client_bin=$BUILD_DIR/bench/uvws-fanout
[[ -x $server_bin && -x $client_bin ]] || { echo "fanout: build $server_bin and $client_bin first" >&2; exit 1; }

rows=()
for round in $(seq 1 "$ROUNDS"); do
  log=$(mktemp)
  prlimit --nofile=20000:20000 taskset -c 0 "$server_bin" --port 0 --log-level warn >"$log" 2>&1 &
  pid=$!
  trap 'kill "$pid" 2>/dev/null || true' EXIT
  port=""
  for _ in $(seq 1 50); do
    port=$(grep -oE ':[0-9]+/' "$log" | head -1 | tr -d ':/' || true)
    [[ -n $port ]] && break
    sleep 0.1
  done
  [[ -n $port ]] || { echo "fanout: server did not start" >&2; cat "$log" >&2; exit 1; }
  result=$(taskset -c 1 "$client_bin" --port "$port" --subscribers "$SUBSCRIBERS" --size "$SIZE" \
           --seconds "$SECONDS_PER_RUN" --server-pid "$pid")
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  trap - EXIT
  rm -f "$log"
  echo "round $round: $result"
  rows+=("$result")
done

{
  echo "# Fan-out: 1 publisher, $SUBSCRIBERS subscribers, $SIZE-byte text"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "uvws-broadcast pinned to CPU 0, uvws-fanout to CPU 1; $ROUNDS rounds x ${SECONDS_PER_RUN} s."
  echo "The publisher stays at most 16 messages ahead of the slowest subscriber."
  echo
  echo "| round | deliveries/s | server CPU ns / delivery |"
  echo "|---:|---:|---:|"
  i=1
  for r in "${rows[@]}"; do
    dps=$(grep -oE '"deliveries_per_s":[0-9.]+' <<<"$r" | cut -d: -f2)
    ns=$(grep -oE '"server_cpu_ns_per_delivery":[0-9.]+' <<<"$r" | cut -d: -f2)
    echo "| $i | $dps | $ns |"
    i=$((i + 1))
  done
} >"$OUT"
cat "$OUT"
