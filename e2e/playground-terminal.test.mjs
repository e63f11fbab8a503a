// End to end in headless Chromium: the terminals of a playground. Two terminals on one node
// keep their own output through tab switches and a reload; a flood (`yes`) stops at Ctrl-C
// and the page answers the next command, with the browser acknowledging what it has shown;
// a shell that exits opens again at the next key; the font size follows A+ and survives a
// reload; copy and paste go through the clipboard; a dropped connection comes back with
// every terminal.
//
// Runs the real server (target/release/quai, or $QUAI_BIN) on a free port with its own
// instance label, against the real Docker daemon. `cargo xtask test` runs it after building;
// by hand: `node --test e2e/playground-terminal.test.mjs` from the repository root.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import {
  TIMEOUT,
  artifacts,
  endSession,
  eventually,
  hasPrompt,
  launchBrowser,
  openPlayground,
  run,
  sessionContainers,
  startServer,
  terminalText,
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




/** The ids of the sub-tabs of the selected node, in order. */
async function termTabs(page) {
  return page.locator('[data-test-id^=term-tab-]').evaluateAll((tabs) => tabs.map((t) => t.dataset.term));
}

/** The font size the visible terminal draws with, in pixels. */
async function terminalFontSize(page) {
  return page
    .locator('[data-test-id=terminal] .xterm-rows')
    .evaluate((rows) => parseFloat(getComputedStyle(rows).fontSize));
}

test('two terminals on a node keep their own output through tab switches and a reload', { timeout: 5 * TIMEOUT }, async () => {
  const session = await openPlayground(browser, server);
  const { page, context } = session;
  await run(page, 'echo first-$((10+1))');
  await waitForText(page, server, 'first-11 in terminal 1', (t) => t.includes('first-11'));

  await page.locator('[data-test-id=add-terminal]').click();
  await eventually('a second sub-tab', async () => (await termTabs(page)).length === 2);
  await waitForText(page, server, 'a prompt in terminal 2', (t) => hasPrompt(t) && !t.includes('first-11'));
  await run(page, 'echo second-$((20+2))');
  await waitForText(page, server, 'second-22 in terminal 2', (t) => t.includes('second-22'));
  assert.equal(await page.locator('[data-test-id=terminal]').count(), 1, 'one terminal is visible');
  assert.equal(await page.locator('[data-test-id=terminal-hidden]').count(), 1, 'the other is hidden');
  await page.screenshot({ path: join(artifacts, 'playground-terminals.png') });

  const [first, second] = await termTabs(page);
  for (let round = 0; round < 2; round += 1) {
    await page.locator(`[data-test-id=term-tab-${first}]`).click();
    await waitForText(page, server, 'terminal 1 shown', (t) => t.includes('first-11') && !t.includes('second-22'));
    await page.locator(`[data-test-id=term-tab-${second}]`).click();
    await waitForText(page, server, 'terminal 2 shown', (t) => t.includes('second-22') && !t.includes('first-11'));
  }
  // Each terminal still takes commands of its own.
  await run(page, 'echo again-$((30+3))');
  await waitForText(page, server, 'again-33 in terminal 2', (t) => t.includes('again-33') && t.includes('second-22'));

  // A reload brings both terminals back, each with its scrollback.
  const link = page.url();
  await page.close();
  const again = await context.newPage();
  await again.goto(link);
  await eventually('both sub-tabs after the reload', async () => (await termTabs(again)).length === 2);
  await waitForText(again, server, 'terminal 1 replayed', (t) => t.includes('first-11'));
  await again.locator(`[data-test-id=term-tab-${second}]`).click();
  await waitForText(again, server, 'terminal 2 replayed', (t) => t.includes('second-22') && t.includes('again-33'));

  // Closing a terminal removes its sub-tab and shows the other one.
  await again.locator(`[data-test-id=close-terminal-${second}]`).click();
  await eventually('one sub-tab left', async () => (await termTabs(again)).length === 1);
  await waitForText(again, server, 'terminal 1 shown', (t) => t.includes('first-11'));
  session.page = again;
  await endSession(session);
});

test('a shell that exits says so, and the next key opens a new one', { timeout: 5 * TIMEOUT }, async () => {
  const session = await openPlayground(browser, server);
  const { page } = session;
  await run(page, 'echo before-$((3+4)); exit');
  await waitForText(page, server, 'the exit line', (t) => t.includes('[shell exited — press any key for a new one]'));
  await page.screenshot({ path: join(artifacts, 'playground-exited.png') });

  // The key that wakes the terminal is not typed into the new shell.
  await page.keyboard.press('x');
  await waitForText(page, server, 'a new prompt', (t) => hasPrompt(t) && !t.includes('shell exited'));
  await run(page, 'echo after-$((4+5))');
  const text = await waitForText(page, server, 'after-9 in the new shell', (t) => t.includes('after-9'));
  assert.doesNotMatch(text, /xecho/, 'the waking key went nowhere');
  assert.equal(await page.locator('[data-test-id=error-banner]').count(), 0, 'no error banner');
  await endSession(session);
});

