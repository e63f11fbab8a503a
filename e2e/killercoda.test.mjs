// End to end in headless Chromium: Killercoda scenarios copied in unchanged, run the way
// Killercoda runs them. A scenario whose foreground waits for what its background makes
// starts, and the student sees the foreground finish in the terminal; an asset its folder
// lacks is a warning in the server's log and the scenario still runs; a `{{TRAFFIC_HOST1_…}}`
// link opens the node's port; a step's foreground is typed into the open terminal while its
// background writes a file; the hint in `<details>` runs with a click; and a scenario written
// for a two-node Kubernetes cluster gets two nodes and says Kubernetes itself is not there.
//
// The server serves e2e/fixtures/scenarios/ (see its README.md). By hand:
// `node --test e2e/killercoda.test.mjs`.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  TIMEOUT,
  artifacts,
  eventually,
  fixtures,
  hasPrompt,
  launchBrowser,
  sessionContainers,
  startServer,
  terminalText,
  waitForText,
} from './lib/quai.mjs';

let server;
let browser;
let context;
let page;

const place = () => page.locator('[data-test-id=lesson-page]').getAttribute('data-place');

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  server = await startServer({ lessonsDir: join(fixtures, 'scenarios') });
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: 'en-US' });
  context.setDefaultTimeout(TIMEOUT);
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  page = await context.newPage();
});

after(async () => {
  await context?.close();
  await browser?.close();
  await server?.stop();
});

test('a missing asset is a warning in the server log, and the scenario is still listed', async () => {
  assert.match(server.log(), /lesson warning: .*kc-together.*not-shipped\.sh.*does not exist/);
  await page.goto(`${server.url}/`);
  await page.locator('[data-test-id=lesson-card][data-slug=kc-together]').waitFor();
  await page.locator('[data-test-id=lesson-card][data-slug=kc-cluster]').waitFor();
});

test('background and foreground run together; a traffic link opens the port; a step\'s foreground is typed into the open terminal', { timeout: 6 * TIMEOUT }, async () => {
  await page.goto(`${server.url}/lessons/kc-together`);
  await page.locator('[data-test-id=start-lesson]').click();
  await page.waitForURL(/\/lessons\/kc-together\/[0-9a-f]+$/);
  const sessionId = page.url().split('/').pop();
  assert.ok(sessionContainers(sessionId).length > 0);

  // The intro's foreground waits for the file its background writes 3 s later: both run at
  // once, in the student's terminal, then step 1's foreground after them.
  const ready = await waitForText(page, server, 'the foreground scripts to finish', (t) =>
    t.includes('Environment ready') && t.includes('Step 1 is open') && hasPrompt(t));
  assert.ok(ready.indexOf('Preparing the environment...') < ready.indexOf('Environment ready'), ready);
  assert.ok(ready.indexOf('Environment ready') < ready.indexOf('Step 1 is open'), ready);
  assert.equal(await place(), 'step-1');

  // The asset folder was copied to /root/app; the block serves it on port 8000.
  await page.locator('[data-test-id=run-block]').first().click();
  const link = page.locator('[data-test-id=lesson-text] [data-test-id=port-link]');
  assert.equal(await link.innerText(), 'open the app');
  assert.equal(await link.getAttribute('href'), `/p/${sessionId}/node1/8000`);
  await page.locator('[data-test-id=port-chip-8000]').waitFor();
  const [tab] = await Promise.all([context.waitForEvent('page'), link.click()]);
  await eventually('the app to be served through the preview', async () => {
    await tab.waitForLoadState();
    if ((await tab.title()) === 'Quai scenario app') return true;
    await tab.reload();
    return false;
  });
  assert.match(tab.url(), new RegExp(`/p/${sessionId}/node1/8000/$`));
  await page.screenshot({ path: join(artifacts, 'killercoda-traffic.png') });
  await tab.close();

  await page.locator('[data-test-id=check]').click();
  await page.locator('[data-test-id=check-passed]').waitFor();
  assert.equal(await place(), 'step-2');

  // Step 2 opened with the terminal open: its foreground is typed there and runs.
  await waitForText(page, server, "step 2's foreground in the terminal", (t) => t.includes('Step 2 foreground ran'));
  await page.locator('[data-test-id=check]').click();
  const result = page.locator('[data-test-id=check-result]');
  await result.waitFor();
  assert.equal(await result.getAttribute('data-passed'), 'false');

  // The hint is folded in a <details>; opened, its block runs what the background wrote.
  const hint = page.locator('[data-test-id=lesson-text] details');
  assert.equal(await hint.getAttribute('open'), null);
  await hint.locator('summary').click();
  await hint.locator('[data-test-id=run-inline]').click();
  // `{{copy}}` beside it copies.
  await page.locator('[data-test-id=lesson-text] code.quai-copy').click();
  await eventually('the command on the clipboard', async () =>
    (await page.evaluate(() => navigator.clipboard.readText())) === 'ls /root');
  await page.locator('[data-test-id=check]').click();
  await page.locator('[data-test-id=check-passed]').waitFor();
  await page.screenshot({ path: join(artifacts, 'killercoda-passed.png') });
  const text = await terminalText(page);
  assert.ok(!text.includes('command not found'), text);
});

test('a scenario for a two-node Kubernetes cluster gets two nodes and a note that Kubernetes is not there', { timeout: 4 * TIMEOUT }, async () => {
  await page.goto(`${server.url}/lessons/kc-cluster`);
  const intro = page.locator('[data-test-id=lesson-text]').first();
  await intro.waitFor();
  assert.match(await intro.innerText(), /written for a Kubernetes cluster.*2 machines with Docker Engine, but not Kubernetes/s);
  await page.locator('[data-test-id=start-lesson]').click();
  await page.waitForURL(/\/lessons\/kc-cluster\/[0-9a-f]+$/);
  await waitForText(page, server, 'a shell prompt', hasPrompt);
  await page.locator('[data-test-id=tab-node1]').waitFor();
  await page.locator('[data-test-id=tab-node2]').waitFor();
  await page.locator('[data-test-id=run-inline]').first().click();
  await page.locator('[data-test-id=check]').click();
  await page.locator('[data-test-id=check-passed]').waitFor();
  await page.screenshot({ path: join(artifacts, 'killercoda-cluster.png') });
});
