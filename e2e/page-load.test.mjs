// The page as it is delivered, in headless Chromium against the real server: a first visit
// gets the app's wasm and scripts brotli-compressed under hashed names kept for a year, and
// the page itself to be revalidated; the app starts (so the shrunk wasm works); a second
// visit takes every hashed file from the browser's cache and asks the server for the page
// only.
//
// `cargo xtask test` runs it after building; by hand: `node --test e2e/page-load.test.mjs`
// from the repository root.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TIMEOUT, launchBrowser, startServer } from './lib/quai.mjs';

const HASHED = /\/dist\/(vendor\/)?[\w.-]+-[0-9a-f]{16}\.[a-z0-9]+$/;

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** What reached the network while `visit` ran: `{ url, status, headers, fromCache }` each. */
async function networkOf(page, visit) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  const seen = [];
  // Chromium's memory cache answers without a fetch, and says so in an event of its own.
  const fromMemory = new Set();
  cdp.on('Network.requestServedFromCache', ({ requestId }) => fromMemory.add(requestId));
  cdp.on('Network.responseReceived', ({ requestId, response }) => {
    const headers = Object.fromEntries(Object.entries(response.headers).map(([k, v]) => [k.toLowerCase(), v]));
    seen.push({
      url: new URL(response.url).pathname,
      status: response.status,
      headers,
      fromCache: Boolean(fromMemory.has(requestId) || response.fromDiskCache || response.fromPrefetchCache),
    });
  });
  await visit();
  await cdp.detach();
  return seen;
}

test('the page loads compressed, with hashed files cached for a year, and comes back from the cache', { timeout: 3 * TIMEOUT }, async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  context.setDefaultTimeout(TIMEOUT);
  const page = await context.newPage();
  const errors = [];
  page.on('console', (message) => {
    // Docker adding or removing a network on this host makes Chromium drop requests in flight.
    if (message.type() === 'error' && !message.text().includes('ERR_NETWORK_CHANGED')) errors.push(message.text());
  });
  page.on('pageerror', (err) => errors.push(String(err)));
  const start = page.locator('[data-test-id=start-playground]');

  const first = await networkOf(page, async () => {
    await page.goto(`${server.url}/`);
    await start.waitFor();
  });
  assert.ok(await start.isEnabled(), 'the app ran and drew its start button');
  assert.deepEqual(errors, [], 'no error in the console');

  const document = first.find((r) => r.url === '/');
  assert.ok(document, `the page was fetched: ${first.map((r) => r.url).join(', ')}`);
  assert.equal(document.headers['content-encoding'], 'br', 'the page comes brotli-compressed');
  assert.equal(document.headers['cache-control'], 'no-cache', 'the page is revalidated');

  const hashed = first.filter((r) => HASHED.test(r.url));
  for (const name of [/\/quai_bg-[0-9a-f]{16}\.wasm$/, /\/quai-[0-9a-f]{16}\.js$/, /\/vendor\/xterm-[0-9a-f]{16}\.js$/]) {
    const file = hashed.find((r) => name.test(r.url));
    assert.ok(file, `${name} was fetched: ${first.map((r) => r.url).join(', ')}`);
    assert.equal(file.status, 200, file.url);
    assert.equal(file.headers['content-encoding'], 'br', `${file.url} comes brotli-compressed`);
    assert.match(file.headers.vary ?? '', /accept-encoding/i, file.url);
    assert.equal(file.headers['cache-control'], 'public, max-age=31536000, immutable', file.url);
  }
  const wasm = hashed.find((r) => r.url.endsWith('.wasm'));
  assert.equal(wasm.headers['content-type'], 'application/wasm', 'served as wasm, so it compiles as it streams');
  const unhashed = first.filter((r) => r.url.startsWith('/dist/') && !HASHED.test(r.url));
  assert.deepEqual(unhashed.map((r) => r.url), [], 'every built file the page loads has a hashed name');

  // A new visit (not a reload): hashed files are not asked for again.
  const second = await networkOf(page, async () => {
    await page.goto(`${server.url}/lessons`);
    await page.goto(`${server.url}/`);
    await start.waitFor();
  });
  const fetchedAgain = second.filter((r) => HASHED.test(r.url) && !r.fromCache);
  assert.deepEqual(fetchedAgain.map((r) => r.url), [], 'hashed files come from the cache');
  assert.ok(await start.isEnabled());
  await context.close();
});
