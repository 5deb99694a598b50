/**
 * `npm run bench`: generates (once) a large synthetic capture under bench/out and measures, in one
 * run and on the same file, a bare record walk (the reference), the engine's info-level decoding, and
 * capinfos when installed. Each pass runs in its own process, several times; the median is kept.
 * Figures are printed as MB/s, packets/s, peak RSS and the ratio to the bare walk, because absolute
 * numbers on shared machines are noisy.
 *
 * The passes run bench/measure.ts bundled by esbuild, the way every host ships the engine
 * (scripts/build-node.mjs for the CLI and server, vite for the browser); `--tsx` runs it through tsx's
 * per-module loader instead, as before (its loader thread and module indirection cost a few percent).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildSync } from 'esbuild';
import { generateCapture, generateSynFlood } from './generate.js';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '256' },
    runs: { type: 'string', default: '3' },
    file: { type: 'string' },
    'skip-tshark-default': { type: 'boolean', default: false },
    /** Also measure a SYN flood of this many distinct flows (worst case for per-flow state); 0 = skip. */
    'flood-flows': { type: 'string', default: '2000000' },
    tsx: { type: 'boolean', default: false },
  },
});
const targetMB = Number(values.size);
const runs = Math.max(1, Number(values.runs));
const outDir = join(process.cwd(), 'bench', 'out');
mkdirSync(outDir, { recursive: true });
const file = values.file ?? join(outDir, `mix-${targetMB}MB.pcap`);

if (!values.file && (!existsSync(file) || statSync(file).size < targetMB * 1e6)) {
  process.stderr.write(`generating ${file} (${targetMB} MB)…\n`);
  const g = generateCapture({ path: file, targetBytes: targetMB * 1e6 });
  process.stderr.write(`  ${g.packets.toLocaleString()} packets\n`);
}
const bytes = statSync(file).size;

