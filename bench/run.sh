#!/usr/bin/env bash
# bench/run.sh: server CPU time per echoed WebSocket message — uvws-echo against websocketpp,
# Boost.Beast and a raw epoll floor (bench/peers/), all single-threaded, no compression.
#
#   BUILD_DIR=build-bench ROUNDS=3 SECONDS=3 bench/run.sh
#
# Builds nothing: the programs come from BUILD_DIR (default build/release; configure Release
# with UVWS_BUILD_BENCH=ON and build uvws-echo, uvws-loadgen and the bench-echo-* targets).
# Each server runs pinned to core SERVER_CPU (0), uvws-loadgen to CLIENT_CPU (1), on
# loopback, on a port the kernel picks. Servers alternate within each round (A B C D, A B C
# D, ...), each run with a fresh server process, so that drift in the machine's load is
# spread over all of them. For each run, uvws-loadgen reads the server's utime + stime from
# /proc/PID/stat at both edges of its measured window (after the handshakes and a warm-up),
# so CPU time and echoed messages cover exactly the same interval. The table gives medians
# over the rounds, min-max, and every server's ratio to uvws.
#
# Environment: SCENARIOS (default "small100 small1000 pipelined large"), ROUNDS (3),
# SECONDS (measured seconds per run, 5), WARMUP (1), SERVERS, SERVER_CPU, CLIENT_CPU, NICE
# (see lib.sh), OUT (default bench/results/echo.md; the raw JSON lines go next to it).
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# SECONDS is bash's own clock, so read the caller's value from this process's environment.
measure_seconds=$(tr '\0' '\n' </proc/$$/environ | sed -n 's/^SECONDS=//p')
measure_seconds=${measure_seconds:-5}
ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-1}
SCENARIOS=${SCENARIOS:-"small100 small1000 pipelined large"}
OUT=${OUT:-$bench_dir/results/echo.md}

# uvws-loadgen arguments and description of each scenario.
scenario_args() {
  case "$1" in
    small100) echo "--connections 100 --size 20 --inflight 1" ;;
    small1000) echo "--connections 1000 --size 20 --inflight 1" ;;
    pipelined) echo "--connections 100 --size 20 --inflight 32" ;;
    large) echo "--connections 10 --size 1048576 --inflight 1 --binary" ;;
    *) die "unknown scenario '$1'" ;;
  esac
}
scenario_title() {
  case "$1" in
    small100) echo "20-byte text, 100 connections, 1 in flight" ;;
    small1000) echo "20-byte text, 1,000 connections, 1 in flight" ;;
    pipelined) echo "20-byte text, 100 connections x 32 in flight" ;;
    large) echo "1 MiB binary, 10 connections, 1 in flight" ;;
  esac
}

loadgen=$(find_program uvws-loadgen)
[[ -n $loadgen ]] || die "uvws-loadgen is not built under $BUILD_DIR"
servers=()
for s in $SERVERS; do  # SERVERS: lib.sh
  if [[ -n $(server_command "$s") ]]; then
    servers+=("$s")
  else
    echo "run.sh: $s is not built under $BUILD_DIR: skipped" >&2
  fi
