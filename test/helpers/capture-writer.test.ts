import { afterAll, describe, expect, it } from 'vitest';
import { gunzipSync } from 'node:zlib';
import {
  BLOCK,
  OPT,
  PcapngWriter,
  SECRETS,
  gzip,
  linkTypeWithFcs,
  tsFrom,
  tsresolUnits,
  writePcap,
  type PcapRecord,
} from './capture-writer.js';
import {
  AF,
  ETHERTYPE,
  IPPROTO,
  arp,
  dnsA,
  dnsMessage,
  dnsOverTcp,
  etherIpv4Tcp,
  etherIpv4Udp,
  etherIpv6Tcp,
  etherIpv6Udp,
  ethernet,
  filler,
  icmp,
  icmpv6,
  ipv4,
  ipv4Tcp,
  ipv6,
  linuxSll,
  linuxSll2,
  llc802_3,
  mpls,
  nullLoopback,
  parseIp,
  tcp,
  udp,
  utf8,
} from './packet-builder.js';
import { capinfos, capinfosText, hasTshark, tempDir, tsharkFields, tsharkProblems } from './tshark.js';

// ---------------------------------------------------------------------------------------------------
// An independent pcapng walker: enough of the format to check the writer byte by byte.
// ---------------------------------------------------------------------------------------------------

interface WalkedBlock {
  offset: number;
  type: number;
  le: boolean;
  length: number;
  trailer: number;
  body: DataView;
}

function walkPcapng(bytes: Uint8Array): WalkedBlock[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: WalkedBlock[] = [];
  let le = true;
  let off = 0;
  while (off < bytes.length) {
    if (dv.getUint32(off, true) === BLOCK.SHB) {
      const bom = dv.getUint32(off + 8, true);
      le = bom === 0x1a2b3c4d;
    }
    const type = dv.getUint32(off, le);
    const length = dv.getUint32(off + 4, le);
    const trailer = dv.getUint32(off + length - 4, le);
    out.push({ offset: off, type, le, length, trailer, body: new DataView(bytes.buffer, bytes.byteOffset + off + 8, length - 12) });
    off += length;
  }
  return out;
}

function readOptions(body: DataView, start: number, le: boolean): Array<{ code: number; value: Uint8Array }> {
  const opts: Array<{ code: number; value: Uint8Array }> = [];
  let at = start;
  while (at + 4 <= body.byteLength) {
    const code = body.getUint16(at, le);
    const len = body.getUint16(at + 2, le);
    if (code === 0) {
      expect(len).toBe(0);
      expect(at + 4).toBe(body.byteLength); // opt_endofopt is last
      return opts;
    }
    opts.push({ code, value: new Uint8Array(body.buffer, body.byteOffset + at + 4, len) });
    at += 4 + ((len + 3) & ~3);
  }
  throw new Error('options not terminated by opt_endofopt');
}

const text = (b: Uint8Array): string => new TextDecoder().decode(b);

const sampleFrames = (): Uint8Array[] => [
  etherIpv4Tcp({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 40000, dstPort: 80, seq: 1, ack: 1, payload: filler(33) }),
  etherIpv4Udp({ src: '10.0.0.3', dst: '10.0.0.4', srcPort: 5000, dstPort: 6000, payload: filler(11) }),
  etherIpv6Tcp({ src: '2001:db8::1', dst: '2001:db8::2', srcPort: 40001, dstPort: 443, flags: 'S', seq: 7, ack: 0, options: { mss: 1440 } }),
];

// ---------------------------------------------------------------------------------------------------

