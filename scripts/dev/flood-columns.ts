// Dev aid: typed-array bytes and heap objects held by each analyzer after a synthetic SYN flood of N
// distinct flows (default 2M), the same pipeline as analyzeCapture; then each finish's time and peak
// RSS. Bundle with esbuild (like flood-mem.ts), then `node --expose-gc flood-columns.mjs N [nosec|sec]
// [keep|drop] [secsteps]` (drop: discard each section; secsteps: the security detectors one by one).
import { createAnalyzers } from '../../worker/analysis.js';
import { CaptureRun } from '../../worker/engine.js';
import { resolveThresholds } from '../../worker/report/thresholds.js';
import { synFloodChunks } from '../../bench/generate.js';

const n = Number(process.argv[2] ?? 2_000_000);
const thresholds = resolveThresholds(undefined);
const { flows, conversations, tcp, dns, udp, icmp, ip, timeline, gaps, security } = createAnalyzers(thresholds, process.argv[3] === 'nosec' ? false : {});
const all = [flows, conversations, tcp, dns, udp, icmp, ip, timeline, gaps, security] as const;
const run = new CaptureRun([
  {
    onPacket: (v) => {
      flows.classify(v);
      conversations.onPacket(v);
      tcp.onPacket(v);
      dns.onPacket(v);
      udp.onPacket(v);
      icmp.onPacket(v);
      ip.onPacket(v);
      timeline.onPacket(v);
      gaps.onPacket(v);
      security?.onPacket(v);
    },
  },
]);
await run.run(synFloodChunks(n));

(globalThis as { gc?: () => void }).gc?.();
console.log(`after gc: arrayBuffers ${(process.memoryUsage().arrayBuffers / 1e6).toFixed(0)} MB`);
const seen = new Set<ArrayBufferLike>();
const seenObj = new Set<object>();
function walk(o: unknown, path: string, out: Map<string, number>, depth: number): void {
  if (o === null || typeof o !== 'object' || depth > 6) return;
  if (ArrayBuffer.isView(o)) {
    if (seen.has(o.buffer)) return;
    seen.add(o.buffer);
    out.set(path, (out.get(path) ?? 0) + o.buffer.byteLength);
    return;
  }
  if (seenObj.has(o)) return;
  seenObj.add(o);
  if (o instanceof Map) {
    out.set(path + '#mapEntries', (out.get(path + '#mapEntries') ?? 0) + o.size);
    let k = 0;
    for (const v of o.values()) if (k++ < 4) walk(v, path + '[]', out, depth + 1);
    return;
  }
  if (Array.isArray(o)) {
    out.set(path + '#arrayLen', (out.get(path + '#arrayLen') ?? 0) + o.length);
    for (const v of o.slice(0, 64)) walk(v, path + '[]', out, depth + 1);
    return;
  }
  for (const [k, v] of Object.entries(o)) walk(v, path + '.' + k, out, depth + 1);
}
// The engine's own buffers (decoder, reader), for comparison.
{
  const out = new Map<string, number>();
  walk(run, 'run', out, 0);
  for (const [k, b] of [...out].sort((x, y) => y[1] - x[1])) if (b > 200_000 && !k.includes('#')) console.log(`  ${k} ${(b / 1e6).toFixed(1)} MB`);
}
const names = ['flows', 'conversations', 'tcp', 'dns', 'udp', 'icmp', 'ip', 'timeline', 'gaps', 'security'];
all.forEach((a, i) => {
  const out = new Map<string, number>();
  walk(a, names[i], out, 0);
  let total = 0;
  for (const [k, b] of out) if (!k.includes('#')) total += b;
  console.log(`${names[i]}: ${(total / 1e6).toFixed(1)} MB`);
  for (const [k, b] of [...out].sort((x, y) => y[1] - x[1])) if (b > 200_000 || k.includes('#')) console.log(`  ${k} ${k.includes('#') ? b : (b / 1e6).toFixed(1) + ' MB'}`);
});
const m = process.memoryUsage();
console.log(`arrayBuffers ${(m.arrayBuffers / 1e6).toFixed(0)} MB heapUsed ${(m.heapUsed / 1e6).toFixed(0)} MB maxRSS ${((process.resourceUsage().maxRSS * 1024) / 1e6).toFixed(0)} MB`);

// Then each finish, with the heap growth it leaves (run with --expose-gc for figures after a GC).
const gc = (globalThis as { gc?: () => void }).gc;
const heap = () => {
  gc?.();
  return process.memoryUsage().heapUsed;
};
const { finishContext } = await import('../../worker/analyzers/context.js');
const ranked = conversations.rankedFlows();
const ctx = finishContext(run, flows, thresholds, [...ranked.tcp.slice(0, 1000), ...ranked.udp.slice(0, 1000)]);
const steps: [string, () => unknown][] = [
  ['conversations', () => conversations.finish(ctx)],
  ['tcp', () => tcp.finish(ctx)],
  ['dns', () => dns.finish(ctx)],
  ['udp', () => udp.finish(ctx)],
  ['timeline', () => timeline.finish(ctx)],
  ['gaps', () => gaps.finish(ctx)],
  ...(process.argv[5] === 'secsteps' ? [] : ([['security', () => security?.finish(ctx)]] as [string, () => unknown][])),
];
const kept: unknown[] = [];
for (const [name, f] of steps) {
  const before = heap();
  const t0 = Date.now();
  const r = f();
  if (process.argv[4] !== "drop") kept.push(r);
  console.log(`finish ${name}: ${Date.now() - t0} ms, heap +${((heap() - before) / 1e6).toFixed(1)} MB kept, maxRSS ${((process.resourceUsage().maxRSS * 1024) / 1e6).toFixed(0)} MB`);
}

// Security finish, detector by detector (argument 5 = "secsteps").
if (security !== null && process.argv[5] === 'secsteps') {
  const { flowPass } = await import('../../worker/analyzers/security/flow-pass.js');
  const { detectScans } = await import('../../worker/analyzers/security/scan.js');
  const { detectBruteForce } = await import('../../worker/analyzers/security/brute-force.js');
  const { detectFloods } = await import('../../worker/analyzers/security/flood.js');
  const { detectExfiltration } = await import('../../worker/analyzers/security/exfil.js');
  const { detectLateral } = await import('../../worker/analyzers/security/lateral.js');
  type Inner = { marks: import('../../worker/analyzers/security/flow-marks.js').FlowMarks; syn: never; udp: never; icmp: never };
  const s = security as unknown as Inner;
  const inp = { t: security.thresholds, ranges: security.ranges, flows, marks: s.marks };
  const mem = () => `heapUsed ${(process.memoryUsage().heapUsed / 1e6).toFixed(0)} MB maxRSS ${((process.resourceUsage().maxRSS * 1024) / 1e6).toFixed(0)} MB`;
  let t0 = Date.now();
  const lists = flowPass(inp);
  console.log(`flowPass ${Date.now() - t0} ms ${mem()} probes ${lists.probes.length} auth ${lists.auth.length}`);
  for (const [name, f] of [
    ['scans', () => detectScans(inp, lists)],
    ['brute', () => detectBruteForce(inp, lists)],
    ['floods', () => detectFloods(inp, lists, { syn: s.syn, udp: s.udp, icmp: s.icmp })],
    ['exfil', () => detectExfiltration(inp, lists)],
    ['lateral', () => detectLateral(inp, lists)],
  ] as const) {
    t0 = Date.now();
    const r = f();
    console.log(`${name} ${Date.now() - t0} ms ${r.length} detections ${mem()}`);
  }
}
