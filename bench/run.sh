#!/usr/bin/env bash
# bench/run.sh: server CPU time per echoed WebSocket message — uvws-echo against websocketpp,
# Boost.Beast, the npm `ws` package on Node.js and a raw epoll floor (bench/peers/), all one
# process on one core, no compression.
#
#   BUILD_DIR=build-bench ROUNDS=3 SECONDS=3 bench/run.sh
#   UPDATE_README=1 BUILD_DIR=build-bench bench/run.sh     # and refresh README.md's tables
#
# Builds nothing: the programs come from BUILD_DIR (default build/release; configure Release
# with UVWS_BUILD_BENCH=ON and build uvws-echo, uvws-loadgen and the bench-echo-* targets).
# The `ws` peer needs node and the package scripts/setup.sh --tests installs; without them it
# is skipped with a message, as is a peer that was not built.
#
# Each server runs pinned to core SERVER_CPU (0), uvws-loadgen to CLIENT_CPU (1), on
# loopback, on a port the kernel picks. Servers alternate within each round (A B C D, A B C
# D, ...), each run with a fresh server process, so that drift in the machine's load is
# spread over all of them. For each run, uvws-loadgen reads the server's CPU time (all its
# threads) from /proc at both edges of its measured window (after the handshakes and a
# warm-up), so CPU time and echoed messages cover exactly the same interval. The tables give
# medians over the rounds, min-max, and every server's ratio to uvws; a run that fails (the
# server does not start or dies, not every connection opens, no result within the time
# limit) is recorded as failed with its reason, and the other runs go on.
#
# Outputs: OUT (default bench/results/echo.md) with a summary table between the markers
# <!-- bench:echo:begin --> and <!-- bench:echo:end --> (what bench/update_readme.sh copies),
# the raw JSON lines next to it (echo.jsonl), and the chart echo.svg (bench/chart.sh) when
# gnuplot is installed.
#
# Environment: SCENARIOS (default "small100 small1000 small10000 pipelined large"), ROUNDS
# (3), SECONDS (measured seconds per run, 5), WARMUP (1), RUN_TIMEOUT (seconds a run may take
# beyond warm-up and measurement, for the handshakes and closing; 120), CHART (1: draw the
# chart), UPDATE_README (0; 1: run bench/update_readme.sh at the end), SERVERS, SERVER_CPU,
# CLIENT_CPU, NICE, NODE (see lib.sh), OUT.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

measure_seconds=$(env_seconds 5)
ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-1}
RUN_TIMEOUT=${RUN_TIMEOUT:-120}
CHART=${CHART:-1}
UPDATE_README=${UPDATE_README:-0}
SCENARIOS=${SCENARIOS:-"small100 small1000 small10000 pipelined large"}
OUT=${OUT:-$bench_dir/results/echo.md}

# uvws-loadgen arguments and description of each scenario.
scenario_args() {
  case "$1" in
    small100) echo "--connections 100 --size 20 --inflight 1" ;;
    small1000) echo "--connections 1000 --size 20 --inflight 1" ;;
    small10000) echo "--connections 10000 --size 20 --inflight 1" ;;
    pipelined) echo "--connections 100 --size 20 --inflight 32" ;;
    large) echo "--connections 10 --size 1048576 --inflight 1 --binary" ;;
    *) die "unknown scenario '$1'" ;;
  esac
}
scenario_title() {
  case "$1" in
    small100) echo "20-byte text, 100 connections, 1 in flight" ;;
    small1000) echo "20-byte text, 1,000 connections, 1 in flight" ;;
    small10000) echo "20-byte text, 10,000 connections, 1 in flight" ;;
    pipelined) echo "20-byte text, 100 connections x 32 in flight" ;;
    large) echo "1 MiB binary, 10 connections, 1 in flight" ;;
  esac
}
scenario_connections() {
  sed -nE 's/.*--connections ([0-9]+).*/\1/p' <<<"$(scenario_args "$1")"
}

for scenario in $SCENARIOS; do
  scenario_args "$scenario" >/dev/null  # unknown names fail before anything runs
  # Each connection is one descriptor on each side, plus a few for the program itself.
  if (($(scenario_connections "$scenario") + 64 > FD_LIMIT)); then
    echo "run.sh: $scenario needs more descriptors than the limit of $FD_LIMIT (ulimit -Hn)" >&2
  fi
done

loadgen=$(find_program uvws-loadgen)
[[ -n $loadgen ]] || die "uvws-loadgen is not built under $BUILD_DIR"
begin_run run.sh echo $SERVERS  # SERVERS: lib.sh


