// End to end in headless Chromium: the nodes of a playground and its lifetime. A node added
// from its tab reaches node1 by name and goes away with its tab; a second page of the same
// session follows the nodes another adds and removes; a Docker playground runs
// `docker run hello-world`; "Extend" pushes the end of the session back until its maximum.
//
// Runs the real server (target/release/quai, or $QUAI_BIN) on a free port with its own
// instance label, against the real Docker daemon. `cargo xtask test` runs it after building;
// by hand: `node --test e2e/playground-nodes.test.mjs` from the repository root.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  TIMEOUT,
  artifacts,
  countdownSeconds,
  endSession,
  eventually,
  hasPrompt,
  launchBrowser,
  openPlayground,
  run,
  startServer,
  waitForText,
} from './lib/quai.mjs';

let server;
let browser;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});





test('a node added from its tab reaches node1 by name and is removed with its tab', { timeout: 5 * TIMEOUT }, async () => {
  const session = await openPlayground(browser, server, { start: 'start-shell' });
  const { page } = session;
  assert.equal(await page.locator('[data-test-id=profile]').innerText(), 'Shell');
  // One node: it cannot be removed.
  assert.equal(await page.locator('[data-test-id=remove-node-node1]').count(), 0);

  await page.locator('[data-test-id=add-node]').click();
  await page.locator('[data-test-id=tab-node2]').waitFor();
  assert.equal(await page.locator('[data-test-id=tab-node2]').getAttribute('aria-selected'), 'true');
  await waitForText(page, server, 'a prompt on node2', (t) => /node2/.test(t) && hasPrompt(t));

  await run(page, 'ping -c1 node1 && echo ping-ok-$((40+2))');
  const text = await waitForText(page, server, 'ping to answer', (t) => t.includes('ping-ok-42'));
  assert.match(text, /1 received/);
  await page.screenshot({ path: join(artifacts, 'playground-nodes.png') });

  // node1's terminal is still there, with its own shell.
  await page.locator('[data-test-id=tab-node1]').click();
  await waitForText(page, server, 'node1 shown again', (t) => /node1/.test(t) && !t.includes('ping-ok-42'));

  await page.locator('[data-test-id=remove-node-node2]').click();
  await page.locator('[data-test-id=tab-node2]').waitFor({ state: 'detached' });
  assert.equal(await page.locator('[data-test-id=tab-node2]').count(), 0);
  await eventually('node2 to be gone from the session', async () => {
    const info = await page.evaluate(async (id) => (await fetch(`/api/sessions/${id}`)).json(), session.id);
    return info.nodes.length === 1 && info.nodes[0].name === 'node1';
  });
  assert.equal(await page.locator('[data-test-id=error-banner]').count(), 0, 'no error banner');

  await endSession(session);
});

test('a second page of the session follows the nodes the first one adds and removes', { timeout: 5 * TIMEOUT }, async () => {
  const session = await openPlayground(browser, server, { start: 'start-shell' });
  const { page, context } = session;
  const other = await context.newPage();
  await other.goto(page.url());
  await waitForText(other, server, 'a prompt on the second page', hasPrompt);

  await page.locator('[data-test-id=add-node]').click();
  await other.locator('[data-test-id=tab-node2]').waitFor();
  // The first page shows node2; the second one stays on node1 until asked.
  assert.equal(await other.locator('[data-test-id=tab-node1]').getAttribute('aria-selected'), 'true');
  await other.locator('[data-test-id=tab-node2]').click();
  await waitForText(other, server, 'a prompt on node2 in the second page', (t) => /node2/.test(t) && hasPrompt(t));

  await page.locator('[data-test-id=remove-node-node2]').click();
  await other.locator('[data-test-id=tab-node2]').waitFor({ state: 'detached' });
  assert.equal(await other.locator('[data-test-id=tab-node1]').getAttribute('aria-selected'), 'true');
  await waitForText(other, server, 'node1 shown again', (t) => /node1/.test(t) && hasPrompt(t));
  assert.deepEqual(await other.locator('[data-test-id=error-banner]').allInnerTexts(), [], 'no error banner');
  await other.close();
  await endSession(session);
});

test('a Docker playground runs docker run hello-world', { timeout: 5 * TIMEOUT }, async () => {
  const session = await openPlayground(browser, server, { start: 'start-playground' });
  const { page } = session;
  assert.equal(await page.locator('[data-test-id=profile]').innerText(), 'Docker');
  // Docker Engine inside the node may still be starting: wait for it, then run.
  await run(page, 'until docker info >/dev/null 2>&1; do sleep 0.5; done; docker run --rm hello-world');
  const text = await waitForText(page, server, 'the hello-world greeting', (t) => t.includes('Hello from Docker'));
  assert.match(text, /Hello from Docker/);
  await page.screenshot({ path: join(artifacts, 'playground-docker.png') });
  await endSession(session);
});

test('Extend pushes the end of the session back, up to its maximum lifetime', { timeout: 5 * TIMEOUT }, async () => {
  const session = await openPlayground(browser, server, { start: 'start-shell' });
  const { page } = session;
  const extend = page.locator('[data-test-id=extend]');
  let before = await countdownSeconds(page);
  let clicks = 0;
  while (await extend.isEnabled()) {
    await extend.click();
    clicks += 1;
    const previous = before;
    before = await eventually('the countdown to move later', async () => {
      const now = await countdownSeconds(page);
      return now > previous + 60 ? now : null;
    });
    assert.ok(clicks < 20, 'Extend is disabled at the maximum lifetime');
    await eventually('Extend to be ready again', async () => (await extend.getAttribute('aria-busy')) === 'false');
  }
  assert.ok(clicks >= 1, 'a new session can be extended');
  assert.equal(await extend.getAttribute('title'), 'Maximum lifetime reached');
  assert.equal(await page.locator('[data-test-id=error-banner]').count(), 0, 'no error banner');
  await endSession(session);
});
