/**
 * One fixture per link type / encapsulation / protocol feature the decoders handle, each checked frame
 * by frame: the protocols we count (the `-z io,phs` view), why decoding stopped, and the PacketView
 * fields analyzers rely on (ports, VLAN id, TCP options, ICMP quotes, DNS messages). Where tshark is
 * installed the same fixtures are also compared with tshark's `frame.protocols`.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writePcap } from '../helpers/capture-writer.js';
import {
  AF,
  ETHERTYPE,
  IPPROTO,
  arp,
  concat,
  dnsMessage,
  dnsOverTcp,
  ethernet,
  etherIpv4Tcp,
  filler,
  icmp,
  icmpv6,
  ipv4,
  ipv4Udp,
  ipv6,
  ipv6Udp,
  linuxSll,
  linuxSll2,
  llc802_3,
  mpls,
  nullLoopback,
  tcp,
  udp,
} from '../helpers/packet-builder.js';
import { hasTshark, tempDir } from '../helpers/tshark.js';
import { analyze, T0, type PacketSnapshot } from './fixtures.js';

const DNS_QUERY = dnsMessage({ id: 0xbeef, questions: [{ name: 'www.example.com', type: 1 }] });
const DNS_RESPONSE = dnsMessage({
  id: 0xcafe,
  response: true,
  questions: [{ name: 'a-rather-long-name-to-need-fragments.example.org', type: 1 }],
  answers: Array.from({ length: 16 }, (_, i) => ({ name: 'a-rather-long-name-to-need-fragments.example.org', type: 1, data: new Uint8Array([192, 0, 2, i + 1]) })),
  compress: true,
});
const v4dns = () => ipv4Udp({ src: '192.0.2.1', dst: '192.0.2.53', srcPort: 33000, dstPort: 53, payload: DNS_QUERY });
const v6dns = () => ipv6Udp({ src: '2001:db8::1', dst: '2001:db8::53', srcPort: 33000, dstPort: 53, payload: DNS_QUERY });
const v4udp = () => ipv4Udp({ src: '10.1.1.1', dst: '10.1.1.2', srcPort: 7000, dstPort: 9999, payload: filler(12) });

interface Case {
  name: string;
  linkType: number;
  frames: Uint8Array[];
  /** Our protocol set per frame (io,phs view). */
  protocols: string[][];
  /** Summary `undecoded` map. */
  undecoded?: Record<string, number>;
  check?: (packets: PacketSnapshot[]) => void;
  /**
   * Per frame (1-based): protocols tshark's frame.protocols lists but io,phs — and so we — do not
   * count: headers quoted inside ICMP errors, and the IPv4 dissector that merely handed an IPv6
   * packet on. The phs totals are compared separately, with no exceptions.
   */
  tsharkExtra?: Record<number, string[]>;
}

// ── fixtures ────────────────────────────────────────────────────────────────────────────────────

const udpSeg = udp({ srcIp: '198.51.100.53', dstIp: '198.51.100.9', srcPort: 53, dstPort: 41000, payload: DNS_RESPONSE });
const v4frags = [0, 1, 2].map((i) => {
  const from = i * 128;
  const to = i === 2 ? udpSeg.length : from + 128;
  return ethernet({
    etherType: ETHERTYPE.IPV4,
    payload: ipv4({ src: '198.51.100.53', dst: '198.51.100.9', protocol: IPPROTO.UDP, id: 0x4321, mf: i < 2, fragOffset: from, payload: udpSeg.subarray(from, to) }),
  });
});
const udpSeg6 = udp({ srcIp: '2001:db8::53', dstIp: '2001:db8::9', srcPort: 53, dstPort: 41000, payload: DNS_RESPONSE });
const v6frags = [0, 1].map((i) =>
  ethernet({
    etherType: ETHERTYPE.IPV6,
    payload: ipv6({
      src: '2001:db8::53',
      dst: '2001:db8::9',
      nextHeader: IPPROTO.UDP,
      extensionHeaders: [{ type: 44, fragment: { offset: i * 160, more: i === 0, id: 0xabcdef } }],
      payload: i === 0 ? udpSeg6.subarray(0, 160) : udpSeg6.subarray(160),
    }),
  }),
);

