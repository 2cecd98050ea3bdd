#!/usr/bin/env bash
# bench/threads.sh: how uvws scales with its loops — uvws-echo with --threads 1 and --threads 2
# (throughput and server CPU per message), and the cost of a cross-loop publish
# (Server::publish from a thread outside the loops, bench/fanout/xpublish.cpp) against a publish
# from the receiving loop, with 1 and 2 loops.
#
#   BUILD_DIR=build/bench ROUNDS=5 SECONDS=5 bash bench/threads.sh
#
# Programs from BUILD_DIR (Release, UVWS_BUILD_BENCH=ON): uvws-echo, uvws-loadgen, uvws-xpublish,
# uvws-fanout.
#
# Unlike bench/run.sh, the server is not pinned to one core: it may run on SERVER_CPUS (0,1:
# both cores of the machine this was written on), and the load generator runs on CLIENT_CPUS
# (0,1) at nice CLIENT_NICE (10), so that the server's loops get the cores first and the
# generator takes what they leave. On a 2-core machine the generator still needs a share of
# the cores to make the load, so two loops cannot double the throughput here: the figures say
# what scaling this machine can show, the CPU per message says what a loop costs.
# Configurations alternate within each round, a fresh server per run.
#
# Echo scenarios (uvws-loadgen): small100 (20-byte text, 100 connections, 1 in flight) and
# pipelined (100 connections x 32 in flight). Publish scenario (uvws-fanout): 1 publisher,
# SUBSCRIBERS (1000) subscribers, 20-byte text; the publisher stays at most 16 messages ahead
# of the slowest subscriber. Its server publishes each message either with WebSocket::publish
# on the loop that received it (loop) or with Server::publish from its own thread (thread: the
# loop hands the payload over through a queue). Server CPU per delivery and deliveries per
# second. The CPU figure of the fan-out is utime + stime (10 ms ticks, all threads).
#
# Outputs: OUT (bench/results/threads.md, summary between <!-- bench:threads:begin --> and
# <!-- bench:threads:end -->) and the JSON lines beside it (threads.jsonl).
#
# Environment: SCENARIOS ("small100 pipelined publish"), ROUNDS (3), SECONDS (5), WARMUP (1),
# SUBSCRIBERS, SERVER_CPUS, CLIENT_CPUS, CLIENT_NICE, RUN_TIMEOUT (120), BUILD_DIR, OUT.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

measure_seconds=$(env_seconds 5)
SCENARIOS=${SCENARIOS:-"small100 pipelined publish"}
ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-1}
SUBSCRIBERS=${SUBSCRIBERS:-1000}
SERVER_CPUS=${SERVER_CPUS:-0,1}
CLIENT_CPUS=${CLIENT_CPUS:-0,1}
CLIENT_NICE=${CLIENT_NICE:-10}
RUN_TIMEOUT=${RUN_TIMEOUT:-120}
OUT=${OUT:-$bench_dir/results/threads.md}
SERVER_CPU=$SERVER_CPUS  # start_server pins the server to SERVER_CPU (taskset takes a list)
NICE=0

# Server names: echo-tN (uvws-echo --threads N), loop-tN / thread-tN (uvws-xpublish).
server_command() {
  local bin threads=${1##*-t}
  case "$1" in
    echo-t*) bin=$(find_program uvws-echo) ;;
    loop-t* | thread-t*) bin=$(find_program uvws-xpublish) ;;
    *) die "unknown server '$1'" ;;
  esac
  [[ -n $bin ]] || return 0
  echo -n "$bin --host 127.0.0.1 --port 0 --log-level warn --threads $threads"
  case "$1" in
    loop-t*) echo " --mode loop" ;;
    thread-t*) echo " --mode thread" ;;
    *) echo ;;
  esac
}
server_unavailable() { echo "not built under $BUILD_DIR"; }
server_label() {
  case "$1" in
    echo-t*) echo "uvws-echo, ${1##*-t} thread(s)" ;;
    loop-t*) echo "publish from the receiving loop, ${1##*-t} loop(s)" ;;
    thread-t*) echo "Server::publish from a non-loop thread, ${1##*-t} loop(s)" ;;
  esac
}

