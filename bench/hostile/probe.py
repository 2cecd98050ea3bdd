#!/usr/bin/python3
"""Hostile peers against a running uvws-echo, and the server's RSS before and after.

  probe.py PORT PID ping-flood [SECONDS]        one client sends pings for SECONDS (default 5)
                                                and never reads a pong
  probe.py PORT PID partial-frames N [BYTES]    N clients each announce a frame of BYTES (default
                                                1 MiB, the server's default limit), send all of it
                                                but its last KiB, and stop

Prints one line: the attack, what was sent, the server's RSS (VmRSS) before and after, and how
many of the attack's connections the server ended. Loopback only; stops nothing it did not
start (the caller owns the server).
"""
import os
import select
import socket
import struct
import sys
import time

MASK = b"\x37\xfa\x21\x3d"
REQUEST = (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def frame_header(opcode, length):
    if length < 126:
        return bytes([0x80 | opcode, 0x80 | length]) + MASK
    if length < 65536:
        return bytes([0x80 | opcode, 0x80 | 126]) + struct.pack("!H", length) + MASK
    return bytes([0x80 | opcode, 0x80 | 127]) + struct.pack("!Q", length) + MASK


def masked(payload):
    return bytes(b ^ MASK[i & 3] for i, b in enumerate(payload))


def connect(port):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.sendall(REQUEST)
    answer = b""
    while b"\r\n\r\n" not in answer:
        chunk = s.recv(4096)
        if not chunk:
            raise RuntimeError("server closed during the handshake")
        answer += chunk
    if not answer.startswith(b"HTTP/1.1 101"):
        raise RuntimeError(answer.split(b"\r\n")[0].decode())
    return s


def ended(sock):
    """True when the server has ended the connection (EOF, reset or its close frame)."""
    sock.setblocking(False)
    try:
        while True:
            r, _, _ = select.select([sock], [], [], 0)
            if not r:
                return False
            data = sock.recv(65536)
            if not data or b"\x88" in data[:2]:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True


def ping_flood(port, pid, seconds):
    before = rss_kib(pid)
    s = connect(port)
    s.setblocking(False)
    ping = frame_header(0x9, 125) + masked(b"p" * 125)
    burst = ping * 512
    sent = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        _, w, _ = select.select([], [s], [], 0.1)
        if not w:
            continue
        try:
            sent += s.send(burst)
        except BlockingIOError:
            pass
    after = rss_kib(pid)
    print(f"ping-flood: {sent // len(ping)} pings ({sent / 2**20:.1f} MiB) in {seconds} s, "
          f"never read; server RSS {before} KiB -> {after} KiB (+{after - before} KiB)")
    s.close()


def partial_frames(port, pid, count, size):
    before = rss_kib(pid)
    socks = []
    chunk = b"\x00" * 65536
    for _ in range(count):
        s = connect(port)
        s.sendall(frame_header(0x2, size))
        left = size - 1024
        try:
            while left > 0:
                n = s.send(chunk[:min(left, len(chunk))])
                left -= n
        except (ConnectionResetError, BrokenPipeError):
            pass
        socks.append(s)
    # Let the server read what the kernel holds: poll its RSS until it stops moving (bounded).
    last, stable_since, deadline = -1, time.monotonic(), time.monotonic() + 20
    while time.monotonic() < deadline:
        now = rss_kib(pid)
        if now != last:
            last, stable_since = now, time.monotonic()
        elif time.monotonic() - stable_since > 1.0:
            break
        time.sleep(0.1)
    after = rss_kib(pid)
    closed = sum(1 for s in socks if ended(s))
    print(f"partial-frames: {count} clients x {(size - 1024) / 2**20:.2f} MiB of a "
          f"{size / 2**20:.2f} MiB frame ({count * size / 2**20:.0f} MiB sent); "
          f"server RSS {before} KiB -> {after} KiB (+{(after - before) / 1024:.0f} MiB); "
          f"{closed} of {count} ended by the server")
    for s in socks:
        s.close()


def main():
    port, pid, attack = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    if attack == "ping-flood":
        ping_flood(port, pid, float(sys.argv[4]) if len(sys.argv) > 4 else 5.0)
    elif attack == "partial-frames":
        count = int(sys.argv[4])
        size = int(sys.argv[5]) if len(sys.argv) > 5 else 2**20
        partial_frames(port, pid, count, size)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