const tcpDns = (seq: number, payload: Uint8Array) => etherIpv4Tcp({ src: '192.0.2.1', dst: '192.0.2.53', srcPort: 40001, dstPort: 53, seq, ack: 1, payload });
const dnsA = dnsOverTcp(dnsMessage({ id: 0x0a0a, questions: [{ name: 'first.example', type: 28 }] }));
const dnsB = dnsOverTcp(dnsMessage({ id: 0x0b0b, questions: [{ name: 'second.example', type: 1 }] }));
const dnsC = dnsOverTcp(dnsMessage({ id: 0x0c0c, questions: [{ name: 'third.example', type: 16 }] }));

const quotedUdp = ipv4Udp({ src: '192.0.2.1', dst: '192.0.2.53', srcPort: 33000, dstPort: 53, payload: DNS_QUERY });
const quotedTcp = ipv4({
  src: '192.0.2.1',
  dst: '203.0.113.80',
  protocol: IPPROTO.TCP,
  ttl: 1,
  payload: tcp({ srcIp: '192.0.2.1', dstIp: '203.0.113.80', srcPort: 45000, dstPort: 443, seq: 1, flags: 'S' }),
});
const quotedV6 = ipv6Udp({ src: '2001:db8::1', dst: '2001:db8::99', srcPort: 5000, dstPort: 6000, payload: filler(1300) }).subarray(0, 1232);

const eth4 = (payload: Uint8Array, vlans?: Array<{ tpid?: number; vid: number }>) => ethernet({ etherType: ETHERTYPE.IPV4, payload, vlans });
const eth6 = (payload: Uint8Array) => ethernet({ etherType: ETHERTYPE.IPV6, payload });

