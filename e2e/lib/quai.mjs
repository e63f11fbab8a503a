// Helpers shared by the browser tests and the benchmark: run the real server on a free port,
// launch headless Chromium, read what the xterm.js terminal shows, poll until something holds.

import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const artifacts = join(root, 'e2e', 'artifacts');
export const fixtures = join(root, 'e2e', 'fixtures');
export const TIMEOUT = 60_000;

export const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

/** A TCP port nobody listens on right now. */
export function freePort() {
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

/** Polls `check` until it returns a truthy value, which it returns, or `ms` pass. */
export async function eventually(what, check, ms = TIMEOUT) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * Starts `quai serve` (target/release/quai, or $QUAI_BIN) on a loopback port with an instance
 * label of its own, its port preview on another port, and waits until `GET /healthz` answers
 * 200. Returns `{ url, previewUrl, port, instance, database, log(), kill(), terminate(),
 * start(), stop() }`:
 * - `kill()` sends SIGKILL and `terminate()` SIGTERM, each waiting until the process is gone
 *   (`terminate()` returns how it ended: `exit code 0, signal null` after a clean stop);
 * - `start()` starts it again on the same ports, database and instance, and waits for
 *   `/healthz` again: what a person's browser sees as a restart of the server;
 * - `stop()` sends SIGTERM and waits for the server, then ends with `quai sessions end --all`
 *   whatever sessions its database still keeps (`onShutdown: 'keep'`, or a server killed with
 *   SIGKILL), so nothing is left behind either way. The local registry stays off unless
 *   QUAI_LOCAL_REGISTRY (in `env` or the environment) turns it on; its container and volume,
 *   `quai-registry-<instance>`, outlive the server by design, so `stop()` removes them then.
 * `log()` holds what every start printed, one after the other.
 *
 * Options: `lessonsDir`, the folder of lessons to serve (QUAI_LESSONS_DIR; the repository's
 * `lessons/` by default); `onShutdown` (QUAI_ON_SHUTDOWN), what SIGTERM does with the
 * sessions: `end` them (the default here, as every test ends with its server) or `keep` them
 * for the next start; `port`, `instance` and `database` to pick them rather than a free
 * port, a fresh `e2e-<random>` label and a fresh SQLite file (QUAI_DATABASE) in a temporary
 * folder removed by `stop()`; and `env`, more variables for the server.
 */
export async function startServer({ lessonsDir, onShutdown = 'end', port, instance, database, env = {}, staticDir = join(root, 'static') } = {}) {
  port ??= await freePort();
  let previewPort = await freePort();
  while (previewPort === port) previewPort = await freePort();
  const scratch = database ? null : mkdtempSync(join(tmpdir(), 'quai-e2e-'));
  database ??= join(scratch, 'quai.db');
  instance ??= `e2e-${randomBytes(4).toString('hex')}`;
  const binary = process.env.QUAI_BIN ?? join(root, 'target', 'release', 'quai');
  const url = `http://127.0.0.1:${port}`;
  const serverEnv = {
    ...process.env,
    RUST_LOG: process.env.RUST_LOG ?? 'info',
    QUAI_LOCAL_REGISTRY: process.env.QUAI_LOCAL_REGISTRY ?? 'false',
    QUAI_LESSONS_DIR: lessonsDir ?? process.env.QUAI_LESSONS_DIR ?? join(root, 'lessons'),
    QUAI_DATABASE: database,
    QUAI_INSTANCE: instance,
    QUAI_ON_SHUTDOWN: onShutdown,
    QUAI_PREVIEW_LISTEN: `127.0.0.1:${previewPort}`,
    // Every student of these tests comes from 127.0.0.1: one address, many browsers.
    QUAI_MAX_SESSIONS_PER_CLIENT: '20',
    ...env,
  };
  const registry = serverEnv.QUAI_LOCAL_REGISTRY === 'true';
  let log = '';
  const keep = (chunk) => {
    log += chunk.toString();
    if (log.length > 200_000) log = log.slice(-100_000);
  };
  // The process running now: its child, and how it ended once it has (null until then).
  let current = null;

  async function launch() {
    const child = spawn(
      binary,
      ['serve', '--listen', `127.0.0.1:${port}`, '--static-dir', staticDir],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: serverEnv },
    );
    const proc = { child, exited: null };
    proc.gone = new Promise((done) => child.once('exit', (code, signal) => {
      proc.exited = `exit code ${code}, signal ${signal}`;
      done(proc.exited);
    }));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    current = proc;
    await eventually('GET /healthz to answer 200', async () => {
      if (proc.exited) throw new Error(`quai stopped before it was ready (${proc.exited}):\n${log}`);
      try {
        return (await fetch(`${url}/healthz`)).status === 200;
      } catch {
        return false;
      }
    });
  }

  /** Sends `signal` to the running server and waits until it is gone (SIGKILL after 30 s). */
  async function signalled(signal) {
    const proc = current;
    if (!proc || proc.exited) return proc?.exited ?? null;
    proc.child.kill(signal);
    let timer;
    await Promise.race([proc.gone, new Promise((done) => (timer = setTimeout(done, 30_000)))]);
    clearTimeout(timer);
    if (!proc.exited) {
      proc.child.kill('SIGKILL');
      await proc.gone;
      return `did not stop within 30 s of ${signal}`;
    }
    return proc.exited;
  }

  const server = {
    url,
    previewUrl: `http://127.0.0.1:${previewPort}`,
    port,
    instance,
    database,
    log: () => log,
    kill: () => signalled('SIGKILL'),
    terminate: () => signalled('SIGTERM'),
    async start() {
      if (current && !current.exited) throw new Error('quai is still running');
      keep(`\n--- quai started again on port ${port} ---\n`);
      await launch();
    },
    async stop() {
      await signalled('SIGTERM');
      try {
        execFileSync(binary, ['sessions', 'end', '--all'], { env: { ...serverEnv, RUST_LOG: 'warn' }, stdio: 'ignore' });
      } catch {
        // The engine went away: the next start of this instance removes what is left.
      }
      if (registry) {
        const name = `quai-registry-${instance}`;
        for (const args of [['rm', '-f', name], ['volume', 'rm', '-f', name]]) {
          try {
            execFileSync('docker', args, { stdio: 'ignore' });
          } catch {
            // Already gone.
          }
        }
      }
      if (scratch) rmSync(scratch, { recursive: true, force: true });
    },
  };
  try {
    await launch();
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}

/** Containers of this server's instance, as `docker ps -a` lists them: `[{ id, session, name }]`. */
/** The ready sessions `server`'s warm pool holds (its `/healthz` tells a loopback client). */
export async function warmSessions(server) {
  const health = await (await fetch(`${server.url}/healthz`)).json();
  return health.warm ?? 0;
}

export function instanceContainers(instance) {
  return execFileSync(
    'docker',
    ['ps', '-a', '--filter', `label=quai.instance=${instance}`, '--format', '{{.ID}} {{.Label "quai.session"}} {{.Names}}'],
    { encoding: 'utf8' },
  )
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id, session, name] = line.split(' ');
      return { id, session, name };
    })
    .sort((a, b) => a.id.localeCompare(b.id));
}

