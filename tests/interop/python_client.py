#!/usr/bin/python3
"""Interop: python-websockets (Debian's python3-websockets) as a client of uvws-echo.

Usage: /usr/bin/python3 python_client.py PATH/TO/uvws-echo

Starts uvws-echo on 127.0.0.1 with --port 0 (twice: plain, then with --compression so that
permessage-deflate is negotiated, RFC 7692), reads the port from its first stdout line, and
checks text, binary, 1 MiB, fragmented messages, ping/pong, invalid traffic (close codes
1007 and 1002, RFC 6455 7.4.1) and a clean close. Exits non-zero on the first mismatch. The
server is stopped by its PID with SIGTERM (a graceful stop must exit 0) in every case.
"""

import asyncio
import os
import re
import signal
import subprocess
import sys

import websockets
from websockets.exceptions import ConnectionClosed

TIMEOUT = 10  # seconds, for every single wait


class Mismatch(Exception):
    pass


def expect(cond, what):
    if not cond:
        raise Mismatch(what)
    print(f"ok: {what}", flush=True)


def frame(opcode, payload, fin=True, masked=True):
    """One raw frame (RFC 6455 5.2), masked as a client must unless told otherwise."""
    head = bytearray([(0x80 if fin else 0) | opcode])
    mask_bit = 0x80 if masked else 0
    n = len(payload)
    if n < 126:
        head.append(mask_bit | n)
    elif n < 65536:
        head.append(mask_bit | 126)
        head += n.to_bytes(2, "big")
    else:
        head.append(mask_bit | 127)
        head += n.to_bytes(8, "big")
    if not masked:
        return bytes(head) + payload
    key = os.urandom(4)
    return bytes(head) + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


async def recv(ws):
    return await asyncio.wait_for(ws.recv(), TIMEOUT)


async def expect_close_code(ws, code, what):
    """The server must answer the bytes just written with a close frame carrying `code`."""
    try:
        msg = await recv(ws)
        raise Mismatch(f"{what}: got a message {msg!r} instead of close {code}")
    except ConnectionClosed as e:
        got = e.rcvd.code if e.rcvd is not None else None
        expect(got == code, f"{what}: close code {got} == {code}")


async def run_checks(url, compression):
    async with websockets.connect(url, max_size=None, ping_interval=None,
                                  open_timeout=TIMEOUT, close_timeout=TIMEOUT) as ws:
        names = [type(ext).__name__ for ext in ws.extensions]
        deflate = any("PerMessageDeflate" in n for n in names)
        expect(deflate == compression, f"permessage-deflate negotiated: {deflate}")

        await ws.send("hello from python")
        expect(await recv(ws) == "hello from python", "text echo")
        utf8 = "gr\u00fc\u00df \u20ac \U0001F600"
        await ws.send(utf8)
        expect(await recv(ws) == utf8, "non-ASCII text echo")
        await ws.send(b"\x00\x01\xfe\xff")
        expect(await recv(ws) == b"\x00\x01\xfe\xff", "binary echo")
        await ws.send("")
        expect(await recv(ws) == "", "empty text echo")

        big = bytes((i * 31 + i // 251) & 0xFF for i in range(1 << 20))
        await ws.send(big)
        expect(await recv(ws) == big, "1 MiB binary echo")
        big_text = "0123456789abcdef" * (1 << 16)
        await ws.send(big_text)
        expect(await recv(ws) == big_text, "1 MiB text echo")

        # An iterable is sent as one fragmented message (RFC 6455 5.4).
        await ws.send(["frag-one ", "frag-two ", "\u20ac"])
        expect(await recv(ws) == "frag-one frag-two \u20ac", "fragmented text echo")
        await ws.send([b"\x01\x02", b"", b"\x03"])
        expect(await recv(ws) == b"\x01\x02\x03", "fragmented binary echo")

        pong = await ws.ping(b"are you there")
        await asyncio.wait_for(pong, TIMEOUT)
        expect(True, "ping answered with a matching pong")

        # RFC 6455 5.5.1: the answer echoes the code (the reason is the server's to choose).
        await ws.close(1000, "bye")
        expect(ws.close_code == 1000, f"clean close: server answered {ws.close_code}")

    # Invalid UTF-8 in a text frame, written past the library: 1007.
    async with websockets.connect(url, ping_interval=None, open_timeout=TIMEOUT,
                                  close_timeout=TIMEOUT) as ws:
        await ws.send("still fine")
        expect(await recv(ws) == "still fine", "echo before invalid traffic")
        ws.transport.write(frame(0x1, b"bad \xc3\x28 utf8"))
        await expect_close_code(ws, 1007, "invalid UTF-8")

    # An unmasked client frame: 1002.
    async with websockets.connect(url, ping_interval=None, open_timeout=TIMEOUT,
                                  close_timeout=TIMEOUT) as ws:
        ws.transport.write(frame(0x1, b"unmasked", masked=False))
        await expect_close_code(ws, 1002, "unmasked frame")

    # A reserved opcode: 1002.
    async with websockets.connect(url, ping_interval=None, open_timeout=TIMEOUT,
                                  close_timeout=TIMEOUT) as ws:
        ws.transport.write(frame(0x3, b""))
        await expect_close_code(ws, 1002, "reserved opcode")


async def start_server(echo, compression):
    args = [echo, "--host", "127.0.0.1", "--port", "0", "--log-level", "warn"]
    if compression:
        args.append("--compression")
    proc = await asyncio.create_subprocess_exec(*args, stdout=subprocess.PIPE)
    try:
        line = (await asyncio.wait_for(proc.stdout.readline(), TIMEOUT)).decode()
        m = re.match(r"uvws-echo listening on (ws://127\.0\.0\.1:(\d+)/)", line)
        if not m:
            raise Mismatch(f"unexpected first line from uvws-echo: {line!r}")
        return proc, m.group(1)
    except BaseException:
        await stop_server(proc)
        raise


async def stop_server(proc):
    """SIGTERM by PID; the server closes gracefully and must exit 0. SIGKILL if it hangs."""
    if proc.returncode is not None:
        return proc.returncode
    os.kill(proc.pid, signal.SIGTERM)
    try:
        return await asyncio.wait_for(proc.wait(), TIMEOUT)
    except asyncio.TimeoutError:
        os.kill(proc.pid, signal.SIGKILL)
        await proc.wait()
        raise Mismatch("uvws-echo did not exit within 10 s of SIGTERM")


async def main(echo):
    for compression in (False, True):
        print(f"--- uvws-echo{' --compression' if compression else ''}", flush=True)
        proc, url = await start_server(echo, compression)
        try:
            await run_checks(url, compression)
        finally:
            status = await stop_server(proc)
        expect(status == 0, f"uvws-echo exited with {status} after SIGTERM")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python_client.py PATH/TO/uvws-echo")
    try:
        asyncio.run(asyncio.wait_for(main(sys.argv[1]), 100))
    except (Mismatch, Exception) as e:
        print(f"FAIL: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
        sys.exit(1)
    print("all python-websockets interop checks passed", flush=True)
