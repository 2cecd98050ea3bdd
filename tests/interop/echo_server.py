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

With $UVWS_INTEROP_TLS_DIR set (the test certificates of tests/tls/make_certs.sh), it speaks
TLS (Python's ssl module) with server.pem on PORT, and also listens with self.pem, expired.pem
and other.pem, printing "PORT self <n>", "PORT expired <n>" and "PORT other <n>": servers the
uvws client must refuse to talk to.
"""

import asyncio
import contextlib
import os
import signal
import ssl

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


def tls_context(certs, name):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(f"{certs}/{name}.pem", f"{certs}/{name}.key")
    return context


async def main():
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, stop.set_result, None)
    certs = os.environ.get("UVWS_INTEROP_TLS_DIR")
    # (label, certificate): the echo server first, then the ones a client must refuse.
    listeners = [("", "server")]
    if certs:
        listeners += [("self ", "self"), ("expired ", "expired"), ("other ", "other")]
    async with contextlib.AsyncExitStack() as stack:
        for label, cert in listeners:
            server = await stack.enter_async_context(websockets.serve(
                handler, "127.0.0.1", 0, max_size=64 * 2**20, ping_interval=None,
                compression="deflate", ssl=tls_context(certs, cert) if certs else None))
            port = next(iter(server.sockets)).getsockname()[1]
            print(f"PORT {label}{port}", flush=True)
        await stop


if __name__ == "__main__":
    asyncio.run(main())
