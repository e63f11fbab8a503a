// End to end in headless Chromium: recording a terminal. A student records their terminal
// with its Record button, types, stops; in "My work" the recording is listed, replays in
// the page (asciinema-player shows what was typed) and downloads as an asciicast v2 file
// (parsed here: header with the terminal's size, output events holding the command).
//
// Runs the real server (target/release/quai, or $QUAI_BIN) on a free port with its own
// instance label. By hand: `node --test e2e/recordings.test.mjs`.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  TIMEOUT,
  artifacts,
  endSession,
  eventually,
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

test('a recorded terminal replays in the page and downloads as asciicast v2', { timeout: 4 * TIMEOUT }, async () => {
  const playground = await openPlayground(browser, server);
  const { page } = playground;
  const record = page.locator('[data-test-id=record-terminal]');
  assert.equal(await record.getAttribute('data-recording'), 'false');
  await record.click();
  await eventually('the terminal to be recording', async () => (await record.getAttribute('data-recording')) === 'true');
  await page.screenshot({ path: join(artifacts, 'recording-on.png'), animations: 'disabled' });
  await run(page, 'echo "whale-$((40+2))"');
  await waitForText(page, server, 'the echo', (t) => t.includes('whale-42'));
  await record.click();
  await eventually('the recording to stop', async () => (await record.getAttribute('data-recording')) === 'false');

  await page.locator('[data-test-id=my-work]').click();
  const dialog = page.locator('[data-test-id=work-dialog]');
  const row = dialog.locator('[data-test-id=recording-row]');
  await row.waitFor();
  assert.equal(await row.count(), 1);

  await row.locator('[data-test-id=play-recording]').click();
  const player = dialog.locator('[data-test-id=recording-player]');
  await eventually('the player to show the command', async () => (await player.innerText()).includes('whale-42'));
  await page.screenshot({ path: join(artifacts, 'recording-player.png'), animations: 'disabled' });

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    row.locator('[data-test-id=download-recording]').click(),
  ]);
  assert.match(download.suggestedFilename(), /^quai-terminal-\d+-[0-9a-f]{16}\.cast$/);
  const text = readFileSync(await download.path(), 'utf8');
  const [first, ...events] = text.trim().split('\n').map((line) => JSON.parse(line));
  assert.equal(first.version, 2);
  assert.ok(first.width > 10 && first.height > 3, JSON.stringify(first));
  assert.equal(typeof first.timestamp, 'number');
  assert.ok(events.every(([time, code, data]) => typeof time === 'number' && ['o', 'r'].includes(code) && typeof data === 'string'));
  assert.ok(events.filter(([, code]) => code === 'o').map(([, , data]) => data).join('').includes('whale-42'));
  await dialog.locator('[data-test-id=work-close]').click();
  await endSession(playground);
});
