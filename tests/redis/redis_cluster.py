#!/usr/bin/python3
"""uvws-broadcast processes sharing their topic through a real Redis (ServerOptions::redis).

    /usr/bin/python3 redis_cluster.py path/to/uvws-broadcast path/to/uvws-chat

Scenarios, each with its own redis-server (Debian's, started on a free port with
--save '' --appendonly no, stopped by PID) and its own uvws-broadcast processes (--port 0,
stopped by PID with SIGTERM, after which they must exit 0):

  cluster    3 processes (one with 2 threads), 3 python-websockets clients on each, one
             publisher per process:
             every client gets every other publisher's messages exactly once, in order; then
             one process is killed (-9) and the other two keep delivering to each other.
  raw        `redis-cli PUBLISH uvws:broadcast hello` (no envelope) reaches every client as a
             text message; bytes that are not UTF-8 arrive as a binary message.
  restart    redis-server killed (-9) in the middle of a stream and restarted on the same port:
             both processes re-subscribed within 2 s, every later message arrives, none twice,
             and the receiving process's gap reports ("redis-gap" lines) add up to exactly the
             messages that did not arrive.
  down       Redis down when the processes start: local pub/sub works; once Redis is started
             the bridges connect and messages cross processes.
  chat       two uvws-chat --redis processes: a user on each joins one room; each sees the
             other's join and message.

Every wait is a poll with a deadline. Exits non-zero on failure.
"""
import asyncio
import json
import os
import re
import shutil
import signal
import socket
import sys
import time

import websockets

LISTENING = re.compile(r"^uvws-(?:broadcast|chat) listening on \w+://127\.0\.0\.1:(\d+)/")
CHANNEL = "uvws:broadcast"
BINARY = None
CHAT = None
REDIS_SERVER = "redis-server"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def resp(*args):
    out = f"*{len(args)}\r\n".encode()
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += f"${len(a)}\r\n".encode() + a + b"\r\n"
    return out


def redis_command(port, *args):
    """One command on a new connection; returns the reply's first line (e.g. b':3')."""
    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
        s.sendall(resp(*args))
        data = b""
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                raise ConnectionError("redis closed the connection")
            data += chunk
        if args[0].upper() == "PUBSUB":  # *2 $n channel :count
            while data.count(b"\r\n") < 4:
                data += s.recv(4096)
            return data.split(b"\r\n")[3]
        return data.split(b"\r\n")[0]


