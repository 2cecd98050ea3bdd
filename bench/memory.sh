#!/usr/bin/env bash
# bench/memory.sh: resident memory per idle WebSocket connection — uvws-echo and the peers
# (websocketpp, Boost.Beast, the npm `ws` package on Node.js, the raw epoll floor).
#
#   BUILD_DIR=build-bench bench/memory.sh
#
# For each server (pinned to SERVER_CPU, with a 20,000-descriptor limit since uvws-echo does
# not raise its own): VmRSS from /proc/PID/status with no connection, after a warm-up of
# WARMUP_CONNECTIONS connections that came, echoed a message each and went (so that code
# paged in for the first connection is not counted per connection); then with CONNECTIONS
# idle WebSocket connections opened and held by `uvws-loadgen --idle` (pinned to
# CLIENT_CPU), after the handshakes are done and SETTLE seconds have passed. The difference
# divided by the connections open is the cost of one idle connection in user space (kernel
# socket buffers are not in RSS). The table goes to bench/results/memory.md (or OUT), with a
# summary between <!-- bench:memory:begin --> and <!-- bench:memory:end --> for
# bench/update_readme.sh. A server that fails is shown as failed with the reason.
#
# Environment: CONNECTIONS (10000), SETTLE (2), WARMUP_CONNECTIONS (100), SERVERS,
# BUILD_DIR, SERVER_CPU, CLIENT_CPU, NICE (see lib.sh), OUT.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CONNECTIONS=${CONNECTIONS:-10000}
SETTLE=${SETTLE:-2}
WARMUP_CONNECTIONS=${WARMUP_CONNECTIONS:-100}
OUT=${OUT:-$bench_dir/results/memory.md}

loadgen=$(find_program uvws-loadgen)
[[ -n $loadgen ]] || die "uvws-loadgen is not built under $BUILD_DIR"

tmp=$(mktemp -d)
LOADGEN_PID=
cleanup() {
  if [[ -n $LOADGEN_PID ]]; then
    kill -TERM "$LOADGEN_PID" 2>/dev/null || true
    wait "$LOADGEN_PID" 2>/dev/null || true
  fi
  stop_server
  rm -rf "$tmp"
}
trap cleanup EXIT

# A field of /proc/PID/status in kB; empty once the process has exited.
status_kb() {
  sed -nE "s/^$2:[[:space:]]+([0-9]+) kB/\\1/p" "/proc/$1/status" 2>/dev/null || true
}

