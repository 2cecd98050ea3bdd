#!/usr/bin/env bash
# bench/tls.sh: WebSocket over TLS (wss://), uvws-echo against websocketpp (asio TLS), Boost.Beast
# (ssl_stream) and the npm `ws` package (an https server on Node.js), side by side in one run:
#   1. echo: server CPU time per echoed message (20-byte text on 100 and on 1,000 connections,
#      1 MiB binary on 10 connections, 1 in flight each), with plain uvws-echo (no TLS) beside;
#   2. handshakes: server CPU time per complete cycle of TCP connect + TLS 1.3 handshake +
#      WebSocket upgrade + close handshake, full and resumed (`uvws-loadgen --handshakes`, with
#      --resume each connection offers the session ticket of the last one that opened);
#   3. memory: resident memory per idle TLS connection at MEMORY_CONNECTIONS (10,000), by
#      bench/memory.sh's tls section (RSS after - RSS before, over the count, after a warm-up).
#
#   BUILD_DIR=build/bench ROUNDS=3 SECONDS=3 bench/tls.sh
#
# Builds nothing: the programs come from BUILD_DIR (configure Release with UVWS_BUILD_BENCH=ON
# and build uvws-echo, uvws-loadgen, bench-echo-websocketpp and bench-echo-beast). The `ws`
# peer needs node and the package scripts/setup.sh --tests installs; a peer that is missing is
# skipped with a message. The certificate is made for the run in a scratch directory by
# tests/tls/make_certs.sh (ECDSA P-256, localhost / 127.0.0.1); uvws-loadgen does not verify
# it. Every server keeps its TLS library's defaults (TLS 1.3 is what the client asks for,
# session tickets on); websocketpp and Beast use one asio ssl::context for all connections.
#
# As bench/run.sh: each server pinned to core SERVER_CPU, uvws-loadgen to CLIENT_CPU, on
# loopback; the servers alternate within each round, each run with a fresh server process;
# uvws-loadgen reads the server's CPU time (all threads, schedstat) at both edges of the
# measured window (after WARMUP seconds), so CPU time and messages (or handshakes) cover the
# same interval. The tables give medians over ROUNDS rounds with min-max and the ratio to uvws.
# A failed run (the server does not start or dies, not every connection opens, an echo is
# wrong, a --resume handshake that was not resumed) is recorded with its reason and left out.
# The memory section runs each server's rounds in turn (memory.sh's order), not alternating.
#
# Outputs: OUT (bench/results/tls.md) with a summary between <!-- bench:tls:begin --> and
# <!-- bench:tls:end -->, and the raw JSON lines next to it (tls.jsonl).
#
# Environment: SECTIONS ("echo handshake memory"), ROUNDS (3), SECONDS (measured seconds per
# run, 3), WARMUP (1), HANDSHAKE_CONNECTIONS (cycles under way at once, 4), MEMORY_CONNECTIONS
# (10000), RUN_TIMEOUT (120), SERVERS (default "uvws websocketpp beast ws"), SERVER_CPU,
# CLIENT_CPU, NICE, NODE (see lib.sh), OUT.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

measure_seconds=$(env_seconds 3)
ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-1}
RUN_TIMEOUT=${RUN_TIMEOUT:-120}
HANDSHAKE_CONNECTIONS=${HANDSHAKE_CONNECTIONS:-4}
MEMORY_CONNECTIONS=${MEMORY_CONNECTIONS:-10000}
SECTIONS=${SECTIONS:-"echo handshake memory"}
SERVERS=$(tr '\0' '\n' </proc/$$/environ | sed -n 's/^SERVERS=//p')
SERVERS=${SERVERS:-"uvws websocketpp beast ws"}
OUT=${OUT:-$bench_dir/results/tls.md}
section() { [[ " $SECTIONS " == *" $1 "* ]]; }

