// End to end in headless Chromium: a playground taken from the warm pool. Its first shell was
// started with the ready session, before anyone clicked, at a default 80×24: the page shows
// its prompt, the shell takes the page's own size, and what is typed runs; the page shows the
// session the start answered without asking the server for it again.
//
// Runs the real server (target/release/quai, or $QUAI_BIN) on a free port with its own
// instance label, against the real Docker daemon. `cargo xtask test` runs it after building;
// by hand: `node --test e2e/playground-pool.test.mjs` from the repository root.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  TIMEOUT,
  artifacts,
  endSession,
  eventually,
  hasPrompt,
  instanceContainers,
  launchBrowser,
  run,
  startServer,
  waitForText,
  warmSessions,
} from './lib/quai.mjs';

let server;
let browser;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  server = await startServer({ env: { QUAI_POOL_SIZE: '1' } });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('a playground from the warm pool opens at the prompt its shell printed before the click, at the page\'s size', { timeout: 4 * TIMEOUT }, async () => {
  // One ready session per profile, each with its node running and its first shell prompted.
  await eventually('the warm pool to be filled', async () => (await warmSessions(server)) >= 2);
  const ready = instanceContainers(server.instance).map((c) => c.session);

  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  context.setDefaultTimeout(TIMEOUT);
  const page = await context.newPage();
  const asked = [];
  page.on('request', (request) => asked.push(`${request.method()} ${new URL(request.url()).pathname}`));
  await page.goto(`${server.url}/`);
  await page.locator('[data-test-id=start-shell]').click();
  await page.waitForURL(/\/s\/[^/?#]+/);
  const id = page.url().match(/\/s\/([^/?#]+)/)[1];
  assert.ok(ready.includes(id), 'the playground is one the pool had ready');
  await waitForText(page, server, 'a shell prompt', hasPrompt);

  // The shell started at 80×24 now has the size of the page's terminal.
  await run(page, 'echo "size $(tput cols)x$(tput lines) $((6*7))"');
  const text = await waitForText(page, server, 'the size and 42', (t) => /size \d+x\d+ 42/.test(t));
  const [, cols, rows] = text.match(/size (\d+)x(\d+) 42/).map(Number);
  assert.ok(cols > 80 && rows > 24, `the shell is ${cols}x${rows}, not the page's size`);
  await page.screenshot({ path: join(artifacts, 'playground-pool.png') });

  // The start's answer was enough: the page did not ask for the session again.
  assert.deepEqual(asked.filter((line) => line === `GET /api/sessions/${id}`), []);
  await endSession({ context, page, id });
});