for scenario in $SCENARIOS; do
  read -r -a args <<<"$(scenario_args "$scenario")"
  wanted=$(scenario_connections "$scenario")
  for ((round = 1; round <= ROUNDS; round++)); do
    for server in "${servers[@]}"; do
      if ! start_server "$server" "$tmp/server.log"; then
        json_failure "$raw" "$scenario" "$server" "$round" "server $SERVER_ERROR"
        continue
      fi
      pin_prefix "$CLIENT_CPU"
      : >"$tmp/loadgen.err"
      # timeout sends SIGTERM first: uvws-loadgen then ends its phase and still reports.
      json=$(timeout -k 10 "$((WARMUP + measure_seconds + RUN_TIMEOUT))" \
        "${PIN[@]}" "$loadgen" --port "$SERVER_PORT" "${args[@]}" \
        --duration "$measure_seconds" --warmup "$WARMUP" --server-pid "$SERVER_PID" --quiet \
        2>"$tmp/loadgen.err" | tail -n 1) || true
      server_alive=yes
      kill -0 "$SERVER_PID" 2>/dev/null || server_alive=no
      stop_server
      if [[ $server_alive == no ]]; then
        json_failure "$raw" "$scenario" "$server" "$round" \
          "the server exited during the run: $(tail -c 200 "$tmp/server.log")"
        continue
      fi
      if [[ $json != \{* ]]; then
        json_failure "$raw" "$scenario" "$server" "$round" \
          "no result from uvws-loadgen: $(tail -n 2 "$tmp/loadgen.err")"
        continue
      fi
      opened=$(json_field "$json" open)
      if [[ $opened != "$wanted" ]]; then
        json_failure "$raw" "$scenario" "$server" "$round" \
          "$opened of $wanted connections opened: $(head -n 1 "$tmp/loadgen.err")"
        continue
      fi
      # CPU time from schedstat (nanoseconds) when the kernel has it, else utime + stime (ticks).
      cpu=$(json_field "$json" server_sched_ns_per_msg)
      [[ -n $cpu && $cpu != null ]] || cpu=$(json_field "$json" server_ns_per_msg)
      if [[ -z $cpu || $cpu == null ]]; then
        json_failure "$raw" "$scenario" "$server" "$round" "no message echoed in the measured window"
        continue
      fi
      echo "{\"scenario\":\"$scenario\",\"server\":\"$server\",\"round\":$round,\"cpu_ns_per_msg\":$cpu,\"result\":$json}" >>"$raw"
      printf '%-10s %-12s round %d: %10s ns/msg  %10s msg/s  p99 %9s us  errors %s\n' \
        "$scenario" "$server" "$round" "$cpu" \
        "$(json_field "$json" msg_per_s)" "$(json_field "$json" p99_us)" \
        "$(json_field "$json" errors)" >&2
    done
  done
done

values() { jsonl_values "$raw" "$@"; }  # lib.sh

failures() { jsonl_failures "$raw" "$@"; }  # lib.sh

# A CPU time per message in microseconds, ns in $1, to three significant digits or so.
format_us() {
  awk -v v="$1" 'BEGIN { us = v / 1000
    if (us < 1) printf "%.3f", us; else if (us < 10) printf "%.2f", us
    else if (us < 100) printf "%.1f", us; else printf "%.0f", us }'
}
format_ratio() {
  awk -v m="$1" -v u="$2" 'BEGIN { r = m / u
    if (r < 10) printf "%.2f×", r; else printf "%.0f×", r }'
}

