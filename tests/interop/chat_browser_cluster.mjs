// The chat example as a cluster in a real browser: one redis-server and two uvws-chat --redis
// processes A and B, Chromium (headless, playwright-core) with one page on each. Both join room
// "alpha" and see each other in the member list; a message typed on A reaches the page on B; a
// third page, opened later on B, gets the room's history written on A. Then A stops: its member
// leaves B's list.
//
//   node chat_browser_cluster.mjs path/to/uvws-chat
//
// Redis listens on a Unix socket in a temporary directory (no TCP port to pick); it is started
// here and stopped by its PID, as the chat processes are. Run from tests/interop
// (node_modules). Exits non-zero on failure.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

import { membersAre, messagesWith, openChat as openPage } from './chat_page.mjs';
import { startServer, stopServer } from './server_process.mjs';

const binary = process.argv[2];
if (!binary || process.argv.length !== 3) {
  console.error('usage: node chat_browser_cluster.mjs path/to/uvws-chat');
  process.exit(2);
}
const timeout = 15000;  // every wait in a page
const pageErrors = [];
const children = [];  // redis-server first, then the chat processes
let browser = null;

// A hung browser must not outlive the test: stop everything after 100 s (ctest allows 120).
const watchdog = setTimeout(() => {
  console.error('chat_browser_cluster: watchdog: 100 s elapsed');
  for (const c of children) process.kill(c.pid, 'SIGKILL');
  process.exit(1);
}, 100000);

// Debian's redis-server on a Unix socket; resolves once it accepts connections.
function startRedis(dir) {
  const socket = path.join(dir, 'redis.sock');
  const child = spawn('redis-server', ['--port', '0', '--unixsocket', socket, '--save', '',
                                       '--appendonly', 'no', '--dir', dir],
                      { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('redis-server: not ready in 15 s')), timeout);
    child.once('error', (e) => reject(new Error(`redis-server: ${e.message}`)));
    child.once('exit', (code) => reject(new Error(`redis-server exited early (${code})`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!/ready to accept connections/i.test(line)) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve(socket);
    });
  });
}

async function startChat(socket) {
  const { child, port } = await startServer(
    binary, /^uvws-chat listening on http:\/\/127\.0\.0\.1:(\d+)\//,
    { args: ['--redis', socket, '--presence-ttl-seconds', '2'] });
  children.push(child);
  return { child, url: `http://127.0.0.1:${port}/` };
}

function openChat(url, nick, room) {
  return openPage(browser, url, nick, room, { pageErrors, timeout });
}

let status = 1;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uvws_chat_cluster_'));
try {
  const socket = await startRedis(dir);
  const a = await startChat(socket);
  const b = await startChat(socket);
  console.log(`redis at ${socket}; uvws-chat A at ${a.url}, B at ${b.url}`);

  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync'],
  });
  const ada = await openChat(a.url, 'ada', 'alpha');
  const bob = await openChat(b.url, 'bob', 'alpha');

  // Each page's member list holds the member of the other process.
  await membersAre(ada, 'ada,bob');
  await membersAre(bob, 'ada,bob');

  // A message typed on A reaches the page on B (and its sender).
  const hello = `hello from A, it is ${Date.now()}`;
  await ada.fill('#text', hello);
  await ada.click('#send');
  await messagesWith(bob, hello).waitFor();
  await messagesWith(ada, hello).waitFor();
  assert.equal(await messagesWith(bob, hello).count(), 1);

  // A page opened later on B gets the history written on A, and the full member list.
  const cy = await openChat(b.url, 'cy', 'alpha');
  await messagesWith(cy, hello).waitFor();
  await membersAre(cy, 'ada,bob,cy');
  await membersAre(ada, 'ada,bob,cy');

  // A nickname taken on A is refused on B.
  const dup = await openChat(a.url, 'probe', 'beta');
  await dup.fill('#nick', 'bob');
  await dup.fill('#room', 'alpha');
  await dup.click('#join');
  await dup.locator('#error', { hasText: /taken/ }).waitFor();

  // A stops (SIGTERM: its members leave the room on every process).
  const { code } = await stopServer(a.child);
  assert.equal(code, 0, 'uvws-chat A exited with an error');
  await membersAre(bob, 'bob,cy');

  assert.deepEqual(pageErrors, []);
  status = 0;
  console.log('chat_browser_cluster: ok');
} catch (e) {
  if (e.child && !children.includes(e.child)) children.push(e.child);
  console.error(`chat_browser_cluster: FAILED: ${e.stack || e}`);
} finally {
  if (browser) await browser.close().catch(() => {});
  // The chat processes first (their Redis link closes cleanly), Redis last.
  for (const c of children.slice(1).reverse()) {
    const { code, signal } = await stopServer(c);
    if (code !== 0) {
      console.error(`chat_browser_cluster: uvws-chat exited with ${code ?? signal}`);
      status = 1;
    }
  }
  if (children.length > 0) await stopServer(children[0]);
  fs.rmSync(dir, { recursive: true, force: true });
  clearTimeout(watchdog);
}
process.exit(status);
