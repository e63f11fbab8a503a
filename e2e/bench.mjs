// `cargo xtask bench`: a playground as a person feels it, in headless Chromium against the real
// server and Docker daemon, with terminado (Jupyter's terminal server, `docker exec -it` of the
// same container under its pty, shown by xterm.js on a minimal page) measured beside Quai in
// the same run. Writes e2e/artifacts/bench.json and the tables of e2e/artifacts/bench.md.
//
// Measured exactly, through the page's bench hook (`window.__quaiBench`, set before the page
// loads: the page then hands every write xterm.js has finished to `__quaiBench.written`), on
// the timeline of the page (`performance.now()`, the key event's own `timeStamp`):
// - click → prompt: from the click on "Start a playground" (a `docker` node from the warm
//   pool, full, the machine idle again) to xterm.js having written the first prompt, over
//   QUAI_BENCH_RUNS runs, with where
//   the time goes: the page's `quai:*` performance marks and the server's `quai::timing`
//   steps (from its log's time stamps);
// - echo: from a key's keydown to xterm.js having written its echo, over QUAI_BENCH_KEYS keys
//   (default 200), in Quai and in terminado;
// - output rendered: `head -c 20M /dev/urandom | base64` (27 MB) until xterm.js has written
//   the end marker printed after it, the page acknowledging what xterm.js wrote (Quai's flow
//   control as in production; terminado has none);
// - Ctrl-C during a `yes` flood: from the Ctrl-C keydown to the last write, once 500 ms pass
//   with none, and the bytes written after the keydown.
// Polled every 50 ms (rounded up by up to that much): a 1.3 MB `seq` flood, and end → gone.
// And `docker run --rm <base image> true` from the command line.

import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  artifacts,
  eventually,
  hasPrompt,
  instanceContainers,
  launchBrowser,
  root,
  sessionContainers,
  sleep,
  startServer,
  waitForText,
  warmSessions,
} from './lib/quai.mjs';

const runs = Number(process.env.QUAI_BENCH_RUNS ?? 5);
const keys = Number(process.env.QUAI_BENCH_KEYS ?? 200);
const image = process.env.QUAI_BASE_IMAGE ?? 'quai/base:latest';
const terminadoPython = process.env.QUAI_BENCH_TERMINADO;
const FLOOD = 'head -c 20M /dev/urandom | base64';
// What the command prints: 20 MiB as base64 in lines of 76 characters and their line ends.
const FLOOD_BYTES = Math.ceil((20 * 1024 * 1024) / 3) * 4 + Math.ceil((Math.ceil((20 * 1024 * 1024) / 3) * 4) / 76);
const MARK_COMMAND = 'echo quai-$((6*7))-end';
// How long after the click the bench asks the page for the first prompt's time (it waits on
// if the prompt has not come by then).
const PROMPT_READ_AFTER_MS = 1_500;
const MARK = 'quai-42-end';

