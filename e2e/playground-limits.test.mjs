// End to end in headless Chromium: a playground at its limits, on a server that holds one
// session of five minutes with two terminals open at most. The expiry warning says how many
// minutes are left and extends the session from the banner; a full server says how long
// until a place frees up, and its Retry button starts the playground once there is room; a
// terminal over the allowance says why in its own pane, and its Retry opens it once another
// terminal is closed.
//
// Runs the real server (target/release/quai, or $QUAI_BIN) on a free port with its own
// instance label, against the real Docker daemon. `cargo xtask test` runs it after building;
// by hand: `node --test e2e/playground-limits.test.mjs` from the repository root.

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
  run,
  sessionContainers,
  startServer,
  waitForText,
} from './lib/quai.mjs';

let server;
let browser;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  // The server reads its configuration from the environment it is started with.
  const saved = { ...process.env };
  Object.assign(process.env, {
    QUAI_MAX_SESSIONS: '1',
    QUAI_SESSION_TTL: '300',
    QUAI_POOL_SIZE: '0',
    QUAI_MAX_TERMINALS: '2',
  });
  try {
    server = await startServer();
  } finally {
    process.env = saved;
  }
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  context.setDefaultTimeout(TIMEOUT);
  return { context, page: await context.newPage() };
}


test('the expiry warning says the minutes left and extends the session from the banner', { timeout: 5 * TIMEOUT }, async () => {
  const { context, page } = await newPage();
  await page.goto(`${server.url}/`);
  await page.locator('[data-test-id=start-shell]').click();
  await page.waitForURL(/\/s\/[^/?#]+/);
  const id = page.url().match(/\/s\/([^/?#]+)/)[1];
  await waitForText(page, server, 'a shell prompt', hasPrompt);

  const banner = page.locator('[data-test-id=expiring-banner]');
  await banner.waitFor();
  assert.match(await banner.innerText(), /This session ends in [45] minutes/);
  await page.screenshot({ path: join(artifacts, 'playground-expiring.png') });
  const before = await countdownSeconds(page);
  assert.ok(before <= 300, `a five-minute session (${before} s left)`);

  await banner.locator('[data-test-id=banner-extend]').click();
  await eventually('the countdown to move later', async () => (await countdownSeconds(page)) > before + 60);
  await banner.waitFor({ state: 'detached' });

  await page.locator('[data-test-id=end-session]').click();
  await page.locator('[data-test-id=session-ended]').waitFor();
  await eventually(`the containers of session ${id} to be removed`, () => sessionContainers(id).length === 0);
  await context.close();
});

test('a full playground says how long until a place frees up, and Retry starts one then', { timeout: 5 * TIMEOUT }, async () => {
  // Someone else takes the only place.
  const taken = await fetch(`${server.url}/api/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ profile: 'shell' }),
  });
  assert.equal(taken.status, 201);
  const other = await taken.json();

  const { context, page } = await newPage();
  try {
    await page.goto(`${server.url}/`);
    await page.locator('[data-test-id=start-playground]').click();
    const notice = page.locator('[data-test-id=capacity]');
    await notice.waitFor();
    assert.match(
      await page.locator('[data-test-id=capacity-message]').innerText(),
      /^The playground is full — about [45] minutes until a place frees up\.$/,
    );
    await page.screenshot({ path: join(artifacts, 'playground-capacity.png') });

    // Still full: the notice stays.
    await page.locator('[data-test-id=retry-start]').click();
    await eventually('Retry to be done', async () => (await page.locator('[data-test-id=retry-start]').getAttribute('aria-busy')) === 'false');
    assert.equal(await notice.count(), 1);

    // The place frees up: Retry starts the playground.
    const ended = await fetch(`${server.url}/api/sessions/${other.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${other.token}` },
    });
    assert.equal(ended.status, 204);
    await page.locator('[data-test-id=retry-start]').click();
    await page.waitForURL(/\/s\/[^/?#]+/);
    await waitForText(page, server, 'a shell prompt', hasPrompt);
    assert.equal(await page.locator('[data-test-id=profile]').innerText(), 'Docker');
    const id = page.url().match(/\/s\/([^/?#]+)/)[1];
    await page.locator('[data-test-id=end-session]').click();
    await page.locator('[data-test-id=session-ended]').waitFor();
    await eventually(`the containers of session ${id} to be removed`, () => sessionContainers(id).length === 0);
  } finally {
    await context.close();
    await fetch(`${server.url}/api/sessions/${other.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${other.token}` },
    }).catch(() => {});
  }
});

test('a terminal over the allowance says why in its own pane, and Retry opens it once another is closed', { timeout: 5 * TIMEOUT }, async () => {
  const { context, page } = await newPage();
  await page.goto(`${server.url}/`);
  await page.locator('[data-test-id=start-shell]').click();
  await page.waitForURL(/\/s\/[^/?#]+/);
  const id = page.url().match(/\/s\/([^/?#]+)/)[1];
  await waitForText(page, server, 'a shell prompt', hasPrompt);
  await page.locator('[data-test-id=add-terminal]').click();
  await page.locator('[data-test-id=term-tab-2][aria-selected=true]').waitFor();
  await waitForText(page, server, 'a prompt in terminal 2', hasPrompt);

  // A third terminal is one too many: the terminal says so, the page does not.
  await page.locator('[data-test-id=add-terminal]').click();
  await page.locator('[data-test-id=term-tab-3][aria-selected=true]').waitFor();
  const failed = page.locator('[data-test-id=terminal-error]');
  await failed.waitFor();
  assert.equal(await failed.getAttribute('data-term'), '3');
  assert.match(
    await page.locator('[data-test-id=terminal-error-text]').innerText(),
    /^The terminal could not be opened: .*2 terminals open/,
  );
  assert.equal(await page.locator('[data-test-id=term-tab-3]').getAttribute('data-failed'), 'true');
  assert.equal(await page.locator('[data-test-id=term-tab-1]').getAttribute('data-failed'), 'false');
  assert.equal(await page.locator('[data-test-id=error-banner]').count(), 0, 'no error banner');
  await page.screenshot({ path: join(artifacts, 'playground-terminal-error.png') });

  // The first terminal is still fine.
  await page.locator('[data-test-id=term-tab-1]').click();
  assert.equal(await failed.count(), 0, 'the error stays with its terminal');
  await run(page, 'echo first-$((5+6))');
  await waitForText(page, server, 'first-11 in terminal 1', (t) => t.includes('first-11'));

  // Room is made; Retry opens the third one.
  await page.locator('[data-test-id=term-tab-3]').click();
  await page.locator('[data-test-id=close-terminal-2]').click();
  await page.locator('[data-test-id=term-tab-2]').waitFor({ state: 'detached' });
  await page.locator('[data-test-id=terminal-retry]').click();
  await failed.waitFor({ state: 'detached' });
  await waitForText(page, server, 'a prompt in terminal 3', hasPrompt);
  assert.equal(await page.locator('[data-test-id=term-tab-3]').getAttribute('data-failed'), 'false');
  await run(page, 'echo third-$((30+3))');
  await waitForText(page, server, 'third-33 in terminal 3', (t) => t.includes('third-33'));
  assert.equal(await page.locator('[data-test-id=error-banner]').count(), 0, 'no error banner');
  await endSession({ context, page, id });
});
