// End to end in headless Chromium, the way a student takes a lesson: pick it in the catalog,
// start it, click a block that runs in the terminal, press Check and pass, press Check on the
// next step and read the hint, click a block hiding text and see only the shown text run,
// reload and find the progress kept, switch to French and see the untranslated step say so,
// finish the lesson, end the session and start it again.
//
// The server serves the fixture lessons of e2e/fixtures/lessons/ (QUAI_LESSONS_DIR) and keeps
// progress in a fresh database. By hand: `node --test e2e/lessons.test.mjs`.

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
  run,
  sessionContainers,
  startServer,
  terminalText,
  waitForText,
} from './lib/quai.mjs';

let server;
let browser;
// One student (one browser profile, so one `quai_student` cookie) through the tests below.
let student;
let page;
let lessonUrl;
let sessionId;

const card = (slug) => `[data-test-id=lesson-card][data-slug=${slug}]`;
const place = () => page.locator('[data-test-id=lesson-page]').getAttribute('data-place');

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  server = await startServer({ lessonsDir: join(fixtures, 'lessons') });
  browser = await launchBrowser();
  student = await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: 'en-US' });
  student.setDefaultTimeout(TIMEOUT);
  await student.grantPermissions(['clipboard-read', 'clipboard-write']);
  page = await student.newPage();
});

after(async () => {
  await student?.close();
  await browser?.close();
  await server?.stop();
});

test('the catalog lists the lessons with their progress, and says why one cannot start', async () => {
  await page.goto(`${server.url}/`);
  await page.locator(card('quai-basics')).waitFor();
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  const basics = page.locator(card('quai-basics'));
  assert.match(await basics.innerText(), /Quai basics/);
  assert.match(await basics.innerText(), /5 min/);
  assert.match(await basics.innerText(), /2 steps/);
  assert.equal(await basics.locator('[data-test-id=lesson-progress]').innerText(), '0/2 passed');
  assert.match(await basics.locator('[data-test-id=open-lesson]').innerText(), /^Start/);

  const blocked = page.locator(card('needs-an-image'));
  assert.match(await blocked.locator('[data-test-id=lesson-missing]').innerText(), /quai-no-such-image/);
  assert.equal(await blocked.locator('[data-test-id=open-lesson]').count(), 0, 'a blocked lesson has no start button');
  // The blank playground is still one click away.
  await page.locator('[data-test-id=start-playground]').waitFor();
  await page.screenshot({ path: join(artifacts, 'lessons-catalog.png'), fullPage: true });
});

