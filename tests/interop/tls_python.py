#!/usr/bin/python3
"""Interop: python-websockets over TLS (Python's ssl module) against uvws-echo over wss://,
and curl against uvws-echo and uvws-chat over https://.

Usage: /usr/bin/python3 tls_python.py PATH/TO/uvws-echo PATH/TO/uvws-chat PATH/TO/uvws-client
                                      PATH/TO/make_certs.sh

Makes the test certificates (make_certs.sh, in a temporary directory), starts the servers with
--tls-cert/--tls-key on 127.0.0.1 port 0, and checks: echo of 0 B to 16 MiB (text and binary),
a fragmented message, close codes (1000 echoed, 1007 for invalid UTF-8, RFC 6455 7.4.1), the
host name and IP SAN checks of the client, plain HTTP on the TLS port refused at once,
https pages through curl, the certificate SNI picks (--tls-sni), renegotiation refused
(openssl s_client over TLS 1.2), and uvws-client over wss:// (--cafile, --insecure, and its exit
status 4 with OpenSSL's reason when the certificate does not verify), and SIGHUP reloading the
certificate files (new connections get the new one, open ones keep echoing, bad files are
refused). Servers are stopped by PID (SIGTERM; a graceful stop must exit 0).
Exits non-zero on the first mismatch.
"""

import asyncio
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile

import websockets

from python_client import TIMEOUT, Mismatch, expect, expect_close_code, frame, recv, stop_server

MiB = 1 << 20


async def start(program, certs, extra=()):
    args = [program, "--host", "127.0.0.1", "--port", "0", "--log-level", "warn",
            "--tls-cert", f"{certs}/server.pem", "--tls-key", f"{certs}/server.key", *extra]
    proc = await asyncio.create_subprocess_exec(*args, stdout=subprocess.PIPE)
    try:
        line = (await asyncio.wait_for(proc.stdout.readline(), TIMEOUT)).decode()
        m = re.search(r"listening on (wss|https)://127\.0\.0\.1:(\d+)/", line)
        if not m:
            raise Mismatch(f"unexpected first line from {program}: {line!r}")
        return proc, int(m.group(2))
    except BaseException:
        await stop_server(proc)
        raise


