// Dev aid: where the full analysis allocates (sampling heap profiler over one in-memory run after WARM
// earlier ones; allocations kept or not). Prints bytes by function. Usage: node bundle.mjs FILE [WARM=0]
import { readFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { analyzeCapture } from '../../worker/index.js';
const data = readFileSync(process.argv[2] ?? 'bench/out/mix-256MB.pcap');
const chunks: Uint8Array[] = [];
for (let o = 0; o < data.length; o += 1 << 20) chunks.push(new Uint8Array(data.buffer, data.byteOffset + o, Math.min(data.length - o, 1 << 20)));
const warm = Number(process.argv[3] ?? 0);
for (let i = 0; i < warm; i++) await analyzeCapture(chunks);
const s = new Session();
s.connect();
await s.post('HeapProfiler.enable');
await s.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
await analyzeCapture(chunks);
const { profile } = await s.post('HeapProfiler.stopSampling');
interface N { callFrame: { functionName: string; url: string; lineNumber: number }; selfSize: number; children: N[] }
const by = new Map<string, number>();
const walk = (n: N) => {
  const k = `${n.callFrame.functionName || '(anon)'} :${n.callFrame.lineNumber + 1}`;
  by.set(k, (by.get(k) ?? 0) + n.selfSize);
  n.children.forEach(walk);
};
walk(profile.head as unknown as N);
const total = [...by.values()].reduce((a, b) => a + b, 0);
console.log(`sampled ${(total / 1e6).toFixed(1)} MB`);
for (const [k, b] of [...by].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`${(b / 1e6).toFixed(2).padStart(8)} MB  ${k}`);
