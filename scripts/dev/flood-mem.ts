// Dev aid: memory after analysing a synthetic SYN flood of N distinct flows (default 550k).
import { analyzeCapture } from '../../worker/index.js';
import { FlowTable } from '../../worker/analyzers/flow-table.js';
import { CaptureRun } from '../../worker/engine.js';
import { synFloodChunks as synFlood } from '../../bench/generate.js';

const n = Number(process.argv[2] ?? 550_000);
const only = process.argv[3];
const mb = (x: number) => `${(x / 1e6).toFixed(0)} MB`;
if (only === 'flows') {
  const f = new FlowTable();
  const run = new CaptureRun([{ onPacket: (v) => f.classify(v) }]);
  await run.run(synFlood(n));
} else {
  const r = await analyzeCapture(synFlood(n), only === 'nosec' ? { security: false } : {});
  console.log('untracked', r.conversations.untrackedFlows, 'report', mb(JSON.stringify(r).length));
}
const m = process.memoryUsage();
console.log(`rss ${mb(m.rss)} heapUsed ${mb(m.heapUsed)} heapTotal ${mb(m.heapTotal)} external ${mb(m.external)} arrayBuffers ${mb(m.arrayBuffers)} maxRSS ${mb(process.resourceUsage().maxRSS * 1024)}`);
