// `cargo xtask bench`: how long the pages of many people take to come back when their server
// restarts. QUAI_BENCH_RESTART_PAGES pages (default 50), each in a browser profile of its own
// in one headless Chromium, each with a shell playground open; then, QUAI_BENCH_RUNS times
// (default 5), the server is killed with SIGKILL and started again, and stopped with SIGTERM
// and started again (`--on-shutdown keep`, same port, database and instance, the default warm
// pool). Measured from the moment the new process is spawned:
// - from the server's log: its sessions taken back, then the leftovers of the previous run
//   (sessions it never stored, such as the warm pool's) removed;
// - serving: `GET /healthz` answers;
// - first page / all pages connected: the page shows "connected" and no "reconnecting";
// - all pages answered: every page's terminal, attached again, printed the output of an
//   `echo` typed into it once it was;
// - and, for a page (the median of the pages), the steps between: connected → its terminal
//   attached again → `echo` typed (on a small machine, the browser and this script busy with
//   every page at once) → its output shown.
// And how long SIGTERM takes to stop the server, and how many pages' shells were handed the
// terminal's reply to a query replayed with the screen as if typed. Pages are polled every
// 50 ms; between a drop and the restart their sockets already wait out their reconnect delays,
// as a person's would; QUAI_BENCH_WAIT (ms, 5 minutes by default) bounds every wait. Prints
// min / median / max over the runs and writes e2e/artifacts/bench-restart.json,
// bench-restart.md (the table `cargo xtask bench` puts in docs/BENCHMARKS.md) and the end of
// the server's log, bench-restart-server.log.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  TIMEOUT,
  artifacts,
  hasPrompt,
  launchBrowser,
  startServer,
  terminalText,
  waitForText,
  watchAttachments,
} from './lib/quai.mjs';

const runs = Number(process.env.QUAI_BENCH_RUNS ?? 5);
const count = Number(process.env.QUAI_BENCH_RESTART_PAGES ?? 50);
// Pages opened at once while the playgrounds are being made.
const OPENING_AT_ONCE = 4;
const WAIT = Number(process.env.QUAI_BENCH_WAIT ?? 5 * TIMEOUT);

function summary(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return { min: sorted[0], median: sorted[Math.floor(sorted.length / 2)], max: sorted[sorted.length - 1], runs: sorted };
}

