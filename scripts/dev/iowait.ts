// Dev aid: per-chunk waits for the file source during a full analysis (distribution).
import { analyzeCapture } from '../../worker/index.js';
import { fileSource } from '../../server/file-source.js';
const { source } = await fileSource(process.argv[2] ?? 'bench/out/mix-256MB.pcap');
const waits: number[] = [];
async function* timed(src: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const it = src[Symbol.asyncIterator]();
  for (;;) {
    const a = performance.now();
    const r = await it.next();
    waits.push(performance.now() - a);
    if (r.done) return;
    yield r.value;
  }
}
await analyzeCapture(timed(source));
const s = [...waits].sort((a, b) => a - b);
const q = (p: number) => s[Math.floor(p * (s.length - 1))].toFixed(2);
console.log(`chunks ${waits.length} total wait ${waits.reduce((a, b) => a + b, 0).toFixed(0)} ms; p10 ${q(0.1)} p50 ${q(0.5)} p90 ${q(0.9)} p99 ${q(0.99)} max ${q(1)}`);
console.log(waits.slice(0, 40).map((w) => w.toFixed(1)).join(' '));