test('a student starts the lesson, runs a block, passes step 1 and reads the hint of step 2', { timeout: 5 * TIMEOUT }, async () => {
  await page.locator(card('quai-basics')).locator('[data-test-id=open-lesson]').click();
  await page.waitForURL(/\/lessons\/quai-basics$/);
  await page.locator('[data-test-id=lesson-intro]').waitFor();
  assert.match(await page.locator('[data-test-id=lesson-intro]').innerText(), /Create a file\s+2\s+Write a greeting/);
  await page.screenshot({ path: join(artifacts, 'lessons-intro.png') });

  await page.locator('[data-test-id=start-lesson]').click();
  await page.waitForURL(/\/lessons\/quai-basics\/[0-9a-f]+$/);
  lessonUrl = page.url();
  sessionId = lessonUrl.split('/').pop();
  await waitForText(page, server, 'a shell prompt', hasPrompt);
  assert.equal(await place(), 'step-1');
  assert.ok(sessionContainers(sessionId).length > 0, 'the lesson runs in containers of its session');

  // Click to run: the block is typed into the terminal and runs.
  const block = page.locator('[data-test-id=run-block]').first();
  assert.match(await block.innerText(), /touch \/tmp\/quai-ok/);
  await block.click();
  await waitForText(page, server, 'the block to run', (t) => t.includes('created /tmp/quai-42'));
  // Any other block has a copy button; the hint stays folded until opened.
  const copy = page.locator('[data-test-id=lesson-text] pre.quai-copy [data-test-id=copy]');
  assert.equal(await copy.count(), 1);
  await copy.click();
  await eventually('the block on the clipboard', async () =>
    (await page.evaluate(() => navigator.clipboard.readText())) === 'ls -l /tmp/quai-ok');
  assert.match(await copy.innerText(), /Copied/);
  const hint = page.locator('[data-test-id=lesson-text] details');
  assert.equal(await hint.getAttribute('open'), null);
  await hint.locator('summary').click();
  assert.equal(await hint.getAttribute('open'), '');
  await page.screenshot({ path: join(artifacts, 'lessons-run.png') });

  // Step 2 is locked until step 1 passes.
  assert.equal(await page.locator('[data-test-id=nav-step-2]').isDisabled(), true);
  assert.equal(await page.locator('[data-test-id=next-page]').isDisabled(), true);

  await page.locator('[data-test-id=check]').click();
  await page.locator('[data-test-id=check-passed]').waitFor();
  assert.match(await page.locator('[data-test-id=check-passed]').innerText(), /Step 1 passed/);
  assert.equal(await place(), 'step-2', 'a passed check moves on to the next step');
  assert.equal(await page.locator('[data-test-id=nav-step-1]').getAttribute('data-passed'), 'true');
  assert.match(await page.locator('[data-test-id=lesson-progress]').innerText(), /1\/2 passed/);

  // Step 2 is not done: the check fails and shows what the script printed.
  await page.locator('[data-test-id=check]').click();
  const result = page.locator('[data-test-id=check-result]');
  await result.waitFor();
  assert.equal(await result.getAttribute('data-passed'), 'false');
  assert.match(await result.innerText(), /Not yet/);
  assert.equal(
    await page.locator('[data-test-id=check-output]').innerText(),
    '/tmp/greeting does not say hello yet.',
    'the hint is the English half of the script\'s bilingual sentence',
  );
  await page.screenshot({ path: join(artifacts, 'lessons-check.png') });

  // A block holding text the page does not show (inside a folded <details>) runs exactly what
  // the student reads, never the hidden part.
  const sneaky = page.locator('[data-test-id=run-block]', { hasText: 'shown-' });
  assert.doesNotMatch(await sneaky.innerText(), /HIDDEN/);
  // Its first line, where the shown command is (a click on the fold's marker opens it).
  await sneaky.click({ position: { x: 24, y: 20 } });
  const after = await waitForText(page, server, 'the shown command to run', (t) => t.includes('shown-5'));
  assert.doesNotMatch(after, /HIDDEN|RAN-8/, 'hidden text was typed into the terminal');
});

test('reloading the page reconnects to the same session and keeps the progress', { timeout: 3 * TIMEOUT }, async () => {
  await page.reload();
  await page.locator('[data-test-id=lesson-page][data-place=step-2]').waitFor();
  assert.equal(page.url(), lessonUrl);
  assert.equal(await page.locator('[data-test-id=nav-step-1]').getAttribute('data-passed'), 'true');
  assert.match(await page.locator('[data-test-id=lesson-progress]').innerText(), /1\/2 passed/);
  // The same shell, with its scrollback.
  await waitForText(page, server, 'the earlier output replayed', (t) => t.includes('created /tmp/quai-42'));
  await eventually('the socket to connect', async () =>
    (await page.locator('[data-test-id=connection-status]').innerText()) === 'connected');

  // The catalog counts the passed step too, and the lesson's page offers to continue.
  await page.goto(`${server.url}/`);
  assert.equal(await page.locator(card('quai-basics')).locator('[data-test-id=lesson-progress]').innerText(), '1/2 passed');
  assert.match(await page.locator(card('quai-basics')).locator('[data-test-id=open-lesson]').innerText(), /^Continue/);
  await page.locator(card('quai-basics')).locator('[data-test-id=open-lesson]').click();
  await page.locator('[data-test-id=continue-lesson]').click();
  await page.waitForURL(lessonUrl);
  await page.locator('[data-test-id=lesson-page][data-place=step-2]').waitFor();

  // The session's playground address shows it beside its lesson too.
  await page.goto(`${server.url}/s/${sessionId}`);
  await page.waitForURL(lessonUrl);
  await page.locator('[data-test-id=lesson-page][data-place=step-2]').waitFor();
});

