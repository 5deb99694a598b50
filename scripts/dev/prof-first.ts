// Dev aid: CPU profile of the first N chunks of a cold analysis (JIT warm-up and first-use costs).
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { analyzeCapture } from '../../worker/index.js';
const file = process.argv[2] ?? 'bench/out/mix-256MB.pcap';
const n = Number(process.argv[3] ?? 1);
const data = readFileSync(file);
const chunks: Uint8Array[] = [];
for (let o = 0; o < data.length; o += 1 << 20) chunks.push(new Uint8Array(data.buffer, data.byteOffset + o, Math.min(data.length - o, 1 << 20)));
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 25 });
await session.post('Profiler.start');
let stopped: Promise<unknown> | null = null;
function* src() {
  for (let i = 0; i < chunks.length; i++) {
    if (i === n) stopped = session.post('Profiler.stop').then(({ profile }) => writeFileSync('/tmp/first.cpuprofile', JSON.stringify(profile)));
    yield chunks[i];
  }
}
await analyzeCapture(src());
await stopped;
