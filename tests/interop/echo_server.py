#!/usr/bin/python3
"""Interop: a python-websockets echo server (Debian's python3-websockets, 10.x legacy asyncio
API) for uvws_client_interop, the uvws client's test against servers nobody here wrote.

Usage: /usr/bin/python3 echo_server.py

Listens on 127.0.0.1 port 0 with permessage-deflate offered (RFC 7692; the default of
websockets.serve) and prints "PORT <n>" once it listens. For each connection it:
  - echoes every message (text as text, binary as binary);
  - answers the text "fragment" with the text "fragmented message \u20ac" sent in several
    frames (RFC 6455 5.4; websockets sends an iterable as one fragment per item and ends with
    an empty final continuation frame);
  - answers the text "close <code> <reason>" by closing with that code and reason;
  - prints "CLOSED <code> <reason>" when the connection ends (the code and reason of the close
    frame it received, 1006 without one).
SIGTERM stops it (exit status 0).
"""

import asyncio
import signal

import websockets

FRAGMENTS = ["frag", "mented ", "message \u20ac"]


async def handler(ws):
    try:
        async for message in ws:
            if message == "fragment":
                await ws.send(FRAGMENTS)
            elif isinstance(message, str) and message.startswith("close "):
                _, code, reason = message.split(" ", 2)
                await ws.close(int(code), reason)
            else:
                await ws.send(message)
    except websockets.ConnectionClosed:
        pass
    finally:
        await ws.wait_closed()
        print(f"CLOSED {ws.close_code} {ws.close_reason}", flush=True)


async def main():
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, stop.set_result, None)
    async with websockets.serve(handler, "127.0.0.1", 0, max_size=64 * 2**20,
                                ping_interval=None, compression="deflate") as server:
        port = next(iter(server.sockets)).getsockname()[1]
        print(f"PORT {port}", flush=True)
        await stop


if __name__ == "__main__":
    asyncio.run(main())
