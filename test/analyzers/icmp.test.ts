import * as v from 'valibot';
import { afterAll, describe, expect, it } from 'vitest';
import { IcmpAnalyzer, icmpTypeName } from '../../worker/analyzers/icmp.js';
import { icmpSchema } from '../../worker/report/sections/traffic.js';
import { writePcap, type PcapRecord } from '../helpers/capture-writer.js';
import { ETHERTYPE, ethernet, icmp, icmpv6, IPPROTO, ipv4, ipv4Tcp, ipv4Udp, ipv6, ipv6Tcp, ipv6Udp } from '../helpers/packet-builder.js';
import { hasTshark, tempDir, tsharkFields } from '../helpers/tshark.js';
import { runAnalyzers } from './harness.js';

const T0 = 1_700_000_000;

function atMs(ms: number, data: Uint8Array): PcapRecord {
  const us = Math.round(ms * 1000);
  return { tsSec: T0 + Math.floor(us / 1e6), tsFrac: us % 1e6, data };
}

const v4 = (src: string, dst: string, payload: Uint8Array, protocol: number = IPPROTO.ICMP) =>
  ethernet({ etherType: ETHERTYPE.IPV4, payload: ipv4({ src, dst, protocol, payload }) });
const v6 = (src: string, dst: string, payload: Uint8Array) =>
  ethernet({ etherType: ETHERTYPE.IPV6, payload: ipv6({ src, dst, nextHeader: IPPROTO.ICMPV6, payload }) });

/** What an ICMP error quotes: the offending IP header and the first 8 bytes after it (or fewer). */
const quote = (datagram: Uint8Array, headerLen: number, extra = 8) => datagram.slice(0, headerLen + extra);

const ROUTER = '192.0.2.1';
const HOST = '10.0.0.1';
const ROUTER6 = '2001:db8::1';
const HOST6 = '2001:db8:1::10';

const udpDatagram = ipv4Udp({ src: HOST, dst: '198.51.100.7', srcPort: 53001, dstPort: 33434, payload: new Uint8Array(40) });
const tcpDatagram = ipv4Tcp({ src: HOST, dst: '198.51.100.8', srcPort: 51514, dstPort: 443, payload: new Uint8Array(1460) });
const tcp6Datagram = ipv6Tcp({ src: HOST6, dst: '2001:db8:2::20', srcPort: 40000, dstPort: 443, payload: new Uint8Array(1400) });
const udp6Datagram = ipv6Udp({ src: HOST6, dst: '2001:db8:2::30', srcPort: 40001, dstPort: 33435, payload: new Uint8Array(8) });

