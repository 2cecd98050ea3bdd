#!/usr/bin/python3
"""Interop: python-websockets (Debian's python3-websockets) against uvws_route_server.

Usage: /usr/bin/python3 route_python.py PATH/TO/uvws_route_server

Starts the server (127.0.0.1, port 0; it prints "port N" first) and checks, through real
requests: route parameters and the trailing wildcard reach the WebSocket (and on_http), the
catch-all sees the real request path, a route that keeps its request still tells it after
on_open, a per-route message limit (1009 on /small only), compression on /z only, and an
upgrade answered 200 ms later from another thread while another connection is served (and one
refused with 401 and a body). Exits non-zero on the first mismatch; the server is stopped by
its PID with SIGTERM (a graceful stop must exit 0).
"""

import asyncio
import re
import subprocess
import sys
import time

import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatusCode

# The helpers of the echo interop test (same directory): TIMEOUT, expect, recv, stop_server
# (SIGTERM by PID, must exit 0; SIGKILL and a failure if it hangs).
from python_client import TIMEOUT, Mismatch, expect, recv, stop_server  # noqa: E402


async def opened(base, target, **kwargs):
    """Connects to `target`; returns the socket and the server's "open ..." message."""
    ws = await asyncio.wait_for(websockets.connect(base + target, **kwargs), TIMEOUT)
    return ws, await recv(ws)


async def check_routes(base):
    ws, hello = await opened(base, "/rooms/42/users/ann?x=1")
    expect(hello == "open /rooms/:id/users/:user|/rooms/42/users/ann|42|ann|x=1",
           f"parameters and query in on_open ({hello})")
    await ws.send("describe")
    later = await recv(ws)
    expect(later == "later /rooms/:id/users/:user|/rooms/42/users/ann|42|ann|x=1",
           f"a route with keep_request keeps them after on_open ({later})")
    await ws.close()

    ws, hello = await opened(base, "/files/a/b/c.txt")
    expect(hello == "open /files/*|/files/a/b/c.txt|a/b/c.txt||",
           f"the wildcard captures the rest of the path ({hello})")
    await ws.send("describe")
    later = await recv(ws)
    expect(later == "later /files/*||||", f"nothing kept by default after on_open ({later})")
    await ws.close()

    ws, hello = await opened(base, "/rooms/42")
    expect(hello == "open *|/rooms/42|||", f"the catch-all sees the real path ({hello})")
    await ws.close()

    reader, writer = await asyncio.open_connection("127.0.0.1", int(base.rsplit(":", 1)[1]))
    writer.write(b"GET /files/readme HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    answer = (await asyncio.wait_for(reader.read(), TIMEOUT)).decode()
    writer.close()
    expect(answer.startswith("HTTP/1.1 200") and answer.endswith("http readme"),
           "plain HTTP on a pattern route gets its parameter")


async def check_options(base):
    ws, _ = await opened(base, "/small", compression=None)
    await ws.send("y" * 100)
    expect(await recv(ws) == "y" * 100, "/small echoes a message within its limit")
    await ws.send("x" * 200)
    try:
        await recv(ws)
        raise Mismatch("/small accepted a message over its limit")
    except ConnectionClosed as e:
        expect(e.rcvd is not None and e.rcvd.code == 1009, "/small closes with 1009 over 100 bytes")

    ws, _ = await opened(base, "/files/big", compression=None)
    await ws.send("x" * 200)
    expect(await recv(ws) == "x" * 200, "another route keeps the server's limit")
    expect(not ws.extensions, "no compression on a route without it")
    await ws.close()

    ws, _ = await opened(base, "/z")
    expect(len(ws.extensions) == 1 and ws.extensions[0].name == "permessage-deflate",
           "permessage-deflate negotiated on /z")
    await ws.send("z" * 5000)
    expect(await recv(ws) == "z" * 5000, "a compressed echo on /z")
    await ws.close()


async def check_deferred(base):
    started = time.monotonic()
    slow = asyncio.create_task(opened(base, "/slow"))
    ws, _ = await opened(base, "/files/meanwhile")
    await ws.send("meanwhile")
    expect(await recv(ws) == "meanwhile", "another connection is served while /slow waits")
    expect(not slow.done(), "the /slow upgrade is still waiting")
    await ws.close()
    ws, hello = await asyncio.wait_for(slow, TIMEOUT)
    expect(time.monotonic() - started >= 0.2, "the /slow upgrade was answered after 200 ms")
    expect(ws.response_headers.get("X-Auth") == "ok", "the deferred accept's header")
    expect(hello == "open /slow|/slow|||", f"the deferred connection opens ({hello})")
    await ws.send("after")
    expect(await recv(ws) == "after", "the deferred connection echoes")
    await ws.close()
    try:
        await opened(base, "/slow?deny")
        raise Mismatch("a denied deferred upgrade opened")
    except InvalidStatusCode as e:
        expect(e.status_code == 401, "a deferred refusal answers 401")


async def main(server):
    proc = await asyncio.create_subprocess_exec(server, stdout=subprocess.PIPE)
    try:
        line = (await asyncio.wait_for(proc.stdout.readline(), TIMEOUT)).decode()
        m = re.match(r"port (\d+)", line)
        if not m:
            raise Mismatch(f"unexpected first line from the server: {line!r}")
        base = f"ws://127.0.0.1:{m.group(1)}"
        await check_routes(base)
        await check_options(base)
        await check_deferred(base)
    finally:
        status = await stop_server(proc)
    expect(status == 0, f"uvws_route_server exited with {status} after SIGTERM")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: route_python.py PATH/TO/uvws_route_server")
    try:
        asyncio.run(asyncio.wait_for(main(sys.argv[1]), 100))
    except (Mismatch, Exception) as e:
        print(f"FAIL: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
        sys.exit(1)
    print("all route interop checks passed", flush=True)