// The measuring program: bundled like the hosts' builds (see the header), or run through tsx.
const measureBundle = join(outDir, 'measure.mjs');
if (!values.tsx) {
  buildSync({ entryPoints: ['bench/measure.ts'], outfile: measureBundle, bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning' });
}
const measureArgs = values.tsx ? ['--import', 'tsx', 'bench/measure.ts'] : [measureBundle];

interface Sample {
  ms: number;
  packets: number;
  maxRssKB: number;
  reportBytes?: number;
  untrackedFlows?: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function measureNode(mode: string, target = file, times = runs): Sample {
  const samples: Sample[] = [];
  for (let i = 0; i < times; i++) {
    const r = spawnSync(process.execPath, [...measureArgs, mode, target], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${mode} failed: ${r.stderr}`);
    samples.push(JSON.parse(r.stdout.trim().split('\n').pop()!) as Sample);
  }
  return {
    ms: median(samples.map((s) => s.ms)),
    packets: samples[0].packets,
    maxRssKB: median(samples.map((s) => s.maxRssKB)),
    reportBytes: samples[0].reportBytes,
    untrackedFlows: samples[0].untrackedFlows,
  };
}

function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}


function measureExternal(cmd: string, args: string[], packets: number, times = runs): Sample {
  const samples: Sample[] = [];
  for (let i = 0; i < times; i++) {
    const t0 = performance.now();
    const r = spawnSync('/usr/bin/time', ['-f', 'MAXRSS %M', cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 30 });
    const ms = performance.now() - t0;
    const m = /MAXRSS (\d+)/.exec(r.stderr ?? '');
    samples.push({ ms, packets, maxRssKB: m ? Number(m[1]) : 0 });
  }
  return { ms: median(samples.map((s) => s.ms)), packets, maxRssKB: median(samples.map((s) => s.maxRssKB)) };
}

const rows: Array<{ name: string; s: Sample }> = [];
const walk = measureNode('walk');
rows.push({ name: 'bare record walk (reference)', s: walk });
rows.push({ name: 'engine: info (decode through L4 + DNS)', s: measureNode('info') });
if (have('capinfos') && have('/usr/bin/time')) {
  rows.push({ name: 'capinfos -M', s: measureExternal('capinfos', ['-M', file], walk.packets) });
}
const analyze = measureNode('analyze');
rows.push({ name: 'engine: full analysis (report)', s: analyze });
// The security detectors' share: the same analysis without them, measured alongside.
const noSecurity = measureNode('analyze-no-security');
rows.push({ name: 'engine: full analysis without security detectors', s: noSecurity });
if (have('tshark') && have('/usr/bin/time')) {
  rows.push({
    name: 'tshark expert pass, desegmentation off',
    s: measureExternal('tshark', ['-n', '-r', file, '-o', 'tcp.desegment_tcp_streams:FALSE', '-q', '-Y', 'tcp.analysis.flags'], walk.packets),
  });
  if (!values['skip-tshark-default']) {
    rows.push({ name: 'tshark expert pass, default preferences (1 run)', s: measureExternal('tshark', ['-n', '-r', file, '-q', '-Y', 'tcp.analysis.flags'], walk.packets, 1) });
  }
}

const mb = bytes / 1e6;
const walkMBs = mb / (walk.ms / 1000);
const walkPps = walk.packets / (walk.ms / 1000);
const lines = [
  `file: ${file} — ${mb.toFixed(1)} MB, ${walk.packets.toLocaleString()} packets, median of ${runs} run(s), engine ${values.tsx ? 'through tsx' : 'bundled with esbuild'}`,
  '',
  '| pass | time (s) | MB/s | packets/s | peak RSS (MB) | MB/s vs walk | packets/s vs walk |',
  '|---|---:|---:|---:|---:|---:|---:|',
];
for (const { name, s } of rows) {
  const secs = s.ms / 1000;
  const mbs = mb / secs;
  const pps = s.packets / secs;
  lines.push(
    `| ${name} | ${secs.toFixed(3)} | ${mbs.toFixed(0)} | ${Math.round(pps).toLocaleString()} | ${(s.maxRssKB / 1024).toFixed(0)} | ${(mbs / walkMBs * 100).toFixed(0)}% | ${(pps / walkPps * 100).toFixed(0)}% |`,
  );
}
const tsharkFast = rows.find((r) => r.name.startsWith('tshark expert pass, desegmentation off'));
if (tsharkFast) lines.push('', `full analysis vs tshark (desegmentation off): ${(tsharkFast.s.ms / analyze.ms).toFixed(1)}× faster`);
const tsharkDefault = rows.find((r) => r.name.startsWith('tshark expert pass, default'));
if (tsharkDefault) lines.push(`full analysis vs tshark (default preferences): ${(tsharkDefault.s.ms / analyze.ms).toFixed(1)}× faster`);
if (analyze.reportBytes) lines.push(`report size: ${(analyze.reportBytes / 1e6).toFixed(2)} MB of JSON`);
lines.push(`security detectors: ${(((analyze.ms - noSecurity.ms) / analyze.ms) * 100).toFixed(1)}% of the full analysis time (budget 15%)`);
const floodFlows = Number(values['flood-flows']);
if (floodFlows > 0) {
  const floodFile = join(outDir, `syn-flood-${floodFlows}.pcap`);
  if (!existsSync(floodFile)) generateSynFlood(floodFile, floodFlows);
  const flood = measureNode('analyze', floodFile, 1);
  lines.push(
    `SYN flood of ${floodFlows.toLocaleString('en-US')} distinct flows (${(statSync(floodFile).size / 1e6).toFixed(0)} MB, worst case for per-flow state): ` +
      `${(flood.ms / 1000).toFixed(2)} s, peak RSS ${(flood.maxRssKB / 1024).toFixed(0)} MB, ${(flood.untrackedFlows ?? 0).toLocaleString('en-US')} flows counted but not tracked`,
  );
}
process.stdout.write(`${lines.join('\n')}\n`);
