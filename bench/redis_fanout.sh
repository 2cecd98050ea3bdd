#!/usr/bin/env bash
# bench/redis_fanout.sh: cross-process fan-out through Redis — two server processes A and B on
# loopback sharing one redis-server; 1 publisher connected to A, SUBSCRIBERS (1000) subscribers
# split evenly over A and B, SIZE (20) byte text messages, every message to every subscriber.
# uvws-broadcast --redis against Socket.IO with @socket.io/redis-adapter
# (bench/peers/socketio_server.mjs; `npm ci` in bench/peers installs its pinned packages).
#
#   (cd bench/peers && npm ci)
#   BUILD_DIR=build/bench ROUNDS=5 SECONDS=5 NICE=-10 bash bench/redis_fanout.sh
#
# Each run starts a fresh redis-server (/usr/bin/redis-server, a free port, --save ""
# --appendonly no) and two fresh servers, and stops them by PID. uvws-fanout
# (bench/fanout/main.cpp) drives both servers: its --socketio mode speaks Engine.IO 4 /
# Socket.IO 5 framing over the same WebSocket code (a text prefix, socketio.h), so the client's
# own cost is the same for both and stays out of the comparison (socket.io-client in Node would
# be a second, slower load generator). Two measurements per run, on the same processes:
# - saturation: the publisher stays at most 16 messages ahead of the slowest subscriber; gives
#   deliveries per second (one message reaching one subscriber), the servers' CPU time per
#   delivery (utime + stime of /proc/PID/stat, all threads, A and B summed, over the measured
#   window), Redis's CPU time per delivery separately, and p50/p99 latency;
# - fixed rate: RATE (10) messages per second, i.e. RATE x SUBSCRIBERS deliveries per second
#   (10,000 with the defaults); gives p50/p99 latency at that rate.
# Latency: the publisher puts its CLOCK_MONOTONIC send time in each payload (the clock of Node's
# process.hrtime); a subscriber takes the time when it reads the message off its socket. Every
# subscriber must receive every message, in order, or the run fails. Pinning (2-core machine):
# A and B on SERVER_CPU (0), uvws-fanout and redis-server on CLIENT_CPU (1). Servers alternate
# within each round. Tables: medians over the rounds, min - max, the ratio to uvws. Writes OUT
# (default bench/results/redis_fanout.md, with a summary between
# <!-- bench:redis_fanout:begin --> and <!-- bench:redis_fanout:end -->) and the JSON lines
# next to it.
#
# For scale, each round also runs the fixed rate on the raw epoll floor (bench-echo-epoll
# --broadcast, one process with every subscriber, no Redis; FLOOR=no skips it).
#
# Environment: SUBSCRIBERS, SIZE, ROUNDS (3), SECONDS (5), RATE (10), REDIS_FANOUT_SERVERS
# (default "uvws socketio"), FLOOR (yes), REDIS_SERVER (/usr/bin/redis-server), RUN_TIMEOUT (120),
# BUILD_DIR, SERVER_CPU, CLIENT_CPU, NICE, NODE (lib.sh), OUT.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

measure_seconds=$(env_seconds 5)
SUBSCRIBERS=${SUBSCRIBERS:-1000}
SIZE=${SIZE:-20}
ROUNDS=${ROUNDS:-3}
RATE=${RATE:-10}
RUN_TIMEOUT=${RUN_TIMEOUT:-120}
REDIS_FANOUT_SERVERS=${REDIS_FANOUT_SERVERS:-"uvws socketio"}
REDIS_SERVER=${REDIS_SERVER:-/usr/bin/redis-server}
FLOOR=${FLOOR:-yes}
[[ $FLOOR != yes || -n $(server_command epoll broadcast) ]] || FLOOR=no
OUT=${OUT:-$bench_dir/results/redis_fanout.md}
scenario=redis_fanout$SUBSCRIBERS
rate_scenario=redis_fanout${SUBSCRIBERS}_rate$RATE

client=$(find_program uvws-fanout)
[[ -n $client ]] || die "uvws-fanout is not built under $BUILD_DIR"
[[ -x $REDIS_SERVER ]] || die "$REDIS_SERVER is not installed"
# shellcheck disable=SC2086  # the list is split on purpose
begin_run redis_fanout.sh redis $REDIS_FANOUT_SERVERS
REDIS_PID=
A_PID=
B_PID=
stop_all() {
  local pid
  for pid in "$A_PID" "$B_PID" "$REDIS_PID"; do
    [[ -z $pid ]] || stop_pid "$pid"
  done
  A_PID='' B_PID='' REDIS_PID=''
}
trap 'stop_all; rm -rf "$tmp"' EXIT

