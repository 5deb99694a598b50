import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { MAX_TRACKED_DIRECTIONS, snapRate, UdpAnalyzer } from '../../worker/analyzers/udp.js';
import { udpSchema } from '../../worker/report/sections/traffic.js';
import { writePcap, type PcapRecord } from '../helpers/capture-writer.js';
import { etherIpv4Udp } from '../helpers/packet-builder.js';
import { runAnalyzers } from './harness.js';

const T0 = 1_700_000_000;

/** Record at `us` microseconds after T0 (integral, so arrival times are exact). */
function atUs(us: number, data: Uint8Array): PcapRecord {
  const sec = Math.floor(us / 1e6);
  return { tsSec: T0 + sec, tsFrac: us - sec * 1e6, data };
}

function rtp(o: { seq: number; ts: number; ssrc: number; pt: number; bytes?: number }): Uint8Array {
  const p = new Uint8Array(12 + (o.bytes ?? 160));
  const dv = new DataView(p.buffer);
  p[0] = 0x80;
  p[1] = o.pt;
  dv.setUint16(2, o.seq & 0xffff);
  dv.setUint32(4, o.ts >>> 0);
  dv.setUint32(8, o.ssrc >>> 0);
  return p;
}

/** Payload that is not RTP (first byte 0x17: version 0). */
function opaque(n = 100): Uint8Array {
  return new Uint8Array(n).fill(0x17);
}

const A = { src: '10.1.1.1', dst: '10.2.2.2', srcPort: 40000, dstPort: 40002 };
const B = { src: '10.2.2.2', dst: '10.1.1.1', srcPort: 40002, dstPort: 40000 };

async function analyze(records: PcapRecord[]) {
  records.sort((a, b) => a.tsSec - b.tsSec || a.tsFrac - b.tsFrac);
  let udp!: UdpAnalyzer;
  const r = await runAnalyzers(writePcap({}, records), (flows) => ({ udp: (udp = new UdpAnalyzer(flows)) }));
  expect(v.safeParse(udpSchema, r.sections.udp).success).toBe(true);
  return { section: r.sections.udp, udp };
}

/** RFC 3550 appendix A.8, in RTP timestamp units, from arrival times (µs) and RTP timestamps. */
function rfc3550(arrivalUs: number[], ts: number[], rate: number): { final: number; max: number } {
  let jitter = 0;
  let max = 0;
  let prev: number | undefined;
  for (let i = 0; i < arrivalUs.length; i++) {
    const transit = (arrivalUs[i] * rate) / 1e6 - ts[i];
    if (prev !== undefined) {
      const d = Math.abs(transit - prev);
      jitter += (d - jitter) / 16;
      max = Math.max(max, jitter);
    }
    prev = transit;
  }
  return { final: (jitter / rate) * 1000, max: (max / rate) * 1000 };
}

/** The documented non-RTP estimate: deviation of each interval from the mean of the earlier ones. */
function spacingJitter(arrivalUs: number[]): { final: number; max: number } {
  let jitter = 0;
  let max = 0;
  let sum = 0;
  let n = 0;
  for (let i = 1; i < arrivalUs.length; i++) {
    const interval = (arrivalUs[i] - arrivalUs[i - 1]) / 1e6;
    if (n > 0) {
      jitter += (Math.abs(interval - sum / n) - jitter) / 16;
      max = Math.max(max, jitter);
    }
    sum += interval;
    n++;
  }
  return { final: jitter * 1000, max: max * 1000 };
}