const CASES: Case[] = [
  {
    name: 'Ethernet II',
    linkType: 1,
    frames: [eth4(v4dns()), eth6(v6dns()), eth4(v4udp())],
    protocols: [['eth', 'ip', 'udp', 'dns'], ['eth', 'ipv6', 'udp', 'dns'], ['eth', 'ip', 'udp']],
    check: (p) => {
      expect(p[0]).toMatchObject({ src: '192.0.2.1', dst: '192.0.2.53', srcPort: 33000, dstPort: 53, l4: 17, vlanId: -1 });
      expect(p[0].dns).toEqual({ count: 1, overTcp: false, inIcmpError: false, ids: [0xbeef] });
      expect(p[1]).toMatchObject({ ipVersion: 6, src: '2001:db8:0:0:0:0:0:1', dst: '2001:db8:0:0:0:0:0:53' });
      expect(p[2]).toMatchObject({ payloadLen: 12, srcPort: 7000, dstPort: 9999 });
    },
  },
  {
    name: 'IPv6 behind ethertype 0x0800 (Ethernet, VLAN): counted as ip and ipv6, like io,phs',
    linkType: 1,
    frames: [eth4(v6dns()), eth4(v6dns(), [{ vid: 7 }])],
    protocols: [['eth', 'ip', 'ipv6', 'udp', 'dns'], ['eth', 'vlan', 'ip', 'ipv6', 'udp', 'dns']],
    check: (p) => expect(p[0]).toMatchObject({ ipVersion: 6, srcPort: 33000, dstPort: 53 }),
  },
  {
    name: '802.3 / LLC (spanning tree) and LLC/SNAP carrying IPv4',
    linkType: 1,
    frames: [llc802_3(filler(35), { dst: '01:80:c2:00:00:00' }), llc802_3(v4udp(), { snap: { oui: 0, pid: 0x0800 } })],
    protocols: [['eth', 'llc'], ['eth', 'llc', 'ip', 'udp']],
    undecoded: { 'non-IP llc frame': 1 },
  },
  {
    name: '802.1Q VLAN',
    linkType: 1,
    frames: [eth4(v4dns(), [{ vid: 100 }])],
    protocols: [['eth', 'vlan', 'ip', 'udp', 'dns']],
    check: (p) => expect(p[0].vlanId).toBe(100),
  },
  {
    name: 'QinQ 802.1ad (S-tag 0x88a8 + C-tag)',
    linkType: 1,
    frames: [eth4(v4dns(), [{ tpid: ETHERTYPE.QINQ, vid: 200 }, { vid: 100 }])],
    protocols: [['eth', 'vlan', 'ieee8021ad', 'ip', 'udp', 'dns']],
    check: (p) => expect(p[0].vlanId).toBe(200),
  },
  {
    name: 'triple VLAN tags',
    linkType: 1,
    frames: [eth4(v4udp(), [{ tpid: ETHERTYPE.QINQ, vid: 1 }, { vid: 2 }, { vid: 3 }])],
    protocols: [['eth', 'vlan', 'ieee8021ad', 'ip', 'udp']],
    check: (p) => expect(p[0].vlanId).toBe(1),
  },
  {
    name: 'MPLS with 1 and 3 labels',
    linkType: 1,
    frames: [
      ethernet({ etherType: ETHERTYPE.MPLS, payload: mpls([{ label: 16 }], v4dns()) }),
      ethernet({ etherType: ETHERTYPE.MPLS, payload: mpls([{ label: 100 }, { label: 200 }, { label: 300 }], v6dns()) }),
    ],
    protocols: [['eth', 'mpls', 'ip', 'udp', 'dns'], ['eth', 'mpls', 'ipv6', 'udp', 'dns']],
  },
  {
    name: 'Linux cooked capture (SLL)',
    linkType: 113,
    frames: [linuxSll({ protocol: ETHERTYPE.IPV4, payload: v4dns() }), linuxSll({ protocol: ETHERTYPE.IPV6, payload: v6dns(), pktType: 4 })],
    protocols: [['sll', 'ip', 'udp', 'dns'], ['sll', 'ipv6', 'udp', 'dns']],
  },
  {
    name: 'Linux cooked capture v2 (SLL2)',
    linkType: 276,
    frames: [linuxSll2({ protocol: ETHERTYPE.IPV4, payload: v4dns() }), linuxSll2({ protocol: ETHERTYPE.ARP, payload: arp({ senderIp: '10.0.0.1', targetIp: '10.0.0.2' }) })],
    protocols: [['sll', 'ip', 'udp', 'dns'], ['sll', 'arp']],
    undecoded: { 'non-IP ethernet frame': 1 },
  },
  ...[101, 12, 14].map(
    (lt): Case => ({
      name: `raw IP, link type ${lt}`,
      linkType: lt,
      frames: [v4dns(), v6dns()],
      protocols: [['raw', 'ip', 'udp', 'dns'], ['raw', 'ipv6', 'udp', 'dns']],
    }),
  ),
  {
    name: 'raw IPv4, link type 228 (an IPv6 packet in it is decoded as IPv6, like Wireshark)',
    linkType: 228,
    frames: [v4dns(), v6dns()],
    protocols: [['ip', 'udp', 'dns'], ['ipv6', 'udp', 'dns']],
    // frame.protocols lists the IPv4 dissector that handed the packet on; io,phs counts ipv6 alone.
    tsharkExtra: { 2: ['ip'] },
  },
  {
    name: 'raw IPv6, link type 229',
    linkType: 229,
    frames: [v6dns()],
    protocols: [['ipv6', 'udp', 'dns']],
  },
  {
    name: 'BSD loopback (NULL) with AF 2/24/28/30 in both byte orders',
    linkType: 0,
    frames: [
      nullLoopback(AF.INET, v4dns()),
      nullLoopback(AF.INET, v4dns(), true),
      ...[AF.INET6_BSD, AF.INET6_FREEBSD, AF.INET6_DARWIN].flatMap((af) => [nullLoopback(af, v6dns()), nullLoopback(af, v6dns(), true)]),
    ],
    protocols: [['null', 'ip', 'udp', 'dns'], ['null', 'ip', 'udp', 'dns'], ...Array.from({ length: 6 }, () => ['null', 'ipv6', 'udp', 'dns'])],
  },
  {
    name: 'NULL with AF_INET holding an IPv6 packet: ipv6 alone, like io,phs',
    linkType: 0,
    frames: [nullLoopback(AF.INET, v6dns())],
    protocols: [['null', 'ipv6', 'udp', 'dns']],
    tsharkExtra: { 1: ['ip'] },
  },
  {
    name: 'OpenBSD loopback (LOOP 108), network byte order',
    linkType: 108,
    frames: [nullLoopback(AF.INET, v4dns(), true), nullLoopback(AF.INET6_BSD, v6dns(), true)],
    protocols: [['null', 'ip', 'udp', 'dns'], ['null', 'ipv6', 'udp', 'dns']],
  },
  {
    name: 'Linux netlink (253): counted, not IP',
    linkType: 253,
    frames: [new Uint8Array([20, 0, 0, 0, 16, 0, 1, 3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])],
    protocols: [['netlink']],
    undecoded: { 'non-IP frame': 1 },
  },
  {
    name: 'ARP',
    linkType: 1,
    frames: [ethernet({ etherType: ETHERTYPE.ARP, dst: 'ff:ff:ff:ff:ff:ff', payload: arp({ senderIp: '10.0.0.1', targetIp: '10.0.0.2' }), padTo: 60 })],
    protocols: [['eth', 'arp']],
    undecoded: { 'non-IP ethernet frame': 1 },
  },
  {
    name: 'IPv4 options (router alert)',
    linkType: 1,
    frames: [eth4(ipv4({ src: '10.0.0.1', dst: '224.0.0.22', protocol: IPPROTO.UDP, options: new Uint8Array([0x94, 4, 0, 0]), payload: udp({ srcIp: '10.0.0.1', dstIp: '224.0.0.22', srcPort: 1, dstPort: 9, payload: filler(4) }) }))],
    protocols: [['eth', 'ip', 'udp']],
    check: (p) => expect(p[0]).toMatchObject({ srcPort: 1, dstPort: 9, ipLen: 24 + 12, payloadLen: 4 }),
  },
  {
    name: 'IPv4 fragments: no L4 until the last fragment completes the datagram',
    linkType: 1,
    frames: v4frags,
    protocols: [['eth', 'ip'], ['eth', 'ip'], ['eth', 'ip', 'udp', 'dns']],
    undecoded: { 'IP fragment (transport header in another fragment)': 2 },
    check: (p) => {
      expect(p.map((x) => [x.isFragment, x.reassembled, x.l4])).toEqual([
        [true, false, 0],
        [true, false, 0],
        [true, true, 17],
      ]);
      expect(p[2]).toMatchObject({ srcPort: 53, dstPort: 41000, payloadLen: DNS_RESPONSE.length });
      expect(p[2].dns.ids).toEqual([0xcafe]);
    },
  },
  {
    name: 'IPv6 extension headers: hop-by-hop, routing, destination options; AH; fragments',
    linkType: 1,
    frames: [
      eth6(ipv6({ src: '2001:db8::1', dst: '2001:db8::2', nextHeader: IPPROTO.UDP, extensionHeaders: [{ type: 0 }, { type: 43 }, { type: 60 }], payload: udp({ srcIp: '2001:db8::1', dstIp: '2001:db8::2', srcPort: 33000, dstPort: 53, payload: DNS_QUERY }) })),
      eth6(ipv6({ src: '2001:db8::1', dst: '2001:db8::2', nextHeader: IPPROTO.TCP, extensionHeaders: [{ type: 51 }], payload: tcp({ srcIp: '2001:db8::1', dstIp: '2001:db8::2', srcPort: 179, dstPort: 50000, seq: 1, flags: 'S' }) })),
      ...v6frags,
      eth6(ipv6({ src: '2001:db8::1', dst: '2001:db8::2', nextHeader: IPPROTO.UDP, extensionHeaders: [{ type: 0 }, { type: 43 }, { type: 51 }, { type: 60 }], payload: udp({ srcIp: '2001:db8::1', dstIp: '2001:db8::2', srcPort: 33000, dstPort: 53, payload: DNS_QUERY }) })),
    ],
    protocols: [
      ['eth', 'ipv6', 'udp', 'dns'],
      ['eth', 'ipv6', 'tcp', 'ah'],
      ['eth', 'ipv6', 'ipv6.fraghdr'],
      ['eth', 'ipv6', 'udp', 'dns', 'ipv6.fraghdr'],
      ['eth', 'ipv6', 'ah', 'udp', 'dns'],
    ],
    undecoded: { 'IP fragment (transport header in another fragment)': 1 },
    check: (p) => {
      expect(p[0]).toMatchObject({ ipProto: 17, srcPort: 33000, dstPort: 53, l4: 17 });
      expect(p[1]).toMatchObject({ ipProto: 6, srcPort: 179, dstPort: 50000, l4: 6 });
      expect(p[3]).toMatchObject({ isFragment: true, reassembled: true, srcPort: 53, dstPort: 41000, payloadLen: DNS_RESPONSE.length });
      // Hop-by-hop (8) + segment routing (24) + AH (24) + destination options (8) before UDP.
      expect(p[4]).toMatchObject({ ipProto: 17, ipLen: 40 + 64 + 8 + DNS_QUERY.length, srcPort: 33000, dstPort: 53, payloadLen: DNS_QUERY.length });
    },
  },
  {
    name: 'ESP: decoding stops at the encrypted payload',
    linkType: 1,
    frames: [eth4(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: IPPROTO.ESP, payload: concat(new Uint8Array([0, 0, 1, 0, 0, 0, 0, 1]), filler(48)) }))],
    protocols: [['eth', 'ip', 'esp']],
    check: (p) => expect(p[0]).toMatchObject({ l4: 0, ipProto: 50, stop: null }),
  },
  {
    name: 'TCP options: MSS, window scale, SACK-permitted, SACK blocks, timestamps',
    linkType: 1,
    frames: [
      etherIpv4Tcp({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 40000, dstPort: 80, seq: 1000, ack: 0, flags: 'S', window: 64240, options: { mss: 1460, sackPermitted: true, timestamps: [100, 0], wscale: 7 } }),
      etherIpv4Tcp({ src: '10.0.0.2', dst: '10.0.0.1', srcPort: 80, dstPort: 40000, seq: 5000, ack: 1001, flags: 'A', options: { timestamps: [200, 100], sack: [[3000, 4000], [0xfffffff0, 0x10]] } }),
      etherIpv4Tcp({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 40000, dstPort: 80, seq: 1001, ack: 5001, payload: filler(100) }),
    ],
    protocols: [['eth', 'ip', 'tcp'], ['eth', 'ip', 'tcp'], ['eth', 'ip', 'tcp']],
    check: (p) => {
      expect(p[0].tcp).toEqual({ seq: 1000, ack: 0, flags: 0x02, window: 64240, hdrLen: 40, mss: 1460, wscale: 7, sackPermitted: true, sack: [], tsVal: 100, tsEcr: 0 });
      expect(p[1].tcp).toEqual({ seq: 5000, ack: 1001, flags: 0x10, window: 65535, hdrLen: 52, mss: -1, wscale: -1, sackPermitted: false, sack: [3000, 4000, 0xfffffff0, 0x10], tsVal: 200, tsEcr: 100 });
      expect(p[2].tcp).toMatchObject({ flags: 0x18, hdrLen: 20, mss: -1, sack: [], tsVal: null });
      expect(p[2].payloadLen).toBe(100);
    },
  },
  {
    name: 'ICMP echo, destination unreachable quoting UDP/DNS, time exceeded quoting TCP',
    linkType: 1,
    frames: [
      eth4(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: IPPROTO.ICMP, payload: icmp({ type: 8, code: 0, rest: (0x1234 << 16) | 7, payload: filler(32) }) })),
      eth4(ipv4({ src: '192.0.2.53', dst: '192.0.2.1', protocol: IPPROTO.ICMP, payload: icmp({ type: 3, code: 3, payload: quotedUdp }) })),
      eth4(ipv4({ src: '198.51.100.1', dst: '192.0.2.1', protocol: IPPROTO.ICMP, payload: icmp({ type: 11, code: 0, payload: quotedTcp.subarray(0, 28) }) })),
    ],
    // io,phs counts the DNS message quoted in the error (under icmp), but not the quoted ip/udp.
    protocols: [['eth', 'ip', 'icmp'], ['eth', 'ip', 'icmp', 'dns'], ['eth', 'ip', 'icmp']],
    tsharkExtra: { 2: ['udp'], 3: ['tcp'] },
    check: (p) => {
      expect(p[0].icmp).toEqual({ type: 8, code: 0, rest: (0x1234 << 16) | 7, inner: null });
      expect(p[1].icmp).toEqual({ type: 3, code: 3, rest: 0, inner: { ipVersion: 4, proto: 17, src: '192.0.2.1', dst: '192.0.2.53', srcPort: 33000, dstPort: 53 } });
      expect(p[1]).toMatchObject({ src: '192.0.2.53', dst: '192.0.2.1', srcPort: 0, dstPort: 0 });
      expect(p[1].dns).toMatchObject({ count: 1, inIcmpError: true, ids: [0xbeef] });
      expect(p[2].icmp).toEqual({ type: 11, code: 0, rest: 0, inner: { ipVersion: 4, proto: 6, src: '192.0.2.1', dst: '203.0.113.80', srcPort: 45000, dstPort: 443 } });
    },
  },
  {
    name: 'ICMPv6 packet too big (MTU) quoting IPv6/UDP, and echo request',
    linkType: 1,
    frames: [
      eth6(ipv6({ src: '2001:db8::fe', dst: '2001:db8::1', nextHeader: IPPROTO.ICMPV6, payload: icmpv6({ srcIp: '2001:db8::fe', dstIp: '2001:db8::1', type: 2, code: 0, rest: 1280, payload: quotedV6 }) })),
      eth6(ipv6({ src: '2001:db8::1', dst: '2001:db8::2', nextHeader: IPPROTO.ICMPV6, payload: icmpv6({ srcIp: '2001:db8::1', dstIp: '2001:db8::2', type: 128, code: 0, rest: 0x00010002, payload: filler(8) }) })),
    ],
    protocols: [['eth', 'ipv6', 'icmpv6'], ['eth', 'ipv6', 'icmpv6']],
    tsharkExtra: { 1: ['udp'] },
    check: (p) => {
      expect(p[0].icmp).toEqual({ type: 2, code: 0, rest: 1280, inner: { ipVersion: 6, proto: 17, src: '2001:db8:0:0:0:0:0:1', dst: '2001:db8:0:0:0:0:0:99', srcPort: 5000, dstPort: 6000 } });
      expect(p[1].icmp).toEqual({ type: 128, code: 0, rest: 0x00010002, inner: null });
    },
  },
  {
    name: 'DNS over TCP: one message split over two segments, then two messages in one segment',
    linkType: 1,
    frames: [tcpDns(1, dnsA.subarray(0, 9)), tcpDns(10, dnsA.subarray(9)), tcpDns(1 + dnsA.length, concat(dnsB, dnsC))],
    protocols: [['eth', 'ip', 'tcp'], ['eth', 'ip', 'tcp', 'dns'], ['eth', 'ip', 'tcp', 'dns']],
    check: (p) => {
      expect(p.map((x) => x.dns)).toEqual([
        { count: 0, overTcp: false, inIcmpError: false, ids: [] },
        { count: 1, overTcp: true, inIcmpError: false, ids: [0x0a0a] },
        { count: 2, overTcp: true, inIcmpError: false, ids: [0x0b0b, 0x0c0c] },
      ]);
      expect(p.map((x) => x.payloadLen)).toEqual([9, dnsA.length - 9, dnsB.length + dnsC.length]);
    },
  },
];

