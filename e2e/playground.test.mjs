// End to end in headless Chromium: start a playground from the home page, type into the
// terminal, read the output from the page, come back to the session link and see the
// scrollback, end the session and check its containers are gone.
//
// Runs the real server (target/release/quai, or $QUAI_BIN) on a free port with its own
// instance label, against the real Docker daemon. `cargo xtask test` runs it after building;
// by hand: `node --test e2e/` from the repository root.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const artifacts = join(root, 'e2e', 'artifacts');
const TIMEOUT = 60_000;

let server;
let serverLog = '';
let baseUrl;
let browser;

/** A TCP port nobody listens on right now. */
function freePort() {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolvePort(port));
    });
  });
}

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

/** Polls `check` until it returns a truthy value or `ms` pass. */
async function eventually(what, check, ms = TIMEOUT) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(250);
  }
}

/** Containers of a session, as `docker ps -a` lists them. */
function sessionContainers(id) {
  return execFileSync('docker', ['ps', '-a', '-q', '--filter', `label=quai.session=${id}`], {
    encoding: 'utf8',
  })
    .split('\n')
    .filter(Boolean);
}

/** The text xterm.js shows, with its non-breaking spaces made plain. */
async function terminalText(page) {
  const rows = page.locator('[data-test-id=terminal] .xterm-rows').first();
  if ((await rows.count()) === 0) return '';
  return (await rows.innerText()).replace(/\u00a0/g, ' ');
}

async function waitForText(page, what, predicate) {
  let last = '';
  try {
    return await eventually(what, async () => {
      last = await terminalText(page);
      return predicate(last) ? last : null;
    });
  } catch (err) {
    const body = await page.locator('body').innerText().catch(() => '');
    err.message += `\n--- terminal ---\n${last}\n--- page ---\n${body}\n--- server log (end) ---\n${serverLog.slice(-3000)}`;
    throw err;
  }
}

/** Whether a line of the terminal ends in a shell prompt (`root@node1:~#` or `$`). */
const hasPrompt = (text) => text.split('\n').some((line) => /[#$]$/.test(line.trimEnd()));

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  const port = await freePort();
  const instance = `e2e-${randomBytes(4).toString('hex')}`;
  const binary = process.env.QUAI_BIN ?? join(root, 'target', 'release', 'quai');
  baseUrl = `http://127.0.0.1:${port}`;
  server = spawn(
    binary,
    ['serve', '--listen', `127.0.0.1:${port}`, '--static-dir', join(root, 'static'), '--instance', instance],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'info' } },
  );
  const keep = (chunk) => {
    serverLog += chunk.toString();
    if (serverLog.length > 200_000) serverLog = serverLog.slice(-100_000);
  };
  server.stdout.on('data', keep);
  server.stderr.on('data', keep);
  let exited = null;
  server.on('exit', (code, signal) => {
    exited = `exit code ${code}, signal ${signal}`;
  });

  await eventually('GET /healthz to answer 200', async () => {
    if (exited) throw new Error(`quai stopped before it was ready (${exited}):\n${serverLog}`);
    try {
      const response = await fetch(`${baseUrl}/healthz`);
      return response.status === 200;
    } catch {
      return false;
    }
  });

  browser = await chromium.launch({
    executablePath: process.env.QUAI_E2E_CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-3d-apis',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
});

after(async () => {
  await browser?.close();
  if (server && server.exitCode === null && server.signalCode === null) {
    const stopped = new Promise((done) => server.once('exit', done));
    server.kill('SIGTERM');
    // The server removes its containers before it exits.
    let timer;
    await Promise.race([stopped, new Promise((done) => (timer = setTimeout(done, 30_000)))]);
    clearTimeout(timer);
    if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
  }
});

test('a playground runs commands, keeps its scrollback and leaves nothing behind', { timeout: 5 * TIMEOUT }, async () => {
  // One browser profile for the whole test: its cookie holds the session's token.
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const consoleErrors = [];
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.setDefaultTimeout(TIMEOUT);
  page.on('dialog', (dialog) => dialog.accept());

  await page.goto(`${baseUrl}/`);
  const start = page.locator('[data-test-id=start-playground]');
  await start.waitFor();

  const clicked = Date.now();
  await start.click();
  await page.waitForURL(/\/s\/[^/?#]+/);
  const id = page.url().match(/\/s\/([^/?#]+)/)[1];
  await waitForText(page, 'a shell prompt', hasPrompt);
  console.log(`click-to-prompt: ${Date.now() - clicked} ms`);

  assert.ok(sessionContainers(id).length > 0, `a container labelled quai.session=${id} runs the session`);

  await page.locator('[data-test-id=terminal]').click();
  await page.keyboard.type('echo quai-$((6*7))');
  await page.keyboard.press('Enter');
  await waitForText(page, 'the output quai-42', (text) => text.includes('quai-42'));

  await page.keyboard.type('uname -a; cat /etc/os-release; ls /');
  await page.keyboard.press('Enter');
  const text = await waitForText(page, 'the output of cat /etc/os-release', (t) => t.includes('VERSION_CODENAME=bookworm'));
  assert.match(text, /PRETTY_NAME="Debian GNU\/Linux 12 \(bookworm\)"/);
  assert.match(text, /Linux node1 /, 'uname -a names the kernel and the node');
  await page.screenshot({ path: join(artifacts, 'playground.png') });

  // Closing the tab and coming back with the session link shows the same shell and its output.
  const link = page.url();
  await page.close();
  const again = await context.newPage();
  again.setDefaultTimeout(TIMEOUT);
  again.on('dialog', (dialog) => dialog.accept());
  await again.goto(link);
  await waitForText(again, 'the earlier output replayed', (t) => t.includes('quai-42') && t.includes('VERSION_CODENAME=bookworm'));

  await again.locator('[data-test-id=end-session]').click();
  await again.locator('[data-test-id=session-ended]').waitFor();
  await eventually(`the containers of session ${id} to be removed`, () => sessionContainers(id).length === 0);
  await context.close();

  if (consoleErrors.length > 0) console.log(`browser console errors:\n${consoleErrors.join('\n')}`);
});