# Starts redis-server on CLIENT_CPU on a free port (up to 5 random ports are tried); sets
# REDIS_PID and REDIS_URL once it says it is ready (at most 10 s each), or returns 1.
start_redis() {
  local attempt i port
  for ((attempt = 0; attempt < 5; attempt++)); do
    port=$((20000 + RANDOM % 40000))
    pin_prefix "$CLIENT_CPU"
    "${PIN[@]}" "$REDIS_SERVER" --port "$port" --bind 127.0.0.1 --save "" --appendonly no \
      >"$tmp/redis.log" 2>&1 &
    REDIS_PID=$!
    for ((i = 0; i < 100; i++)); do
      if grep -q 'Ready to accept connections' "$tmp/redis.log"; then
        REDIS_URL=redis://127.0.0.1:$port
        export REDIS_URL
        return 0
      fi
      kill -0 "$REDIS_PID" 2>/dev/null || break
      sleep 0.1
    done
    stop_pid "$REDIS_PID"
    REDIS_PID=
  done
  return 1
}

# Runs uvws-fanout against A and B with the extra options "$@"; prints its JSON line (or
# nothing), its errors in $tmp/client.err.
run_client() {
  local mode=()
  [[ $server != socketio ]] || mode=(--socketio)
  pin_prefix "$CLIENT_CPU"
  timeout -k 10 "$((measure_seconds + RUN_TIMEOUT))" "${PIN[@]}" "$client" "${mode[@]}" \
    --port "$A_PORT" --sub-ports "$A_PORT,$B_PORT" --subscribers "$SUBSCRIBERS" --size "$SIZE" \
    --seconds "$measure_seconds" --server-pid "$A_PID,$B_PID" --redis-pid "$REDIS_PID" "$@" \
    2>"$tmp/client.err" | tail -n 1 || true
}

# Records the result $3 of scenario $1 (field $2 must be in it), or the failure.
record() {
  local name=$1 field=$2 result=$3
  if [[ $result != \{* || -z $(json_field "$result" "$field") ]]; then
    json_failure "$raw" "$name" "$server" "$round" "no result from uvws-fanout: $(tail -n 2 "$tmp/client.err")"
    return
  fi
  echo "{\"scenario\":\"$name\",\"server\":\"$server\",\"round\":$round,\"result\":$result}" >>"$raw"
  printf '%-12s round %d %-7s %9s deliveries/s %9s ns/delivery p50 %7s us p99 %7s us\n' \
    "$server" "$round" "${name##*_}" "$(json_field "$result" deliveries_per_s)" \
    "$(json_field "$result" server_cpu_ns_per_delivery)" \
    "$(json_field "$result" latency_p50_us)" "$(json_field "$result" latency_p99_us)" >&2
}

# Starts Redis, A and B; sets A_PID A_PORT B_PID B_PORT; returns 1 with the reason recorded.
start_all() {
  local fail=
  if ! start_redis; then
    fail="redis-server did not start: $(head -c 200 "$tmp/redis.log")"
  elif ! start_server "$server" "$tmp/a.log" redis; then
    fail="server A $SERVER_ERROR"
  else
    A_PID=$SERVER_PID A_PORT=$SERVER_PORT SERVER_PID=
    if ! start_server "$server" "$tmp/b.log" redis; then
      fail="server B $SERVER_ERROR"
    else
      B_PID=$SERVER_PID B_PORT=$SERVER_PORT SERVER_PID=
    fi
  fi
  [[ -z $fail ]] && return 0
  json_failure "$raw" "$scenario" "$server" "$round" "$fail"
  stop_all
  return 1
}

# The fixed-rate run on the raw epoll floor (one process, every subscriber on it, no Redis):
# what this machine's loopback costs at that rate with nothing but the relay in the way.
floor_rate() {
  local server=epoll
  if ! start_server epoll "$tmp/floor.log" broadcast; then
    json_failure "$raw" "$rate_scenario" epoll "$round" "server $SERVER_ERROR"
    return
  fi
  pin_prefix "$CLIENT_CPU"
  result=$(timeout -k 10 "$((measure_seconds + RUN_TIMEOUT))" "${PIN[@]}" "$client" \
    --port "$SERVER_PORT" --subscribers "$SUBSCRIBERS" --size "$SIZE" --seconds "$measure_seconds" \
    --server-pid "$SERVER_PID" --rate "$RATE" 2>"$tmp/client.err" | tail -n 1) || true
  stop_server
  record "$rate_scenario" latency_p99_us "$result"
}

for ((round = 1; round <= ROUNDS; round++)); do
  [[ $FLOOR != yes ]] || floor_rate
  for server in "${servers[@]}"; do
    start_all || continue
    saturated=$(run_client)
    fixed=$(run_client --rate "$RATE")
    dead=
    for pid in "$A_PID" "$B_PID" "$REDIS_PID"; do
      kill -0 "$pid" 2>/dev/null || dead=yes
    done
    stop_all
    if [[ -n $dead ]]; then
      json_failure "$raw" "$scenario" "$server" "$round" "a server or Redis exited: $(tail -c 200 "$tmp/a.log" "$tmp/b.log" "$tmp/redis.log")"
      continue
    fi
    record "$scenario" server_cpu_ns_per_delivery "$saturated"
    record "$rate_scenario" latency_p99_us "$fixed"
  done
done

# Field $3 of the results of scenario $1 for server $2, one per line.
values() { grep -F "\"scenario\":\"$1\",\"server\":\"$2\"," "$raw" | grep -F '"result":' |
  while read -r line; do json_field "$line" "$3"; done; }
# "median min max" of field $3 of scenario $1 for server $2.
stat() { values "$@" | median_min_max; }

# One row of the fixed-rate table: label $1, server $2, its p99 against $3 (none if empty).
rate_row() {
  awk -v s="$1" -v ok="$(values "$rate_scenario" "$2" latency_p99_us | wc -l)" -v n="$ROUNDS" \
    -v u="${3:-nan}" -v rate="$(stat "$rate_scenario" "$2" deliveries_per_s)" \
    -v p50="$(stat "$rate_scenario" "$2" latency_p50_us)" \
    -v p99="$(stat "$rate_scenario" "$2" latency_p99_us)" \
    -v cpu="$(stat "$rate_scenario" "$2" server_cpu_ns_per_delivery)" \
    -v own="$(stat "$rate_scenario" "$2" client_cpu_ns_per_delivery)" 'BEGIN {
      split(rate, r, " "); split(p50, a, " "); split(p99, b, " "); split(cpu, c, " ")
      split(own, d, " ")
      if (r[1] == "nan") { printf "| %s | failed | - | - | - | - | - | 0/%d |\n", s, n; exit }
      ratio = (u == "nan" || u + 0 == 0) ? "-" : sprintf("%.2f×", b[1] / u)
      printf "| %s | %.0f | %.0f (%.0f - %.0f) | %.0f (%.0f - %.0f) | %s | %.2f | %.2f | %d/%d |\n",
        s, r[1], a[1], a[2], a[3], b[1], b[2], b[3], ratio, c[1] / 1000, d[1] / 1000, ok, n }'
}

