// Dev aid: warm per-packet cost of each analyzer, in memory: the reading pass with the flow table and
// one analyzer at a time (best of N runs after warm-up), minus the pass with the flow table alone.
// Usage: tsx scripts/dev/parts.ts [file] [runs]
import { readFileSync } from 'node:fs';
import { CaptureRun, type PacketConsumer } from '../../worker/engine.js';
import { FlowTable } from '../../worker/analyzers/flow-table.js';
import { ConversationsAnalyzer } from '../../worker/analyzers/conversations.js';
import { TcpAnalyzer } from '../../worker/analyzers/tcp/analyzer.js';
import { DnsAnalyzer } from '../../worker/analyzers/dns.js';
import { UdpAnalyzer } from '../../worker/analyzers/udp.js';
import { IcmpAnalyzer } from '../../worker/analyzers/icmp.js';
import { IpAnalyzer } from '../../worker/analyzers/ip.js';
import { TimelineAnalyzer } from '../../worker/analyzers/timeline.js';
import { GapsAnalyzer } from '../../worker/analyzers/gaps.js';

const file = process.argv[2] ?? 'bench/out/mix-256MB.pcap';
const runs = Number(process.argv[3] ?? 5);
const data = readFileSync(file);
const chunks: Uint8Array[] = [];
for (let o = 0; o < data.length; o += 1 << 20) chunks.push(data.subarray(o, Math.min(data.length, o + (1 << 20))));

type Make = (f: FlowTable) => { onPacket(v: import('../../worker/decode/packet.js').PacketView): void } | null;
const parts: Array<[string, Make]> = [
  ['decode only', () => null],
  ['flow table', () => null],
  ['conversations', (f) => new ConversationsAnalyzer(f)],
  ['tcp', (f) => new TcpAnalyzer(f)],
  ['dns', () => new DnsAnalyzer()],
  ['udp', (f) => new UdpAnalyzer(f)],
  ['icmp', () => new IcmpAnalyzer()],
  ['ip', () => new IpAnalyzer()],
  ['timeline', (f) => new TimelineAnalyzer(f)],
  ['gaps', (f) => new GapsAnalyzer(f)],
];
const best = new Map<string, number>();
for (let r = 0; r < runs; r++) {
  for (const [name, make] of parts) {
    const flows = new FlowTable();
    const a = make(flows);
    const consumers: PacketConsumer[] = name === 'decode only' ? [] : [{ onPacket: (v) => { flows.classify(v); if (a) a.onPacket(v); } }];
    const run = new CaptureRun(consumers);
    const t0 = performance.now();
    await run.run(chunks);
    const ms = performance.now() - t0;
    best.set(name, Math.min(best.get(name) ?? Infinity, ms));
  }
}
const packets = new CaptureRun();
await packets.run(chunks);
const n = packets.packetCount();
const base = best.get('flow table')!;
for (const [name] of parts) {
  const ms = best.get(name)!;
  const extra = name === 'decode only' || name === 'flow table' ? ms : ms - base;
  console.log(`${name.padEnd(14)} ${ms.toFixed(1).padStart(7)} ms  ${name === 'decode only' || name === 'flow table' ? '' : '+'}${((extra * 1e6) / n).toFixed(0).padStart(4)} ns/packet`);
}
