#!/usr/bin/env bash
# The server's memory under hostile peers (bench/hostile/probe.py), for the figures in the
# README: a ping flood from a client that never reads, and many clients that each leave a large
# frame unfinished, first within the default limits (1 MiB messages, 256 MiB budget), then with
# 16 MiB messages, where the memory budget is what bounds the server.
#
#   BUILD_DIR=build/release bash bench/hostile.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
probe="$bench_dir/hostile/probe.py"
echo_bin=$(find_program uvws-echo)
[[ -n $echo_bin ]] || die "uvws-echo not found under $BUILD_DIR"

# Runs uvws-echo with "$@", then the probe with the attack given after "--".
run() {
  local args=() log port pid
  while [[ $1 != -- ]]; do
    args+=("$1")
    shift
  done
  shift
  log=$(mktemp)
  "$echo_bin" --host 127.0.0.1 --port 0 --log-level error "${args[@]}" >"$log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do
    port=$(sed -n 's/.*listening on [^ ]*:\([0-9]*\).*/\1/p' "$log" | head -1)
    [[ -n $port ]] && break
    sleep 0.05
  done
  [[ -n $port ]] || die "uvws-echo did not print its port: $(cat "$log")"
  /usr/bin/python3 "$probe" "$port" "$pid" "$@"
  kill -TERM "$pid"
  wait "$pid" || true
  rm -f "$log"
}

echo "== defaults (max_message_size 1 MiB, max_backpressure 1 MiB, memory_budget 256 MiB)"
run -- ping-flood 5
run -- partial-frames 8
run -- partial-frames 400
echo "== --max-message-size 16777216 (the budget bounds it)"
run --max-message-size 16777216 -- partial-frames 8 $((16 << 20))
run --max-message-size 16777216 -- partial-frames 40 $((16 << 20))
