// End to end in headless Chromium: the files of a node, as a person moves them. Files dropped
// on a terminal land in its shell's folder and a folder picked in the files panel lands in the
// folder it shows, both seen by `ls`; uploads that would leave their folder (`../`, a symlink
// out of it) or exceed the limit are refused with the server's reason and write nothing; a
// folder downloads as a tar.gz holding its files; the editor opens, saves and creates text
// files and refuses binary and big ones.
//
// Runs the real server (target/release/quai, or $QUAI_BIN) with a transfer limit of 1 MB, on a
// free port with its own instance label. By hand: `node --test e2e/files.test.mjs`.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  TIMEOUT,
  artifacts,
  dropFiles,
  endSession,
  launchBrowser,
  openFiles,
  openPlayground,
  run,
  startServer,
  transferOutcome,
  transferSeq,
  waitForText,
} from './lib/quai.mjs';

let server;
let browser;
let scratch;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  scratch = mkdtempSync(join(tmpdir(), 'quai-e2e-files-'));
  server = await startServer({ env: { QUAI_TRANSFER_LIMIT_MB: '1' } });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** A folder on this machine, for the folder picker: `{ 'a/b.txt': 'text' }` under `root/name`. */
function folder(name, files) {
  const dir = join(mkdtempSync(join(scratch, 'pick-')), name);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

/** Runs `line` and waits for `marker` in the terminal. */
async function runAndWait(page, line, marker) {
  await run(page, `${line}; echo ${marker.slice(0, -1)}''${marker.slice(-1)}`);
  return waitForText(page, server, marker, (t) => t.includes(marker));
}

test('files dropped on a terminal and a folder picked in the files panel show in ls', { timeout: 5 * TIMEOUT }, async () => {
  const session = await openPlayground(browser, server);
  const { page } = session;
  await run(page, 'mkdir -p /root/inbox && cd /root/inbox && clear');
  await waitForText(page, server, 'the shell in /root/inbox', (t) => /~\/inbox[#$]/.test(t));

  // Two files dragged from the desktop onto the terminal go where its shell is.
  let seq = await transferSeq(page);
  await dropFiles(page, page.locator('[data-test-id=terminal]'), [
    { name: 'notes.txt', content: 'dropped on the terminal\n' },
    { name: 'plan.md', content: '# Plan\n' },
  ]);
  let outcome = await transferOutcome(page, seq);
  assert.deepEqual(outcome, { state: 'done', text: '2 files uploaded to /root/inbox' });
  await runAndWait(page, 'ls; cat notes.txt', 'LS-DONE');
  let text = await waitForText(page, server, 'the dropped files', (t) => t.includes('dropped on the terminal'));
  assert.match(text, /notes\.txt\s+plan\.md/);

  // A folder picked in the files panel goes into the folder the panel shows.
  const panel = await openFiles(page);
  await panel.locator('[data-test-id=file-entry][data-name=inbox] [data-test-id=file-open]').click();
  await panel.locator('[data-test-id=file-entry][data-name="notes.txt"]').waitFor();
  assert.equal(await panel.getAttribute('data-path'), '/root/inbox');
  const project = folder('project', {
    'README.md': '# Project\n',
    'src/main.py': 'print("hello from the project")\n',
    'src/lib/util.py': 'X = 42\n',
  });
  seq = await transferSeq(page);
  await page.locator('[data-test-id=upload-folder-input]').setInputFiles(project);
  outcome = await transferOutcome(page, seq);
  assert.deepEqual(outcome, { state: 'done', text: '3 files uploaded to /root/inbox' });
  // The panel shows the new folder without being asked.
  await panel.locator('[data-test-id=file-entry][data-name=project][data-kind=dir]').waitFor();
  await page.screenshot({ path: join(artifacts, 'files-upload.png'), animations: 'disabled' });

  await runAndWait(page, 'clear; find project -type f | sort; python3 project/src/main.py', 'FIND-DONE');
  text = await waitForText(page, server, 'the uploaded folder', (t) => t.includes('hello from the project'));
  assert.match(text, /project\/README\.md\s+project\/src\/lib\/util\.py\s+project\/src\/main\.py/);
  assert.equal(await page.locator('[data-test-id=error-banner]').count(), 0, 'no error banner');
  await endSession(session);
});

test('uploads that leave their folder or exceed the limit are refused with the reason, and write nothing', { timeout: 5 * TIMEOUT }, async () => {
  const session = await openPlayground(browser, server);
  const { page } = session;
  const terminal = page.locator('[data-test-id=terminal]');
  await run(page, 'mkdir -p /root/trap && ln -s /etc /root/trap/etc && cd /root/trap && clear');
  await waitForText(page, server, 'the shell in /root/trap', (t) => /~\/trap[#$]/.test(t));

  // A name with `../` in it.
  let seq = await transferSeq(page);
  await dropFiles(page, terminal, [{ name: '../escape.txt', content: 'out\n' }]);
  let outcome = await transferOutcome(page, seq);
  assert.equal(outcome.state, 'failed');
  assert.equal(outcome.text, 'The upload failed: `../escape.txt` leaves the folder it is sent to (absolute, or with `..`).');

  // A folder whose name is a symlink out of the target folder.
  seq = await transferSeq(page);
  await dropFiles(page, terminal, [{ name: 'etc/quai-owned.txt', content: 'owned\n' }]);
  outcome = await transferOutcome(page, seq);
  assert.equal(outcome.state, 'failed');
  assert.match(outcome.text, /^The upload failed: \/etc\/quai-owned\.txt is outside \/root\/trap: nothing was written/);
  await page.screenshot({ path: join(artifacts, 'files-refused.png'), animations: 'disabled' });

  // More than the server's limit (1 MB here).
  seq = await transferSeq(page);
  await dropFiles(page, terminal, [{ name: 'big.bin', content: 'x'.repeat(1_500_000) }]);
  outcome = await transferOutcome(page, seq);
  assert.equal(outcome.state, 'failed');
  assert.match(outcome.text, /^The upload failed: .*(1 MB|more than this playground)/);

  await runAndWait(page, 'clear; ls -A /root/escape.txt /root/trap/big.bin /etc/quai-owned.txt 2>&1 | wc -l; ls /root/trap', 'CHECK-DONE');
  const text = await waitForText(page, server, 'the listing', (t) => /CHECK-DONE/.test(t));
  assert.match(text, /^3$/m, 'three "No such file" lines: nothing was written');
  assert.doesNotMatch(text, /quai-owned\.txt\s*$/m);
  await endSession(session);
});

test('a folder downloads as a tar.gz of its files, and a file as it is', { timeout: 5 * TIMEOUT }, async () => {
  const session = await openPlayground(browser, server);
  const { page } = session;
  await run(page, "mkdir -p /root/site/css && echo '<h1>Quai</h1>' > /root/site/index.html && echo 'body { margin: 0 }' > /root/site/css/main.css");
  const panel = await openFiles(page);
  await panel.locator('[data-test-id=files-refresh]').click();
  const site = panel.locator('[data-test-id=file-entry][data-name=site]');
  await site.waitFor();

  const [folderDownload] = await Promise.all([
    page.waitForEvent('download'),
    site.locator('[data-test-id=file-download]').click(),
  ]);
  assert.equal(folderDownload.suggestedFilename(), 'site.tar.gz');
  const archive = join(scratch, 'site.tar.gz');
  await folderDownload.saveAs(archive);
  const members = execFileSync('tar', ['-tzf', archive], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
  assert.deepEqual(members, ['site/', 'site/css/', 'site/css/main.css', 'site/index.html']);
  assert.equal(execFileSync('tar', ['-xzOf', archive, 'site/css/main.css'], { encoding: 'utf8' }), 'body { margin: 0 }\n');

  await site.locator('[data-test-id=file-open]').click();
  const index = panel.locator('[data-test-id=file-entry][data-name="index.html"]');
  const [fileDownload] = await Promise.all([
    page.waitForEvent('download'),
    index.locator('[data-test-id=file-download]').click(),
  ]);
  assert.equal(fileDownload.suggestedFilename(), 'index.html');
  const saved = join(scratch, 'index.html');
  await fileDownload.saveAs(saved);
  assert.equal(readFileSync(saved, 'utf8'), '<h1>Quai</h1>\n');
  await endSession(session);
});

test('the editor opens, saves and creates text files, and refuses binary and big ones', { timeout: 5 * TIMEOUT }, async () => {
  const session = await openPlayground(browser, server);
  const { page } = session;
  await run(page, "printf 'FROM debian:12\\n' > Dockerfile && cp /bin/true program && head -c 1100000 /dev/zero | tr '\\0' a > big.txt && clear");
  const panel = await openFiles(page);
  await panel.locator('[data-test-id=files-refresh]').click();
  await panel.locator('[data-test-id=file-entry][data-name="big.txt"]').waitFor();

  // Open, change, save with Ctrl+S.
  await panel.locator('[data-test-id=file-entry][data-name=Dockerfile] [data-test-id=file-open]').click();
  const editor = page.locator('[data-test-id=editor]');
  const area = editor.locator('[data-test-id=editor-text]');
  await area.waitFor();
  assert.equal(await area.inputValue(), 'FROM debian:12\n');
  await area.press('Control+End');
  await area.pressSequentially('RUN echo built > /built\nCMD ["cat", "/built"]\n');
  assert.equal(await editor.locator('[data-test-id=editor-status]').getAttribute('data-state'), 'unsaved');
  await page.screenshot({ path: join(artifacts, 'files-editor.png'), animations: 'disabled' });
  await area.press('Control+s');
  await editor.locator('[data-test-id=editor-status][data-state=saved]').waitFor();
  await editor.locator('[data-test-id=editor-close]').click();
  await editor.waitFor({ state: 'detached' });
  await runAndWait(page, 'cat Dockerfile', 'CAT-DONE');
  await waitForText(page, server, 'the saved Dockerfile', (t) => t.includes('CMD ["cat", "/built"]'));

  // A new file: created empty, opened, written.
  await panel.locator('[data-test-id=new-file]').click();
  await panel.locator('[data-test-id=new-file-name]').fill('compose.yaml');
  await panel.locator('[data-test-id=new-file-create]').click();
  await area.waitFor();
  assert.equal(await editor.getAttribute('data-path'), '/root/compose.yaml');
  await area.fill('services:\n  web:\n    image: nginx\n');
  await editor.locator('[data-test-id=editor-save]').click();
  await editor.locator('[data-test-id=editor-status][data-state=saved]').waitFor();
  await panel.locator('[data-test-id=file-entry][data-name="compose.yaml"]').waitFor();
  await editor.locator('[data-test-id=editor-close]').click();
  await runAndWait(page, 'clear; cat compose.yaml', 'YAML-DONE');
  await waitForText(page, server, 'the new file', (t) => t.includes('image: nginx'));

  // Binary and big files are refused, with a way to download them instead.
  await panel.locator('[data-test-id=file-entry][data-name=program] [data-test-id=file-open]').click();
  await editor.locator('[data-test-id=editor-error]').waitFor();
  assert.equal(
    await editor.locator('[data-test-id=editor-error]').innerText(),
    'The file could not be opened: `/root/program` is not a text file; download it instead.',
  );
  assert.equal(await editor.locator('[data-test-id=editor-download]').getAttribute('download'), 'program');
  await page.screenshot({ path: join(artifacts, 'files-binary.png'), animations: 'disabled' });
  await editor.locator('[data-test-id=editor-close]').click();
  await panel.locator('[data-test-id=file-entry][data-name="big.txt"] [data-test-id=file-open]').click();
  await editor.locator('[data-test-id=editor-error]').waitFor();
  assert.match(await editor.locator('[data-test-id=editor-error]').innerText(), /`\/root\/big\.txt` is larger than 1024 KB/);
  await editor.locator('[data-test-id=editor-close]').click();
  assert.equal(await page.locator('[data-test-id=error-banner]').count(), 0, 'no error banner');
  await endSession(session);
});

test('the files panel and its messages speak French, in the dark', { timeout: 5 * TIMEOUT }, async () => {
  const session = await openPlayground(browser, server, {
    watch: (page) => page.addInitScript(() => localStorage.setItem('quai.lang', 'fr')),
  });
  const { page } = session;
  await page.emulateMedia({ colorScheme: 'dark' });
  const panel = await openFiles(page);
  assert.equal(await panel.locator('.files-title').innerText(), 'Fichiers de node1');
  const seq = await transferSeq(page);
  await dropFiles(page, page.locator('[data-test-id=terminal]'), [{ name: 'bonjour.txt', content: 'salut\n' }]);
  const outcome = await transferOutcome(page, seq);
  assert.deepEqual(outcome, { state: 'done', text: '1 fichier envoyé dans /root' });
  await panel.locator('[data-test-id=file-entry][data-name="bonjour.txt"]').waitFor();
  await page.screenshot({ path: join(artifacts, 'files-fr-dark.png'), animations: 'disabled' });
  await endSession(session);
});
