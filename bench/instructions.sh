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
# Other servers under the same count: "floor-utf8" is the conforming floor (bench-echo-epoll
# --validate-utf8: the floor plus the UTF-8 check of text that RFC 6455 8.1 makes mandatory),
# "websocketpp" and "beast" the C++ peers of the echo benchmark (bench-echo-websocketpp,
# bench-echo-beast, when built). Node's ws is not counted: under valgrind a JIT's instructions
# say little about its speed. bench/results/user_cpu_floor.md compares them all:
#
#   VARIANTS="default;floor;floor-utf8;websocketpp;beast" bash bench/instructions.sh
#
# Settings (environment): BUILD_DIR (default build/release, with UVWS_BUILD_BENCH=ON),
# MESSAGES (default 200000), INFLIGHT (messages in flight per connection, default 32),
# VARIANTS (";"-separated extra arguments of uvws-echo, "default" for none, or one of the other
# servers above; default "default;--no-metrics"), OUT (default: standard output only),
# PROFILE_DIR (when set: callgrind instead of cachegrind, the same count, with each run's
# profile kept there as VARIANT-MESSAGES.callgrind and the per-message split into categories
# of bench/callgrind_split.py printed after each variant; a libuv with debug information, e.g.
# LD_LIBRARY_PATH=<a -g build of the same libuv>, lets it see inside libuv).
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MESSAGES=${MESSAGES:-200000}
INFLIGHT=${INFLIGHT:-32}
VARIANTS=${VARIANTS:-"default;--no-metrics"}
OUT=${OUT:-}
PROFILE_DIR=${PROFILE_DIR:-}
if [[ -n $PROFILE_DIR ]]; then mkdir -p "$PROFILE_DIR"; fi

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

# The command line of the program that is not uvws-echo for variant $1, in the array `server`;
# returns 1 for a uvws-echo variant.
other_server() {
  local bin
  case "$1" in
    floor | floor-utf8)
      [[ -n $floor_bin ]] || die "bench-echo-epoll is not built under $BUILD_DIR"
      server=("$floor_bin" --port 0)
      if [[ $1 == floor-utf8 ]]; then server+=(--validate-utf8); fi
      ;;
    websocketpp | beast)
      bin=$(find_program "bench-echo-$1")
      [[ -n $bin ]] || die "bench-echo-$1 is not built under $BUILD_DIR"
      server=("$bin" --port 0)
      ;;
    *) return 1 ;;
  esac
}

# Instructions uvws-echo (arguments "$@"; or the other server a single argument names, see
# other_server) executes while echoing $1 messages.
count_instructions() {
  local messages=$1 port i other=no
  shift
  local server=("$echo_bin" --host 127.0.0.1 --port 0 --log-level warn "$@")
  if [[ $# == 1 ]] && other_server "$1"; then other=yes; fi
  : >"$tmp/server.out"
  local tool=(--tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null)
  if [[ -n $PROFILE_DIR ]]; then
    tool=(--tool=callgrind --compress-strings=no --compress-pos=no
      "--callgrind-out-file=$PROFILE_DIR/$(profile_name "$*")-$messages.callgrind")
  fi
  valgrind "${tool[@]}" --log-file="$tmp/valgrind.log" "${server[@]}" >"$tmp/server.out" 2>&1 &
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
  # The peers do not handle SIGTERM: only uvws-echo must exit cleanly.
  wait "$server_pid" || [[ $other == yes ]] ||
    die "uvws-echo $* did not exit cleanly: $(tail -c 300 "$tmp/server.out")"
  server_pid=
  sed -nE -e 's/.*I[[:space:]]+refs:[[:space:]]+([0-9,]+).*/\1/p' \
    -e 's/.*Collected[[:space:]]*:[[:space:]]+([0-9]+).*/\1/p' "$tmp/valgrind.log" | tr -d ,
}

# The variant's arguments as a file name.
profile_name() {
  local name=${1:-default}
  name=${name// /_}
  echo "${name//[^A-Za-z0-9_.-]/}"
}

report() {
  if [[ -n $OUT ]]; then echo "$*" | tee -a "$OUT"; else echo "$*"; fi
}

if [[ -n $OUT ]]; then : >"$OUT"; fi
report "# uvws-echo: user-mode instructions per echoed message ($([[ -n $PROFILE_DIR ]] && echo callgrind || echo cachegrind))"
report ""
report "$(date -u '+%Y-%m-%d %H:%M UTC'); build \`$BUILD_DIR\`; 100 connections x $INFLIGHT in flight," \
  "20-byte text; per message: (instructions at $((2 * MESSAGES)) messages - at $MESSAGES) / $MESSAGES."
report ""
report "| uvws-echo arguments, or server | instructions / message | vs first |"
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
  if [[ -n $PROFILE_DIR ]]; then
    name=$(profile_name "${args[*]:-}")
    python3 "$(dirname "${BASH_SOURCE[0]}")/callgrind_split.py" "$PROFILE_DIR/$name-$MESSAGES.callgrind" \
      "$PROFILE_DIR/$name-$((2 * MESSAGES)).callgrind" "$MESSAGES" >"$PROFILE_DIR/$name.split.md"
    echo "  (split into categories: $PROFILE_DIR/$name.split.md)" >&2
  fi
done
