// Interop: the npm `ws` client (tests/interop/node_modules) against uvws-echo.
//
// Usage: node node_client.mjs PATH/TO/uvws-echo [--tls PATH/TO/make_certs.sh]
//
// Starts uvws-echo on 127.0.0.1 with --port 0 (plain, then with --compression so that
// permessage-deflate is negotiated, RFC 7692), reads the port from its first stdout line, and
// checks text, binary, 1 MiB, fragmented messages, ping/pong, invalid traffic (close codes
// 1007 and 1002, RFC 6455 7.4.1) and a clean close. Exits non-zero on the first mismatch. The
// server is stopped by its PID with SIGTERM (a graceful stop must exit 0) in every case.
//
// With --tls, the script makes the test certificates in a temporary directory, uvws-echo runs
// with --tls-cert/--tls-key, and the client connects to wss://localhost:<port>/ trusting the
// test CA only ({ ca }); the checks also echo 16 MiB, and a client without the CA must fail.
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import WebSocket from 'ws';

const TIMEOUT = 10000;  // ms, for every single wait

class Mismatch extends Error {}

function expect(cond, what) {
  if (!cond) throw new Mismatch(what);
  console.log(`ok: ${what}`);
}

function withTimeout(promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Mismatch(`timeout: ${what}`)), TIMEOUT);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// One raw frame (RFC 6455 5.2), masked as a client must unless told otherwise.
function frame(opcode, payload, { fin = true, masked = true } = {}) {
  const n = payload.length;
  const parts = [Buffer.from([(fin ? 0x80 : 0) | opcode])];
  const maskBit = masked ? 0x80 : 0;
  if (n < 126) {
    parts.push(Buffer.from([maskBit | n]));
  } else if (n < 65536) {
    const len = Buffer.alloc(3);
    len[0] = maskBit | 126;
    len.writeUInt16BE(n, 1);
    parts.push(len);
  } else {
    const len = Buffer.alloc(9);
    len[0] = maskBit | 127;
    len.writeBigUInt64BE(BigInt(n), 1);
    parts.push(len);
  }
  if (!masked) return Buffer.concat([...parts, payload]);
  const key = crypto.randomBytes(4);
  const body = Buffer.from(payload.map((b, i) => b ^ key[i % 4]));
  return Buffer.concat([...parts, key, body]);
}

// A ws client whose events are queued, so that each one can be awaited in order.
class Client {
  constructor(url, options = {}) {
    this.ws = new WebSocket(url, { maxPayload: 64 << 20, ...tlsOptions, ...options });
    this.queue = [];
    this.waiters = [];
    this.ws.on('message', (data, isBinary) => this.push({ type: 'message', data, isBinary }));
    this.ws.on('pong', (data) => this.push({ type: 'pong', data }));
    this.ws.on('close', (code, reason) => this.push({ type: 'close', code, reason: reason.toString() }));
    this.ws.on('error', (err) => this.push({ type: 'error', err }));
  }
  push(event) {
    const waiter = this.waiters.shift();
    if (waiter) waiter(event); else this.queue.push(event);
  }
  next(what) {
    if (this.queue.length > 0) return Promise.resolve(this.queue.shift());
    return withTimeout(new Promise((resolve) => this.waiters.push(resolve)), what);
  }
  async open() {
    await withTimeout(new Promise((resolve, reject) => {
      this.ws.once('open', resolve);
      this.ws.once('error', reject);
    }), 'open');
  }
  async expectMessage(expected, isBinary, what) {
    const e = await this.next(what);
    const closed = e.type === 'close' ? ` ${e.code} ${e.reason}` : '';
    expect(e.type === 'message', `${what}: got a ${e.type}${closed}`);
    expect(e.isBinary === isBinary, `${what}: ${isBinary ? 'binary' : 'text'} frame`);
    const got = isBinary ? e.data : e.data.toString('utf8');
    const same = isBinary ? Buffer.compare(got, expected) === 0 : got === expected;
    expect(same, `${what}: payload of ${expected.length} ${isBinary ? 'bytes' : 'chars'} matches`);
  }
  async expectClose(code, what) {
    let e = await this.next(what);
    while (e.type === 'error') e = await this.next(what);  // ws reports the close too
    expect(e.type === 'close' && e.code === code, `${what}: close code ${e.code} == ${code}`);
    return e;
  }
}

// The test certificates' directory with --tls (else null), and the client options it needs.
let certs = null;
let tlsOptions = {};