describe('UdpAnalyzer jitter', () => {
  it('is zero for a constant-rate stream without RTP', async () => {
    const recs = Array.from({ length: 50 }, (_, i) => atUs(i * 20_000, etherIpv4Udp({ ...A, payload: opaque() })));
    const { section } = await analyze(recs);
    expect(section.flows.items).toHaveLength(1);
    const row = section.flows.items[0];
    expect(row).toMatchObject({ flow: 0, from: { ip: '10.1.1.1', port: 40000 }, to: { ip: '10.2.2.2', port: 40002 }, packets: 50 });
    expect(row.jitterMs).toBeLessThan(1e-9);
    expect(row.maxJitterMs).toBeLessThan(1e-9);
    expect(row.meanIntervalMs).toBeCloseTo(20, 9);
    expect(row.maxGap).toBeCloseTo(0.02, 12);
  });

  it('is zero for a constant-rate RTP stream', async () => {
    const recs = Array.from({ length: 50 }, (_, i) =>
      atUs(i * 20_000, etherIpv4Udp({ ...A, payload: rtp({ seq: i, ts: 1000 + i * 160, ssrc: 0x1234, pt: 0 }) })),
    );
    const { section, udp } = await analyze(recs);
    expect(udp.methodOf(0, 0)).toBe('rtp');
    expect(section.flows.items[0].jitterMs).toBeLessThan(1e-9);
  });

  it('follows RFC 3550 exactly for RTP with alternating delays (and keeps the maximum)', async () => {
    // PCMU (payload type 0, 8 kHz): sent every 20 ms; odd packets 10 ms late for the first 30 packets,
    // then on time, so the estimate rises towards 10 ms and decays afterwards.
    const arrival: number[] = [];
    const ts: number[] = [];
    const recs: PcapRecord[] = [];
    for (let i = 0; i < 60; i++) {
      const us = 5_000 + i * 20_000 + (i < 30 && i % 2 === 1 ? 10_000 : 0);
      const stamp = (4_000_000_000 + i * 160) >>> 0; // wraps around 2^32 on the way
      arrival.push(us);
      ts.push(4_000_000_000 + i * 160);
      recs.push(atUs(us, etherIpv4Udp({ ...A, payload: rtp({ seq: 65530 + i, ts: stamp, ssrc: 0xdeadbeef, pt: 0 }) })));
    }
    // A stray non-RTP packet from the other side does not disturb this direction.
    recs.push(atUs(500_000, etherIpv4Udp({ ...B, payload: opaque() })));
    const { section, udp } = await analyze(recs);
    const want = rfc3550(arrival, ts, 8000);
    expect(want.max).toBeGreaterThan(8);
    expect(want.final).toBeLessThan(want.max);
    expect(udp.methodOf(0, 0)).toBe('rtp');
    expect(section.flows.items).toHaveLength(1);
    const row = section.flows.items[0];
    expect(row.jitterMs).toBeCloseTo(want.final, 9);
    expect(row.maxJitterMs).toBeCloseTo(want.max, 9);
    expect(row.maxGap).toBeCloseTo(0.03, 12);
  });

  it('uses the documented spacing estimate for the same arrivals without RTP', async () => {
    const arrival = Array.from({ length: 60 }, (_, i) => i * 20_000 + (i < 30 && i % 2 === 1 ? 10_000 : 0));
    const recs = arrival.map((us) => atUs(us, etherIpv4Udp({ ...A, payload: opaque() })));
    const { section, udp } = await analyze(recs);
    const want = spacingJitter(arrival);
    expect(udp.methodOf(0, 0)).toBe('spacing');
    const row = section.flows.items[0];
    expect(row.jitterMs).toBeCloseTo(want.final, 9);
    expect(row.maxJitterMs).toBeCloseTo(want.max, 9);
    // For a constant-rate sender this approaches the RFC 3550 value (10 ms deviations here).
    expect(row.maxJitterMs).toBeGreaterThan(8);
  });

  it('estimates the clock rate of a dynamic payload type (Opus, 48 kHz)', async () => {
    const recs: PcapRecord[] = [];
    for (let i = 0; i < 100; i++) {
      const us = i * 20_000 + (i % 2 === 1 ? 4_000 : 0);
      recs.push(atUs(us, etherIpv4Udp({ ...A, payload: rtp({ seq: i, ts: i * 960, ssrc: 7, pt: 111, bytes: 80 }) })));
    }
    const { section, udp } = await analyze(recs);
    expect(udp.methodOf(0, 0)).toBe('rtp');
    const row = section.flows.items[0];
    // |D| is 4 ms for every pair once the filter runs (from 0.5 s on): J → 4 ms.
    expect(row.jitterMs).toBeGreaterThan(3.9);
    expect(row.jitterMs).toBeLessThanOrEqual(4 + 1e-9);
  });

  it('ignores RTCP multiplexed on the port and snaps rates to standard values', async () => {
    const recs: PcapRecord[] = [];
    for (let i = 0; i < 40; i++) recs.push(atUs(i * 20_000, etherIpv4Udp({ ...A, payload: rtp({ seq: i, ts: i * 160, ssrc: 9, pt: 8 }) })));
    // Two RTCP sender reports (byte 1 = 200) among 40 RTP packets.
    const sr = rtp({ seq: 0, ts: 0, ssrc: 9, pt: 200 & 0x7f });
    sr[1] = 200;
    recs.push(atUs(100_000 + 1, etherIpv4Udp({ ...A, payload: sr })), atUs(500_000 + 1, etherIpv4Udp({ ...A, payload: sr })));
    const { udp } = await analyze(recs);
    expect(udp.methodOf(0, 0)).toBe('rtp');
    expect(snapRate(47_619)).toBe(48_000);
    expect(snapRate(8_100)).toBe(8_000);
    expect(snapRate(60_000)).toBe(-1);
  });

  it('measures each direction separately and sorts by jitter', async () => {
    const recs: PcapRecord[] = [];
    for (let i = 0; i < 30; i++) {
      recs.push(atUs(i * 20_000, etherIpv4Udp({ ...A, payload: opaque() })));
      recs.push(atUs(i * 30_000 + (i % 2) * 5_000 + 1, etherIpv4Udp({ ...B, payload: opaque() })));
    }
    const { section } = await analyze(recs);
    expect(section.flows.items.map((r) => `${r.from.port}>${r.to.port}`)).toEqual(['40002>40000', '40000>40002']);
    expect(section.flows.items[0].jitterMs).toBeGreaterThan(1);
    expect(section.flows.items[1].jitterMs).toBeLessThan(1e-9);
    expect(section.flows.items[0].meanIntervalMs).toBeCloseTo(875 / 29, 6);
  });

  it('reports no row for directions under 10 packets or for sparse non-RTP traffic', async () => {
    const recs: PcapRecord[] = [];
    for (let i = 0; i < 9; i++) recs.push(atUs(i * 20_000, etherIpv4Udp({ ...A, payload: opaque() })));
    // 12 announcements 5 s apart: not a stream.
    for (let i = 0; i < 12; i++) recs.push(atUs(i * 5_000_000 + 3, etherIpv4Udp({ src: '10.9.9.9', dst: '239.255.255.250', srcPort: 1900, dstPort: 1900, payload: opaque() })));
    const { section } = await analyze(recs);
    expect(section.flows).toEqual({ items: [], omitted: 0 });
  });

  it('records the largest silence and excludes pauses from the jitter', async () => {
    // 20 ms spacing with a 2 s pause in the middle (silence suppression): jitter stays 0.
    const arrival: number[] = [];
    for (let i = 0; i < 20; i++) arrival.push(i * 20_000);
    for (let i = 0; i < 20; i++) arrival.push(2_380_000 + i * 20_000);
    const { section } = await analyze(arrival.map((us) => atUs(us, etherIpv4Udp({ ...A, payload: opaque() }))));
    const row = section.flows.items[0];
    expect(row.maxGap).toBeCloseTo(2, 9);
    expect(row.jitterMs).toBeLessThan(1e-9);
    expect(row.maxJitterMs).toBeLessThan(1e-9);
    expect(row.meanIntervalMs).toBeCloseTo((2_760_000 / 39) / 1000, 9);
  });

  it('bounds its state: idle one-packet directions give their slots back, the rest is counted', async () => {
    const recs: PcapRecord[] = [];
    // Fill every slot with one-packet flows (DNS-like) spread over the first 3 s.
    const n = MAX_TRACKED_DIRECTIONS;
    const one = (i: number) => etherIpv4Udp({ src: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, dst: '10.255.0.1', srcPort: 5000, dstPort: 53, payload: opaque(20) });
    for (let i = 0; i < n; i++) recs.push(atUs(Math.floor((i * 3_000_000) / n), one(i)));
    // A stream starting at 4 s needs a slot: the sweep frees those idle for 2 s.
    for (let i = 0; i < 20; i++) recs.push(atUs(4_000_000 + i * 20_000, etherIpv4Udp({ ...A, payload: opaque() })));
    // The first one-packet flow comes back with 12 more packets: its slot was given away, so it is
    // not measured, only counted.
    for (let i = 0; i < 12; i++) recs.push(atUs(5_000_000 + i * 20_000 + 7, one(0)));
    const { section } = await analyze(recs);
    expect(section.flows.items.map((r) => r.from.port)).toEqual([40000]);
    expect(section.flows.omitted).toBe(1);
  });
});
