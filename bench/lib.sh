# shellcheck shell=bash
# Shared by the bench/*.sh drivers (sourced, not run): finding the programs, starting a server
# pinned to a core and stopping it by its PID, reading its resident memory, the JSON lines.
#
# Settings (environment): BUILD_DIR (default build/release), SERVER_CPU (0), CLIENT_CPU (1),
# NICE (0; e.g. -10 as root, so that other work on the machine disturbs the figures less),
# SERVERS (default "uvws websocketpp beast ws epoll"; add "uvws-base" for an A/B run against
# the uvws programs under BASE_BUILD_DIR, e.g. a build of the previous commit, or
# "uvws-nometrics": the same uvws-echo with ServerOptions::metrics off), NODE (the Node.js program for the `ws`
# peer, default node), WS_MODULE_DIR (where the `ws` package is installed, default
# tests/interop, see bench/peers/ws_echo.mjs).

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(dirname "$bench_dir")
BUILD_DIR=${BUILD_DIR:-$repo_dir/build/release}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
NICE=${NICE:-0}
SERVERS=${SERVERS:-"uvws websocketpp beast ws epoll"}
NODE=${NODE:-node}
WS_MODULE_DIR=${WS_MODULE_DIR:-$repo_dir/tests/interop}
export WS_MODULE_DIR

# 10,000 connections need more descriptors than the usual soft limit of 1024: raise it to the
# hard limit for this script and everything it starts (servers and uvws-loadgen), and give
# servers that limit explicitly (prlimit, below) in case a caller lowered it.
ulimit -Sn "$(ulimit -Hn)" 2>/dev/null || true
FD_LIMIT=$(ulimit -Sn)
[[ $FD_LIMIT == unlimited ]] && FD_LIMIT=1048576

# The SECONDS the caller put in the environment, or $1: bash's own $SECONDS counts the seconds
# since the shell started, so the caller's value is read from /proc.
env_seconds() {
  local s
  s=$(tr '\0' '\n' </proc/$$/environ | sed -n 's/^SECONDS=//p')
  echo "${s:-$1}"
}

die() {
  echo "$(basename "$0"): $*" >&2
  exit 1
}

# The path of the built program $1 under BUILD_DIR, or nothing.
find_program() {
  find "$BUILD_DIR" -type f -name "$1" -perm -u+x -print -quit 2>/dev/null
}

# Whether Node.js and the `ws` package resolve as ws_echo.mjs resolves them (cached).
ws_available() {
  if [[ -z ${WS_AVAILABLE:-} ]]; then
    WS_AVAILABLE=no
    if command -v "$NODE" >/dev/null 2>&1 &&
      "$NODE" -e 'require("module").createRequire(process.argv[1] + "/package.json")("ws")' \
        "$WS_MODULE_DIR" >/dev/null 2>&1; then
      WS_AVAILABLE=yes
    fi
  fi
  [[ $WS_AVAILABLE == yes ]]
}

# Whether Node.js and the packages of bench/peers/package.json (Socket.IO, its Redis adapter,
# node-redis) resolve from bench/peers (cached).
socketio_available() {
  if [[ -z ${SOCKETIO_AVAILABLE:-} ]]; then
    SOCKETIO_AVAILABLE=no
    if command -v "$NODE" >/dev/null 2>&1 &&
      (cd "$bench_dir/peers" && "$NODE" -e 'for (const m of ["socket.io", "@socket.io/redis-adapter", "redis"]) require.resolve(m)') \
        >/dev/null 2>&1; then
      SOCKETIO_AVAILABLE=yes
    fi
  fi
  [[ $SOCKETIO_AVAILABLE == yes ]]
}

