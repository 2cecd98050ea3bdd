#!/usr/bin/env python3
"""bench/callgrind_split.py: the instructions one echoed message costs, split into categories,
from two callgrind profiles of the same server that differ only in the number of messages.

    python3 bench/callgrind_split.py SMALL.out LARGE.out MESSAGES [--top N]

SMALL.out and LARGE.out are callgrind outputs (valgrind --tool=callgrind --compress-strings=no
--compress-pos=no) of runs that echoed MESSAGES and 2 x MESSAGES messages: per message =
(LARGE - SMALL) / MESSAGES, so start-up, handshakes and shutdown cancel out, as in
bench/instructions.sh. Every instruction is counted once, where it executes (self cost), and
given to a category: by its object file for libc and libuv; by the source file of its line when
that is the metrics', the timers' or the UTF-8 code (inlined code keeps the file it was written
in); else by its function (FN_RULES), or by its source file (SRC_RULES). The categories add up
to the total. bench/results/user_cpu_floor.md explains them.
"""
import re
import sys
from collections import defaultdict

# Categories, in the order of the tables.
CATS = [
    "kernel calls (libc wrappers of epoll_wait, read, write)",
    "libuv: event loop (uv_run, uv__io_poll, loop time)",
    "libuv: stream read and write (uv__stream_io, uv__read, uv_try_write)",
    "net: read/alloc callbacks, cork, flush (TCPConnection, Loop)",
    "floor: epoll loop, recv, send (main, on_readable, write_out)",
    "ws glue per read (Connection::on_data, receive, settle)",
    "frame parsing (receive_whole_frames, Protocol::parse, read_whole_frame, StreamReader)",
    "unmasking",
    "UTF-8 validation",
    "message delivery and handler dispatch (deliver_message, ProtocolEvents, handler, WebSocket::send)",
    "send admission: limits, backpressure, memory budget, cork (Connection::send)",
    "frame writing (send_message, append_unmasked_frame)",
    "limits after a read (enforce_limits)",
    "metrics (counters, LoopMetrics::publish, flush hook)",
    "timers (TimerWheel::touch, keepalive)",
    "buffers and memcpy (core::Buffer, libc mem*)",
    "other",
]
(K_SYS, K_UVLOOP, K_UVSTREAM, K_NET, K_FLOORLOOP, K_GLUE, K_PARSE, K_MASK, K_UTF8, K_DISPATCH,
 K_ADMIT, K_WRITE, K_LIMITS, K_METRICS, K_TIMERS, K_BUF, K_OTHER) = CATS

# By function name (also for code inlined from generic headers), first match wins.
FN_RULES = [
    (r"LoopMetrics|Counter::|TrafficTally|flush hook|set_flush_hook|Server::.*lambda", K_METRICS),
    (r"TimerWheel|TCPConnection::touch|Keepalive", K_TIMERS),
    (r"Utf8|validate_text|utf8", K_UTF8),
    (r"mask_in_place|mask_copy", K_MASK),
    (r"deliver_message|deliver_whole|ProtocolEvents|on_message|WebSocket::send|Echo::",
     K_DISPATCH),
    (r"send_message|append_unmasked_frame|write_frame|write_header", K_WRITE),
    (r"read_whole_frame|receive_whole_frames|Protocol::parse|receive_data_in_place|"
     r"StreamReader|read_frame_header|end_input|borrow_pending|give_back|spare_slot", K_PARSE),
    (r"Connection::send\(|account_held_bytes|admit|pause_reading_if", K_ADMIT),
    (r"enforce_limits", K_LIMITS),
    (r"Connection::(on_data|receive|after_receive|settle)", K_GLUE),
    (r"TCPConnection|net::Loop|Loop::", K_NET),
]
# By the source file of the line, for what FN_RULES left.
SRC_RULES = [
    (r"loop_metrics\.h|metrics\.cpp", K_METRICS),
    (r"timer_wheel|timeouts\.h|keepalive", K_TIMERS),
    (r"utf8", K_UTF8),
    (r"mask\.cpp", K_MASK),
    (r"protocol_whole_frame|protocol_receive|stream_reader", K_PARSE),
    (r"frame\.cpp|protocol_send", K_WRITE),
    (r"net/(src|include)/", K_NET),
    (r"buffer\.(h|cpp)", K_BUF),
]
# The floor (bench/peers/epoll_echo.cpp), by the function its lines belong to.
FLOOR_FUNCTIONS = {
    "frames": K_PARSE, "header_size": K_PARSE, "unmask_append": K_MASK,
    "append_header": K_WRITE, "on_readable": K_FLOORLOOP, "write_out": K_FLOORLOOP,
    "main": K_FLOORLOOP, "on_writable": K_FLOORLOOP, "set_interest": K_FLOORLOOP,
}
FN_COMPILED = [(re.compile(rx), k) for rx, k in FN_RULES]
SRC_COMPILED = [(re.compile(rx), k) for rx, k in SRC_RULES]
_function_starts = {}