done
[[ ${#servers[@]} -gt 0 ]] || die "no server to measure"

tmp=$(mktemp -d)
trap 'stop_server; rm -rf "$tmp"' EXIT
mkdir -p "$(dirname "$OUT")"
raw=${OUT%.md}.jsonl
: >"$raw"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

for scenario in $SCENARIOS; do
  read -r -a args <<<"$(scenario_args "$scenario")"
  for ((round = 1; round <= ROUNDS; round++)); do
    for server in "${servers[@]}"; do
      start_server "$server" "$tmp/server.log"
      pin_prefix "$CLIENT_CPU"
      json=$("${PIN[@]}" "$loadgen" --port "$SERVER_PORT" "${args[@]}" \
        --duration "$measure_seconds" --warmup "$WARMUP" --server-pid "$SERVER_PID" --quiet \
        2>>"$tmp/loadgen.err" | tail -n 1) || true
      stop_server
      if [[ $json != \{* ]]; then
        echo "run.sh: $scenario/$server round $round: no result ($(tail -n 3 "$tmp/loadgen.err"))" >&2
        continue
      fi
      # CPU time from schedstat (nanoseconds) when the kernel has it, else utime + stime (ticks).
      cpu=$(json_field "$json" server_sched_ns_per_msg)
      [[ -n $cpu && $cpu != null ]] || cpu=$(json_field "$json" server_ns_per_msg)
      echo "{\"scenario\":\"$scenario\",\"server\":\"$server\",\"round\":$round,\"cpu_ns_per_msg\":$cpu,\"result\":$json}" >>"$raw"
      printf '%-10s %-12s round %d: %10s ns/msg  %10s msg/s  p99 %9s us  errors %s\n' \
        "$scenario" "$server" "$round" "$cpu" \
        "$(json_field "$json" msg_per_s)" "$(json_field "$json" p99_us)" \
        "$(json_field "$json" errors)" >&2
    done
  done
done

# Field $3 of every run of scenario $1 and server $2, one per line.
values() {
  grep -F "\"scenario\":\"$1\",\"server\":\"$2\"," "$raw" | while read -r line; do
    json_field "$line" "$3"
  done | grep -vx null || true
}

{
  echo "# Echo benchmark: server CPU per message"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(machine_summary)"
  echo "(load average at the start: $load_start). Build: \`$BUILD_DIR\`."
  echo "Server pinned to CPU $SERVER_CPU, uvws-loadgen to CPU $CLIENT_CPU; nice $NICE;" \
    "$ROUNDS rounds x ${measure_seconds} s measured after ${WARMUP} s of warm-up, servers alternating."
  echo
  echo "CPU/msg is the server's CPU time (user + system, all threads) over the measured window"
  echo "divided by the messages it echoed in that window: median over the rounds, then min - max."
  echo "The CPU time is the schedstat run time (ns) where the kernel has it, which is what the"
  echo "utime+stime of /proc/PID/stat (10 ms ticks) are cut from; both are in \`$(basename "$raw")\`."
  echo "Throughput and latency depend on the machine's other load and are given for context."
  for scenario in $SCENARIOS; do
    echo
    echo "## $scenario: $(scenario_title "$scenario")"
    echo
    echo "| server | CPU/msg (us), median | min - max | vs uvws | msg/s | p50 (us) | p99 (us) | errors |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|"
    read -r uvws_median _ _ <<<"$(values "$scenario" uvws cpu_ns_per_msg | median_min_max)"
    for server in "${servers[@]}"; do
      read -r med lo hi <<<"$(values "$scenario" "$server" cpu_ns_per_msg | median_min_max)"
      read -r rate _ _ <<<"$(values "$scenario" "$server" msg_per_s | median_min_max)"
      read -r p50 _ _ <<<"$(values "$scenario" "$server" p50_us | median_min_max)"
      read -r p99 _ _ <<<"$(values "$scenario" "$server" p99_us | median_min_max)"
      errors=$(values "$scenario" "$server" errors | awk '{ s += $1 } END { print s + 0 }')
      awk -v s="$server" -v m="$med" -v lo="$lo" -v hi="$hi" -v u="$uvws_median" -v r="$rate" \
        -v p50="$p50" -v p99="$p99" -v e="$errors" 'BEGIN {
          ratio = (u == "nan" || u + 0 == 0 || m == "nan") ? "-" : sprintf("%.2fx", m / u)
          if (m == "nan") { printf "| %s | - | - | - | - | - | - | %s |\n", s, e; exit }
          printf "| %s | %.3f | %.3f - %.3f | %s | %.0f | %.0f | %.0f | %s |\n",
            s, m / 1000, lo / 1000, hi / 1000, ratio, r, p50, p99, e }'
    done
  done
} | tee "$OUT"
