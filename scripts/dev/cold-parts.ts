// Dev aid: cold (fresh process) cost of one reading pass with a chosen set of analyzers, in memory.
// Usage: node bundle.mjs FILE name,name,…  (names: conv tcp dns udp icmp ip timeline gaps; "none" = flow table only)
import { readFileSync } from 'node:fs';
import { CaptureRun } from '../../worker/engine.js';
import { FlowTable } from '../../worker/analyzers/flow-table.js';
import { ConversationsAnalyzer } from '../../worker/analyzers/conversations.js';
import { TcpAnalyzer } from '../../worker/analyzers/tcp/analyzer.js';
import { DnsAnalyzer } from '../../worker/analyzers/dns.js';
import { UdpAnalyzer } from '../../worker/analyzers/udp.js';
import { IcmpAnalyzer } from '../../worker/analyzers/icmp.js';
import { IpAnalyzer } from '../../worker/analyzers/ip.js';
import { TimelineAnalyzer } from '../../worker/analyzers/timeline.js';
import { GapsAnalyzer } from '../../worker/analyzers/gaps.js';
import type { PacketView } from '../../worker/decode/packet.js';

const [file, list] = process.argv.slice(2);
const data = readFileSync(file);
const chunks: Uint8Array[] = [];
for (let o = 0; o < data.length; o += 1 << 20) chunks.push(data.subarray(o, Math.min(data.length, o + (1 << 20))));
const names = new Set(list.split(','));
const t0 = performance.now();
const f = new FlowTable();
const conv = names.has('conv') ? new ConversationsAnalyzer(f) : null;
const tcp = names.has('tcp') ? new TcpAnalyzer(f) : null;
const dns = names.has('dns') ? new DnsAnalyzer() : null;
const udp = names.has('udp') ? new UdpAnalyzer(f) : null;
const icmp = names.has('icmp') ? new IcmpAnalyzer() : null;
const ip = names.has('ip') ? new IpAnalyzer() : null;
const tl = names.has('timeline') ? new TimelineAnalyzer(f) : null;
const gaps = names.has('gaps') ? new GapsAnalyzer(f) : null;
const run = new CaptureRun([
  {
    onPacket(v: PacketView) {
      f.classify(v);
      if (conv) conv.onPacket(v);
      if (tcp) tcp.onPacket(v);
      if (dns) dns.onPacket(v);
      if (udp) udp.onPacket(v);
      if (icmp) icmp.onPacket(v);
      if (ip) ip.onPacket(v);
      if (tl) tl.onPacket(v);
      if (gaps) gaps.onPacket(v);
    },
  },
]);
await run.run(chunks);
console.log(`${list}: ${(performance.now() - t0).toFixed(0)} ms`);
