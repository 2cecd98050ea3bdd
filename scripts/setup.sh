#!/usr/bin/env bash
# Installs what uvws needs on a Debian 12 machine, only what is missing; safe to run again.
#   scripts/setup.sh          build dependencies (libraries, compilers, tools)
#   scripts/setup.sh --tests  also the test peers: python3-websockets, Chromium, npm ws and
#                             playwright-core (under tests/interop/node_modules), redis-server
set -euo pipefail
cd "$(dirname "$0")/.."

build_pkgs=(build-essential cmake pkg-config libuv1-dev libspdlog-dev catch2 libssl-dev
            zlib1g-dev node-llhttp libhiredis-dev nlohmann-json3-dev)
test_pkgs=(python3-websockets chromium redis-server redis-tools tinyproxy dante-server clang libclang-rt-14-dev
           libwebsocketpp-dev libboost-dev libboost-system-dev gnuplot-nox procps util-linux
           stress doxygen lintian dpkg-dev file binutils llvm-14 python3-prometheus-client
           prometheus curl openssl)

want=("${build_pkgs[@]}")
if [[ "${1:-}" == "--tests" ]]; then
  want+=("${test_pkgs[@]}")
  # Node.js and npm may come from another build than Debian's (whose npm package then
  # conflicts): what counts is that the commands exist.
  command -v node >/dev/null || want+=(nodejs)
  command -v npm >/dev/null || want+=(npm)
fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: these Debian packages are missing; run as root: apt-get install ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ "${1:-}" == "--tests" ]]; then
  # npm peers for the interop and browser tests, pinned by tests/interop/package.json.
  if [[ ! -d tests/interop/node_modules/ws || ! -d tests/interop/node_modules/playwright-core ]]; then
    echo "setup: npm install (tests/interop)"
    (cd tests/interop && npm install --no-audit --no-fund --loglevel=error >/dev/null)
  fi
fi
echo "setup: ok"
