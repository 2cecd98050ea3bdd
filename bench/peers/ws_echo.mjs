// bench/peers/ws_echo.mjs: the npm `ws` package (Node.js) as a peer of the benchmarks.
//
//   node bench/peers/ws_echo.mjs [--port N] [--broadcast] [--deflate] [--tls CERT.pem KEY.pem]
//                                 (0: any free port; prints "listening PORT" first)
//
// Echo mode (the default): every message is sent back on its connection with its own type
// (text stays text, binary stays binary), as the `ws` README's echo server does. Broadcast
// mode: every message is sent to every other open client, the `ws` README's "broadcast to all
// connected clients, excluding itself" example, for bench/fanout.sh.
//
// One Node process, one WebSocketServer on 127.0.0.1, no permessage-deflate (the other
// servers of the benchmark do not compress either) unless --deflate (bench/deflate.sh): then
// the package's perMessageDeflate with its defaults (Node zlib's level 6 and memLevel 8, 15-bit
// windows, context takeover, zlib run on libuv's thread pool, at most 10 calls at once) except
// `threshold`, lowered from 1024 to 64 bytes, uvws's own minimum (DeflateOptions::
// min_size_to_compress), so that every message of about 1 KiB is compressed by every server.
// The package's default limits (100 MiB messages, UTF-8 validation of text). `ws` sets
// TCP_NODELAY on every socket itself. Its optional native add-on `bufferutil` is used if it is
// installed next to it; tests/interop does not install it, so `ws` masks and unmasks in
// JavaScript (bench/run.sh says which).
//
// --tls: the WebSocketServer is attached to an https.createServer({ cert, key }) server (the
// `ws` README's "external HTTP/S server" example) instead of its own http server; Node's TLS
// defaults otherwise, session tickets included.
//
// The package is not a dependency of the benchmark: it is the copy that scripts/setup.sh
// --tests installs for the interop tests (tests/interop/package.json), resolved from that
// directory, or from WS_MODULE_DIR if set. Exits 3 if it cannot be found, 2 on bad usage.
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const moduleDir = process.env.WS_MODULE_DIR || path.join(here, '..', '..', 'tests', 'interop');

let WebSocketServer;
let OPEN;
try {
  const ws = createRequire(path.join(moduleDir, 'package.json'))('ws');
  WebSocketServer = ws.WebSocketServer;
  OPEN = ws.OPEN;
} catch (e) {
  console.error(`ws_echo: the ws package is not installed under ${moduleDir} ` +
                `(run scripts/setup.sh --tests): ${e.message}`);
  process.exit(3);
}

let port = 0;
let broadcast = false;
let deflate = false;
let tls = null;
const args = process.argv.slice(2);
for (let i = 0; i < args.length; ++i) {
  if (args[i] === '--port' && i + 1 < args.length) {
    port = Number(args[++i]);
  } else if (args[i] === '--broadcast') {
    broadcast = true;
  } else if (args[i] === '--deflate') {
    deflate = true;
  } else if (args[i] === '--tls' && i + 2 < args.length) {
    tls = { cert: readFileSync(args[i + 1]), key: readFileSync(args[i + 2]) };
    i += 2;
  } else {
    console.error('usage: node ws_echo.mjs [--port N] [--broadcast] [--deflate] ' +
                  '[--tls CERT.pem KEY.pem]');
    process.exit(2);
  }
}
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error('ws_echo: --port must be 0-65535');
  process.exit(2);
}

const httpsServer = tls ? https.createServer(tls) : null;
const wss = new WebSocketServer({
  ...(httpsServer ? { server: httpsServer } : { host: '127.0.0.1', port, backlog: 511 }),
  perMessageDeflate: deflate ? { threshold: 64 } : false,
  clientTracking: broadcast,  // the client set is needed only to broadcast
});

wss.on('connection', (ws) => {
  // A peer that resets its connection must not end the server.
  ws.on('error', () => {});
  if (broadcast) {
    ws.on('message', (data, isBinary) => {
      for (const client of wss.clients) {
        if (client !== ws && client.readyState === OPEN) client.send(data, { binary: isBinary });
      }
    });
  } else {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  }
});

// backlog 511: Node's default, and uvws's.
const listener = httpsServer ?? wss;
listener.on('listening', () => {
  process.stdout.write(`listening ${listener.address().port}\n`);
});
listener.on('error', (e) => {
  console.error(`ws_echo: ${e.message}`);
  process.exit(1);
});
if (httpsServer) httpsServer.listen(port, '127.0.0.1', 511);

// bench/lib.sh stops servers with SIGTERM; end at once, as the C++ peers do.
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
