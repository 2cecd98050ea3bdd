#!/usr/bin/env bash
# bench/fanout.sh: fan-out — 1 publisher, SUBSCRIBERS (1000) subscribers, SIZE (20) byte text
# messages, each sent by the server to every other client: uvws-broadcast against the npm `ws`
# package's broadcast example (bench/peers/ws_echo.mjs --broadcast) and a raw epoll floor
# (bench-echo-epoll --broadcast). websocketpp and Beast have no pub/sub of their own, so they
# are not in this benchmark (a broadcast loop written here for them would measure that loop).
#
#   BUILD_DIR=build-bench ROUNDS=3 SECONDS=5 bash bench/fanout.sh
#
# Each server runs pinned to SERVER_CPU, uvws-fanout (bench/fanout/main.cpp) to CLIENT_CPU;
# servers alternate within each round, a fresh process per run. uvws-fanout keeps the publisher
# at most 16 messages ahead of the slowest subscriber, checks that every subscriber gets every
# message in order, and reads the server's CPU time (utime + stime of /proc/PID/stat, all
# threads) around its measured window. The table gives medians over the rounds of server CPU
# per delivery (one message reaching one subscriber), min - max, the ratio to uvws, and
# deliveries per second; a failed run is shown with its reason. Writes OUT (default
# bench/results/fanout.md, with a summary between <!-- bench:fanout:begin --> and
# <!-- bench:fanout:end --> for bench/update_readme.sh) and the JSON lines next to it.
#
# Environment: SUBSCRIBERS, SIZE, ROUNDS (3), SECONDS (5), FANOUT_SERVERS (default
# "uvws ws epoll"; "uvws-deflate" adds uvws-broadcast with permessage-deflate and compressing
# subscribers: SIZE 64 or more, or nothing is compressed), RUN_TIMEOUT (120), BUILD_DIR,
# SERVER_CPU, CLIENT_CPU, NICE, NODE (lib.sh), OUT.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

measure_seconds=$(env_seconds 5)
SUBSCRIBERS=${SUBSCRIBERS:-1000}
SIZE=${SIZE:-20}
ROUNDS=${ROUNDS:-3}
RUN_TIMEOUT=${RUN_TIMEOUT:-120}
FANOUT_SERVERS=${FANOUT_SERVERS:-"uvws ws epoll"}
OUT=${OUT:-$bench_dir/results/fanout.md}
scenario=fanout$SUBSCRIBERS

client=$(find_program uvws-fanout)
[[ -n $client ]] || die "uvws-fanout is not built under $BUILD_DIR"
begin_run fanout.sh broadcast $FANOUT_SERVERS


