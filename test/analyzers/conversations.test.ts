import { describe, expect, it } from 'vitest';
import { ConversationsAnalyzer } from '../../worker/analyzers/conversations.js';
import { LINKTYPE, writePcap, type PcapRecord } from '../helpers/capture-writer.js';
import { ETHERTYPE, ethernet, ipv4, ipv4Tcp, ipv4Udp, ipv6Udp } from '../helpers/packet-builder.js';
import { runAnalyzers } from './harness.js';

/**
 * Address pairs and endpoints are remembered per flow row after a flow's first packet (the flow's
 * innermost header always carries the same two addresses). These cases check the figures against a
 * plain recount from the packets' IP headers: both directions, addresses above and below 2^31, IPv6,
 * a flow between an address and itself, and a flow's packets seen with and without a tunnel header.
 */
interface Sent {
  data: Uint8Array;
  /** Every IP header of the frame, outermost first: [source, destination]. */
  layers: Array<[string, string]>;
}

function tcp4(src: string, sp: number, dst: string, dp: number, n = 0): Sent {
  return { data: ethernet({ etherType: ETHERTYPE.IPV4, payload: ipv4Tcp({ src, dst, srcPort: sp, dstPort: dp, payload: new Uint8Array(n) }) }), layers: [[src, dst]] };
}

function udp4(src: string, sp: number, dst: string, dp: number, n = 10): Sent {
  return { data: ethernet({ etherType: ETHERTYPE.IPV4, payload: ipv4Udp({ src, dst, srcPort: sp, dstPort: dp, payload: new Uint8Array(n) }) }), layers: [[src, dst]] };
}

function udp6(src: string, sp: number, dst: string, dp: number, n = 10): Sent {
  return { data: ethernet({ etherType: ETHERTYPE.IPV6, payload: ipv6Udp({ src, dst, srcPort: sp, dstPort: dp, payload: new Uint8Array(n) }) }), layers: [[src, dst]] };
}

/** `inner` (an IPv4 packet) carried in IPv4 between `src` and `dst` (IP-in-IP, protocol 4). */
function tunnelled(src: string, dst: string, inner: Sent): Sent {
  const innerIp = inner.data.subarray(14);
  return { data: ethernet({ etherType: ETHERTYPE.IPV4, payload: ipv4({ src, dst, protocol: 4, payload: innerIp }) }), layers: [[src, dst], ...inner.layers] };
}

function recount(packets: Sent[]): { pairs: Map<string, number[]>; hosts: Map<string, number[]> } {
  const pairs = new Map<string, number[]>(); // key "a|b" with a = first source: [packetsAB, bytesAB, packetsBA, bytesBA]
  const hosts = new Map<string, number[]>(); // [txPackets, txBytes, rxPackets, rxBytes]
  for (const p of packets) {
    const len = p.data.length;
    for (const [s, d] of p.layers) {
      const rev = pairs.get(`${d}|${s}`);
      if (rev && s !== d) {
        rev[2]++;
        rev[3] += len;
      } else {
        const fwd = pairs.get(`${s}|${d}`) ?? [0, 0, 0, 0];
        fwd[0]++;
        fwd[1] += len;
        pairs.set(`${s}|${d}`, fwd);
      }
      const hs = hosts.get(s) ?? [0, 0, 0, 0];
      hs[0]++;
      hs[1] += len;
      hosts.set(s, hs);
      const hd = hosts.get(d) ?? [0, 0, 0, 0];
      hd[2]++;
      hd[3] += len;
      hosts.set(d, hd);
    }
  }
  return { pairs, hosts };
}

describe('ConversationsAnalyzer', () => {
  it('counts address pairs and endpoints of every IP header, flows remembered or not', async () => {
    const packets: Sent[] = [
      tcp4('192.168.1.10', 1000, '10.0.0.1', 80),
      tcp4('10.0.0.1', 80, '192.168.1.10', 1000, 100),
      tcp4('192.168.1.10', 1000, '10.0.0.1', 80),
      tcp4('200.1.1.1', 5000, '200.1.1.1', 6000, 7),
      tcp4('200.1.1.1', 6000, '200.1.1.1', 5000, 3),
      tcp4('200.1.1.1', 5000, '200.1.1.1', 6000),
      udp6('2001:db8::1', 5000, 'ff02::fb', 5353),
      udp6('2001:db8::1', 5000, 'ff02::fb', 5353, 20),
      udp6('fe80::1', 4000, '2001:db8::1', 5000),
      udp6('2001:db8::1', 5000, 'fe80::1', 4000, 30),
      tunnelled('172.16.0.1', '172.16.0.2', tcp4('192.168.1.10', 1000, '10.0.0.1', 80, 50)),
      tcp4('10.0.0.1', 80, '192.168.1.10', 1000, 60),
      tunnelled('172.16.0.2', '172.16.0.1', tcp4('10.0.0.1', 80, '192.168.1.10', 1000, 70)),
      udp4('224.0.0.251', 5353, '255.255.255.255', 5353),
      udp4('255.255.255.255', 5353, '224.0.0.251', 5353, 40),
      tcp4('192.168.1.10', 1000, '10.0.0.1', 80, 80),
    ];
    const records: PcapRecord[] = packets.map((p, i) => ({ tsSec: 1_700_000_000 + i, tsFrac: 0, data: p.data }));
    const pcap = writePcap({ linkType: LINKTYPE.ETHERNET }, records);
    const { sections } = await runAnalyzers(pcap, (flows) => ({ conv: new ConversationsAnalyzer(flows) }));
    const s = sections.conv;
    const want = recount(packets);

    expect(s.ip.items.length).toBe(want.pairs.size);
    for (const row of s.ip.items) {
      const w = want.pairs.get(`${row.a}|${row.b}`);
      expect(w, `${row.a} ⇄ ${row.b}`).toBeDefined();
      expect([row.packetsAB, row.bytesAB, row.packetsBA, row.bytesBA], `${row.a} ⇄ ${row.b}`).toEqual(w);
    }
    expect(s.endpoints.items.length).toBe(want.hosts.size);
    for (const row of s.endpoints.items) {
      expect([row.txPackets, row.txBytes, row.rxPackets, row.rxBytes], row.address).toEqual(want.hosts.get(row.address));
    }
  });
});
