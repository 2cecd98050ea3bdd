#!/usr/bin/env bash
# bench/deflate.sh: permessage-deflate (RFC 7692) — server CPU per echoed message and memory per
# idle compressing connection, uvws-echo --compression against the npm `ws` package with its
# perMessageDeflate (bench/peers/ws_echo.mjs --deflate) and python-websockets with its default
# compression (bench/peers/python_echo.py), side by side in one run.
#
#   BUILD_DIR=build/bench ROUNDS=5 SECONDS=5 bash bench/deflate.sh
#   SECTIONS=memory IDLE_CONNECTIONS=1000 BUILD_DIR=build/bench bash bench/deflate.sh
#
# Programs from BUILD_DIR (Release, UVWS_BUILD_BENCH=ON): uvws-echo and uvws-deflate-load
# (bench/deflate/client.cpp). A peer whose runtime is missing is skipped with a message.
#
# CPU section: each server pinned to SERVER_CPU, uvws-deflate-load to CLIENT_CPU, a fresh
# server per run, servers alternating within each round. CONNECTIONS (100) connections that
# negotiated permessage-deflate, one message in flight each, every message a different JSON
# chat event of about SIZE (1024) bytes. The client reads the server's CPU time (all threads:
# Node's zlib runs on libuv's thread pool) at both edges of the measured window. Median over
# the rounds, min-max, ratio to uvws; also the user-mode part and the bytes the server sent
# per message on the wire (what compression saved).
#
# Memory section: per round and server, a fresh server; WARMUP_CONNECTIONS compressing
# connections come, echo one message each and go (code, tables and the allocator's first
# pages are the baseline, not a cost per connection; bench/memory.sh explains why); then
# IDLE_CONNECTIONS (1000) connections each echo one compressed message and stay idle, and
# VmRSS is read once it has not moved for a second. Bytes per idle compressing connection =
# (RSS - baseline) / N. uvws twice: "uvws (held)" with --compression-idle-release-ms 0 (zlib
# state kept, as the peers keep theirs) and "uvws (released)" with RELEASE_MS (1000), read
# from RELEASE_MS + 1 s after the connections went idle, once each gave its zlib state back.
# Node's figure includes what its garbage collector has not yet reclaimed.
#
# Outputs: OUT (bench/results/deflate.md) with the summary between <!-- bench:deflate:begin -->
# and <!-- bench:deflate:end -->, and the JSON lines beside it (deflate.jsonl).
#
# Environment: SECTIONS ("cpu memory"), ROUNDS (3), SECONDS (5), WARMUP (1), CONNECTIONS,
# SIZE, IDLE_CONNECTIONS, WARMUP_CONNECTIONS (20), RELEASE_MS, DEFLATE_SERVERS ("uvws ws
# python"), PYTHON (/usr/bin/python3), RUN_TIMEOUT (120), STABLE_TIMEOUT (10), BUILD_DIR,
# SERVER_CPU, CLIENT_CPU, NICE, NODE, WS_MODULE_DIR (lib.sh).
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

measure_seconds=$(env_seconds 5)
SECTIONS=${SECTIONS:-"cpu memory"}
ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-1}
CONNECTIONS=${CONNECTIONS:-100}
SIZE=${SIZE:-1024}
IDLE_CONNECTIONS=${IDLE_CONNECTIONS:-1000}
WARMUP_CONNECTIONS=${WARMUP_CONNECTIONS:-20}
RELEASE_MS=${RELEASE_MS:-1000}
DEFLATE_SERVERS=${DEFLATE_SERVERS:-"uvws ws python"}
PYTHON=${PYTHON:-/usr/bin/python3}
RUN_TIMEOUT=${RUN_TIMEOUT:-120}
STABLE_TIMEOUT=${STABLE_TIMEOUT:-10}
OUT=${OUT:-$bench_dir/results/deflate.md}
section() { [[ " $SECTIONS " == *" $1 "* ]]; }

python_available() { "$PYTHON" -c 'import websockets' >/dev/null 2>&1; }