for ((round = 1; round <= ROUNDS; round++)); do
  for server in "${servers[@]}"; do
    if ! start_server "$server" "$tmp/server.log" broadcast; then
      json_failure "$raw" "$scenario" "$server" "$round" "server $SERVER_ERROR"
      continue
    fi
    pin_prefix "$CLIENT_CPU"
    client_args=()
    # Compressing subscribers for the compressing server (every published message compressed
    # once for all of them).
    if [[ $server == uvws-deflate ]]; then client_args+=(--deflate); fi
    result=$(timeout -k 10 "$((measure_seconds + RUN_TIMEOUT))" "${PIN[@]}" "$client" \
      --port "$SERVER_PORT" --subscribers "$SUBSCRIBERS" --size "$SIZE" \
      --seconds "$measure_seconds" --server-pid "$SERVER_PID" "${client_args[@]}" \
      2>"$tmp/client.err" | tail -n 1) || true
    server_alive=yes
    kill -0 "$SERVER_PID" 2>/dev/null || server_alive=no
    stop_server
    if [[ $server_alive == no ]]; then
      json_failure "$raw" "$scenario" "$server" "$round" "the server exited: $(tail -c 200 "$tmp/server.log")"
      continue
    fi
    ns=$(json_field "$result" server_cpu_ns_per_delivery)
    if [[ $result != \{* || -z $ns ]]; then
      json_failure "$raw" "$scenario" "$server" "$round" "no result from uvws-fanout: $(tail -n 2 "$tmp/client.err")"
      continue
    fi
    echo "{\"scenario\":\"$scenario\",\"server\":\"$server\",\"round\":$round,\"cpu_ns_per_delivery\":$ns,\"result\":$result}" >>"$raw"
    printf '%-12s round %d: %9s ns/delivery  %9s deliveries/s\n' "$server" "$round" "$ns" \
      "$(json_field "$result" deliveries_per_s)" >&2
  done
done

values() { jsonl_values "$raw" "$scenario" "$@"; }  # lib.sh
failures() {
  grep -F "\"server\":\"$1\"," "$raw" | grep -F '"failed":' |
    sed -E 's/.*"round":([0-9]+),"failed":"(.*)"}$/\2 (round \1)/' | paste -sd';' - |
    sed 's/;/; /g' || true
}

read -r uvws_median _ _ <<<"$(values uvws cpu_ns_per_delivery | median_min_max)"
rows=()
notes=()
for server in "${servers[@]}"; do
  read -r med lo hi <<<"$(values "$server" cpu_ns_per_delivery | median_min_max)"
  read -r rate _ _ <<<"$(values "$server" deliveries_per_s | median_min_max)"
  ok=$(values "$server" cpu_ns_per_delivery | wc -l)
  failed=$(failures "$server")
  [[ -z $failed ]] || notes+=("- $(server_label "$server"): failed: $(table_cell "$failed")")
  rows+=("$(awk -v s="$(server_label "$server")" -v m="$med" -v lo="$lo" -v hi="$hi" \
    -v u="$uvws_median" -v r="$rate" -v ok="$ok" -v n="$ROUNDS" 'BEGIN {
      if (m == "nan") { printf "| %s | failed | - | - | - | 0/%d |", s, n; exit }
      ratio = (u == "nan" || u + 0 == 0) ? "-" : sprintf("%.2f×", m / u)
      printf "| %s | %.2f | %.2f - %.2f | %s | %.0f | %d/%d |",
        s, m / 1000, lo / 1000, hi / 1000, ratio, r, ok, n }')")
done

{
  echo "# Fan-out: 1 publisher, $SUBSCRIBERS subscribers, $SIZE-byte text"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(machine_summary)"
  echo "(load average at the start: $load_start). Build: \`$BUILD_DIR\`."
  echo "Server pinned to CPU $SERVER_CPU, uvws-fanout to CPU $CLIENT_CPU; nice $NICE;" \
    "$ROUNDS rounds x ${measure_seconds} s, servers alternating."
  echo
  echo "Each message the publisher sends is delivered by the server to every subscriber; the"
  echo "publisher stays at most 16 messages ahead of the slowest one. CPU per delivery is the"
  echo "server's CPU time (utime + stime of /proc/PID/stat, all threads, 10 ms ticks) over the"
  echo "measured window divided by the deliveries in it: median over the rounds, then min - max."
  echo "The servers: \`uvws-broadcast\` (every connection subscribes to one topic, each message"
  echo "is published to it); the \`ws\` package's broadcast example on Node.js (a loop over"
  echo "\`wss.clients\`, one \`send\` per client, JavaScript and helper threads all counted); and"
  echo "the raw epoll floor, which relays whole frames and writes all the frames one read brought"
  echo "to each subscriber with one send() — the least work a relay can do, so below it is not"
  echo "reachable. websocketpp and Beast have no pub/sub and are not measured."
  echo
  echo "<!-- bench:fanout:begin -->"
  echo "| server | CPU per delivery (µs), median | min - max | vs uvws | deliveries/s | runs |"
  echo "|---|---:|---:|---:|---:|---:|"
  printf '%s\n' "${rows[@]}"
  if [[ ${#notes[@]} -gt 0 ]]; then
    echo
    printf '%s\n' "${notes[@]}"
  fi
  echo "<!-- bench:fanout:end -->"
} | tee "$OUT"
