// Dev aid: walk / info / full analysis through the current file source ("stream"), a createReadStream
// with another chunk size ("stream4") or the ring-buffer prototype ("ring"), one process per run.
// Usage: node bundle.mjs FILE stream|stream4|ring walk|info|analyze [chunkBytes]
import { analyzeCapture, summarizeCapture } from '../../worker/index.js';
import { fileSource } from '../../server/file-source.js';
import { bareWalk } from '../../bench/bare-walk.js';
import { ringFileSource } from './fast-source.js';
import { createReadStream } from 'node:fs';
const [file, which, mode, chunk] = process.argv.slice(2);
const chunkBytes = Number(chunk ?? 1 << 20);
const source = which === 'ring' ? ringFileSource(file, chunkBytes) : which === 'stream4' ? createReadStream(file, { highWaterMark: chunkBytes }) : (await fileSource(file)).source;
const t0 = performance.now();
const c0 = process.cpuUsage();
if (mode === 'walk') await bareWalk(source);
else if (mode === 'info') await summarizeCapture(source);
else await analyzeCapture(source);
const c = process.cpuUsage(c0);
console.log(`${which} ${chunkBytes >> 20} MiB ${mode}: ${(performance.now() - t0).toFixed(0)} ms, cpu ${((c.user + c.system) / 1000).toFixed(0)} ms`);
