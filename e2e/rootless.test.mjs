// End to end in headless Chromium: a docker node, as a student meets it, is an unprivileged
// user's shell (student@node1, home /root) whose Docker works at once, and a write to a host
// sysctl is refused in the terminal.
//
// Runs the real server (target/release/quai, or $QUAI_BIN) on a free port with its own
// instance label, against the real Docker daemon: `node --test e2e/rootless.test.mjs`.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { TIMEOUT, artifacts, hasPrompt, launchBrowser, startServer, waitForText } from './lib/quai.mjs';

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

test('a docker playground is an unprivileged shell whose docker works and whose host stays out of reach', { timeout: 5 * TIMEOUT }, async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  context.setDefaultTimeout(TIMEOUT);
  const page = await context.newPage();
  await page.goto(`${server.url}/`);
  await page.locator('[data-test-id=start-playground]').click();
  await page.waitForURL(/\/s\/[^/?#]+/);
  const prompt = await waitForText(page, server, 'a shell prompt', hasPrompt);
  assert.match(prompt, /student@node1:~\$/, 'the prompt names the unprivileged user');

  await page.locator('[data-test-id=terminal]').click();
  // Typed at once: the docker command waits for the node's engine.
  await page.keyboard.type('docker run --rm hello-world | head -2; id');
  await page.keyboard.press('Enter');
  let text = await waitForText(page, server, 'hello-world and id', (t) => /uid=1000\(student\)/.test(t));
  assert.match(text, /Hello from Docker/);

  await page.keyboard.type("clear; echo '|/tmp/x' > /proc/sys/kernel/core_pattern; echo rc=$?");
  await page.keyboard.press('Enter');
  text = await waitForText(page, server, 'the refused write', (t) => /rc=\d/.test(t));
  assert.match(text, /Permission denied/);
  assert.doesNotMatch(text, /rc=0/);
  await page.screenshot({ path: join(artifacts, 'rootless.png') });
  await context.close();
});
