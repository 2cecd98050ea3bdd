#!/usr/bin/env bash
# Runs the libFuzzer targets in BUILD_DIR (default build/fuzz, as scripts/build.sh fuzz makes
# it), each from its corpus fuzz/corpus/<target> and with its dictionary fuzz/dict/<name>.dict
# when there is one.
#
#   scripts/fuzz.sh [SECONDS] [BUILD_DIR]
#     The bounded run (CI): every target for SECONDS (default 20), one after the other. New
#     inputs go to a scratch directory and are dropped; the repository's corpus is not touched.
#     Fails at the first crash, leak or timeout.
#
#   scripts/fuzz.sh --campaign [MINUTES] [BUILD_DIR]
#     A campaign of MINUTES (default 30) of wall time: the targets share it, JOBS at a time
#     (default: the number of cores), each at nice 19 in libFuzzer's fork mode so that it keeps
#     fuzzing after a crash. Afterwards the inputs that add coverage are merged into
#     fuzz/corpus/<target> (-merge=1: only those, so the kept corpus stays small; the files
#     already there are kept), and the crashes, timeouts and out-of-memory inputs, saved under
#     BUILD_DIR/campaign/<target>/artifacts/, are listed and make the script fail. A reproducer
#     worth keeping goes to fuzz/regressions/<target>/ by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
campaign=0
if [[ "${1:-}" == "--campaign" ]]; then
  campaign=1
  shift
  minutes=${1:-30}
  # (libFuzzer reads -max_total_time=0 as "no limit".)
  [[ $minutes =~ ^[1-9][0-9]*$ ]] || { echo "fuzz: MINUTES must be a whole number >= 1" >&2; exit 2; }
else
  seconds=${1:-20}
fi
build=${2:-build/fuzz}
shopt -s nullglob
targets=("$build"/fuzz/fuzz_*)
if ((${#targets[@]} == 0)); then echo "fuzz: no targets built" >&2; exit 1; fi

# The options every run shares: the dictionary, if the target has one, and the limits.
common_args() {
  local name=$1 dict=fuzz/dict/${1#fuzz_}.dict
  echo -timeout=10 -rss_limit_mb=2048
  [[ -f $dict ]] && echo "-dict=$dict"
  return 0
}

if ((!campaign)); then
  for t in "${targets[@]}"; do
    name=$(basename "$t")
    work=$(mktemp -d)
    seeds=fuzz/corpus/$name
    echo "fuzz: $name for ${seconds}s"
    # shellcheck disable=SC2046
    "$t" -max_total_time="$seconds" $(common_args "$name") -print_final_stats=0 \
         -artifact_prefix="$work/" "$work" ${seeds:+$( [[ -d $seeds ]] && echo "$seeds")} \
         >"$work/log" 2>&1 || { tail -40 "$work/log"; echo "fuzz: $name FAILED" >&2; exit 1; }
    grep -E "^#[0-9]+.*DONE" "$work/log" | tail -1 || true
    rm -rf "$work"
  done
  echo "fuzz: all targets ran clean"
  exit 0
fi

jobs=${JOBS:-$(nproc)}
# Each target's share of the wall time, as the targets run `jobs` at a time.
per_target=$(((minutes * 60 * jobs + ${#targets[@]} - 1) / ${#targets[@]}))
root=$build/campaign
rm -rf "$root"
mkdir -p "$root"
echo "fuzz: campaign of ${minutes} min, ${#targets[@]} targets, $jobs at a time, ${per_target}s each"

run_target() {
  local t=$1 name
  name=$(basename "$t")
  local dir=$root/$name seeds=fuzz/corpus/$name
  mkdir -p "$dir/new" "$dir/artifacts" "$seeds"
  # Fork mode (one child at a time): a crash is saved and fuzzing goes on. New inputs are
  # written to the first directory only, so the repository's corpus is read, not written.
  # shellcheck disable=SC2046
  nice -n 19 "$t" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
    -max_total_time="$per_target" $(common_args "$name") -print_final_stats=1 \
    -artifact_prefix="$dir/artifacts/" "$dir/new" "$seeds" >"$dir/log" 2>&1 || true
  local before after
  before=$(find "$seeds" -type f | wc -l)
  nice -n 19 "$t" -merge=1 $(common_args "$name") "$seeds" "$dir/new" >"$dir/merge.log" 2>&1 ||
    { tail -20 "$dir/merge.log"; echo "fuzz: $name merge FAILED" >&2; return 1; }
  after=$(find "$seeds" -type f | wc -l)
  echo "fuzz: $name $(grep -E '^#[0-9]+' "$dir/log" | tail -1 | sed 's/ *\(exec\|oom\|rss\).*//')" \
       "corpus $before -> $after files"
}

pids=()
for t in "${targets[@]}"; do
  while (($(jobs -rp | wc -l) >= jobs)); do wait -n || true; done
  run_target "$t" &
  pids+=($!)
done
status=0
for p in "${pids[@]}"; do wait "$p" || status=1; done

failed=0
for dir in "$root"/*/artifacts; do
  found=("$dir"/*)
  ((${#found[@]})) || continue
  failed=1
  # Fork mode saves every crashing input, often many of one bug: the first few are listed.
  echo "fuzz: $(basename "$(dirname "$dir")") has ${#found[@]} failing inputs in $dir, e.g.:" >&2
  printf '  %s\n' "${found[@]:0:5}" >&2
done
if ((failed)); then
  echo "fuzz: reproduce one with: $build/fuzz/<target> FILE" >&2
  exit 1
fi
((status == 0)) || exit 1
echo "fuzz: campaign ran clean; corpus merged into fuzz/corpus/"