# The servers of this benchmark (lib.sh's server_command knows neither python nor the flags).
# uvws-held / uvws-released: the memory section's two uvws series.
server_command() {
  local echo_bin
  case "$1" in
    uvws | uvws-held | uvws-released | uvws-base)
      echo_bin=$(find_program uvws-echo)
      # uvws-base: the same uvws-echo from BASE_BUILD_DIR (an A/B run against another build).
      if [[ $1 == uvws-base ]]; then echo_bin=$(BUILD_DIR=${BASE_BUILD_DIR:-} find_program uvws-echo); fi
      [[ -n $echo_bin ]] || return 0
      echo -n "$echo_bin --host 127.0.0.1 --port 0 --log-level warn --compression"
      case "$1" in
        uvws-held) echo " --compression-idle-release-ms 0 --idle-timeout-ms 0" ;;
        uvws-released) echo " --compression-idle-release-ms $RELEASE_MS --idle-timeout-ms 0" ;;
        *) echo ;;
      esac
      ;;
    ws) if ws_available; then echo "$NODE $bench_dir/peers/ws_echo.mjs --port 0 --deflate"; fi ;;
    python) if python_available; then echo "$PYTHON $bench_dir/peers/python_echo.py --port 0"; fi ;;
    *) die "unknown server '$1'" ;;
  esac
}
eval "lib_$(declare -f server_unavailable)"
server_unavailable() {
  case "$1" in
    python) echo "$PYTHON cannot import websockets" ;;
    uvws*) echo "uvws-echo is not built under $BUILD_DIR" ;;
    *) lib_server_unavailable "$@" ;;
  esac
}
server_label() {
  case "$1" in
    ws) echo "ws (Node.js)" ;;
    python) echo "python-websockets" ;;
    uvws-held) echo "uvws (held)" ;;
    uvws-released) echo "uvws (released after $RELEASE_MS ms)" ;;
    uvws-base) echo "uvws (base: ${BASE_BUILD_DIR:-?})" ;;
    *) echo "$1" ;;
  esac
}

client=$(find_program uvws-deflate-load)
[[ -n $client ]] || die "uvws-deflate-load is not built under $BUILD_DIR"
# Keeps the rows of a section not run now (begin_run empties the .jsonl).
kept=$(mktemp)
if [[ -f ${OUT%.md}.jsonl ]]; then
  if ! section cpu; then grep -F '"scenario":"cpu"' "${OUT%.md}.jsonl" >"$kept" || true; fi
  if ! section memory; then grep -F '"scenario":"memory"' "${OUT%.md}.jsonl" >"$kept" || true; fi
fi
begin_run deflate.sh echo $DEFLATE_SERVERS
cat "$kept" >>"$raw"
rm -f "$kept"
CLIENT_PIDS=()
stop_clients() {
  local pid
  for pid in "${CLIENT_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${CLIENT_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  CLIENT_PIDS=()
}
trap 'stop_clients; stop_server; rm -rf "$tmp"' EXIT