/** The protocols tshark and we both name, compared frame by frame. */
const COMPARED = ['eth', 'ip', 'ipv6', 'tcp', 'udp', 'icmp', 'icmpv6', 'dns'];

const sorted = (xs: readonly string[]) => [...xs].sort();

function fixture(c: Case): Uint8Array {
  return writePcap({ linkType: c.linkType }, c.frames.map((data, i) => ({ tsSec: T0, tsFrac: i, data })));
}

describe('decoders: one fixture per link type and protocol feature', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      expect(c.protocols).toHaveLength(c.frames.length);
      const { summary, packets } = await analyze(fixture(c));
      expect(summary.packets).toBe(c.frames.length);
      expect(summary.warnings).toEqual([]);
      expect(packets.map((p) => sorted(p.protocols))).toEqual(c.protocols.map(sorted));
      expect(summary.undecoded).toEqual(c.undecoded ?? {});
      // The summary's protocol counts are the per-frame sets added up.
      const counts: Record<string, number> = {};
      for (const set of c.protocols) for (const name of set) counts[name] = (counts[name] ?? 0) + 1;
      expect(summary.protocols).toEqual(counts);
      c.check?.(packets);
    });
  }
});

const execFileAsync = promisify(execFile);
const TSHARK = hasTshark();
const title = TSHARK
  ? 'decoders agree with tshark frame.protocols (eth, ip, ipv6, tcp, udp, icmp, icmpv6, dns)'
  : 'decoders agree with tshark frame.protocols — SKIPPED: tshark is not on PATH, install Wireshark\'s tshark to run this comparison';

