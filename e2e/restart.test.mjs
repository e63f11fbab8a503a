// End to end in headless Chromium: a playground outlives a restart of its server. A person's
// shell has a background job and some output; the server is killed with SIGKILL and started
// again on the same port, database and instance (`--on-shutdown keep`), then stopped with
// SIGTERM and started again. Each time, without a reload, the page says it is reconnecting,
// comes back by itself, shows the screen from before and the same shell (`jobs` lists the
// job), and `docker ps` lists the same containers: none made again, none left behind. A reload
// then shows the same shell too, and ending the session removes its containers.
//
// Runs the real server (target/release/quai, or $QUAI_BIN) with its own instance label,
// against the real Docker daemon, with no warm pool (so that every container of the instance
// is the session's). `cargo xtask test` runs it after building; by hand:
// `node --test e2e/restart.test.mjs` from the repository root.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  TIMEOUT,
  artifacts,
  endSession,
  instanceContainers,
  launchBrowser,
  openPlayground,
  run,
  startServer,
  waitForText,
  watchAttachments,
} from './lib/quai.mjs';

let server;
let browser;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  server = await startServer({ onShutdown: 'keep', env: { QUAI_POOL_SIZE: '0' } });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** A line of the terminal that is exactly `line` (output, not the command that printed it). */
const showsLine = (text, line) => text.split('\n').some((l) => l.trimEnd() === line);

/** Types `jobs` and checks it lists the `sleep 4242` started before any restart. */
async function jobsListTheSleep(page, label) {
  await run(page, `jobs; echo ${label}-$((6*7))`);
  const text = await waitForText(page, server, `the output of jobs (${label})`, (t) => showsLine(t, `${label}-42`));
  const answer = text.slice(text.lastIndexOf(`jobs; echo ${label}-`));
  assert.match(answer, /Running\s+sleep 4242 &/, `jobs lists the background job (${label}):\n${answer}`);
}

test('a playground comes back by itself after its server is killed or restarted, and after a reload', { timeout: 6 * TIMEOUT }, async () => {
  const playground = await openPlayground(browser, server);
  const { page, id } = playground;
  const attachments = watchAttachments(page);
  await run(page, 'sleep 4242 &');
  await run(page, 'echo before-restart');
  await waitForText(page, server, 'the output before-restart', (t) => showsLine(t, 'before-restart'));

  const containers = instanceContainers(server.instance);
  assert.ok(containers.length > 0, 'the session runs in a container');
  assert.ok(containers.every((c) => c.session === id), `every container is the session's: ${JSON.stringify(containers)}`);
  // Gone if the page is ever loaded again.
  await page.evaluate(() => {
    window.quaiSamePage = true;
  });

  const rounds = [
    { label: 'after-kill', stop: () => server.kill(), screenshot: 'restart-killed.png' },
    { label: 'after-term', stop: () => server.terminate(), screenshot: 'restart-graceful.png' },
  ];
  for (const { label, stop, screenshot } of rounds) {
    const ended = await stop();
    if (label === 'after-term') assert.equal(ended, 'exit code 0, signal null', 'SIGTERM stops quai cleanly');
    await page.locator('[data-test-id=reconnecting]').waitFor();
    assert.deepEqual(instanceContainers(server.instance), containers, `the session's containers run on while quai is down (${label})`);

    const attached = attachments.count();
    await server.start();
    await page.locator('[data-test-id=reconnecting]').waitFor({ state: 'detached' });
    await page.locator('[data-test-id=connection-status]', { hasText: /^connected$/ }).waitFor();
    await attachments.after(attached);
    await waitForText(page, server, `the screen from before the restart (${label})`, (t) => showsLine(t, 'before-restart'));
    assert.equal(await page.evaluate(() => window.quaiSamePage), true, 'the page came back without a reload');
    assert.match(page.url(), new RegExp(`/s/${id}$`));
    await page.screenshot({ path: join(artifacts, screenshot) });

    await jobsListTheSleep(page, label);
    assert.deepEqual(
      instanceContainers(server.instance),
      containers,
      `docker ps lists the same containers after the restart (${label}): none made again, none left behind`,
    );
    assert.equal(await page.locator('[data-test-id=error-banner]').count(), 0, `no error banner (${label})`);
  }

  // A reload shows the same shell: the screen of before, the job still there.
  await page.reload();
  await waitForText(page, server, 'the screen of before after a reload', (t) =>
    showsLine(t, 'before-restart') && showsLine(t, 'after-term-42'),
  );
  await page.screenshot({ path: join(artifacts, 'restart-reloaded.png') });
  await jobsListTheSleep(page, 'after-reload');
  assert.deepEqual(instanceContainers(server.instance), containers);

  await endSession(playground);
  assert.deepEqual(instanceContainers(server.instance), [], 'nothing of the session is left');
});
