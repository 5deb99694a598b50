import { afterAll, describe, expect, it } from 'vitest';
import { writePcap } from './capture-writer.js';
import {
  ETHERTYPE,
  IPPROTO,
  TcpConversation,
  crc32,
  dnsLabels,
  dnsMessage,
  dnsOverTcp,
  dnsPointer,
  dnsRaw,
  ethernet,
  etherIpv4Tcp,
  filler,
  icmp,
  icmpv6,
  ipv4,
  ipv4Tcp,
  ipv4Udp,
  ipv6,
  ipv6Tcp,
  ipv6Udp,
  linuxSll,
  linuxSll2,
  mpls,
  nullLoopback,
  parseEndpoint,
  parseIp,
  tcp,
  tcpFlags,
  tcpOptionBytes,
  udp,
  type TimedFrame,
} from './packet-builder.js';
import { SEVERITY, hasTshark, tempDir, tsharkExpert, tsharkFields } from './tshark.js';
import { crc32 as zlibCrc32 } from 'node:zlib';

// ---------------------------------------------------------------------------------------------------
// Independent re-implementations used as the oracle (deliberately not sharing code with the builders).
// ---------------------------------------------------------------------------------------------------

/** True when the one's-complement sum of all 16-bit words (checksum field included) is 0xffff. */
function sumsToAllOnes(...parts: Uint8Array[]): boolean {
  const all = Buffer.concat(parts);
  const padded = all.length % 2 ? Buffer.concat([all, Buffer.from([0])]) : all;
  let sum = 0n;
  for (let i = 0; i < padded.length; i += 2) sum += BigInt(padded.readUInt16BE(i));
  while (sum >> 16n) sum = (sum & 0xffffn) + (sum >> 16n);
  return sum === 0xffffn;
}

interface ParsedIp {
  src: Uint8Array;
  dst: Uint8Array;
  protocol: number;
  upper: Uint8Array;
}

/** Finds the upper-layer payload of an IPv4/IPv6 packet, walking IPv6 extension headers. */
function parseIpPacket(p: Uint8Array): ParsedIp {
  const version = p[0] >> 4;
  if (version === 4) {
    const ihl = (p[0] & 0xf) * 4;
    const total = (p[2] << 8) | p[3];
    return { src: p.subarray(12, 16), dst: p.subarray(16, 20), protocol: p[9], upper: p.subarray(ihl, total) };
  }
  let next = p[6];
  let off = 40;
  for (;;) {
    if (next === 0 || next === 43 || next === 60) {
      const len = (p[off + 1] + 1) * 8;
      next = p[off];
      off += len;
    } else if (next === 44) {
      next = p[off];
      off += 8;
    } else if (next === 51) {
      const len = (p[off + 1] + 2) * 4;
      next = p[off];
      off += len;
    } else break;
  }
  return { src: p.subarray(8, 24), dst: p.subarray(24, 40), protocol: next, upper: p.subarray(off) };
}

function pseudo(ip: ParsedIp): Uint8Array {
  const len = ip.upper.length;
  if (ip.src.length === 4) return Buffer.concat([ip.src, ip.dst, Buffer.from([0, ip.protocol, len >> 8, len & 0xff])]);
  return Buffer.concat([ip.src, ip.dst, Buffer.from([len >>> 24, (len >> 16) & 0xff, (len >> 8) & 0xff, len & 0xff, 0, 0, 0, ip.protocol])]);
}

function transportChecksumOk(packet: Uint8Array): boolean {
  const ip = parseIpPacket(packet);
  return sumsToAllOnes(pseudo(ip), ip.upper);
}

const u16 = (b: Uint8Array, off: number): number => (b[off] << 8) | b[off + 1];
const u32 = (b: Uint8Array, off: number): number => ((b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]) >>> 0;

