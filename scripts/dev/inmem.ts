// Dev aid: the engine on a capture held in memory (no I/O), repeated in one process: the first run is
// cold (JIT warm-up included), later ones show the steady per-packet cost.
// Usage: tsx scripts/dev/inmem.ts [file] [analyze|info] [runs]
import { readFileSync } from 'node:fs';
import { analyzeCapture, summarizeCapture } from '../../worker/index.js';

const file = process.argv[2] ?? 'bench/out/mix-256MB.pcap';
const mode = process.argv[3] ?? 'analyze';
const runs = Number(process.argv[4] ?? 5);
const data = readFileSync(file);
const chunks: Uint8Array[] = [];
for (let o = 0; o < data.length; o += 1 << 20) chunks.push(data.subarray(o, Math.min(data.length, o + (1 << 20))));
const out: string[] = [];
for (let r = 0; r < runs; r++) {
  const t0 = performance.now();
  const packets = mode === 'info' ? (await summarizeCapture(chunks)).packets : (await analyzeCapture(chunks)).summary.packets;
  const ms = performance.now() - t0;
  out.push(`${ms.toFixed(0)}`);
  if (r === runs - 1) console.log(`${mode} ms per run: ${out.join(' ')} (${packets} packets; best ${((packets / Math.min(...out.map(Number))) / 1e3).toFixed(2)} Mpps)`);
}
