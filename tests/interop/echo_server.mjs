// Interop: an npm ws echo server for uvws_client_interop, the uvws client's test against
// servers nobody here wrote.
//
// Usage: node tests/interop/echo_server.mjs  (node resolves `ws` from tests/interop/node_modules,
// next to this script, whatever the working directory)
//
// Listens on 127.0.0.1 port 0 with permessage-deflate offered (RFC 7692) and prints
// "PORT <n>" once it listens. For each connection it:
//   - echoes every message (text as text, binary as binary);
//   - answers the text "fragment" with the text "fragmented message €" sent in three frames
//     (RFC 6455 5.4), the last split inside the three bytes of "€": UTF-8 is valid per
//     message, not per frame (RFC 6455 8.1);
//   - answers the text "close <code> <reason>" by closing with that code and reason;
//   - prints "CLOSED <code> <reason>" when the connection ends.
// SIGTERM stops it (exit status 0).
//
// With $UVWS_INTEROP_TLS_DIR set (the test certificates of tests/tls/make_certs.sh), the server
// is an https.createServer with server.pem under the same ws server (wss://), and three more
// TLS listeners with self.pem, expired.pem and other.pem print "PORT self <n>",
// "PORT expired <n>" and "PORT other <n>": servers the uvws client must refuse to talk to.
import fs from 'node:fs';
import https from 'node:https';
import { WebSocketServer } from 'ws';

const FRAGMENTED = Buffer.from('fragmented message €', 'utf8');
const cuts = [4, 11, FRAGMENTED.length - 2];

const certs = process.env.UVWS_INTEROP_TLS_DIR;
const options = { perMessageDeflate: true, maxPayload: 64 * 1024 * 1024 };
// The https servers (none without TLS), closed on SIGTERM.
const servers = [];

function tlsServer(name) {
  const server = https.createServer({
    cert: fs.readFileSync(`${certs}/${name}.pem`),
    key: fs.readFileSync(`${certs}/${name}.key`),
  });
  servers.push(server);
  return server;
}

let wss;
if (certs) {
  const main = tlsServer('server');
  wss = new WebSocketServer({ server: main, ...options });
  // The refused listeners are listed after the echo server's PORT line.
  main.listen(0, '127.0.0.1', () => {
    console.log(`PORT ${main.address().port}`);
    for (const name of ['self', 'expired', 'other']) {
      const refused = tlsServer(name);
      new WebSocketServer({ server: refused, ...options }).on('connection', echo);
      refused.listen(0, '127.0.0.1', () => console.log(`PORT ${name} ${refused.address().port}`));
    }
  });
} else {
  wss = new WebSocketServer({ host: '127.0.0.1', port: 0, ...options });
  wss.on('listening', () => {
    console.log(`PORT ${wss.address().port}`);
  });
}
wss.on('connection', echo);

function echo(ws) {
  ws.on('message', (data, isBinary) => {
    if (!isBinary) {
      const text = data.toString('utf8');
      if (text === 'fragment') {
        let start = 0;
        for (const end of [...cuts, FRAGMENTED.length]) {
          ws.send(FRAGMENTED.subarray(start, end),
                  { binary: false, fin: end === FRAGMENTED.length });
          start = end;
        }
        return;
      }
      const close = /^close (\d+) (.*)$/s.exec(text);
      if (close) {
        ws.close(Number(close[1]), close[2]);
        return;
      }
    }
    ws.send(data, { binary: isBinary });
  });
  ws.on('error', (e) => process.stderr.write(`echo_server.mjs: ${e.message}\n`));
  ws.on('close', (code, reason) => {
    console.log(`CLOSED ${code} ${reason.toString('utf8')}`);
  });
}

process.on('SIGTERM', () => {
  for (const client of wss.clients) client.terminate();
  // ws does not close a server it was given: the https servers are closed here.
  for (const server of servers) {
    server.closeAllConnections();
    server.close();
  }
  wss.close(() => process.exit(0));
});
