import { readFileSync } from 'node:fs';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { GapsAnalyzer } from '../../worker/analyzers/gaps.js';
import { IcmpAnalyzer } from '../../worker/analyzers/icmp.js';
import { IpAnalyzer } from '../../worker/analyzers/ip.js';
import { TimelineAnalyzer } from '../../worker/analyzers/timeline.js';
import { UdpAnalyzer } from '../../worker/analyzers/udp.js';
import { timelineSchema } from '../../worker/report/sections/timeline.js';
import { gapsSchema, icmpSchema, ipSchema, udpSchema } from '../../worker/report/sections/traffic.js';
import { capturePath, manifest, reference } from '../corpus/corpus.js';
import { corpusPresentOrSkip } from '../corpus/corpus-tests.js';
import { hasTshark, tsharkFields } from '../helpers/tshark.js';
import { runAnalyzers } from './harness.js';

export interface TrafficDifference {
  capture: string;
  metric: 'icmp' | 'icmpv6' | 'ip.flags.mf==1' | 'ip.frag_offset>0' | 'ipv6.fraghdr' | 'lengthExceedsFrame';
  ours: number;
  theirs: number;
  reason: string;
}

/**
 * Where the ICMP and IP sections differ on purpose from tshark 4.0.17 (and, for `lengthExceedsFrame`,
 * from the decoder's own `ipLengthExceedsFrame` counter), with the reason. Anything not listed agrees.
 */
export const TRAFFIC_KNOWN_DIFFERENCES: TrafficDifference[] = [
  {
    capture: 'zeek/trunc/mpls-6in6-broken.pcap.gz',
    metric: 'ip.flags.mf==1',
    ours: 0,
    theirs: 1,
    reason:
      'frame 427 is an IPv4 header whose total length (21) is below its header length: tshark shows the flag fields and then ' +
      'calls the header malformed; the decoder stops before the fragment fields, so it is not a fragment (nothing to reassemble)',
  },
  {
    capture: 'zeek/trunc/mpls-6in6-broken.pcap.gz',
    metric: 'ip.frag_offset>0',
    ours: 0,
    theirs: 2,
    reason: 'frames 427 and 1722: IPv4 total lengths 21 and 26 are below the header length (malformed headers, see above)',
  },
  {
    capture: 'pcapplusplus/ip4_bad_fragment.pcap',
    metric: 'ip.frag_offset>0',
    ours: 0,
    theirs: 1,
    reason: 'the only frame declares a 60-byte IPv4 header with 42 bytes present: tshark shows the offset before the header runs out; the decoder stops at the cut header',
  },
];

function expected(capture: string, metric: TrafficDifference['metric'], ours: number, theirs: number): void {
  const known = TRAFFIC_KNOWN_DIFFERENCES.find((d) => d.capture === capture && d.metric === metric);
  if (known) {
    expect({ metric, ours, theirs }).toEqual({ metric, ours: known.ours, theirs: known.theirs });
  } else {
    expect({ metric, ours }).toEqual({ metric, ours: theirs });
  }
}

