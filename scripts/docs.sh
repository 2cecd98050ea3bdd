#!/usr/bin/env bash
# Generates the API reference with Doxygen (docs/Doxyfile) into OUT (default build/doxygen/):
# OUT/html/index.html. Fails on any Doxygen warning (an undocumented public member included),
# printing the warnings.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-build/doxygen}")
rm -rf "$out"
mkdir -p "$out"
version=$(sed -n 's/^project(uvws VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
status=0
UVWS_DOXYGEN_OUT=$out UVWS_VERSION=$version doxygen docs/Doxyfile || status=$?
if [[ -s "$out/warnings.log" ]]; then
  echo "docs: Doxygen warnings ($(wc -l <"$out/warnings.log") lines):" >&2
  cat "$out/warnings.log" >&2
  exit 1
fi
if ((status)); then
  echo "docs: doxygen failed ($status)" >&2
  exit "$status"
fi
echo "docs: API reference in $out/html/index.html"
