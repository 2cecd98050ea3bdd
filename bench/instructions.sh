#!/usr/bin/env bash
# bench/instructions.sh: user-mode instructions per echoed message of uvws-echo, counted by
# valgrind (cachegrind), for variants of its command line side by side — a figure the machine's
# other load does not move, beside the CPU time of bench/run.sh, whose rounds vary by several
# percent on a shared machine. Made for A/B checks of small costs on the message path, such as
# the metrics counters (ServerOptions::metrics, docs/guide/11-metrics.md):
#
#   bash bench/instructions.sh                      # VARIANTS="default --no-metrics"
#
# Each variant runs twice: MESSAGES and then 2 x MESSAGES echoes of 20-byte text over 100
# connections with 32 in flight (bench/run.sh's "pipelined"). The difference of the two counts
# over MESSAGES is the cost of one message: start-up, handshakes and shutdown cancel out.
# Kernel time (recv, send, epoll) is not counted: it is the same for every variant.
#
# The variant "floor" counts bench-echo-epoll instead (bench/peers/epoll_echo.cpp: the least
# work a WebSocket echo can do on epoll), the yardstick for uvws's own user-mode share:
#
#   VARIANTS="default;floor" INFLIGHT=1 bash bench/instructions.sh
#
# Settings (environment): BUILD_DIR (default build/release, with UVWS_BUILD_BENCH=ON),
# MESSAGES (default 200000), INFLIGHT (messages in flight per connection, default 32),
# VARIANTS (";"-separated extra arguments of uvws-echo, "default" for none, "floor" for
# bench-echo-epoll; default "default;--no-metrics"), OUT (default: standard output only).
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MESSAGES=${MESSAGES:-200000}
INFLIGHT=${INFLIGHT:-32}
VARIANTS=${VARIANTS:-"default;--no-metrics"}
OUT=${OUT:-}

command -v valgrind >/dev/null || die "valgrind is not installed (apt-get install valgrind)"
echo_bin=$(find_program uvws-echo)
floor_bin=$(find_program bench-echo-epoll)
loadgen=$(find_program uvws-loadgen)
[[ -n $echo_bin && -n $loadgen ]] || die "uvws-echo and uvws-loadgen are not built under $BUILD_DIR"

tmp=$(mktemp -d)
server_pid=
cleanup() {
  if [[ -n $server_pid ]]; then kill -KILL "$server_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# Instructions uvws-echo (arguments "$@"; or bench-echo-epoll for the single argument
# "floor") executes while echoing $1 messages.
count_instructions() {
  local messages=$1 port i
  shift
  local server=("$echo_bin" --host 127.0.0.1 --port 0 --log-level warn "$@")
  if [[ "$*" == floor ]]; then
    [[ -n $floor_bin ]] || die "bench-echo-epoll is not built under $BUILD_DIR"
    server=("$floor_bin" --port 0)
  fi
  : >"$tmp/server.out"
  valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
    --log-file="$tmp/valgrind.log" "${server[@]}" >"$tmp/server.out" 2>&1 &
  server_pid=$!
  port=
  for ((i = 0; i < 300; i++)); do
    port=$(sed -nE -e 's/.*listening on ws:\/\/.*:([0-9]+)\/$/\1/p' \
      -e 's/^listening ([0-9]+)$/\1/p' "$tmp/server.out" | head -n 1)
    [[ -z $port ]] || break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  [[ -n $port ]] || die "${server[0]} did not start under valgrind: $(head -c 300 "$tmp/server.out")"
  timeout -k 10 600 "$loadgen" --port "$port" --connections 100 --size 20 --inflight "$INFLIGHT" \
    --messages "$messages" --warmup 0 --quiet >/dev/null ||
    die "uvws-loadgen failed against ${server[*]}"
  kill -TERM "$server_pid"
  wait "$server_pid" || [[ "$*" == floor ]] ||
    die "uvws-echo $* did not exit cleanly: $(tail -c 300 "$tmp/server.out")"
  server_pid=
  sed -nE 's/.*I[[:space:]]+refs:[[:space:]]+([0-9,]+).*/\1/p' "$tmp/valgrind.log" | tr -d ,
}

report() {
  if [[ -n $OUT ]]; then echo "$*" | tee -a "$OUT"; else echo "$*"; fi
}

if [[ -n $OUT ]]; then : >"$OUT"; fi
report "# uvws-echo: user-mode instructions per echoed message (cachegrind)"
report ""
report "$(date -u '+%Y-%m-%d %H:%M UTC'); build \`$BUILD_DIR\`; 100 connections x $INFLIGHT in flight," \
  "20-byte text; per message: (instructions at $((2 * MESSAGES)) messages - at $MESSAGES) / $MESSAGES."
report ""
report "| uvws-echo arguments | instructions / message | vs first |"
report "|---|---:|---:|"
first=
IFS=';' read -r -a variants <<<"$VARIANTS"
for variant in "${variants[@]}"; do
  args=()
  if [[ $variant != default ]]; then read -r -a args <<<"$variant"; fi
  small=$(count_instructions "$MESSAGES" "${args[@]}")
  large=$(count_instructions "$((2 * MESSAGES))" "${args[@]}")
  per=$(awk -v a="$small" -v b="$large" -v n="$MESSAGES" 'BEGIN { printf "%.1f", (b - a) / n }')
  if [[ -z $first ]]; then first=$per; fi
  ratio=$(awk -v p="$per" -v f="$first" 'BEGIN { printf "%.3f", p / f }')
  report "| ${variant} | $per | ${ratio}x |"
done