loadgen=$(find_program uvws-loadgen)
fanout=$(find_program uvws-fanout)
[[ -n $loadgen && -n $fanout ]] || die "uvws-loadgen and uvws-fanout must be built under $BUILD_DIR"
begin_run threads.sh echo echo-t1 echo-t2 loop-t1 loop-t2 thread-t1 thread-t2
client_prefix=(taskset -c "$CLIENT_CPUS" nice -n "$CLIENT_NICE")

scenario_args() {
  case "$1" in
    small100) echo "--connections 100 --size 20 --inflight 1" ;;
    pipelined) echo "--connections 100 --size 20 --inflight 32" ;;
    publish) ;;
    *) die "unknown scenario '$1'" ;;
  esac
}

for scenario in $SCENARIOS; do
  if [[ $scenario == publish ]]; then
    configs=(loop-t1 thread-t1 loop-t2 thread-t2)
  else
    configs=(echo-t1 echo-t2)
  fi
  read -r -a args <<<"$(scenario_args "$scenario")"
  for ((round = 1; round <= ROUNDS; round++)); do
    for server in "${configs[@]}"; do
      if ! start_server "$server" "$tmp/server.log"; then
        json_failure "$raw" "$scenario" "$server" "$round" "server $SERVER_ERROR"
        continue
      fi
      if [[ $scenario == publish ]]; then
        json=$(timeout -k 10 "$((measure_seconds + RUN_TIMEOUT))" "${client_prefix[@]}" "$fanout" \
          --port "$SERVER_PORT" --subscribers "$SUBSCRIBERS" --size 20 \
          --seconds "$measure_seconds" --server-pid "$SERVER_PID" 2>"$tmp/client.err" |
          tail -n 1) || true
        cpu=$(json_field "$json" server_cpu_ns_per_delivery)
        rate=$(json_field "$json" deliveries_per_s)
      else
        json=$(timeout -k 10 "$((WARMUP + measure_seconds + RUN_TIMEOUT))" "${client_prefix[@]}" \
          "$loadgen" --port "$SERVER_PORT" "${args[@]}" --duration "$measure_seconds" \
          --warmup "$WARMUP" --server-pid "$SERVER_PID" --quiet 2>"$tmp/client.err" |
          tail -n 1) || true
        cpu=$(json_field "$json" server_sched_ns_per_msg)
        [[ -n $cpu && $cpu != null ]] || cpu=$(json_field "$json" server_ns_per_msg)
        rate=$(json_field "$json" msg_per_s)
      fi
      alive=yes
      kill -0 "$SERVER_PID" 2>/dev/null || alive=no
      stop_server
      if [[ $alive == no ]]; then
        json_failure "$raw" "$scenario" "$server" "$round" "the server exited: $(tail -c 200 "$tmp/server.log")"
      elif [[ $json != \{* || -z $cpu || $cpu == null ]]; then
        json_failure "$raw" "$scenario" "$server" "$round" "no result: $(tail -n 2 "$tmp/client.err")"
      else
        echo "{\"scenario\":\"$scenario\",\"server\":\"$server\",\"round\":$round,\"cpu_ns\":$cpu,\"throughput\":$rate,\"result\":$json}" >>"$raw"
        printf '%-10s %-10s round %d: %9s ns server CPU per message  %10s per s\n' "$scenario" \
          "$server" "$round" "$cpu" "$rate" >&2
      fi
    done
  done
done

values() { jsonl_values "$raw" "$@"; }  # lib.sh
med_range() {
  local m lo hi
  read -r m lo hi < <(median_min_max)
  if [[ $m == nan ]]; then echo "-"; else
    awk -v m="$m" -v lo="$lo" -v hi="$hi" -v f="$1" 'BEGIN { printf f " (" f "-" f ")", m, lo, hi }'
  fi
}
median() { median_min_max | cut -d' ' -f1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "nan" || b == "nan" || b + 0 == 0) print "-"; else printf "%.2f×", a / b }'; }
title() {
  case "$1" in
    small100) echo "Echo, 20-byte text, 100 connections, 1 in flight" ;;
    pipelined) echo "Echo, 20-byte text, 100 connections × 32 in flight" ;;
    publish) echo "Fan-out, 1 publisher, $SUBSCRIBERS subscribers, 20-byte text (per delivery)" ;;
  esac
}