test('a flood stops at Ctrl-C and the page answers the next command', { timeout: 5 * TIMEOUT }, async () => {
  let acks = 0;
  let lastAck = 0;
  let received = 0;
  const session = await openPlayground(browser, server, { watch: (page) => page.on('websocket', (socket) => {
    socket.on('framesent', (frame) => {
      if (typeof frame.payload === 'string' && frame.payload.includes('"type":"Ack"')) {
        acks += 1;
        lastAck = JSON.parse(frame.payload).bytes;
      }
    });
    socket.on('framereceived', (frame) => {
      if (typeof frame.payload !== 'string') received += frame.payload.length;
    });
  }) });
  const { page } = session;

  await run(page, 'yes');
  await waitForText(page, server, 'the flood', (t) => t.split('\n').filter((line) => line.trim() === 'y').length > 5);
  await new Promise((done) => setTimeout(done, 2000));
  await page.keyboard.press('Control+C');
  await page.keyboard.type('echo done-$((6*7))');
  await page.keyboard.press('Enter');
  await waitForText(page, server, 'done-42 after the flood', (t) => t.includes('done-42'));

  assert.ok(acks > 0, 'the browser acknowledged output');
  assert.ok(lastAck > 0 && lastAck <= received, `acknowledged ${lastAck} of ${received} bytes received`);
  await page.screenshot({ path: join(artifacts, 'playground-flood.png') });
  await endSession(session);
});

test('A+ makes the terminal text larger, and the size survives a reload', { timeout: 5 * TIMEOUT }, async () => {
  const session = await openPlayground(browser, server);
  const { page } = session;
  const before = await terminalFontSize(page);
  await page.locator('[data-test-id=font-larger]').click();
  await page.locator('[data-test-id=font-larger]').click();
  const larger = await eventually('the font to grow', async () => {
    const size = await terminalFontSize(page);
    return size > before ? size : null;
  });
  assert.equal(larger, before + 2);
  assert.equal(await page.locator('[data-test-id=font-size]').innerText(), `${larger} px`);

  await page.reload();
  await waitForText(page, server, 'the prompt after the reload', hasPrompt);
  assert.equal(await terminalFontSize(page), larger);

  await page.locator('[data-test-id=font-smaller]').click();
  await eventually('the font to shrink', async () => (await terminalFontSize(page)) === larger - 1);
  await endSession(session);
});

test('Ctrl+Shift+C copies the selection and Ctrl+Shift+V pastes into the shell', { timeout: 5 * TIMEOUT }, async () => {
  const session = await openPlayground(browser, server);
  const { page, context } = session;
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });

  await page.evaluate(() => navigator.clipboard.writeText('echo pasted-$((2+3))'));
  await page.locator('[data-test-id=terminal]').click();
  await page.keyboard.press('Control+Shift+V');
  // The clipboard answers asynchronously: Enter once the text is on the command line.
  await waitForText(page, server, 'the pasted text', (t) => t.includes('echo pasted-$((2+3))'));
  await page.keyboard.press('Enter');
  await waitForText(page, server, 'the pasted command to run', (t) => t.includes('pasted-5'));

  // Select a word by double-clicking it, then copy it.
  await run(page, 'echo quaicopyword');
  await waitForText(page, server, 'the word to copy', (t) => t.split('\n').some((line) => line.trim() === 'quaicopyword'));
  const word = page.locator('[data-test-id=terminal] .xterm-rows > div', { hasText: /^quaicopyword\s*$/ }).first();
  // The row sits under xterm.js's own layers: double-click where it is drawn.
  const box = await word.boundingBox();
  await page.mouse.dblclick(box.x + 30, box.y + box.height / 2);
  await page.keyboard.press('Control+Shift+C');
  const copied = await eventually('the clipboard to hold the word', async () => {
    const text = await page.evaluate(() => navigator.clipboard.readText());
    return text.includes('quaicopyword') ? text : null;
  });
  assert.equal(copied.trim(), 'quaicopyword');
  assert.doesNotMatch(await terminalText(page), /\^C/, 'Ctrl+Shift+C does not reach the shell');

  // The right-click menu pastes too.
  await page.evaluate(() => navigator.clipboard.writeText('echo menu-$((4+4))'));
  await page.locator('[data-test-id=terminal]').click({ button: 'right' });
  await page.locator('[data-test-id=context-paste]').click();
  await waitForText(page, server, 'the text pasted from the menu', (t) => t.includes('echo menu-$((4+4))'));
  await page.keyboard.press('Enter');
  await waitForText(page, server, 'the menu-pasted command to run', (t) => t.includes('menu-8'));
  await endSession(session);
});