describe('writePcap', () => {
  const rec: PcapRecord = { tsSec: 1_700_000_000, tsFrac: 123_456, data: new Uint8Array([1, 2, 3, 4, 5]) };

  it.each([
    ['usec', false, 'd4c3b2a1'],
    ['usec', true, 'a1b2c3d4'],
    ['nsec', false, '4d3cb2a1'],
    ['nsec', true, 'a1b23c4d'],
    ['modified', false, '34cdb2a1'],
    ['modified', true, 'a1b2cd34'],
  ] as const)('writes the %s magic (bigEndian=%s) in file byte order', (magic, bigEndian, hexMagic) => {
    const f = writePcap({ magic, bigEndian, snaplen: 1500, linkType: 113 }, [rec]);
    const dv = new DataView(f.buffer);
    const le = !bigEndian;
    expect(Buffer.from(f.subarray(0, 4)).toString('hex')).toBe(hexMagic);
    expect(dv.getUint16(4, le)).toBe(2);
    expect(dv.getUint16(6, le)).toBe(4);
    expect(dv.getUint32(16, le)).toBe(1500);
    expect(dv.getUint32(20, le)).toBe(113);
    expect(dv.getUint32(24, le)).toBe(1_700_000_000);
    expect(dv.getUint32(28, le)).toBe(123_456);
    expect(dv.getUint32(32, le)).toBe(5);
    expect(dv.getUint32(36, le)).toBe(5);
    const hdr = magic === 'modified' ? 24 : 16;
    expect(f.length).toBe(24 + hdr + 5);
    expect([...f.subarray(24 + hdr)]).toEqual([1, 2, 3, 4, 5]);
  });

  it('writes lying lengths, out-of-range fractions, versions and the modified-header extras verbatim', () => {
    const f = writePcap({ magic: 'modified', versionMajor: 3, versionMinor: 1, linkType: linkTypeWithFcs(1, 4) }, [
      { tsSec: 1, tsFrac: 2_000_000, data: new Uint8Array(10), origLen: 1514, capLenOverride: 99, ifindex: 7, protocol: 0x0800, pktType: 4 },
    ]);
    const dv = new DataView(f.buffer);
    expect(dv.getUint16(4, true)).toBe(3);
    expect(dv.getUint16(6, true)).toBe(1);
    // FCS length 4 bytes = 2 sixteen-bit words in bits 31..29, plus the F bit 28.
    expect(dv.getUint32(20, true)).toBe(0x50000001);
    expect(dv.getUint32(28, true)).toBe(2_000_000);
    expect(dv.getUint32(32, true)).toBe(99);
    expect(dv.getUint32(36, true)).toBe(1514);
    expect(dv.getUint32(40, true)).toBe(7);
    expect(dv.getUint16(44, true)).toBe(0x0800);
    expect(f[46]).toBe(4);
    expect(f.length).toBe(24 + 24 + 10);
  });
});

