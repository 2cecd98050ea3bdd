#!/usr/bin/env bash
# The uvws-client command line against the example servers: what it sends and prints, and the
# exit status that says how the connection ended.
#
# Usage: client_cli.sh PATH/TO/uvws-client PATH/TO/uvws-echo PATH/TO/uvws-chat
# Starts each server on 127.0.0.1 port 0, reads the port from its first stdout line, and
# stops it by its PID. Every client run is bounded by `timeout`. Exits non-zero on the first
# mismatch.
set -euo pipefail
client=$1 echo_server=$2 chat_server=$3
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

# start NAME BINARY: runs it on port 0 and sets PORT from the "...://127.0.0.1:N/" line it
# prints: the file is polled for that line, with a deadline of 10 s (a wait on the event, not a
# guess at how long starting takes).
start() {
  local name=$1 binary=$2
  # Created here, not by the background job's redirection, which may come after the first sed.
  : >"$work/$name.out"
  "$binary" --host 127.0.0.1 --port 0 --log-level warn >"$work/$name.out" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do
    PORT=$(sed -n 's|.*://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$work/$name.out" | head -1)
    [[ -n $PORT ]] && return 0
    sleep 0.1
  done
  fail "$name did not print its port"
}

# run EXPECTED_STATUS ARGS...: runs the client with stdin from $work/in; output in $work/out
# and $work/err.
run() {
  local expected=$1
  shift
  local status=0
  timeout 20 "$client" "$@" <"$work/in" >"$work/out" 2>"$work/err" || status=$?
  [[ $status == "$expected" ]] || fail "uvws-client $* exited $status, expected $expected: $(cat "$work/err")"
}

start echo "$echo_server"
echo_port=$PORT
start chat "$chat_server"
chat_port=$PORT

printf 'hello\nwörld\n\n' >"$work/in"
run 0 "ws://127.0.0.1:$echo_port/echo"
printf 'hello\nwörld\n\n' | cmp -s - "$work/out" || fail "echoed lines: $(od -c "$work/out")"
grep -q "closed: 1000" "$work/err" || fail "no clean close reported: $(cat "$work/err")"
ok "each stdin line is a message, each echo printed, EOF closes with 1000 (exit 0)"

run 0 "ws://localhost:$echo_port/" --header "X-Test: 1" --subprotocol chat --compression
[[ $(head -1 "$work/out") == hello ]] || fail "localhost with options: $(cat "$work/out")"
ok "a host name, a header, a subprotocol offer and compression"

: >"$work/in"
run 0 "ws://127.0.0.1:$echo_port/" --ping-interval 100 --close-after 0.7
grep -q "^pong: " "$work/err" || fail "no keepalive RTT printed: $(cat "$work/err")"
ok "--ping-interval prints round-trip times, --close-after closes with 1000"

run 4 "ws://127.0.0.1:$chat_port/no-such-route"
grep -q "HTTP 404" "$work/err" || fail "404 not reported: $(cat "$work/err")"
ok "a refused handshake exits 4 and names the HTTP status"

# A port that was just free: nothing listens there.
free_port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
run 3 "ws://127.0.0.1:$free_port/"
ok "a refused connection exits 3"

run 2 "http://127.0.0.1:$echo_port/"
run 2 --no-such-option "ws://127.0.0.1:$echo_port/"
ok "a bad URL or option exits 2"

kill "${pids[0]}"
wait "${pids[0]}" || fail "uvws-echo did not stop gracefully"
pids=("${pids[@]:1}")
ok "uvws-echo stopped by its PID"
