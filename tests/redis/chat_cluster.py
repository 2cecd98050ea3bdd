#!/usr/bin/python3
"""uvws-chat --redis as a cluster: member lists, nicknames and history shared through Redis.

    /usr/bin/python3 chat_cluster.py path/to/uvws-chat

One redis-server (Debian's, on a free port, stopped by PID) and two uvws-chat processes A and B
(--port 0, --presence-ttl-seconds 2) on it, python-websockets clients:
  - a user on A sees in the member list a user who joined on B (joined list and presence event);
  - a nickname taken on B is refused on A;
  - a client joining later on A gets the history written on B;
  - B killed with SIGKILL: its members leave A's list (a "leave" event) within the TTL plus a
    sweep period, and their nicknames are free again.
Every wait is a poll or a receive with a deadline. Exits non-zero on failure.
"""
import asyncio
import json
import os
import re
import signal
import sys
import time

import websockets

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import redis_cluster  # noqa: E402  (the Redis process helpers)
from redis_cluster import Redis, free_port, redis_command, until  # noqa: E402

LISTENING = re.compile(r"^uvws-chat listening on \w+://127\.0\.0\.1:(\d+)/")
TTL = 2


class Chat:
    def __init__(self, binary):
        self.binary = binary
        self.proc = None
        self.port = None

    async def start(self, redis_port):
        self.proc = await asyncio.create_subprocess_exec(
            self.binary, "--port", "0", "--threads", "2", "--log-level", "warn", "--redis",
            f"redis://127.0.0.1:{redis_port}", "--presence-ttl-seconds", str(TTL),
            "--history", "5", stdout=asyncio.subprocess.PIPE)
        line = await asyncio.wait_for(self.proc.stdout.readline(), 15)
        match = LISTENING.match(line.decode(errors="replace"))
        assert match, f"no listening line: {line!r}"
        self.port = int(match.group(1))

    async def connect(self):
        return await websockets.connect(f"ws://127.0.0.1:{self.port}/chat")

    async def stop(self):
        if self.proc is not None and self.proc.returncode is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                code = await asyncio.wait_for(self.proc.wait(), 10)
            except asyncio.TimeoutError:
                os.kill(self.proc.pid, signal.SIGKILL)
                await self.proc.wait()
                raise AssertionError("uvws-chat did not stop on SIGTERM")
            assert code == 0, f"uvws-chat exited with {code}"


async def next_of(ws, kind, timeout=5):
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        m = json.loads(await asyncio.wait_for(ws.recv(), max(left, 0.01)))
        if m["type"] == kind:
            return m


async def join(ws, room, nick):
    await ws.send(json.dumps({"type": "join", "room": room, "nick": nick}))
    while True:
        m = json.loads(await asyncio.wait_for(ws.recv(), 5))
        if m["type"] in ("joined", "error"):
            return m


async def main():
    started = time.monotonic()
    redis = Redis(free_port())
    a, b = Chat(sys.argv[1]), Chat(sys.argv[1])
    await redis.start()
    try:
        await a.start(redis.port)
        await b.start(redis.port)
        # Presence: bob joins on B, then ada on A sees him in "joined" and B's bob sees her.
        bob = await b.connect()
        m = await join(bob, "lobby", "bob")
        assert m["type"] == "joined" and m["members"] == ["bob"], m
        ada = await a.connect()
        m = await join(ada, "lobby", "ada")
        assert m["type"] == "joined" and sorted(m["members"]) == ["ada", "bob"], m
        await until("both processes subscribed to the room",
                    lambda: int(redis_command(redis.port, "PUBSUB", "NUMSUB",
                                              "uvws:room:lobby")[1:]) == 2, 5)
        # ada's presence event may have been published before B subscribed: a second user on
        # A, after both subscribed, must reach bob with the full list.
        cy = await a.connect()
        m = await join(cy, "lobby", "cy")
        assert m["type"] == "joined" and sorted(m["members"]) == ["ada", "bob", "cy"], m
        p = await next_of(bob, "presence")
        while p["nick"] != "cy":
            p = await next_of(bob, "presence")
        assert p["event"] == "join" and sorted(p["members"]) == ["ada", "bob", "cy"], p
        print("presence: members of A and B in one list", flush=True)

        # Nickname uniqueness across processes: "bob" is taken on B, so A refuses it.
        other = await a.connect()
        m = await join(other, "lobby", "bob")
        assert m["type"] == "error" and "taken" in m["error"], m
        print("nicknames: taken on B, refused on A", flush=True)

        # History: bob writes 7 messages on B; --history 5 keeps the last 5.
        for i in range(7):
            await bob.send(json.dumps({"type": "message", "text": f"b{i}"}))
        m = await next_of(ada, "message")
        await until("the last message in the Redis history",
                    lambda: b'"b6"' in redis_lindex(redis.port), 5)
        late = await a.connect()
        m = await join(late, "lobby", "dee")
        assert m["type"] == "joined", m
        assert [h["text"] for h in m["history"]] == [f"b{i}" for i in range(2, 7)], m["history"]
        assert all(h["nick"] == "bob" for h in m["history"]), m["history"]
        print("history: a later client on A gets the history written on B", flush=True)

        # B dies: bob leaves A's lists within the TTL plus one sweep (TTL/3).
        killed = time.monotonic()
        os.kill(b.proc.pid, signal.SIGKILL)
        await b.proc.wait()
        p = await next_of(ada, "presence", timeout=TTL * 3)
        while p["nick"] != "bob":
            p = await next_of(ada, "presence", timeout=TTL * 3)
        gone = time.monotonic() - killed
        assert p["event"] == "leave" and sorted(p["members"]) == ["ada", "cy", "dee"], p
        assert gone <= TTL + TTL / 3 + 1, f"bob left after {gone:.1f} s"
        m = await join(other, "lobby", "bob")  # the nickname is free again
        assert m["type"] == "joined", m
        print(f"kill -9 of B: its member left A's list after {gone:.1f} s (TTL {TTL} s)",
              flush=True)
        for ws in (ada, cy, other, late):
            await ws.close()
    finally:
        await a.stop()
        await b.stop()
        await redis.stop()
    print(f"chat_cluster: ok ({time.monotonic() - started:.1f} s)", flush=True)


def redis_lindex(port):
    """The whole reply to LINDEX history 0 (the newest message), as bytes."""
    import socket
    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
        s.sendall(redis_cluster.resp("LINDEX", "uvws:chat:lobby:history", "0"))
        data = b""
        while data.count(b"\r\n") < 2 and not data.startswith(b"$-1"):
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        return data


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: chat_cluster.py path/to/uvws-chat")
    asyncio.run(asyncio.wait_for(main(), 60))
