// `cargo xtask bench`: how long a playground takes, as a user feels it, in headless Chromium
// against the real server and Docker daemon. Prints min / median / max of each measure over
// QUAI_BENCH_RUNS runs (default 5) and writes them to e2e/artifacts/bench.json.
//
// Measures, per run, in a fresh browser profile:
// - click-to-prompt: click "Start a playground" until the terminal shows a prompt;
// - echo round trip: Enter on `echo` until its output shows;
// - seq flood: `seq 1 200000` (1.3 MB of output) until its last line and the prompt show;
// - end-to-gone: click "End session" until `docker ps` lists none of its containers.
// And, for comparison, `docker run --rm <base image> true` from the command line.
// The page is polled every 50 ms, so short measures are rounded up by up to that much.

import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  artifacts,
  eventually,
  hasPrompt,
  launchBrowser,
  sessionContainers,
  startServer,
  waitForText,
} from './lib/quai.mjs';

const runs = Number(process.env.QUAI_BENCH_RUNS ?? 5);
const image = process.env.QUAI_BASE_IMAGE ?? 'quai/base:latest';
const results = { 'docker run --rm (CLI)': [], 'click-to-prompt': [], 'echo round trip': [], 'seq flood (1.3 MB)': [], 'end-to-gone': [] };

async function timed(body) {
  const begin = performance.now();
  await body();
  return Math.round(performance.now() - begin);
}

function summary(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return { min: sorted[0], median: sorted[Math.floor(sorted.length / 2)], max: sorted[sorted.length - 1], runs: sorted };
}

mkdirSync(artifacts, { recursive: true });
for (let run = 0; run < runs; run += 1) {
  results['docker run --rm (CLI)'].push(await timed(() => execFileSync('docker', ['run', '--rm', image, 'true'])));
}

const server = await startServer();
const browser = await launchBrowser();
try {
  for (let run = 1; run <= runs; run += 1) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    context.setDefaultTimeout(60_000);
    const page = await context.newPage();
    await page.goto(`${server.url}/`);
    const start = page.locator('[data-test-id=start-playground]');
    await start.waitFor();

    results['click-to-prompt'].push(await timed(async () => {
      await start.click();
      await waitForText(page, server, 'a shell prompt', hasPrompt);
    }));
    const id = page.url().match(/\/s\/([^/?#]+)/)[1];
    await page.locator('[data-test-id=terminal]').click();

    await page.keyboard.type(`echo bench-$((${run}*1000+7))`);
    results['echo round trip'].push(await timed(async () => {
      await page.keyboard.press('Enter');
      await waitForText(page, server, 'the echo', (text) => text.includes(`bench-${run * 1000 + 7}`));
    }));

    await page.keyboard.type('clear; seq 1 200000');
    results['seq flood (1.3 MB)'].push(await timed(async () => {
      await page.keyboard.press('Enter');
      await waitForText(page, server, 'the end of seq', (text) => /^200000$/m.test(text) && hasPrompt(text));
    }));

    results['end-to-gone'].push(await timed(async () => {
      await page.locator('[data-test-id=end-session]').click();
      await eventually(`the containers of session ${id} to be removed`, () => sessionContainers(id).length === 0);
    }));
    await context.close();
    console.log(`run ${run}/${runs} done`);
  }
} finally {
  await browser.close();
  await server.stop();
}

const report = Object.fromEntries(Object.entries(results).map(([name, values]) => [name, summary(values)]));
const width = Math.max(...Object.keys(report).map((name) => name.length));
console.log(`\n${'measure'.padEnd(width)}   min ms  median ms   max ms   (${runs} runs)`);
for (const [name, { min, median, max }] of Object.entries(report)) {
  console.log(`${name.padEnd(width)}  ${String(min).padStart(7)}  ${String(median).padStart(9)}  ${String(max).padStart(7)}`);
}
const file = join(artifacts, 'bench.json');
writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), image, runs, results: report }, null, 2));
console.log(`\nwritten to ${file}`);
const table = [
  '| measure (ms), in headless Chromium | runs | min | median | max |',
  '|---|---|---|---|---|',
  ...Object.entries(report).map(([name, { min, median, max }]) => `| ${name} | ${runs} | ${min} | ${median} | ${max} |`),
];
writeFileSync(join(artifacts, 'bench.md'), `${table.join('\n')}\n`);