rows=()
summary=()
notes=()
uvws_per=
# Records that server $1 failed, for reason $2.
failed_row() {
  echo "memory.sh: $1: failed: $2" >&2
  rows+=("| $1 | failed | - | - | - | - | - | - | - |")
  summary+=("| $(server_label "$1") | failed | - | - |")
  notes+=("- $(server_label "$1"): $(table_cell "$2")")
}
for server in $SERVERS; do
  if [[ -z $(server_command "$server") ]]; then
    echo "memory.sh: $server skipped: $(server_unavailable "$server")" >&2
    continue
  fi
  if ! start_server "$server" "$tmp/server.log"; then
    failed_row "$server" "server $SERVER_ERROR"
    continue
  fi
  # Warm-up: a few connections that handshake, echo and close, so that code paged in for the
  # first connection (OpenSSL's SHA-1 for the handshake, ...) is in the baseline and not
  # counted as per-connection memory.
  pin_prefix "$CLIENT_CPU"
  "${PIN[@]}" "$loadgen" --port "$SERVER_PORT" --connections "$WARMUP_CONNECTIONS" \
    --messages "$WARMUP_CONNECTIONS" --quiet >/dev/null 2>>"$tmp/warmup.err" || true
  sleep 1
  rss0=$(status_kb "$SERVER_PID" VmRSS)
  anon0=$(status_kb "$SERVER_PID" RssAnon)
  "${PIN[@]}" "$loadgen" --port "$SERVER_PORT" --connections "$CONNECTIONS" --idle \
    >"$tmp/idle.out" 2>"$tmp/idle.err" &
  LOADGEN_PID=$!
  opened=
  for ((i = 0; i < 1200; i++)); do
    opened=$(sed -nE 's/^idle ([0-9]+)$/\1/p' "$tmp/idle.out")
    [[ -n $opened ]] && break
    kill -0 "$LOADGEN_PID" 2>/dev/null || break
    sleep 0.1
  done
  sleep "$SETTLE"
  rss1=$(status_kb "$SERVER_PID" VmRSS)
  anon1=$(status_kb "$SERVER_PID" RssAnon)
  server_alive=yes
  kill -0 "$SERVER_PID" 2>/dev/null || server_alive=no
  kill -TERM "$LOADGEN_PID" 2>/dev/null || true
  wait "$LOADGEN_PID" || true
  LOADGEN_PID=
  result=$(tail -n 1 "$tmp/idle.out")
  errors=$(json_field "$result" errors)
  stop_server
  if [[ $server_alive == no ]]; then
    failed_row "$server" "the server exited: $(tail -c 200 "$tmp/server.log")"
    continue
  fi
  if [[ -z $opened || $opened == 0 ]]; then
    failed_row "$server" "no idle connections: $(tail -n 2 "$tmp/idle.err")"
    continue
  fi
  if [[ $opened != "$CONNECTIONS" ]]; then
    notes+=("- $(server_label "$server"): $opened of $CONNECTIONS connections opened: $(table_cell "$(head -n 1 "$tmp/idle.err")")")
  fi
  per=$(awk -v a="$rss0" -v b="$rss1" -v n="$opened" 'BEGIN { printf "%.0f", (b - a) * 1024 / n }')
  per_anon=$(awk -v a="$anon0" -v b="$anon1" -v n="$opened" 'BEGIN { printf "%.0f", (b - a) * 1024 / n }')
  printf '%-12s rss %6s kB -> %7s kB with %s idle: %s bytes per connection (anonymous: %s)\n' \
    "$server" "$rss0" "$rss1" "$opened" "$per" "$per_anon" >&2
  rows+=("| $server | $rss0 | $rss1 | $opened | **$per** | $anon0 | $anon1 | $per_anon | ${errors:-?} |")
  [[ $server == uvws ]] && uvws_per=$per
  ratio=-
  if [[ -n $uvws_per && $uvws_per != 0 ]]; then
    ratio=$(awk -v p="$per" -v u="$uvws_per" 'BEGIN { printf "%.1f×", p / u }')
  fi
  summary+=("| $(server_label "$server") | $per | $per_anon | $ratio |")
done

mkdir -p "$(dirname "$OUT")"
{
  echo "# Memory per idle WebSocket connection"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(machine_summary). Build: \`$BUILD_DIR\`."
  echo
  echo "VmRSS of the server with no connection (after $WARMUP_CONNECTIONS warm-up connections came and"
  echo "went), then with $CONNECTIONS idle connections held by \`uvws-loadgen --idle\` (handshakes"
  echo "done, ${SETTLE} s later). Bytes per connection = (RSS with - RSS without) / connections"
  echo "open; the same from RssAnon (anonymous memory only, no file-backed pages) is given too. Kernel"
  echo "socket memory is not in RSS. Target for uvws: <= 512 bytes. Node.js's figure includes"
  echo "whatever its garbage collector has not yet reclaimed, as any process's RSS would."
  echo
  echo "<!-- bench:memory:begin -->"
  echo "| server | bytes / idle connection (RSS) | anonymous (RssAnon) | vs uvws |"
  echo "|---|---:|---:|---:|"
  printf '%s\n' "${summary[@]}"
  if [[ ${#notes[@]} -gt 0 ]]; then
    echo
    printf '%s\n' "${notes[@]}"
  fi
  echo "<!-- bench:memory:end -->"
  echo
  echo "| server | VmRSS without (kB) | VmRSS with (kB) | connections | bytes / connection | RssAnon without (kB) | RssAnon with (kB) | anon bytes / connection | errors |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  printf '%s\n' "${rows[@]}"
} | tee "$OUT"
