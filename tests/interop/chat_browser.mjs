// The chat example in a real browser: Chromium (headless, driven by playwright-core) loads the
// page uvws-chat serves, and three pages chat through WebSocket pub/sub. Two join room
// "alpha", one joins "beta": a message reaches its room only, the member list shows the room,
// the page states the server's limits, and an over-long message is refused with an error on
// the page.
//
//   node chat_browser.mjs path/to/uvws-chat [--tls path/to/make_certs.sh]
//
// With --tls, the script makes the test certificates in a temporary directory, uvws-chat runs
// with --tls-cert/--tls-key, the pages load over https:// and chat over wss:// to their own
// origin. Chromium trusts that one key only: --ignore-certificate-errors-spki-list with the
// base64 SHA-256 of the certificate's SubjectPublicKeyInfo, computed with the openssl command.
//
// Run from tests/interop (node_modules). The screenshot of the second page is saved as
// chat_browser.png (chat_browser_tls.png with --tls) in $ARTIFACT_DIR (or the working
// directory). Exits non-zero on failure.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

import { members, membersAre, messagesWith, openChat as openPage } from './chat_page.mjs';
import { startServer, stopServer } from './server_process.mjs';

const binary = process.argv[2];
const tls = process.argv.length === 5 && process.argv[3] === '--tls';
if (!binary || (process.argv.length !== 3 && !tls)) {
  console.error('usage: node chat_browser.mjs path/to/uvws-chat [--tls path/to/make_certs.sh]');
  process.exit(2);
}
const timeout = 15000;  // every wait in a page
const pageErrors = [];
const sockets = [];  // the WebSocket URLs the pages opened
let server = null;
let browser = null;

// A hung browser must not outlive the test: stop everything after 100 s (ctest allows 120).
const watchdog = setTimeout(async () => {
  console.error('chat_browser: watchdog: 100 s elapsed');
  if (server) process.kill(server.pid, 'SIGKILL');
  process.exit(1);
}, 100000);

function openChat(url, nick, room) {
  return openPage(browser, url, nick, room, { pageErrors, sockets, timeout });
}

// The test certificates (made by the --tls script in a temporary directory, removed at exit)
// and the base64 SHA-256 of the server certificate's SPKI, as Chromium's flag wants it.
function makeCerts(script) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uvws_tls_'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  execFileSync('sh', [script, dir], { stdio: 'inherit', timeout });
  const spki = execFileSync('sh', ['-c',
    'openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform der | ' +
    'openssl dgst -sha256 -binary | openssl base64 -A', 'spki', `${dir}/server.pem`],
  { timeout }).toString().trim();
  assert.match(spki, /^[A-Za-z0-9+/]{43}=$/, 'SPKI hash');
  return { dir, spki };
}