async def echo_checks(port, context):
    for host in ("localhost", "127.0.0.1"):
        async with websockets.connect(f"wss://{host}:{port}/", ssl=context, max_size=None,
                                      ping_interval=None, open_timeout=TIMEOUT,
                                      close_timeout=TIMEOUT) as ws:
            expect(ws.transport.get_extra_info("ssl_object").version() == "TLSv1.3",
                   f"TLS 1.3 to {host}")
            await ws.send("hello over tls")
            expect(await recv(ws) == "hello over tls", f"text echo via {host}")

    async with websockets.connect(f"wss://localhost:{port}/", ssl=context, max_size=None,
                                  ping_interval=None, open_timeout=TIMEOUT,
                                  close_timeout=TIMEOUT) as ws:
        for size in (0, 1, 125, 126, 16383, 16384, 16385, 65535, 65536, MiB, 16 * MiB):
            data = bytes(i % 251 for i in range(min(size, 65536))) * (size // 65536 + 1)
            data = data[:size]
            await ws.send(data)
            expect(await asyncio.wait_for(ws.recv(), 60) == data, f"binary echo of {size} B")
        text = "\u00e9" * (2 * MiB)
        await ws.send(text)
        expect(await recv(ws) == text, "text echo of 4 MiB of UTF-8")
        await ws.send(["frag", "ment", "ed"])
        expect(await recv(ws) == "fragmented", "fragmented message")
        await ws.close(1000, "bye")
        expect(ws.close_code == 1000, f"clean close: server answered {ws.close_code}")

    async with websockets.connect(f"wss://localhost:{port}/", ssl=context, ping_interval=None,
                                  open_timeout=TIMEOUT, close_timeout=TIMEOUT) as ws:
        ws.transport.write(frame(0x1, b"\xff\xfe"))
        await expect_close_code(ws, 1007, "invalid UTF-8 over TLS")


async def refused_checks(port, context):
    # Plain HTTP on the TLS port: no HTTP answer, the connection closes at once.
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    started = asyncio.get_running_loop().time()
    writer.write(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
    try:
        got = await asyncio.wait_for(reader.read(), TIMEOUT)
    except ConnectionResetError:
        got = b""
    elapsed = asyncio.get_running_loop().time() - started
    writer.close()
    expect(not got.startswith(b"HTTP/"), f"plain HTTP on the TLS port refused ({len(got)} B)")
    expect(elapsed < 2, f"... at once ({elapsed:.3f} s), not at the handshake timeout")

    # The client's checks: a name the certificate lacks, and a client without the test CA.
    url = f"wss://127.0.0.1:{port}/"
    for name, ctx, reason in (("wrong.test", context, "Hostname mismatch"),
                              ("localhost", ssl.create_default_context(),
                               "unable to get local issuer certificate")):
        try:
            async with websockets.connect(url, ssl=ctx, server_hostname=name,
                                          open_timeout=TIMEOUT):
                raise Mismatch(f"{url} as {name} was accepted")
        except ssl.SSLCertVerificationError as e:
            expect(reason in str(e), f"{url} as {name}: {reason}")


def uvws_client(client, *args):
    out = subprocess.run([client, *args], input="hi\n", capture_output=True, text=True,
                         timeout=TIMEOUT, check=False)
    return out.returncode, out.stdout, out.stderr


async def client_checks(client, port, certs):
    url = f"wss://localhost:{port}/"
    status, out, _ = await asyncio.to_thread(uvws_client, client, "--cafile", f"{certs}/ca.pem",
                                             url)
    expect(status == 0 and out == "hi\n", f"uvws-client --cafile {url}: {status} {out!r}")
    status, _, err = await asyncio.to_thread(uvws_client, client, url)
    expect(status == 4 and "unable to get local issuer certificate" in err,
           f"uvws-client without the CA: exit {status}, {err.strip()!r}")
    status, out, err = await asyncio.to_thread(uvws_client, client, "--insecure", url)
    expect(status == 0 and out == "hi\n" and "insecure" in err,
           f"uvws-client --insecure: {status} {out!r}, warned")


async def s_client(port, certs, *args, renegotiate=False):
    """openssl s_client's output. With `renegotiate`, "R" on stdin (stdin kept open: at its end
    s_client would leave) until the server ends the connection; else stdin is empty."""
    proc = await asyncio.create_subprocess_exec(
        "openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-CAfile", f"{certs}/ca.pem",
        *args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if renegotiate:
        proc.stdin.write(b"R\n")
        await proc.stdin.drain()
    else:
        proc.stdin.close()
    try:
        out = await asyncio.wait_for(proc.stdout.read(), TIMEOUT)
    finally:
        if proc.returncode is None and not proc.stdin.is_closing():
            proc.stdin.close()
        await proc.wait()
    return out.decode(errors="replace")


async def openssl_checks(port, certs, context):
    out = await s_client(port, certs, "-tls1_2", "-servername", "localhost", renegotiate=True)
    expect("Verification: OK" in out and "RENEGOTIATING" in out and "no renegotiation" in out,
           "TLS 1.2 renegotiation refused (no_renegotiation alert)")
    out = await s_client(port, certs, "-servername", "other.test", "-verify_hostname",
                         "other.test")
    expect("subject=CN = other.test" in out and "Verification: OK" in out,
           "s_client -servername other.test gets the SNI certificate")
    async with websockets.connect(f"wss://127.0.0.1:{port}/", ssl=context,
                                  server_hostname="other.test", open_timeout=TIMEOUT) as ws:
        await ws.send("sni")
        expect(await recv(ws) == "sni", "python-websockets verifies other.test through SNI")


def curl(url, certs):
    out = subprocess.run(["curl", "-sS", "--max-time", str(TIMEOUT), "--cacert",
                          f"{certs}/ca.pem", "-o", "/dev/null", "-w", "%{http_code}", url],
                         capture_output=True, text=True, check=False)
    return out.stdout.strip()


async def reload_checks(echo, certs, context):
    """SIGHUP re-reads the certificate files: a new connection gets the new certificate while
    one opened before keeps echoing on the old; bad files are refused and the last good ones
    kept."""
    live = f"{certs}/live"
    shutil.copy(f"{certs}/server.pem", f"{live}.pem")
    shutil.copy(f"{certs}/server.key", f"{live}.key")
    args = [echo, "--host", "127.0.0.1", "--port", "0", "--log-level", "error",
            "--tls-cert", f"{live}.pem", "--tls-key", f"{live}.key"]
    # Its log (errors only) is read below: the refused reload must be reported.
    proc = await asyncio.create_subprocess_exec(*args, stdout=subprocess.PIPE,
                                                stderr=subprocess.PIPE)
    try:
        line = (await asyncio.wait_for(proc.stdout.readline(), TIMEOUT)).decode()
        m = re.search(r"listening on wss://127\.0\.0\.1:(\d+)/", line)
        expect(m is not None, f"uvws-echo (reload) listening line: {line!r}")
        url = f"wss://127.0.0.1:{m.group(1)}/"
        connect = lambda name: websockets.connect(  # noqa: E731
            url, ssl=context, server_hostname=name, ping_interval=None, open_timeout=TIMEOUT,
            close_timeout=TIMEOUT)

        async def serves(name):
            try:
                async with connect(name) as ws:
                    await ws.send(name)
                    return await recv(ws) == name
            except ssl.SSLCertVerificationError:
                return False

        async with connect("localhost") as old:
            # The new files name other.test (and not localhost).
            shutil.copy(f"{certs}/other.pem", f"{live}.pem")
            shutil.copy(f"{certs}/other.key", f"{live}.key")
            expect(not await serves("other.test"), "other.test is not served before SIGHUP")
            os.kill(proc.pid, signal.SIGHUP)
            # The signal is handled on the server's loop: poll, bounded, until it has been.
            deadline = asyncio.get_running_loop().time() + TIMEOUT
            while not await serves("other.test"):
                expect(asyncio.get_running_loop().time() < deadline,
                       "SIGHUP did not swap the certificate within 10 s")
            expect(not await serves("localhost"), "new connections get the new certificate only")
            await old.send("still here")
            expect(await recv(old) == "still here", "a connection from before the reload echoes")

            # A bad certificate file: refused, the last good certificate stays.
            with open(f"{live}.pem", "w") as f:
                f.write("not a certificate\n")
            os.kill(proc.pid, signal.SIGHUP)
            logged = (await asyncio.wait_for(proc.stderr.readline(), TIMEOUT)).decode()
            expect("SIGHUP: TLS certificates kept" in logged, f"the bad files reported: {logged!r}")
            await old.send("after a bad reload")
            expect(await recv(old) == "after a bad reload", "echo after a refused reload")
            expect(await serves("other.test"), "the last good certificate stays after it")
    finally:
        status = await stop_server(proc)
    expect(status == 0, f"uvws-echo (reload) exited with {status} after SIGTERM")


async def main(echo, chat, client, make_certs):
    with tempfile.TemporaryDirectory(prefix="uvws-tls-") as certs:
        subprocess.run(["sh", make_certs, certs], check=True)
        context = ssl.create_default_context(cafile=f"{certs}/ca.pem")

        sni = f"other.test,{certs}/other.pem,{certs}/other.key"
        proc, port = await start(echo, certs,
                                 ["--max-message-size", str(17 * MiB), "--tls-sni", sni])
        try:
            await echo_checks(port, context)
            await refused_checks(port, context)
            await client_checks(client, port, certs)
            await openssl_checks(port, certs, context)
            # uvws-echo answers plain HTTP with 426 Upgrade Required: over https as over http.
            code = await asyncio.to_thread(curl, f"https://localhost:{port}/", certs)
            expect(code == "426", f"curl https://localhost/ on uvws-echo: {code}")
        finally:
            status = await stop_server(proc)
        expect(status == 0, f"uvws-echo exited with {status} after SIGTERM")

        await reload_checks(echo, certs, context)

        proc, port = await start(chat, certs)
        try:
            code = await asyncio.to_thread(curl, f"https://localhost:{port}/", certs)
            expect(code == "200", f"curl https://localhost/ on uvws-chat (the page): {code}")
            async with websockets.connect(f"wss://localhost:{port}/chat", ssl=context,
                                          open_timeout=TIMEOUT) as ws:
                expect(ws.open, "wss:// to the chat's own origin")
        finally:
            status = await stop_server(proc)
        expect(status == 0, f"uvws-chat exited with {status} after SIGTERM")


def run(args):
    """Runs main(); the exit status (a message on stderr when it failed)."""
    try:
        asyncio.run(asyncio.wait_for(main(*args), 110))
        return 0
    except Exception as e:  # Mismatch, or anything else that went wrong
        print(f"FAIL: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]) if len(sys.argv) == 5 else __doc__)
