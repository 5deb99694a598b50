/**
 * Per-flow memory of the analyzers that keep state by flow row, on the worst case for it: a SYN flood
 * that fills the flow table (every row a half-open connection, half of them with sequence state). The
 * budget is in bytes of typed arrays per flow-table row, so a column sized past the table's cap, or
 * per-flow state allocated for every row instead of the rows that need it, shows up here rather than
 * only in the bench's peak RSS. Also checks that the conversation ranking's bounded selection gives
 * exactly the order of a full sort.
 */
import { describe, expect, it } from 'vitest';
import { ConversationsAnalyzer, TopRows } from '../../worker/analyzers/conversations.js';
import { MAX_FLOWS } from '../../worker/analyzers/flow-table.js';
import { GapsAnalyzer } from '../../worker/analyzers/gaps.js';
import { SecurityAnalyzer } from '../../worker/analyzers/security/index.js';
import { TcpAnalyzer } from '../../worker/analyzers/tcp/analyzer.js';
import { TimelineAnalyzer } from '../../worker/analyzers/timeline.js';
import { synFloodChunks } from '../../bench/generate.js';
import { LINKTYPE, writePcap, type PcapRecord } from '../helpers/capture-writer.js';
import { ETHERTYPE, ethernet, ipv4Tcp, ipv4Udp } from '../helpers/packet-builder.js';
import { runAnalyzers } from './harness.js';

/** Bytes of the typed arrays reachable from `root` (each buffer once), through fields, arrays and maps. */
function typedBytes(root: unknown): number {
  const buffers = new Set<ArrayBufferLike>();
  const seen = new Set<object>();
  const walk = (o: unknown, depth: number): void => {
    if (o === null || typeof o !== 'object' || depth > 8 || seen.has(o)) return;
    seen.add(o);
    if (ArrayBuffer.isView(o)) {
      buffers.add(o.buffer);
      return;
    }
    const values = o instanceof Map ? [...o.values()] : Array.isArray(o) ? o : Object.values(o);
    for (const v of values) walk(v, depth + 1);
  };
  walk(root, 0);
  let n = 0;
  for (const b of buffers) n += b.byteLength;
  return n;
}

describe('per-flow memory', () => {
  it('a SYN flood that fills the flow table stays within the per-row budget', async () => {
    const analyzers = {
      conversations: undefined as ConversationsAnalyzer | undefined,
      tcp: undefined as TcpAnalyzer | undefined,
      timeline: undefined as TimelineAnalyzer | undefined,
      gaps: undefined as GapsAnalyzer | undefined,
      security: undefined as SecurityAnalyzer | undefined,
    };
    const { flows, sections } = await runAnalyzers(
      synFloodChunks(MAX_FLOWS + 10_000),
      (f) => ({
        conversations: (analyzers.conversations = new ConversationsAnalyzer(f)),
        tcp: (analyzers.tcp = new TcpAnalyzer(f)),
        timeline: (analyzers.timeline = new TimelineAnalyzer(f)),
        gaps: (analyzers.gaps = new GapsAnalyzer(f)),
        security: (analyzers.security = new SecurityAnalyzer(f)),
      }),
      { selectedFlows: () => [] },
    );
    expect(flows.size).toBe(MAX_FLOWS);
    expect(sections.tcp.untrackedFlows).toBeGreaterThan(10_000);
    // Flow table, conversations, TCP (rows and 200,000 conversations' sequence state), timeline, gaps
    // and the security detectors' per-flow marks: about 365 bytes per row (about 700 before columns
    // stopped at the table's cap and the TCP analyzer kept data figures only for flows with data).
    const perRow = typedBytes([flows, analyzers]) / MAX_FLOWS;
    console.log(`SYN flood filling the flow table: ${perRow.toFixed(0)} bytes of typed arrays per row`);
    expect(perRow).toBeLessThan(450);
  }, 60_000);

  it('ranks conversations exactly as a full sort would, for any limit', async () => {
    const records: PcapRecord[] = [];
    let t = 0;
    const add = (data: Uint8Array) => records.push({ tsSec: 1_700_000_000, tsFrac: t++, data });
    // Flows of a few sizes (many ties, broken by stream number), TCP and UDP interleaved.
    for (let i = 0; i < 300; i++) {
      const size = (i * 7919) % 5;
      const src = `10.0.${i >> 8}.${i & 255}`;
      for (let k = 0; k <= size; k++) {
        add(ethernet({ etherType: ETHERTYPE.IPV4, payload: ipv4Tcp({ src, dst: '192.0.2.1', srcPort: 1000 + i, dstPort: 80, payload: new Uint8Array(10 * size) }) }));
        add(ethernet({ etherType: ETHERTYPE.IPV4, payload: ipv4Udp({ src, dst: '192.0.2.2', srcPort: 2000 + i, dstPort: 53, payload: new Uint8Array(size) }) }));
      }
    }
    let conv: ConversationsAnalyzer | undefined;
    const { flows } = await runAnalyzers(writePcap({ linkType: LINKTYPE.ETHERNET }, records), (f) => ({ conv: (conv = new ConversationsAnalyzer(f)) }));
    const bytes = (i: number) => flows.bytesAB[i] + flows.bytesBA[i];
    const order = (a: number, b: number) => bytes(b) - bytes(a) || flows.streamId[a] - flows.streamId[b];
    const rows = Array.from({ length: flows.size }, (_, i) => i);
    const tcp = rows.filter((i) => flows.isTcp(i)).sort(order);
    const udp = rows.filter((i) => !flows.isTcp(i)).sort(order);
    for (const limit of [0, 1, 7, 299, 300, 1000]) {
      const r = conv!.rankedFlows(limit);
      expect(r.tcp).toEqual(tcp.slice(0, limit));
      expect(r.udp).toEqual(udp.slice(0, limit));
      expect([r.tcpCount, r.udpCount]).toEqual([tcp.length, udp.length]);
    }
    expect(conv!.rankedFlows().tcp).toEqual(tcp);
  });

  it('the bounded selection (used past 50,000 rows) keeps exactly the first rows of a full sort', () => {
    // Keys with many ties, broken by index: a strict total order, as bytes then stream number is.
    const n = 20_000;
    const key = Array.from({ length: n }, (_, i) => (i * 7919) % 97);
    const order = (a: number, b: number) => key[b] - key[a] || a - b;
    const all = Array.from({ length: n }, (_, i) => i).sort(order);
    for (const limit of [0, 1, 10, 1000, n, n + 5]) {
      const top = new TopRows(limit, order);
      for (let i = n - 1; i >= 0; i--) top.offer((i * 4999) % n); // any order of arrival
      expect(top.offered).toBe(n);
      expect(top.sorted()).toEqual(all.slice(0, limit));
    }
  });
});
