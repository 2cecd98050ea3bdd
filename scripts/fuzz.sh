#!/usr/bin/env bash
# Runs every libFuzzer target in BUILD_DIR (default build/fuzz, as scripts/build.sh fuzz makes
# it) for SECONDS each (default 20), starting from the seed corpus in fuzz/corpus/<target>.
# Fails if a target finds a crash, leak or timeout.
#   usage: scripts/fuzz.sh [SECONDS] [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
build=${2:-build/fuzz}
shopt -s nullglob
targets=("$build"/fuzz/fuzz_*)
if ((${#targets[@]} == 0)); then echo "fuzz: no targets built" >&2; exit 1; fi
for t in "${targets[@]}"; do
  name=$(basename "$t")
  work=$(mktemp -d)
  seeds=fuzz/corpus/$name
  echo "fuzz: $name for ${seconds}s"
  "$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=0 \
       -artifact_prefix="$work/" "$work" ${seeds:+$( [[ -d $seeds ]] && echo "$seeds")} \
       >"$work/log" 2>&1 || { tail -40 "$work/log"; echo "fuzz: $name FAILED" >&2; exit 1; }
  grep -E "^#[0-9]+.*DONE" "$work/log" | tail -1 || true
  rm -rf "$work"
done
echo "fuzz: all targets ran clean"