// What the page runs before its own scripts: the bench hook, and a keydown listener that
// arms the echo being waited for with the key event's own time.
const HOOK = () => {
  const decoder = new TextDecoder();
  // CSI, OSC, charset and two-character escape sequences, and carriage returns.
  // eslint-disable-next-line no-control-regex
  const PLAIN = /\x1b\[[0-9;?>=!]*[ -\/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[()#][0-9A-Za-z]|\x1b[=>78cDEHMZ]|\r/g;
  const bench = {
    echo: null,
    watch: null,
    log: null,
    written(term, data) {
      const now = performance.now();
      const text = typeof data === 'string' ? data : decoder.decode(data);
      const bytes = typeof data === 'string' ? data.length : data.length;
      const echo = bench.echo;
      if (echo && echo.at !== null && text.includes(echo.key)) {
        bench.echo = null;
        echo.done(now - echo.at);
      }
      const watch = bench.watch;
      if (watch) {
        // What a person reads: escape sequences (colours, cursor moves) left out.
        watch.tail = (watch.tail + text).slice(-512).replace(PLAIN, '');
        watch.bytes += bytes;
        if (watch.pattern.test(watch.tail)) {
          bench.watch = null;
          watch.done({ at: now, bytes: watch.bytes });
        }
      }
      if (bench.log) bench.log.push([now, bytes]);
    },
    armEcho(key) {
      bench.result = new Promise((done) => (bench.echo = { key, at: null, done }));
    },
    watchFor(source) {
      const pattern = new RegExp(source);
      bench.watched = new Promise((done) => (bench.watch = { tail: '', bytes: 0, pattern, done }));
    },
    keydown: null,
  };
  window.addEventListener('keydown', (event) => {
    if (bench.echo && bench.echo.at === null) bench.echo.at = event.timeStamp;
    bench.keydown = event.timeStamp;
  }, true);
  window.__quaiBench = bench;
};

/** The machine's CPU times, busy and all, from /proc/stat. */
function cpuTimes() {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const all = fields.reduce((a, b) => a + b, 0);
  const idle = fields[3] + (fields[4] ?? 0);
  return { busy: all - idle, all };
}

/** Waits until the machine's CPU was at least 80 % idle over half a second (at most 20 s);
 *  returns how long it waited, in ms. */
async function settle() {
  const started = Date.now();
  while (Date.now() - started < 20_000) {
    const before = cpuTimes();
    await sleep(500);
    const after = cpuTimes();
    const busy = (after.busy - before.busy) / Math.max(1, after.all - before.all);
    if (busy <= 0.2) break;
  }
  return Date.now() - started;
}

// terminado's own protocol on a page of its own: xterm.js from static/node_modules, the
// socket's `stdout` written and its callback handed to the same hook.
const TERMINADO_PAGE = `<!doctype html><html><head><link rel="stylesheet" href="/xterm.css"></head>
<body style="margin:0;background:#000"><div id="t" style="width:1200px;height:700px"></div>
<script src="/xterm.js"></script><script>
const term = new Terminal({ scrollback: 5000 });
term.open(document.getElementById('t'));
const ws = new WebSocket('ws://' + location.host + '/websocket');
ws.onopen = () => ws.send(JSON.stringify(['set_size', term.rows, term.cols]));
ws.onmessage = (event) => {
  const [kind, data] = JSON.parse(event.data);
  if (kind === 'stdout') term.write(data, () => window.__quaiBench.written(1, data));
};
term.onData((data) => ws.send(JSON.stringify(['stdin', data])));
window.benchReady = new Promise((done) => { ws.addEventListener('open', done); });
</script></body></html>`;

const TERMINADO_SERVER = `
import asyncio, os, sys
import tornado.httpserver, tornado.netutil, tornado.web
from terminado import TermSocket, UniqueTermManager

async def main():
    manager = UniqueTermManager(shell_command=sys.argv[1:])
    app = tornado.web.Application([
        (r"/websocket", TermSocket, {"term_manager": manager}),
        (r"/(.*)", tornado.web.StaticFileHandler, {"path": os.environ["QUAI_BENCH_PAGE"]}),
    ])
    server = tornado.httpserver.HTTPServer(app)
    sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
    server.add_sockets(sockets)
    print(sockets[0].getsockname()[1], flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
`;

/** `promise`, or a failure naming `what` after `ms`. */
function within(what, promise, ms = 120_000) {
  let timer;
  const late = new Promise((_, fail) => (timer = setTimeout(() => fail(new Error(`timed out waiting for ${what}`)), ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

async function timed(body) {
  const begin = performance.now();
  await body();
  return Math.round(performance.now() - begin);
}

function summary(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
  return { min: sorted[0], median: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1], count: sorted.length };
}

const round = (ms, digits = 1) => Number(ms.toFixed(digits));

/** The server's `quai::timing` steps logged since `from` (a log offset), as epoch ms. */
function serverSteps(log) {
  const steps = [];
  for (const raw of log.split('\n')) {
    // eslint-disable-next-line no-control-regex
    const line = raw.replace(/\x1b\[[0-9;]*m/g, '');
    const m = line.match(/^(\S+Z)\s+DEBUG\s+quai::timing:\s+(.+?)(\s+session=\S*)?$/);
    if (!m) continue;
    // Microseconds kept: Date parses milliseconds only.
    const [whole, micros = '0'] = m[1].replace('Z', '').split('.');
    const ms = Date.parse(`${whole}Z`) + Number(`0.${micros}`) * 1000;
    steps.push({ step: m[2].trim(), at: ms });
  }
  return steps;
}

/** Types keys one at a time; the echo of each timed from its keydown. */
async function echoes(page, count) {
  const times = [];
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  for (let i = 0; i < count; i += 1) {
    if (i > 0 && i % 40 === 0) {
      await page.keyboard.press('Control+U');
      await sleep(100);
    }
    const key = letters[i % letters.length];
    await page.evaluate((k) => window.__quaiBench.armEcho(k), key);
    await page.keyboard.press(key);
    times.push(await within(`the echo of key ${i}`, page.evaluate(() => window.__quaiBench.result), 10_000));
  }
  await page.keyboard.press('Control+U');
  return summary(times);
}

/** Runs `FLOOD` then prints the marker; MB/s until xterm.js has written the marker. */
async function flood(page) {
  await page.keyboard.type(`clear; ${FLOOD}; ${MARK_COMMAND}`);
  await page.evaluate((source) => window.__quaiBench.watchFor(source), MARK);
  await page.keyboard.press('Enter');
  const start = await page.evaluate(() => window.__quaiBench.keydown);
  const { at, bytes } = await within('the end of the flood', page.evaluate(() => window.__quaiBench.watched));
  await sleep(300);
  const seconds = (at - start) / 1000;
  return { seconds: round(seconds, 2), mbps: round(FLOOD_BYTES / 1e6 / seconds), written: bytes };
}

/** `yes` for a second, then Ctrl-C: time to the last write (500 ms quiet) and bytes after it. */
async function interrupt(page) {
  await page.keyboard.type('clear; yes');
  await page.keyboard.press('Enter');
  await sleep(1000);
  await page.evaluate(() => (window.__quaiBench.log = []));
  await page.keyboard.press('Control+C');
  const at = await page.evaluate(() => window.__quaiBench.keydown);
  await eventually('the screen to be quiet for 500 ms', async () => {
    const last = await page.evaluate(() => window.__quaiBench.log.at(-1)?.[0] ?? 0);
    const now = await page.evaluate(() => performance.now());
    return now - Math.max(last, 0) > 500;
  });
  const log = await page.evaluate(() => window.__quaiBench.log);
  const after = log.filter(([t]) => t >= at);
  const last = after.length ? after[after.length - 1][0] : at;
  const bytes = after.reduce((sum, [, b]) => sum + b, 0);
  await page.evaluate(() => (window.__quaiBench.log = null));
  await sleep(200);
  await page.keyboard.type('clear');
  await page.keyboard.press('Enter');
  return { ms: Math.round(last - at), bytes };
}

/** terminado serving `docker exec -it CONTAINER bash -l`; `{ port, version, stop() }`. */
async function startTerminado(container) {
  const script = join(tmpdir(), `quai-bench-terminado-${process.pid}.py`);
  writeFileSync(script, TERMINADO_SERVER);
  // The page and xterm.js, served by terminado's own server (same origin as its socket).
  const pageDir = mkdtempSync(join(tmpdir(), 'quai-bench-terminado-page-'));
  const xterm = join(root, 'static', 'node_modules', '@xterm', 'xterm');
  writeFileSync(join(pageDir, 'bench.html'), TERMINADO_PAGE);
  copyFileSync(join(xterm, 'lib', 'xterm.js'), join(pageDir, 'xterm.js'));
  copyFileSync(join(xterm, 'css', 'xterm.css'), join(pageDir, 'xterm.css'));
  const version = execFileSync(terminadoPython, ['-c', "import importlib.metadata as m; print(m.version('terminado'))"], { encoding: 'utf8' }).trim();
  const child = spawn(terminadoPython, [script, 'docker', 'exec', '-it', '-e', 'TERM=xterm-256color', '-e', 'LANG=C.UTF-8', container, 'bash', '-l'], { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, QUAI_BENCH_PAGE: pageDir } });
  const line = await new Promise((done) => createInterface({ input: child.stdout }).once('line', done));
  return {
    port: Number(line.trim()),
    version,
    stop() {
      child.kill();
      rmSync(script, { force: true });
      rmSync(pageDir, { recursive: true, force: true });
    },
  };
}

/** A page of terminado's terminal, with the bench hook, at its prompt. */
async function terminadoPage(browser, port) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  context.setDefaultTimeout(60_000);
  await context.addInitScript(HOOK);
  const base = `http://127.0.0.1:${port}`;
  const page = await context.newPage();
  await page.goto(`${base}/bench.html`);
  await page.evaluate(() => window.benchReady);
  await eventually('terminado\'s prompt', async () => hasPrompt((await page.locator('.xterm-rows').innerText()).replace(/\u00a0/g, ' ')));
  await page.locator('#t').click();
  return { context, page };
}

mkdirSync(artifacts, { recursive: true });
const cli = [];
for (let run = 0; run < runs; run += 1) {
  cli.push(await timed(() => execFileSync('docker', ['run', '--rm', '--network', 'none', image, 'true'])));
}

// Another build's page may be measured (QUAI_BENCH_STATIC, a static folder; its figures go to
// e2e/artifacts/QUAI_BENCH_NAME.json and .md, `bench` by default).
const name = process.env.QUAI_BENCH_NAME ?? 'bench';
const staticDir = process.env.QUAI_BENCH_STATIC ?? join(root, 'static');
const server = await startServer({ staticDir, env: { RUST_LOG: 'info,quai::timing=debug' } });
const browser = await launchBrowser();
const polled = { 'seq flood (1.3 MB), polled': [], 'end → containers gone, polled': [] };
const clicks = [];
const clickWaits = [];
const breakdowns = [];
const quai = {};
const peer = {};
let terminadoVersion = null;
try {
  for (let run = 1, tries = 0; run <= runs; run += 1) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    context.setDefaultTimeout(60_000);
    await context.addInitScript(HOOK);
    const page = await context.newPage();
    await page.goto(`${server.url}/`);
    const start = page.locator('[data-test-id=start-playground]');
    await start.waitFor();
    // The pool refills after each claim: the click comes when it is full again (2 ready
    // sessions per profile, the default), as between two students' clicks.
    await eventually('the warm pool to be full', async () => (await warmSessions(server)) >= 4, 120_000);
    // The pool's last container has just started, the last run's are being removed: the
    // click waits for the machine to be idle, as a warm pool between two students is.
    clickWaits.push(await settle());
    const logFrom = server.log().length;
    await page.evaluate(() => window.__quaiBench.watchFor('[#$] $'));
    const clickAt = await page.evaluate(() => performance.now());
    await start.click();
    // The hook keeps the prompt's time; asking for it while the page starts would put the
    // bench's own script on the page's main thread, in the way of what it measures.
    await sleep(PROMPT_READ_AFTER_MS);
    // A page the test machine's network changes reloaded (see launchBrowser) lost its hook's
    // state: that run is made again.
    const prompt = await within('the first prompt', page.evaluate(() => window.__quaiBench.watched), 60_000).catch((err) => {
      if (++tries > 3) throw err;
      return null;
    });
    if (!prompt) {
      console.log(`run ${run}: no prompt seen by the hook (${tries}); again`);
      await context.close();
      run -= 1;
      continue;
    }
    console.log(`run ${run}: prompt after ${Math.round(prompt.at - clickAt)} ms`);
    // The click as the page saw it (its mark), else the moment the bench asked for it.
    const marks = await page.evaluate(() => ({
      origin: performance.timeOrigin,
      marks: performance.getEntriesByType('mark').filter((m) => m.name.startsWith('quai:')).map((m) => [m.name.slice(5), m.startTime]),
    }));
    const click = marks.marks.find(([name]) => name === 'click')?.[1] ?? clickAt;
    clicks.push(prompt.at - click);
    const row = { 'prompt written (bench hook)': prompt.at - click };
    for (const [name, at] of marks.marks) if (!(`page: ${name}` in row)) row[`page: ${name}`] = at - click;
    await waitForText(page, server, 'a shell prompt', hasPrompt);
    for (const { step, at } of serverSteps(server.log().slice(logFrom))) {
      const key = `server: ${step}`;
      if (!(key in row)) row[key] = at - (marks.origin + click);
    }
    breakdowns.push(row);
    const id = page.url().match(/\/s\/([^/?#]+)/)[1];
    await page.locator('[data-test-id=terminal]').click();

    if (run === 1) {
      quai.echo = await echoes(page, keys);
      console.log('quai echo', quai.echo);
      quai.flood = await flood(page);
      console.log('quai flood', quai.flood);
      quai.interrupt = await interrupt(page);
      console.log('quai Ctrl-C', quai.interrupt);
      const container = instanceContainers(server.instance).find((c) => c.session === id)?.name;
      if (terminadoPython && existsSync(terminadoPython) && container) {
        const terminado = await startTerminado(container);
        terminadoVersion = terminado.version;
        try {
          const { context: tctx, page: tpage } = await terminadoPage(browser, terminado.port);
          peer.echo = await echoes(tpage, keys);
          console.log('terminado echo', peer.echo);
          peer.flood = await flood(tpage);
          console.log('terminado flood', peer.flood);
          peer.interrupt = await interrupt(tpage);
          console.log('terminado Ctrl-C', peer.interrupt);
          await tctx.close();
        } finally {
          terminado.stop();
        }
      }
    }

    await page.keyboard.type('clear; seq 1 200000');
    polled['seq flood (1.3 MB), polled'].push(await timed(async () => {
      await page.keyboard.press('Enter');
      await waitForText(page, server, 'the end of seq', (text) => /^200000$/m.test(text) && hasPrompt(text));
    }));

    polled['end → containers gone, polled'].push(await timed(async () => {
      await page.locator('[data-test-id=end-session]').click();
      await eventually(`the containers of session ${id} to be removed`, () => sessionContainers(id).length === 0);
    }));
    await context.close();
    console.log(`run ${run}/${runs} done (click → prompt ${Math.round(clicks.at(-1))} ms)`);
  }
} finally {
  await browser.close();
  await server.stop();
}

// Where the time goes: each step's median time since the click, in the order they happen.
const steps = {};
for (const row of breakdowns) for (const [name, ms] of Object.entries(row)) (steps[name] ??= []).push(ms);
const breakdown = Object.entries(steps)
  .map(([name, values]) => [name, summary(values).median])
  .sort((a, b) => a[1] - b[1]);
const click = summary(clicks);
const report = {
  date: new Date().toISOString(),
  image,
  runs,
  keys,
  terminado: terminadoVersion,
  'docker run --rm (CLI)': summary(cli),
  'click → prompt': click,
  breakdown,
  quai,
  terminado_figures: peer,
  polled: Object.fromEntries(Object.entries(polled).map(([name, values]) => [name, summary(values)])),
};
const file = join(artifacts, `${name}.json`);
writeFileSync(file, JSON.stringify(report, null, 2));
console.log(JSON.stringify(report, null, 2));
console.log(`\nwritten to ${file}`);

const ms = (v) => (v === undefined ? '–' : String(Math.round(v)));
const echo = (e) => (e ? `${round(e.median, 2)} / ${round(e.p99, 2)}` : '–');
const mbps = (f) => (f ? `${f.mbps} (${f.seconds} s; xterm.js wrote ${(f.written / 1e6).toFixed(1)} MB)` : '–');
const quiet = (i) => (i ? `${i.ms} ms, ${(i.bytes / 1024).toFixed(1)} KiB` : '–');
const peerName = terminadoVersion ? `terminado ${terminadoVersion}` : 'terminado (not run: QUAI_BENCH_TERMINADO unset)';
const md = [
  '| measure, in headless Chromium | runs | min | median | max |',
  '|---|---|---|---|---|',
  `| \`docker run --rm --network none\` of the base image (CLI, for comparison), ms | ${runs} | ${cli.length ? Math.min(...cli) : '–'} | ${summary(cli).median} | ${Math.max(...cli)} |`,
  `| click → prompt written by xterm.js, ms | ${runs} | ${ms(click.min)} | **${ms(click.median)}** | ${ms(click.max)} |`,
  ...Object.entries(report.polled).map(([name, s]) => `| ${name}, ms | ${runs} | ${s.min} | ${s.median} | ${s.max} |`),
  '',
  `The aim, click → prompt within 150 ms at the median: ${ms(click.median)} ms, ${click.median <= 150 ? '**met**' : '**not met**'}.`,
  '',
  `Each click comes once the warm pool is full and the machine's CPU has been at least 80 % idle over half a second (the pool's last container and the last run's removal done): waited ${ms(summary(clickWaits).median)} ms at the median, ${ms(Math.max(...clickWaits))} at most.`,
  '',
  `Keystrokes, output and Ctrl-C, measured exactly on one playground, beside ${peerName} (\`docker exec -it\` of the same container under its pty, on a page of xterm.js speaking its socket) in the same run:`,
  '',
  `| in the browser | Quai | ${peerName} |`,
  '|---|---|---|',
  `| echo, keydown → echo written by xterm.js, p50 / p99 ms (${keys} keys) | ${echo(quai.echo)} | ${echo(peer.echo)} |`,
  `| output: \`${FLOOD.replace('|', '\\|')}\` (${(FLOOD_BYTES / 1e6).toFixed(1)} MB) until its end marker is written by xterm.js, MB/s of the command's output | ${mbps(quai.flood)} | ${mbps(peer.flood)} |`,
  `| Ctrl-C during \`yes\`: keydown → last byte written (500 ms quiet), bytes written after the keydown | ${quiet(quai.interrupt)} | ${quiet(peer.interrupt)} |`,
  '',
  `Click → prompt, where the time goes (median ms since the click over ${runs} runs; \`page:\` marks are the page's \`quai:*\` performance marks, \`server:\` steps the server's \`quai::timing\` log lines):`,
  '',
  '| step | ms since the click |',
  '|---|---|',
  ...breakdown.map(([name, v]) => `| ${name} | ${round(v, 1)} |`),
];
writeFileSync(join(artifacts, `${name}.md`), `${md.join('\n')}\n`);
