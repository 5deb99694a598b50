import * as v from 'valibot';
import { afterAll, describe, expect, it } from 'vitest';
import { IpAnalyzer } from '../../worker/analyzers/ip.js';
import { QuadKeyTable } from '../../worker/analyzers/stats.js';
import { ipSchema } from '../../worker/report/sections/traffic.js';
import { writePcap, type PcapRecord } from '../helpers/capture-writer.js';
import { ETHERTYPE, ethernet, icmp, IPPROTO, ipv4, ipv6, udp } from '../helpers/packet-builder.js';
import { hasTshark, tempDir, tsharkFields } from '../helpers/tshark.js';
import { runAnalyzers } from './harness.js';

const T0 = 1_700_000_000;
const S = '10.0.0.1';
const D = '10.0.0.2';
const S6 = '2001:db8::1';
const D6 = '2001:db8::2';

const seg = udp({ srcIp: S, dstIp: D, srcPort: 1000, dstPort: 2000, payload: new Uint8Array(1000).fill(7) }); // 1008 bytes
const seg6 = udp({ srcIp: S6, dstIp: D6, srcPort: 1000, dstPort: 2000, payload: new Uint8Array(600).fill(9) }); // 608 bytes

function frag4(id: number, offset: number, end: number, more: boolean, ttl = 64): Uint8Array {
  return ethernet({
    etherType: ETHERTYPE.IPV4,
    payload: ipv4({ src: S, dst: D, protocol: IPPROTO.UDP, id, mf: more, fragOffset: offset, ttl, payload: seg.slice(offset, end) }),
  });
}

function frag6(id: number, offset: number, end: number, more: boolean, data = seg6): Uint8Array {
  return ethernet({
    etherType: ETHERTYPE.IPV6,
    payload: ipv6({ src: S6, dst: D6, nextHeader: IPPROTO.UDP, extensionHeaders: [{ type: 44, fragment: { offset, more, id } }], payload: data.slice(offset, end) }),
  });
}

function fixture(): PcapRecord[] {
  const frames = [
    // 1–3: datagram 1 in three fragments (complete on frame 3).
    frag4(1, 0, 400, true),
    frag4(1, 400, 800, true),
    frag4(1, 800, 1008, false),
    // 4–5: datagram 2 misses its middle fragment; 6: datagram 3 is only a middle fragment.
    frag4(2, 0, 400, true, 128),
    frag4(2, 800, 1008, false, 128),
    frag4(3, 400, 800, true, 128),
    // 7–8: an IPv6 datagram in two fragments; 9: an atomic fragment (a whole datagram).
    frag6(0x77, 0, 304, true),
    frag6(0x77, 304, 608, false),
    frag6(0x78, 0, 608, false),
    // 10: IPv4 total length 1000 on a short frame.
    ethernet({ etherType: ETHERTYPE.IPV4, payload: ipv4({ src: S, dst: D, protocol: IPPROTO.UDP, payload: seg.slice(0, 40), totalLengthOverride: 1000 }) }),
    // 11: reassembly time exceeded, quoting the first fragment of datagram 2 (MF set in the quote).
    ethernet({
      etherType: ETHERTYPE.IPV4,
      payload: ipv4({ src: D, dst: S, protocol: IPPROTO.ICMP, ttl: 255, payload: icmp({ type: 11, code: 1, payload: frag4(2, 0, 400, true).slice(14, 14 + 28) }) }),
    }),
  ];
  return frames.map((data, i) => ({ tsSec: T0, tsFrac: i * 1000, data }));
}