function fixture(): PcapRecord[] {
  const echo = (type: number, id: number, seq: number) => icmp({ type, code: 0, rest: (id << 16) | seq, payload: new Uint8Array(32) });
  const echo6 = (src: string, dst: string, type: number, id: number, seq: number) =>
    icmpv6({ srcIp: src, dstIp: dst, type, code: 0, rest: (id << 16) | seq, payload: new Uint8Array(16) });
  return [
    // 1–5: three echo requests, replies to the first and third (10 ms and 30 ms).
    atMs(0, v4(HOST, '8.8.8.8', echo(8, 0x1234, 1))),
    atMs(10, v4('8.8.8.8', HOST, echo(0, 0x1234, 1))),
    atMs(1000, v4(HOST, '8.8.8.8', echo(8, 0x1234, 2))),
    atMs(2000, v4(HOST, '8.8.8.8', echo(8, 0x1234, 3))),
    atMs(2030, v4('8.8.8.8', HOST, echo(0, 0x1234, 3))),
    // 6: port unreachable quoting the UDP datagram.
    atMs(2100, v4(ROUTER, HOST, icmp({ type: 3, code: 3, payload: quote(udpDatagram, 20) }))),
    // 7: host unreachable whose quote stops 2 bytes into the UDP header: no ports.
    atMs(2200, v4(ROUTER, HOST, icmp({ type: 3, code: 1, payload: quote(udpDatagram, 20, 2) }))),
    // 8: fragmentation needed, next-hop MTU 1400, quoting the TCP segment.
    atMs(2300, v4(ROUTER, HOST, icmp({ type: 3, code: 4, rest: 1400, payload: quote(tcpDatagram, 20) }))),
    // 9: TTL exceeded in transit.
    atMs(2400, v4(ROUTER, HOST, icmp({ type: 11, code: 0, payload: quote(udpDatagram, 20) }))),
    // 10: ICMPv6 packet too big, MTU 1280.
    atMs(2500, v6(ROUTER6, HOST6, icmpv6({ srcIp: ROUTER6, dstIp: HOST6, type: 2, code: 0, rest: 1280, payload: quote(tcp6Datagram, 40) }))),
    // 11: ICMPv6 port unreachable; 12: hop limit exceeded.
    atMs(2600, v6('2001:db8:2::30', HOST6, icmpv6({ srcIp: '2001:db8:2::30', dstIp: HOST6, type: 1, code: 4, payload: quote(udp6Datagram, 40) }))),
    atMs(2700, v6(ROUTER6, HOST6, icmpv6({ srcIp: ROUTER6, dstIp: HOST6, type: 3, code: 0, payload: quote(udp6Datagram, 40) }))),
    // 13–14: ICMPv6 echo and its reply (5 ms).
    atMs(3000, v6(HOST6, ROUTER6, echo6(HOST6, ROUTER6, 128, 7, 1))),
    atMs(3005, v6(ROUTER6, HOST6, echo6(ROUTER6, HOST6, 129, 7, 1))),
    // 15: neighbor solicitation.
    atMs(3100, v6(HOST6, 'ff02::1:ff00:1', icmpv6({ srcIp: HOST6, dstIp: 'ff02::1:ff00:1', type: 135, code: 0, payload: new Uint8Array(16) }))),
    // 16: an ICMP message cut to 5 bytes: not `icmp` for tshark 4.0 (it reads 6 bytes first).
    atMs(3200, v4(ROUTER, HOST, new Uint8Array([3, 3, 0, 0, 0]))),
    // 17: a reply nobody asked for.
    atMs(3300, v4('8.8.4.4', HOST, echo(0, 0x9999, 1))),
    // 18: 6 bytes of ICMP are a message (network unreachable, nothing quoted); 19: 2 bytes of ICMPv6
    // are a message too, without a type/code row.
    atMs(3400, v4(ROUTER, HOST, new Uint8Array([3, 0, 0, 0, 0, 0]))),
    atMs(3500, v6(ROUTER6, HOST6, new Uint8Array([1, 4]))),
  ];
}