def enclosing_function(src, line):
    """The top-level function of `src` (a file in column-0 style) that holds `line`."""
    if src not in _function_starts:
        starts = []
        try:
            with open(src) as f:
                for i, text in enumerate(f, 1):
                    m = re.match(r"^(?:template\s*<.*>\s*)?[A-Za-z][\w:<>,* &]*?\b(\w+)\(", text)
                    if m and not text.rstrip().endswith(";"):
                        starts.append((i, m.group(1)))
        except OSError:
            pass
        _function_starts[src] = starts
    name = ""
    for start, fn in _function_starts[src]:
        if start > line:
            break
        name = fn
    return name


def parse(path):
    """Self cost (Ir) per (object, source file, function, line)."""
    cost = defaultdict(int)
    ob = fl = fi = fn = ""
    skip_next = False
    events = None
    with open(path, errors="replace") as f:
        for line in f:
            c = line[:1]
            if c.isdigit():
                if skip_next:
                    skip_next = False
                    continue
                parts = line.split()
                if len(parts) >= 2:
                    cost[(ob, fi or fl, fn, int(parts[0]))] += int(parts[1])
                continue
            if line.startswith("events:"):
                events = line.split()[1:]
            elif line.startswith("ob="):
                ob = line[3:].strip()
            elif line.startswith("fl="):
                fl = line[3:].strip()
                fi = ""
            elif line.startswith("fi=") or line.startswith("fe="):
                fi = line[3:].strip()
                if fi == fl:
                    fi = ""
            elif line.startswith("fn="):
                fn = line[3:].strip()
                fi = ""
            elif line.startswith("calls="):
                skip_next = True
    if events and events[0] != "Ir":
        sys.exit(f"{path}: first event is {events[0]}, not Ir")
    return cost


def category(key):
    ob, src, fn, line = key
    obj = ob.rsplit("/", 1)[-1]
    if obj.startswith("libc.so") or obj.startswith("ld-linux") or "vdso" in obj:
        if re.search(r"mem(cpy|move|set|cmp)", fn):
            return K_BUF
        if re.search(r"epoll|read|recv|write|send|accept|syscall", fn):
            return K_SYS
        return K_OTHER
    if obj.startswith("libuv"):
        return K_UVSTREAM if re.search(r"stream\.c|tcp\.c", src) else K_UVLOOP
    if src.endswith("epoll_echo.cpp"):
        return FLOOR_FUNCTIONS.get(enclosing_function(src, line), K_FLOORLOOP)
    # Code inlined from the metrics, timer and UTF-8 sources counts there, whoever inlined it.
    for rx, k in SRC_COMPILED[:3]:
        if rx.search(src):
            return k
    for rx, k in FN_COMPILED:
        if rx.search(fn):
            return k
    for rx, k in SRC_COMPILED:
        if rx.search(src):
            return k
    return K_OTHER


def main():
    args = sys.argv[1:]
    top = 25
    if "--top" in args:
        i = args.index("--top")
        top = int(args[i + 1])
        del args[i:i + 2]
    small, large, n = parse(args[0]), parse(args[1]), int(args[2])
    diff = defaultdict(int)
    for k in set(small) | set(large):
        d = large.get(k, 0) - small.get(k, 0)
        if d:
            diff[k] = d
    total = sum(diff.values())
    cats = defaultdict(int)
    for k, d in diff.items():
        cats[category(k)] += d
    print(f"total: {total / n:.1f} instructions per message\n")
    print("| category | instr / msg | share |")
    print("|---|---:|---:|")
    for name in CATS:
        if name in cats and abs(cats[name]) / n >= 0.05:
            print(f"| {name} | {cats[name] / n:.1f} | {100 * cats[name] / total:.1f}% |")
    print(f"| total | {total / n:.1f} | 100% |\n")
    by_fn = defaultdict(int)
    by_src = defaultdict(int)
    for key, d in diff.items():
        ob, src, fn, _ = key
        by_fn[(fn, ob.rsplit("/", 1)[-1])] += d
        by_src[(re.sub(r"^.*?/(bench|core|net|ws|examples)/", r"\1/", src), category(key))] += d
    print("| function (object) | instr / msg |")
    print("|---|---:|")
    for (fn, ob), d in sorted(by_fn.items(), key=lambda kv: -kv[1])[:top]:
        print(f"| `{fn[:90]}` ({ob}) | {d / n:.1f} |")
    print("\n| source file of the instructions | category | instr / msg |")
    print("|---|---|---:|")
    for (src, cat), d in sorted(by_src.items(), key=lambda kv: -kv[1])[:top]:
        print(f"| {src or '?'} | {cat} | {d / n:.1f} |")


if __name__ == "__main__":
    main()