async def until(what, predicate, timeout):
    """Polls `predicate` every 10 ms until it is true; AssertionError after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if predicate():
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.01)


class Redis:
    def __init__(self, port):
        self.port = port
        self.proc = None

    async def start(self):
        self.proc = await asyncio.create_subprocess_exec(
            REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", stdout=asyncio.subprocess.DEVNULL)
        await until(f"redis-server on {self.port}",
                    lambda: redis_command(self.port, "PING") == b"+PONG", 10)

    async def kill(self):
        os.kill(self.proc.pid, signal.SIGKILL)
        await self.proc.wait()

    def subscribers(self):
        return int(redis_command(self.port, "PUBSUB", "NUMSUB", CHANNEL)[1:])

    async def stop(self):
        if self.proc is not None and self.proc.returncode is None:
            await self.kill()


class Broadcast:
    """One uvws-broadcast process; collects its "redis-gap" stdout lines."""

    def __init__(self, binary=None):
        self.binary = binary
        self.proc = None
        self.port = None
        self.lost = 0
        self.reader = None

    async def start(self, redis_port, threads=1):
        self.proc = await asyncio.create_subprocess_exec(
            self.binary or BINARY, "--port", "0", "--threads", str(threads), "--log-level", os.environ.get("UVWS_TEST_LOG", "warn"), "--redis",
            f"redis://127.0.0.1:{redis_port}", stdout=asyncio.subprocess.PIPE)
        line = await asyncio.wait_for(self.proc.stdout.readline(), 15)
        match = LISTENING.match(line.decode(errors="replace"))
        assert match, f"no listening line: {line!r}"
        self.port = int(match.group(1))
        self.reader = asyncio.create_task(self.read_gaps())

    async def read_gaps(self):
        while line := await self.proc.stdout.readline():
            fields = line.decode().split()
            if fields[:1] == ["redis-gap"]:
                self.lost += int(fields[2])

    async def connect(self, path="/"):
        return await websockets.connect(f"ws://127.0.0.1:{self.port}{path}", max_size=None)

    async def stop(self, expect_zero=True):
        if self.proc.returncode is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                code = await asyncio.wait_for(self.proc.wait(), 10)
            except asyncio.TimeoutError:
                os.kill(self.proc.pid, signal.SIGKILL)
                code = await self.proc.wait()
            assert not expect_zero or code == 0, f"uvws-broadcast exited with {code}"
        if self.reader:
            await self.reader


def payload(sender, seq):
    # Varied sizes, across the 7-bit / 16-bit length boundary (RFC 6455 5.2) now and then.
    return f"{sender}:{seq}:" + "x" * ((seq * 37) % 300)


async def cluster():
    redis = Redis(free_port())
    procs = [Broadcast() for _ in range(3)]
    await redis.start()
    try:
        for i, p in enumerate(procs):
            await p.start(redis.port, threads=2 if i == 1 else 1)  # loops 1.. go through loop 0
        assert redis.subscribers() == 0, "subscribed before any client"
        clients = [[await p.connect() for _ in range(3)] for p in procs]
        # A process subscribes in Redis when its first client subscribes (on open).
        await until("3 processes subscribed", lambda: redis.subscribers() == 3, 5)
        messages = 300
        # Publisher i is the first client of process i; everybody else receives.
        publishers = [clients[i][0] for i in range(3)]

        async def receive(ws, me):
            expected = {s: 0 for s in range(3) if s != me}
            while any(n < messages for n in expected.values()):
                sender, seq, _ = (await ws.recv()).split(":", 2)
                sender, seq = int(sender), int(seq)
                assert sender in expected, f"client of publisher {me} got its own message"
                assert seq == expected[sender], f"from {sender}: {seq}, expected {expected[sender]}"
                expected[sender] += 1

        async def send(ws, me):
            for seq in range(messages):
                await ws.send(payload(me, seq))

        receivers = [(ws, i if j == 0 else -1) for i, row in enumerate(clients)
                     for j, ws in enumerate(row)]
        started = time.monotonic()
        await asyncio.wait_for(asyncio.gather(
            *(send(ws, i) for i, ws in enumerate(publishers)),
            *(receive(ws, me) for ws, me in receivers)), 30)
        elapsed = time.monotonic() - started
        # Exactly once: the next thing every receiver gets is a marker, nothing left over.
        await publishers[0].send("marker")
        for ws, me in receivers:
            if me != 0:
                assert await asyncio.wait_for(ws.recv(), 5) == "marker"
        print(f"cluster: 3 processes x 3 clients, 3 x {messages} messages in {elapsed:.2f} s",
              flush=True)

        # One process dies: the two others keep serving each other.
        os.kill(procs[2].proc.pid, signal.SIGKILL)
        await procs[2].proc.wait()
        await publishers[1].send("after the kill")
        for ws in clients[0] + clients[1][1:]:
            assert await asyncio.wait_for(ws.recv(), 5) == "after the kill"
        for row in clients[:2]:
            for ws in row:
                await ws.close()
    finally:
        for p in procs:
            await p.stop(expect_zero=p is not procs[2])
        await redis.stop()


async def raw():
    redis = Redis(free_port())
    procs = [Broadcast() for _ in range(2)]
    await redis.start()
    try:
        for p in procs:
            await p.start(redis.port)
        clients = [await p.connect() for p in procs for _ in range(2)]
        await until("2 processes subscribed", lambda: redis.subscribers() == 2, 5)
        cli = shutil.which("redis-cli")
        assert cli, "redis-cli not found (Debian package redis-tools)"
        proc = await asyncio.create_subprocess_exec(
            cli, "-p", str(redis.port), "PUBLISH", CHANNEL, "hello", stdout=asyncio.subprocess.PIPE)
        out, _ = await proc.communicate()
        assert out.strip() == b"2", f"redis-cli PUBLISH reached {out!r} subscribers"
        for ws in clients:
            assert await asyncio.wait_for(ws.recv(), 5) == "hello"
        # Not UTF-8: a text frame would be invalid (RFC 6455 8.1), so it arrives as binary.
        assert redis_command(redis.port, "PUBLISH", CHANNEL, b"\xc3\x28raw") == b":2"
        for ws in clients:
            assert await asyncio.wait_for(ws.recv(), 5) == b"\xc3\x28raw"
        for ws in clients:
            await ws.close()
        print("raw: redis-cli PUBLISH reached 4 clients on 2 processes", flush=True)
    finally:
        for p in procs:
            await p.stop()
        await redis.stop()


async def restart():
    redis = Redis(free_port())
    a, b = Broadcast(), Broadcast()
    await redis.start()
    try:
        await a.start(redis.port)
        await b.start(redis.port)
        publisher, receiver = await a.connect(), await b.connect()
        await until("2 processes subscribed", lambda: redis.subscribers() == 2, 5)
        got = []

        async def receive_until(last):
            while not got or got[-1] < last:
                seq = int((await asyncio.wait_for(receiver.recv(), 10)).split(":")[1])
                assert not got or seq > got[-1], f"{seq} after {got[-1]}: twice or out of order"
                got.append(seq)

        async def send(first, count):
            for seq in range(first, first + count):
                await publisher.send(payload(0, seq))

        await send(0, 200)
        await receive_until(199)
        # The stream goes on while Redis dies: some messages reach it, some hiredis cannot
        # write, the rest wait in the publisher's queue.
        sending = asyncio.create_task(send(200, 200))
        await asyncio.sleep(0)
        await redis.kill()
        await sending
        await send(400, 100)  # all made while Redis is down
        await redis.start()
        back = time.monotonic()
        await until("both processes re-subscribed", lambda: redis.subscribers() == 2, 5)
        resubscribed = time.monotonic() - back
        assert resubscribed < 2, f"re-subscribed after {resubscribed:.2f} s"
        await send(500, 200)
        await receive_until(699)
        assert all(s in got for s in range(500, 700)), "a message after the restart is missing"
        lost = 700 - len(got)
        # The gap lines come before the message that revealed the gap; poll for the pipe.
        await until(f"gap reports adding up to {lost} (have {b.lost})", lambda: b.lost >= lost, 5)
        assert b.lost == lost, f"gap reports say {b.lost} lost, {lost} did not arrive"
        print(f"restart: re-subscribed {resubscribed * 1000:.0f} ms after Redis was back; "
              f"{lost} of 700 lost, all reported", flush=True)
        await publisher.close()
        await receiver.close()
    finally:
        await a.stop()
        await b.stop()
        await redis.stop()


async def down():
    redis = Redis(free_port())
    a, b = Broadcast(), Broadcast()
    try:
        await a.start(redis.port)
        await b.start(redis.port)
        a1, a2, b1 = await a.connect(), await a.connect(), await b.connect()
        await a1.send("local")
        assert await asyncio.wait_for(a2.recv(), 5) == "local"
        await redis.start()
        back = time.monotonic()
        await until("both processes subscribed", lambda: redis.subscribers() == 2, 5)
        await a1.send("across")
        assert await asyncio.wait_for(a2.recv(), 5) == "across"
        # "local" waited in a's queue and went to Redis when the bridge connected: b gets it
        # first if it had subscribed by then, never twice, never after "across".
        first = await asyncio.wait_for(b1.recv(), 5)
        if first == "local":
            first = await asyncio.wait_for(b1.recv(), 5)
        assert first == "across", f"b got {first!r}"
        print(f"down: bridges connected {(time.monotonic() - back) * 1000:.0f} ms after Redis "
              "started", flush=True)
        for ws in (a1, a2, b1):
            await ws.close()
    finally:
        await a.stop()
        await b.stop()
        await redis.stop()


async def chat():
    redis = Redis(free_port())
    a, b = Broadcast(CHAT), Broadcast(CHAT)
    await redis.start()

    async def next_of(ws, kind):
        while True:
            m = json.loads(await asyncio.wait_for(ws.recv(), 5))
            if m["type"] == kind:
                return m

    try:
        await a.start(redis.port)
        await b.start(redis.port)
        ada, bob = await a.connect("/chat"), await b.connect("/chat")
        await ada.send(json.dumps({"type": "join", "room": "lobby", "nick": "ada"}))
        assert (await next_of(ada, "joined"))["members"] == ["ada"]
        # Joined on both processes: the room's topic subscribed in Redis by each.
        await bob.send(json.dumps({"type": "join", "room": "lobby", "nick": "bob"}))
        await next_of(bob, "joined")
        await until("both chat processes subscribed",
                    lambda: int(redis_command(redis.port, "PUBSUB", "NUMSUB",
                                              "uvws:room:lobby")[1:]) == 2, 5)
        await bob.send(json.dumps({"type": "message", "text": "hi from b"}))
        m = await next_of(ada, "message")
        assert (m["nick"], m["text"]) == ("bob", "hi from b"), m
        assert (await next_of(bob, "message"))["nick"] == "bob"  # the chat echoes to the sender
        await ada.send(json.dumps({"type": "message", "text": "hi from a"}))
        m = await next_of(bob, "message")
        assert (m["nick"], m["text"]) == ("ada", "hi from a"), m
        await ada.close()
        p = await next_of(bob, "presence")
        assert (p["event"], p["nick"]) == ("leave", "ada"), p
        await bob.close()
        print("chat: two uvws-chat processes share a room", flush=True)
    finally:
        await a.stop()
        await b.stop()
        await redis.stop()


async def main():
    started = time.monotonic()
    for scenario in (cluster, raw, restart, down, chat):
        await asyncio.wait_for(scenario(), 60)
    print(f"redis_cluster: ok ({time.monotonic() - started:.1f} s)", flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: redis_cluster.py path/to/uvws-broadcast path/to/uvws-chat")
    BINARY, CHAT = sys.argv[1], sys.argv[2]
    if not shutil.which(REDIS_SERVER):
        sys.exit(f"FAIL: {REDIS_SERVER} not found (Debian package redis-server; "
                 "bash scripts/setup.sh --tests)")
    asyncio.run(main())
