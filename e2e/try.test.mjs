// End to end in headless Chromium: "Try an image". `nginx` typed on the home page starts a
// Docker playground with nginx running beside a shell, and its port opens its page; the
// shareable link /try/python:3 runs the image in the first terminal; an image this server
// does not have is refused with the list of those it has, in English and French.
//
// Runs the real server (target/release/quai, or $QUAI_BIN) with its local registry, on free
// ports with its own instance label; its registry container and volume are removed at the
// end. By hand: `node --test e2e/try.test.mjs`.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  TIMEOUT,
  artifacts,
  endSession,
  launchBrowser,
  run,
  startServer,
  waitForText,
} from './lib/quai.mjs';

let server;
let browser;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  server = await startServer({ env: { QUAI_LOCAL_REGISTRY: 'true' } });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function newPage(options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
  context.setDefaultTimeout(2 * TIMEOUT);
  return { context, page: await context.newPage() };
}

const sessionOf = (page) => page.url().match(/\/s\/([^/?#]+)/)[1];

test('nginx tried from the home page runs beside a shell, and its port opens its page', { timeout: 6 * TIMEOUT }, async () => {
  const { context, page } = await newPage();
  await page.goto(`${server.url}/`);
  const field = page.locator('[data-test-id=try-image]');
  // The images this server has are suggested.
  await page.locator('[data-test-id=try-suggestion][data-image=nginx]').waitFor();
  await field.fill('nginx');
  await page.screenshot({ path: join(artifacts, 'try-home.png'), animations: 'disabled' });
  await page.locator('[data-test-id=try-image-submit]').click();
  await page.locator('[data-test-id=try-busy]').waitFor();
  assert.match(await page.locator('[data-test-id=try-busy]').innerText(), /Starting nginx…/);

  await page.waitForURL(/\/s\/[0-9a-f]+$/, { timeout: 2 * TIMEOUT });
  const id = sessionOf(page);
  assert.equal(await page.locator('[data-test-id=profile]').innerText(), 'Docker');
  await waitForText(page, server, 'what runs in the background', (t) => t.includes('nginx runs in the background'));
  const chip = page.locator('[data-test-id=port-chip-80]');
  await chip.waitFor();
  await page.screenshot({ path: join(artifacts, 'try-playground.png'), animations: 'disabled' });

  const [tab] = await Promise.all([context.waitForEvent('page'), chip.click()]);
  await tab.waitForLoadState();
  assert.equal(tab.url(), `${server.previewUrl}/p/${id}/node1/80/`);
  assert.match(await tab.locator('body').innerText(), /Welcome to nginx!/);
  await tab.close();

  // The terminal is a shell beside it.
  await run(page, 'docker ps --format "{{.Names}} {{.Image}}"');
  await waitForText(page, server, 'the container', (t) => /^try nginx/m.test(t));
  await endSession({ context, page, id });
});

test('a shared /try link runs the image in the first terminal', { timeout: 6 * TIMEOUT }, async () => {
  const { context, page } = await newPage();
  await page.goto(`${server.url}/`);
  await page.goto(`${server.url}/try/python:3`);
  await page.waitForURL(/\/s\/[0-9a-f]+$/, { timeout: 2 * TIMEOUT });
  const id = sessionOf(page);
  await waitForText(page, server, 'the Python prompt', (t) => t.includes('>>>'));
  await run(page, 'print(6 * 7)');
  await waitForText(page, server, 'Python to answer', (t) => /^42$/m.test(t));
  // The link was replaced by the playground: Back goes where it was followed from, and
  // Forward to the same session.
  await page.goBack();
  assert.equal(page.url(), `${server.url}/`);
  await page.goForward();
  assert.equal(sessionOf(page), id);
  await waitForText(page, server, 'Python again', (t) => /^42$/m.test(t));
  await endSession({ context, page, id });
});

test('an image this server lacks is refused with the images it has', { timeout: 3 * TIMEOUT }, async () => {
  const { context, page } = await newPage({ colorScheme: 'dark' });
  await page.goto(`${server.url}/`);
  await page.locator('[data-test-id=try-image]').fill('nosuch-image');
  await page.locator('[data-test-id=try-image]').press('Enter');
  const error = page.locator('[data-test-id=try-error]');
  await error.waitFor();
  assert.match(await error.innerText(), /^“nosuch-image” is not available offline on this playground\. You can try one of these:/);
  const offered = await error.locator('[data-test-id=try-suggestion]').evaluateAll((els) => els.map((el) => el.dataset.image));
  for (const image of ['nginx', 'redis', 'python:3', 'hello-world']) assert.ok(offered.includes(image), `${image} is offered`);
  assert.equal(page.url(), `${server.url}/`);
  await page.screenshot({ path: join(artifacts, 'try-missing-dark.png'), animations: 'disabled' });

  // The shareable link says the same, in French when asked.
  await page.evaluate(() => localStorage.setItem('quai.lang', 'fr'));
  await page.goto(`${server.url}/try/nosuch-image`);
  await page.locator('[data-test-id=try-error]').waitFor();
  assert.match(
    await page.locator('[data-test-id=try-error]').innerText(),
    /^«\u00a0nosuch-image\u00a0» n’est pas disponible hors ligne sur ce bac à sable\./,
  );
  await page.screenshot({ path: join(artifacts, 'try-missing-fr.png'), animations: 'disabled' });
  await context.close();
});
