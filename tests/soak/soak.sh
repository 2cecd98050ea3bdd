#!/usr/bin/env bash
# The soak test: uvws-echo under many concurrent connections with steady echo traffic and, at
# random, faulty peers (tests/soak/fault_peer.h), then a SIGTERM with every connection open.
#
# Usage: soak.sh PATH/TO/uvws-echo PATH/TO/uvws_soak_client CONNECTIONS SECONDS RSS_BOUND_MIB
#   CONNECTIONS    wanted; capped at the hard descriptor limit minus 100 (each process needs
#                  one descriptor per connection plus its own few; the margin also covers the
#                  connections the server has not yet seen closed while their slots reopen)
#   SECONDS        the soak phase; UVWS_SOAK_SECONDS in the environment overrides it (the
#                  long mode, e.g. UVWS_SOAK_SECONDS=600 bash tests/soak/soak.sh ...; through
#                  ctest, configure with -DUVWS_SOAK_SECONDS=600 instead, which also lengthens
#                  the test's TIMEOUT)
#   RSS_BOUND_MIB  the server's resident set must stay under it (tests/soak/CMakeLists.txt
#                  says where the figure comes from)
# UVWS_SOAK_SEED picks the seed (else the client draws one and prints it).
#
# Starts the server on 127.0.0.1 port 0 and reads the port it prints; the client probes the
# server's /proc entries, sends it SIGTERM at the end and checks the 1001s; this script then
# checks the server's exit status, which must be 0. Everything is stopped by PID and bounded in
# time.
set -euo pipefail
server=$1 client=$2 wanted=$3 seconds=${UVWS_SOAK_SECONDS:-$4} rss_bound=$5
work=$(mktemp -d)
server_pid=
client_pid=
cleanup() {
  for pid in $client_pid $server_pid; do kill -KILL "$pid" 2>/dev/null || true; done
  for pid in $client_pid $server_pid; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
# Any command that fails outside a test (set -e) says where, rather than ending the run mute.
trap 'echo "FAIL: soak.sh line $LINENO: a command exited with $?" >&2' ERR
fail() { echo "FAIL: $*" >&2; exit 1; }

# As many descriptors as the host allows, in this shell and so in both processes.
hard=$(ulimit -Hn)
[[ $hard == unlimited ]] && hard=1048576
ulimit -n "$hard"
connections=$wanted
if ((hard - 100 < connections)); then
  connections=$((hard - 100))
fi
echo "soak: descriptor limit $hard: $connections connections (wanted $wanted), ${seconds} s"
# The issue asks for 20,000, or more than 19,000 where the host allows less: a run with fewer
# is not the soak it claims to be.
if ((wanted >= 19000 && connections <= 19000)); then
  fail "the hard descriptor limit ($hard) allows only $connections connections; raise it (ulimit -Hn) to 19,100 or more"
fi

"$server" --host 127.0.0.1 --port 0 --log-level warn >"$work/server.out" 2>"$work/server.err" &
server_pid=$!
# The port from the "...://127.0.0.1:N/" line: the file is polled for it, with a deadline of
# 10 s (a wait on the event, not a guess at how long starting takes).
port=
for _ in $(seq 100); do
  port=$(sed -n 's|.*://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$work/server.out" | head -1)
  [[ -n $port ]] && break
  kill -0 "$server_pid" 2>/dev/null || fail "uvws-echo exited at start: $(cat "$work/server.err")"
  sleep 0.1
done
[[ -n $port ]] || fail "uvws-echo did not print its port"

start=$(date +%s)
seed_args=()
[[ -n ${UVWS_SOAK_SEED:-} ]] && seed_args=(--seed "$UVWS_SOAK_SEED")
status=0
timeout --signal=KILL $((seconds + 200)) "$client" --port "$port" --server-pid "$server_pid" \
  --connections "$connections" --seconds "$seconds" --max-rss-mib "$rss_bound" \
  "${seed_args[@]}" &
client_pid=$!
wait "$client_pid" || status=$?
client_pid=
((status == 0)) || fail "the soak client exited with $status"

# The client sent SIGTERM once its final peers were all open: the server must now exit, within
# its close timeout (5 s) and some slack; the wait polls for its end, 20 s at most.
for _ in $(seq 200); do
  kill -0 "$server_pid" 2>/dev/null || break
  # A zombie has exited: wait collects its status below.
  [[ $(awk '/^State:/ {print $2}' "/proc/$server_pid/status" 2>/dev/null) == Z ]] && break
  sleep 0.1
done
server_status=0
if kill -0 "$server_pid" 2>/dev/null &&
   [[ $(awk '/^State:/ {print $2}' "/proc/$server_pid/status" 2>/dev/null) != Z ]]; then
  fail "uvws-echo still runs 20 s after SIGTERM"
fi
wait "$server_pid" || server_status=$?
server_pid=
if [[ -s $work/server.err ]]; then
  echo "soak: uvws-echo's stderr:" >&2
  head -c 4000 "$work/server.err" >&2
fi
((server_status == 0)) || fail "uvws-echo exited with $server_status after SIGTERM"
echo "soak: uvws-echo exited 0 after SIGTERM; wall time $(($(date +%s) - start)) s"
echo "soak: PASS"