loadgen=$(find_program uvws-loadgen)
[[ -n $loadgen ]] || die "uvws-loadgen is not built under $BUILD_DIR"
# shellcheck disable=SC2086  # SERVERS is a list
begin_run tls.sh tls $SERVERS  # lib.sh: servers, tmp, raw, load_start
sh "$repo_dir/tests/tls/make_certs.sh" "$tmp/certs" >/dev/null
export TLS_CERT=$tmp/certs/server.pem TLS_KEY=$tmp/certs/server.key

# The echo scenarios have the plain uvws-echo (key uvws-plain) beside the TLS servers.
echo_keys=()
if [[ " ${servers[*]} " == *" uvws "* ]]; then echo_keys+=(uvws-plain); fi
echo_keys+=("${servers[@]}")

scenario_args() {
  case "$1" in
    small100) echo "--connections 100 --size 20 --inflight 1" ;;
    small1000) echo "--connections 1000 --size 20 --inflight 1" ;;
    large) echo "--connections 10 --size 1048576 --binary --inflight 1" ;;
    full) echo "--handshakes --connections $HANDSHAKE_CONNECTIONS" ;;
    resumed) echo "--handshakes --resume --connections $HANDSHAKE_CONNECTIONS" ;;
  esac
}
scenario_title() {
  case "$1" in
    small100) echo "20 B text, 100 conn, 1 in flight" ;;
    small1000) echo "20 B text, 1,000 conn, 1 in flight" ;;
    large) echo "1 MiB binary, 10 conn, 1 in flight" ;;
    full) echo "full handshake (connect + TLS 1.3 + upgrade + close)" ;;
    resumed) echo "resumed handshake (TLS 1.3 ticket)" ;;
    memory) echo "idle TLS connection, RSS at $(label_count "$MEMORY_CONNECTIONS") open" ;;
  esac
}
label_count() { sed -E ':a;s/([0-9])([0-9]{3})($|,)/\1,\2\3/;ta' <<<"$1"; }
key_label() {
  if [[ $1 == uvws-plain ]]; then echo "uvws, no TLS"; else server_label "$1"; fi
}

