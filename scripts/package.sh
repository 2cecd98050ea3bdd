#!/usr/bin/env bash
# Builds the Debian package libuvws-dev_<version>_<arch>.deb (the static library, headers, CMake
# package and uvws.pc under /usr) from build/release with cpack, and prints its path.
#   scripts/package.sh            configures and builds build/release first if needed
# The package is written to build/release/.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -f build/release/CMakeCache.txt ]]; then
  bash scripts/build.sh release >&2
fi
cmake --build build/release -j"$(nproc)" --target uvws >&2
(cd build/release && cpack -G DEB >&2)
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' build/release/CMakeCache.txt)
deb=build/release/libuvws-dev_${version}_$(dpkg --print-architecture).deb
[[ -f "$deb" ]] || { echo "package.sh: $deb was not made" >&2; exit 1; }
echo "$deb"