if section cpu; then
  for ((round = 1; round <= ROUNDS; round++)); do
    for server in "${servers[@]}"; do
      if ! start_server "$server" "$tmp/server.log"; then
        json_failure "$raw" cpu "$server" "$round" "server $SERVER_ERROR"
        continue
      fi
      pin_prefix "$CLIENT_CPU"
      json=$(timeout -k 10 "$((WARMUP + measure_seconds + RUN_TIMEOUT))" "${PIN[@]}" "$client" \
        --port "$SERVER_PORT" --connections "$CONNECTIONS" --size "$SIZE" \
        --seconds "$measure_seconds" --warmup "$WARMUP" --server-pid "$SERVER_PID" \
        2>"$tmp/client.err" | tail -n 1) || true
      alive=yes
      kill -0 "$SERVER_PID" 2>/dev/null || alive=no
      stop_server
      ns=$(json_field "$json" server_cpu_ns_per_msg)
      if [[ $alive == no ]]; then
        json_failure "$raw" cpu "$server" "$round" "the server exited: $(tail -c 200 "$tmp/server.log")"
      elif [[ $json != \{* || -z $ns ]]; then
        json_failure "$raw" cpu "$server" "$round" "no result: $(tail -n 2 "$tmp/client.err")"
      else
        echo "{\"scenario\":\"cpu\",\"server\":\"$server\",\"round\":$round,\"cpu_ns_per_msg\":$ns,\"user_ns_per_msg\":$(json_field "$json" server_user_ns_per_msg),\"msg_per_s\":$(json_field "$json" msg_per_s),\"wire_bytes_per_msg\":$(json_field "$json" wire_bytes_per_msg),\"result\":$json}" >>"$raw"
        printf 'cpu     %-14s round %d: %9s ns/msg  %8s msg/s  %7s B/msg on the wire\n' "$server" \
          "$round" "$ns" "$(json_field "$json" msg_per_s)" "$(json_field "$json" wire_bytes_per_msg)" >&2
      fi
    done
  done
fi

# Starts uvws-deflate-load --idle with $1 connections; returns once it printed "idle N" (1 if it
# did not within RUN_TIMEOUT seconds).
open_idle() {
  local out=$tmp/idle.${#CLIENT_PIDS[@]}.out deadline=$((SECONDS + RUN_TIMEOUT))
  pin_prefix "$CLIENT_CPU"
  "${PIN[@]}" "$client" --port "$SERVER_PORT" --connections "$1" --size "$SIZE" --idle \
    >"$out" 2>"$tmp/idle.err" &
  CLIENT_PIDS+=($!)
  while ((SECONDS < deadline)); do
    grep -qx "idle $1" "$out" && return 0
    kill -0 "${CLIENT_PIDS[-1]}" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# For server $1: uvws-released's release timer runs from each connection's last message, so RSS
# is read only from a second after it (lib.sh's read_stable_rss waits until NOT_BEFORE_US).
release_wait() {
  NOT_BEFORE_US=0
  [[ $1 != uvws-released ]] || NOT_BEFORE_US=$(($(now_us) + (RELEASE_MS + 1000) * 1000))
}

if section memory; then
  mem_servers=()
  for s in "${servers[@]}"; do
    if [[ $s == uvws ]]; then mem_servers+=(uvws-held uvws-released); else mem_servers+=("$s"); fi
  done
  for ((round = 1; round <= ROUNDS; round++)); do
    for server in "${mem_servers[@]}"; do
      if ! start_server "$server" "$tmp/server.log"; then
        json_failure "$raw" memory "$server" "$round" "server $SERVER_ERROR"
        continue
      fi
      failed=
      if ! open_idle "$WARMUP_CONNECTIONS"; then
        failed="warm-up: $(tail -n 1 "$tmp/idle.err")"
      fi
      stop_clients
      release_wait "$server"
      read_stable_rss "$SERVER_PID"
      rss0=$RSS anon0=$ANON
      if [[ -z $failed ]] && ! open_idle "$IDLE_CONNECTIONS"; then
        failed="$IDLE_CONNECTIONS idle connections did not open: $(tail -n 1 "$tmp/idle.err")"
      fi
      if [[ -z $failed ]]; then
        release_wait "$server"
        read_stable_rss "$SERVER_PID"
      fi
      kill -0 "$SERVER_PID" 2>/dev/null || failed="the server exited: $(tail -c 200 "$tmp/server.log")"
      stop_clients
      stop_server
      if [[ -n $failed ]]; then
        json_failure "$raw" memory "$server" "$round" "$failed"
        continue
      fi
      per=$(awk -v a="$RSS" -v b="$rss0" -v n="$IDLE_CONNECTIONS" 'BEGIN { printf "%.0f", (a - b) * 1024 / n }')
      per_anon=$(awk -v a="$ANON" -v b="$anon0" -v n="$IDLE_CONNECTIONS" 'BEGIN { printf "%.0f", (a - b) * 1024 / n }')
      echo "{\"scenario\":\"memory\",\"server\":\"$server\",\"round\":$round,\"bytes_per_conn\":$per,\"anon_bytes_per_conn\":$per_anon,\"rss0_kb\":$rss0,\"rss_kb\":$RSS,\"open\":$IDLE_CONNECTIONS,\"stable\":\"$STABLE\"}" >>"$raw"
      printf 'memory  %-14s round %d: rss %s -> %s kB: %s B per idle compressing connection (anonymous %s)%s\n' \
        "$server" "$round" "$rss0" "$RSS" "$per" "$per_anon" "$([[ $STABLE == yes ]] || echo ', RSS still moving')" >&2
    done
  done
fi

values() { jsonl_values "$raw" "$@"; }  # lib.sh
failures() { jsonl_failures "$raw" "$@"; }  # lib.sh
# "median (min-max)" of the numbers on stdin with format $1, or "-".
med_range() {
  local m lo hi
  read -r m lo hi < <(median_min_max)
  if [[ $m == nan ]]; then echo "-"; else
    awk -v m="$m" -v lo="$lo" -v hi="$hi" -v f="$1" 'BEGIN { printf f " (" f "-" f ")", m, lo, hi }'
  fi
}
# The servers that have rows in the .jsonl for section $1, in run order.
seen() { grep -F "\"scenario\":\"$1\"" "$raw" | sed -E 's/.*"server":"([^"]*)".*/\1/' | awk '!s[$0]++'; }
speedups=no
"$PYTHON" -c 'import websockets.speedups' >/dev/null 2>&1 && speedups=yes

{
  echo "# permessage-deflate: CPU per message and memory per idle compressing connection"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(machine_summary)"
  echo "(load average at the start: $load_start). Build: \`$BUILD_DIR\`. Server pinned to CPU $SERVER_CPU,"
  echo "client to CPU $CLIENT_CPU; nice $NICE; $ROUNDS round(s), servers alternating, a fresh server per run."
  if ws_available; then
    echo "Node.js $("$NODE" --version), ws $("$NODE" -p 'require("module").createRequire(process.argv[1] + "/package.json")("ws/package.json").version' "$WS_MODULE_DIR")."
  fi
  if python_available; then
    echo "python-websockets $("$PYTHON" -c 'import websockets; print(websockets.__version__)') on $("$PYTHON" --version 2>&1), C speedups: $speedups."
  fi
  echo
  echo "Settings: uvws-echo \`--compression\` (zlib level 6, memLevel 4, 15-bit windows negotiated,"
  echo "its compressor within 12 bits: DeflateOptions::compression_window_bits, context takeover);"
  echo "ws \`perMessageDeflate: { threshold: 64 }\` (level 6, memLevel 8, 15-bit windows, zlib on"
  echo "libuv's thread pool); python-websockets \`compression=\"deflate\"\` (its defaults: 12-bit"
  echo "windows, memLevel 5). The client (uvws-deflate-load) compresses as uvws-echo does."
  echo "Messages: JSON chat events of about $SIZE bytes, each different (ids,"
  echo "times, names, words from a 32-word vocabulary), every one compressed by every server."
  echo "The machine was shared with other work during the run: absolute figures are noisy, the"
  echo "ratios from one run are what compares."
  echo
  echo "<!-- bench:deflate:begin -->"
  if [[ -n $(seen cpu) ]]; then
    echo "**Echo, $CONNECTIONS connections, 1 in flight, ~$SIZE-byte JSON** ($measure_seconds s measured per run): server CPU per"
    echo "message (all threads, schedstat), median (min-max) over the rounds; user-mode part from"
    echo "utime / (utime + stime); wire bytes = what the server sent per message (frame included)."
    echo
    echo "| server | CPU/msg (µs) | vs uvws | user-mode (µs) | msg/s | wire bytes/msg | runs |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    read -r u _ _ <<<"$(values cpu uvws cpu_ns_per_msg | median_min_max)"
    while read -r server; do
      read -r m _ _ <<<"$(values cpu "$server" cpu_ns_per_msg | median_min_max)"
      ratio=$(awk -v m="$m" -v u="$u" 'BEGIN { if (m == "nan" || u == "nan") print "-"; else printf "%.2f×", m / u }')
      echo "| $(server_label "$server") | $(values cpu "$server" cpu_ns_per_msg | awk '{ print $1 / 1000 }' | med_range %.2f) | $ratio | $(values cpu "$server" user_ns_per_msg | awk '{ print $1 / 1000 }' | med_range %.2f) | $(values cpu "$server" msg_per_s | med_range %.0f) | $(values cpu "$server" wire_bytes_per_msg | med_range %.0f) | $(values cpu "$server" cpu_ns_per_msg | wc -l)/$ROUNDS |"
      f=$(failures cpu "$server")
      [[ -z $f ]] || cpu_notes+=("- $(server_label "$server"): failed: $(table_cell "$f")")
    done < <(seen cpu)
    printf '%s\n' "${cpu_notes[@]+"${cpu_notes[@]}"}"
    echo
  fi
  if [[ -n $(seen memory) ]]; then
    echo "**Memory per idle compressing connection**, $IDLE_CONNECTIONS connections that each echoed one"
    echo "message: (VmRSS - baseline after $WARMUP_CONNECTIONS warm-up connections) / N, median (min-max) over the rounds."
    echo
    echo "| server | bytes / idle compressing connection (RSS) | anonymous (RssAnon) | runs |"
    echo "|---|---:|---:|---:|"
    while read -r server; do
      echo "| $(server_label "$server") | $(values memory "$server" bytes_per_conn | med_range %.0f) | $(values memory "$server" anon_bytes_per_conn | med_range %.0f) | $(values memory "$server" bytes_per_conn | wc -l)/$ROUNDS |"
      f=$(failures memory "$server")
      [[ -z $f ]] || mem_notes+=("- $(server_label "$server"): failed: $(table_cell "$f")")
    done < <(seen memory)
    printf '%s\n' "${mem_notes[@]+"${mem_notes[@]}"}"
  fi
  echo "<!-- bench:deflate:end -->"
} | tee "$OUT"
