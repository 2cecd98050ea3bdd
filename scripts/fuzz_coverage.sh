#!/usr/bin/env bash
# Coverage of the protocol layer by the fuzz corpus: builds the libFuzzer targets with clang's
# source-based coverage (-fprofile-instr-generate -fcoverage-mapping, no sanitizers) in
# build/fuzz-coverage, runs each target once over every input of fuzz/corpus/<target>, merges
# the profiles with llvm-profdata and reports with llvm-cov: a per-file table for ws/protocol/
# and core/, then one line each with the line, branch and function coverage of ws/protocol/
# and of core/.
#   usage: scripts/fuzz_coverage.sh [--html] [TARGET...]
#     TARGET   fuzz_frame_parser, fuzz_handshake, ... (default: every fuzz/fuzz_*.cpp)
#     --html   also writes an annotated source report to build/fuzz-coverage/html/index.html
# Needs clang and the llvm tools of the same version (Debian: clang, llvm-14). JOBS sets the
# build's parallelism (default 1: the build runs at low priority beside other work).
set -euo pipefail
cd "$(dirname "$0")/.."
html=0
targets=()
for arg in "$@"; do
  case "$arg" in
    --html) html=1 ;;
    -*) echo "usage: scripts/fuzz_coverage.sh [--html] [TARGET...]" >&2; exit 2 ;;
    *) targets+=("$arg") ;;
  esac
done
if ((${#targets[@]} == 0)); then
  for src in fuzz/fuzz_*.cpp; do targets+=("$(basename "$src" .cpp)"); done
fi

# The profile format belongs to the compiler: use the llvm tools of clang's own version.
major=$(clang --version | sed -n 's/.*clang version \([0-9]*\).*/\1/p' | head -1)
tool() {
  local t
  for t in "$1-$major" "$1"; do
    if command -v "$t" >/dev/null; then echo "$t"; return; fi
  done
  echo "fuzz_coverage: $1 not found (Debian: apt-get install llvm-$major)" >&2
  exit 1
}
profdata=$(tool llvm-profdata)
cov=$(tool llvm-cov)

build=build/fuzz-coverage
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang \
  -DCMAKE_CXX_COMPILER=clang++ -DUVWS_BUILD_FUZZ=ON -DUVWS_FUZZ_COVERAGE=ON \
  -DUVWS_BUILD_TESTS=OFF -DUVWS_BUILD_BENCH=OFF -DUVWS_BUILD_EXAMPLES=OFF >/dev/null
nice -n 19 cmake --build "$build" -j"${JOBS:-1}" --target "${targets[@]}" >/dev/null

profiles=$build/profiles
rm -rf "$profiles"
mkdir -p "$profiles"
objects=()  # every target but the first, which llvm-cov takes as its positional argument
for t in "${targets[@]}"; do
  corpus=fuzz/corpus/$t
  [[ -d $corpus ]] || { echo "fuzz_coverage: no corpus $corpus" >&2; exit 1; }
  # -runs=0: libFuzzer runs every corpus input once and stops without mutating.
  LLVM_PROFILE_FILE="$profiles/$t-%p.profraw" "$build/fuzz/$t" -runs=0 "$corpus" \
    >"$profiles/$t.log" 2>&1 || { tail -20 "$profiles/$t.log"; echo "fuzz_coverage: $t failed" >&2; exit 1; }
  echo "fuzz_coverage: $t ran $(find "$corpus" -type f | wc -l) inputs"
  [[ $t == "${targets[0]}" ]] || objects+=(-object "$build/fuzz/$t")
done
"$profdata" merge -sparse "$profiles"/*.profraw -o "$profiles/merged.profdata"

report=("$cov" report "${objects[@]}" -instr-profile "$profiles/merged.profdata")
"${report[@]}" "$build/fuzz/${targets[0]}" ws/protocol core | sed "s|$PWD/||"

# One line per layer: the TOTAL row holds regions, functions, lines and branches as
# count / missed / percent.
summary() {
  "${report[@]}" "$build/fuzz/${targets[0]}" "$1" | awk -v layer="$1" '$1 == "TOTAL" {
    printf "fuzz_coverage: %-12s lines %s (%d/%d)  branches %s (%d/%d)  functions %s (%d/%d)  regions %s\n",
      layer, $10, $8 - $9, $8, $13, $11 - $12, $11, $7, $5 - $6, $5, $4 }'
}
summary ws/protocol
summary core

if ((html)); then
  "$cov" show "${objects[@]}" -instr-profile "$profiles/merged.profdata" -format=html \
    -output-dir "$build/html" -show-branches=count "$build/fuzz/${targets[0]}" ws/protocol core
  echo "fuzz_coverage: $build/html/index.html"
fi
