#!/usr/bin/env python3
"""bench/peers/python_echo.py: python-websockets as a peer of the compression benchmark.

    /usr/bin/python3 bench/peers/python_echo.py [--port N] [--no-compression]

Echo server on 127.0.0.1 (port 0: any free port; prints "listening PORT" first, which
bench/lib.sh reads): every message is sent back with its own type, as the library's own echo
example does. permessage-deflate is on as `websockets.serve` enables it by default
(compression="deflate"): the library's server defaults, 12-bit windows both ways where the
client allows it and memLevel 5 (RFC 7692 7.1.2), every message compressed. One process, one
asyncio event loop; the library's optional C extension (websockets.speedups, native masking)
is used when installed (bench/deflate.sh says whether it is).
Ends on SIGTERM / SIGINT, as the other peers do.
"""
import argparse
import asyncio
import signal
import sys

import websockets


async def echo(ws):
    async for message in ws:
        await ws.send(message)


async def main(port, compression):
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    async with websockets.serve(
        echo,
        "127.0.0.1",
        port,
        compression=compression,
        max_size=2**20,
        ping_interval=None,  # no keepalive pings during the idle memory measurement
    ) as server:
        bound = server.sockets[0].getsockname()[1]
        sys.stdout.write(f"listening {bound}\n")
        sys.stdout.flush()
        await stop


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--no-compression", action="store_true")
    args = parser.parse_args()
    asyncio.run(main(args.port, None if args.no_compression else "deflate"))
