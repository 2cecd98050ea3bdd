#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what is missing, builds, and runs
#  1. every test (unit, integration on loopback, interop with real peers) in a release build,
#  2. the same tests under AddressSanitizer + UBSan,
#  3. each libFuzzer target for a bounded time (UVWS_FUZZ_SECONDS, default 20).
# Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --tests

echo "== release build"
bash scripts/build.sh release
(cd build/release && ctest --output-on-failure -j1)

echo "== ASan+UBSan build"
bash scripts/build.sh asan
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd build/asan && ctest --output-on-failure -j1)

echo "== fuzzing (bounded)"
bash scripts/build.sh fuzz
bash scripts/fuzz.sh "${UVWS_FUZZ_SECONDS:-20}"
echo "== all tests passed"