/** Minimal DNS name reader that follows pointers, with a hop limit so loops are detectable. */
function readDnsName(msg: Uint8Array, off: number): { name: string; end: number; pointers: number } {
  const labels: string[] = [];
  let end = -1;
  let pointers = 0;
  for (let hops = 0; hops < 64; hops++) {
    const len = msg[off];
    if (len === 0) return { name: labels.join('.'), end: end < 0 ? off + 1 : end, pointers };
    if ((len & 0xc0) === 0xc0) {
      if (end < 0) end = off + 2;
      pointers++;
      off = ((len & 0x3f) << 8) | msg[off + 1];
      continue;
    }
    labels.push(Buffer.from(msg.subarray(off + 1, off + 1 + len)).toString('latin1'));
    off += 1 + len;
  }
  throw new Error('DNS name loop');
}

// ---------------------------------------------------------------------------------------------------

describe('addresses', () => {
  it('parses IPv4, IPv6 forms and endpoints', () => {
    expect([...parseIp('192.0.2.1')]).toEqual([192, 0, 2, 1]);
    expect(Buffer.from(parseIp('2001:db8::1')).toString('hex')).toBe('20010db8000000000000000000000001');
    expect(Buffer.from(parseIp('::')).toString('hex')).toBe('0'.repeat(32));
    expect(Buffer.from(parseIp('::ffff:10.1.2.3')).toString('hex')).toBe('00000000000000000000ffff0a010203');
    expect(Buffer.from(parseIp('fe80:0:0:0:1:2:3:4')).toString('hex')).toBe('fe800000000000000001000200030004');
    expect(() => parseIp('1.2.3.256')).toThrow();
    expect(() => parseIp('1::2::3')).toThrow();
    expect(() => parseIp('1:2:3:4:5:6:7')).toThrow();
    expect(parseEndpoint('10.0.0.1:80')).toEqual({ ip: '10.0.0.1', port: 80 });
    expect(parseEndpoint('[2001:db8::1]:443')).toEqual({ ip: '2001:db8::1', port: 443 });
  });
});