/**
 * One tshark run per fixture: frame.protocols for every frame, and the `-z io,phs` tree, reduced the
 * way the corpus references are (frames carrying a protocol at least once: its topmost tree nodes).
 */
async function tsharkView(file: string): Promise<{ rows: string[][]; phs: Record<string, number> }> {
  const { stdout } = await execFileAsync('tshark', ['-n', '-r', file, '-T', 'fields', '-e', 'frame.number', '-e', 'frame.protocols', '-z', 'io,phs'], {
    encoding: 'utf8',
  });
  const [fields, stats = ''] = stdout.split(/^=+$/m);
  const rows = fields.split('\n').filter((l) => /^\d+\t/.test(l)).map((l) => l.split('\t'));
  interface Node {
    protocol: string;
    frames: number;
    children: Node[];
  }
  const root: Node[] = [];
  const stack: Array<[number, Node[]]> = [[-1, root]];
  for (const line of stats.split('\n')) {
    const m = /^( *)(\S+)\s+frames:(\d+) bytes:\d+\s*$/.exec(line);
    if (!m) continue;
    const depth = m[1].length / 2;
    const node: Node = { protocol: m[2], frames: Number(m[3]), children: [] };
    while (stack[stack.length - 1][0] >= depth) stack.pop();
    stack[stack.length - 1][1].push(node);
    stack.push([depth, node.children]);
  }
  const phs: Record<string, number> = {};
  const walk = (nodes: Node[], seen: Set<string>): void => {
    for (const n of nodes) {
      if (!seen.has(n.protocol)) phs[n.protocol] = (phs[n.protocol] ?? 0) + n.frames;
      walk(n.children, new Set([...seen, n.protocol]));
    }
  };
  walk(root, new Set());
  return { rows, phs };
}

