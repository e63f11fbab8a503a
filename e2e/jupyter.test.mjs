// End to end in headless Chromium: a Jupyter notebook through the port preview. In a
// `docker` playground, `docker run -d -p 8888:8888 -v $PWD:/home/jovyan/work
// jupyter/scipy-notebook` (the catalog's stand-in, pulled through the local registry) shows a
// chip for port 8888; the notebook server opens from it under the preview's path; the token
// read from `docker logs` in the terminal, typed into Jupyter's login page, lets the student
// in; a new notebook's kernel is reached over its WebSocket through the proxy, a cell runs
// NumPy and pandas and shows its output, and the notebook, renamed and saved, is in the
// node's folder for `ls` to list.
//
// Runs the real server (target/release/quai, or $QUAI_BIN) with its local registry, on free
// ports with its own instance label. By hand: `node --test e2e/jupyter.test.mjs`.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  TIMEOUT,
  artifacts,
  endSession,
  launchBrowser,
  openPlayground,
  run,
  startServer,
  terminalText,
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

test('a Jupyter notebook opens from its port chip, runs a cell over its kernel socket through the preview and saves into the node', { timeout: 12 * TIMEOUT }, async () => {
  const session = await openPlayground(browser, server, { start: 'start-playground' });
  const { page, context, id } = session;
  const prefix = `${server.previewUrl}/p/${id}/node1/8888/`;
  // Every WebSocket the notebook's tabs open, by address.
  const sockets = [];
  context.on('page', (tab) => tab.on('websocket', (socket) => sockets.push(socket.url())));

  await run(page, 'until docker info >/dev/null 2>&1; do sleep 0.5; done; docker run -d -p 8888:8888 -v $PWD:/home/jovyan/work jupyter/scipy-notebook');
  // The first run pulls a whole scientific Python stack into the node.
  await page.locator('[data-test-id=port-chip-8888]').waitFor({ timeout: 6 * TIMEOUT });
  assert.equal(await page.locator('[data-test-id=port-chip-8888]').getAttribute('href'), prefix);

  // The token, as a student finds it: in the container's logs, once Jupyter has printed it
  // (its port may answer a moment before).
  await run(page, "clear; until docker logs $(docker ps -lq) 2>&1 | grep -q 'token='; do sleep 1; done; docker logs $(docker ps -lq) 2>&1 | grep -o 'token=[0-9a-f]*' | head -n 1");
  const shown = await waitForText(page, server, 'the token in docker logs', (t) => /token=[0-9a-f]{32,}/.test(t));
  const token = shown.match(/token=([0-9a-f]{32,})/)[1];

  // The chip opens Jupyter's login page, under the preview's path.
  const chip = page.locator('[data-test-id=port-chip-8888]');
  const [tree] = await Promise.all([context.waitForEvent('page'), chip.click()]);
  await tree.waitForLoadState();
  assert.ok(tree.url().startsWith(`${prefix}login`), tree.url());
  await tree.locator('#password_input').fill(token);
  await Promise.all([tree.waitForURL(`${prefix}tree**`), tree.locator('#login_submit').click()]);
  // The node's folder, mounted on /home/jovyan/work.
  await tree.locator('.item_link', { has: tree.locator('.item_name', { hasText: /^work$/ }) }).click();
  await tree.waitForURL(`${prefix}tree/work`);

  // New ▸ Python 3 opens the new notebook in a tab of its own.
  await tree.locator('#new-dropdown-button').click();
  const [notebook] = await Promise.all([
    context.waitForEvent('page'),
    tree.locator('#kernel-python3 a').click(),
  ]);
  await notebook.waitForURL(`${prefix}notebooks/work/Untitled**`);
  // The kernel is idle once its WebSocket, through the proxy, reached it.
  await notebook.locator('#kernel_indicator_icon.kernel_idle_icon').waitFor({ timeout: 2 * TIMEOUT });
  assert.ok(
    sockets.some((url) => url.startsWith(`${prefix.replace(/^http/, 'ws')}api/kernels/`)),
    `no kernel WebSocket under the preview's path: ${sockets.join(', ')}`,
  );

  await notebook.locator('.cell .CodeMirror').first().click();
  for (const line of [
    'import numpy as np, pandas as pd',
    "df = pd.DataFrame({'x': np.arange(1, 11)})",
    "print('sum of squares', int((df.x ** 2).sum()))",
    'df.x.mean()',
  ]) {
    await notebook.keyboard.type(line);
    await notebook.keyboard.press('Enter');
  }
  await notebook.keyboard.press('Shift+Enter');
  const output = notebook.locator('.cell').first().locator('.output_area');
  await output.filter({ hasText: 'sum of squares 385' }).waitFor({ timeout: 2 * TIMEOUT });
  await output.filter({ hasText: '5.5' }).waitFor();

  // Rename it, as a student would, and save.
  await notebook.locator('#notebook_name').click();
  const dialog = notebook.locator('.modal-dialog');
  await dialog.locator('input').fill('analysis');
  await dialog.locator('button.btn-primary').click();
  await notebook.locator('#notebook_name', { hasText: 'analysis' }).waitFor();
  await notebook.locator('#save-notbook button, #save-notebook button').first().click();
  await notebook.waitForFunction(() => window.Jupyter?.notebook && !window.Jupyter.notebook.dirty);
  await notebook.screenshot({ path: join(artifacts, 'preview-jupyter.png') });
  assert.equal(notebook.url(), `${prefix}notebooks/work/analysis.ipynb`);

  // The notebook is a file of the node's folder, with the cell's output in it.
  await run(page, 'clear; ls; grep -c "sum of squares 385" analysis.ipynb');
  const listed = await waitForText(page, server, 'the saved notebook in ls', (t) => /analysis\.ipynb[\s\S]*\n1\s*\n/.test(t));
  assert.match(listed, /analysis\.ipynb/);
  await page.screenshot({ path: join(artifacts, 'preview-jupyter-terminal.png'), animations: 'disabled' });
  assert.equal(await page.locator('[data-test-id=error-banner]').count(), 0, 'no error banner');
  assert.ok(!(await terminalText(page)).includes('Permission denied'));
  await endSession(session);
});
