#!/usr/bin/env bash
# Installs what is missing, builds, and starts the main example — the chat server with its
# web page — on 127.0.0.1 (PORT, default 9001; further arguments go to uvws-chat). It prints
# the URL to open.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh release
exec build/release/examples/uvws-chat --host 127.0.0.1 --port "${PORT:-9001}" "$@"