test('in French, the interface and the lesson are French, and the untranslated step says so', { timeout: 3 * TIMEOUT }, async () => {
  await page.locator('[data-test-id=lang-fr]').click();
  await eventually('<html lang="fr">', async () => (await page.locator('html').getAttribute('lang')) === 'fr');
  await page.locator('[data-test-id=lesson-title]', { hasText: 'Les bases de Quai' }).waitFor();
  assert.equal(await page.locator('[data-test-id=end-session]').innerText(), 'Terminer la session');
  assert.match(await page.locator('[data-test-id=countdown]').innerText(), /^reste \d/);
  assert.match(await page.locator('[data-test-id=lesson-progress]').innerText(), /1\/2 réussie/);

  // Step 2 has no French page: it shows in English, with a notice.
  assert.equal(await place(), 'step-2', 'switching language keeps the student where they are');
  const notice = page.locator('[data-test-id=untranslated]');
  await notice.waitFor();
  assert.match(await notice.innerText(), /pas encore traduite/);
  assert.equal(await page.locator('[data-test-id=lesson-text]').getAttribute('lang'), 'en');
  assert.equal(await page.locator('[data-test-id=check]').innerText(), 'Vérifier');
  await page.screenshot({ path: join(artifacts, 'lessons-fr-untranslated.png') });

  // Step 1 is translated: no notice.
  await page.locator('[data-test-id=nav-step-1]').click();
  await page.locator('.lesson-page-title', { hasText: 'Créer un fichier' }).waitFor();
  assert.equal(await notice.count(), 0);
  assert.equal(await page.locator('[data-test-id=lesson-text]').getAttribute('lang'), 'fr');
  assert.match(await page.locator('[data-test-id=run-block]').first().innerText(), /Exécuter/);
  await page.screenshot({ path: join(artifacts, 'lessons-fr.png') });

  // The choice is remembered: the home page is French too.
  await page.goto(`${server.url}/`);
  await page.locator(card('quai-basics'), { hasText: 'Les bases de Quai' }).waitFor();
  assert.equal(await page.locator('[data-test-id=start-playground]').innerText(), 'Démarrer un bac à sable');
  assert.equal(await page.locator(card('quai-basics')).locator('[data-test-id=lesson-progress]').innerText(), '1/2 réussie');
  assert.match(await page.locator(card('needs-an-image')).locator('[data-test-id=lesson-missing]').innerText(), /Impossible à lancer ici/);
  await page.screenshot({ path: join(artifacts, 'lessons-catalog-fr.png'), fullPage: true });

  // Back to English for what follows.
  await page.locator('[data-test-id=lang-en]').click();
  await page.locator('[data-test-id=start-playground]', { hasText: 'Start a playground' }).waitFor();
});

test('a browser that prefers French opens in French', async () => {
  const french = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'fr-FR' });
  french.setDefaultTimeout(TIMEOUT);
  try {
    const fr = await french.newPage();
    await fr.goto(`${server.url}/`);
    await fr.locator('[data-test-id=pitch]', { hasText: 'De vrais conteneurs Linux' }).waitFor();
    assert.equal(await fr.locator('html').getAttribute('lang'), 'fr');
    assert.equal(await fr.locator('[data-test-id=lang-fr]').getAttribute('aria-pressed'), 'true');
    // A new student: nothing passed yet.
    assert.equal(await fr.locator(card('quai-basics')).locator('[data-test-id=lesson-progress]').innerText(), '0/2 réussie');
  } finally {
    await french.close();
  }
});

test('the display name is saved for the student', async () => {
  await page.goto(`${server.url}/`);
  const field = page.locator('[data-test-id=display-name]');
  await eventually('the name field to be ready', () => field.isEnabled());
  await field.fill('Ada Lovelace');
  await page.locator('[data-test-id=save-name]').click();
  await page.locator('[data-test-id=name-saved]').waitFor();
  await page.reload();
  await eventually('the saved name to come back', async () => (await field.inputValue()) === 'Ada Lovelace');
  const me = await page.evaluate(() => fetch('/api/me').then((r) => r.json()));
  assert.deepEqual(me, { name: 'Ada Lovelace' });
});

