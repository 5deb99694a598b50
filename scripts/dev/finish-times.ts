// Dev aid: analyzeCapture's steps timed one by one (reading pass, each finish, findings).
import type { Analyzer, FinishContext } from '../../worker/analyzers/analyzer.js';
import { finishContext } from '../../worker/analyzers/context.js';
import { buildFindings } from '../../worker/analyzers/findings.js';
import { createAnalyzers } from '../../worker/analysis.js';
import { CaptureRun } from '../../worker/engine.js';
import { resolveThresholds } from '../../worker/report/thresholds.js';
import { fileSource } from '../../server/file-source.js';
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';

const { source } = await fileSource(process.argv[2] ?? 'bench/out/mix-256MB.pcap');
const times: string[] = [];
let t = performance.now();
const lap = (name: string) => {
  const now = performance.now();
  times.push(`${name} ${(now - t).toFixed(1)}`);
  t = now;
};
const thresholds = resolveThresholds(undefined);
const { flows, conversations, tcp, dns, udp, icmp, ip, timeline, gaps } = createAnalyzers(thresholds, false);
const analyzers: Array<Analyzer<unknown>> = [conversations, tcp, dns, udp, icmp, ip, timeline, gaps];
const run = new CaptureRun([{ onPacket: (v) => flows.classify(v) }, ...analyzers]);
await run.run(source);
lap('run');
const session = process.env.PROF ? new Session() : null;
if (session) {
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 20 });
  await session.post('Profiler.start');
  t = performance.now();
}
const { tcp: tcpRows, udp: udpRows } = conversations.rankedFlows();
const selected = [...tcpRows.slice(0, 1000), ...udpRows.slice(0, 1000)];
lap('ranked');
const ctx: FinishContext = finishContext(run, flows, thresholds, selected);
lap('ctx');
const c = conversations.finish(ctx); lap('conversations');
const tc = tcp.finish(ctx); lap('tcp');
const d = dns.finish(ctx); lap('dns');
const u = udp.finish(ctx); lap('udp');
const ic = icmp.finish(); lap('icmp');
const i = ip.finish(); lap('ip');
const tl = timeline.finish(ctx); lap('timeline');
const g = gaps.finish(ctx); lap('gaps');
buildFindings({ thresholds, summary: ctx.summary, conversations: c, tcp: tc, dns: d, udp: u, icmp: ic, ip: i, gaps: g });
lap('findings');
if (session) writeFileSync(process.env.PROF!, JSON.stringify((await session.post('Profiler.stop')).profile));
console.log(times.join(' | '));
