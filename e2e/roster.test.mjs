// End to end in headless Chromium: a class's live roster. An instructor opens the page of a
// class of the fixture lesson `quai-basics` (from /teach); a student in another browser
// context joins, passes step 1, fails step 2 (its hint) and raises a hand: without a reload
// the instructor's roster shows the passed step, the failed one with its hint and the lit
// row; the instructor lowers the hand and the student's button follows; the progress
// downloads as CSV. Screenshots of the class page land in e2e/artifacts.
//
// By hand: `node --test e2e/roster.test.mjs`.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
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

const fixtures = join(root, 'e2e', 'fixtures', 'lessons');
let server;
let browser;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  server = await startServer({ lessonsDir: fixtures });
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
      QUAI_LESSONS_DIR: fixtures,
    },
  });
}

async function newPage(options = {}) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 800 }, acceptDownloads: true, ...options });
  context.setDefaultTimeout(2 * TIMEOUT);
  const page = await context.newPage();
  // What the page said and asked for, shown when it does not get where a test expects.
  const seen = [];
  page.on('console', (m) => seen.push(`console ${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => seen.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => seen.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => { if (r.status() >= 400) seen.push(`${r.status()} ${r.url()}`); });
  return { context, page, seen };
}

/** Waits for `selector` on `page`; on timeout the error says what the page showed and met. */
async function showsUp({ page, seen }, selector) {
  try {
    await page.locator(selector).waitFor();
  } catch (err) {
    const body = await page.locator('body').innerText().catch(() => '');
    err.message += `\n--- ${page.url()} ---\n${body}\n--- page events ---\n${seen.join('\n')}\n--- server log (end) ---\n${server.log().slice(-3000)}`;
    throw err;
  }
}

test('the roster shows a student\'s passed check and raised hand without a reload, and progress downloads as CSV', { timeout: 8 * TIMEOUT }, async () => {
  const printed = quai('instructors', 'add', 'ada');
  const link = printed.match(/http:\/\/\S+\/teach\/welcome#[0-9a-f]{64}/)?.[0];
  assert.ok(link, printed);
  const created = JSON.parse(quai('class', 'create', '--title', 'Quai basics, room 2', '--seats', '2',
    '--lesson', 'quai-basics', '--json').trim());

  const teacher = await newPage();
  await teacher.page.goto(link);
  await teacher.page.locator('[data-test-id=welcome-password]').fill('a long classroom password');
  await teacher.page.locator('[data-test-id=welcome-submit]').click();
  await teacher.page.waitForURL(/\/teach$/);
  await teacher.page.locator('[data-test-id=class-open] a').click();
  await teacher.page.waitForURL(new RegExp(`/teach/classes/${created.id}$`));
  await teacher.page.locator('[data-test-id=no-students]').waitFor();
  assert.equal(await teacher.page.locator('[data-test-id=class-code]').innerText(), created.code);
  assert.equal(await teacher.page.locator('[data-test-id=class-join-url]').innerText(), created.join_url);
  assert.equal(await teacher.page.locator('[data-test-id=class-side]').count(), 1);
  // Marks the document: a reload would lose it.
  await teacher.page.evaluate(() => { window.quaiNoReload = true; });

  // The student joins, passes step 1, fails step 2 and raises a hand.
  const student = await newPage();
  await student.page.goto(created.join_url);
  await showsUp(student, '[data-test-id=join-name]');
  await student.page.locator('[data-test-id=join-name]').fill('Grace');
  await student.page.locator('[data-test-id=join-submit]').click();
  await student.page.waitForURL(/\/lessons\/quai-basics\/[0-9a-f]{32}$/, { timeout: 2 * TIMEOUT });
  await waitForText(student.page, server, 'a prompt in the seat', hasPrompt);
  await student.page.locator('[data-test-id=run-block]').first().click();
  await waitForText(student.page, server, 'the block to run', (t) => t.includes('created /tmp/quai-42'));
  await student.page.locator('[data-test-id=check]').click();
  await student.page.locator('[data-test-id=check-passed]').waitFor();
  await student.page.locator('[data-test-id=check]').click();
  await student.page.locator('[data-test-id=check-result][data-passed=false]').waitFor();
  const hand = student.page.locator('[data-test-id=raise-hand]');
  await hand.click();
  await student.page.locator('[data-test-id=raise-hand][data-raised=true]').waitFor();
  await student.page.screenshot({ path: join(artifacts, 'roster-student-hand.png'), animations: 'disabled' });

  // The instructor's roster shows it all, by itself.
  const row = teacher.page.locator('[data-test-id=roster-row]');
  await teacher.page.locator('[data-test-id=roster-row][data-hand=true]').waitFor({ timeout: 15_000 });
  assert.equal(await row.count(), 1);
  assert.equal(await row.locator('[data-test-id=roster-name]').innerText(), 'Grace');
  const cells = row.locator('[data-test-id=step-cell]');
  await teacher.page.locator('[data-test-id=step-cell][data-state=failed]').waitFor();
  assert.deepEqual(
    await cells.evaluateAll((tds) => tds.map((td) => td.getAttribute('data-state'))),
    ['passed', 'failed'],
  );
  assert.equal(await row.locator('[data-test-id=last-hint]').innerText(), '/tmp/greeting does not say hello yet.');
  assert.match(await row.locator('[data-test-id=on-step]').innerText(), /^Step 2 · \d+:\d\d$/);
  assert.equal(await row.locator('[data-test-id=presence]').getAttribute('data-presence'), 'online');
  assert.equal(await row.locator('[data-test-id=hand-raised]').count(), 1);
  assert.equal(await teacher.page.evaluate(() => window.quaiNoReload), true, 'the page was not reloaded');
  await teacher.page.screenshot({ path: join(artifacts, 'roster-class-page.png'), animations: 'disabled' });

  // The instructor lowers the hand; the student's button follows.
  await row.locator('[data-test-id=lower-hand]').click();
  await teacher.page.locator('[data-test-id=roster-row][data-hand=false]').waitFor();
  await student.page.locator('[data-test-id=raise-hand][data-raised=false]').waitFor({ timeout: 15_000 });

  // The progress downloads as CSV.
  const [download] = await Promise.all([
    teacher.page.waitForEvent('download'),
    teacher.page.locator('[data-test-id=download-csv]').click(),
  ]);
  const csv = readFileSync(await download.path(), 'utf8');
  const lines = csv.split('\r\n');
  assert.equal(lines[0], 'student,seat,joined,step 1 passed,step 1 failed checks,step 2 passed,step 2 failed checks');
  assert.match(lines[1], /^Grace,[0-9a-f]{12},\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ,\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ,0,,1$/);
  assert.match(download.suggestedFilename(), /\.csv$/);

  // The page in French.
  const french = await newPage({ locale: 'fr-FR', storageState: await teacher.context.storageState() });
  await french.page.goto(`${server.url}/teach/classes/${created.id}`);
  await french.page.locator('[data-test-id=roster-row]').waitFor();
  assert.match(await french.page.locator('[data-test-id=on-step]').innerText(), /^Étape 2/);
  assert.equal(await french.page.locator('[data-test-id=last-hint]').innerText(), '/tmp/greeting ne contient pas encore hello.');
  await french.page.screenshot({ path: join(artifacts, 'roster-class-page-fr.png'), animations: 'disabled' });

  await french.context.close();
  await student.context.close();
  await teacher.context.close();
});