describe.skipIf(!TSHARK)(title, () => {
  const tmp = TSHARK ? tempDir('pcap-decoders-') : undefined;
  const views = new Map<number, Awaited<ReturnType<typeof tsharkView>>>();
  // tshark takes a quarter of a second to start: run it for all fixtures up front, a few at a time.
  beforeAll(async () => {
    const queue = CASES.map((c, i) => [c, i] as const);
    const lane = async (): Promise<void> => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const [c, i] = next;
        views.set(i, await tsharkView(tmp!.write(`case-${i}.pcap`, fixture(c))));
      }
    };
    await Promise.all([lane(), lane(), lane(), lane()]);
  });
  afterAll(() => tmp?.cleanup());

  CASES.forEach((c, index) => {
    it(c.name, async () => {
      const { rows, phs } = views.get(index)!;
      expect(rows).toHaveLength(c.frames.length);
      const { summary, packets } = await analyze(fixture(c));
      rows.forEach(([number, protocols], i) => {
        const frame = Number(number);
        const extra = new Set(c.tsharkExtra?.[frame] ?? []);
        const theirs = new Set(protocols.split(':').filter((p) => COMPARED.includes(p) && !extra.has(p)));
        const ours = new Set(packets[i].protocols.filter((p) => COMPARED.includes(p)));
        expect(sorted([...ours]), `frame ${frame}: tshark says ${protocols}`).toEqual(sorted([...theirs]));
        // An intended difference must still be one: tshark does list what we leave out.
        for (const p of extra) expect(protocols.split(':'), `frame ${frame}`).toContain(p);
      });
      // And the totals agree with io,phs exactly, with no exceptions.
      const pick = (counts: Record<string, number>) => Object.fromEntries(COMPARED.filter((p) => counts[p]).map((p) => [p, counts[p]]));
      expect(pick(summary.protocols)).toEqual(pick(phs));
    });
  });
});