# run_one SCENARIO KEY ROUND: one run, a fresh server; a row (or a failure) in the .jsonl, with
# `value` = the server's CPU ns per message or per handshake cycle.
run_one() {
  local scenario=$1 key=$2 round=$3 name=$2 mode=tls json value wanted opened resumed count
  local -a args tls_arg=(--tls)
  if [[ $key == uvws-plain ]]; then name=uvws mode=echo tls_arg=(); fi
  read -r -a args <<<"$(scenario_args "$scenario")"
  if ! start_server "$name" "$tmp/server.log" "$mode"; then
    json_failure "$raw" "$scenario" "$key" "$round" "server $SERVER_ERROR"
    return 0
  fi
  pin_prefix "$CLIENT_CPU"
  : >"$tmp/loadgen.err"
  # timeout sends SIGTERM first: uvws-loadgen then ends its phase and still reports.
  json=$(timeout -k 10 "$((WARMUP + measure_seconds + RUN_TIMEOUT))" \
    "${PIN[@]}" "$loadgen" --port "$SERVER_PORT" "${args[@]}" "${tls_arg[@]}" \
    --duration "$measure_seconds" --warmup "$WARMUP" --server-pid "$SERVER_PID" --quiet \
    2>"$tmp/loadgen.err" | tail -n 1) || true
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    stop_server
    json_failure "$raw" "$scenario" "$key" "$round" \
      "the server exited during the run: $(tail -c 200 "$tmp/server.log")"
    return 0
  fi
  stop_server
  if [[ $json != \{* ]]; then
    json_failure "$raw" "$scenario" "$key" "$round" \
      "no result from uvws-loadgen: $(tail -n 2 "$tmp/loadgen.err")"
    return 0
  fi
  if [[ $(json_field "$json" mode) == '"handshake"' ]]; then
    count=$(json_field "$json" handshakes) resumed=$(json_field "$json" resumed)
    if [[ $(json_field "$json" errors) != 0 ]]; then
      json_failure "$raw" "$scenario" "$key" "$round" \
        "$(json_field "$json" errors) failed handshakes: $(head -n 1 "$tmp/loadgen.err")"
      return 0
    fi
    if [[ $scenario == resumed && $resumed != "$count" ]]; then
      json_failure "$raw" "$scenario" "$key" "$round" "$resumed of $count handshakes resumed"
      return 0
    fi
    value=$(json_field "$json" server_sched_ns_per_handshake)
    [[ -n $value && $value != null ]] || value=$(json_field "$json" server_ns_per_handshake)
  else
    wanted=$(sed -nE 's/.*--connections ([0-9]+).*/\1/p' <<<"${args[*]}")
    opened=$(json_field "$json" open)
    if [[ $opened != "$wanted" || $(json_field "$json" errors) != 0 ]]; then
      json_failure "$raw" "$scenario" "$key" "$round" \
        "$opened of $wanted connections opened, $(json_field "$json" errors) errors: $(head -n 1 "$tmp/loadgen.err")"
      return 0
    fi
    value=$(json_field "$json" server_sched_ns_per_msg)
    [[ -n $value && $value != null ]] || value=$(json_field "$json" server_ns_per_msg)
  fi
  if [[ -z $value || $value == null ]]; then
    json_failure "$raw" "$scenario" "$key" "$round" "nothing completed in the measured window"
    return 0
  fi
  echo "{\"scenario\":\"$scenario\",\"server\":\"$key\",\"round\":$round,\"value\":$value,\"result\":$json}" >>"$raw"
  printf '%-10s %-12s round %d: %10s ns  %s/s %s  errors %s\n' "$scenario" "$key" "$round" \
    "$value" "$(json_field "$json" msg_per_s)$(json_field "$json" handshakes_per_s)" \
    "$(json_field "$json" cipher)" "$(json_field "$json" errors)" >&2
}

scenarios=()
if section echo; then scenarios+=(small100 small1000 large); fi
if section handshake; then scenarios+=(full resumed); fi
for scenario in "${scenarios[@]}"; do
  keys=("${servers[@]}")
  [[ $scenario == full || $scenario == resumed ]] || keys=("${echo_keys[@]}")
  for ((round = 1; round <= ROUNDS; round++)); do
    for key in "${keys[@]}"; do run_one "$scenario" "$key" "$round"; done
  done
done

if section memory; then
  # bench/memory.sh's tls section; its rows (server tls-NAME) come into this .jsonl as scenario
  # "memory", its failures as failed rows.
  TLS_COUNTS=$MEMORY_CONNECTIONS SECTIONS=tls OUT=$tmp/memory.md SERVERS="${servers[*]}" \
    ROUNDS=$ROUNDS bash "$bench_dir/memory.sh" >/dev/null 2>"$tmp/memory.err" || true
  grep -E '^memory.sh: |round [0-9]+:' "$tmp/memory.err" >&2 || true
  sed -E 's/^\{"server":"tls-([^"]*)",/{"scenario":"memory","server":"\1",/' \
    "$tmp/memory.jsonl" >>"$raw" 2>/dev/null || true
  for server in "${servers[@]}"; do
    if [[ -z $(jsonl_values "$raw" memory "$server" per) ]]; then
      json_failure "$raw" memory "$server" 1 "$(sed -nE "s/^memory.sh: tls-$server: failed: //p" \
        "$tmp/memory.err" | head -n 1)"
    fi
  done
fi

# --- The tables ---------------------------------------------------------------------------------

values() { jsonl_values "$raw" "$@"; }  # lib.sh

