#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what is missing, builds, and runs
#  1. every test (unit, integration on loopback, interop with real peers) in a release build,
#  2. the same tests under AddressSanitizer + UBSan,
#  3. the threaded tests (net, server, client) under ThreadSanitizer,
#  4. each libFuzzer target for a bounded time (UVWS_FUZZ_SECONDS, default 20),
#  5. uvws as a user gets it (scripts/install_check.sh): installed static and shared (the shared
#     build's tests run against libuvws.so), examples/app built with CMake and pkg-config
#     against each and against the extracted .deb (lintian-clean), and run; the guide's samples;
#     the API reference with no Doxygen warning.
# Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --tests
# The clients read proxies from the environment as curl does (ClientOptions::proxy); the tests
# talk to loopback peers directly and set their own proxies where they test them. (Unset after
# setup.sh, which may need a proxy to reach the package archives.)
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY ws_proxy WS_PROXY \
  wss_proxy WSS_PROXY no_proxy NO_PROXY
# Every interop peer must be there now: a missing one would fail its tests later anyway; this
# says so before the builds.
bash tests/interop/peers.sh check

# The interop tests a build with the examples registers (tests/interop/*.cmake), by name: a
# test lost to a CMake condition fails the run instead of silently shrinking it.
expected_interop=(
  uvws_chat_browser_cluster
  uvws_chat_cluster
  uvws_client_cli
  uvws_client_interop_node
  uvws_client_interop_node_tls
  uvws_client_interop_python
  uvws_client_interop_python_tls
  uvws_interop_broadcast_python
  uvws_interop_chat_browser
  uvws_interop_chat_browser_tls
  uvws_interop_metrics_prometheus
  uvws_interop_node_ws
  uvws_interop_node_ws_tls
  uvws_interop_python_websockets
  uvws_interop_routes_python
  uvws_interop_tls_python
  uvws_redis_cluster
)
check_interop_registered() {
  local got want
  got=$(cd "$1" && ctest -N -L interop | sed -n 's/^ *Test *#[0-9]*: *//p' | sort)
  want=$(printf '%s\n' "${expected_interop[@]}" | sort)
  if [[ "$got" != "$want" ]]; then
    echo "FAIL: $1 registers other interop tests than expected (< expected, > registered):" >&2
    diff <(echo "$want") <(echo "$got") >&2 || true
    exit 1
  fi
  echo "interop tests registered in $1: ${#expected_interop[@]}"
}

echo "== release build"
bash scripts/build.sh release
check_interop_registered build/release
(cd build/release && ctest --output-on-failure -j1)

echo "== ASan+UBSan build"
bash scripts/build.sh asan
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
check_interop_registered build/asan
(cd build/asan && ctest --output-on-failure -j1)

echo "== ThreadSanitizer build (threaded tests)"
# TSAN_OPTIONS (halt_on_error, second_deadlock_stack, tests/tsan.supp) come from the tests'
# ctest properties (tests/CMakeLists.txt).
bash scripts/build.sh tsan
(cd build/tsan && ctest --output-on-failure -j1 -L threads)

echo "== fuzzing (bounded)"
bash scripts/build.sh fuzz
bash scripts/fuzz.sh "${UVWS_FUZZ_SECONDS:-20}"

echo "== installed uvws: static and shared prefixes, Debian package, out-of-tree app, docs"
bash scripts/install_check.sh
echo "== all tests passed"
