// End to end in headless Chromium: "My work". A student's folders on two nodes are downloaded
// as one archive whose manifest lists each file's sha256; the archive imported into a new
// session restores every file (and the node it lacked), every checksum verified; an archive
// changed on the way is refused, naming the file that no longer matches, and writes nothing.
//
// Runs the real server (target/release/quai, or $QUAI_BIN) on a free port with its own
// instance label. By hand: `node --test e2e/workspace.test.mjs`.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  TIMEOUT,
  artifacts,
  endSession,
  hasPrompt,
  launchBrowser,
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
  scratch = mkdtempSync(join(tmpdir(), 'quai-e2e-work-'));
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** Imports `archive` through "My work" and returns the transfer's outcome. */
async function importWork(page, archive) {
  const seq = await transferSeq(page);
  await page.locator('[data-test-id=my-work]').click();
  const dialog = page.locator('[data-test-id=work-dialog]');
  await dialog.locator('[data-test-id=import-work-input]').setInputFiles(archive);
  await dialog.waitFor({ state: 'detached' });
  return transferOutcome(page, seq);
}

test('work downloaded from one session is restored in a new one, and a changed archive is refused', { timeout: 8 * TIMEOUT }, async () => {
  // The work: files on node1 in /root and /tmp, and on node2.
  const first = await openPlayground(browser, server);
  await run(first.page, "mkdir -p /root/proj /tmp/data && echo 'first line' > /root/proj/notes.txt && printf 'print(6 * 7)\\n' > /root/proj/app.py && echo srv-data > /tmp/data/x.txt");
  await first.page.locator('[data-test-id=add-node]').click();
  await first.page.locator('[data-test-id=tab-node2]').waitFor();
  await waitForText(first.page, server, 'a prompt on node2', (t) => /node2/.test(t) && hasPrompt(t));
  await run(first.page, 'echo from-node2 > /root/hello.txt');

  await first.page.locator('[data-test-id=my-work]').click();
  const dialog = first.page.locator('[data-test-id=work-dialog]');
  await dialog.waitFor();
  assert.equal(await dialog.locator('[data-test-id=work-dir][data-dir="/root"]').isChecked(), true);
  await dialog.locator('[data-test-id=work-dir][data-dir="/tmp"]').check();
  await first.page.screenshot({ path: join(artifacts, 'work-dialog.png'), animations: 'disabled' });
  const [download] = await Promise.all([
    first.page.waitForEvent('download'),
    dialog.locator('[data-test-id=download-work]').click(),
  ]);
  assert.equal(download.suggestedFilename(), 'quai-workspace.tar.gz');
  const archive = join(scratch, 'quai-workspace.tar.gz');
  await download.saveAs(archive);
  await dialog.locator('[data-test-id=work-close]').click();
  await endSession(first);

  // What it holds: the manifest first, each file with its checksum.
  const members = execFileSync('tar', ['-tzf', archive], { encoding: 'utf8' }).split('\n').filter(Boolean);
  assert.equal(members[0], 'manifest.json');
  const manifest = JSON.parse(execFileSync('tar', ['-xzOf', archive, 'manifest.json'], { encoding: 'utf8' }));
  assert.deepEqual(manifest.dirs, ['/root', '/tmp']);
  assert.deepEqual(manifest.nodes, ['node1', 'node2']);
  const unpacked = join(scratch, 'unpacked');
  mkdirSync(unpacked);
  execFileSync('tar', ['-xzf', archive, '-C', unpacked]);
  for (const wanted of ['node1:/root/proj/notes.txt', 'node1:/root/proj/app.py', 'node1:/tmp/data/x.txt', 'node2:/root/hello.txt']) {
    const [node, path] = wanted.split(':');
    const file = manifest.files.find((f) => f.node === node && f.path === path);
    assert.ok(file, `${wanted} is in the manifest`);
    const data = readFileSync(join(unpacked, 'nodes', node, path));
    assert.equal(file.sha256, createHash('sha256').update(data).digest('hex'), wanted);
  }

  // Brought back into a new session of one node: everything is there, node2 too.
  const second = await openPlayground(browser, server);
  const { page } = second;
  const outcome = await importWork(page, archive);
  assert.deepEqual(outcome, {
    state: 'done',
    text: `${manifest.files.length} files restored on node1, node2: every checksum matched.`,
  });
  await page.locator('[data-test-id=tab-node2]').waitFor();
  await run(page, 'clear; cat /root/proj/notes.txt /tmp/data/x.txt; python3 /root/proj/app.py');
  await waitForText(page, server, 'the restored files', (t) => /first line\s+srv-data\s+42/.test(t));
  await page.screenshot({ path: join(artifacts, 'work-restored.png'), animations: 'disabled' });
  await page.locator('[data-test-id=tab-node2]').click();
  await waitForText(page, server, 'a prompt on node2', (t) => /node2/.test(t) && hasPrompt(t));
  await run(page, 'cat /root/hello.txt');
  await waitForText(page, server, 'node2 restored', (t) => t.includes('from-node2'));

  // The same archive with one file changed: refused, naming it; nothing written.
  writeFileSync(join(unpacked, 'nodes/node1/root/proj/notes.txt'), 'changed on the way\n');
  writeFileSync(join(unpacked, 'nodes/node2/root/hello.txt'), 'also changed\n');
  const tampered = join(scratch, 'tampered.tar.gz');
  // Packed again as it came: the same members in the same order, the manifest first.
  execFileSync('tar', ['-czf', tampered, '-C', unpacked, '--no-recursion', ...members]);
  const refused = await importWork(page, tampered);
  assert.equal(refused.state, 'failed');
  assert.equal(
    refused.text,
    'This workspace cannot be imported: node1:/root/proj/notes.txt does not match its checksum: the archive was changed or damaged. Nothing was written.',
  );
  await page.screenshot({ path: join(artifacts, 'work-tampered.png'), animations: 'disabled' });
  await run(page, 'clear; cat /root/hello.txt');
  await waitForText(page, server, 'node2 unchanged', (t) => t.includes('from-node2') && !t.includes('also changed'));

  // Not a workspace at all.
  const notWork = join(scratch, 'not-work.tar.gz');
  execFileSync('tar', ['-czf', notWork, '-C', unpacked, '--no-recursion', ...members.slice(1)]);
  const notOurs = await importWork(page, notWork);
  assert.equal(notOurs.state, 'failed');
  assert.match(notOurs.text, /no manifest\.json: it is not a Quai workspace/);
  assert.equal(await page.locator('[data-test-id=error-banner]').count(), 0, 'no error banner');
  await endSession(second);
});