describe('PcapngWriter', () => {
  it('frames every block with matching, 4-aligned lengths and switches byte order per section', () => {
    const w = new PcapngWriter()
      .shb({ userappl: 'fixture' })
      .idb({ linkType: 1, name: 'eth0' })
      .epb({ ts: 1n, data: new Uint8Array(5) })
      .shb({ bigEndian: true })
      .idb({ linkType: 1 })
      .epb({ ts: 2n, data: new Uint8Array(6) })
      .shb({ bigEndian: false })
      .idb({ linkType: 1 });
    const blocks = walkPcapng(w.bytes());
    expect(blocks.map((b) => b.type)).toEqual([BLOCK.SHB, BLOCK.IDB, BLOCK.EPB, BLOCK.SHB, BLOCK.IDB, BLOCK.EPB, BLOCK.SHB, BLOCK.IDB]);
    expect(blocks.map((b) => b.le)).toEqual([true, true, true, false, false, false, true, true]);
    for (const b of blocks) {
      expect(b.length % 4).toBe(0);
      expect(b.trailer).toBe(b.length);
    }
    const shb = blocks[0];
    expect(shb.body.getUint16(4, true)).toBe(1);
    expect(shb.body.getUint16(6, true)).toBe(0);
    expect(shb.body.getBigInt64(8, true)).toBe(-1n);
    expect(readOptions(shb.body, 16, true).map((o) => [o.code, text(o.value)])).toEqual([[OPT.shb.userappl, 'fixture']]);
  });

  it('encodes IDB fields and options (tsresol raw byte, signed tsoffset, padded strings)', () => {
    const w = new PcapngWriter({ bigEndian: true }).shb().idb({
      linkType: 113,
      snaplen: 96,
      tsresol: 0x94,
      tsoffset: -5n,
      name: 'any',
      description: 'all interfaces',
      comment: 'c',
      fcslen: 4,
      options: [{ code: OPT.if.speed, value: { u64: 1_000_000_000n } }],
    });
    const [, idb] = walkPcapng(w.bytes());
    expect(idb.le).toBe(false);
    expect(idb.body.getUint16(0, false)).toBe(113);
    expect(idb.body.getUint16(2, false)).toBe(0);
    expect(idb.body.getUint32(4, false)).toBe(96);
    const opts = readOptions(idb.body, 8, false);
    const byCode = new Map(opts.map((o) => [o.code, o.value]));
    expect(text(byCode.get(OPT.comment)!)).toBe('c');
    expect(text(byCode.get(OPT.if.name)!)).toBe('any');
    expect(text(byCode.get(OPT.if.description)!)).toBe('all interfaces');
    expect([...byCode.get(OPT.if.tsresol)!]).toEqual([0x94]);
    expect([...byCode.get(OPT.if.fcslen)!]).toEqual([4]);
    const off = byCode.get(OPT.if.tsoffset)!;
    expect(new DataView(off.buffer, off.byteOffset, 8).getBigInt64(0, false)).toBe(-5n);
    const speed = byCode.get(OPT.if.speed)!;
    expect(new DataView(speed.buffer, speed.byteOffset, 8).getBigUint64(0, false)).toBe(1_000_000_000n);
  });

  it('splits EPB/OPB/ISB timestamps into high and low words and honours length overrides', () => {
    const ts = tsFrom(1_700_000_000, 123_456_789, 1_000_000_000n);
    const w = new PcapngWriter()
      .shb()
      .idb({ linkType: 1, tsresol: 9 })
      .epb({ iface: 0, ts, data: new Uint8Array([9, 8, 7]), origLen: 60, capLenOverride: 2, comment: 'hi', flags: 1, dropCount: 3n })
      .opb({ iface: 0x1234, drops: 0x5678, ts: 0x0000000100000002n, data: new Uint8Array(4) })
      .isb({ iface: 0, ts, ifRecv: 10n, startTime: 0x0000000300000004n });
    const [, , epb, opb, isb] = walkPcapng(w.bytes());
    expect(epb.body.getUint32(0, true)).toBe(0);
    expect((BigInt(epb.body.getUint32(4, true)) << 32n) | BigInt(epb.body.getUint32(8, true))).toBe(ts);
    expect(epb.body.getUint32(12, true)).toBe(2);
    expect(epb.body.getUint32(16, true)).toBe(60);
    expect([epb.body.getUint8(20), epb.body.getUint8(21), epb.body.getUint8(22), epb.body.getUint8(23)]).toEqual([9, 8, 7, 0]);
    const epbOpts = readOptions(epb.body, 24, true);
    expect(epbOpts.map((o) => o.code)).toEqual([OPT.comment, OPT.epb.flags, OPT.epb.dropcount]);

    expect(opb.body.getUint16(0, true)).toBe(0x1234);
    expect(opb.body.getUint16(2, true)).toBe(0x5678);
    expect(opb.body.getUint32(4, true)).toBe(1);
    expect(opb.body.getUint32(8, true)).toBe(2);
    expect(opb.body.getUint32(12, true)).toBe(4);

    const isbOpts = readOptions(isb.body, 12, true);
    const start = isbOpts.find((o) => o.code === OPT.isb.starttime)!.value;
    const sdv = new DataView(start.buffer, start.byteOffset, 8);
    expect([sdv.getUint32(0, true), sdv.getUint32(4, true)]).toEqual([3, 4]);
  });

  it('writes SPB, NRB, DSB and both custom block types', () => {
    const w = new PcapngWriter()
      .shb()
      .idb({ linkType: 1 })
      .spb({ data: new Uint8Array(5), origLen: 1500 })
      .nrb([
        { type: 1, address: new Uint8Array([10, 0, 0, 1]), names: ['a.example', 'b.example'] },
        { type: 2, address: parseIp('2001:db8::1'), names: ['six'] },
      ])
      .dsb(SECRETS.TLS_KEY_LOG, utf8('CLIENT_RANDOM x y\n'))
      .custom({ copyable: true, pen: 32473, data: utf8('abc') })
      .custom({ copyable: false, pen: 32473, data: utf8('abcd') });
    const [, , spb, nrb, dsb, c1, c2] = walkPcapng(w.bytes());
    expect(spb.type).toBe(BLOCK.SPB);
    expect(spb.body.getUint32(0, true)).toBe(1500);
    expect(spb.length).toBe(12 + 4 + 8);

    expect(nrb.body.getUint16(0, true)).toBe(1);
    const v4len = nrb.body.getUint16(2, true);
    expect(v4len).toBe(4 + 'a.example\0b.example\0'.length);
    const second = 4 + ((v4len + 3) & ~3);
    expect(nrb.body.getUint16(second, true)).toBe(2);
    expect(nrb.body.getUint16(second + 2, true)).toBe(16 + 4);
    const end = second + 4 + 20;
    expect([nrb.body.getUint16(end, true), nrb.body.getUint16(end + 2, true)]).toEqual([0, 0]);

    expect(dsb.type).toBe(0x0a);
    expect(dsb.body.getUint32(0, true)).toBe(0x544c534b);
    expect(dsb.body.getUint32(4, true)).toBe(18);

    expect(c1.type).toBe(0x00000bad);
    expect(c2.type).toBe(0x40000bad);
    expect(c1.body.getUint32(0, true)).toBe(32473);
    expect(c1.length).toBe(12 + 4 + 4);
  });

  it('patches sectionLength "auto" with the byte count of each section', () => {
    const w = new PcapngWriter()
      .shb({ sectionLength: 'auto' })
      .idb({ linkType: 1 })
      .epb({ ts: 0n, data: new Uint8Array(10) })
      .shb({ sectionLength: 'auto', bigEndian: true })
      .shb({ sectionLength: 123n });
    const blocks = walkPcapng(w.bytes());
    expect(blocks[0].body.getBigInt64(8, true)).toBe(BigInt(blocks[1].length + blocks[2].length));
    expect(blocks[3].body.getBigInt64(8, false)).toBe(0n);
    expect(blocks[4].body.getBigInt64(8, false)).toBe(123n);
  });

  it('builds malformed blocks on request', () => {
    const w = new PcapngWriter()
      .shb()
      .rawBlock(0x1234, new Uint8Array([1, 2, 3]))
      .rawBlock(6, new Uint8Array([1, 2, 3]), { noPad: true })
      .rawBlock(6, new Uint8Array(8), { lengthOverride: 12, trailerOverride: 99 })
      .idb({ linkType: 1, options: [{ code: OPT.if.name, value: 'eth0', lengthOverride: 200 }] })
      .append(new Uint8Array([0xde, 0xad]));
    const b = w.bytes();
    const dv = new DataView(b.buffer);
    let off = 28; // past the option-less SHB
    expect(dv.getUint32(off, true)).toBe(0x1234);
    expect(dv.getUint32(off + 4, true)).toBe(16);
    expect(dv.getUint32(off + 12, true)).toBe(16);
    off += 16;
    expect(dv.getUint32(off + 4, true)).toBe(15);
    expect(dv.getUint32(off + 11, true)).toBe(15);
    off += 15;
    expect(dv.getUint32(off + 4, true)).toBe(12);
    expect(dv.getUint32(off + 16, true)).toBe(99);
    off += 20;
    expect(dv.getUint16(off + 16 + 2, true)).toBe(200); // the lying option length
    expect([...b.subarray(b.length - 2)]).toEqual([0xde, 0xad]);
  });

  it('computes timestamps and resolutions', () => {
    expect(tsFrom(1, 5, 1_000_000n)).toBe(1_000_005n);
    expect(tsFrom(1_700_000_000, 999_999_999, 1_000_000_000n)).toBe(1_700_000_000_999_999_999n);
    expect(tsresolUnits(6)).toBe(1_000_000n);
    expect(tsresolUnits(9)).toBe(1_000_000_000n);
    expect(tsresolUnits(0x94)).toBe(1n << 20n);
  });
});