/**
 * Reloads a page whose loading the test machine broke: Chromium drops requests in flight with
 * `net::ERR_NETWORK_CHANGED` when a network interface appears or goes on its host, which the
 * Docker networks of sessions do on the machine running these tests (never on a student's).
 * A page whose document or one of its `/dist/` files was dropped would stay blank; it is
 * loaded again, as a person would.
 */
function reloadPagesTheHostNetworkBroke(context) {
  context.on('requestfailed', (request) => {
    if (!request.failure()?.errorText.includes('ERR_NETWORK_CHANGED')) return;
    const loading = request.isNavigationRequest() || new URL(request.url()).pathname.startsWith('/dist/');
    const page = request.frame()?.page();
    if (loading && page && !page.isClosed()) page.reload().catch(() => {});
  });
  return context;
}

/** Headless Chromium from Debian (or $QUAI_E2E_CHROMIUM), with no GPU and no sandbox. */
export async function launchBrowser() {
  const browser = await chromium.launch({
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
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (options) => reloadPagesTheHostNetworkBroke(await newContext(options));
  return browser;
}

/** Containers of a session, as `docker ps -a` lists them. */
export function sessionContainers(id) {
  return execFileSync('docker', ['ps', '-a', '-q', '--filter', `label=quai.session=${id}`], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
}

/** The text xterm.js shows, with its non-breaking spaces made plain. */
export async function terminalText(page) {
  const rows = page.locator('[data-test-id=terminal] .xterm-rows').first();
  if ((await rows.count()) === 0) return '';
  return (await rows.innerText()).replace(/\u00a0/g, ' ');
}

/** Whether a line of the terminal ends in a shell prompt (`root@node1:~#` or `$`). */
export const hasPrompt = (text) => text.split('\n').some((line) => /[#$]$/.test(line.trimEnd()));

/**
 * Waits until the terminal's text satisfies `predicate` and returns it; on timeout the error
 * shows the terminal, the page and the end of the server's log.
 */
export async function waitForText(page, server, what, predicate) {
  let last = '';
  try {
    return await eventually(what, async () => {
      last = await terminalText(page);
      return predicate(last) ? last : null;
    });
  } catch (err) {
    const body = await page.locator('body').innerText().catch(() => '');
    err.message += `\n--- terminal ---\n${last}\n--- page ---\n${body}\n--- server log (end) ---\n${server.log().slice(-3000)}`;
    throw err;
  }
}

/**
 * A new browser profile on a new playground, at its prompt: `start` names the home page's
 * button (`start-shell` or `start-playground`), `watch(page)` runs before the page loads.
 */
export async function openPlayground(browser, server, { start = 'start-shell', watch = () => {} } = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  context.setDefaultTimeout(TIMEOUT);
  const page = await context.newPage();
  await watch(page);
  await page.goto(`${server.url}/`);
  await page.locator(`[data-test-id=${start}]`).click();
  await page.waitForURL(/\/s\/[^/?#]+/);
  const id = page.url().match(/\/s\/([^/?#]+)/)[1];
  await waitForText(page, server, 'a shell prompt', hasPrompt);
  return { context, page, id };
}

/**
 * Counts the terminals the page's sockets attached (`TerminalOpened` frames) from now on:
 * `count()`, and `after(n)`, which waits until more than `n` did. Keys typed into a terminal
 * that is not attached again yet, while its page reconnects, go nowhere, as a person's would;
 * a test that types right after a reconnection waits for the attachment first.
 */
export function watchAttachments(page) {
  let opened = 0;
  page.on('websocket', (socket) => socket.on('framereceived', ({ payload }) => {
    if (typeof payload === 'string' && payload.includes('"type":"TerminalOpened"')) opened += 1;
  }));
  return {
    count: () => opened,
    after: (n) => eventually('a terminal to be attached again', () => opened > n),
  };
}

/** Types a command line into the visible terminal. */
export async function run(page, line) {
  await page.locator('[data-test-id=terminal]').click();
  await page.keyboard.type(line);
  await page.keyboard.press('Enter');
}

/** Ends the session from its page and waits until its containers are gone. */
export async function endSession({ context, page, id }) {
  await page.locator('[data-test-id=end-session]').click();
  await page.locator('[data-test-id=session-ended]').waitFor();
  await eventually(`the containers of session ${id} to be removed`, () => sessionContainers(id).length === 0);
  await context.close();
}

/** `1:59:58 left` → 7198. */
export async function countdownSeconds(page) {
  const text = await page.locator('[data-test-id=countdown]').innerText();
  const parts = text.replace(' left', '').split(':').map(Number);
  return parts.reduce((total, part) => total * 60 + part, 0);
}

/** The playground's files panel, opened if it is not. */
export async function openFiles(page) {
  const panel = page.locator('[data-test-id=files-panel]');
  if ((await panel.count()) === 0) await page.locator('[data-test-id=files-toggle]').click();
  await panel.waitFor();
  return panel;
}

/**
 * Drops `files` (`[{ name, content }]`, a name may hold `/`) on `target` as a person dragging
 * them from a file manager would: dragenter, then drop on the overlay it shows.
 */
export async function dropFiles(page, target, files) {
  const data = await page.evaluateHandle((list) => {
    const transfer = new DataTransfer();
    for (const { name, content } of list) transfer.items.add(new File([content], name));
    return transfer;
  }, files);
  await target.dispatchEvent('dragenter', { dataTransfer: data });
  const overlay = page.locator('[data-test-id=drop-overlay]');
  await overlay.waitFor();
  await overlay.dispatchEvent('dragover', { dataTransfer: data });
  await overlay.dispatchEvent('drop', { dataTransfer: data });
  await overlay.waitFor({ state: 'detached' });
}

/** The number of the last transfer the page showed (0 for none): `transferOutcome` waits for a later one. */
export async function transferSeq(page) {
  const seq = await page.locator('[data-test-id=transfer]').getAttribute('data-seq', { timeout: 1 }).catch(() => null);
  return Number(seq ?? 0);
}

/**
 * Waits until a transfer later than number `after` is over and returns `{ state, text }`,
 * `state` being `done` or `failed`.
 */
export async function transferOutcome(page, after = 0) {
  const handle = await page.waitForFunction((after) => {
    const el = document.querySelector('[data-test-id=transfer]');
    if (!el || Number(el.dataset.seq) <= after || el.dataset.state === 'running') return null;
    return { state: el.dataset.state, text: el.querySelector('[data-test-id=transfer-text]').innerText };
  }, after, { timeout: TIMEOUT });
  return handle.jsonValue();
}
