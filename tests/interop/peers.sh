#!/usr/bin/env bash
# The real peers of the interop tests, checked when a test runs (not when CMake configures, so
# that a peer installed or removed later is seen):
#
#   peers.sh check [PEER...]          exits 1 naming every missing peer (all peers by default)
#   peers.sh run PEER... -- COMMAND   checks PEER..., then runs COMMAND in place of this shell
#
# PEER is one of: python3, python-websockets, node, npm-ws, playwright-core, chromium,
# prometheus-client, prometheus, curl, openssl, redis-server.
# A missing peer is a failure, never a skip: a run that lacks one cannot pass with fewer tests.
set -euo pipefail
interop_dir=$(cd "$(dirname "$0")" && pwd)
all_peers=(python3 python-websockets node npm-ws playwright-core chromium prometheus-client
           prometheus curl openssl redis-server)

# Debian's python3-websockets is visible to /usr/bin/python3 only (not to other pythons on PATH).
present() {
  case "$1" in
    python3) [[ -x /usr/bin/python3 ]] ;;
    python-websockets) /usr/bin/python3 -c 'import websockets' >/dev/null 2>&1 ;;
    node) command -v node >/dev/null 2>&1 ;;
    npm-ws) [[ -f $interop_dir/node_modules/ws/package.json ]] ;;
    playwright-core) [[ -f $interop_dir/node_modules/playwright-core/package.json ]] ;;
    chromium) [[ -x /usr/bin/chromium ]] ;;
    prometheus-client) /usr/bin/python3 -c 'import prometheus_client' >/dev/null 2>&1 ;;
    prometheus) command -v prometheus >/dev/null 2>&1 ;;
    curl) command -v curl >/dev/null 2>&1 ;;
    openssl) command -v openssl >/dev/null 2>&1 ;;
    redis-server) command -v redis-server >/dev/null 2>&1 ;;
    *) echo "peers.sh: unknown peer '$1' (known: ${all_peers[*]})" >&2; exit 2 ;;
  esac
}

what() {
  case "$1" in
    python3) echo "/usr/bin/python3 (Debian package python3)" ;;
    python-websockets) echo "the websockets module for /usr/bin/python3 (Debian package python3-websockets)" ;;
    node) echo "node on PATH (Debian package nodejs)" ;;
    npm-ws) echo "npm package ws in $interop_dir/node_modules" ;;
    playwright-core) echo "npm package playwright-core in $interop_dir/node_modules" ;;
    chromium) echo "/usr/bin/chromium (Debian package chromium)" ;;
    prometheus-client) echo "the prometheus_client module for /usr/bin/python3 (Debian package python3-prometheus-client)" ;;
    prometheus) echo "the Prometheus server (Debian package prometheus)" ;;
    curl) echo "curl on PATH (Debian package curl)" ;;
    openssl) echo "the openssl command, for test certificates (Debian package openssl)" ;;
    redis-server) echo "redis-server on PATH (Debian package redis-server)" ;;
  esac
}

# check PEER...: prints one line per missing peer; false if any is missing.
check() {
  local missing=0 peer
  for peer in "$@"; do
    if ! present "$peer"; then
      echo "FAIL: interop peer missing: $(what "$peer")" >&2
      missing=1
    fi
  done
  if ((missing)); then
    echo "FAIL: install the test peers with: bash scripts/setup.sh --tests (as root, from the" \
         "repository root)" >&2
    return 1
  fi
}

mode=${1:-}
shift || true
case "$mode" in
  check)
    if (($#)); then check "$@"; else check "${all_peers[@]}"; fi
    ;;
  run)
    peers=()
    while (($#)) && [[ $1 != -- ]]; do peers+=("$1"); shift; done
    [[ ${1:-} == -- ]] || { echo "usage: peers.sh run PEER... -- COMMAND [ARGS...]" >&2; exit 2; }
    shift
    (($#)) || { echo "usage: peers.sh run PEER... -- COMMAND [ARGS...]" >&2; exit 2; }
    check "${peers[@]}"
    exec "$@"
    ;;
  *)
    echo "usage: peers.sh check [PEER...] | peers.sh run PEER... -- COMMAND [ARGS...]" >&2
    exit 2
    ;;
esac
