// End to end in headless Chromium: a class going on, with an instructor and three students
// in separate browser contexts. The instructor peeks at a student's terminal (what the
// student types shows in the tile; the student's page says who watches), asks to type,
// the student lets them, and the instructor's keys reach the student's terminal; the
// instructor's demo terminal goes on air and what is typed in it reaches every student's
// page; a recording made in the demo stays with the class, replays on its page and
// downloads as asciicast v2; ending the class removes every container.
//
// Runs the real server (target/release/quai, or $QUAI_BIN) on free ports with its own
// instance label. By hand: `node --test e2e/live.test.mjs`.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  TIMEOUT,
  artifacts,
  eventually,
  hasPrompt,
  launchBrowser,
  root,
  run,
  sessionContainers,
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

async function newContext() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  context.setDefaultTimeout(2 * TIMEOUT);
  return context;
}

/** The text of the xterm.js inside `locator` (a viewer). */
async function viewerText(locator) {
  const rows = locator.locator('.xterm-rows').first();
  if ((await rows.count()) === 0) return '';
  return (await rows.innerText()).replace(/\u00a0/g, ' ');
}

test('an instructor peeks, helps with consent, broadcasts and records, and ending the class removes everything', { timeout: 10 * TIMEOUT }, async () => {
  const link = quai('instructors', 'add', 'ada').match(/http:\/\/\S+\/teach\/welcome#[0-9a-f]{64}/)[0];
  const created = JSON.parse(quai('class', 'create', '--title', 'Live class', '--seats', '3', '--profile', 'shell', '--json').trim());

  const teacherContext = await newContext();
  const teacher = await teacherContext.newPage();
  await teacher.goto(link);
  await teacher.locator('[data-test-id=welcome-password]').fill('a long classroom password');
  await teacher.locator('[data-test-id=welcome-submit]').click();
  await teacher.waitForURL(/\/teach$/);

  // Three students join by the class's address, each in a browser of their own.
  const names = ['Ann', 'Ben', 'Cy'];
  const students = [];
  for (const name of names) {
    const context = await newContext();
    const page = await context.newPage();
    await page.goto(created.join_url);
    await page.locator('[data-test-id=join-name]').fill(name);
    await page.locator('[data-test-id=join-submit]').click();
    await page.waitForURL(/\/s\/[0-9a-f]{32}$/, { timeout: 2 * TIMEOUT });
    await waitForText(page, server, `a prompt for ${name}`, hasPrompt);
    students.push({ name, context, page });
  }
  const [ann] = students;

  await teacher.goto(`${server.url}/teach/classes/${created.id}`);
  const live = teacher.locator('[data-test-id=class-live]');
  await live.waitFor();

  // Peek at Ann's terminal: what she types shows in the tile; her page says who watches.
  await live.locator('[data-test-id=peek-seat][data-name=Ann]').click();
  const tile = live.locator('[data-test-id=peek-tile][data-name=Ann]');
  await tile.locator('[data-test-id=viewer] .xterm-rows').waitFor();
  await ann.page.locator('[data-test-id=watched]', { hasText: 'ada is watching terminal 1' }).waitFor();
  await run(ann.page, 'echo peek-$((6*7))');
  await eventually('the tile to show what Ann typed', async () => (await viewerText(tile)).includes('peek-42'));

  // Help, with Ann's yes.
  await tile.locator('[data-test-id=ask-help]').click();
  await ann.page.locator('[data-test-id=help-request]').waitFor();
  await ann.page.screenshot({ path: join(artifacts, 'live-help-request.png'), animations: 'disabled' });
  await ann.page.locator('[data-test-id=help-allow]').click();
  await eventually('the tile to let the instructor type', async () => (await tile.getAttribute('data-help')) === 'some(granted)');
  await ann.page.locator('[data-test-id=help-typing]').waitFor();
  await tile.locator('[data-test-id=viewer]').click();
  await teacher.keyboard.type('echo helped-$((40+2))');
  await teacher.keyboard.press('Enter');
  await waitForText(ann.page, server, 'the helper\'s command in Ann\'s terminal', (t) => t.includes('helped-42'));
  await teacher.screenshot({ path: join(artifacts, 'live-peek.png'), animations: 'disabled' });
  await ann.page.locator('[data-test-id=help-stop]').click();
  await eventually('help to end', async () => (await tile.getAttribute('data-help')) === 'some(ended)');

  // The demo terminal on air: what the instructor types reaches every student.
  const [demo] = await Promise.all([
    teacherContext.waitForEvent('page'),
    live.locator('[data-test-id=open-demo]').click(),
  ]);
  await demo.waitForURL(/\/s\/[0-9a-f]{32}$/, { timeout: 2 * TIMEOUT });
  await waitForText(demo, server, 'a prompt in the demo', hasPrompt);
  const toggle = live.locator('[data-test-id=broadcast-toggle]');
  await eventually('the broadcast button to be ready', async () => !(await toggle.isDisabled()));
  await toggle.click();
  await eventually('the broadcast to be on', async () => (await toggle.getAttribute('data-live')) === 'true');
  for (const student of students) {
    await student.page.locator('[data-test-id=on-air][data-live=true]').waitFor();
  }
  await demo.locator('[data-test-id=record-terminal]').click();
  await eventually('the demo to record', async () => (await demo.locator('[data-test-id=record-terminal]').getAttribute('data-recording')) === 'true');
  await run(demo, 'echo on-air-$((6*7))');
  await waitForText(demo, server, 'the demo\'s echo', (t) => t.includes('on-air-42'));
  for (const student of students) {
    const panel = student.page.locator('[data-test-id=on-air-viewer]');
    await eventually(`${student.name}'s page to show the demo`, async () => (await viewerText(panel)).includes('on-air-42'));
  }
  await students[1].page.screenshot({ path: join(artifacts, 'live-on-air.png'), animations: 'disabled' });
  await eventually('the audience to be counted', async () => /3 watching/.test(await live.locator('[data-test-id=audience]').innerText().catch(() => '')));
  await demo.locator('[data-test-id=record-terminal]').click();
  await eventually('the recording to stop', async () => (await demo.locator('[data-test-id=record-terminal]').getAttribute('data-recording')) === 'false');
  await toggle.click();
  for (const student of students) {
    // Off air, the panel takes no room.
    await student.page.locator('[data-test-id=on-air][data-live=false]').waitFor({ state: 'attached' });
  }

  // The recording stays with the class: it replays on the class's page and downloads.
  const row = live.locator('[data-test-id=class-recording]');
  await row.waitFor({ timeout: 30_000 });
  await row.locator('[data-test-id=play-class-recording]').click();
  const player = live.locator('[data-test-id=class-recording-player]');
  await eventually('the class player to show the demo', async () => (await player.innerText()).includes('on-air-42'));
  const [download] = await Promise.all([
    teacher.waitForEvent('download'),
    row.locator('a[download]').click(),
  ]);
  const [header, ...events] = readFileSync(await download.path(), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(header.version, 2);
  assert.ok(events.some(([, code, data]) => code === 'o' && data.includes('on-air-42')));

  // Ending the class removes every seat, and the demo.
  const ended = await teacher.evaluate(async (id) => (await fetch(`/api/classes/${id}/end`, { method: 'POST' })).status, created.id);
  assert.equal(ended, 200);
  for (const student of students) {
    await student.page.locator('[data-test-id=session-ended]').waitFor({ timeout: 2 * TIMEOUT });
  }
  await demo.locator('[data-test-id=session-ended]').waitFor({ timeout: 2 * TIMEOUT });
  const ids = [...students.map(({ page }) => page.url()), demo.url()].map((url) => url.match(/\/s\/([0-9a-f]{32})/)[1]);
  await eventually('every seat and the demo to be removed', () => ids.every((id) => sessionContainers(id).length === 0));
  for (const { context } of students) await context.close();
  await teacherContext.close();
});
