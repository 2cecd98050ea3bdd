#!/usr/bin/env bash
# Configures and builds one flavour of uvws into build/<flavour>:
#   scripts/build.sh release   optimised, with tests, examples and benchmarks
#   scripts/build.sh asan      AddressSanitizer + UBSan, tests only
#   scripts/build.sh tsan      ThreadSanitizer, only the threaded tests (net, server, client)
#   scripts/build.sh fuzz      clang + libFuzzer targets
#   scripts/build.sh shared    libuvws.so (-DBUILD_SHARED_LIBS=ON), its tests and examples
set -euo pipefail
cd "$(dirname "$0")/.."
flavour=${1:-release}
jobs=$(nproc)
targets=()  # empty: everything the configuration enables
case "$flavour" in
  # Installed under /usr by the Debian package (scripts/package.sh): Debian's library directory.
  release) args=(-DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr) ;;
  asan)    args=(-DCMAKE_BUILD_TYPE=Debug -DUVWS_SANITIZE=ON -DUVWS_BUILD_BENCH=OFF
                 -DUVWS_BUILD_EXAMPLES=ON) ;;
  tsan)    args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DUVWS_TSAN=ON -DUVWS_BUILD_BENCH=OFF
                 -DUVWS_BUILD_EXAMPLES=OFF)
           targets=(uvws_net_tests uvws_server_tests uvws_client_tests) ;;
  fuzz)    args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang
                 -DCMAKE_CXX_COMPILER=clang++ -DUVWS_BUILD_FUZZ=ON -DUVWS_BUILD_TESTS=OFF
                 -DUVWS_BUILD_BENCH=OFF -DUVWS_BUILD_EXAMPLES=OFF) ;;
  # The tests link libuvws.so; the examples are the programs the interop tests run.
  shared)  args=(-DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr -DBUILD_SHARED_LIBS=ON
                 -DUVWS_BUILD_BENCH=OFF) ;;
  *) echo "usage: scripts/build.sh release|asan|tsan|fuzz|shared" >&2; exit 2 ;;
esac
cmake -S . -B "build/$flavour" "${args[@]}" >/dev/null
if ((${#targets[@]})); then
  cmake --build "build/$flavour" -j"$jobs" --target "${targets[@]}"
else
  cmake --build "build/$flavour" -j"$jobs"
fi