describe('gzip', () => {
  it('round-trips through zlib', () => {
    const data = writePcap({}, [{ tsSec: 1, tsFrac: 2, data: filler(100) }]);
    const gz = gzip(data);
    expect([gz[0], gz[1]]).toEqual([0x1f, 0x8b]);
    expect(new Uint8Array(gunzipSync(gz))).toEqual(data);
  });
});

// ---------------------------------------------------------------------------------------------------
// Wireshark as the oracle
// ---------------------------------------------------------------------------------------------------

const TSHARK = hasTshark();
const tsharkTitle = TSHARK ? 'tshark decodes the fixtures' : 'tshark decodes the fixtures (SKIPPED: tshark not on PATH)';

describe.skipIf(!TSHARK)(tsharkTitle, () => {
  const tmp = TSHARK ? tempDir() : undefined;
  afterAll(() => tmp?.cleanup());
  const write = (name: string, data: Uint8Array): string => tmp!.write(name, data);

  it.each([
    ['usec', false, 'pcap', '1700000000.123456000'],
    ['usec', true, 'pcap', '1700000000.123456000'],
    ['nsec', false, 'nsecpcap', '1700000000.000123456'],
    ['nsec', true, 'nsecpcap', '1700000000.000123456'],
    ['modified', false, 'modpcap', '1700000000.123456000'],
    ['modified', true, 'modpcap', '1700000000.123456000'],
  ] as const)('pcap %s bigEndian=%s', (magic, bigEndian, fileType, firstTime) => {
    const frames = sampleFrames();
    const file = write(
      `p-${magic}-${bigEndian}.pcap`,
      writePcap({ magic, bigEndian }, frames.map((data, i) => ({ tsSec: 1_700_000_000 + i, tsFrac: 123_456, data }))),
    );
    expect(capinfos(file)).toMatchObject({ 'File type': fileType, 'File encapsulation': 'ether', 'Number of packets': '3' });
    const rows = tsharkFields(file, ['frame.number', 'frame.time_epoch', 'ip.src', 'ipv6.src', 'tcp.srcport', 'tcp.checksum.status', 'udp.checksum.status', 'ip.checksum.status']);
    expect(rows).toEqual([
      ['1', firstTime, '10.0.0.1', '', '40000', '1', '', '1'],
      ['2', firstTime.replace('1700000000', '1700000001'), '10.0.0.3', '', '', '', '1', '1'],
      ['3', firstTime.replace('1700000000', '1700000002'), '', '2001:db8::1', '40001', '1', '', ''],
    ]);
    expect(tsharkProblems(file)).toEqual([]);
  });

  it('pcap with an FCS announced in the LinkType field', () => {
    // Padded to the 60-byte minimum: tshark treats the last 4 bytes of a shorter (runt) frame as a
    // trailer rather than an FCS, even when the file header announces one.
    const frame = ethernet({ etherType: ETHERTYPE.IPV4, payload: ipv4Tcp({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1, dstPort: 2 }), padTo: 60, fcs: true });
    const file = write('fcs.pcap', writePcap({ linkType: linkTypeWithFcs(1, 4) }, [{ tsSec: 1, tsFrac: 0, data: frame }]));
    expect(tsharkFields(file, ['eth.fcs.status', 'tcp.checksum.status', 'frame.len'])).toEqual([['1', '1', String(frame.length)]]);
    expect(tsharkProblems(file)).toEqual([]);
  });

  it('pcapng: sections of both byte orders, tsresol 9 / 0x94, tsoffset, SPB, OPB, NRB, ISB, DSB, custom', () => {
    const [f1, f2, f3] = sampleFrames();
    const w = new PcapngWriter()
      .shb({ userappl: 'capture-writer test', sectionLength: 'auto' })
      .idb({ linkType: 1, tsresol: 9, name: 'eth0', snaplen: 262144 })
      .epb({ ts: tsFrom(1_700_000_000, 5, 1_000_000_000n), data: f1, comment: 'first' })
      .nrb([{ type: 1, address: parseIp('10.0.0.3'), names: ['udp-sender.example'] }])
      .shb({ bigEndian: true, sectionLength: 'auto' })
      .idb({ linkType: 1, tsresol: 0x94, tsoffset: 100n })
      .epb({ ts: tsFrom(1_700_000_000, 1 << 19, 1n << 20n), data: f2 })
      .spb({ data: f3 })
      .opb({ ts: tsFrom(1_700_000_001, 1 << 18, 1n << 20n), data: f1, drops: 3 })
      .isb({ ts: tsFrom(1_700_000_002, 0, 1n << 20n), ifRecv: 10n, ifDrop: 1n })
      .dsb(SECRETS.TLS_KEY_LOG, utf8('CLIENT_RANDOM 00 11\n'))
      .shb({ bigEndian: false })
      .idb({ linkType: 1 })
      .custom({ copyable: true, pen: 32473, data: utf8('wxyz') })
      .epb({ ts: tsFrom(1_700_000_003, 250_000, 1_000_000n), data: f2 });
    const file = write('multi.pcapng', w.bytes());
    const rows = tsharkFields(
      file,
      ['frame.number', 'frame.section_number', 'frame.time_epoch', 'frame.comment', 'frame.drop_count', 'ip.src_host', 'ipv6.src', 'frame.protocols'],
      { resolveNames: true },
    );
    expect(rows).toEqual([
      ['1', '1', '1700000000.000000005', 'first', '', '10.0.0.1', '', 'eth:ethertype:ip:tcp'],
      // if_tsoffset (100 s) is added; 2^19 ticks at 2^-20 s is exactly half a second.
      ['2', '2', '1700000100.500000000', '', '', 'udp-sender.example', '', 'eth:ethertype:ip:udp:data'],
      // An SPB has no timestamp at all.
      ['3', '2', '', '', '', '', '2001:db8::1', 'eth:ethertype:ipv6:tcp'],
      ['4', '2', '1700000101.250000000', '', '3', '10.0.0.1', '', 'eth:ethertype:ip:tcp'],
      // Wireshark 4.0 lists a Custom Block as a numbered frame of its own (capinfos does not count it).
      ['5', '3', '', '', '', '', '', 'data'],
      ['6', '3', '1700000003.250000000', '', '', 'udp-sender.example', '', 'eth:ethertype:ip:udp:data'],
    ]);
    expect(capinfos(file)).toMatchObject({ 'File type': 'pcapng', 'Number of packets': '5' });
    const info = capinfosText(file);
    expect(info).toMatch(/Capture application: capture-writer test/);
    expect(info).toMatch(/Time resolution = 0x94/);
    expect(info).toMatch(/Timestamp offset = 100/);
    expect(info).toMatch(/Number of resolved IPv4 addresses in file: 1/);
    expect(info).toMatch(/Number of decryption secrets in file: 1/);
    expect(info).toMatch(/Number of stat entries = 1/);
    // Frame 4 repeats frame 1's segment (the OPB): a retransmission note, not a problem.
    expect(tsharkProblems(file)).toEqual([]);
  });

  it('link layers: VLAN, QinQ, MPLS, 802.3 LLC/SNAP, ARP, SLL, SLL2, NULL, LOOP', () => {
    const ip = (n: number): Uint8Array => ipv4Tcp({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1000 + n, dstPort: 80 });
    const ip6 = ipv6({
      src: '2001:db8::1',
      dst: '2001:db8::2',
      nextHeader: IPPROTO.TCP,
      payload: tcp({ srcIp: '2001:db8::1', dstIp: '2001:db8::2', srcPort: 9, dstPort: 10, seq: 1, ack: 1, flags: 'A' }),
    });
    const cases: Array<[string, number, Uint8Array, string]> = [
      ['vlan', 1, ethernet({ vlans: [{ vid: 100, pcp: 5 }], etherType: ETHERTYPE.IPV4, payload: ip(1) }), 'eth:ethertype:vlan:ethertype:ip:tcp'],
      ['qinq', 1, ethernet({ vlans: [{ tpid: 0x88a8, vid: 10 }, { vid: 20 }], etherType: ETHERTYPE.IPV4, payload: ip(2) }), 'eth:ethertype:ieee8021ad:ethertype:vlan:ethertype:ip:tcp'],
      ['mpls', 1, ethernet({ etherType: ETHERTYPE.MPLS, payload: mpls([{ label: 100 }, { label: 200, tc: 5 }], ip(3)) }), 'eth:ethertype:mpls:ip:tcp'],
      ['snap', 1, llc802_3(ip(4), { snap: { oui: 0, pid: ETHERTYPE.IPV4 } }), 'eth:llc:ip:tcp'],
      ['stp-llc', 1, llc802_3(new Uint8Array(35)), 'eth:llc:stp'],
      ['arp', 1, ethernet({ dst: 'ff:ff:ff:ff:ff:ff', etherType: ETHERTYPE.ARP, payload: arp({ senderIp: '10.0.0.1', targetIp: '10.0.0.2' }), padTo: 60 }), 'eth:ethertype:arp'],
      ['sll', 113, linuxSll({ protocol: ETHERTYPE.IPV4, payload: ip(5), pktType: 4 }), 'sll:ethertype:ip:tcp'],
      ['sll2', 276, linuxSll2({ protocol: ETHERTYPE.IPV6, payload: ip6, ifindex: 3 }), 'sll:ethertype:ipv6:tcp'],
      ['null-le', 0, nullLoopback(AF.INET, ip(6)), 'null:ip:tcp'],
      ['null-be', 0, nullLoopback(AF.INET6_BSD, ip6, true), 'null:ipv6:tcp'],
      ['loop', 108, nullLoopback(AF.INET, ip(7), true), 'null:ip:tcp'],
    ];
    // One pcapng with an interface per link type keeps this to a single tshark run.
    const w = new PcapngWriter().shb();
    cases.forEach(([, linkType]) => w.idb({ linkType }));
    cases.forEach(([, , data], i) => w.epb({ iface: i, ts: BigInt(i), data }));
    const file = write('link-layers.pcapng', w.bytes());
    const rows = tsharkFields(file, ['frame.protocols', 'ip.checksum.status', 'tcp.checksum.status']);
    cases.forEach(([name, , , protocols], i) => {
      const [proto, ipStatus, tcpStatus] = rows[i];
      expect(proto, name).toBe(protocols);
      if (protocols.includes(':ip:')) expect(ipStatus, name).toBe('1');
      if (protocols.endsWith('tcp')) expect(tcpStatus, name).toBe('1');
    });
    expect(tsharkProblems(file)).toEqual([]);
    // Spot-check the decoded link-layer fields.
    const sll2 = write('sll2-check.pcap', writePcap({ linkType: 276 }, [{ tsSec: 1, tsFrac: 0, data: linuxSll2({ protocol: ETHERTYPE.IPV4, payload: ip(8), ifindex: 3, pktType: 4 }) }]));
    expect(tsharkFields(sll2, ['sll.ifindex', 'sll.pkttype', 'sll.src.eth'])).toEqual([['3', '4', '02:00:00:00:00:01']]);
    const q = write('qinq-check.pcap', writePcap({}, [{ tsSec: 1, tsFrac: 0, data: ethernet({ vlans: [{ tpid: 0x88a8, vid: 10, pcp: 1 }, { vid: 20, pcp: 6 }], etherType: ETHERTYPE.IPV4, payload: ip(9) }) }]));
    expect(tsharkFields(q, ['ieee8021ad.id', 'vlan.id', 'vlan.priority'])).toEqual([['10', '20', '6']]);
    const m = write('mpls-check.pcap', writePcap({}, [{ tsSec: 1, tsFrac: 0, data: ethernet({ etherType: ETHERTYPE.MPLS, payload: mpls([{ label: 100 }, { label: 200, tc: 5, ttl: 9 }], ip(10)) }) }]));
    expect(tsharkFields(m, ['mpls.label', 'mpls.exp', 'mpls.bottom', 'mpls.ttl'])).toEqual([['100,200', '0,5', '0,1', '64,9']]);
  });

  it('IPv6 extension headers, IPv6 and IPv4 fragments (reassembled), ICMP and ICMPv6', () => {
    const a6 = '2001:db8::a';
    const b6 = '2001:db8:0:1::b';
    const seg6 = tcp({ srcIp: a6, dstIp: b6, srcPort: 1234, dstPort: 80, seq: 1, ack: 1, flags: 'PA', payload: filler(20) });
    const dgram6 = udp({ srcIp: a6, dstIp: b6, srcPort: 1000, dstPort: 2000, payload: filler(40) });
    const dgram4 = udp({ srcIp: '10.0.0.1', dstIp: '10.0.0.2', srcPort: 1000, dstPort: 2000, payload: filler(40) });
    const e6 = (payload: Uint8Array): Uint8Array => ethernet({ etherType: ETHERTYPE.IPV6, payload });
    const e4 = (payload: Uint8Array): Uint8Array => ethernet({ etherType: ETHERTYPE.IPV4, payload });
    const frames = [
      e6(ipv6({ src: a6, dst: b6, nextHeader: IPPROTO.TCP, payload: seg6, extensionHeaders: [{ type: 0 }, { type: 60 }, { type: 43 }] })),
      e6(ipv6({ src: a6, dst: b6, nextHeader: IPPROTO.UDP, payload: dgram6, extensionHeaders: [{ type: 0 }, { type: 51 }] })),
      e6(ipv6({ src: a6, dst: b6, nextHeader: IPPROTO.UDP, payload: dgram6.subarray(0, 24), extensionHeaders: [{ type: 44, fragment: { offset: 0, more: true, id: 0xabc } }] })),
      e6(ipv6({ src: a6, dst: b6, nextHeader: IPPROTO.UDP, payload: dgram6.subarray(24), extensionHeaders: [{ type: 44, fragment: { offset: 24, more: false, id: 0xabc } }] })),
      e4(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: IPPROTO.UDP, id: 5, mf: true, payload: dgram4.subarray(0, 24) })),
      e4(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: IPPROTO.UDP, id: 5, fragOffset: 24, payload: dgram4.subarray(24) })),
      e4(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: IPPROTO.ICMP, payload: icmp({ type: 8, code: 0, rest: 0x00010001, payload: filler(32) }) })),
      e4(ipv4({ src: '10.0.0.2', dst: '10.0.0.1', protocol: IPPROTO.ICMP, payload: icmp({ type: 3, code: 4, rest: 1400, payload: ipv4Tcp({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 5, dstPort: 6 }).subarray(0, 28) }) })),
      e6(ipv6({ src: a6, dst: b6, nextHeader: IPPROTO.ICMPV6, payload: icmpv6({ srcIp: a6, dstIp: b6, type: 128, code: 0, rest: 0x00010001, payload: filler(16) }) })),
      e4(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: IPPROTO.TCP, options: new Uint8Array([0x94, 4, 0, 0]), payload: tcp({ srcIp: '10.0.0.1', dstIp: '10.0.0.2', srcPort: 5, dstPort: 6, seq: 9, flags: 'S', options: { mss: 1460, wscale: 2, sackPermitted: true, timestamps: [5, 0], nops: false } }) })),
    ];
    const file = write('l3.pcap', writePcap({}, frames.map((data, i) => ({ tsSec: 1, tsFrac: i, data }))));
    const rows = tsharkFields(file, ['frame.protocols', 'tcp.checksum.status', 'udp.checksum.status', 'icmp.checksum.status', 'icmpv6.checksum.status', 'ip.checksum.status', 'ipv6.fraghdr.ident']);
    expect(rows).toEqual([
      ['eth:ethertype:ipv6:ipv6.hopopts:ipv6.dstopts:ipv6.routing:tcp', '1', '', '', '', '', ''],
      ['eth:ethertype:ipv6:ipv6.hopopts:ah:udp:data', '', '1', '', '', '', ''],
      ['eth:ethertype:ipv6:ipv6.fraghdr:data', '', '', '', '', '', '0x00000abc'],
      ['eth:ethertype:ipv6:ipv6.fraghdr:udp:data', '', '1', '', '', '', '0x00000abc'],
      ['eth:ethertype:ip:data', '', '', '', '', '1', ''],
      ['eth:ethertype:ip:udp:data', '', '1', '', '', '1', ''],
      ['eth:ethertype:ip:icmp:data', '', '', '1', '', '1', ''],
      // The quoted header's checksum is verified too.
      ['eth:ethertype:ip:icmp:ip:tcp', '', '', '1', '', '1,1', ''],
      ['eth:ethertype:ipv6:icmpv6:data', '', '', '', '1', '', ''],
      ['eth:ethertype:ip:tcp', '1', '', '', '', '1', ''],
    ]);
    expect(tsharkProblems(file)).toEqual([]);
    // Options packed without NOPs (nops: false) end with an EOL pad; the IPv4 router-alert option (148) too.
    const optionFields = ['tcp.option_kind', 'tcp.options.mss_val', 'tcp.options.wscale.shift', 'tcp.options.timestamp.tsval', 'ip.opt.type'];
    expect(tsharkFields(file, optionFields, { filter: 'frame.number == 10' })).toEqual([['2,4,8,3,0', '1460', '2', '5', '148']]);
  });

  it('DNS over UDP (v4/v6) and TCP, with name compression', () => {
    const resp = dnsMessage({
      id: 7,
      response: true,
      compress: true,
      questions: [{ name: 'www.example.com', type: 1 }],
      answers: [
        { name: 'www.example.com', type: 5, data: { name: 'cdn.example.com' } },
        { name: 'cdn.example.com', type: 1, data: dnsA('192.0.2.1') },
        { name: 'cdn.example.com', type: 28, data: parseIp('2001:db8::53') },
      ],
    });
    const frames = [
      etherIpv4Udp({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 5353, dstPort: 53, payload: dnsMessage({ id: 7, questions: [{ name: 'www.example.com', type: 1 }] }) }),
      etherIpv4Udp({ src: '10.0.0.2', dst: '10.0.0.1', srcPort: 53, dstPort: 5353, payload: resp }),
      etherIpv6Udp({ src: '2001:db8::2', dst: '2001:db8::1', srcPort: 53, dstPort: 5353, payload: resp }),
      etherIpv4Tcp({ src: '10.0.0.2', dst: '10.0.0.1', srcPort: 53, dstPort: 5354, payload: dnsOverTcp(resp) }),
    ];
    const file = write('dns.pcap', writePcap({}, frames.map((data, i) => ({ tsSec: 1, tsFrac: i, data }))));
    expect(tsharkFields(file, ['dns.id', 'dns.flags.response', 'dns.qry.name', 'dns.cname', 'dns.a', 'dns.aaaa', 'dns.count.answers'])).toEqual([
      ['0x0007', '0', 'www.example.com', '', '', '', '0'],
      ['0x0007', '1', 'www.example.com', 'cdn.example.com', '192.0.2.1', '2001:db8::53', '3'],
      ['0x0007', '1', 'www.example.com', 'cdn.example.com', '192.0.2.1', '2001:db8::53', '3'],
      ['0x0007', '1', 'www.example.com', 'cdn.example.com', '192.0.2.1', '2001:db8::53', '3'],
    ]);
    expect(tsharkProblems(file)).toEqual([]);
  });
});
