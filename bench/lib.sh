# shellcheck shell=bash
# Shared by bench/run.sh and bench/memory.sh (sourced, not run): finding the programs,
# starting a server pinned to a core and stopping it by its PID.
#
# Settings (environment): BUILD_DIR (default build/release), SERVER_CPU (0), CLIENT_CPU (1),
# NICE (0; e.g. -10 as root, so that other work on the machine disturbs the figures less),
# SERVERS (default "uvws websocketpp beast epoll").

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(dirname "$bench_dir")
BUILD_DIR=${BUILD_DIR:-$repo_dir/build/release}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
NICE=${NICE:-0}
SERVERS=${SERVERS:-"uvws websocketpp beast epoll"}

die() {
  echo "$(basename "$0"): $*" >&2
  exit 1
}

# The path of the built program $1 under BUILD_DIR, or nothing.
find_program() {
  find "$BUILD_DIR" -type f -name "$1" -perm -u+x -print -quit 2>/dev/null
}

# The command line of server $1 (uvws, websocketpp, beast or epoll), listening on any free
# loopback port; empty when it was not built.
server_command() {
  local program args bin
  case "$1" in
    uvws) program=uvws-echo args="--host 127.0.0.1 --port 0 --log-level warn" ;;
    websocketpp) program=bench-echo-websocketpp args="--port 0" ;;
    beast) program=bench-echo-beast args="--port 0" ;;
    epoll) program=bench-echo-epoll args="--port 0" ;;
    *) die "unknown server '$1'" ;;
  esac
  bin=$(find_program "$program")
  if [[ -n $bin ]]; then echo "$bin $args"; fi
}

# Sets PIN to the command prefix that pins a program to core $1 at the NICE priority.
# taskset and nice exec the program, so "${PIN[@]}" prog & leaves the program's PID in $!.
pin_prefix() {
  PIN=(taskset -c "$1")
  if [[ $NICE != 0 ]]; then PIN+=(nice -n "$NICE"); fi
}

# Starts server $1 on SERVER_CPU with a 20,000-descriptor limit, output in $2; sets
# SERVER_PID and SERVER_PORT (from its line "listening PORT", or uvws-echo's
# "uvws-echo listening on ws://HOST:PORT/").
start_server() {
  local name=$1 log=$2 cmd
  cmd=$(server_command "$name")
  [[ -n $cmd ]] || die "server '$name' is not built under $BUILD_DIR"
  # uvws-echo does not raise its own descriptor limit. prlimit execs the rest too, so $! is
  # the server's PID.
  : >"$log"  # before the server starts: no stale port from the previous server's output
  pin_prefix "$SERVER_CPU"
  # shellcheck disable=SC2086  # the command line is split on purpose
  prlimit --nofile=20000:20000 "${PIN[@]}" $cmd >"$log" 2>&1 &
  SERVER_PID=$!
  SERVER_PORT=
  local i
  for ((i = 0; i < 100; i++)); do
    SERVER_PORT=$(sed -nE 's/^listening ([0-9]+)$/\1/p; s/.*listening on ws:\/\/.*:([0-9]+)\/$/\1/p' \
      "$log" | head -n 1)
    [[ -n $SERVER_PORT ]] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  stop_server
  die "server '$name' did not start: $(head -c 500 "$log")"
}

# Stops the server started last: SIGTERM, then SIGKILL after 10 s.
stop_server() {
  [[ -n ${SERVER_PID:-} ]] || return 0
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  local i
  for ((i = 0; i < 100; i++)); do
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
}

# Field $2 of the flat JSON object $1 (a number, true/false or null).
json_field() {
  sed -nE "s/.*\"$2\":([^,}]*).*/\1/p" <<<"$1"
}

# The median, minimum and maximum of the numbers on stdin: "median min max".
median_min_max() {
  sort -g | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "nan nan nan"; exit }
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    print m, v[1], v[NR] }'
}

machine_summary() {
  echo "$(nproc) CPUs ($(sed -nE 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), " \
    "Linux $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
}