read -r uvws_cpu _ _ <<<"$(stat "$scenario" uvws server_cpu_ns_per_delivery)"
read -r uvws_rate _ _ <<<"$(stat "$scenario" uvws deliveries_per_s)"
read -r uvws_p99 _ _ <<<"$(stat "$rate_scenario" uvws latency_p99_us)"
saturation_rows=()
rate_rows=()
notes=()
for server in "${servers[@]}"; do
  label=$(server_label "$server")
  ok=$(values "$scenario" "$server" deliveries_per_s | wc -l)
  for s in "$scenario" "$rate_scenario"; do
    failed=$(jsonl_failures "$raw" "$s" "$server")
    [[ -z $failed ]] || notes+=("- $label ($s): failed: $(table_cell "$failed")")
  done
  saturation_rows+=("$(awk -v s="$label" -v ok="$ok" -v n="$ROUNDS" -v ucpu="$uvws_cpu" \
    -v urate="$uvws_rate" -v rate="$(stat "$scenario" "$server" deliveries_per_s)" \
    -v cpu="$(stat "$scenario" "$server" server_cpu_ns_per_delivery)" \
    -v redis="$(stat "$scenario" "$server" redis_cpu_ns_per_delivery)" \
    -v p50="$(stat "$scenario" "$server" latency_p50_us)" \
    -v p99="$(stat "$scenario" "$server" latency_p99_us)" 'BEGIN {
      split(rate, r, " "); split(cpu, c, " "); split(redis, q, " "); split(p50, a, " ")
      split(p99, b, " ")
      if (r[1] == "nan") { printf "| %s | failed | - | - | - | - | - | - | 0/%d |", s, n; exit }
      rr = (urate == "nan" || urate + 0 == 0) ? "-" : sprintf("%.2f×", r[1] / urate)
      cr = (ucpu == "nan" || ucpu + 0 == 0) ? "-" : sprintf("%.2f×", c[1] / ucpu)
      printf "| %s | %.0f (%.0f - %.0f) | %s | %.2f (%.2f - %.2f) | %s | %.0f (%.0f - %.0f) | %.0f / %.0f | %d/%d |",
        s, r[1], r[2], r[3], rr, c[1] / 1000, c[2] / 1000, c[3] / 1000, cr, q[1], q[2], q[3],
        a[1], b[1], ok, n }')")
  rate_rows+=("$(rate_row "$label" "$server" "$uvws_p99")")