# "median (min-max)" of the numbers on stdin in µs (ns in), or "failed".
range_us() {
  read -r m lo hi < <(median_min_max)
  [[ $m != nan ]] || { echo failed; return; }
  awk -v m="$m" -v lo="$lo" -v hi="$hi" 'BEGIN {
    f = (m < 10000) ? "%.2f" : (m < 100000) ? "%.1f" : "%.0f"
    printf f " (" f "-" f ")", m / 1000, lo / 1000, hi / 1000 }'
}
range_bytes() {
  read -r m lo hi < <(median_min_max)
  [[ $m != nan ]] || { echo failed; return; }
  printf '%.0f (%.0f-%.0f)' "$m" "$lo" "$hi"
}
median_of() { values "$@" | median_min_max | cut -d' ' -f1; }
ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN { if (a == "nan" || b == "nan" || b + 0 == 0) print "-"; else printf "%.2f×", a / b }'
}
# The best (lowest median) peer of a scenario: "median label", or "nan -".
best_peer() {
  local scenario=$1 field=$2 server m best=nan label=-
  for server in "${servers[@]}"; do
    [[ $server != uvws ]] || continue
    m=$(median_of "$scenario" "$server" "$field")
    [[ $m != nan ]] || continue
    if [[ $best == nan ]] || awk -v a="$m" -v b="$best" 'BEGIN { exit !(a < b) }'; then
      best=$m label=$(server_label "$server")
    fi
  done
  echo "$best $label"
}
# The summary row of scenario $1 (field $2, format function $3, keys ${@:4}), with uvws's ratio
# to the best peer and whether the target (ratio at most $TARGET) is met.
summary_row() {
  local scenario=$1 field=$2 format=$3 key uvws best label row
  shift 3
  row="| $(scenario_title "$scenario") |"
  for key in "$@"; do
    row+=" $(values "$scenario" "$key" "$field" | $format) |"
  done
  uvws=$(median_of "$scenario" uvws "$field")
  read -r best label <<<"$(best_peer "$scenario" "$field")"
  local r met=-
  r=$(ratio "$uvws" "$best")
  if [[ $r != - ]]; then
    met=$(awk -v a="$uvws" -v b="$best" -v t="$TARGET" 'BEGIN { print (a <= b * t) ? "yes" : "no" }')
  fi
  echo "$row $label | $r | $met |"
}
# summary_table TITLE FIELD FORMAT "SCENARIO..." KEY...: a summary table, one row per scenario
# that has rows in the .jsonl, one column per key, with the ratio to the best peer and TARGET.
summary_table() {
  local title=$1 field=$2 format=$3 scenario key header rule="|---|"
  local -a table_scenarios
  read -r -a table_scenarios <<<"$4"
  shift 4
  header="| $title |"
  for key in "$@"; do
    header+=" $(key_label "$key") |"
    rule+="---:|"
  done
  echo "$header best peer | uvws / best peer | target met |"
  echo "$rule---|---:|---|"
  for scenario in "${table_scenarios[@]}"; do
    [[ -n $(grep -F "\"scenario\":\"$scenario\"" "$raw" | head -n 1) ]] || continue
    summary_row "$scenario" "$field" "$format" "$@"
  done
}
failure_notes() {
  local scenario key f
  for scenario in "$@"; do
    for key in "${echo_keys[@]}"; do
      f=$(jsonl_failures "$raw" "$scenario" "$key")
      [[ -z $f ]] || echo "- $(key_label "$key"), $scenario: failed: $(table_cell "$f")"
    done
  done
}