describe('checksums (verified by an independent routine)', () => {
  const v4 = ['10.0.0.1', '192.168.200.254'] as const;
  const v6 = ['2001:db8::1', 'fe80::1234:5678:9abc:def0'] as const;

  it('IPv4 header, with and without options, and with lying lengths', () => {
    for (const opts of [undefined, new Uint8Array([0x94, 4, 0, 0]), new Uint8Array([1, 1, 1])]) {
      const p = ipv4({ src: v4[0], dst: v4[1], protocol: 17, payload: filler(13), options: opts, ttl: 3, id: 0xbeef, df: true });
      const ihl = (p[0] & 0xf) * 4;
      expect(ihl).toBe(20 + (opts ? 4 : 0));
      expect(u16(p, 2)).toBe(p.length);
      expect(sumsToAllOnes(p.subarray(0, ihl))).toBe(true);
    }
    const lie = ipv4({ src: v4[0], dst: v4[1], protocol: 6, payload: filler(8), totalLengthOverride: 9999, ihlOverride: 15 });
    expect(u16(lie, 2)).toBe(9999);
    expect(lie[0]).toBe(0x4f);
    expect(sumsToAllOnes(lie.subarray(0, 20))).toBe(true);
    expect(u16(ipv4({ src: v4[0], dst: v4[1], protocol: 6, payload: filler(8), checksumOverride: 0x1234 }), 10)).toBe(0x1234);
  });

  it('fragment fields', () => {
    const p = ipv4({ src: v4[0], dst: v4[1], protocol: 17, payload: filler(8), mf: true, fragOffset: 1480 });
    expect(u16(p, 6)).toBe(0x2000 | 185);
  });

  it.each([
    ['v4', v4],
    ['v6', v6],
  ] as const)('TCP and UDP over %s, odd and even lengths', (_name, [a, b]) => {
    for (const n of [0, 1, 2, 1459]) {
      const t = tcp({ srcIp: a, dstIp: b, srcPort: 1, dstPort: 2, seq: 0xfffffff0, ack: 7, flags: 'PA', payload: filler(n), options: { timestamps: [1, 2] } });
      const u = udp({ srcIp: a, dstIp: b, srcPort: 3, dstPort: 4, payload: filler(n) });
      const wrapT = a.includes(':') ? ipv6({ src: a, dst: b, nextHeader: 6, payload: t }) : ipv4({ src: a, dst: b, protocol: 6, payload: t });
      const wrapU = a.includes(':') ? ipv6({ src: a, dst: b, nextHeader: 17, payload: u }) : ipv4({ src: a, dst: b, protocol: 17, payload: u });
      expect(transportChecksumOk(wrapT), `tcp ${n}`).toBe(true);
      expect(transportChecksumOk(wrapU), `udp ${n}`).toBe(true);
      expect(u16(u, 4)).toBe(8 + n);
    }
  });

  it('TCP/UDP behind IPv6 extension headers use the upper-layer length and protocol', () => {
    const [a, b] = v6;
    const u = udp({ srcIp: a, dstIp: b, srcPort: 3, dstPort: 4, payload: filler(33) });
    const p = ipv6({ src: a, dst: b, nextHeader: 17, payload: u, extensionHeaders: [{ type: 0 }, { type: 43 }, { type: 60 }, { type: 51 }] });
    expect(parseIpPacket(p).protocol).toBe(17);
    expect(transportChecksumOk(p)).toBe(true);
    expect(transportChecksumOk(ipv6Tcp({ src: a, dst: b, srcPort: 1, dstPort: 2, payload: filler(5) }))).toBe(true);
    expect(transportChecksumOk(ipv6Udp({ src: a, dst: b, srcPort: 1, dstPort: 2, payload: filler(5) }))).toBe(true);
    expect(transportChecksumOk(ipv4Tcp({ src: v4[0], dst: v4[1], srcPort: 1, dstPort: 2, payload: filler(5) }))).toBe(true);
    expect(transportChecksumOk(ipv4Udp({ src: v4[0], dst: v4[1], srcPort: 1, dstPort: 2, payload: filler(5) }))).toBe(true);
  });

  it('UDP never emits a computed checksum of 0', () => {
    // Search a payload whose checksum would come out as 0 and check 0xffff is sent instead.
    for (let i = 0; i < 0x10000; i++) {
      const payload = new Uint8Array([i >> 8, i & 0xff]);
      const u = udp({ srcIp: v4[0], dstIp: v4[1], srcPort: 1, dstPort: 2, payload });
      const ck = u16(u, 6);
      expect(ck).not.toBe(0);
      if (ck === 0xffff) {
        expect(transportChecksumOk(ipv4({ src: v4[0], dst: v4[1], protocol: 17, payload: u }))).toBe(true);
        return;
      }
    }
    throw new Error('no payload produced a zero checksum');
  });

  it('UDP overrides', () => {
    const u = udp({ srcIp: v4[0], dstIp: v4[1], srcPort: 1, dstPort: 2, payload: filler(4), lengthOverride: 100, checksumOverride: 0 });
    expect(u16(u, 4)).toBe(100);
    expect(u16(u, 6)).toBe(0);
  });

  it('ICMP and ICMPv6', () => {
    const m = icmp({ type: 8, code: 0, rest: 0x12340001, payload: filler(31) });
    expect(sumsToAllOnes(m)).toBe(true);
    expect(u32(m, 4)).toBe(0x12340001);
    const m6 = icmpv6({ srcIp: v6[0], dstIp: v6[1], type: 128, code: 0, rest: 1, payload: filler(9) });
    expect(transportChecksumOk(ipv6({ src: v6[0], dst: v6[1], nextHeader: 58, payload: m6 }))).toBe(true);
    // The same bytes without the pseudo-header must not verify: ICMPv6 really covers it.
    expect(sumsToAllOnes(m6)).toBe(false);
  });

  it('Ethernet FCS matches zlib crc32', () => {
    const f = ethernet({ etherType: 0x0800, payload: filler(50), fcs: true });
    const body = f.subarray(0, f.length - 4);
    expect(crc32(body)).toBe(zlibCrc32(body));
    expect(Buffer.from(f.subarray(f.length - 4)).readUInt32LE(0)).toBe(zlibCrc32(body));
  });
});