{
  echo "# Threads: uvws with 1 and 2 loops, and the cost of a cross-loop publish"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(machine_summary)"
  echo "(load average at the start: $load_start). Build: \`$BUILD_DIR\`. Server on CPUs $SERVER_CPUS,"
  echo "generator on CPUs $CLIENT_CPUS at nice $CLIENT_NICE; $ROUNDS round(s) × $measure_seconds s, configurations"
  echo "alternating, a fresh server per run. The machine was shared with other work during the run:"
  echo "absolute figures are noisy; compare the ratios of one run."
  echo
  echo "<!-- bench:threads:begin -->"
  for scenario in $SCENARIOS; do
    if [[ $scenario == publish ]]; then
      echo "**$(title "$scenario")**: server CPU per delivery (utime + stime, all threads) and"
      echo "deliveries per second, median (min-max)."
    else
      echo "**$(title "$scenario")**: server CPU per message (schedstat, all threads) and messages"
      echo "per second, median (min-max)."
    fi
    echo
    if [[ $scenario == publish ]]; then
      echo "| loops | publish from | CPU/delivery (µs) | deliveries/s | thread vs loop (CPU) | runs |"
      echo "|---:|---|---:|---:|---:|---:|"
      for t in 1 2; do
        for mode in loop thread; do
          s=$mode-t$t
          r=-
          [[ $mode == loop ]] || r=$(ratio "$(values publish "$s" cpu_ns | median)" "$(values publish "loop-t$t" cpu_ns | median)")
          echo "| $t | $([[ $mode == loop ]] && echo "the receiving loop (WebSocket::publish)" || echo "a non-loop thread (Server::publish)") | $(values publish "$s" cpu_ns | awk '{ print $1 / 1000 }' | med_range %.2f) | $(values publish "$s" throughput | med_range %.0f) | $r | $(values publish "$s" cpu_ns | wc -l)/$ROUNDS |"
        done
      done
    else
      echo "| threads | CPU/msg (µs) | msg/s | throughput vs 1 thread | CPU/msg vs 1 thread | runs |"
      echo "|---:|---:|---:|---:|---:|---:|"
      for t in 1 2; do
        s=echo-t$t
        echo "| $t | $(values "$scenario" "$s" cpu_ns | awk '{ print $1 / 1000 }' | med_range %.3f) | $(values "$scenario" "$s" throughput | med_range %.0f) | $(ratio "$(values "$scenario" "$s" throughput | median)" "$(values "$scenario" echo-t1 throughput | median)") | $(ratio "$(values "$scenario" "$s" cpu_ns | median)" "$(values "$scenario" echo-t1 cpu_ns | median)") | $(values "$scenario" "$s" cpu_ns | wc -l)/$ROUNDS |"
      done
    fi
    fails=$(grep -F "\"scenario\":\"$scenario\"" "$raw" | grep -F '"failed":' |
      sed -E 's/.*"server":"([^"]*)","round":([0-9]+),"failed":"(.*)"}$/- \1 round \2: \3/' || true)
    [[ -z $fails ]] || { echo; echo "$fails"; }
    echo
  done
  echo "<!-- bench:threads:end -->"
} | tee "$OUT"