describe('corpus: ICMP, IP and traffic sections vs tshark 4.0.17', () => {
  if (!corpusPresentOrSkip()) return;
  const entries = manifest().filter((e) => reference(e) !== null);

  for (const entry of entries) {
    it(entry.path, async () => {
      const ref = reference(entry)!;
      let ip!: IpAnalyzer;
      const r = await runAnalyzers(readFileSync(capturePath(entry)), (flows) => ({
        timeline: new TimelineAnalyzer(flows),
        udp: new UdpAnalyzer(flows),
        icmp: new IcmpAnalyzer(),
        ip: (ip = new IpAnalyzer()),
        gaps: new GapsAnalyzer(flows),
      }));
      const s = r.sections;
      // Every section is a valid, bounded report section.
      for (const [name, schema, section] of [
        ['timeline', timelineSchema, s.timeline],
        ['udp', udpSchema, s.udp],
        ['icmp', icmpSchema, s.icmp],
        ['ip', ipSchema, s.ip],
        ['gaps', gapsSchema, s.gaps],
      ] as const) {
        const res = v.safeParse(schema as v.GenericSchema, section);
        expect(res.success ? [] : res.issues.slice(0, 3).map((i) => `${name}: ${i.message}`)).toEqual([]);
      }
      // The timeline holds every packet once.
      expect(s.timeline.packets.reduce((a, b) => a + b, 0)).toBe(r.run.packetCount());
      // Containers tshark reads but the engine rejects by design (Solaris snoop) have nothing to compare.
      if (ref.status !== 'ok' || entry.malformedKind === 'container') return;
      // ICMP messages: frames tshark shows as `icmp` or `icmpv6` (never both at the top level).
      expected(entry.path, 'icmp', s.icmp.messages, ref.icmp.icmp + ref.icmp.icmpv6);
      const fr = ref.ip_fragments;
      expected(entry.path, 'ip.flags.mf==1', ip.framesMf, fr['ip.flags.mf==1']);
      expected(entry.path, 'ip.frag_offset>0', ip.framesOffset, fr['ip.frag_offset>0']);
      expected(entry.path, 'ipv6.fraghdr', ip.framesFragHeader, fr['ipv6.fraghdr']);
      // Fragments never outnumber what tshark selects; datagrams the decoder left pending are incomplete.
      expect(s.ip.ipv6Fragments + ip.atomicFragments).toBe(ip.framesFragHeader);
      const defrag = r.run.decoder.defrag;
      expect(s.ip.datagramsReassembled).toBe(defrag.completed);
      // The decoder keeps what it could not complete in a private map: compare when it is there.
      const pending = (defrag as unknown as { pending?: Map<string, unknown> }).pending;
      if (pending instanceof Map) expect(s.ip.incompleteDatagrams).toBe(pending.size + defrag.evicted);
      expected(entry.path, 'lengthExceedsFrame', s.ip.lengthExceedsFrame, r.run.decoder.ipLengthExceedsFrame);
      // Frames with IPv4 / IPv6 as tshark's protocol hierarchy counts them ("...ip" when nested deep).
      const fb = ref.protocol_hierarchy.frames_by_protocol;
      expect([s.ip.ipv4Packets, s.ip.ipv6Packets]).toEqual([(fb.ip ?? 0) + (fb['...ip'] ?? 0), (fb.ipv6 ?? 0) + (fb['...ipv6'] ?? 0)]);
    });
  }

  describe.skipIf(!hasTshark())('ICMP echo matching vs tshark (icmp.resptime)', () => {
    for (const entry of entries) {
      const ref = reference(entry)!;
      if (ref.status !== 'ok' || entry.malformedKind === 'container' || ref.icmp.icmp + ref.icmp.icmpv6 === 0) continue;
      it(entry.path, async () => {
        const r = await runAnalyzers(readFileSync(capturePath(entry)), () => ({ icmp: new IcmpAnalyzer() }));
        const rows = tsharkFields(capturePath(entry), ['icmp.type', 'icmpv6.type', 'icmp.resptime', 'icmpv6.resptime'], { prefs: [] });
        const first = (x: string) => x.split(',')[0];
        const requests = rows.filter((x) => first(x[0]) === '8' || first(x[1]) === '128').length;
        const replies = rows.filter((x) => first(x[0]) === '0' || first(x[1]) === '129').length;
        const rtts = rows.filter((x) => x[2] !== '' || x[3] !== '').map((x) => Number(first(x[2] || x[3])) / 1000);
        const e = r.sections.icmp.echo;
        expect([e.requests, e.replies, e.rtt?.count ?? 0]).toEqual([requests, replies, rtts.length]);
        if (rtts.length > 0) {
          expect(e.rtt!.max).toBeCloseTo(Math.max(...rtts), 6);
          expect(e.rtt!.mean).toBeCloseTo(rtts.reduce((a, b) => a + b, 0) / rtts.length, 6);
        }
      });
    }
  });
});