test('the student finishes the lesson, ends the session and starts it again with the progress kept', { timeout: 5 * TIMEOUT }, async () => {
  await page.goto(lessonUrl);
  await page.locator('[data-test-id=lesson-page][data-place=step-2]').waitFor();
  await waitForText(page, server, 'a shell prompt', hasPrompt);
  await run(page, 'echo hello > /tmp/greeting');
  await page.locator('[data-test-id=check]').click();
  await page.locator('[data-test-id=lesson-page][data-place=finish]').waitFor();
  assert.match(await page.locator('[data-test-id=check-passed]').innerText(), /Step 2 passed: you have completed the lesson/);
  assert.equal(await page.locator('[data-test-id=next-page]').count(), 0, 'the finish has no next page');
  assert.match(await page.locator('[data-test-id=lesson-progress]').innerText(), /2\/2 passed/);
  await page.screenshot({ path: join(artifacts, 'lessons-finish.png') });

  await page.locator('[data-test-id=end-session]').click();
  await page.locator('[data-test-id=session-ended]').waitFor();
  await eventually(`the containers of session ${sessionId} to be removed`, () => sessionContainers(sessionId).length === 0);
  assert.match(await page.locator('[data-test-id=progress-kept]').innerText(), /progress in this lesson is kept/);
  // The lesson stays readable beside the ended session.
  await page.locator('[data-test-id=lesson-panel]').waitFor();
  await page.screenshot({ path: join(artifacts, 'lessons-ended.png') });

  await page.locator('[data-test-id=restart-lesson]').click();
  await page.waitForURL((url) => /\/lessons\/quai-basics\/[0-9a-f]+$/.test(url.pathname) && !url.href.endsWith(sessionId));
  const again = page.url().split('/').pop();
  await waitForText(page, server, 'a shell prompt in the new session', hasPrompt);
  await page.locator('[data-test-id=lesson-page][data-place=finish]').waitFor();
  assert.equal(await page.locator('[data-test-id=nav-step-1]').getAttribute('data-passed'), 'true');
  assert.equal(await page.locator('[data-test-id=nav-step-2]').getAttribute('data-passed'), 'true');

  await page.locator('[data-test-id=end-session]').click();
  await page.locator('[data-test-id=session-ended]').waitFor();
  await eventually(`the containers of session ${again} to be removed`, () => sessionContainers(again).length === 0);
});

test('blocks run on the node they name, and an interrupting block stops what runs first', { timeout: 5 * TIMEOUT }, async () => {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: 'en-US' });
  context.setDefaultTimeout(TIMEOUT);
  try {
    const p = await context.newPage();
    await p.goto(`${server.url}/lessons/two-nodes`);
    await p.locator('[data-test-id=start-lesson]').click();
    await p.waitForURL(/\/lessons\/two-nodes\/[0-9a-f]+$/);
    const id = p.url().split('/').pop();
    await waitForText(p, server, 'a shell prompt on node1', hasPrompt);
    assert.equal(await p.locator('[data-test-id=terminal]').getAttribute('data-node'), 'node1');

    // A block for node2 brings node2's terminal to the front and runs there.
    await p.locator('[data-test-id=run-block]').nth(0).click();
    await waitForText(p, server, 'the block to run on node2', (t) => t.includes('on node2 42'));
    assert.equal(await p.locator('[data-test-id=tab-node2]').getAttribute('aria-selected'), 'true');
    assert.equal(await p.locator('[data-test-id=terminal]').getAttribute('data-node'), 'node2');

    // Back on node1, something keeps the shell busy…
    await p.locator('[data-test-id=run-block]').nth(1).click();
    await waitForText(p, server, 'sleep to start on node1', (t) => t.includes('sleep 600'));
    assert.equal(await p.locator('[data-test-id=terminal]').getAttribute('data-node'), 'node1');
    // …until a block with interrupt sends Ctrl-C first.
    await p.locator('[data-test-id=run-block]').nth(2).click();
    await waitForText(p, server, 'the interrupting block to run', (t) => t.includes('interrupted on node1'));
    assert.match(await terminalText(p), /\^C/);

    // Inline code marked {{exec}} runs in the terminal in front.
    await p.locator('[data-test-id=run-inline]').first().click();
    await waitForText(p, server, 'the inline block to run', (t) => t.includes('inline-42'));
    await p.screenshot({ path: join(artifacts, 'lessons-nodes.png') });

    // A check that outlives the lesson's verify_timeout says so.
    await p.locator('[data-test-id=nav-step-2]').click();
    await p.locator('[data-test-id=check]').click();
    await p.locator('[data-test-id=check-timeout]').waitFor();
    assert.equal(await p.locator('[data-test-id=check-result]').getAttribute('data-passed'), 'false');
    assert.match(await p.locator('[data-test-id=check-timeout]').innerText(), /ran out of time/);
    await p.screenshot({ path: join(artifacts, 'lessons-timeout.png') });

    await p.locator('[data-test-id=end-session]').click();
    await p.locator('[data-test-id=session-ended]').waitFor();
    await eventually(`the containers of session ${id} to be removed`, () => sessionContainers(id).length === 0);
  } finally {
    await context.close();
  }
});