describe('headers and lengths', () => {
  it('Ethernet with VLAN / QinQ tags and padding', () => {
    const f = ethernet({
      src: 'aa:bb:cc:dd:ee:ff',
      dst: '11:22:33:44:55:66',
      vlans: [{ tpid: 0x88a8, vid: 10, pcp: 1 }, { vid: 4095, pcp: 7, dei: true }],
      etherType: 0x0800,
      payload: new Uint8Array([1, 2]),
      padTo: 60,
    });
    expect(Buffer.from(f.subarray(0, 12)).toString('hex')).toBe('112233445566aabbccddeeff');
    expect([u16(f, 12), u16(f, 14), u16(f, 16), u16(f, 18), u16(f, 20)]).toEqual([0x88a8, 0x200a, 0x8100, 0xffff, 0x0800]);
    expect(f.length).toBe(60);
  });

  it('MPLS sets bottom-of-stack only on the last label', () => {
    const m = mpls([{ label: 0xfffff, tc: 7, ttl: 1 }, { label: 16 }], new Uint8Array([0x45]));
    expect(u32(m, 0)).toBe(0xfffffe01);
    expect(u32(m, 4)).toBe((16 << 12) | 0x100 | 64);
  });

  it('SLL, SLL2 and NULL layouts', () => {
    const s1 = linuxSll({ protocol: 0x0800, payload: new Uint8Array([0x45]), pktType: 4 });
    expect(s1.length).toBe(17);
    expect([u16(s1, 0), u16(s1, 2), u16(s1, 4), u16(s1, 14)]).toEqual([4, 1, 6, 0x0800]);
    const s2 = linuxSll2({ protocol: 0x86dd, payload: new Uint8Array([0x60]), ifindex: 9, pktType: 3 });
    expect(s2.length).toBe(21);
    expect([u16(s2, 0), u32(s2, 4), u16(s2, 8), s2[10], s2[11]]).toEqual([0x86dd, 9, 1, 3, 6]);
    expect([...nullLoopback(2, new Uint8Array(0))]).toEqual([2, 0, 0, 0]);
    expect([...nullLoopback(30, new Uint8Array(0), true)]).toEqual([0, 0, 0, 30]);
  });

  it('IPv6 chains next-header values through extension headers', () => {
    const p = ipv6({
      src: '::1',
      dst: '::2',
      nextHeader: IPPROTO.UDP,
      payload: new Uint8Array(8),
      flowLabel: 0xabcde,
      trafficClass: 0x12,
      extensionHeaders: [{ type: 0 }, { type: 60, body: new Uint8Array(10) }, { type: 43 }, { type: 44, fragment: { offset: 2048, more: true, id: 77 } }, { type: 51 }],
    });
    expect(u32(p, 0)).toBe(0x612abcde);
    expect(u16(p, 4)).toBe(p.length - 40);
    const chain: number[] = [p[6]];
    let off = 40;
    const lens: number[] = [];
    for (const t of [0, 60, 43, 44, 51]) {
      const len = t === 44 ? 8 : t === 51 ? (p[off + 1] + 2) * 4 : (p[off + 1] + 1) * 8;
      lens.push(len);
      if (t === 44) {
        expect(u16(p, off + 2)).toBe(2048 | 1);
        expect(u32(p, off + 4)).toBe(77);
      }
      chain.push(p[off]);
      off += len;
    }
    expect(chain).toEqual([0, 60, 43, 44, 51, 17]);
    // 10 body bytes round up to 16; SRH with one address is 24; AH default is 24.
    expect(lens).toEqual([8, 16, 24, 8, 24]);
    expect(off).toBe(p.length - 8);
    expect(u16(ipv6({ src: '::1', dst: '::2', nextHeader: 59, payload: new Uint8Array(0), payloadLengthOverride: 5 }), 4)).toBe(5);
  });

  it('TCP flags, options layout and data offset', () => {
    expect(tcpFlags('SA')).toBe(0x12);
    expect(tcpFlags('FA')).toBe(0x11);
    expect(tcpFlags('RA')).toBe(0x14);
    expect(tcpFlags('PA')).toBe(0x18);
    expect(() => tcpFlags('X')).toThrow();
    // Linux SYN: MSS, SACK_PERM, TS, NOP, WS.
    const syn = tcpOptionBytes({ mss: 1460, sackPermitted: true, timestamps: [0x01020304, 0], wscale: 7 });
    expect(Buffer.from(syn).toString('hex')).toBe('020405b4' + '0402' + '080a0102030400000000' + '01030307');
    expect(Buffer.from(tcpOptionBytes({ sack: [[1, 2]], nops: true })).toString('hex')).toBe('0101050a0000000100000002');
    expect(Buffer.from(tcpOptionBytes({ wscale: 2, nops: false })).toString('hex')).toBe('03030200');
    const t = tcp({ srcIp: '1.1.1.1', dstIp: '2.2.2.2', srcPort: 1, dstPort: 2, seq: 5, flags: 'S', options: { mss: 1460, wscale: 7 }, urgent: 3, window: 1024 });
    expect(t[12] >> 4).toBe(7);
    expect([u16(t, 14), u16(t, 18)]).toEqual([1024, 3]);
  });

  it('DNS compression points at earlier names, including inside RDATA', () => {
    const m = dnsMessage({
      id: 0xabcd,
      response: true,
      aa: true,
      rcode: 3,
      compress: true,
      questions: [{ name: 'www.example.com', type: 1 }],
      answers: [
        { name: 'www.example.com', type: 5, data: { name: 'cdn.Example.com' } },
        { name: 'cdn.example.com', type: 1, ttl: 60, data: new Uint8Array([192, 0, 2, 1]) },
      ],
    });
    expect(u16(m, 0)).toBe(0xabcd);
    expect(u16(m, 2)).toBe(0x8000 | 0x0400 | 0x0100 | 0x0080 | 3);
    expect([u16(m, 4), u16(m, 6), u16(m, 8), u16(m, 10)]).toEqual([1, 2, 0, 0]);
    expect(readDnsName(m, 12)).toEqual({ name: 'www.example.com', end: 29, pointers: 0 });
    // Answer 1 owner: a bare pointer to offset 12.
    const a1 = 33;
    expect([m[a1], m[a1 + 1]]).toEqual([0xc0, 12]);
    const rdlen = u16(m, a1 + 10);
    const cname = readDnsName(m, a1 + 12);
    expect(cname.name).toBe('cdn.example.com');
    expect(cname.pointers).toBe(1);
    expect(cname.end).toBe(a1 + 12 + rdlen);
    const a2 = a1 + 12 + rdlen;
    // Answer 2 owner points at the CNAME RDATA, whose tail points back into the question.
    expect(readDnsName(m, a2)).toMatchObject({ name: 'cdn.example.com', pointers: 2 });
    expect(u32(m, a2 + 6)).toBe(60);
    expect(m.length).toBe(a2 + 2 + 10 + 4);

    const plain = dnsMessage({ id: 1, questions: [{ name: 'a.b', type: 1 }], answers: [{ name: 'a.b', type: 1, data: new Uint8Array(4) }] });
    expect(readDnsName(plain, 12 + 9).pointers).toBe(0);
  });

  it('dnsRaw crafts pointer loops; dnsOverTcp prefixes the length', () => {
    // Name at 12: label "a" then a pointer back to 12.
    const loop = dnsRaw({ id: 1, qdcount: 1, body: Buffer.concat([dnsLabels('a', false), dnsPointer(12), new Uint8Array([0, 1, 0, 1])]) });
    expect(u16(loop, 4)).toBe(1);
    expect(Buffer.from(loop.subarray(12, 16)).toString('hex')).toBe('0161c00c');
    expect(() => readDnsName(loop, 12)).toThrow('loop');
    const t = dnsOverTcp(loop);
    expect(u16(t, 0)).toBe(loop.length);
    expect(Buffer.from(dnsLabels('')).toString('hex')).toBe('00');
  });
});