# The command line of server $1 (uvws, websocketpp, beast, ws, epoll or socketio) in mode $2
# (echo, the default; broadcast: every message to every other client, for bench/fanout.sh; or
# redis: the same through the Redis at REDIS_URL, for bench/redis_fanout.sh; or tls: echo over
# TLS with the certificate TLS_CERT and key TLS_KEY, for bench/tls.sh), listening on any
# free loopback port; empty when it is not available (see server_unavailable).
server_command() {
  local mode=${2:-echo} program args bin dir=$BUILD_DIR
  case "$1/$mode" in
    uvws/echo | uvws-base/echo) program=uvws-echo args="--host 127.0.0.1 --port 0 --log-level warn" ;;
    uvws-deflate/broadcast)
      program=uvws-broadcast
      args="--host 127.0.0.1 --port 0 --log-level warn --compression --no-context-takeover"
      ;;
    uvws-nometrics/echo)
      program=uvws-echo args="--host 127.0.0.1 --port 0 --log-level warn --no-metrics"
      ;;
    uvws/tls | uvws-base/tls)
      program=uvws-echo
      args="--host 127.0.0.1 --port 0 --log-level warn --tls-cert ${TLS_CERT:-} --tls-key ${TLS_KEY:-}"
      ;;
    uvws/broadcast | uvws-base/broadcast)
      program=uvws-broadcast args="--host 127.0.0.1 --port 0 --log-level warn"
      ;;
    uvws/redis)
      program=uvws-broadcast
      args="--host 127.0.0.1 --port 0 --log-level warn --redis ${REDIS_URL:-}"
      ;;
    socketio/redis)
      if ! socketio_available; then return 0; fi
      echo "$NODE $bench_dir/peers/socketio_server.mjs --port 0 --redis ${REDIS_URL:-}"
      return 0
      ;;
    websocketpp/echo) program=bench-echo-websocketpp args="--port 0" ;;
    beast/echo) program=bench-echo-beast args="--port 0" ;;
    websocketpp/tls) program=bench-echo-websocketpp args="--port 0 --tls ${TLS_CERT:-} ${TLS_KEY:-}" ;;
    beast/tls) program=bench-echo-beast args="--port 0 --tls ${TLS_CERT:-} ${TLS_KEY:-}" ;;
    ws/tls)
      if ! ws_available; then return 0; fi
      echo "$NODE $bench_dir/peers/ws_echo.mjs --port 0 --tls ${TLS_CERT:-} ${TLS_KEY:-}"
      return 0
      ;;
    epoll/echo) program=bench-echo-epoll args="--port 0" ;;
    epoll/broadcast) program=bench-echo-epoll args="--broadcast --port 0" ;;
    ws/echo | ws/broadcast)
      if ! ws_available; then return 0; fi
      args="--port 0"
      if [[ $mode == broadcast ]]; then args+=" --broadcast"; fi
      echo "$NODE $bench_dir/peers/ws_echo.mjs $args"
      return 0
      ;;
    websocketpp/broadcast | beast/broadcast) return 0 ;;  # no pub/sub in these peers
    *) die "unknown server '$1' or mode '$mode'" ;;
  esac
  if [[ $1 == uvws-base ]]; then
    [[ -n ${BASE_BUILD_DIR:-} ]] || return 0
    dir=$BASE_BUILD_DIR
  fi
  bin=$(BUILD_DIR=$dir find_program "$program")
  if [[ -n $bin ]]; then echo "$bin $args"; fi
}

