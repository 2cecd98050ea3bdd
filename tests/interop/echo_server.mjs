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
import { WebSocketServer } from 'ws';

const FRAGMENTED = Buffer.from('fragmented message €', 'utf8');
const cuts = [4, 11, FRAGMENTED.length - 2];

const wss = new WebSocketServer({
  host: '127.0.0.1',
  port: 0,
  perMessageDeflate: true,
  maxPayload: 64 * 1024 * 1024,
});

wss.on('listening', () => {
  console.log(`PORT ${wss.address().port}`);
});

wss.on('connection', (ws) => {
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
});

process.on('SIGTERM', () => {
  for (const client of wss.clients) client.terminate();
  wss.close(() => process.exit(0));
});
