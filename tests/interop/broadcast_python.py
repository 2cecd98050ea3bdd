#!/usr/bin/python3
"""uvws-broadcast against python-websockets: three clients send at once; each message of
one reaches the other two, in the order it was sent, and never comes back to its sender.
Twice: plain, then with --compression --no-context-takeover (permessage-deflate, the server's
compressor reset after each message), where every published message is compressed once and
the same compressed frame goes to its receivers (fewer wire bytes than payload, /metrics).

    /usr/bin/python3 broadcast_python.py path/to/uvws-broadcast

The server is started with --port 0 (the port is read from its first stdout line) and stopped
by its PID with SIGTERM, after which it must exit 0. Every wait is bounded. Exits non-zero on
failure.
"""
import asyncio
import os
import re
import signal
import sys
import urllib.request

import websockets

CLIENTS = 3
MESSAGES = 200  # per client
LISTENING = re.compile(r"^uvws-broadcast listening on ws://127\.0\.0\.1:(\d+)/")


def payload(sender, seq):
    # Varied sizes, across the 7-bit / 16-bit length boundary (RFC 6455 5.2) now and then.
    return f"{sender}:{seq}:" + "x" * ((seq * 37) % 300)


async def start(binary, extra=()):
    proc = await asyncio.create_subprocess_exec(
        binary, "--port", "0", "--log-level", "warn", *extra, stdout=asyncio.subprocess.PIPE)
    try:
        line = await asyncio.wait_for(proc.stdout.readline(), 15)
    except asyncio.TimeoutError:
        line = b""
    match = LISTENING.match(line.decode(errors="replace"))
    if not match:
        stop(proc)
        raise AssertionError(f"no listening line from {binary}: {line!r}")
    return proc, int(match.group(1))


def stop(proc):
    if proc.returncode is None:
        os.kill(proc.pid, signal.SIGTERM)


async def receive_others(ws, me, expected_from):
    """Receives until every other client's MESSAGES arrived; checks order and origin."""
    next_seq = {s: 0 for s in expected_from}
    while any(n < MESSAGES for n in next_seq.values()):
        message = await ws.recv()
        assert isinstance(message, str), f"client {me}: got binary {message[:20]!r}"
        sender, seq, _ = message.split(":", 2)
        sender, seq = int(sender), int(seq)
        assert sender != me, f"client {me} got its own message {seq}"
        assert seq == next_seq[sender], f"client {me}: from {sender} got {seq}, expected {next_seq[sender]}"
        assert message == payload(sender, seq), f"client {me}: message {sender}:{seq} altered"
        next_seq[sender] += 1


async def send_all(ws, me):
    for seq in range(MESSAGES):
        await ws.send(payload(me, seq))


async def run(port, compressed):
    uri = f"ws://127.0.0.1:{port}/"
    # The server subscribes a connection before it answers the handshake: once connect()
    # returns, the client gets everything published afterwards. python-websockets offers
    # permessage-deflate by default.
    clients = [await websockets.connect(uri, max_size=None) for _ in range(CLIENTS)]
    for ws in clients:
        agreed = ws.response_headers.get("Sec-WebSocket-Extensions", "")
        if compressed:
            assert "server_no_context_takeover" in agreed, f"extensions: {agreed!r}"
        else:
            assert agreed == "", f"extensions without --compression: {agreed!r}"
    try:
        everyone = range(CLIENTS)
        await asyncio.wait_for(asyncio.gather(
            *(send_all(ws, i) for i, ws in enumerate(clients)),
            *(receive_others(ws, i, [s for s in everyone if s != i])
              for i, ws in enumerate(clients))), 60)

        # Binary is forwarded as binary, byte for byte; and the next thing each receiver gets
        # is that message, so nothing was duplicated before it.
        blob = bytes(range(256)) * 300
        await clients[0].send(blob)
        for ws in clients[1:]:
            assert await asyncio.wait_for(ws.recv(), 10) == blob
        # The sender got none of its own: the next thing it gets is client 1's marker.
        await clients[1].send("marker")
        assert await asyncio.wait_for(clients[0].recv(), 10) == "marker"
        assert await asyncio.wait_for(clients[2].recv(), 10) == "marker"
    finally:
        for ws in clients:
            await asyncio.wait_for(ws.close(), 10)
    for ws in clients:
        assert ws.close_code == 1000, f"close code {ws.close_code}"


def metric(port, name):
    """One unlabelled sample of the server's /metrics."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    raise AssertionError(f"no {name} in /metrics")


def delivered_payload_bytes():
    """The payload bytes the run delivers: each client's messages to the other two, the blob
    and the marker."""
    own = sum(len(payload(0, seq)) for seq in range(MESSAGES))
    return CLIENTS * own * (CLIENTS - 1) + 2 * 256 * 300 + 2 * len("marker")


async def main(binary):
    for compressed in (False, True):
        await scenario(binary, compressed)
    print(f"broadcast_python: ok ({CLIENTS} clients x {MESSAGES} messages, plain and compressed)",
          flush=True)


async def scenario(binary, compressed):
    extra = ["--compression", "--no-context-takeover"] if compressed else []
    proc, port = await start(binary, extra)
    print(f"uvws-broadcast {' '.join(extra)} (pid {proc.pid}) on port {port}", flush=True)
    try:
        await run(port, compressed)
        # Published messages went out compressed (each compressed once, shared by its
        # receivers): far fewer bytes on the wire than their payloads. Plain, never fewer.
        wire = await asyncio.to_thread(metric, port, "uvws_wire_bytes_sent_total")
        payload_bytes = delivered_payload_bytes()
        print(f"wire bytes sent {wire:.0f} for {payload_bytes} payload bytes delivered", flush=True)
        if compressed:
            assert wire < payload_bytes / 4, f"compressed: {wire} wire bytes for {payload_bytes}"
        else:
            assert wire > payload_bytes, f"plain: {wire} wire bytes for {payload_bytes}"
    finally:
        stop(proc)
        try:
            code = await asyncio.wait_for(proc.wait(), 10)
        except asyncio.TimeoutError:
            os.kill(proc.pid, signal.SIGKILL)
            code = await proc.wait()
    # SIGTERM is a graceful shutdown: exit status 0 (a sanitizer report would change it).
    assert code == 0, f"uvws-broadcast exited with {code}"


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: broadcast_python.py path/to/uvws-broadcast")
    asyncio.run(main(sys.argv[1]))
