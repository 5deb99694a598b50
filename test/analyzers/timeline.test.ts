import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { TimelineAnalyzer, TOP_FLOW_CANDIDATES } from '../../worker/analyzers/timeline.js';
import { timelineSchema } from '../../worker/report/sections/timeline.js';
import { writePcap, type PcapRecord } from '../helpers/capture-writer.js';
import { ETHERTYPE, ethernet, etherIpv4Tcp, etherIpv4Udp, etherIpv6Udp, icmp, IPPROTO, ipv4 } from '../helpers/packet-builder.js';
import { runAnalyzers } from './harness.js';

const T0 = 1_700_000_000;

/** A record `t` seconds after T0 (microsecond timestamps; t may be negative). */
function at(t: number, data: Uint8Array): PcapRecord {
  const us = Math.round(t * 1e6);
  const sec = Math.floor(us / 1e6);
  return { tsSec: T0 + sec, tsFrac: us - sec * 1e6, data };
}

function udp(port: number, size = 100, src = '10.0.0.1', dst = '10.0.0.2'): Uint8Array {
  return etherIpv4Udp({ src, dst, srcPort: port, dstPort: 9000, payload: new Uint8Array(size) });
}

async function timeline(records: PcapRecord[], extra?: (t: TimelineAnalyzer) => void) {
  const { sections } = await runAnalyzers(writePcap({}, records), (flows) => {
    const t = new TimelineAnalyzer(flows);
    extra?.(t);
    return { timeline: t };
  });
  const s = sections.timeline;
  expect(v.safeParse(timelineSchema, s).success).toBe(true);
  return s;
}

/** Non-zero cells as {bin: value}. */
function cells(series: number[]): Record<number, number> {
  const out: Record<number, number> = {};
  series.forEach((x, i) => {
    if (x !== 0) out[i] = x;
  });
  return out;
}

describe('TimelineAnalyzer bins', () => {
  it('starts with 1 ms bins for a short capture', async () => {
    const p = udp(1000); // 142 bytes on the wire
    const s = await timeline([at(0, p), at(0.0004, p), at(0.0015, p), at(0.25, p)]);
    expect(s.binSeconds).toBe(0.001);
    expect(s.bins).toBe(251);
    expect(cells(s.packets)).toEqual({ 0: 2, 1: 1, 250: 1 });
    expect(cells(s.bytes)).toEqual({ 0: 2 * p.length, 1: p.length, 250: p.length });
    expect(s.udpBytes).toEqual(s.bytes);
    expect(s.outOfOrderPackets).toBe(0);
    expect(s.firstPacketAt).toBe(T0);
  });

  it('doubles the width on a long gap, merging earlier bins, and never exceeds 2000 bins', async () => {
    const p = udp(1000);
    // 1 ms × 2000 covers 2 s. 10 s needs 8 ms bins (10/0.008 = 1250); 3000 s needs 2.048 s bins
    // (3000/2.048 = 1464.8), where everything before 2.048 s lands in bin 0 and 10 s in bin 4.
    const s = await timeline([at(0, p), at(0.0005, p), at(0.0015, p), at(1, p), at(10, p), at(3000, p)]);
    expect(s.binSeconds).toBe(2.048);
    expect(s.bins).toBe(1465);
    expect(s.packets.length).toBe(1465);
    expect(cells(s.packets)).toEqual({ 0: 4, 4: 1, 1464: 1 });
    expect(s.packets.reduce((a, b) => a + b, 0)).toBe(6);
  });

  it('keeps intermediate widths exact: a 10 s capture uses 8 ms bins', async () => {
    const p = udp(1000);
    const s = await timeline([at(0, p), at(0.009, p), at(1, p), at(10, p)]);
    expect(s.binSeconds).toBe(0.008);
    expect(s.bins).toBe(1251);
    expect(cells(s.packets)).toEqual({ 0: 1, 1: 1, 125: 1, 1250: 1 });
  });

  it('survives absurd time jumps with a bounded number of merges', async () => {
    const p = udp(1000);
    const s = await timeline([at(0, p), at(3e8, p)]);
    expect(s.bins).toBeLessThanOrEqual(2000);
    expect(s.packets.reduce((a, b) => a + b, 0)).toBe(2);
    expect(s.packets[0]).toBe(1);
    expect(s.packets[s.bins - 1]).toBe(1);
  });

  it('puts packets stamped before the first one into bin 0 and counts them', async () => {
    const p = udp(1000);
    const s = await timeline([at(0, p), at(0.5, p), at(-3, p), at(0.7, p)]);
    expect(s.outOfOrderPackets).toBe(1);
    expect(cells(s.packets)).toEqual({ 0: 2, 500: 1, 700: 1 });
    expect(s.firstPacketAt).toBe(T0);
  });

  it('splits bytes into TCP, UDP and other', async () => {
    const t = etherIpv4Tcp({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1, dstPort: 2, payload: new Uint8Array(10) });
    const u = etherIpv6Udp({ src: '2001:db8::1', dst: '2001:db8::2', srcPort: 1, dstPort: 2, payload: new Uint8Array(20) });
    const o = ethernet({ etherType: ETHERTYPE.IPV4, payload: ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: IPPROTO.ICMP, payload: icmp({ type: 8, code: 0 }) }) });
    const s = await timeline([at(0, t), at(0.0001, u), at(0.0002, o)]);
    expect(s.tcpBytes).toEqual([t.length]);
    expect(s.udpBytes).toEqual([u.length]);
    expect(s.otherBytes).toEqual([o.length]);
    expect(s.bytes).toEqual([t.length + u.length + o.length]);
  });

  it('bins empty captures as nothing', async () => {
    const s = await timeline([]);
    expect(s.bins).toBe(0);
    expect(s.packets).toEqual([]);
    expect(s.topFlows).toEqual([]);
  });
});

