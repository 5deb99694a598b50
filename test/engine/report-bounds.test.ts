/**
 * A crafted capture can declare more interfaces, block types and kinds of undecodable frames than a
 * report may hold; the report must still pass its own validator (or it could be neither cached, shared
 * nor uploaded) and say what it left out.
 */
import { describe, expect, it } from 'vitest';
import { analyzeCapture, summarizeCapture, validateReport } from '../../worker/index.js';
import { MAX_BLOCK_TYPES, MAX_REPORT_INTERFACES, MAX_UNDECODED_REASONS } from '../../worker/report/sections/summary.js';
import { PcapngWriter, writePcap } from '../helpers/capture-writer.js';
import { etherIpv4Tcp, ethernet } from '../helpers/packet-builder.js';

function crafted(): Uint8Array {
  const w = new PcapngWriter().shb();
  for (let i = 0; i < MAX_REPORT_INTERFACES + 476; i++) w.idb({ linkType: 1 });
  // One frame for each of 300 unknown ethertypes (0x9000 + n is unassigned), twice for the first 50.
  for (let n = 0; n < 300; n++) {
    const frame = ethernet({ etherType: 0x9000 + n, payload: new Uint8Array(46) });
    for (let k = 0; k < (n < 50 ? 2 : 1); k++) w.epb({ iface: n % 7, ts: BigInt(n * 1000 + k), data: frame });
  }
  for (let t = 0; t < 60; t++) w.rawBlock(0x40000000 + t, new Uint8Array(4));
  return w.bytes();
}

describe('report bounds on a capture that declares too much', () => {
  it('keeps the first interfaces, folds the rarest block types and undecoded reasons, and validates', async () => {
    const bytes = crafted();
    const report = await analyzeCapture([bytes]);
    const s = report.summary;
    expect(s.packets).toBe(350);
    expect(s.interfaces).toHaveLength(MAX_REPORT_INTERFACES);
    expect(s.interfacesOmitted).toBe(476);
    expect(s.interfaces[0].packets).toBeGreaterThan(0);

    expect(Object.keys(s.blockCounts)).toHaveLength(MAX_BLOCK_TYPES);
    expect(s.blockCounts.IDB).toBe(MAX_REPORT_INTERFACES + 476);
    expect(s.blockCounts.EPB).toBe(350);
    // 60 unknown block types, one each: the 31 entries kept are IDB, EPB, SHB and 28 of them.
    expect(s.blockCounts['other block types']).toBe(60 - 28);

    expect(Object.keys(s.undecoded)).toHaveLength(MAX_UNDECODED_REASONS);
    const total = Object.values(s.undecoded).reduce((a, b) => a + b, 0);
    expect(total).toBe(350);
    // The most frequent reasons are the ones kept by name.
    expect(Object.values(s.undecoded).filter((n) => n === 2)).toHaveLength(50);
    expect(s.undecoded['other reasons']).toBe(300 - (MAX_UNDECODED_REASONS - 1));

    const checked = validateReport(JSON.parse(JSON.stringify(report)));
    expect(checked.ok ? 'valid' : checked.error).toBe('valid');
  });

  it('leaves the info summary whole, as capinfos lists every interface', async () => {
    const s = await summarizeCapture([crafted()]);
    expect(s.interfaces).toHaveLength(MAX_REPORT_INTERFACES + 476);
    expect(s.interfacesOmitted).toBeUndefined();
  });
});

describe('report validity when the capture clock goes backwards', () => {
  it('keeps a negative SYN back-off interval (a merged capture) and validates', async () => {
    const syn = (t: number) => ({ sec: 1_700_000_000 + t, data: etherIpv4Tcp({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 40000, dstPort: 443, seq: 100, ack: 0, flags: 'S' }) });
    const records = [syn(0), syn(1), syn(-2)].map((r) => ({ tsSec: r.sec, tsFrac: 0, data: r.data }));
    const report = await analyzeCapture([writePcap({}, records)]);
    const backoff = report.tcp.handshakes.backoff.items[0];
    expect(backoff.frames).toEqual([1, 2, 3]);
    expect(backoff.intervals).toEqual([1, -3]);
    expect(backoff.followsDoubling).toBe(false);
    const checked = validateReport(JSON.parse(JSON.stringify(report)));
    expect(checked.ok ? 'valid' : checked.error).toBe('valid');
  });

  it('counts no negative zero-window time when the window reopens at an earlier timestamp', async () => {
    const c = { src: '10.0.0.1', dst: '10.0.0.2', srcPort: 40000, dstPort: 443 };
    const s = { src: '10.0.0.2', dst: '10.0.0.1', srcPort: 443, dstPort: 40000 };
    const frames: Array<[number, Uint8Array]> = [
      [0, etherIpv4Tcp({ ...c, seq: 100, ack: 0, flags: 'S' })],
      [0.01, etherIpv4Tcp({ ...s, seq: 500, ack: 101, flags: 'SA' })],
      [0.02, etherIpv4Tcp({ ...c, seq: 101, ack: 501, flags: 'A' })],
      [0.03, etherIpv4Tcp({ ...c, seq: 101, ack: 501, flags: 'PA', payload: new Uint8Array(100) })],
      [0.04, etherIpv4Tcp({ ...s, seq: 501, ack: 201, flags: 'A', window: 0 })],
      // The clock steps back 10 s (a merged capture) before the window reopens.
      [-10, etherIpv4Tcp({ ...s, seq: 501, ack: 201, flags: 'A', window: 8192 })],
    ];
    const report = await analyzeCapture([writePcap({}, frames.map(([t, data]) => ({ tsSec: 1_700_000_100 + Math.floor(t), tsFrac: Math.round((t - Math.floor(t)) * 1e6), data })))]);
    expect(report.tcp.totals.zero_window).toBe(1);
    expect(report.tcp.flows.items[0].zeroWindowSeconds).toBe(0);
    const checked = validateReport(JSON.parse(JSON.stringify(report)));
    expect(checked.ok ? 'valid' : checked.error).toBe('valid');
  });
});
