#!/usr/bin/env bash
# bench/memory.sh: resident memory per idle WebSocket connection at several counts — uvws-echo
# and the peers (websocketpp, Boost.Beast, the npm `ws` package on Node.js, the raw epoll floor).
#
#   BUILD_DIR=build-bench bench/memory.sh
#   COUNTS="1000 10000" ROUNDS=1 SERVERS=uvws BUILD_DIR=build/release bench/memory.sh
#
# Over 400 lines for a reason: the plain and the deflate sections share the round loop, the RSS
# polling and the .jsonl, and each writes its part of one results file; two scripts would copy
# that machinery or split it into a third file read by only these two.
#
# Each round of each server (pinned to SERVER_CPU, with the FD_LIMIT-descriptor limit of
# lib.sh since uvws-echo does not raise its own):
#   1. VmRSS and RssAnon from /proc/PID/status after WARMUP_CONNECTIONS connections came,
#      echoed a message each and went: code and tables paged in by the first connection (the
#      handshake's SHA-1, zlib, the allocator's first arena pages) are the baseline, not a cost
#      per connection;
#   2. for each of COUNTS in turn, more idle connections are opened by `uvws-loadgen --idle`
#      (pinned to CLIENT_CPU, at most CLIENT_CHUNK per process: each process has the same
#      descriptor limit as the server), all of them held; once every loadgen has printed
#      "idle N" (every handshake answered), RSS is polled until it stays the same for a second
#      (at most STABLE_TIMEOUT seconds; a figure taken without that is marked) and read.
# Two figures per count: RSS / connection = (RSS at N - baseline) / N, and the slope = what the
# connections added since the previous count cost each ((RSS at N - RSS at previous) / (N -
# previous)). The slope is the marginal cost of one more idle connection: it leaves out any
# fixed cost that the first connections pay, which RSS / N spreads over N and so shrinks as N
# grows. ROUNDS rounds, each on a fresh server: the tables give the median and the min-max.
#
# Why the figure once depended on the count: the issue measured 940 B at 5,000 and 716 B at
# 10,000 with a baseline taken before any connection (this script, with WARMUP_CONNECTIONS=0,
# gives 938 B and 723 B; RssAnon only 523 B and 508 B). The first handshake pages in 2,028 kB
# of libcrypto.so.3 (file-backed: OpenSSL's initialisation for the SHA-1 of RFC 6455 4.2.2)
# and grows the heap by about 140 kB, once per process. Divided by N, that fixed cost added
# 2.17 MB / 5,000 = 434 B and / 10,000 = 217 B. The warm-up of step 1 puts it in the baseline,
# and the slope leaves out whatever fixed cost remains. Two smaller effects remain in RSS / N:
#  - memory freed by the warm-up connections stays in the malloc heap and is used again by the
#    first new ones, so RSS / N at 1,000 reads about 50 B low (344 B against 393 B at 10,000);
#  - libuv's table of watched descriptors (8 B per slot, `loop->watchers`) doubles at powers
#    of two and is written out at once: RSS steps up by 128 kB when descriptor 16,383 is
#    watched (the slope from 16,000 to 16,500 is 737 B, before and after it 483 B), 8-16 B
#    per connection in all.
# The slope between counts (about 494 B per connection from 1,000 to 10,000 and from 10,000
# to 20,000) is the figure that does not depend on the count or on the allocator's history.
#
# The highest count is capped by the descriptor limit: the server needs one descriptor per
# connection plus those it has open at start (listener, epoll, eventfd, ...), and FD_LIMIT is
# the hard limit (`ulimit -Hn`, 20,000 on some hosts; root without CAP_SYS_RESOURCE cannot
# raise it). The tables say when a count was lowered and to what.
#
# The table goes to bench/results/memory.md (or OUT), raw figures to the .jsonl beside it, with
# a summary between <!-- bench:memory:begin --> and <!-- bench:memory:end --> for
# bench/update_readme.sh: the peers compared at COMPARE_AT connections (10,000), then uvws at
# every count. A server that fails is shown as failed with the reason.
#
# The deflate section (SECTIONS containing "deflate") measures uvws-echo alone, at DEFLATE_COUNTS,
# in three series of ROUNDS rounds each, the same way: plain (no compression, as above, for
# comparison), and compressing (`uvws-echo --compression`, `uvws-loadgen --idle --deflate`:
# every connection negotiates permessage-deflate, sends one compressed ~200-byte chat line and
# reads its echo before it counts as idle, so the server holds an inflater and a compressor with
# context takeover for it) read twice: "held", with --compression-idle-release-ms 600000, so
# RSS is read before any release; and "released", with --compression-idle-release-ms RELEASE_MS,
# where RSS is read only from RELEASE_MS + 1 s after the last connection went idle (samples
# before do not count towards the stable second), once each connection has given its zlib state
# back (ws::Protocol::release_idle); and "trimmed", the released runs again with a probe: gdb
# calls glibc's malloc_trim(0) in the server before RSS is read a second time (skipped without
# gdb), to show what the release frees but free() keeps. The idle timeout is off in these runs. Its tables go to the
# same file between <!-- bench:memory-deflate:begin --> and <!-- bench:memory-deflate:end -->.
#
# The tls section (SECTIONS containing "tls", not run by default; bench/tls.sh runs it) measures
# every server of SERVERS over TLS at TLS_COUNTS (10000) the same way: the server in its tls
# mode (lib.sh: certificate TLS_CERT and key TLS_KEY, made with tests/tls/make_certs.sh in the
# scratch directory when unset) and every uvws-loadgen with --tls, the warm-up connections
# included (each completes its TLS handshake and upgrade, then goes). Its rows are named tls-*
# in the .jsonl; bench/tls.sh makes the table.
#
# SECTIONS ("plain deflate") selects what runs; the file keeps the other section's tables and
# .jsonl rows from the previous run, e.g. to rerun only the compressing figures:
#   SECTIONS=deflate BUILD_DIR=build/release bash bench/memory.sh
#
# Environment: COUNTS ("1000 10000 20000"; CONNECTIONS=N alone means COUNTS=N), ROUNDS (3),
# COMPARE_AT (10000), WARMUP_CONNECTIONS (100), CLIENT_CHUNK (10000), STABLE_TIMEOUT (10),
# SECTIONS, DEFLATE_COUNTS ("1000 10000"), TLS_COUNTS ("10000"), RELEASE_MS (1000), SERVERS, BUILD_DIR, SERVER_CPU,
# CLIENT_CPU, NICE (see lib.sh), OUT.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

