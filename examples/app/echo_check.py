#!/usr/bin/python3
"""Starts an uvws-app binary, connects with python-websockets and checks the echo.

   echo_check.py PATH/TO/uvws-app EXPECTED_VERSION

The app listens on a free port (0) and prints it; it is stopped by its PID. Exits non-zero
on any mismatch: the version it reports, the text and binary echoes.
"""
import asyncio
import re
import subprocess
import sys

import websockets


async def check(url: str) -> None:
    async with websockets.connect(url) as ws:
        await ws.send("hello uvws")
        got = await asyncio.wait_for(ws.recv(), 10)
        if got != "hello uvws":
            raise SystemExit(f"text echo: got {got!r}")
        await ws.send(b"\x00\x01\xfe\xff")
        got = await asyncio.wait_for(ws.recv(), 10)
        if got != b"\x00\x01\xfe\xff":
            raise SystemExit(f"binary echo: got {got!r}")


def main() -> None:
    app, expected_version = sys.argv[1], sys.argv[2]
    proc = subprocess.Popen([app, "0"], stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        m = re.match(r"uvws-app (\S+) listening on (ws://127\.0\.0\.1:\d+/)$", line.strip())
        if not m:
            raise SystemExit(f"unexpected first line from {app}: {line!r}")
        if m.group(1) != f"uvws/{expected_version}":
            raise SystemExit(f"version: the app reports {m.group(1)}, expected uvws/{expected_version}")
        asyncio.run(asyncio.wait_for(check(m.group(2)), 30))
        print(f"echo ok: {app} ({m.group(1)})")
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc.returncode not in (0, -15):
        raise SystemExit(f"{app} exited with {proc.returncode}")


if __name__ == "__main__":
    main()
