// bench/peers/socketio_server.mjs: Socket.IO with @socket.io/redis-adapter (Node.js), the peer
// of uvws-broadcast --redis in bench/redis_fanout.sh.
//
//   node bench/peers/socketio_server.mjs --redis redis://127.0.0.1:PORT [--port N] [--host H]
//                                       (port 0: any free port; prints "listening PORT" first)
//
// The adapter's documented setup with the `redis` package: a publish client and its duplicate
// for subscribing, both connected before the server listens. Every socket joins one room on
// connect; an event "m" from a socket is sent to every other socket of that room on every
// process sharing the Redis (`socket.to(room).emit`), the Socket.IO counterpart of
// uvws-broadcast. Socket.IO's defaults otherwise (no permessage-deflate, pings every 25 s).
// Runs on 127.0.0.1 unless --host.
//
// The packages are the benchmark's own, pinned in bench/peers/package.json and installed by
// `npm ci` in bench/peers. Exits 3 if they are not installed, 2 on bad usage.
import { createServer } from 'node:http';

const usage = 'usage: socketio_server.mjs --redis redis://HOST:PORT [--port N] [--host H]';
const room = 'broadcast';

let Server;
let createAdapter;
let createClient;
try {
  ({ Server } = await import('socket.io'));
  ({ createAdapter } = await import('@socket.io/redis-adapter'));
  ({ createClient } = await import('redis'));
} catch (e) {
  console.error(`socketio_server: the packages are not installed (run npm ci in bench/peers): ` +
                `${e.message}`);
  process.exit(3);
}

const options = { port: 0, host: '127.0.0.1', redis: '' };
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i += 2) {
  const name = args[i].replace(/^--/, '');
  if (!(name in options) || i + 1 >= args.length) {
    console.error(usage);
    process.exit(2);
  }
  options[name] = name === 'port' ? Number(args[i + 1]) : args[i + 1];
}
if (!options.redis) {
  console.error(usage);
  process.exit(2);
}

const pubClient = createClient({ url: options.redis });
const subClient = pubClient.duplicate();
await Promise.all([pubClient.connect(), subClient.connect()]);

const io = new Server({ adapter: createAdapter(pubClient, subClient) });
io.on('connection', (socket) => {
  socket.join(room);
  socket.on('m', (data) => socket.to(room).emit('m', data));
});

const http = createServer();
io.attach(http);
http.listen(options.port, options.host, () => {
  console.log(`listening ${http.address().port}`);
});