COUNTS=${COUNTS:-${CONNECTIONS:-"1000 10000 20000"}}
ROUNDS=${ROUNDS:-3}
COMPARE_AT=${COMPARE_AT:-10000}
WARMUP_CONNECTIONS=${WARMUP_CONNECTIONS:-100}
CLIENT_CHUNK=${CLIENT_CHUNK:-10000}
STABLE_TIMEOUT=${STABLE_TIMEOUT:-10}
OUT=${OUT:-$bench_dir/results/memory.md}
SECTIONS=${SECTIONS:-"plain deflate"}
DEFLATE_COUNTS=${DEFLATE_COUNTS:-"1000 10000"}
RELEASE_MS=${RELEASE_MS:-1000}
TLS_COUNTS=${TLS_COUNTS:-10000}
section() { [[ " $SECTIONS " == *" $1 "* ]]; }
section plain || section deflate || section tls ||
  die "SECTIONS names none of plain, deflate, tls: $SECTIONS"
read -r -a counts <<<"$COUNTS"
read -r -a deflate_counts <<<"$DEFLATE_COUNTS"
read -r -a tls_counts <<<"$TLS_COUNTS"
for list in counts deflate_counts tls_counts; do
  declare -n c=$list
  [[ ${#c[@]} -gt 0 ]] || die "$list is empty"
  for ((i = 1; i < ${#c[@]}; i++)); do
    ((c[i] > c[i - 1])) || die "$list must increase: ${c[*]}"
  done
  unset -n c
done

# lib.sh's command line of a server, with UVWS_ARGS appended for uvws-echo (the deflate section
# sets it; lib.sh has no hook for a server's own flags).
eval "lib_$(declare -f server_command)"
server_command() {
  local cmd
  cmd=$(lib_server_command "$@")
  if [[ -n $cmd && $1 == uvws ]]; then cmd+=" ${UVWS_ARGS:-}"; fi
  echo "$cmd"
}
UVWS_ARGS=
LOADGEN_ARGS=()  # added to every uvws-loadgen of a round (--deflate)

loadgen=$(find_program uvws-loadgen)
[[ -n $loadgen ]] || die "uvws-loadgen is not built under $BUILD_DIR"

tmp=$(mktemp -d)
raw=${OUT%.md}.jsonl
mkdir -p "$(dirname "$OUT")"
# The rows of a section not run now are kept; the deflate section's series are named deflate-*,
# the tls section's tls-*.
if [[ -f $raw ]]; then
  while IFS= read -r line; do
    case $line in
      *'"server":"deflate-'*) row_section=deflate ;;
      *'"server":"tls-'*) row_section=tls ;;
      *) row_section=plain ;;
    esac
    section "$row_section" || echo "$line"
  done <"$raw" >"$tmp/kept.jsonl"
fi
if [[ -f $tmp/kept.jsonl ]]; then cp "$tmp/kept.jsonl" "$raw"; else : >"$raw"; fi
LOADGEN_PIDS=()
stop_loadgens() {
  local pid
  for pid in "${LOADGEN_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${LOADGEN_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  LOADGEN_PIDS=()
}
cleanup() {
  stop_loadgens
  stop_server
  rm -rf "$tmp"
}
trap cleanup EXIT

# Opens $1 more idle connections to SERVER_PORT in processes of at most CLIENT_CHUNK each and
# waits (at most 120 s) until each has printed "idle N"; adds the N to OPENED. Returns 1 when a
# loadgen exited without holding its connections.
open_idle() {
  local want=$1 n k deadline out pid got
  local -a started=()
  while ((want > 0)); do
    n=$((want < CLIENT_CHUNK ? want : CLIENT_CHUNK))
    k=${#LOADGEN_PIDS[@]}
    "${PIN[@]}" "$loadgen" --port "$SERVER_PORT" --connections "$n" --idle "${LOADGEN_ARGS[@]}" \
      >"$tmp/idle.$k.out" 2>"$tmp/idle.$k.err" &
    LOADGEN_PIDS+=($!)
    started+=("$k")
    want=$((want - n))
  done
  deadline=$((SECONDS + 120))
  for k in "${started[@]}"; do
    out=$tmp/idle.$k.out pid=${LOADGEN_PIDS[$k]} got=
    while ((SECONDS < deadline)); do
      got=$(sed -nE 's/^idle ([0-9]+)$/\1/p' "$out")
      [[ -n $got ]] && break
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    [[ -n $got ]] || return 1
    OPENED=$((OPENED + got))
  done
}

# The bytes per connection for a difference of $1 kB over $2 connections.
per_connection() {
  awk -v kb="$1" -v n="$2" 'BEGIN { if (n > 0) printf "%.0f", kb * 1024 / n; else print "nan" }'
}

# "median (min-max)" of the numbers on stdin, or "-" when there are none.
median_range() {
  local m lo hi
  read -r m lo hi < <(median_min_max)
  if [[ $m == nan ]]; then
    echo "-"
  elif [[ $lo == "$hi" ]]; then
    printf '%.0f' "$m"
  else
    printf '%.0f (%.0f-%.0f)' "$m" "$lo" "$hi"
  fi
}

# Field $3 of the rounds of server $1 at count index $2 (from the .jsonl), one per line.
values() {
  grep -F "\"server\":\"$1\",\"step\":$2," "$raw" | while read -r line; do
    json_field "$line" "$3"
  done | grep -vxE 'null|' || true
}

# measure SERVER KEY COUNT...: ROUNDS rounds of SERVER (a fresh server each), idle connections
# opened up to each COUNT in turn; .jsonl rows under the name KEY. A failure goes to `failures`.
measure() {
  local server=$1 key=$2 round step target fds most rss0 anon0 prev_n prev_rss prev_anon failed
  local per per_anon slope slope_anon
  local -a steps=("${@:3}")
  for ((round = 1; round <= ROUNDS; round++)); do
    if ! start_server "$server" "$tmp/server.log" "${SERVER_MODE:-echo}"; then
      failures+=("$key|server $SERVER_ERROR")
      break
    fi
    # The most connections this server can hold: its descriptor limit less those open now,
    # less a margin for what it may open later (libuv's reserve descriptor for EMFILE, ...).
    fds=$(find "/proc/$SERVER_PID/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
    most=$((FD_LIMIT - fds - 16))
    pin_prefix "$CLIENT_CPU"
    if [[ ${#LOADGEN_ARGS[@]} -eq 0 ]]; then
      "${PIN[@]}" "$loadgen" --port "$SERVER_PORT" --connections "$WARMUP_CONNECTIONS" \
        --messages "$WARMUP_CONNECTIONS" --quiet >/dev/null 2>>"$tmp/warmup.err" || true
    else
      # --deflate runs only idle: the warm-up connections each send their compressed line and go.
      "${PIN[@]}" "$loadgen" --port "$SERVER_PORT" --connections "$WARMUP_CONNECTIONS" --idle \
        --duration 0.1 "${LOADGEN_ARGS[@]}" --quiet >/dev/null 2>>"$tmp/warmup.err" || true
    fi
    NOT_BEFORE_US=0
    read_stable_rss "$SERVER_PID"
    # The probe trims the baseline too, so that the warm-up's freed memory is not counted as
    # returned by the connections.
    if [[ -n ${TRIM_PROBE:-} ]] && gdb -p "$SERVER_PID" -batch -ex 'call (int)malloc_trim(0)' \
      >"$tmp/gdb.log" 2>&1; then
      read_stable_rss "$SERVER_PID"
    fi
    rss0=$RSS anon0=$ANON
    prev_n=0 prev_rss=$rss0 prev_anon=$anon0 OPENED=0 failed=
    for ((step = 0; step < ${#steps[@]}; step++)); do
      target=${steps[step]}
      ((target > most)) && target=$most
      ((target > OPENED)) || continue
      if ! open_idle $((target - OPENED)); then
        failed="no idle connections at $target: $(head -n 2 "$tmp"/idle.*.err | tr '\n' ' ')"
        break
      fi
      NOT_BEFORE_US=0
      if [[ -n ${RELEASE_WAIT_MS:-} ]]; then
        NOT_BEFORE_US=$(($(now_us) + RELEASE_WAIT_MS * 1000))
      fi
      read_stable_rss "$SERVER_PID"
      if [[ -n ${TRIM_PROBE:-} ]]; then
        # The probe series: glibc's malloc_trim(0), called in the server by gdb, returns the free
        # pages inside the heap, which free() keeps (it only ever shortens the heap's top).
        if ! gdb -p "$SERVER_PID" -batch -ex 'call (int)malloc_trim(0)' >"$tmp/gdb.log" 2>&1; then
          failed="gdb could not call malloc_trim: $(tail -n 1 "$tmp/gdb.log")"
          break
        fi
        NOT_BEFORE_US=0
        read_stable_rss "$SERVER_PID"
      fi
      if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        failed="the server exited: $(tail -c 200 "$tmp/server.log")"
        break
      fi
      per=$(per_connection $((RSS - rss0)) "$OPENED")
      per_anon=$(per_connection $((ANON - anon0)) "$OPENED")
      slope=$(per_connection $((RSS - prev_rss)) $((OPENED - prev_n)))
      slope_anon=$(per_connection $((ANON - prev_anon)) $((OPENED - prev_n)))
      printf '%-12s round %d: %6d idle (asked %d): rss %6s -> %7s kB: %s B each, %s B per added (anonymous %s, %s)%s\n' \
        "$key" "$round" "$OPENED" "${steps[step]}" "$rss0" "$RSS" "$per" "$slope" \
        "$per_anon" "$slope_anon" "$([[ $STABLE == yes ]] || echo ', RSS still moving')" >&2
      echo "{\"server\":\"$key\",\"step\":$step,\"round\":$round,\"asked\":${steps[step]},\"open\":$OPENED,\"rss0_kb\":$rss0,\"rss_kb\":$RSS,\"anon0_kb\":$anon0,\"anon_kb\":$ANON,\"per\":$per,\"per_anon\":$per_anon,\"slope\":$slope,\"slope_anon\":$slope_anon,\"stable\":\"$STABLE\"}" >>"$raw"
      prev_n=$OPENED prev_rss=$RSS prev_anon=$ANON
    done
    stop_loadgens
    stop_server
    if [[ -n $failed ]]; then
      failures+=("$key|round $round: $failed")
      break
    fi
  done
}

failures=()
if section plain; then
  for server in $SERVERS; do
    if [[ -z $(server_command "$server") ]]; then
      echo "memory.sh: $server skipped: $(server_unavailable "$server")" >&2
      continue
    fi
    measure "$server" "$server" "${counts[@]}"
  done
fi
if section deflate; then
  if [[ -z $(server_command uvws) ]]; then
    failures+=("deflate-plain|uvws: $(server_unavailable uvws)")
  else
    # The idle timeout (120 s) must not close connections while a round is still reading RSS.
    UVWS_ARGS="--idle-timeout-ms 0" LOADGEN_ARGS=() RELEASE_WAIT_MS=""
    measure uvws deflate-plain "${deflate_counts[@]}"
    UVWS_ARGS="--idle-timeout-ms 0 --compression --compression-idle-release-ms 600000"
    LOADGEN_ARGS=(--deflate)
    measure uvws deflate-held "${deflate_counts[@]}"
    UVWS_ARGS="--idle-timeout-ms 0 --compression --compression-idle-release-ms $RELEASE_MS"
    RELEASE_WAIT_MS=$((RELEASE_MS + 1000))
    measure uvws deflate-released "${deflate_counts[@]}"
    if command -v gdb >/dev/null 2>&1; then
      TRIM_PROBE=1
      measure uvws deflate-trimmed "${deflate_counts[@]}"
      TRIM_PROBE=""
    else
      failures+=("deflate-trimmed|gdb is not installed")
    fi
    UVWS_ARGS="" LOADGEN_ARGS=() RELEASE_WAIT_MS=""
  fi
fi

if section tls; then
  if [[ -z ${TLS_CERT:-} ]]; then
    sh "$repo_dir/tests/tls/make_certs.sh" "$tmp/certs" >/dev/null
    export TLS_CERT=$tmp/certs/server.pem TLS_KEY=$tmp/certs/server.key
  fi
  SERVER_MODE=tls LOADGEN_ARGS=(--tls)
  for server in $SERVERS; do
    if [[ -z $(server_command "$server" tls) ]]; then
      failures+=("tls-$server|$(server_unavailable "$server" tls)")
      continue
    fi
    measure "$server" "tls-$server" "${tls_counts[@]}"
  done
  for f in "${failures[@]}"; do
    [[ ${f%%|*} == tls-* ]] && echo "memory.sh: ${f%%|*}: failed: ${f#*|}" >&2
  done
  SERVER_MODE=echo LOADGEN_ARGS=()
fi

# --- The tables ---------------------------------------------------------------------------------

label_count() { sed -E ':a;s/([0-9])([0-9]{3})($|,)/\1,\2\3/;ta' <<<"$1"; }

# The previous file's two parts: the plain tables (everything before the deflate block) and the
# deflate block, for the section not run now.
deflate_begin="<!-- bench:memory-deflate:begin -->"
deflate_end="<!-- bench:memory-deflate:end -->"
if [[ -f $OUT ]]; then
  awk -v b="$deflate_begin" '$0 == b { exit } { print }' "$OUT" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' >"$tmp/old_plain.md"
  awk -v b="$deflate_begin" -v e="$deflate_end" '$0 == b { on = 1 } on { print } $0 == e { on = 0 }' \
    "$OUT" >"$tmp/old_deflate.md"
fi

if section plain; then
compare_step=
for ((step = 0; step < ${#counts[@]}; step++)); do
  [[ ${counts[step]} == "$COMPARE_AT" ]] && compare_step=$step
done
[[ -n $compare_step ]] || compare_step=$((${#counts[@]} - 1))

summary=()
detail=()
notes=()
capped=()
capped_asked=
uvws_per=$(values uvws "$compare_step" per | median_min_max | cut -d' ' -f1)
for server in $SERVERS; do
  for f in "${failures[@]}"; do
    if [[ ${f%%|*} == "$server" ]]; then
      notes+=("- $(server_label "$server"): failed: $(table_cell "${f#*|}")")
    fi
  done
  [[ -n $(values "$server" 0 open) ]] || {
    summary+=("| $(server_label "$server") | failed | - | - | - |")
    continue
  }
  per=$(values "$server" "$compare_step" per | median_min_max | cut -d' ' -f1)
  ratio=-
  if [[ -n $uvws_per && $uvws_per != nan && $per != nan ]]; then
    ratio=$(awk -v p="$per" -v u="$uvws_per" 'BEGIN { printf "%.1f×", p / u }')
  fi
  summary+=("| $(server_label "$server") | $(values "$server" "$compare_step" per | median_range) | $(values "$server" "$compare_step" per_anon | median_range) | $(values "$server" "$compare_step" slope | median_range) | $ratio |")
  for ((step = 0; step < ${#counts[@]}; step++)); do
    [[ -n $(values "$server" "$step" open) ]] || continue
    open=$(values "$server" "$step" open | median_min_max | cut -d' ' -f1)
    unstable=$(values "$server" "$step" stable | grep -c no || true)
    detail+=("| $(server_label "$server") | $(label_count "${counts[step]}") | $(values "$server" "$step" open | median_range) | $(values "$server" "$step" rss0_kb | median_range) | $(values "$server" "$step" rss_kb | median_range) | **$(values "$server" "$step" per | median_range)** | $(values "$server" "$step" slope | median_range) | $(values "$server" "$step" per_anon | median_range) | $(values "$server" "$step" slope_anon | median_range) | $unstable |")
    if [[ ${open%.*} != "${counts[step]}" ]]; then
      capped+=("$(server_label "$server") $(label_count "${open%.*}")")
      capped_asked=$(label_count "${counts[step]}")
    fi
  done
done
compare_label=$(label_count "${counts[compare_step]}")

{
  echo "# Memory per idle WebSocket connection"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(machine_summary). Build: \`$BUILD_DIR\`."
  echo
  echo "Each round starts a server, takes VmRSS once $WARMUP_CONNECTIONS warm-up connections came, echoed and"
  echo "went, then opens idle connections (\`uvws-loadgen --idle\`) up to each count in turn and reads"
  echo "VmRSS once every handshake is answered and RSS has not moved for a second. **RSS /"
  echo "connection** = (RSS at N - RSS before) / N; **per added** = (RSS at N - RSS at the previous"
  echo "count) / the connections added: the marginal cost of one more idle connection, without the"
  echo "fixed costs that RSS / N spreads over N. Median of $ROUNDS round(s) (min-max). Anonymous ="
  echo "the same from RssAnon (no file-backed pages). Kernel socket memory is not in RSS. Target for"
  echo "uvws: <= 400 bytes at every count. Node.js's figure includes whatever its garbage collector has not yet"
  echo "reclaimed."
  echo
  echo "<!-- bench:memory:begin -->"
  echo "| server | bytes / idle connection at $compare_label (RSS) | anonymous (RssAnon) | per added connection | vs uvws |"
  echo "|---|---:|---:|---:|---:|"
  printf '%s\n' "${summary[@]}"
  echo
  echo "| uvws, idle connections | RSS / connection (bytes) | per added connection | anonymous / connection |"
  echo "|---:|---:|---:|---:|"
  for ((step = 0; step < ${#counts[@]}; step++)); do
    [[ -n $(values uvws "$step" open) ]] || continue
    echo "| $(label_count "$(values uvws "$step" open | median_min_max | cut -d' ' -f1 | cut -d. -f1)") | $(values uvws "$step" per | median_range) | $(values uvws "$step" slope | median_range) | $(values uvws "$step" per_anon | median_range) |"
  done
  if [[ ${#capped[@]} -gt 0 ]]; then
    notes+=("- $capped_asked asked: open $(printf '%s; ' "${capped[@]}" | sed 's/; $//'), the most that the descriptor limit ($(label_count "$FD_LIMIT"), the hard limit of this host) leaves each server.")
  fi
  if [[ ${#notes[@]} -gt 0 ]]; then
    echo
    printf '%s\n' "${notes[@]}"
  fi
  echo "<!-- bench:memory:end -->"
  echo
  echo "| server | asked | open | VmRSS before (kB) | VmRSS at N (kB) | RSS / connection | per added | anon / connection | anon per added | rounds with RSS still moving |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  printf '%s\n' "${detail[@]}"
} >"$tmp/plain.md"
else
  cp "$tmp/old_plain.md" "$tmp/plain.md" 2>/dev/null || echo "# Memory per idle WebSocket connection" >"$tmp/plain.md"
fi

if section deflate; then
  deflate_label() {
    case "$1" in
      deflate-plain) echo "plain (no compression)" ;;
      deflate-held) echo "compressing, before the release" ;;
      deflate-released) echo "compressing, after the release ($RELEASE_MS ms)" ;;
      deflate-trimmed) echo "probe: after the release, then malloc_trim(0) by gdb" ;;
    esac
  }
  dnotes=()
  for f in "${failures[@]}"; do
    [[ ${f%%|*} == deflate-* ]] && dnotes+=("- $(deflate_label "${f%%|*}"): failed: $(table_cell "${f#*|}")")
  done
  # Median RSS / connection of series $1 at step $2, for the differences below.
  dmedian() { values "$1" "$2" per | median_min_max | cut -d' ' -f1; }
  {
    echo "$deflate_begin"
    echo "## Memory per idle compressing connection (permessage-deflate)"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(machine_summary). Build: \`$BUILD_DIR\`."
    echo
    echo "uvws-echo alone, measured as above (warm-up, then idle connections up to each count, RSS read"
    echo "once stable; median of $ROUNDS round(s), min-max). **Compressing**: \`uvws-echo --compression\`"
    echo "(context takeover both ways, 15-bit windows negotiated, compressors within 12 bits, memLevel 4) and \`uvws-loadgen --idle --deflate\`: each"
    echo "connection negotiates permessage-deflate, sends one compressed ~200-byte chat line and reads its"
    echo "compressed echo before it counts as idle, so the server has built an inflater and a compressor"
    echo "for it. **Before the release**: \`--compression-idle-release-ms 600000\`, read as soon as RSS is"
    echo "stable. **After the release**: \`--compression-idle-release-ms $RELEASE_MS\`, read from $((RELEASE_MS + 1000)) ms after"
    echo "the last connection went idle, when each has given its zlib state back and kept only its window"
    echo "bytes (\`ws::Protocol::release_idle\`). Idle timeout off. Warm-up connections use the same"
    echo "client. Command: \`SECTIONS=deflate BUILD_DIR=$BUILD_DIR bash bench/memory.sh\`."
    echo
    echo "| idle connections | series | RSS / connection (bytes) | per added connection | anonymous / connection | over plain |"
    echo "|---:|---|---:|---:|---:|---:|"
    for ((step = 0; step < ${#deflate_counts[@]}; step++)); do
      plain=$(dmedian deflate-plain "$step")
      for key in deflate-plain deflate-held deflate-released deflate-trimmed; do
        [[ -n $(values "$key" "$step" open) ]] || continue
        open=$(values "$key" "$step" open | median_min_max | cut -d' ' -f1 | cut -d. -f1)
        over=-
        if [[ $key != deflate-plain && $plain != nan ]]; then
          over=$(awk -v a="$(dmedian "$key" "$step")" -v p="$plain" 'BEGIN { printf "+%.0f", a - p }')
        fi
        unstable=$(values "$key" "$step" stable | grep -c no || true)
        echo "| $(label_count "$open") | $(deflate_label "$key")$([[ $unstable == 0 ]] || echo " ($unstable round(s) with RSS still moving)") | **$(values "$key" "$step" per | median_range)** | $(values "$key" "$step" slope | median_range) | $(values "$key" "$step" per_anon | median_range) | $over |"
      done
    done
    echo
    echo "What stays after the release: release_idle() frees the zlib streams (the two zlib states of"
    echo "7 and 6 KiB, the compressor's hash head and pending buffer, the touched pages of the windows)"
    echo "and keeps only the window bytes context takeover needs. Each stream's blocks are cut from one"
    echo "arena mapped with mmap and unmapped when the stream goes (permessage_deflate.cpp), so every"
    echo "page of it goes back to the kernel at once. (Arenas taken from the heap, even with their inner"
    echo "pages madvised away before free(), left ~9 KiB per connection resident: the allocator's chunk"
    echo "headers at their edges and the small blocks it later cut from the freed ranges.) The probe"
    echo "series shows the floor, with glibc's \`malloc_trim(0)\` called after releasing: the same rounds,"
    echo "with \`gdb -p PID -batch -ex 'call (int)malloc_trim(0)'\` before RSS is read again (and after"
    echo "the warm-up, before the baseline is read)."
    if [[ ${#dnotes[@]} -gt 0 ]]; then
      echo
      printf '%s\n' "${dnotes[@]}"
    fi
    echo "$deflate_end"
  } >"$tmp/deflate.md"
else
  cp "$tmp/old_deflate.md" "$tmp/deflate.md" 2>/dev/null || : >"$tmp/deflate.md"
fi

{
  cat "$tmp/plain.md"
  if [[ -s $tmp/deflate.md ]]; then
    echo
    cat "$tmp/deflate.md"
  fi
} >"$tmp/out.md"
cp "$tmp/out.md" "$OUT"
cat "$OUT"
