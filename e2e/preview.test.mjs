// End to end in headless Chromium: the port preview. A Python http.server in a node and an
// nginx container published by Docker inside a `docker` node show up as chips above the
// terminal; each opens in a new tab, through the preview listener, with its page; a chip goes
// when its server stops. A WebSocket app (backend/tests/fixtures/preview_app.py, dropped on
// the terminal) echoes through the proxy, and never sees Quai's cookies.
//
// Runs the real server (target/release/quai, or $QUAI_BIN) with its local registry (so that
// `docker run nginx` works offline), on free ports with its own instance label; its registry
// container and volume are removed at the end. By hand: `node --test e2e/preview.test.mjs`.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  TIMEOUT,
  artifacts,
  dropFiles,
  endSession,
  launchBrowser,
  openPlayground,
  root,
  run,
  startServer,
  transferOutcome,
  transferSeq,
  waitForText,
} from './lib/quai.mjs';

let server;
let browser;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  server = await startServer({ env: { QUAI_LOCAL_REGISTRY: 'true' } });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Clicks the chip of `port` and returns the tab it opens, once loaded. */
async function openChip(page, port) {
  const chip = page.locator(`[data-test-id=port-chip-${port}]`);
  assert.equal(await chip.getAttribute('target'), '_blank');
  assert.equal(await chip.getAttribute('rel'), 'noopener');
  const [tab] = await Promise.all([page.context().waitForEvent('page'), chip.click()]);
  await tab.waitForLoadState();
  return tab;
}

test('a Python server and an nginx container in a docker node show as chips that open their pages', { timeout: 6 * TIMEOUT }, async () => {
  const session = await openPlayground(browser, server, { start: 'start-playground' });
  const { page, id } = session;
  // No server yet: the place of the chips says where they will be.
  await page.locator('[data-test-id=ports] .ports-hint').waitFor();

  await run(page, "mkdir -p /root/site && echo '<h1>Served by Python</h1>' > /root/site/index.html && cd /root/site && python3 -m http.server 8000 >/dev/null 2>&1 &");
  await page.locator('[data-test-id=port-chip-8000]').waitFor();
  await run(page, 'clear; until docker info >/dev/null 2>&1; do sleep 0.5; done; docker run -d -p 8080:80 nginx');
  await page.locator('[data-test-id=port-chip-8080]').waitFor();
  const chips = await page.locator('[data-test-id^=port-chip-]').evaluateAll((els) => els.map((el) => el.dataset.testId));
  assert.deepEqual(chips, ['port-chip-8000', 'port-chip-8080']);
  assert.equal(
    await page.locator('[data-test-id=port-chip-8080]').getAttribute('href'),
    `${server.previewUrl}/p/${id}/node1/8080/`,
  );
  // The node's tab says it listens, for when another node is in front.
  assert.equal(await page.locator('[data-test-id=ports-dot-node1]').getAttribute('title'), 'Listening on ports 8000, 8080');
  await page.screenshot({ path: join(artifacts, 'preview-chips.png'), animations: 'disabled' });

  const python = await openChip(page, 8000);
  assert.equal(python.url(), `${server.previewUrl}/p/${id}/node1/8000/`);
  assert.equal(await python.locator('h1').innerText(), 'Served by Python');
  await python.close();

  const nginx = await openChip(page, 8080);
  assert.match(await nginx.locator('body').innerText(), /Welcome to nginx!/);
  await nginx.screenshot({ path: join(artifacts, 'preview-nginx.png') });
  await nginx.close();

  // A server that stops loses its chip.
  await run(page, 'kill %1');
  await page.locator('[data-test-id=port-chip-8000]').waitFor({ state: 'detached' });
  assert.equal(await page.locator('[data-test-id=port-chip-8080]').count(), 1);
  assert.equal(await page.locator('[data-test-id=error-banner]').count(), 0, 'no error banner');
  await endSession(session);
});

test('a WebSocket app answers through the preview, without Quai\'s cookies', { timeout: 5 * TIMEOUT }, async () => {
  const session = await openPlayground(browser, server);
  const { page } = session;
  const app = readFileSync(join(root, 'backend', 'tests', 'fixtures', 'preview_app.py'), 'utf8');
  const seq = await transferSeq(page);
  await dropFiles(page, page.locator('[data-test-id=terminal]'), [{ name: 'preview_app.py', content: app }]);
  assert.deepEqual(await transferOutcome(page, seq), { state: 'done', text: '1 file uploaded to /root' });
  await run(page, 'python3 preview_app.py 8765 &');
  await page.locator('[data-test-id=port-chip-8765]').waitFor();

  const tab = await openChip(page, 8765);
  const body = await tab.locator('body').innerText();
  assert.match(body, /^path=\/ cookie=None prefix=\/p\/[0-9a-f]+\/node1\/8765/);
  // A page script of the app opens a WebSocket to its own origin, as a notebook would.
  const echoed = await tab.evaluate(() => new Promise((resolve, reject) => {
    const url = `${location.origin.replace(/^http/, 'ws')}${location.pathname}kernel`;
    const socket = new WebSocket(url);
    socket.onopen = () => socket.send('hello through Quai');
    socket.onmessage = (event) => {
      resolve(event.data);
      socket.close();
    };
    socket.onerror = () => reject(new Error(`the WebSocket to ${url} failed`));
  }));
  assert.equal(echoed, 'echo:hello through Quai');
  await tab.close();
  await waitForText(page, server, 'the prompt', (t) => t.includes('preview_app.py 8765'));
  await page.screenshot({ path: join(artifacts, 'preview-websocket.png'), animations: 'disabled' });
  await endSession(session);
});
