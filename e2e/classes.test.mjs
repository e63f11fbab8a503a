// End to end in headless Chromium: an instructor and a class. `quai instructors add` prints
// a one-time sign-in link; the instructor opens it, chooses a password, lands on /teach and
// creates a class from its form; the link no longer works. A student in another browser
// context types a wrong code (a clear sentence), then joins by the class's address with a
// name and gets a prompt; the class shows one seat taken. Signed out, the instructor signs
// in again with the password. Screenshots of the sign-in, teach and join pages land in
// e2e/artifacts.
//
// Runs the real server (target/release/quai, or $QUAI_BIN) on free ports with its own
// instance label. By hand: `node --test e2e/classes.test.mjs`.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  TIMEOUT,
  artifacts,
  hasPrompt,
  launchBrowser,
  root,
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

/** Runs `quai ARGS` on the server's database; returns what it printed. */
function quai(...args) {
  const binary = process.env.QUAI_BIN ?? join(root, 'target', 'release', 'quai');
  return execFileSync(binary, args, {
    encoding: 'utf8',
    env: {
      ...process.env,
      RUST_LOG: 'warn',
      QUAI_DATABASE: server.database,
      QUAI_INSTANCE: server.instance,
      QUAI_LISTEN: `127.0.0.1:${server.port}`,
    },
  });
}

async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  context.setDefaultTimeout(2 * TIMEOUT);
  return { context, page: await context.newPage() };
}

const PASSWORD = 'a long classroom password';

test('an instructor signs in through the printed link, creates a class, and a student joins it by code', { timeout: 6 * TIMEOUT }, async () => {
  const printed = quai('instructors', 'add', 'ada');
  const link = printed.match(/http:\/\/\S+\/teach\/welcome#[0-9a-f]{64}/)?.[0];
  assert.ok(link, printed);

  const teacher = await newPage();
  await teacher.page.goto(link);
  await teacher.page.locator('[data-test-id=welcome-page]').waitFor();
  await teacher.page.screenshot({ path: join(artifacts, 'class-welcome.png'), animations: 'disabled' });
  await teacher.page.locator('[data-test-id=welcome-password]').fill(PASSWORD);
  await teacher.page.locator('[data-test-id=welcome-submit]').click();
  await teacher.page.waitForURL(/\/teach$/);
  assert.equal(await teacher.page.locator('[data-test-id=teach-who]').innerText(), 'ada');
  await teacher.page.locator('[data-test-id=no-classes]').waitFor();

  await teacher.page.locator('[data-test-id=new-class-title]').fill('Containers, morning group');
  await teacher.page.locator('[data-test-id=new-class-seats]').fill('2');
  await teacher.page.locator('[data-test-id=new-class-lesson]').selectOption('blank:shell');
  // The lessons come into the list after the page draws: a choice made before stays.
  await teacher.page.locator('[data-test-id=new-class-lesson] option[value=first-container]').waitFor({ state: 'attached' });
  assert.equal(await teacher.page.locator('[data-test-id=new-class-lesson]').inputValue(), 'blank:shell');
  await teacher.page.locator('[data-test-id=new-class-submit]').click();
  const row = teacher.page.locator('[data-test-id=class-row]');
  await row.waitFor();
  const code = (await row.locator('[data-test-id=class-code]').innerText()).trim();
  assert.match(code, /^[A-Z0-9]{6}$/);
  const joinUrl = await row.locator('[data-test-id=class-join-url]').innerText();
  assert.equal(joinUrl, `${server.url}/join/${code}`);
  await teacher.page.screenshot({ path: join(artifacts, 'class-teach.png'), animations: 'disabled' });

  // The link was used up.
  const again = await newPage();
  await again.page.goto(link);
  await again.page.locator('[data-test-id=welcome-password]').fill('another long password');
  await again.page.locator('[data-test-id=welcome-submit]').click();
  await again.page.locator('[data-test-id=welcome-error]').waitFor();
  assert.match(await again.page.locator('[data-test-id=welcome-error]').innerText(), /already used or has expired/);
  await again.context.close();

  // A student in another browser: a wrong code first, then the class's address.
  const student = await newPage();
  await student.page.goto(`${server.url}/join`);
  await student.page.locator('[data-test-id=join-page]').waitFor();
  await student.page.locator('[data-test-id=join-code]').fill('ACDEFG');
  await student.page.locator('[data-test-id=join-name]').fill('Grace');
  await student.page.locator('[data-test-id=join-submit]').click();
  await student.page.locator('[data-test-id=join-error]').waitFor();
  assert.match(await student.page.locator('[data-test-id=join-error]').innerText(), /No class has this code/);
  await student.page.screenshot({ path: join(artifacts, 'class-join-wrong-code.png'), animations: 'disabled' });

  await student.page.goto(joinUrl);
  assert.equal(await student.page.locator('[data-test-id=join-code]').inputValue(), code);
  await student.page.locator('[data-test-id=join-name]').fill('Grace');
  await student.page.screenshot({ path: join(artifacts, 'class-join.png'), animations: 'disabled' });
  await student.page.locator('[data-test-id=join-submit]').click();
  await student.page.waitForURL(/\/s\/[0-9a-f]{32}$/, { timeout: 2 * TIMEOUT });
  await waitForText(student.page, server, 'a prompt in the seat', hasPrompt);

  // The instructor's page counts the seat (it reads the list again every few seconds).
  await teacher.page.locator('[data-test-id=class-seats]', { hasText: '1 / 2' }).waitFor({ timeout: 30_000 });

  // Signed out, the password signs in again.
  await teacher.page.locator('[data-test-id=sign-out]').click();
  await teacher.page.locator('[data-test-id=sign-in]').waitFor();
  await teacher.page.screenshot({ path: join(artifacts, 'class-sign-in.png'), animations: 'disabled' });
  await teacher.page.locator('[data-test-id=sign-in-name]').fill('ada');
  await teacher.page.locator('[data-test-id=sign-in-password]').fill('not the password');
  await teacher.page.locator('[data-test-id=sign-in-submit]').click();
  await teacher.page.locator('[data-test-id=sign-in-error]').waitFor();
  await teacher.page.locator('[data-test-id=sign-in-password]').fill(PASSWORD);
  await teacher.page.locator('[data-test-id=sign-in-submit]').click();
  await teacher.page.locator('[data-test-id=class-row]').waitFor();

  await student.context.close();
  await teacher.context.close();
});

test('the join page speaks French too', { timeout: 2 * TIMEOUT }, async () => {
  const context = await browser.newContext({ locale: 'fr-FR' });
  const page = await context.newPage();
  await page.goto(`${server.url}/join/ACDEFG`);
  await page.locator('[data-test-id=join-name]').fill('Ada');
  await page.locator('[data-test-id=join-submit]').click();
  await page.locator('[data-test-id=join-error]').waitFor();
  assert.match(await page.locator('[data-test-id=join-error]').innerText(), /Aucune classe n’a ce code/);
  await context.close();
});
