// The chat page (examples/chat/index.html) as the browser tests drive it, shared by
// chat_browser.mjs and chat_browser_cluster.mjs (playwright-core pages).
//
// openChat() opens a page in a new browser context, waits for its socket, joins `room` as
// `nick`; page errors are collected into `pageErrors`, the WebSocket URLs it opens into
// `sockets` (when given).
export async function openChat(browser, url, nick, room,
                               { pageErrors, sockets = null, timeout = 15000 }) {
  const context = await browser.newContext({ viewport: { width: 900, height: 560 } });
  const page = await context.newPage();
  page.setDefaultTimeout(timeout);
  page.on('pageerror', (e) => pageErrors.push(`${nick}: ${e.message}`));
  if (sockets) page.on('websocket', (ws) => sockets.push(ws.url()));
  await page.goto(url);
  await page.waitForFunction(() => document.getElementById('status').textContent === 'connected');
  await page.fill('#nick', nick);
  await page.fill('#room', room);
  await page.click('#join');
  await page.waitForFunction((r) => document.getElementById('room-name').textContent === r, room);
  return page;
}

// The page's member list, sorted.
export function members(page) {
  return page.$$eval('#members li', (items) => items.map((li) => li.textContent).sort());
}

// Waits until the page's member list is exactly `want` (sorted, comma-separated).
export function membersAre(page, want) {
  return page.waitForFunction(
    (w) => [...document.querySelectorAll('#members li')].map((li) => li.textContent).sort()
               .join(',') === w, want);
}

// The page's chat messages that contain `text`.
export function messagesWith(page, text) {
  return page.locator('#messages li.message', { hasText: text });
}
