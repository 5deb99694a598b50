/**
 * `npm run bench:browser` (not a test): on one ≥ 200 MB generated capture, in the same run,
 *  - the CLI's time: `node dist/node/cli.js analyze FILE` when the CLI has that command, else the same
 *    engine entry run by a Node process over a file stream (what the CLI does), and
 *  - the browser's time: the built app in headless Chromium, file opened through the file input,
 *    timed from the input's change to the rendered report, plus the engine time inside the worker,
 *  - the main thread's longest block during the analysis, from a PerformanceObserver on long tasks
 *    (and during the report's first render, reported apart).
 * Targets: browser ≤ 1.5 × CLI; no main-thread block > 100 ms during the analysis. Prints figures.
 *
 *   npm run bench:browser [-- --size 256 --file path.pcap --runs 1]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { generateCapture } from './generate.js';
import { ROOT, run, startProjectServer, staticServer } from '../test/e2e/servers.js';

const { values } = parseArgs({ options: { size: { type: 'string', default: '256' }, file: { type: 'string' }, runs: { type: 'string', default: '1' }, 'skip-build': { type: 'boolean', default: false } } });
const runs = Math.max(1, Number(values.runs));
const outDir = join(ROOT, 'bench', 'out');
mkdirSync(outDir, { recursive: true });
const file = values.file ?? join(outDir, `mix-${values.size}MB.pcap`);
const targetBytes = Number(values.size) * 1e6;
if (!values.file && (!existsSync(file) || statSync(file).size < targetBytes)) {
  process.stderr.write(`generating ${file}…\n`);
  generateCapture({ path: file, targetBytes });
}
const bytes = statSync(file).size;
if (bytes < 200e6) process.stderr.write(`warning: ${file} is below 200 MB\n`);

if (!values['skip-build']) {
  process.stderr.write('building the app and the Node hosts…\n');
  run(process.execPath, ['scripts/build-node.mjs'], 'the Node build');
  run(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--logLevel', 'warn'], 'the app build');
}

// --- CLI ------------------------------------------------------------------------------------------
function cliOnce(): { ms: number; how: string; packets: number | null } {
  const cli = join(ROOT, 'bin/pcap-analyzer.mjs');
  const help = spawnSync(process.execPath, [cli, '--help'], { encoding: 'utf8' });
  if (`${help.stdout}${help.stderr}`.includes('analyze FILE')) {
    const dest = join(tmpdir(), `bench-report-${process.pid}.json`);
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [cli, 'analyze', file, '--json', dest, '--quiet'], { encoding: 'utf8', maxBuffer: 64 << 20 });
    const ms = performance.now() - t0;
    if (r.status !== 0 && r.status !== 1) throw new Error(`cli analyze failed: ${r.stderr}`);
    rmSync(dest, { force: true });
    return { ms, how: 'pcap-analyzer analyze FILE --json OUT (whole CLI process, wall time)', packets: null };
  }
  const script = `
    import { createReadStream, statSync } from 'node:fs';
    import { analyzeCapture } from './worker/index.ts';
    const f = process.argv[1];
    const t0 = performance.now();
    const r = await analyzeCapture(createReadStream(f, { highWaterMark: 1 << 20 }), { totalBytes: statSync(f).size, fileName: 'x' });
    console.log(JSON.stringify({ ms: performance.now() - t0, packets: r.summary.packets }));`;
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, file], { cwd: ROOT, encoding: 'utf8' });
  const wall = performance.now() - t0;
  if (r.status !== 0) throw new Error(`node engine run failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { ms: number; packets: number };
  return { ms: wall, how: `node process running analyzeCapture over a file stream, as the CLI does (the CLI has no analyze command here); engine alone ${(out.ms / 1000).toFixed(2)} s`, packets: out.packets };
}

// --- Browser --------------------------------------------------------------------------------------
const tmp = mkdtempSync(join(tmpdir(), 'pcap-bench-'));
let base: string;
let stop: () => Promise<void> | void;
try {
  const s = await startProjectServer(join(tmp, 'data'));
  base = s.url;
  stop = () => void s.proc.kill('SIGTERM');
} catch {
  const s = await staticServer(join(ROOT, 'dist/app'), true);
  base = s.url;
  stop = s.close;
}
const executablePath = existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined;
const browser = await chromium.launch({
  executablePath,
  args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});

interface BrowserRun {
  phases: { inputToOpen: number; beforeAnalysis: number; analysis: number; toReport: number; toComplete: number };
  wallMs: number;
  engineMs: number;
  packets: number;
  longestDuringMs: number;
  longTasksDuring: number;
  longestRenderMs: number;
}

async function browserOnce(): Promise<BrowserRun> {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  const page = await context.newPage();
  await page.addInitScript(() => {
    const w = window as unknown as { __long: Array<{ start: number; duration: number }> };
    w.__long = [];
    (window as unknown as { __observed: boolean }).__observed = PerformanceObserver.supportedEntryTypes.includes('longtask');
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__long.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  });
  await page.goto(`${base}/`);
  await page.getByTestId('file-input').waitFor({ state: 'attached' });
  const t0 = await page.evaluate(() => performance.now());
  const wall0 = performance.now();
  await page.getByTestId('file-input').setInputFiles(file);
  await page.getByTestId('progress').waitFor({ timeout: 60_000 }).catch(() => {});
  // The analysis ends when the report view appears; the first render is measured apart.
  await page.getByTestId('report').waitFor({ timeout: 30 * 60_000 });
  const tReport = await page.evaluate(() => performance.now());
  const wallMs = performance.now() - wall0;
  const painted = await page.evaluate(() => performance.getEntriesByName('pcap:report-painted')[0]?.startTime ?? null);
  await page.waitForTimeout(1500);
  const text = await page.getByTestId('packet-count').innerText();
  const engineMs = await page.evaluate(async () => {
    const fp = location.hash.replace('#report=', '');
    const db = await new Promise<IDBDatabase>((ok, ko) => {
      const r = indexedDB.open('pcap-analyzer');
      r.onsuccess = () => ok(r.result);
      r.onerror = () => ko(r.error);
    });
    const rec = await new Promise<{ report: { performance: { analysisMs: number } } }>((ok, ko) => {
      const q = db.transaction('reports').objectStore('reports').get(fp);
      q.onsuccess = () => ok(q.result);
      q.onerror = () => ko(q.error);
    });
    return rec.report.performance.analysisMs;
  });
  const marks = await page.evaluate(() => Object.fromEntries(performance.getEntriesByType('mark').map((m) => [m.name, m.startTime])));
  const long = await page.evaluate(() => (window as unknown as { __long: Array<{ start: number; duration: number }> }).__long);
  if (!(await page.evaluate(() => (window as unknown as { __observed: boolean }).__observed))) throw new Error('this browser does not report long tasks');
  // Tasks that started between the file input's change and the end of the analysis (the report's
  // arrival on the main thread included) belong to the analysis; later ones rendered the report.
  const analysisEnd = marks['pcap:analyze-end'] ?? tReport;
  const during = long.filter((l) => l.start >= t0 && l.start < analysisEnd);
  if (process.env.BENCH_DEBUG) {
    const end = marks['pcap:analyze-end'] ?? 0;
    process.stderr.write(`long tasks (start relative to the end of the analysis, ms): ${long.map((l) => `${(l.start - end).toFixed(0)}+${l.duration.toFixed(0)}`).join(' ')}\n`);
  }
  const render = long.filter((l) => l.start >= analysisEnd);
  await context.close();
  return {
    // From the input's change to the report's first paint, measured in the page (no polling latency).
    wallMs: painted !== null ? painted - t0 : wallMs,
    engineMs,
    phases: {
      beforeAnalysis: (marks['pcap:analyze-start'] ?? 0) - (marks['pcap:open'] ?? 0),
      analysis: (marks['pcap:analyze-end'] ?? 0) - (marks['pcap:analyze-start'] ?? 0),
      toReport: (marks['pcap:report-painted'] ?? tReport) - (marks['pcap:analyze-end'] ?? tReport),
      toComplete: (marks['pcap:report-complete'] ?? tReport) - (marks['pcap:analyze-end'] ?? tReport),
      inputToOpen: (marks['pcap:open'] ?? t0) - t0,
    },
    packets: Number(text.replace(/,/g, '')),
    longestDuringMs: Math.max(0, ...during.map((l) => l.duration)),
    longTasksDuring: during.length,
    longestRenderMs: Math.max(0, ...render.map((l) => l.duration)),
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const cli: Array<ReturnType<typeof cliOnce>> = [];
const web: BrowserRun[] = [];
try {
  for (let i = 0; i < runs; i++) {
    cli.push(cliOnce());
    web.push(await browserOnce());
  }
} finally {
  await browser.close();
  await stop();
  rmSync(tmp, { recursive: true, force: true });
}

const cliMs = median(cli.map((c) => c.ms));
const webWall = median(web.map((w) => w.wallMs));
const webEngine = median(web.map((w) => w.engineMs));
const longest = Math.max(...web.map((w) => w.longestDuringMs));
const mb = bytes / 1e6;
const lines = [
  `file              ${file} (${mb.toFixed(0)} MB, ${web[0].packets.toLocaleString('en-US')} packets)`,
  `CLI               ${(cliMs / 1000).toFixed(2)} s  ${(mb / (cliMs / 1000)).toFixed(0)} MB/s   [${cli[0].how}]`,
  `browser (wall)    ${(webWall / 1000).toFixed(2)} s  ${(mb / (webWall / 1000)).toFixed(0)} MB/s   file input → report rendered`,
  `browser (engine)  ${(webEngine / 1000).toFixed(2)} s  ${(mb / (webEngine / 1000)).toFixed(0)} MB/s   report.performance.analysisMs in the worker`,
  `  phases          ${['inputToOpen', 'beforeAnalysis', 'analysis', 'toReport', 'toComplete'].map((k) => `${k} ${median(web.map((w) => w.phases[k as keyof BrowserRun['phases']])).toFixed(0)} ms`).join(', ')}`,
  `ratio             ${(webWall / cliMs).toFixed(2)}× wall/CLI, ${(webEngine / cliMs).toFixed(2)}× engine/CLI   (target ≤ 1.5×) ${webWall / cliMs <= 1.5 ? 'OK' : 'OVER'}`,
  `main thread       longest block during the analysis ${longest.toFixed(0)} ms (${web[0].longTasksDuring} long tasks ≥ 50 ms; target ≤ 100 ms) ${longest <= 100 ? 'OK' : 'OVER'}`,
  `                  longest block rendering the report ${Math.max(...web.map((w) => w.longestRenderMs)).toFixed(0)} ms (after the analysis)`,
  `runs              ${runs} (median)`,
];
process.stdout.write(`${lines.join('\n')}\n`);