describe('TimelineAnalyzer events', () => {
  it('counts named events per bin and merges them with the bins', async () => {
    const p = udp(1000);
    let tl!: TimelineAnalyzer;
    const s = await timeline([at(0, p), at(0.5, p), at(10, p)], (t) => {
      tl = t;
      // Events may arrive before the packets that widen the bins (other analyzers run first).
      t.countEvent('retransmission', 0.0004);
      t.countEvent('retransmission', 0.0094);
      t.countEvent('rst', 0.5);
      const slot = t.eventSlot('zero_window');
      t.countEventAt(slot, 9.999);
      t.countEventAt(slot, -1);
    });
    expect(s.binSeconds).toBe(0.008);
    expect(cells(s.events.retransmission)).toEqual({ 0: 1, 1: 1 });
    expect(cells(s.events.rst)).toEqual({ 62: 1 });
    expect(cells(s.events.zero_window)).toEqual({ 0: 1, 1249: 1 });
    expect(Object.keys(s.events).sort()).toEqual(['retransmission', 'rst', 'zero_window']);
    expect(s.events.rst.length).toBe(s.bins);
    expect(tl.droppedEvents).toBe(0);
  });

  it('accepts at most 24 event names', async () => {
    let tl!: TimelineAnalyzer;
    const s = await timeline([at(0, udp(1))], (t) => {
      tl = t;
      for (let i = 0; i < 30; i++) t.countEvent(`e${i}`, 0);
    });
    expect(Object.keys(s.events)).toHaveLength(24);
    expect(tl.droppedEvents).toBe(6);
  });
});

describe('TimelineAnalyzer top flows', () => {
  it('reports the 10 largest flows with their throughput and labels', async () => {
    const recs: PcapRecord[] = [];
    // 12 UDP flows; flow k sends k+1 packets of 100 + 10k payload bytes, one every 10 ms.
    for (let k = 0; k < 12; k++) for (let i = 0; i <= k; i++) recs.push(at(k * 0.001 + i * 0.01, udp(2000 + k, 100 + 10 * k)));
    recs.sort((a, b) => a.tsSec - b.tsSec || a.tsFrac - b.tsFrac);
    const tcp = etherIpv4Tcp({ src: '192.168.1.5', dst: '192.168.1.9', srcPort: 443, dstPort: 51514, payload: new Uint8Array(1400) });
    recs.push(at(0.2, tcp), at(0.2005, tcp), at(0.201, tcp));
    const s = await timeline(recs);
    expect(s.topFlows).toHaveLength(10);
    // Largest: the TCP flow (3 × 1454 bytes), then UDP flows 11 (12 × 252 bytes), 10, … 3.
    expect(s.topFlows[0].protocol).toBe('tcp');
    expect(s.topFlows[0].label).toBe('192.168.1.5:443 ⇄ 192.168.1.9:51514 (tcp.stream 0)');
    expect(cells(s.topFlows[0].bytes)).toEqual({ 200: 2 * tcp.length, 201: tcp.length });
    const udpFlows = s.topFlows.slice(1);
    expect(udpFlows.map((f) => f.flow)).toEqual([11, 10, 9, 8, 7, 6, 5, 4, 3]);
    for (const f of udpFlows) {
      const k = f.flow;
      const len = udp(0, 100 + 10 * k).length;
      expect(f.label).toBe(`10.0.0.1:${2000 + k} ⇄ 10.0.0.2:9000 (udp.stream ${k})`);
      expect(f.bytes.reduce((a, b) => a + b, 0)).toBe((k + 1) * len);
      expect(f.bytes[k + 10 * 1]).toBe(len); // second packet at k ms + 10 ms
    }
  });

  it('brackets IPv6 addresses in labels', async () => {
    const u = etherIpv6Udp({ src: '2001:db8::1', dst: '2001:db8::2', srcPort: 5004, dstPort: 5006, payload: new Uint8Array(20) });
    const s = await timeline([at(0, u)]);
    expect(s.topFlows[0].label).toBe('[2001:db8::1]:5004 ⇄ [2001:db8::2]:5006 (udp.stream 0)');
  });

  it('a flow that grows heavy late enters the candidate set and misses its earlier bytes (documented approximation)', async () => {
    const recs: PcapRecord[] = [];
    // Fill the candidate set with 64 flows of 2 packets each, then a late flow that grows past them.
    let t = 0;
    for (let k = 0; k < TOP_FLOW_CANDIDATES; k++) {
      recs.push(at(t, udp(3000 + k, 200)), at(t + 0.0001, udp(3000 + k, 200)));
      t += 0.001;
    }
    const late = udp(4000, 200); // 242 bytes; candidates hold 484 bytes each: it enters at its 3rd packet
    for (let i = 0; i < 10; i++) recs.push(at(0.1 + i * 0.01, late));
    const s = await timeline(recs);
    const top = s.topFlows[0];
    expect(top.flow).toBe(TOP_FLOW_CANDIDATES);
    expect(top.label).toContain(':4000 ');
    const sum = top.bytes.reduce((a, b) => a + b, 0);
    expect(sum).toBe(8 * late.length); // packets 1–2 happened before it was a candidate
    expect(top.bytes[100]).toBe(0);
    expect(top.bytes[110]).toBe(0);
    expect(top.bytes[120]).toBe(late.length);
    // One of the original candidates was evicted to make room: 63 of them remain, 9 reported.
    expect(s.topFlows).toHaveLength(10);
  });
});