cipher=$(grep -o '"cipher":"[^"]*"' "$raw" | grep -v '""' | sort | uniq -c | sort -rn |
  awk '{ sub(/"cipher":/, "", $2); gsub(/"/, "", $2); printf "%s%s (%d runs)", sep, $2, $1; sep = ", " }')
{
  echo "# WebSocket over TLS: server CPU per message and per handshake, memory per idle connection"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(machine_summary)"
  echo "(load average at the start: $load_start). Build: \`$BUILD_DIR\`. $(openssl version)."
  echo "Server pinned to CPU $SERVER_CPU, uvws-loadgen to CPU $CLIENT_CPU; nice $NICE;" \
    "$ROUNDS rounds x ${measure_seconds} s measured after ${WARMUP} s of warm-up, servers alternating."
  if [[ " ${servers[*]} " == *" ws "* ]]; then
    echo "Node.js $("$NODE" --version) ($("$NODE" -p 'process.versions.openssl' 2>/dev/null | sed 's/^/OpenSSL /'))," \
      "ws $("$NODE" -p 'require("module").createRequire(process.argv[1] + "/package.json")("ws/package.json").version' "$WS_MODULE_DIR")."
  fi
  echo "TLS 1.3 (the client allows nothing older), negotiated cipher suite: ${cipher:-?}."
  echo "Command: \`BUILD_DIR=$BUILD_DIR ROUNDS=$ROUNDS SECONDS=$measure_seconds bash bench/tls.sh\`."
  echo
  echo "CPU figures are the server's CPU time (schedstat run time, all threads) over the measured"
  echo "window divided by the messages echoed (or handshake cycles completed) in it: median over the"
  echo "rounds (min-max), in µs. A handshake cycle is TCP connect + TLS 1.3 handshake + WebSocket"
  echo "upgrade + close handshake, $HANDSHAKE_CONNECTIONS under way at once; \"resumed\" offers the"
  echo "session ticket of the last connection that opened, and every such handshake was resumed"
  echo "(checked with SSL_session_reused). Memory: RSS after $(label_count "$MEMORY_CONNECTIONS") idle TLS connections"
  echo "opened - RSS after a warm-up of 100 TLS connections, over the count (bench/memory.sh's"
  echo "method). Targets: uvws at or below the best peer's CPU (ratio <= 1), and at most a third of"
  echo "the best peer's memory per idle connection (ratio <= 0.33)."
  echo
  echo "<!-- bench:tls:begin -->"
  if section echo; then
    TARGET=1 summary_table "echo: CPU per message" value range_us "small100 small1000 large" \
      "${echo_keys[@]}"
    echo
  fi
  if section handshake; then
    TARGET=1 summary_table "handshake: CPU per cycle" value range_us "full resumed" "${servers[@]}"
    echo
  fi
  if section memory; then
    TARGET=0.3334 summary_table "memory: bytes per idle connection" per range_bytes memory \
      "${servers[@]}"
  fi
  notes=$(failure_notes small100 small1000 large full resumed memory)
  if [[ -n $notes ]]; then
    echo
    echo "$notes"
  fi
  echo "<!-- bench:tls:end -->"
  echo
  echo "## Throughput and latency (context; median over the rounds)"
  echo
  echo "| scenario | server | msg/s or handshakes/s | p50 (µs) | p99 (µs) | load generator CPU (s) | runs |"
  echo "|---|---|---:|---:|---:|---:|---:|"
  for scenario in small100 small1000 large full resumed; do
    for key in "${echo_keys[@]}"; do
      ok=$(values "$scenario" "$key" value | wc -l)
      ((ok > 0)) || continue
      rate=$(median_of "$scenario" "$key" msg_per_s)
      [[ $rate != nan ]] || rate=$(median_of "$scenario" "$key" handshakes_per_s)
      p50=$(median_of "$scenario" "$key" p50_us) p99=$(median_of "$scenario" "$key" p99_us)
      printf '| %s | %s | %.0f | %s | %s | %s | %d/%d |\n' "$scenario" "$(key_label "$key")" "$rate" \
        "$([[ $p50 == nan ]] && echo - || echo "$p50")" "$([[ $p99 == nan ]] && echo - || echo "$p99")" \
        "$(median_of "$scenario" "$key" client_cpu_s)" "$ok" "$ROUNDS"
    done
  done
  if section memory; then
    echo
    echo "## Memory per idle TLS connection: detail (median, min-max)"
    echo
    echo "| server | open | VmRSS before (kB) | VmRSS at N (kB) | RSS / connection (B) | anonymous / connection (B) |"
    echo "|---|---:|---:|---:|---:|---:|"
    for key in "${servers[@]}"; do
      [[ -n $(values memory "$key" per) ]] || continue
      echo "| $(server_label "$key") | $(values memory "$key" open | range_bytes) | $(values memory "$key" rss0_kb | range_bytes) | $(values memory "$key" rss_kb | range_bytes) | $(values memory "$key" per | range_bytes) | $(values memory "$key" per_anon | range_bytes) |"
    done
  fi
} | tee "$OUT"