done

{
  echo "# Fan-out through Redis: 2 server processes, 1 publisher, $SUBSCRIBERS subscribers, $SIZE-byte text"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(machine_summary)"
  echo "(load average at the start: $load_start). Build: \`$BUILD_DIR\`."
  echo "Servers A and B pinned to CPU $SERVER_CPU, uvws-fanout and redis-server to CPU $CLIENT_CPU;" \
    "nice $NICE; $ROUNDS rounds x ${measure_seconds} s per measurement, servers alternating."
  echo
  echo "A publisher on A; the subscribers split evenly over A and B; each message reaches the"
  echo "subscribers of A directly and those of B through Redis (PUBLISH by A, pub/sub to B)."
  echo "Servers: \`uvws-broadcast --redis\` (one topic, docs/REDIS.md), and Socket.IO"
  echo "$(cd "$bench_dir/peers" && "$NODE" -p 'require("socket.io/package.json").version' 2>/dev/null || echo '?')" \
    "with @socket.io/redis-adapter" \
    "$(cd "$bench_dir/peers" && "$NODE" -p 'require("@socket.io/redis-adapter/package.json").version' 2>/dev/null || echo '?')" \
    "and node-redis on Node.js $("$NODE" --version 2>/dev/null || echo '?')"
  echo "(bench/peers/socketio_server.mjs: every socket in one room, \`socket.to(room).emit\`). One"
  echo "client program drives both (uvws-fanout; with --socketio it speaks Engine.IO/Socket.IO"
  echo "framing: the 20-byte payload travels as \`42[\"m\",\"PAYLOAD\"]\`, 30 bytes)."
  echo "$(redis-server --version 2>/dev/null | cut -d' ' -f1-3), fresh for each run."
  echo
  echo "Saturation: the publisher stays at most 16 messages ahead of the slowest subscriber."
  echo "CPU per delivery: the CPU time of A and B together (utime + stime, all threads, 10 ms"
  echo "ticks) over the measured window divided by the deliveries in it; Redis's separately, in"
  echo "nanoseconds (it does its work per message, not per subscriber: a few ticks per window, so"
  echo "a coarse figure). Latency: from the publisher's send time in the payload to the"
  echo "subscriber's read, microseconds (at saturation it includes the 16-message window's"
  echo "queueing). Median over the rounds (min - max)."
  echo "Fixed rate: $RATE messages per second, $((RATE * SUBSCRIBERS)) deliveries per second, on"
  echo "the same processes right after. For scale, the raw epoll floor (bench-echo-epoll"
  echo "--broadcast: one process, all the subscribers, no Redis, the least a relay can do) at the"
  echo "same rate: below its latency nothing on this machine can go. At such a rate each delivery"
  echo "is a write system call of its own on the server, so the last subscriber of a message waits"
  echo "for about $SUBSCRIBERS of them: the p99 is set by what one loopback write costs here. The"
  echo "client, one thread, likewise reads the subscribers' sockets one after the other: its own CPU"
  echo "time per delivery (getrusage) is in the table, and $SUBSCRIBERS times it bounds the p99 too."
  echo
  echo "<!-- bench:redis_fanout:begin -->"
  echo "| server | deliveries/s | vs uvws | server CPU per delivery (µs, A + B) | vs uvws | Redis CPU per delivery (ns) | p50 / p99 latency (µs) | runs |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  printf '%s\n' "${saturation_rows[@]}"
  echo
  echo "At $((RATE * SUBSCRIBERS)) deliveries/s ($RATE messages/s):"
  echo
  echo "| server | deliveries/s | p50 latency (µs) | p99 latency (µs) | p99 vs uvws | server CPU per delivery (µs) | uvws-fanout CPU per delivery (µs) | runs |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  printf '%s\n' "${rate_rows[@]}"
  [[ $FLOOR != yes ]] || rate_row "raw epoll floor (1 process, no Redis)" epoll
  if [[ ${#notes[@]} -gt 0 ]]; then
    echo
    printf '%s\n' "${notes[@]}"
  fi
  echo "<!-- bench:redis_fanout:end -->"
} | tee "$OUT"