/** A browser profile on a new shell playground, at its prompt, its terminal focused. */
async function openOne(browser, server) {
  const context = await browser.newContext({ viewport: { width: 1024, height: 640 } });
  context.setDefaultTimeout(TIMEOUT);
  const page = await context.newPage();
  const attachments = watchAttachments(page);
  const problems = [];
  page.on('crash', () => problems.push('the page crashed'));
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  try {
    await page.goto(`${server.url}/`);
    await page.locator('[data-test-id=start-shell]').click();
    await page.waitForURL(/\/s\/[^/?#]+/);
    await waitForText(page, server, 'a shell prompt', hasPrompt);
    await page.locator('[data-test-id=terminal]').click();
  } catch (err) {
    const body = await page.locator('body').innerText({ timeout: 5000 }).catch(() => '(unreadable)');
    console.error(`a playground did not open at ${page.url()}:\n${problems.join('\n')}\n--- page ---\n${body}`);
    throw err;
  }
  context.setDefaultTimeout(WAIT);
  return { context, page, attachments };
}

/** When (Date.now(), read in the page) `page` shows it is connected and not reconnecting. */
async function connectedAt(page) {
  const handle = await page.waitForFunction(() => {
    const status = document.querySelector('[data-test-id=connection-status]');
    const back = status?.classList.contains('status-connected') && !document.querySelector('[data-test-id=reconnecting]');
    return back ? Date.now() : null;
  }, null, { polling: 50, timeout: WAIT });
  return handle.jsonValue();
}

/** What a terminal shows when the shell took the terminal's reply to a query as typed text. */
const REPLY_AS_INPUT = '0;276;0c';

/**
 * Types `echo` into the page's terminal once it is attached again, as a person would: typed
 * again when the shell answers `command not found` because the terminal's reply to a query
 * replayed with the screen reached it as typed text (`REPLY_AS_INPUT` on the command line),
 * or, at most twice, when no answer comes in 15 s. Returns when (Date.now(), read in the page)
 * the output showed, how many times it was typed, and whether the reply got in the way.
 */
async function answeredAt(one, attachedBefore, marker) {
  const { page, attachments } = one;
  await attachments.after(attachedBefore);
  const attached = Date.now();
  const textarea = page.locator('[data-test-id=terminal] .xterm-helper-textarea');
  let garbled = false;
  let silent = 0;
  let typed = null;
  for (let attempt = 1; ; attempt += 1) {
    const command = `echo ${marker}-$((6*7))`;
    await textarea.focus();
    // The line at once, as a paste or an input method gives it, then Enter.
    await page.keyboard.insertText(command);
    await page.keyboard.press('Enter');
    typed ??= Date.now();
    try {
      const handle = await page.waitForFunction(({ command, answer, reply, attempt }) => {
        const rows = [...document.querySelectorAll('[data-test-id=terminal] .xterm-rows > div')].map((r) => r.textContent);
        if (rows.some((row) => row.includes(answer))) return { at: Date.now() };
        const typed = rows.map((row, i) => (row.includes(command) ? i : -1)).filter((i) => i >= 0);
        const last = typed[attempt - 1] ?? typed.at(-1);
        if (last !== undefined && rows[last].includes(reply) && rows.slice(last + 1).some((row) => row.includes('command not found'))) {
          return { garbled: true };
        }
        return null;
      }, { command, answer: `${marker}-42`, reply: REPLY_AS_INPUT, attempt }, { polling: 50, timeout: silent < 2 ? 15_000 : WAIT });
      const result = await handle.jsonValue();
      if (result.at) return { at: result.at, attached, typed, attempt, garbled };
      garbled = true;
    } catch (err) {
      silent += 1;
      if (silent <= 2) continue;
      console.error(`no answer to echo ${marker} in ${page.url()}; its terminal:\n${await terminalText(page)}`);
      throw err;
    }
  }
}

/** When (ms since `spawned`) the server's last start logged `pattern`, by its tracing timestamp. */
function logged(log, pattern, spawned) {
  const last = log.slice(log.lastIndexOf('--- quai started again'));
  const line = last.split('\n').find((l) => pattern.test(l));
  const match = line?.match(/^\S*?(\d{4}-\d\d-\d\dT[\d:.]+Z)/);
  return match ? Date.parse(match[1]) - spawned : null;
}

/** Stops the server with `stop`, starts it again and times every page's way back. */
async function restart(server, pages, stop, run, mode) {
  const before = pages.map((one) => one.attachments.count());
  const stopping = Date.now();
  await stop();
  const stopped = Date.now() - stopping;
  await Promise.all(pages.map(({ page }) => page.locator('[data-test-id=reconnecting]').waitFor({ timeout: WAIT })));

  const spawned = Date.now();
  const serving = server.start().then(() => Date.now());
  serving.catch(() => {}); // Awaited below, once the pages are back or have failed.
  const back = await Promise.all(pages.map(async (one, i) => {
    const connected = await connectedAt(one.page);
    const answered = await answeredAt(one, before[i], `${mode}${run}-${i}`);
    return { connected, answered };
  }));
  const servingAt = await serving;
  const log = server.log();
  const connected = back.map((b) => b.connected - spawned);
  const answered = back.map((b) => b.answered.at - spawned);
  const median = (values) => summary(values).median;
  return {
    stopped,
    serving: servingAt - spawned,
    adopted: logged(log, /took back the sessions/, spawned),
    leftovers: logged(log, /removed leftovers of a previous run/, spawned),
    firstConnected: Math.min(...connected),
    allConnected: Math.max(...connected),
    allAnswered: Math.max(...answered),
    attachLag: median(back.map((b) => b.answered.attached - b.connected)),
    typeLag: median(back.map((b) => b.answered.typed - b.answered.attached)),
    answerLag: median(back.map((b) => b.answered.at - b.answered.typed)),
    retyped: back.filter((b) => b.answered.attempt > 1).length,
    garbled: back.filter((b) => b.answered.garbled).length,
  };
}

mkdirSync(artifacts, { recursive: true });
const server = await startServer({
  onShutdown: 'keep',
  env: {
    QUAI_MAX_SESSIONS: String(count + 10),
    QUAI_MAX_NODES: String(count + 20),
    QUAI_MAX_SESSIONS_PER_CLIENT: String(count + 10),
    QUAI_CREATE_PER_MINUTE: String(10 * count),
  },
});
const browser = await launchBrowser();
const results = { kill: [], term: [] };
try {
  const pages = [];
  const opening = Date.now();
  while (pages.length < count) {
    const batch = Math.min(OPENING_AT_ONCE, count - pages.length);
    pages.push(...(await Promise.all(Array.from({ length: batch }, () => openOne(browser, server)))));
  }
  console.log(`${count} playgrounds open in ${Math.round((Date.now() - opening) / 1000)} s`);
  for (let run = 1; run <= runs; run += 1) {
    results.kill.push(await restart(server, pages, () => server.kill(), run, 'k'));
    results.term.push(await restart(server, pages, () => server.terminate(), run, 't'));
    console.log(`run ${run}/${runs}: kill -9 ${JSON.stringify(results.kill.at(-1))}, SIGTERM ${JSON.stringify(results.term.at(-1))}`);
  }
} finally {
  await browser.close();
  await server.stop();
  writeFileSync(join(artifacts, 'bench-restart-server.log'), server.log());
}

const measures = [
  ['SIGTERM until the server has exited', 'stopped', ['term']],
  ['spawn → sessions taken back (server log)', 'adopted', ['kill', 'term']],
  ['spawn → leftovers of the previous run removed (server log)', 'leftovers', ['kill', 'term']],
  ['spawn → serving (`/healthz` 200)', 'serving', ['kill', 'term']],
  ['spawn → first page connected', 'firstConnected', ['kill', 'term']],
  [`spawn → all ${count} pages connected`, 'allConnected', ['kill', 'term']],
  [`spawn → all ${count} terminals answered an \`echo\``, 'allAnswered', ['kill', 'term']],
  ['a page, median: connected → its terminal attached again (`TerminalOpened` seen)', 'attachLag', ['kill', 'term']],
  ['a page, median: attached → `echo` typed (the browser and this script, busy with every page)', 'typeLag', ['kill', 'term']],
  ['a page, median: `echo` typed → its output shown (typed again when needed)', 'answerLag', ['kill', 'term']],
  [`pages (of ${count}) whose command line held \`${REPLY_AS_INPUT}\`, the terminal's reply to a replayed query`, 'garbled', ['kill', 'term']],
  [`pages (of ${count}) whose \`echo\` had to be typed again`, 'retyped', ['kill', 'term']],
];
const measured = (mode, key) => results[mode].map((r) => r[key]).filter((v) => v !== null);
const cell = (mode, key) => {
  const values = measured(mode, key);
  if (values.length === 0) return '–';
  const { min, median, max } = summary(values);
  return `${min} / **${median}** / ${max}`;
};
const report = {};
for (const [name, key, modes] of measures) {
  report[name] = Object.fromEntries(modes.map((mode) => [mode, summary(measured(mode, key))]));
}
console.log(`\n${count} pages, ${runs} runs; min / median / max ms`);
for (const [name, key, modes] of measures) {
  console.log(`${name.padEnd(60)}  kill -9: ${modes.includes('kill') ? cell('kill', key) : '–'}   SIGTERM: ${cell('term', key)}`);
}
writeFileSync(
  join(artifacts, 'bench-restart.json'),
  JSON.stringify({ date: new Date().toISOString(), pages: count, runs, results, summary: report }, null, 2),
);
const table = [
  `${count} pages, one shell playground each, ${runs} runs of each restart. Each cell is min / median / max, in ms unless it counts pages.`,
  '',
  '| measure | kill -9, then start | SIGTERM, then start |',
  '|---|---|---|',
  ...measures.map(([name, key, modes]) => `| ${name} | ${modes.includes('kill') ? cell('kill', key) : '–'} | ${cell('term', key)} |`),
];
writeFileSync(join(artifacts, 'bench-restart.md'), `${table.join('\n')}\n`);
console.log(`\nwritten to ${join(artifacts, 'bench-restart.json')}`);