/** A TCP proxy to the server whose connections can be cut, as a flaky network would. */
async function cuttableProxy(target) {
  const { hostname, port } = new URL(target);
  const open = new Set();
  const proxy = createServer((client) => {
    const upstream = connect(Number(port), hostname);
    client.pipe(upstream);
    upstream.pipe(client);
    const pair = [client, upstream];
    open.add(pair);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(pair);
    };
    for (const end of pair) {
      end.on('error', drop);
      end.on('close', drop);
    }
  });
  await new Promise((listening) => proxy.listen(0, '127.0.0.1', listening));
  return {
    url: `http://127.0.0.1:${proxy.address().port}`,
    cut() {
      for (const [client, upstream] of open) {
        client.destroy();
        upstream.destroy();
      }
    },
    close() {
      this.cut();
      proxy.close();
    },
  };
}

test('a session link opened while the network fails a moment comes up at the prompt by itself', { timeout: 5 * TIMEOUT }, async () => {
  const { context, page, id } = await openPlayground(browser, server);
  try {
    await run(page, 'echo before-the-blip');
    await waitForText(page, server, 'before-the-blip', (t) => t.includes('before-the-blip'));
    const link = page.url();
    await page.close();

    // The next two reads of the session fail as a dropped connection does.
    let failed = 0;
    await context.route(`**/api/sessions/${id}`, (route) => {
      if (route.request().method() === 'GET' && failed < 2) {
        failed += 1;
        return route.abort('connectionreset');
      }
      return route.continue();
    });
    const again = await context.newPage();
    await again.goto(link);
    await waitForText(again, server, 'the earlier output, after the failed reads', (t) => t.includes('before-the-blip'));
    assert.equal(failed, 2, 'the page read the session through two network failures');
    assert.equal(await again.locator('[data-test-id=error-banner]').count(), 0, 'no error banner');
    await run(again, 'echo after-the-blip');
    await waitForText(again, server, 'after-the-blip', (t) => t.includes('after-the-blip'));
    await endSession({ context, page: again, id });
  } finally {
    await context.close();
  }
});

test('after the connection drops, every terminal comes back and takes commands', { timeout: 5 * TIMEOUT }, async () => {
  const proxy = await cuttableProxy(server.url);
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  context.setDefaultTimeout(TIMEOUT);
  try {
    const page = await context.newPage();
    await page.goto(`${proxy.url}/`);
    await page.locator('[data-test-id=start-shell]').click();
    await page.waitForURL(/\/s\/[^/?#]+/);
    const id = page.url().match(/\/s\/([^/?#]+)/)[1];
    await waitForText(page, server, 'a shell prompt', hasPrompt);
    await run(page, 'echo one-before');
    await waitForText(page, server, 'one-before', (t) => t.includes('one-before'));
    await page.locator('[data-test-id=add-terminal]').click();
    await eventually('a second sub-tab', async () => (await termTabs(page)).length === 2);
    await waitForText(page, server, 'a prompt in terminal 2', (t) => hasPrompt(t) && !t.includes('one-before'));
    await run(page, 'echo two-before');
    await waitForText(page, server, 'two-before', (t) => t.includes('two-before'));

    proxy.cut();
    // The page first notices the drop (keys typed before that go to the dead socket), then
    // opens a new socket; a reconnection too quick to be seen is fine as well.
    const connected = page.locator('[data-test-id=connection-status]', { hasText: /^connected$/ });
    await connected.waitFor({ state: 'detached', timeout: 5000 }).catch(() => {});
    await connected.waitFor();
    await run(page, 'echo two-after');
    await waitForText(page, server, 'terminal 2 after the drop', (t) => t.includes('two-before') && t.includes('two-after'));
    const [first] = await termTabs(page);
    await page.locator(`[data-test-id=term-tab-${first}]`).click();
    await run(page, 'echo one-after');
    await waitForText(page, server, 'terminal 1 after the drop', (t) => t.includes('one-before') && t.includes('one-after'));
    assert.equal(await page.locator('[data-test-id=error-banner]').count(), 0, 'no error banner');

    await page.locator('[data-test-id=end-session]').click();
    await page.locator('[data-test-id=session-ended]').waitFor();
    await eventually(`the containers of session ${id} to be removed`, () => sessionContainers(id).length === 0);
  } finally {
    await context.close();
    proxy.close();
  }
});