describe('IpAnalyzer', () => {
  const bytes = writePcap({}, fixture());
  let ip!: IpAnalyzer;
  const run = () => runAnalyzers(bytes, () => ({ ip: (ip = new IpAnalyzer()) }));

  it('counts versions, fragments, reassembly, incomplete datagrams, length errors and TTLs', async () => {
    const r = await run();
    const s = r.sections.ip;
    expect(v.safeParse(ipSchema, s).success).toBe(true);
    expect(s).toEqual({
      ipv4Packets: 8,
      ipv6Packets: 3,
      ipv4Fragments: 6,
      ipv6Fragments: 2,
      datagramsReassembled: 2,
      incompleteDatagrams: 2,
      lengthExceedsFrame: 1,
      ttl: {
        items: [
          { value: 64, packets: 7 },
          { value: 128, packets: 3 },
          { value: 255, packets: 1 },
        ],
        omitted: 0,
      },
    });
    expect(ip.atomicFragments).toBe(1);
    // tshark-style frame counts (any IPv4 header of the frame, including the one quoted by ICMP).
    expect(ip.framesMf).toBe(5);
    expect(ip.framesOffset).toBe(4);
    expect(ip.framesFragHeader).toBe(3);
    // The decoder agrees on what it could not complete and on the length error.
    expect(r.run.decoder.defrag.completed).toBe(2);
    expect(r.run.decoder.ipLengthExceedsFrame).toBe(1);
  });

  it('treats a fragment arriving over 60 s after its datagram began as a new datagram', async () => {
    const recs: PcapRecord[] = [
      { tsSec: T0, tsFrac: 0, data: frag4(9, 0, 400, true) },
      { tsSec: T0 + 61, tsFrac: 0, data: frag4(9, 400, 800, true) },
      { tsSec: T0 + 62, tsFrac: 0, data: frag4(9, 0, 400, true) },
      { tsSec: T0 + 63, tsFrac: 0, data: frag4(9, 800, 1008, false) },
    ];
    const { sections } = await runAnalyzers(writePcap({}, recs), () => ({ ip: new IpAnalyzer() }));
    expect(sections.ip.datagramsReassembled).toBe(1);
    expect(sections.ip.incompleteDatagrams).toBe(1);
  });

  it('keeps the 64 most frequent TTL values', async () => {
    const recs: PcapRecord[] = [];
    for (let ttl = 1; ttl <= 70; ttl++) {
      for (let k = 0; k < (ttl <= 6 ? 2 : 1); k++) {
        const data = ethernet({ etherType: ETHERTYPE.IPV4, payload: ipv4({ src: S, dst: D, protocol: IPPROTO.UDP, ttl, payload: seg.slice(0, 16) }) });
        recs.push({ tsSec: T0, tsFrac: recs.length, data });
      }
    }
    const { sections } = await runAnalyzers(writePcap({}, recs), () => ({ ip: new IpAnalyzer() }));
    expect(sections.ip.ttl.items).toHaveLength(64);
    expect(sections.ip.ttl.omitted).toBe(6);
    expect(sections.ip.ttl.items.slice(0, 7)).toEqual([1, 2, 3, 4, 5, 6].map((value) => ({ value, packets: 2 })).concat([{ value: 7, packets: 1 }]));
  });

  describe.skipIf(!hasTshark())('agrees with tshark on the fixture', () => {
    const tmp = tempDir('ip-fixture-');
    afterAll(() => tmp.cleanup());
    const file = tmp.write('ip.pcap', bytes);

    it('fragment frame counts and reassembly', async () => {
      await run();
      const count = (filter: string) => tsharkFields(file, ['frame.number'], { prefs: [], filter }).length;
      expect(ip.framesMf).toBe(count('ip.flags.mf==1'));
      expect(ip.framesOffset).toBe(count('ip.frag_offset>0'));
      expect(ip.framesFragHeader).toBe(count('ipv6.fraghdr'));
      // Frames where Wireshark reassembled a datagram.
      const r = await run();
      expect(r.sections.ip.datagramsReassembled).toBe(count('ip.reassembled.length || ipv6.reassembled.length'));
    });
  });
});

describe('QuadKeyTable (the datagram and echo tables)', () => {
  it('behaves like a map under random inserts, finds and removals, sweeps included', () => {
    const t = new QuadKeyTable(8); // 256 slots, 128 entries: plenty of probe-run collisions
    const ref = new Map<string, number>();
    let seed = 42;
    const rnd = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    for (let step = 0; step < 20_000; step++) {
      const k = [rnd(40), rnd(3), 7, rnd(2)] as const;
      const key = k.join('/');
      const slot = t.find(k[0], k[1], k[2], k[3]);
      expect(slot >= 0).toBe(ref.has(key));
      if (slot >= 0) {
        expect(t.value[slot]).toBe(ref.get(key));
        if (rnd(2) === 0) {
          t.remove(slot);
          ref.delete(key);
        }
      } else if (t.insert(k[0], k[1], k[2], k[3], step) >= 0) {
        ref.set(key, step);
      } else {
        expect(ref.size).toBe(t.maxEntries);
      }
      if (step % 1000 === 999) {
        const limit = step - 300;
        const removed = t.removeBelow(limit);
        let expectRemoved = 0;
        for (const [key2, val] of ref) {
          if (val < limit) {
            ref.delete(key2);
            expectRemoved++;
          }
        }
        expect(removed).toBe(expectRemoved);
      }
      expect(t.size).toBe(ref.size);
    }
  });
});
