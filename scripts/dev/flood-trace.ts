// Dev aid: RSS and array-buffer bytes every 100k packets of a synthetic SYN flood through the full
// analysis pipeline (as analyzeCapture builds it), then after the finish. `node flood-trace.mjs N [nosec]`.
import { analyzeCapture } from '../../worker/index.js';
import { synFloodChunks } from '../../bench/generate.js';

const n = Number(process.argv[2] ?? 2_000_000);
const mb = (x: number) => (x / 1e6).toFixed(0);
let k = 0;
function* traced(): Generator<Uint8Array> {
  for (const c of synFloodChunks(n)) {
    if (k++ % 10 === 0) {
      const m = process.memoryUsage();
      console.log(`packets ${(k - 1) * 10_000} rss ${mb(m.rss)} ab ${mb(m.arrayBuffers)} heap ${mb(m.heapUsed)}/${mb(m.heapTotal)} maxRSS ${mb(process.resourceUsage().maxRSS * 1024)}`);
    }
    yield c;
  }
}
await analyzeCapture(traced(), process.argv[3] === 'nosec' ? { security: false } : {});
const m = process.memoryUsage();
console.log(`end rss ${mb(m.rss)} ab ${mb(m.arrayBuffers)} heap ${mb(m.heapUsed)}/${mb(m.heapTotal)} maxRSS ${mb(process.resourceUsage().maxRSS * 1024)}`);
