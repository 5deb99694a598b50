import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { GapsAnalyzer } from '../../worker/analyzers/gaps.js';
import { gapsSchema } from '../../worker/report/sections/traffic.js';
import type { Thresholds } from '../../worker/report/thresholds.js';
import { writePcap, type PcapRecord } from '../helpers/capture-writer.js';
import { etherIpv4Tcp, etherIpv4Udp } from '../helpers/packet-builder.js';
import { runAnalyzers } from './harness.js';

const T0 = 1_700_000_000;

function atUs(us: number, data: Uint8Array): PcapRecord {
  const sec = Math.floor(us / 1e6);
  return { tsSec: T0 + sec, tsFrac: us - sec * 1e6, data };
}

const flowA = etherIpv4Udp({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1111, dstPort: 2222, payload: new Uint8Array(58) }); // 100 bytes
const flowB = etherIpv4Udp({ src: '10.0.0.3', dst: '10.0.0.4', srcPort: 3333, dstPort: 4444, payload: new Uint8Array(58) });
const flowC = etherIpv4Tcp({ src: '10.0.0.5', dst: '10.0.0.6', srcPort: 5555, dstPort: 80 });

async function gaps(records: PcapRecord[], thresholds: Partial<Thresholds> = {}) {
  records.sort((a, b) => a.tsSec - b.tsSec || a.tsFrac - b.tsFrac);
  const { sections } = await runAnalyzers(writePcap({}, records), (flows) => ({ gaps: new GapsAnalyzer(flows, thresholds) }), { thresholds });
  expect(v.safeParse(gapsSchema, sections.gaps).success).toBe(true);
  return sections.gaps;
}

describe('GapsAnalyzer silences', () => {
  it('reports capture silences just above the threshold, not those exactly at it, largest first', async () => {
    const s = await gaps([
      atUs(500_000, flowA), // t = 0
      atUs(1_500_000, flowA), // +1.000000 s: exactly the threshold, not a gap
      atUs(2_500_001, flowA), // +1.000001 s: a gap
      atUs(2_600_000, flowA),
      atUs(5_000_000, flowA), // +2.4 s
    ]);
    expect(s.thresholdSeconds).toBe(1);
    expect(s.capture.omitted).toBe(0);
    expect(s.capture.items).toHaveLength(2);
    expect(s.capture.items[0]).toEqual({ afterFrame: 4, beforeFrame: 5, start: expect.closeTo(2.1, 9), duration: expect.closeTo(2.4, 9) });
    expect(s.capture.items[1]).toEqual({ afterFrame: 2, beforeFrame: 3, start: 1, duration: expect.closeTo(1.000001, 9) });
    // The same flow carried every packet: its silences are the same.
    expect(s.flows.items.map((g) => [g.flow, g.protocol, g.afterFrame, g.beforeFrame])).toEqual([
      [0, 'udp', 4, 5],
      [0, 'udp', 2, 3],
    ]);
  });

  it('reports per-flow silences while other traffic keeps the capture busy', async () => {
    const recs: PcapRecord[] = [];
    // Flow B every 0.5 s from 0.05 to 3.05 s: no capture gap.
    for (let i = 0; i <= 6; i++) recs.push(atUs(50_000 + i * 500_000, flowB));
    // Flow A: 0, 0.1, then 3.2 (silent 3.1 s).
    recs.push(atUs(0, flowA), atUs(100_000, flowA), atUs(3_200_000, flowA));
    // Flow C (TCP): 0.2, 1.2 (exactly 1 s later: not a gap), 2.200002 (just above).
    recs.push(atUs(200_000, flowC), atUs(1_200_000, flowC), atUs(2_200_002, flowC));
    const s = await gaps(recs);
    expect(s.capture.items).toEqual([]);
    expect(s.flows.items).toHaveLength(2);
    const [a, c] = s.flows.items;
    expect(a).toEqual({ flow: 0, protocol: 'udp', afterFrame: 3, beforeFrame: 13, start: expect.closeTo(0.1, 12), duration: expect.closeTo(3.1, 9) });
    expect(c).toEqual({ flow: 0, protocol: 'tcp', afterFrame: 7, beforeFrame: 10, start: expect.closeTo(1.2, 12), duration: expect.closeTo(1.000002, 9) });
  });

  it('uses the configured threshold', async () => {
    const s = await gaps([atUs(0, flowA), atUs(600_000, flowA), atUs(1_000_000, flowA)], { gapSeconds: 0.5 });
    expect(s.thresholdSeconds).toBe(0.5);
    expect(s.capture.items.map((g) => [g.afterFrame, g.beforeFrame])).toEqual([[1, 2]]);
  });

  it('ignores timestamps going backwards instead of inventing gaps', async () => {
    // Written unsorted on purpose: 0, 5.0, 0.6 (late), 5.1.
    const { sections } = await runAnalyzers(
      writePcap({}, [atUs(0, flowA), atUs(5_000_000, flowB), atUs(600_000, flowA), atUs(5_100_000, flowA)]),
      (flows) => ({ gaps: new GapsAnalyzer(flows) }),
    );
    // 0 → 5.0 is a capture gap; 0.6 → 5.1 is not another one, since 5.0 had already been seen.
    expect(sections.gaps.capture.items.map((g) => [g.afterFrame, g.beforeFrame])).toEqual([[1, 2]]);
    // Flow A: 0 → 0.6 (no gap), 0.6 → 5.1 (4.5 s).
    expect(sections.gaps.flows.items.map((g) => [g.afterFrame, g.beforeFrame, g.duration])).toEqual([[3, 4, expect.closeTo(4.5, 9)]]);
  });

  it('keeps the 200 largest silences and counts the rest', async () => {
    const recs: PcapRecord[] = [];
    let us = 0;
    for (let i = 0; i < 260; i++) {
      recs.push(atUs(us, flowA));
      us += 1_100_000 + i * 1000; // growing gaps, all above 1 s
    }
    const s = await gaps(recs);
    expect(s.capture.items).toHaveLength(200);
    expect(s.capture.omitted).toBe(59);
    expect(s.capture.items[0].afterFrame).toBe(259);
    expect(s.capture.items[199].afterFrame).toBe(60);
    const d = s.capture.items.map((g) => g.duration);
    expect([...d].sort((x, y) => y - x)).toEqual(d);
  });
});

