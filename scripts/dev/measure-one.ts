// Dev aid (child of ab.ts): one timed pass in a fresh process; prints a JSON line with wall and CPU ms.
// Modes: walk, info, analyze (file source, as the bench); info-mem, analyze-mem (file read into memory
// first, 1 MiB Buffer chunks: no I/O in the timing).
import { readFileSync } from 'node:fs';
import { fileSource } from '../../server/file-source.js';
import { analyzeCapture, summarizeCapture } from '../../worker/index.js';
import { bareWalk } from '../../bench/bare-walk.js';

const [mode, file] = process.argv.slice(2);
let source: AsyncIterable<Uint8Array> | Uint8Array[];
if (mode.endsWith('-mem')) {
  const data = readFileSync(file);
  const chunks: Uint8Array[] = [];
  for (let o = 0; o < data.length; o += 1 << 20) chunks.push(data.subarray(o, Math.min(data.length, o + (1 << 20))));
  source = chunks;
} else source = (await fileSource(file)).source;
const c0 = process.cpuUsage();
const t0 = performance.now();
let packets = 0;
if (mode === 'none-mem') packets = 0;
else if (mode === 'walk') packets = (await bareWalk(source as AsyncIterable<Uint8Array>)).packets;
else if (mode.startsWith('info')) packets = (await summarizeCapture(source)).packets;
else if (mode.startsWith('analyze')) packets = (await analyzeCapture(source)).summary.packets;
else throw new Error(`unknown mode ${mode}`);
const ms = performance.now() - t0;
const c = process.cpuUsage(c0);
process.stdout.write(`${JSON.stringify({ mode, ms, cpuMs: (c.user + c.system) / 1000, packets, maxRssKB: process.resourceUsage().maxRSS })}\n`);