{
  echo "# Echo benchmark: server CPU per message"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(machine_summary)"
  echo "(load average at the start: $load_start). Build: \`$BUILD_DIR\`."
  echo "Server pinned to CPU $SERVER_CPU, uvws-loadgen to CPU $CLIENT_CPU; nice $NICE;" \
    "$ROUNDS rounds x ${measure_seconds} s measured after ${WARMUP} s of warm-up, servers alternating."
  if [[ " ${servers[*]} " == *" ws "* ]]; then
    ws_require='require("module").createRequire(process.argv[1] + "/package.json")'
    echo -n "Node.js $("$NODE" --version), ws $("$NODE" -p "$ws_require(\"ws/package.json\").version" "$WS_MODULE_DIR")"
    # ws unmasks in JavaScript unless its optional native add-on is installed.
    if "$NODE" -e "$ws_require.resolve(\"bufferutil\")" "$WS_MODULE_DIR" >/dev/null 2>&1; then
      echo " with its optional add-on bufferutil (native masking)."
    else
      echo " without its optional add-on bufferutil: it masks and unmasks in JavaScript."
    fi
  fi
  echo
  echo "CPU/msg is the server's CPU time (user + system, all threads) over the measured window"
  echo "divided by the messages it echoed in that window: median over the rounds, then min - max."
  echo "The CPU time is the schedstat run time (ns) where the kernel has it, which is what the"
  echo "utime+stime of /proc/PID/stat (10 ms ticks) are cut from; both are in \`$(basename "$raw")\`."
  echo "All threads count: Node.js runs JavaScript on one thread but has helper threads (garbage"
  echo "collection, libuv's pool), all pinned to the same core with it, and their time is part of"
  echo "what serving the messages cost, so the figure for \`ws\` covers the whole process, as for"
  echo "every other server. Throughput and latency depend on the machine's other load and are"
  echo "given for context. A failed run is shown with its reason and left out of the medians."
  echo
  echo "## Summary: server CPU per message (median; ratio to uvws)"
  echo
  echo "<!-- bench:echo:begin -->"
  header="| scenario |"
  rule="|---|"
  for server in "${servers[@]}"; do
    header+=" $(server_label "$server") |"
    rule+="---:|"
  done
  echo "$header"
  echo "$rule"
  notes=()
  for scenario in $SCENARIOS; do
    read -r uvws_median _ _ <<<"$(values "$scenario" uvws cpu_ns_per_msg | median_min_max)"
    row="| $(scenario_title "$scenario" | sed -E 's/-byte/ B/; s/connections/conn/; s/ x / × /') |"
    for server in "${servers[@]}"; do
      read -r med _ _ <<<"$(values "$scenario" "$server" cpu_ns_per_msg | median_min_max)"
      if [[ $med == nan ]]; then
        row+=" failed[^$scenario-$server] |"
        notes+=("[^$scenario-$server]: $(server_label "$server"), $scenario: $(table_cell "$(failures "$scenario" "$server")")")
      elif [[ $server == uvws || $uvws_median == nan ]]; then
        row+=" $(format_us "$med") µs |"
      else
        row+=" $(format_us "$med") µs ($(format_ratio "$med" "$uvws_median")) |"
      fi
    done
    echo "$row"
  done
  if [[ ${#notes[@]} -gt 0 ]]; then
    echo
    printf '%s\n' "${notes[@]}"
  fi
  echo "<!-- bench:echo:end -->"

  for scenario in $SCENARIOS; do
    echo
    echo "## $scenario: $(scenario_title "$scenario")"
    echo
    echo "| server | CPU/msg (us), median | min - max | vs uvws | msg/s | p50 (us) | p99 (us) | errors | runs |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    read -r uvws_median _ _ <<<"$(values "$scenario" uvws cpu_ns_per_msg | median_min_max)"
    scenario_notes=()
    for server in "${servers[@]}"; do
      read -r med lo hi <<<"$(values "$scenario" "$server" cpu_ns_per_msg | median_min_max)"
      read -r rate _ _ <<<"$(values "$scenario" "$server" msg_per_s | median_min_max)"
      read -r p50 _ _ <<<"$(values "$scenario" "$server" p50_us | median_min_max)"
      read -r p99 _ _ <<<"$(values "$scenario" "$server" p99_us | median_min_max)"
      errors=$(values "$scenario" "$server" errors | awk '{ s += $1 } END { print s + 0 }')
      ok=$(values "$scenario" "$server" cpu_ns_per_msg | wc -l)
      failed=$(failures "$scenario" "$server")
      [[ -z $failed ]] || scenario_notes+=("- $server: failed: $(table_cell "$failed")")
      awk -v s="$server" -v m="$med" -v lo="$lo" -v hi="$hi" -v u="$uvws_median" -v r="$rate" \
        -v p50="$p50" -v p99="$p99" -v e="$errors" -v ok="$ok" -v n="$ROUNDS" 'BEGIN {
          ratio = (u == "nan" || u + 0 == 0 || m == "nan") ? "-" : sprintf("%.2fx", m / u)
          if (m == "nan") { printf "| %s | failed | - | - | - | - | - | %s | 0/%d |\n", s, e, n; exit }
          printf "| %s | %.3f | %.3f - %.3f | %s | %.0f | %.0f | %.0f | %s | %d/%d |\n",
            s, m / 1000, lo / 1000, hi / 1000, ratio, r, p50, p99, e, ok, n }'
    done
    if [[ ${#scenario_notes[@]} -gt 0 ]]; then
      echo
      printf '%s\n' "${scenario_notes[@]}"
    fi
  done
} | tee "$OUT"

if [[ $CHART == 1 ]]; then
  if command -v gnuplot >/dev/null 2>&1; then
    bash "$bench_dir/chart.sh" "$raw" "${OUT%.md}.svg" || echo "run.sh: the chart failed" >&2
  else
    echo "run.sh: gnuplot is not installed: no chart" >&2
  fi
fi
if [[ $UPDATE_README == 1 ]]; then
  bash "$bench_dir/update_readme.sh"
fi
