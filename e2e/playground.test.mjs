// End to end in headless Chromium: start a playground from the home page, type into the
// terminal, read the output from the page, come back to the session link and see the
// scrollback, end the session and check its containers are gone.
//
// Runs the real server (target/release/quai, or $QUAI_BIN) on a free port with its own
// instance label, against the real Docker daemon. `cargo xtask test` runs it after building;
// by hand: `node --test e2e/playground.test.mjs` from the repository root.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  TIMEOUT,
  artifacts,
  eventually,
  hasPrompt,
  launchBrowser,
  sessionContainers,
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

test('a playground runs commands, keeps its scrollback and leaves nothing behind', { timeout: 5 * TIMEOUT }, async () => {
  // One browser profile for the whole test: its cookie holds the session's token.
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  context.setDefaultTimeout(TIMEOUT);
  context.on('page', (page) => page.on('dialog', (dialog) => dialog.accept()));
  const consoleErrors = [];
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });

  await page.goto(`${server.url}/`);
  const start = page.locator('[data-test-id=start-playground]');
  await start.waitFor();

  const clicked = Date.now();
  await start.click();
  await page.waitForURL(/\/s\/[^/?#]+/);
  const id = page.url().match(/\/s\/([^/?#]+)/)[1];
  await waitForText(page, server, 'a shell prompt', hasPrompt);
  console.log(`click-to-prompt: ${Date.now() - clicked} ms`);

  assert.ok(sessionContainers(id).length > 0, `a container labelled quai.session=${id} runs the session`);

  await page.locator('[data-test-id=terminal]').click();
  await page.keyboard.type('echo quai-$((6*7))');
  await page.keyboard.press('Enter');
  await waitForText(page, server, 'the output quai-42', (text) => text.includes('quai-42'));

  await page.keyboard.type('uname -a; cat /etc/os-release; ls /');
  await page.keyboard.press('Enter');
  const text = await waitForText(page, server, 'the output of cat /etc/os-release', (t) =>
    t.includes('VERSION_CODENAME=bookworm'),
  );
  assert.match(text, /PRETTY_NAME="Debian GNU\/Linux 12 \(bookworm\)"/);
  assert.match(text, /Linux node1 /, 'uname -a names the kernel and the node');
  await page.screenshot({ path: join(artifacts, 'playground.png') });

  // Closing the tab and coming back with the session link shows the same shell and its output.
  const link = page.url();
  await page.close();
  const again = await context.newPage();
  await again.goto(link);
  await waitForText(again, server, 'the earlier output replayed', (t) =>
    t.includes('quai-42') && t.includes('VERSION_CODENAME=bookworm'),
  );

  await again.locator('[data-test-id=end-session]').click();
  await again.locator('[data-test-id=session-ended]').waitFor();
  await eventually(`the containers of session ${id} to be removed`, () => sessionContainers(id).length === 0);
  await context.close();

  if (consoleErrors.length > 0) console.log(`browser console errors:\n${consoleErrors.join('\n')}`);
  // The whole app ran under Quai's Content-Security-Policy, which it never had to break.
  assert.deepEqual(consoleErrors.filter((e) => /Content Security Policy/i.test(e)), []);
});