async function runChecks(url, compression) {
  const c = new Client(url);
  await c.open();
  const deflate = (c.ws.extensions || '').includes('permessage-deflate');
  expect(deflate === compression, `permessage-deflate negotiated: ${deflate}`);

  c.ws.send('hello from node');
  await c.expectMessage('hello from node', false, 'text echo');
  const utf8 = 'gr\u00fc\u00df \u20ac \u{1F600}';
  c.ws.send(utf8);
  await c.expectMessage(utf8, false, 'non-ASCII text echo');
  const bin = Buffer.from([0, 1, 0xfe, 0xff]);
  c.ws.send(bin);
  await c.expectMessage(bin, true, 'binary echo');
  c.ws.send('');
  await c.expectMessage('', false, 'empty text echo');

  const big = Buffer.alloc(1 << 20);
  for (let i = 0; i < big.length; ++i) big[i] = (i * 31 + Math.floor(i / 251)) & 0xff;
  c.ws.send(big);
  await c.expectMessage(big, true, '1 MiB binary echo');
  const bigText = '0123456789abcdef'.repeat(1 << 16);
  c.ws.send(bigText);
  await c.expectMessage(bigText, false, '1 MiB text echo');
  if (certs) {
    const huge = crypto.randomBytes(16 << 20);
    c.ws.send(huge);
    await c.expectMessage(huge, true, '16 MiB binary echo');
  }

  // RFC 6455 5.4: one message in three frames (fin: false on all but the last).
  c.ws.send('frag-one ', { fin: false });
  c.ws.send('frag-two ', { fin: false });
  c.ws.send('\u20ac', { fin: true });
  await c.expectMessage('frag-one frag-two \u20ac', false, 'fragmented text echo');
  c.ws.send(Buffer.from([1, 2]), { binary: true, fin: false });
  c.ws.send(Buffer.from([3]), { binary: true, fin: true });
  await c.expectMessage(Buffer.from([1, 2, 3]), true, 'fragmented binary echo');

  c.ws.ping(Buffer.from('are you there'));
  const pong = await c.next('pong');
  expect(pong.type === 'pong' && pong.data.toString() === 'are you there', 'ping answered with a matching pong');

  // RFC 6455 5.5.1: the answer echoes the code (the reason is the server's to choose).
  c.ws.close(1000, 'bye');
  await c.expectClose(1000, 'clean close');

  // Invalid UTF-8 in a text frame, written to the socket past the library: 1007.
  const u = new Client(url, { perMessageDeflate: false });
  await u.open();
  u.ws.send('still fine');
  await u.expectMessage('still fine', false, 'echo before invalid traffic');
  u.ws._socket.write(frame(0x1, Buffer.from([0x62, 0x61, 0x64, 0x20, 0xc3, 0x28])));
  await u.expectClose(1007, 'invalid UTF-8');

  // An unmasked client frame: 1002.
  const m = new Client(url, { perMessageDeflate: false });
  await m.open();
  m.ws._socket.write(frame(0x2, Buffer.from('unmasked'), { masked: false }));
  await m.expectClose(1002, 'unmasked frame');

  // A fragmented control frame: 1002.
  const f = new Client(url, { perMessageDeflate: false });
  await f.open();
  f.ws._socket.write(frame(0x9, Buffer.alloc(0), { fin: false }));
  await f.expectClose(1002, 'fragmented ping');
}

async function startServer(echo, compression) {
  const args = ['--host', '127.0.0.1', '--port', '0', '--log-level', 'warn'];
  if (compression) args.push('--compression');
  // The 16 MiB echo needs more than the default 1 MiB limit (1009 otherwise).
  if (certs) {
    args.push('--tls-cert', `${certs}/server.pem`, '--tls-key', `${certs}/server.key`,
              '--max-message-size', String(17 << 20));
  }
  const child = spawn(echo, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  try {
    const lines = readline.createInterface({ input: child.stdout });
    const line = await withTimeout(new Promise((resolve, reject) => {
      lines.once('line', resolve);
      child.once('error', reject);
      child.once('exit', () => reject(new Mismatch('uvws-echo exited before listening')));
    }), 'uvws-echo first line');
    const m = /^uvws-echo listening on (wss?):\/\/127\.0\.0\.1:(\d+)\//.exec(line);
    if (!m || (m[1] === 'wss') !== (certs !== null)) {
      throw new Mismatch(`unexpected first line from uvws-echo: '${line}'`);
    }
    // Over TLS by name: ws checks the certificate's DNS SAN and sends SNI.
    const url = certs ? `wss://localhost:${m[2]}/` : `ws://127.0.0.1:${m[2]}/`;
    return { child, exited, url };
  } catch (err) {
    await stopServer({ child, exited });
    throw err;
  }
}

// SIGTERM by PID; the server closes gracefully and must exit 0. SIGKILL if it hangs.
async function stopServer({ child, exited }) {
  if (child.exitCode !== null || child.signalCode !== null) return exited;
  process.kill(child.pid, 'SIGTERM');
  try {
    return await withTimeout(exited, 'uvws-echo exit after SIGTERM');
  } catch (err) {
    process.kill(child.pid, 'SIGKILL');
    await exited;
    throw err;
  }
}

// Without the test CA, node's default trust store refuses the certificate.
async function refusedWithoutCa(url) {
  const c = new Client(url, { ca: undefined });
  const e = await c.next('handshake without the test CA');
  expect(e.type === 'error' && e.err.code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
         `without the test CA: ${e.type === 'error' ? e.err.message : e.type}`);
}

async function main(echo) {
  for (const compression of [false, true]) {
    console.log(`--- uvws-echo${compression ? ' --compression' : ''}`);
    const server = await startServer(echo, compression);
    let status;
    try {
      await runChecks(server.url, compression);
      if (certs && !compression) await refusedWithoutCa(server.url);
    } finally {
      status = await stopServer(server);
    }
    expect(status.code === 0, `uvws-echo exited with ${status.code} (${status.signal}) after SIGTERM`);
  }
}

const tls = process.argv.length === 5 && process.argv[3] === '--tls';
if (process.argv.length !== 3 && !tls) {
  console.error('usage: node node_client.mjs PATH/TO/uvws-echo [--tls PATH/TO/make_certs.sh]');
  process.exit(2);
}
if (tls) {
  certs = fs.mkdtempSync(path.join(os.tmpdir(), 'uvws_tls_'));
  process.on('exit', () => fs.rmSync(certs, { recursive: true, force: true }));
  execFileSync('sh', [process.argv[4], certs], { stdio: 'inherit', timeout: TIMEOUT });
  tlsOptions = { ca: fs.readFileSync(`${certs}/ca.pem`) };
}
const overall = setTimeout(() => {
  console.error('FAIL: the interop run took over 100 s');
  process.exit(1);
}, 100000);
main(process.argv[2]).then(() => {
  clearTimeout(overall);
  console.log('all npm ws interop checks passed');
  process.exit(0);
}, (err) => {
  console.error(`FAIL: ${err.stack || err}`);
  process.exit(1);
});