describe('TcpConversation', () => {
  it('tracks seq/ack for both sides, with losses, duplicates and retransmissions', () => {
    const c = new TcpConversation({ client: '10.0.0.1:40000', server: '10.0.0.2:33333', isn: [1000, 5000], step: 0.01, start: 100 });
    c.handshake();
    c.clientSends(100).serverAcks();
    c.serverSends(10).serverSends(20, { delivered: false }).serverSends(30);
    c.clientAcks().dupAck('client');
    c.retransmit('server').clientAcks();
    const m = c.frames.map((f) => [f.meta.side[0], f.meta.flags, f.meta.seq, f.meta.ack, f.meta.len]);
    expect(m).toEqual([
      ['c', 0x02, 1000, 0, 0],
      ['s', 0x12, 5000, 1001, 0],
      ['c', 0x10, 1001, 5001, 0],
      ['c', 0x18, 1001, 5001, 100],
      ['s', 0x10, 5001, 1101, 0],
      ['s', 0x18, 5001, 1101, 10],
      ['s', 0x18, 5011, 1101, 20],
      ['s', 0x18, 5031, 1101, 30],
      ['c', 0x10, 1101, 5011, 0],
      ['c', 0x10, 1101, 5011, 0],
      ['s', 0x18, 5011, 1101, 20],
      ['c', 0x10, 1101, 5061, 0],
    ]);
    expect(c.frames[10].data.subarray(54)).toEqual(c.frames[6].data.subarray(54));
    expect(c.frames.map((f) => [f.tsSec, f.tsFrac]).slice(0, 3)).toEqual([
      [100, 0],
      [100, 10_000],
      [100, 20_000],
    ]);
    for (const f of c.frames) {
      const ip = f.data.subarray(14);
      expect(sumsToAllOnes(ip.subarray(0, 20))).toBe(true);
      expect(transportChecksumOk(ip)).toBe(true);
    }
  });

  it('retransmitted bytes are identical to the original', () => {
    const c = new TcpConversation({ client: '10.0.0.1:1', server: '10.0.0.2:2' });
    c.clientSends(50, { delivered: false }).retransmitLast();
    const payload = (f: TimedFrame): Uint8Array => f.data.subarray(14 + 20 + 20);
    expect(payload(c.frames[1])).toEqual(payload(c.frames[0]));
    expect(c.frames[0].meta.seq).toBe(c.frames[1].meta.seq);
  });

  it('wraps sequence numbers past 2^32', () => {
    const c = new TcpConversation({ client: '10.0.0.1:1', server: '10.0.0.2:2', isn: [0xfffffff0, 0xffffff00] });
    c.handshake().clientSends(100).serverAcks();
    const skipped = c.skip('client', 10);
    c.clientSends(5).serverAcks().segment('client', { seq: skipped, len: 10 }).serverAcks();
    expect(skipped).toBe(85);
    expect(c.frames.map((f) => f.meta.seq)).toEqual([0xfffffff0, 0xffffff00, 0xfffffff1, 0xfffffff1, 0xffffff01, 95, 0xffffff01, 85, 0xffffff01]);
    expect(c.frames.map((f) => f.meta.ack)).toEqual([0, 0xfffffff1, 0xffffff01, 0xffffff01, 85, 0xffffff01, 85, 0xffffff01, 100]);
  });

  it('at() and wait() move the clock; uncaptured segments take no time', () => {
    const c = new TcpConversation({ client: '10.0.0.1:1', server: '10.0.0.2:2', start: 10, step: 0.5 });
    c.clientSends(1).clientSends(1, { captured: false }).wait(2).clientSends(1).at(1_700_000_000.000001).serverAcks();
    expect(c.frames.map((f) => [f.tsSec, f.tsFrac])).toEqual([
      [10, 0],
      [12, 500_000],
      [1_700_000_000, 1],
    ]);
    expect(c.frames[1].meta.seq - c.frames[0].meta.seq).toBe(2);
  });

  it('keep-alive and zero-window probe do not consume sequence space', () => {
    const c = new TcpConversation({ client: '10.0.0.1:1', server: '10.0.0.2:2', isn: [0, 0] });
    c.clientSends(10).keepAlive('client').keepAlive('client', { withByte: true }).zeroWindowProbe('client').clientSends(1);
    expect(c.frames.map((f) => [f.meta.seq, f.meta.len])).toEqual([
      [1, 10],
      [10, 0],
      [10, 1],
      [11, 1],
      [11, 1],
    ]);
    expect(c.ackOf('server')).toBe(12);
  });
});