let status = 1;
try {
  const certs = tls ? makeCerts(process.argv[4]) : null;
  const scheme = tls ? 'https' : 'http';
  const started = await startServer(
    binary, new RegExp(`^uvws-chat listening on ${scheme}://127\\.0\\.0\\.1:(\\d+)/`),
    { args: tls ? ['--tls-cert', `${certs.dir}/server.pem`,
                   '--tls-key', `${certs.dir}/server.key`] : [] });
  server = started.child;
  // Over TLS by the name the certificate carries (its DNS SAN).
  const url = `${scheme}://${tls ? 'localhost' : '127.0.0.1'}:${started.port}/`;
  console.log(`uvws-chat (pid ${server.pid}) at ${url}`);

  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync',
           ...(tls ? [`--ignore-certificate-errors-spki-list=${certs.spki}`] : [])],
  });
  const ada = await openChat(url, 'ada', 'alpha');
  const bob = await openChat(url, 'bob', 'alpha');
  const cy = await openChat(url, 'cy', 'beta');

  // Presence: ada's member list gains bob (published to the room when he joined).
  await membersAre(ada, 'ada,bob');
  assert.deepEqual(await members(ada), ['ada', 'bob']);
  assert.deepEqual(await members(bob), ['ada', 'bob']);
  assert.deepEqual(await members(cy), ['cy']);

  // The page states the limits in force, filled in by the server (chat::describe).
  const limits = await ada.textContent('#limits');
  assert.match(limits, /^Limits: at most 1000 rooms; messages of at most 500 characters/);
  assert.match(limits, /last 50 messages \(at most 16384 bytes of them\) for 10 minutes/);

  // A message reaches both pages of its room (the sender's too: include_self) and no other.
  const hello = `hello alpha, it is ${Date.now()}`;
  await ada.fill('#text', hello);
  await ada.click('#send');
  await messagesWith(bob, hello).waitFor();
  await messagesWith(ada, hello).waitFor();
  assert.equal(await messagesWith(bob, hello).count(), 1);
  await cy.waitForTimeout(1000);
  assert.equal(await messagesWith(cy, hello).count(), 0, 'room beta got a message of alpha');

  // 500 characters is the limit, counted in characters, not bytes (é is two bytes).
  const longest = 'é'.repeat(499) + '!';
  await bob.fill('#text', longest);
  await bob.click('#send');
  await messagesWith(ada, longest).waitFor();
  const tooLong = 'é'.repeat(500) + '!';
  await ada.fill('#text', tooLong);
  await ada.click('#send');
  await ada.waitForFunction(
    () => document.getElementById('error').textContent.includes('message too long'));
  const error = await ada.textContent('#error');
  assert.match(error, /message too long: 501 characters \(at most 500\)/);
  // The refused message went nowhere: bob's next message is the next thing ada sees.
  await bob.fill('#text', 'after the long one');
  await bob.click('#send');
  await messagesWith(ada, 'after the long one').waitFor();
  // Bob's own copy comes on his socket: nothing orders it with ada's, so wait for it too.
  await messagesWith(bob, 'after the long one').waitFor();
  assert.equal(await messagesWith(bob, tooLong).count(), 0);
  assert.equal(await messagesWith(ada, tooLong).count(), 0);
  assert.equal(await bob.locator('#messages li.message').count(), 3);

  const shot = path.resolve(process.env.ARTIFACT_DIR || process.cwd(),
                            tls ? 'chat_browser_tls.png' : 'chat_browser.png');
  await bob.screenshot({ path: shot });
  console.log(`screenshot: ${shot}`);

  // Renamed in the same room: both member lists show the new nick only.
  await ada.fill('#nick', 'ada2');
  await ada.click('#join');
  await membersAre(bob, 'ada2,bob');
  await ada.locator('#messages li.notice', { hasText: 'You joined alpha as ada2' }).waitFor();
  assert.deepEqual(await members(ada), ['ada2', 'bob']);

  // Every page's socket went to its own origin: wss:// when the page came over https://.
  assert.equal(sockets.length, 3, `sockets: ${sockets.join(' ')}`);
  for (const ws of sockets) assert.ok(ws.startsWith(`${tls ? 'wss' : 'ws'}://`), ws);
  if (tls) assert.equal(await ada.evaluate(() => window.isSecureContext), true);

  assert.deepEqual(pageErrors, []);
  status = 0;
  console.log('chat_browser: ok');
} catch (e) {
  if (!server && e.child) server = e.child;  // started, but its "listening" line never came
  console.error(`chat_browser: FAILED: ${e.stack || e}`);
} finally {
  if (browser) await browser.close().catch(() => {});
  if (server) {
    const { code, signal } = await stopServer(server);
    // SIGTERM is a graceful shutdown: the server exits 0 (a sanitizer report would not).
    if (code !== 0) {
      console.error(`chat_browser: uvws-chat exited with ${code ?? signal}`);
      status = 1;
    }
  }
  clearTimeout(watchdog);
}
process.exit(status);
