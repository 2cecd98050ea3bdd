#!/usr/bin/python3
"""uvws-chat's /metrics read three ways: fetched with curl and parsed with Debian's
python3-prometheus-client (every family well-formed, the counters equal to what the test
did), then scraped by a real Prometheus server whose HTTP API must answer a query for the
message counter with the number the test sent.

    /usr/bin/python3 metrics_prometheus.py path/to/uvws-chat

uvws-chat is started with --port 0 (the port is read from its first stdout line), Prometheus
on a free port with a 1 s scrape interval; both are stopped by PID with SIGTERM, and the chat
server must exit 0. Every wait is bounded. Exits non-zero on failure.
"""
import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

import websockets
from prometheus_client.parser import text_string_to_metric_families

MESSAGES = 25
LISTENING = re.compile(r"^uvws-chat listening on http://127\.0\.0\.1:(\d+)/")


def start_chat(binary):
    proc = subprocess.Popen([binary, "--port", "0", "--log-level", "warn"],
                            stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()  # the server prints it at once, or exits
    match = LISTENING.match(line)
    if not match:
        stop(proc)
        raise AssertionError(f"no listening line from {binary}: {line!r}")
    return proc, int(match.group(1))


def stop(proc, timeout=15):
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
    return proc.wait(timeout)


async def chat(port):
    """ada and bob join one room; ada sends MESSAGES messages and bob receives them all."""
    uri = f"ws://127.0.0.1:{port}/chat"
    async with websockets.connect(uri) as ada, websockets.connect(uri) as bob:
        for ws, nick in ((ada, "ada"), (bob, "bob")):
            await ws.send(json.dumps({"type": "join", "room": "lobby", "nick": nick}))
            while json.loads(await ws.recv())["type"] != "joined":
                pass
        for i in range(MESSAGES):
            await ada.send(json.dumps({"type": "message", "text": f"hello {i}"}))
        got = 0
        while got < MESSAGES:
            if json.loads(await bob.recv())["type"] == "message":
                got += 1
        # Both are still open while the metrics are read.
        yield


def samples(text):
    """{(sample name, frozenset(labels)): value}, parsing every family (a malformed line
    raises)."""
    out = {}
    for family in text_string_to_metric_families(text):
        assert family.name.startswith("uvws_"), family.name
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def check_scrape(port):
    text = subprocess.run(["curl", "-sf", f"http://127.0.0.1:{port}/metrics"],
                          check=True, capture_output=True, text=True, timeout=15).stdout
    got = samples(text)
    want = {
        # Two joins and the messages.
        ("uvws_messages_received_total", frozenset({("opcode", "text")})): 2 + MESSAGES,
        ("uvws_handshakes_total", frozenset({("status", "101")})): 2,
        ("uvws_websocket_connections", frozenset()): 2,
    }
    for key, value in want.items():
        assert got.get(key) == value, f"{key}: {got.get(key)} != {value}"
    # Each message was delivered to both members of the room (the chat publishes to its sender
    # too), with the presence messages besides.
    deliveries = got[("uvws_deliveries_total", frozenset())]
    assert deliveries >= 2 * MESSAGES, f"deliveries {deliveries}"
    buckets = [v for (n, l), v in got.items() if n == "uvws_loop_lag_seconds_bucket"]
    assert buckets, "no loop lag histogram"
    return len(got)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def query(prom_port, expr):
    url = f"http://127.0.0.1:{prom_port}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            body = json.load(r)
    except OSError:
        return None  # not listening yet
    results = body.get("data", {}).get("result", [])
    return results[0]["value"][1] if results else None


def check_prometheus(chat_port):
    with tempfile.TemporaryDirectory() as tmp:
        config = os.path.join(tmp, "prometheus.yml")
        with open(config, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    "scrape_configs:\n  - job_name: uvws-chat\n    static_configs:\n"
                    f"      - targets: ['127.0.0.1:{chat_port}']\n")
        prom_port = free_port()
        prom = subprocess.Popen(
            ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={tmp}/data",
             f"--web.listen-address=127.0.0.1:{prom_port}"],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "log"), "w"))
        try:
            expr = 'sum(uvws_messages_received_total{job="uvws-chat",opcode="text"})'
            deadline = time.monotonic() + 60
            value = None
            while time.monotonic() < deadline and prom.poll() is None:
                value = query(prom_port, expr)
                if value is not None and float(value) == 2 + MESSAGES:
                    return value
                time.sleep(0.2)  # polling an external server's state, bounded by the deadline
            with open(os.path.join(tmp, "log")) as log:
                tail = log.read()[-2000:]
            raise AssertionError(f"Prometheus answered {value!r}, expected {2 + MESSAGES}; "
                                 f"exit {prom.poll()}; log:\n{tail}")
        finally:
            stop(prom, 30)


async def main(binary):
    proc, port = start_chat(binary)
    try:
        session = chat(port)
        await asyncio.wait_for(session.__anext__(), 30)
        families = check_scrape(port)
        answer = check_prometheus(port)
        await session.aclose()
    finally:
        code = stop(proc)
    assert code == 0, f"uvws-chat exited {code}"
    print(f"ok: {families} samples parsed; Prometheus answered {answer} messages")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