# Why server $1 in mode $2 has no command line (for the message saying it is skipped).
server_unavailable() {
  local mode=${2:-echo}
  case "$1/$mode" in
    ws/*)
      if ! command -v "$NODE" >/dev/null 2>&1; then
        echo "Node.js ($NODE) is not installed"
      else
        echo "the ws package is not installed under $WS_MODULE_DIR (scripts/setup.sh --tests)"
      fi
      ;;
    socketio/*) echo "Node.js ($NODE) or the packages of bench/peers are not installed (npm ci there)" ;;
    websocketpp/broadcast | beast/broadcast) echo "this peer has no broadcast mode" ;;
    uvws-base/*) echo "not built under BASE_BUILD_DIR (${BASE_BUILD_DIR:-not set})" ;;
    *) echo "not built under $BUILD_DIR" ;;
  esac
}

# The label of server $1 in tables and charts.
server_label() {
  case "$1" in
    beast) echo "Boost.Beast" ;;
    ws) echo "ws (Node.js)" ;;
    socketio) echo "Socket.IO + redis-adapter (Node.js)" ;;
    epoll) echo "raw epoll floor" ;;
    uvws-base) echo "uvws (base: ${BASE_BUILD_DIR:-?})" ;;
    uvws-nometrics) echo "uvws --no-metrics" ;;
    uvws-deflate) echo "uvws, permessage-deflate (--compression --no-context-takeover)" ;;
    *) echo "$1" ;;
  esac
}

# Sets PIN to the command prefix that pins a program to core $1 at the NICE priority.
# taskset and nice exec the program, so "${PIN[@]}" prog & leaves the program's PID in $!.
pin_prefix() {
  PIN=(taskset -c "$1")
  if [[ $NICE != 0 ]]; then PIN+=(nice -n "$NICE"); fi
}

# Starts server $1 in mode $3 (echo or broadcast, see server_command) on SERVER_CPU with a
# FD_LIMIT-descriptor limit, output in $2; sets SERVER_PID and SERVER_PORT (from its line
# "listening PORT", or uvws-echo's "uvws-echo listening on ws://HOST:PORT/" or wss://). When the server
# does not start within 10 s, returns 1 with the reason in SERVER_ERROR.
# shellcheck disable=SC2034  # SERVER_ERROR is read by the scripts that source this file
start_server() {
  local name=$1 log=$2 mode=${3:-echo} cmd
  cmd=$(server_command "$name" "$mode")
  [[ -n $cmd ]] || die "server '$name' ($mode): $(server_unavailable "$name" "$mode")"
  # uvws-echo does not raise its own descriptor limit. prlimit execs the rest too, so $! is
  # the server's PID.
  : >"$log"  # before the server starts: no stale port from the previous server's output
  pin_prefix "$SERVER_CPU"
  # shellcheck disable=SC2086  # the command line is split on purpose
  prlimit --nofile="$FD_LIMIT:$FD_LIMIT" "${PIN[@]}" $cmd >"$log" 2>&1 &
  SERVER_PID=$!
  SERVER_PORT=
  SERVER_ERROR=
  local i
  for ((i = 0; i < 100; i++)); do
    SERVER_PORT=$(sed -nE 's/^listening ([0-9]+)$/\1/p; s/.*listening on wss?:\/\/.*:([0-9]+)\/$/\1/p' \
      "$log" | head -n 1)
    [[ -n $SERVER_PORT ]] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  stop_server
  SERVER_ERROR="did not start: $(head -c 300 "$log" | tr '\n' ' ')"
  return 1
}

# Stops the server started last: SIGTERM, then SIGKILL after 10 s.
stop_server() {
  [[ -n ${SERVER_PID:-} ]] || return 0
  stop_pid "$SERVER_PID"
  SERVER_PID=
}

# Stops process $1 (a child of this shell): SIGTERM, then SIGKILL after 10 s.
stop_pid() {
  kill -TERM "$1" 2>/dev/null || true
  local i
  for ((i = 0; i < 100; i++)); do
    kill -0 "$1" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# Field $2 of the flat JSON object $1 (a number, true/false or null).
json_field() {
  sed -nE "s/.*\"$2\":([^,}]*).*/\1/p" <<<"$1"
}

# Field $4 of every line of the JSON-lines file $1 for scenario $2 and server $3 (as run.sh
# and fanout.sh write them), one per line; failed runs have none.
jsonl_values() {
  grep -F "\"scenario\":\"$2\",\"server\":\"$3\"," "$1" | while read -r line; do
    json_field "$line" "$4"
  done | grep -vxE 'null|' || true
}

# The median, minimum and maximum of the numbers on stdin: "median min max".
median_min_max() {
  sort -g | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "nan nan nan"; exit }
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    print m, v[1], v[NR] }'
}

