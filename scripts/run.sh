#!/usr/bin/env bash
# Installs what is missing, builds, and starts the main example on 127.0.0.1 (PORT, default
# 9001; any further arguments go to the example).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh release
exec build/release/examples/uvws-echo --host 127.0.0.1 --port "${PORT:-9001}" "$@"