describe('GapsAnalyzer bursts', () => {
  /** 10 packets/s for 20 s, plus 290 extra packets in second 4 and 190 extra in each of seconds 12–13. */
  function burstCapture(): PcapRecord[] {
    const recs: PcapRecord[] = [];
    for (let k = 0; k <= 200; k++) recs.push(atUs(k * 100_000, flowA));
    for (let i = 0; i < 290; i++) recs.push(atUs(4_000_001 + i * 3000, flowB));
    for (let s = 12; s <= 13; s++) for (let i = 0; i < 190; i++) recs.push(atUs(s * 1_000_000 + 1 + i * 4000, flowB));
    return recs;
  }

  it('merges contiguous busy seconds and ranks bursts by size', async () => {
    // 871 packets over 20 s: 43.55/s on average; with factor 4, seconds above 174.2 packets are bursts.
    const s = await gaps(burstCapture(), { burstFactor: 4 });
    expect(s.bursts.omitted).toBe(0);
    expect(s.bursts.items).toEqual([
      { start: 12, duration: 2, packets: 400, bytes: 400 * 100, rateMultiple: 4.59 },
      { start: 4, duration: 1, packets: 300, bytes: 300 * 100, rateMultiple: 6.89 },
    ]);
  });

  it('finds only the sharper burst at the default factor (5)', async () => {
    const s = await gaps(burstCapture());
    expect(s.bursts.items.map((b) => [b.start, b.packets])).toEqual([[4, 300]]);
  });

  it('looks for no bursts in captures shorter than 5 s', async () => {
    const recs: PcapRecord[] = [];
    for (let k = 0; k < 40; k++) recs.push(atUs(k * 100_000, flowA));
    for (let i = 0; i < 500; i++) recs.push(atUs(1_000_000 + i * 1000, flowB));
    const s = await gaps(recs);
    expect(s.bursts).toEqual({ items: [], omitted: 0 });
  });
});