# The distinct failure reasons recorded in the JSON-lines file $1 for scenario $2 / server $3,
# "; "-separated, each with its round.
jsonl_failures() {
  grep -F "\"scenario\":\"$2\",\"server\":\"$3\"," "$1" | grep -F '"failed":' |
    sed -E 's/.*"round":([0-9]+),"failed":"(.*)"}$/\2 (round \1)/' | paste -sd';' - |
    sed 's/;/; /g' || true
}

# A field of /proc/PID/status in kB; empty once the process has exited.
status_kb() {
  sed -nE "s/^$2:[[:space:]]+([0-9]+) kB/\\1/p" "/proc/$1/status" 2>/dev/null || true
}

# Microseconds since the epoch.
now_us() { echo "${EPOCHREALTIME/./}"; }

# Sets RSS and ANON (kB) of process $1 once VmRSS has read the same for 5 samples 0.2 s apart,
# and STABLE to yes; after STABLE_TIMEOUT (10) seconds, the last sample with STABLE=no. Samples taken
# before NOT_BEFORE_US (now_us; 0: none) do not count, and the timeout starts from it.
read_stable_rss() {
  local pid=$1 same=0 last='' now i
  STABLE=no
  while ((${NOT_BEFORE_US:-0} > $(now_us))); do
    [[ -n $(status_kb "$pid" VmRSS) ]] || break
    sleep 0.1
  done
  for ((i = 0; i < ${STABLE_TIMEOUT:-10} * 5; i++)); do
    now=$(status_kb "$pid" VmRSS)
    [[ -n $now ]] || break
    if [[ $now == "$last" ]]; then
      ((++same))
      if ((same >= 4)); then
        STABLE=yes
        break
      fi
    else
      same=0
    fi
    last=$now
    sleep 0.2
  done
  RSS=$last
  ANON=$(status_kb "$pid" RssAnon)
}

# Replaces "|" and line ends in text $1 so that it fits in a Markdown table cell.
table_cell() {
  tr '|\n' '/ ' <<<"$1" | sed -E 's/ +$//'
}

machine_summary() {
  echo "$(nproc) CPUs ($(sed -nE 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), " \
    "Linux $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
}

# available_servers CALLER KIND NAME...: the NAMEs whose server (of KIND: echo or broadcast) is
# built or installed, one per line; the others are reported as skipped on stderr.
available_servers() {
  local caller=$1 kind=$2 s
  shift 2
  for s in "$@"; do
    if [[ -n $(server_command "$s" "$kind") ]]; then
      echo "$s"
    else
      echo "$caller: $s skipped: $(server_unavailable "$s" "$kind")" >&2
    fi
  done
}

# json_failure RAW SCENARIO SERVER ROUND REASON: appends a failed run to the JSON lines file RAW
# (the reason cleaned to fit in a JSON string) and says so on stderr.
json_failure() {
  local raw=$1 scenario=$2 server=$3 round=$4 reason
  # shellcheck disable=SC1003  # a quote and a backslash, dropped
  reason=$(tr -d '"\\' <<<"$5" | tr '\n\t' '  ' | head -c 300 | sed -E 's/ +$//')
  echo "{\"scenario\":\"$scenario\",\"server\":\"$server\",\"round\":$round,\"failed\":\"$reason\"}" >>"$raw"
  printf '%-10s %-12s round %d: failed: %s\n' "$scenario" "$server" "$round" "$reason" >&2
}

# begin_run CALLER KIND NAME...: the start every driver shares. Sets `servers` (those of the
# NAMEs available, see available_servers; dies if none), `tmp` (a scratch directory removed on
# exit, with the server stopped), `raw` (the JSON lines file next to $OUT, emptied) and
# `load_start` (the load average before the run).
begin_run() {
  mapfile -t servers < <(available_servers "$@")
  [[ ${#servers[@]} -gt 0 ]] || die "no server to measure"
  tmp=$(mktemp -d)
  trap 'stop_server; rm -rf "$tmp"' EXIT
  mkdir -p "$(dirname "$OUT")"
  raw=${OUT%.md}.jsonl
  : >"$raw"
  load_start=$(cut -d' ' -f1-3 /proc/loadavg)
}
