#!/usr/bin/env bash
# bench/update_readme.sh: copies the latest benchmark tables into README.md's "## Performance"
# section. Each results file bench/results/NAME.md (echo, memory, fanout, redis_fanout, tls,
# deflate, threads)
# has its summary between the lines <!-- bench:NAME:begin --> and <!-- bench:NAME:end -->; the
# README has the same two lines, and what is between them there is replaced by what is between
# them in the results file. Nothing else in the README changes. A results file without its block (not run
# yet, or from an older script) leaves that block of the README as it is.
#
#   bash bench/update_readme.sh                 (bench/run.sh runs it when UPDATE_README=1)
#
# Environment: README (default README.md at the root), RESULTS_DIR (bench/results), BLOCKS
# ("echo memory fanout redis_fanout tls deflate threads"). Fails, leaving the README untouched, if a marker is
# missing from the README or appears twice in it.
set -euo pipefail
bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
README=${README:-$(dirname "$bench_dir")/README.md}
RESULTS_DIR=${RESULTS_DIR:-$bench_dir/results}
BLOCKS=${BLOCKS:-"echo memory fanout redis_fanout tls deflate threads"}

die() {
  echo "update_readme.sh: $*" >&2
  exit 1
}

[[ -f $README ]] || die "no $README"
work=$(mktemp)
block=$(mktemp)
trap 'rm -f "$work" "$block"' EXIT
cp "$README" "$work"

for name in $BLOCKS; do
  begin="<!-- bench:$name:begin -->"
  end="<!-- bench:$name:end -->"
  results=$RESULTS_DIR/$name.md
  for marker in "$begin" "$end"; do
    count=$(grep -cxF "$marker" "$work" || true)
    [[ $count == 1 ]] || die "$README has $count lines '$marker' (must be 1)"
  done
  if [[ ! -f $results ]] || ! grep -qxF "$begin" "$results" || ! grep -qxF "$end" "$results"; then
    echo "update_readme.sh: $results has no $name block: left as it is" >&2
    continue
  fi
  # The lines strictly between the markers in the results file.
  awk -v b="$begin" -v e="$end" '$0 == e { inside = 0 } inside { print } $0 == b { inside = 1 }' \
    "$results" >"$block"
  awk -v b="$begin" -v e="$end" -v f="$block" '
    $0 == b { print; while ((getline line < f) > 0) print line; skip = 1; next }
    $0 == e { skip = 0 }
    !skip { print }' "$work" >"$work.new"
  mv "$work.new" "$work"
  echo "update_readme.sh: $name table updated from $results" >&2
done

if cmp -s "$work" "$README"; then
  echo "update_readme.sh: $README already up to date" >&2
else
  cat "$work" >"$README"
fi