// ---------------------------------------------------------------------------------------------------
// Wireshark's TCP analysis as the oracle for the conversation scripts
// ---------------------------------------------------------------------------------------------------

const TSHARK = hasTshark();
const tsharkTitle = TSHARK ? 'tshark agrees with the scripted TCP flows' : 'tshark agrees with the scripted TCP flows (SKIPPED: tshark not on PATH)';

/** Expert messages per frame, chat-level noise (SYN/FIN announcements, window updates) included. */
function expertByFrame(file: string): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const e of tsharkExpert(file)) out.set(e.frame, [...(out.get(e.frame) ?? []), e.message]);
  return out;
}

describe.skipIf(!TSHARK)(tsharkTitle, () => {
  const tmp = TSHARK ? tempDir() : undefined;
  afterAll(() => tmp?.cleanup());
  const write = (name: string, data: Uint8Array): string => tmp!.write(name, data);

  it('loss, duplicate ACKs, fast retransmission, RTO retransmission, window scaling, timestamps, FIN close', () => {
    const c = new TcpConversation({
      client: '10.0.0.1:40000',
      server: '10.0.0.2:33333',
      isn: [1000, 5000],
      mss: 1460,
      wscale: [7, 8],
      sackPermitted: true,
      timestamps: true,
    });
    c.handshake(); // 1-3
    c.clientSends(100); // 4
    c.serverAcks(); // 5
    c.serverSends(1460); // 6
    c.serverSends(1460, { delivered: false }); // 7: lost after the capture point
    c.serverSends(1460); // 8
    c.serverSends(1460); // 9
    c.clientAcks(); // 10
    c.dupAck('client', 2); // 11, 12
    c.retransmit('server'); // 13: resends frame 7
    c.clientAcks(); // 14: acks everything
    c.serverSends(100, { delivered: false }); // 15
    c.wait(0.3).retransmitLast(); // 16
    c.clientAcks(); // 17
    c.close('server'); // 18-20
    const file = write('loss.pcap', c.toPcap());
    const rows = tsharkFields(file, ['tcp.seq', 'tcp.ack', 'tcp.len', 'tcp.window_size', 'tcp.checksum.status', 'ip.checksum.status', 'tcp.options.timestamp.tsval']);
    expect(rows.map((r) => r.slice(0, 3))).toEqual([
      ['0', '0', '0'],
      ['0', '1', '0'],
      ['1', '1', '0'],
      ['1', '1', '100'],
      ['1', '101', '0'],
      ['1', '101', '1460'],
      ['1461', '101', '1460'],
      ['2921', '101', '1460'],
      ['4381', '101', '1460'],
      ['101', '1461', '0'],
      ['101', '1461', '0'],
      ['101', '1461', '0'],
      ['1461', '101', '1460'],
      ['101', '5841', '0'],
      ['5841', '101', '100'],
      ['5841', '101', '100'],
      ['101', '5941', '0'],
      ['5941', '101', '0'],
      ['101', '5942', '0'],
      ['5942', '102', '0'],
    ]);
    // Window field 65535 scaled by the shift each side announced in its SYN.
    expect(rows[2][3]).toBe(String(65535 << 7));
    expect(rows[4][3]).toBe(String(65535 * 256));
    expect(rows.every((r) => r[4] === '1' && r[5] === '1')).toBe(true);
    expect(rows[15][6]).toBe('316'); // TSval is milliseconds since the first frame, plus one
    const expert = expertByFrame(file);
    expect(expert.get(11)).toEqual(['Duplicate ACK (#1)']);
    expect(expert.get(12)).toEqual(['Duplicate ACK (#2)']);
    expect(expert.get(13)).toEqual(['This frame is a (suspected) fast retransmission', 'This frame is a (suspected) retransmission']);
    expect(expert.get(16)).toEqual(['This frame is a (suspected) retransmission']);
    expect([...expert.keys()]).toEqual([1, 2, 11, 12, 13, 16, 18, 19]);
    const opts = tsharkFields(file, ['tcp.options.mss_val', 'tcp.options.wscale.shift', 'tcp.options.sack_perm'], { filter: 'tcp.flags.syn == 1' });
    expect(opts).toEqual([
      ['1460', '7', '0402'],
      ['1460', '8', '0402'],
    ]);
  });

  it('zero window, zero-window probe, window update, keep-alive, out-of-order, RST', () => {
    const c = new TcpConversation({ client: '10.0.0.1:40001', server: '10.0.0.2:33333' });
    c.handshake(); // 1-3
    c.clientSends(50); // 4
    c.zeroWindow('server'); // 5
    c.zeroWindowProbe('client'); // 6
    c.windowUpdate('server', 65535); // 7
    c.clientSends(10); // 8
    // Wireshark only calls the reply a keep-alive ACK if it repeats the previous ACK exactly, so the
    // data must be acknowledged before the idle period.
    c.serverAcks(); // 9
    c.wait(1).keepAlive('client'); // 10
    c.serverAcks(); // 11: keep-alive ACK
    const gap = c.skip('client', 100);
    c.clientSends(100); // 12: after the gap
    c.segment('client', { seq: gap, len: 100 }); // 13: the missing one, late
    c.serverAcks(); // 14
    c.serverRst(); // 15
    const file = write('window.pcap', c.toPcap());
    const expert = expertByFrame(file);
    expect(Object.fromEntries([...expert].filter(([f]) => f > 2))).toEqual({
      5: ['TCP Zero Window segment'],
      6: ['TCP Zero Window Probe'],
      7: ['TCP window update'],
      10: ['TCP keep-alive segment'],
      11: ['ACK to a TCP keep-alive segment'],
      12: ['Previous segment(s) not captured (common at capture start)'],
      13: ['This frame is a (suspected) out-of-order segment'],
      15: ['Connection reset (RST)'],
    });
    expect(tsharkFields(file, ['tcp.window_size_value'], { filter: 'frame.number == 5' })).toEqual([['0']]);
  });

  it('IPv6 over QinQ conversation decodes with good checksums', () => {
    const c = new TcpConversation({
      client: '[2001:db8::1]:5000',
      server: '[2001:db8::2]:33333',
      vlans: [{ tpid: 0x88a8, vid: 100 }, { vid: 200 }],
    });
    c.handshake().clientSends(1000).serverAcks().close();
    const file = write('v6.pcap', c.toPcap());
    const rows = tsharkFields(file, ['ipv6.src', 'tcp.len', 'tcp.checksum.status', 'vlan.id']);
    expect(rows.map((r) => r[0])).toEqual(['2001:db8::1', '2001:db8::2', '2001:db8::1', '2001:db8::1', '2001:db8::2', '2001:db8::1', '2001:db8::2', '2001:db8::1']);
    expect(rows.every((r) => r[2] === '1' && r[3] === '200')).toBe(true);
    expect(tsharkExpert(file).filter((e) => e.severity >= SEVERITY.warn)).toEqual([]);
  });

  it('etherIpv4Tcp one-liner decodes as written', () => {
    const f = etherIpv4Tcp({ src: '192.0.2.1', dst: '198.51.100.7', srcPort: 1234, dstPort: 33333, seq: 42, ack: 7, flags: 'PA', payload: filler(3), window: 512 });
    const file = write('one.pcap', writePcap({}, [{ tsSec: 1, tsFrac: 0, data: f }]));
    expect(tsharkFields(file, ['ip.src', 'ip.dst', 'tcp.seq_raw', 'tcp.ack_raw', 'tcp.flags', 'tcp.len', 'tcp.window_size_value', 'tcp.checksum.status', 'eth.type'])).toEqual([
      ['192.0.2.1', '198.51.100.7', '42', '7', '0x0018', '3', '512', '1', `0x${ETHERTYPE.IPV4.toString(16).padStart(4, '0')}`],
    ]);
  });
});