describe('IcmpAnalyzer', () => {
  const bytes = writePcap({}, fixture());
  const run = () => runAnalyzers(bytes, () => ({ icmp: new IcmpAnalyzer() })).then((r) => r.sections.icmp);

  it('produces a valid section counting every top-level ICMP/ICMPv6 frame', async () => {
    const s = await run();
    expect(v.safeParse(icmpSchema, s).success).toBe(true);
    expect(s.messages).toBe(18);
  });

  it('counts messages by version, type and code with names', async () => {
    const s = await run();
    const rows = Object.fromEntries(s.byType.items.map((r) => [`${r.version}/${r.type}/${r.code}`, [r.count, r.name]]));
    expect(rows).toEqual({
      '4/8/0': [3, 'echo request'],
      '4/0/0': [3, 'echo reply'],
      '4/3/3': [1, 'destination unreachable (port unreachable)'],
      '4/3/1': [1, 'destination unreachable (host unreachable)'],
      '4/3/4': [1, 'destination unreachable (fragmentation needed)'],
      '4/3/0': [1, 'destination unreachable (network unreachable)'],
      '4/11/0': [1, 'time exceeded (TTL exceeded in transit)'],
      '6/2/0': [1, 'packet too big'],
      '6/1/4': [1, 'destination unreachable (port unreachable)'],
      '6/3/0': [1, 'time exceeded (hop limit exceeded in transit)'],
      '6/128/0': [1, 'echo request'],
      '6/129/0': [1, 'echo reply'],
      '6/135/0': [1, 'neighbor solicitation'],
    });
    expect(s.byType.items[0]).toMatchObject({ version: 4, type: 0, count: 3 }); // ties: version, type
    expect(s.byType.omitted).toBe(0);
    expect(icmpTypeName(4, 3, 13)).toBe('destination unreachable (communication administratively prohibited)');
    expect(icmpTypeName(6, 1, 1)).toBe('destination unreachable (communication administratively prohibited)');
    expect(icmpTypeName(4, 77, 2)).toBe('type 77 (code 2)');
  });

  it('lists unreachable errors with the quoted datagram (ports only when quoted)', async () => {
    const s = await run();
    expect(s.unreachable.omitted).toBe(0);
    expect(s.unreachable.items).toEqual([
      {
        frame: 6,
        time: 2.1,
        version: 4,
        code: 3,
        codeName: 'port unreachable',
        from: ROUTER,
        about: { src: HOST, dst: '198.51.100.7', protocol: 17, srcPort: 53001, dstPort: 33434 },
      },
      {
        frame: 7,
        time: 2.2,
        version: 4,
        code: 1,
        codeName: 'host unreachable',
        from: ROUTER,
        about: { src: HOST, dst: '198.51.100.7', protocol: 17, srcPort: null, dstPort: null },
      },
      {
        frame: 11,
        time: 2.6,
        version: 6,
        code: 4,
        codeName: 'port unreachable',
        from: '2001:db8:2::30',
        about: { src: HOST6, dst: '2001:db8:2::30', protocol: 17, srcPort: 40001, dstPort: 33435 },
      },
      { frame: 18, time: 3.4, version: 4, code: 0, codeName: 'network unreachable', from: ROUTER, about: null },
    ]);
  });

  it('lists fragmentation needed (MTU 1400) and packet too big (MTU 1280) apart from unreachables', async () => {
    const s = await run();
    expect(s.fragmentationNeeded.items).toEqual([
      { frame: 8, time: 2.3, version: 4, mtu: 1400, from: ROUTER, about: { src: HOST, dst: '198.51.100.8', protocol: 6, srcPort: 51514, dstPort: 443 } },
      { frame: 10, time: 2.5, version: 6, mtu: 1280, from: ROUTER6, about: { src: HOST6, dst: '2001:db8:2::20', protocol: 6, srcPort: 40000, dstPort: 443 } },
    ]);
  });

  it('lists time exceeded errors', async () => {
    const s = await run();
    expect(s.timeExceeded.items.map((t) => [t.frame, t.version, t.code, t.from, t.about?.dstPort])).toEqual([
      [9, 4, 0, ROUTER, 33434],
      [12, 6, 0, ROUTER6, 33435],
    ]);
  });

  it('matches echo requests and replies: one unanswered, RTT mean and max', async () => {
    const s = await run();
    // IPv4: 3 requests, 2 answered (10 ms, 30 ms) + an unsolicited reply; IPv6: 1 answered (5 ms).
    expect(s.echo).toEqual({ requests: 4, replies: 4, unanswered: 1, rtt: { count: 3, mean: 0.015, max: 0.03 } });
  });

  it('caps lists and counts what was left out', async () => {
    const recs: PcapRecord[] = [];
    for (let i = 0; i < 250; i++) recs.push(atMs(i, v4(ROUTER, HOST, icmp({ type: 3, code: 3, payload: quote(udpDatagram, 20) }))));
    const { sections } = await runAnalyzers(writePcap({}, recs), () => ({ icmp: new IcmpAnalyzer() }));
    expect(sections.icmp.unreachable.items).toHaveLength(200);
    expect(sections.icmp.unreachable.omitted).toBe(50);
    expect(sections.icmp.unreachable.items[199].frame).toBe(200);
  });

  describe.skipIf(!hasTshark())('agrees with tshark on the fixture', () => {
    const tmp = tempDir('icmp-fixture-');
    afterAll(() => tmp.cleanup());
    const file = tmp.write('icmp.pcap', bytes);

    it('messages, MTUs and response times', async () => {
      const s = await run();
      const rows = tsharkFields(file, ['frame.number', 'icmp.type', 'icmpv6.type', 'icmp.mtu', 'icmpv6.mtu', 'icmp.resptime', 'icmpv6.resptime'], { prefs: [] });
      // Count by the filter: frames 18–19 are `icmp`/`icmpv6` without a type field.
      const messages = tsharkFields(file, ['frame.number'], { prefs: [], filter: 'icmp || icmpv6' }).length;
      expect(messages).toBe(18);
      expect(s.messages).toBe(messages);
      const mtus = rows.filter((r) => r[3] !== '' || r[4] !== '').map((r) => Number(r[3] || r[4]));
      expect(s.fragmentationNeeded.items.map((f) => f.mtu)).toEqual(mtus);
      const rtts = rows.filter((r) => r[5] !== '' || r[6] !== '').map((r) => Number(r[5] || r[6]) / 1000);
      expect(s.echo.rtt?.count).toBe(rtts.length);
      expect(s.echo.rtt?.max).toBeCloseTo(Math.max(...rtts), 9);
    });
  });
});
