#!/usr/bin/env bash
# bench/chart.sh: draws the echo benchmark's results as grouped bars — per scenario, one bar
# per server, its median server CPU per message divided by uvws's (so uvws is 1, lower is
# better); a logarithmic scale when the ratios span more than a factor of 8.
#
#   bash bench/chart.sh [bench/results/echo.jsonl [bench/results/echo.svg]]
#
# Reads the JSON lines bench/run.sh writes; scenarios and servers keep the order of the file.
# A server with no successful run in a scenario (or a scenario uvws failed) has no bar there.
# Needs gnuplot (Debian: gnuplot-nox); bench/run.sh calls it at its end.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

in=${1:-$bench_dir/results/echo.jsonl}
out=${2:-${in%.jsonl}.svg}
[[ -s $in ]] || die "no results in $in (run bench/run.sh first)"
command -v gnuplot >/dev/null 2>&1 || die "gnuplot is not installed (Debian: gnuplot-nox)"

mapfile -t scenarios < <(sed -nE 's/^\{"scenario":"([^"]+)".*/\1/p' "$in" | awk '!seen[$0]++')
mapfile -t servers < <(sed -nE 's/^\{"scenario":"[^"]+","server":"([^"]+)".*/\1/p' "$in" |
  awk '!seen[$0]++')

median() { jsonl_values "$in" "$1" "$2" cpu_ns_per_msg | median_min_max | cut -d' ' -f1; }

data=$(mktemp)
trap 'rm -f "$data"' EXIT
{
  printf 'scenario'
  for server in "${servers[@]}"; do printf '\t%s' "$(server_label "$server")"; done
  printf '\n'
  for scenario in "${scenarios[@]}"; do
    base=$(median "$scenario" uvws)
    printf '%s' "$scenario"
    for server in "${servers[@]}"; do
      awk -v m="$(median "$scenario" "$server")" -v u="$base" 'BEGIN {
        if (m == "nan" || u == "nan" || u + 0 == 0) printf "\tNaN"; else printf "\t%.4f", m / u }'
    done
    printf '\n'
  done
} >"$data"

# Log scale (base 2, from the power of 2 below the smallest ratio) when the ratios span more
# than a factor of 8.
read -r log ymin < <(awk -F'\t' 'NR > 1 { for (i = 2; i <= NF; i++) if ($i != "NaN") {
    if (lo == "" || $i < lo) lo = $i; if (hi == "" || $i > hi) hi = $i } }
  END { if (lo > 0 && hi / lo > 8) print 1, 2 ^ (int(log(lo) / log(2) + 8) - 9); else print 0, 0 }' \
  "$data")

stamp=$(date -u -r "$in" '+%Y-%m-%d %H:%M UTC')
gnuplot <<EOF
set terminal svg size 960,520 dynamic font "sans,13" background rgb "white"
set output "$out"
set datafile separator "\t"
set datafile missing "NaN"
set title "Server CPU per echoed WebSocket message, relative to uvws (lower is better)\n{/*0.8 one core per server, medians over the rounds; $stamp}"
set ylabel "CPU per message ÷ uvws's"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set key outside bottom center horizontal
set grid ytics
set xtics nomirror
set xrange [-0.55:$((${#scenarios[@]} - 1)).55]
set ytics nomirror
$( ((log)) && printf 'set logscale y 2\nset yrange [%s:*]\nset format y "%%g"\n' "$ymin" || printf 'set yrange [0:*]\n')
set arrow from graph 0, first 1 to graph 1, first 1 nohead dashtype 2 lc rgb "black" front
plot for [i=2:$((${#servers[@]} + 1))] "$data" using i:xtic(1) title columnheader(i)
EOF
echo "chart.sh: wrote $out" >&2
