/**
 * Bad and unusual input for the capture readers (STYLE.md, "Known ways capture readers fail"): every
 * case asserts the exact outcome — issue code, byte offset, block type, packet number — and that the
 * packets before the damage are still counted. Every fixture is also read in several chunkings (down to
 * one byte at a time) and must give the same summary each time.
 */
import { constants, inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { CaptureSummary } from '../../worker/index.js';
import { ByteWriter } from '../helpers/bytes.js';
import { BLOCK, OPT, PcapngWriter, SECRETS, concat, gzip, tsFrom, utf8, writePcap } from '../helpers/capture-writer.js';
import { dnsPointer, dnsRaw, etherIpv4Udp, ethernet, filler, ipv4, ipv4Udp, ipv6, tcp, udp } from '../helpers/packet-builder.js';
import {
  analyze,
  CHUNKINGS,
  epbOffset,
  errors,
  frames,
  PCAP_HEADER,
  pcapngOf,
  pcapOf,
  pcapRecordOffset,
  SHB_BYTES,
  T0,
  type PacketSnapshot,
} from './fixtures.js';

const F = frames(4);

/** Reads `bytes` in every chunking; all must agree. Returns the summary and packets of the first. */
async function read(bytes: Uint8Array): Promise<{ summary: CaptureSummary; packets: PacketSnapshot[] }> {
  const first = await analyze(bytes);
  for (const sizes of CHUNKINGS.slice(1)) {
    const other = await analyze(bytes, sizes);
    expect(other.summary, `chunk sizes ${sizes.join(',')}`).toEqual(first.summary);
    expect(other.packets, `chunk sizes ${sizes.join(',')}`).toEqual(first.packets);
  }
  return first;
}

/** The one error of a summary (fatal or not). */
function theError(s: CaptureSummary) {
  const e = errors(s);
  expect(e, JSON.stringify(s.warnings, null, 2)).toHaveLength(1);
  return e[0];
}

function u32le(v: number): Uint8Array {
  return new ByteWriter(true).u32(v).finish();
}

/** An EPB body written by hand (the block header and trailer are added by rawBlock). */
function epbBody(o: { iface?: number; caplen: number; len?: number; data: Uint8Array }): Uint8Array {
  const w = new ByteWriter(true);
  w.u32(o.iface ?? 0).u32(0).u32(T0).u32(o.caplen).u32(o.len ?? o.caplen).bytes(o.data).pad(4);
  return w.finish();
}

describe('not a capture', () => {
  it('empty file', async () => {
    const { summary } = await read(new Uint8Array(0));
    const e = theError(summary);
    expect(e).toMatchObject({ code: 'empty-file', offset: 0 });
    expect(e.message).toBe('the file is empty (0 bytes): not a capture');
    expect(summary).toMatchObject({ format: 'unknown', packets: 0, captureStreamBytes: 0 });
  });

  it('a file shorter than any magic number', async () => {
    const { summary } = await read(new Uint8Array([0xd4, 0xc3, 0xb2]));
    expect(theError(summary)).toMatchObject({ code: 'not-a-capture', offset: 0, message: 'the file is too short (3 bytes) to be a capture' });
  });

  it('HTML file', async () => {
    const { summary } = await read(utf8('<!DOCTYPE html>\n<html><body>Not found</body></html>\n'));
    expect(theError(summary)).toMatchObject({ code: 'not-a-capture', offset: 0, message: 'cannot read this file: an HTML/XML document' });
    expect(summary.packets).toBe(0);
    expect(summary.format).toBe('unknown');
  });

  it('zip file', async () => {
    const zip = concat(new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0x14, 0, 0, 0, 8, 0]), filler(100));
    const { summary } = await read(zip);
    expect(theError(summary)).toMatchObject({ code: 'not-a-capture', offset: 0, message: 'cannot read this file: a zip archive' });
  });

  it('random bytes', async () => {
    // A fixed xorshift stream: reproducible, and its first bytes are no magic number.
    const bytes = new Uint8Array(4096);
    let x = 0x9e3779b9;
    for (let i = 0; i < bytes.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      bytes[i] = x & 0xff;
    }
    const head = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    const { summary } = await read(bytes);
    expect(theError(summary)).toMatchObject({
      code: 'not-a-capture',
      offset: 0,
      message: `cannot read this file: not a pcap or pcapng file (it starts with bytes ${head})`,
    });
  });
});

describe('pcapng block lengths', () => {
  /** SHB, IDB, two good EPBs, then the bad block at `badAt`. */
  const good = () => pcapngOf(F.slice(0, 2));
  const badAt = epbOffset(F, 2);

  it('zero-length block', async () => {
    const bytes = good().rawBlock(BLOCK.EPB, new Uint8Array(20), { lengthOverride: 0 }).bytes();
    const { summary } = await read(bytes);
    const e = theError(summary);
    expect(e).toMatchObject({ code: 'block-too-short', offset: badAt, blockType: 'EPB' });
    expect(e.message).toBe(`EPB at offset ${badAt} has block length 0, shorter than the 32 bytes its fixed fields need`);
    expect(summary.packets).toBe(2);
    expect(summary.captureStreamBytes).toBe(badAt);
  });

  it('block length below the block header (8)', async () => {
    const bytes = good().rawBlock(0x00000bad, new Uint8Array(8), { lengthOverride: 8 }).bytes();
    const { summary } = await read(bytes);
    const e = theError(summary);
    expect(e).toMatchObject({ code: 'block-too-short', offset: badAt, blockType: 'CB' });
    expect(e.message).toContain('has block length 8');
    expect(summary.packets).toBe(2);
  });

  it('EPB shorter than its fixed fields', async () => {
    // 28 bytes: a multiple of 4 and more than a block header, but no room for EPB's 20 bytes of fields.
    const bytes = good().rawBlock(BLOCK.EPB, new Uint8Array(16)).bytes();
    const { summary } = await read(bytes);
    const e = theError(summary);
    expect(e).toMatchObject({ code: 'block-shorter-than-fields', offset: badAt, blockType: 'EPB' });
    expect(e.message).toBe(`EPB at offset ${badAt} has block length 28, shorter than the 32 bytes its fixed fields need`);
    expect(summary.packets).toBe(2);
  });

  it('IDB shorter than its fixed fields', async () => {
    const bytes = new PcapngWriter().shb().rawBlock(BLOCK.IDB, new Uint8Array(4)).bytes();
    const { summary } = await read(bytes);
    expect(theError(summary)).toMatchObject({ code: 'block-shorter-than-fields', offset: SHB_BYTES, blockType: 'IDB' });
    expect(summary.interfaces).toEqual([]);
  });

  it('block length not a multiple of 4', async () => {
    const bytes = good().rawBlock(0x1234, new Uint8Array(5), { noPad: true }).bytes();
    const { summary } = await read(bytes);
    const e = theError(summary);
    expect(e).toMatchObject({ code: 'block-length-not-multiple-of-4', offset: badAt, blockType: 'block type 0x00001234' });
    expect(e.message).toBe(`block type 0x00001234 at offset ${badAt} has block length 17, which is not a multiple of 4`);
    expect(summary.packets).toBe(2);
  });

  it('trailer length differs from header length', async () => {
    const bytes = good().rawBlock(BLOCK.EPB, epbBody({ caplen: F[2].length, data: F[2] }), { trailerOverride: 96 }).bytes();
    const { summary } = await read(bytes);
    const e = theError(summary);
    expect(e).toMatchObject({ code: 'trailer-length-mismatch', offset: badAt, blockType: 'EPB' });
    expect(e.message).toBe(`EPB at offset ${badAt}: the trailing block length 96 differs from the leading block length 112`);
    expect(summary.packets).toBe(2);
  });

  it('EPB captured length near 2^32: no overflow when padding it to 4', async () => {
    // (0xfffffffd + 3) & ~3 is 0 in 32-bit arithmetic: the options would be read from the packet bytes.
    const bytes = good().rawBlock(BLOCK.EPB, epbBody({ caplen: 0xfffffffd, data: F[2] })).bytes();
    const { summary } = await read(bytes);
    expect(theError(summary)).toMatchObject({ code: 'caplen-exceeds-block', offset: badAt, blockType: 'EPB', packet: 3 });
    expect(summary.packets).toBe(2);
    expect(summary.comments).toEqual([]);
  });

  it('EPB captured length larger than the block', async () => {
    const bytes = good().rawBlock(BLOCK.EPB, epbBody({ caplen: 1000, data: F[2] })).bytes();
    const { summary } = await read(bytes);
    const e = theError(summary);
    expect(e).toMatchObject({ code: 'caplen-exceeds-block', offset: badAt, blockType: 'EPB', packet: 3 });
    expect(e.message).toBe(`EPB of packet 3 at offset ${badAt} declares 1000 captured bytes but the block only has room for 80`);
    expect(summary.packets).toBe(2);
  });

  it('huge length in a skippable block: skipped without buffering, then a truncated-block error', async () => {
    // A Custom Block claiming 100 MB in a file of a few hundred bytes.
    const bytes = good().rawBlock(BLOCK.CUSTOM_COPY, concat(u32le(32473), filler(64)), { lengthOverride: 100_000_000 }).bytes();
    const { summary, run } = await analyze(bytes);
    const e = theError(summary);
    const present = bytes.length - badAt;
    expect(e).toMatchObject({ code: 'truncated-block', offset: badAt, blockType: 'CB' });
    expect(e.message).toBe(
      `the capture ends in the middle of the CB at offset ${badAt}, which declares 100000000 bytes: ${100_000_000 - present} of them are missing`,
    );
    expect(summary.packets).toBe(2);
    expect(summary.captureStreamBytes).toBe(badAt);
    expect(carryBytes(run)).toBeLessThanOrEqual(4096);
    // Same outcome whatever the chunking.
    for (const sizes of CHUNKINGS) expect((await analyze(bytes, sizes)).summary).toEqual(summary);
  });

  it('a 16 MiB length claimed by an EPB in a tiny file allocates no more than the bytes present', async () => {
    const bytes = good().rawBlock(BLOCK.EPB, epbBody({ caplen: F[2].length, data: F[2] }), { lengthOverride: 16 * 1024 * 1024 - 4 }).bytes();
    for (const sizes of [[7], [4096]]) {
      const { summary, run } = await analyze(bytes, sizes);
      const e = theError(summary);
      expect(e).toMatchObject({ code: 'truncated-record', offset: badAt, blockType: 'EPB', packet: 3 });
      expect(e.message).toBe(`the capture ends in the middle of the EPB of packet 3 at offset ${badAt}: 112 of 16777212 bytes present`);
      expect(summary.packets).toBe(2);
      expect(carryBytes(run)).toBeLessThanOrEqual(4096);
    }
  });

  it('EPB longer than the 16 MiB buffering limit is refused', async () => {
    const bytes = good().rawBlock(BLOCK.EPB, epbBody({ caplen: F[2].length, data: F[2] }), { lengthOverride: 16 * 1024 * 1024 + 4 }).bytes();
    const { summary } = await read(bytes);
    expect(theError(summary)).toMatchObject({ code: 'block-too-large', offset: badAt, blockType: 'EPB' });
    expect(summary.packets).toBe(2);
  });
});

/** Size of the framer's carry buffer (what a record straddling chunks is copied into). */
function carryBytes(run: { reader: unknown }): number {
  const framer = (run.reader as { framer?: { carry: Uint8Array } }).framer;
  if (!framer) throw new Error('no framer');
  return framer.carry.length;
}

describe('captured length', () => {
  it('pcap caplen > len is accepted, counted and warned about', async () => {
    const recs = [
      { tsSec: T0, tsFrac: 0, data: F[0] },
      { tsSec: T0, tsFrac: 1, data: F[1], origLen: 40 },
      { tsSec: T0, tsFrac: 2, data: F[2] },
    ];
    const { summary, packets } = await read(writePcap({}, recs));
    expect(summary.packets).toBe(3);
    expect(errors(summary)).toEqual([]);
    const at = pcapRecordOffset(F, 1);
    expect(summary.warnings).toEqual([
      {
        severity: 'warning',
        code: 'caplen-exceeds-length',
        message: `packet 2 at offset ${at}: captured length 64 exceeds the original length 40; the original length is taken as 64`,
        offset: at,
        blockType: 'pcap record',
        packet: 2,
        count: 1,
      },
    ]);
    expect(packets[1]).toMatchObject({ caplen: 64, wireLen: 64 });
    expect(summary.wireBytes).toBe(77 + 64 + 77);
    expect(summary.truncatedPackets).toBe(0);
  });

  it('pcapng EPB caplen > len is accepted, counted and warned about', async () => {
    const w = new PcapngWriter().shb().idb({ linkType: 1 });
    w.epb({ ts: 0n, data: F[0] }).epb({ ts: 1n, data: F[1], origLen: 10 });
    const { summary } = await read(w.bytes());
    expect(summary.packets).toBe(2);
    expect(summary.warnings).toEqual([
      expect.objectContaining({ severity: 'warning', code: 'caplen-exceeds-length', offset: epbOffset(F, 1), packet: 2 }),
    ]);
    expect(summary.wireBytes).toBe(77 + 64);
  });

  it('pcap caplen > 256 KiB is fatal, naming offset and packet; earlier packets counted', async () => {
    const recs = [
      { tsSec: T0, tsFrac: 0, data: F[0] },
      { tsSec: T0, tsFrac: 1, data: F[1] },
      { tsSec: T0, tsFrac: 2, data: F[2], capLenOverride: 262145 },
    ];
    const { summary } = await read(writePcap({}, recs));
    const at = pcapRecordOffset(F, 2);
    const e = theError(summary);
    expect(e).toEqual({
      severity: 'error',
      code: 'caplen-too-large',
      message: `pcap record of packet 3 at offset ${at} declares a captured length of 262145 bytes, more than the 262144-byte maximum: the file is corrupt from here on`,
      offset: at,
      blockType: 'pcap record',
      packet: 3,
      count: 1,
    });
    expect(summary.packets).toBe(2);
    expect(summary.captureStreamBytes).toBe(at);
  });

  it('pcap caplen of exactly 256 KiB is accepted', async () => {
    const big = ethernet({ etherType: 0x88b5, payload: new Uint8Array(262144 - 14) });
    const { summary } = await read(writePcap({}, [{ tsSec: T0, tsFrac: 0, data: big }, { tsSec: T0, tsFrac: 1, data: F[0] }]));
    expect(errors(summary)).toEqual([]);
    expect(summary.packets).toBe(2);
    expect(summary.capturedBytes).toBe(262144 + 77);
  });

  it('EPB caplen > 256 KiB is fatal, naming offset and packet; earlier packets counted', async () => {
    const big = new Uint8Array(262148);
    const bytes = pcapngOf(F.slice(0, 2)).epb({ ts: 5n, data: big }).epb({ ts: 6n, data: F[3] }).bytes();
    const at = epbOffset(F, 2);
    const { summary } = await read(bytes);
    const e = theError(summary);
    expect(e).toMatchObject({ code: 'caplen-too-large', offset: at, blockType: 'EPB', packet: 3 });
    expect(e.message).toBe(`EPB of packet 3 at offset ${at} declares a captured length of 262148 bytes, more than the 262144-byte maximum`);
    expect(summary.packets).toBe(2);
  });

  it('an absurd snaplen is advisory only: records are still capped at 256 KiB, nothing is sized by it', async () => {
    for (const snaplen of [0, 0xffffffff]) {
      const { summary, run } = await analyze(pcapOf(F, { snaplen }), [5]);
      expect(summary).toMatchObject({ packets: 4, warnings: [], interfaces: [expect.objectContaining({ snaplen })] });
      expect(carryBytes(run)).toBeLessThanOrEqual(4096);
    }
    const w = new PcapngWriter().shb().idb({ linkType: 1, snaplen: 0xffffffff });
    w.spb({ data: F[0] }).epb({ ts: 1n, data: F[1] });
    const { summary, packets } = await read(w.bytes());
    expect(summary.packets).toBe(2);
    expect(packets.map((p) => p.caplen)).toEqual([77, 64]);
    const bad = pcapOf(F.slice(0, 1), { snaplen: 0xffffffff });
    new DataView(bad.buffer).setUint32(PCAP_HEADER + 8, 262145, true);
    expect(theError((await read(bad)).summary)).toMatchObject({ code: 'caplen-too-large', offset: PCAP_HEADER, packet: 1 });
  });

  it('caplen > snaplen is accepted with one warning', async () => {
    const bytes = pcapOf(F, { snaplen: 64 });
    const { summary } = await read(bytes);
    expect(summary.packets).toBe(4);
    expect(summary.truncatedPackets).toBe(0);
    const at = pcapRecordOffset(F, 0);
    expect(summary.warnings).toEqual([
      {
        severity: 'warning',
        code: 'caplen-exceeds-snaplen',
        message: `packet 1 at offset ${at}: captured length 77 exceeds the file's snapshot length 64 (accepted, as Wireshark does)`,
        offset: at,
        blockType: 'pcap record',
        packet: 1,
        count: 1,
      },
    ]);
  });
});

describe('capture cut short', () => {
  const pcap = pcapOf(F);
  const third = pcapRecordOffset(F, 2);

  it('pcap cut in the middle of a record body', async () => {
    const { summary } = await read(pcap.subarray(0, third + 16 + 30));
    const e = theError(summary);
    expect(e).toMatchObject({ code: 'truncated-record', offset: third, blockType: 'pcap record', packet: 3 });
    expect(e.message).toBe(`the capture ends in the middle of the record of packet 3 at offset ${third}: 46 of 93 bytes present`);
    expect(summary.packets).toBe(2);
    expect(summary.captureStreamBytes).toBe(third);
  });

  it('pcap cut in the middle of a record header', async () => {
    const { summary } = await read(pcap.subarray(0, third + 10));
    const e = theError(summary);
    expect(e).toMatchObject({ code: 'truncated-record', offset: third, blockType: 'pcap record', packet: 3 });
    expect(e.message).toBe(`the capture ends in the middle of the record of packet 3 at offset ${third}: 10 of at least 16 bytes present`);
    expect(summary.packets).toBe(2);
  });

  it('pcap cut in the middle of the file header', async () => {
    const { summary } = await read(pcap.subarray(0, 10));
    const e = theError(summary);
    expect(e).toEqual({
      severity: 'error',
      code: 'truncated-record',
      message: 'the capture ends in the middle of the pcap file header at offset 0: 10 of at least 24 bytes present',
      offset: 0,
      blockType: 'pcap header',
      count: 1,
    });
    expect(e.message).toBe('the capture ends in the middle of the pcap file header at offset 0: 10 of at least 24 bytes present');
    expect(summary.packets).toBe(0);
  });

  it('pcap cut exactly at a record boundary is clean', async () => {
    const { summary } = await read(pcap.subarray(0, third));
    expect(summary.warnings).toEqual([]);
    expect(summary.packets).toBe(2);
  });

  it('pcapng cut in the middle of an EPB', async () => {
    const bytes = pcapngOf(F).bytes();
    const at = epbOffset(F, 3);
    const { summary } = await read(bytes.subarray(0, at + 40));
    const e = theError(summary);
    expect(e).toMatchObject({ code: 'truncated-record', offset: at, blockType: 'EPB', packet: 4 });
    expect(e.message).toBe(`the capture ends in the middle of the EPB of packet 4 at offset ${at}: 40 of 96 bytes present`);
    expect(summary.packets).toBe(3);
  });

  it('pcapng cut in the middle of a block header', async () => {
    const bytes = pcapngOf(F).bytes();
    const at = epbOffset(F, 3);
    const { summary } = await read(bytes.subarray(0, at + 6));
    const e = theError(summary);
    expect(e).toMatchObject({ code: 'truncated-record', offset: at, blockType: 'EPB', packet: 4 });
    expect(e.message).toBe(`the capture ends in the middle of the EPB of packet 4 at offset ${at}: 6 of at least 12 bytes present`);
    expect(summary.packets).toBe(3);
  });

  it('truncated gzip: an error, and the packets decoded before the damage', async () => {
    const many = frames(400);
    const plain = pcapOf(many);
    const gz = gzip(plain);
    const cut = gz.subarray(0, Math.floor(gz.length * 0.6));
    // What a streaming inflater can recover from the cut data, and how many whole records it holds.
    const recovered = new Uint8Array(inflateRawSync(cut.subarray(10), { finishFlush: constants.Z_SYNC_FLUSH }));
    expect(plain.subarray(0, recovered.length)).toEqual(recovered);
    let whole = 0;
    let next = PCAP_HEADER;
    while (whole < many.length && pcapRecordOffset(many, whole + 1) <= recovered.length) {
      whole++;
      next = pcapRecordOffset(many, whole);
    }
    expect(whole).toBeGreaterThan(10);
    expect(whole).toBeLessThan(many.length);

    const { summary } = await analyze(cut);
    expect(summary.compression).toBe('gzip');
    expect(summary.packets).toBe(whole);
    const gzErr = summary.warnings.find((w) => w.code === 'gzip-damaged');
    expect(gzErr).toMatchObject({ severity: 'error', offset: recovered.length });
    expect(gzErr?.message).toMatch(new RegExp(`^the gzip data is damaged or truncated \\(.+\\); ${whole} packets were read before the damage \\(decompressed offset ${recovered.length}\\)$`));
    // The partial record left in the decompressed stream is reported where it starts.
    expect(next).toBeLessThan(recovered.length);
    expect(summary.warnings.find((w) => w.code === 'truncated-record')).toMatchObject({ severity: 'error', offset: next, blockType: 'pcap record', packet: whole + 1 });
    expect(errors(summary).map((e) => e.code)).toEqual(['truncated-record', 'gzip-damaged']);
    // Fed in other chunkings the packets before the damage are never more, and the damage is reported.
    for (const sizes of CHUNKINGS.slice(1)) {
      const other = (await analyze(cut, sizes)).summary;
      expect(other.packets, `chunk sizes ${sizes.join(',')}`).toBeLessThanOrEqual(whole);
      expect(errors(other).map((e) => e.code)).toContain('gzip-damaged');
    }
  });

  // Closing DecompressionStream on truncated input errors its readable side and discards output still
  // queued; worker/input.ts reads everything produced before closing, so the chunking does not matter.
  it('truncated gzip read in 1000-byte chunks yields every packet a whole-file read yields', async () => {
    const many = frames(400);
    const gz = gzip(pcapOf(many));
    const cut = gz.subarray(0, Math.floor(gz.length * 0.3));
    const whole = (await analyze(cut)).summary.packets;
    expect(whole).toBeGreaterThan(50);
    expect((await analyze(cut, [1000])).summary.packets).toBe(whole);
  });

  it('gzip of a complete capture reads cleanly', async () => {
    const plain = pcapOf(F);
    const { summary } = await read(gzip(plain));
    expect(summary).toMatchObject({ compression: 'gzip', packets: 4, captureStreamBytes: plain.length, warnings: [] });
  });
});

describe('interfaces and link types', () => {
  it('EPB interface id out of range: error naming the block, packet skipped, reading goes on', async () => {
    const w = pcapngOf(F.slice(0, 1));
    w.epb({ iface: 1, ts: 1n, data: F[1] }).epb({ ts: 2n, data: F[2] });
    const at = epbOffset(F, 1);
    const { summary, packets } = await read(w.bytes());
    const e = theError(summary);
    expect(e).toMatchObject({ code: 'interface-out-of-range', offset: at, blockType: 'EPB' });
    expect(e.message).toBe(`EPB at offset ${at} refers to interface 1, but section 0 declares 1 interface(s); packet skipped`);
    expect(summary.packets).toBe(2);
    expect(packets.map((p) => p.frame)).toEqual([1, 2]);
  });

  it('unknown link type is counted under undecoded', async () => {
    const w = new PcapngWriter().shb().idb({ linkType: 147 });
    w.epb({ ts: 0n, data: F[0] }).epb({ ts: 1n, data: F[1] });
    const { summary } = await read(w.bytes());
    expect(summary.packets).toBe(2);
    expect(summary.undecoded).toEqual({ 'undecoded link type 147': 2 });
    expect(summary.protocols).toEqual({});
    expect(summary.interfaces[0]).toMatchObject({ linkType: 147, linkTypeName: 'link type 147' });
    expect(summary.warnings).toEqual([]);
  });

  it('pcap LinkType field with FCS bits: link type 1, raw field reported', async () => {
    const { summary, packets } = await read(pcapOf(F.slice(0, 2), { linkType: 0x30000001 }));
    expect(summary.interfaces[0]).toMatchObject({ linkType: 1, linkTypeName: 'Ethernet', linkTypeField: 0x30000001 });
    expect(summary.protocols).toMatchObject({ eth: 2, ip: 2, udp: 1, tcp: 1, dns: 1 });
    expect(packets.map((p) => p.linkType)).toEqual([1, 1]);
  });
});

describe('DNS name compression loops', () => {
  const question = (name: Uint8Array) => dnsRaw({ id: 0x4242, qdcount: 1, body: concat(name, new Uint8Array([0, 1, 0, 1])) });
  const packet = (dns: Uint8Array) => etherIpv4Udp({ src: '192.0.2.1', dst: '192.0.2.53', srcPort: 1234, dstPort: 53, payload: dns });

  it('a question name pointing at itself', async () => {
    const bytes = pcapOf([F[1], packet(question(dnsPointer(12))), F[0]]);
    const { summary } = await read(bytes);
    expect(summary.packets).toBe(3);
    expect(summary.warnings).toEqual([
      {
        severity: 'warning',
        code: 'dns-name-pointer-loop',
        message: 'frame 2: DNS question name is malformed (pointer-loop) at message offset 12',
        packet: 2,
        offset: pcapRecordOffset([F[1]], 1),
        count: 1,
      },
    ]);
    expect(summary.undecoded).toEqual({ 'malformed dns': 1 });
    expect(summary.protocols.dns).toBe(2);
  });

  it('a two-pointer cycle (12 → 14 → 12), and a label followed by a pointer back to itself', async () => {
    const cycle = question(concat(dnsPointer(14), dnsPointer(12)));
    const labelLoop = question(concat(new Uint8Array([1, 0x61]), dnsPointer(12)));
    const { summary } = await read(pcapOf([packet(cycle), F[1], packet(labelLoop)]));
    expect(summary.warnings).toEqual([
      expect.objectContaining({ code: 'dns-name-pointer-loop', packet: 1, offset: PCAP_HEADER, count: 2, message: 'frame 1: DNS question name is malformed (pointer-loop) at message offset 12' }),
    ]);
    expect(summary.undecoded).toEqual({ 'malformed dns': 2 });
  });
});

describe('pcapng interface options', () => {
  async function timesFor(tsresol: number | undefined, ticks: bigint[]): Promise<{ summary: CaptureSummary; packets: PacketSnapshot[] }> {
    const w = new PcapngWriter().shb().idb({ linkType: 1, tsresol });
    for (const t of ticks) w.epb({ ts: t, data: F[0] });
    return read(w.bytes());
  }

  it('if_tsresol 6 (µs)', async () => {
    const { summary, packets } = await timesFor(6, [1_700_000_000_123_456n]);
    expect(packets[0]).toMatchObject({ tsSec: 1_700_000_000, tsNsec: 123_456_000 });
    expect(summary.interfaces[0].timestampResolution).toBe('10^-6');
    expect(summary.firstTimestamp).toBe('2023-11-14T22:13:20.123456Z');
  });

  it('if_tsresol 9 (ns), ticks beyond 2^53 kept exact', async () => {
    const { summary, packets } = await timesFor(9, [1_700_000_000_123_456_789n, 1_700_000_001_999_999_999n]);
    expect(packets.map((p) => [p.tsSec, p.tsNsec])).toEqual([
      [1_700_000_000, 123_456_789],
      [1_700_000_001, 999_999_999],
    ]);
    expect(summary.interfaces[0].timestampResolution).toBe('10^-9');
    expect(summary.firstEpoch).toBe('1700000000.123456789');
    expect(summary.lastTimestamp).toBe('2023-11-14T22:13:21.999999999Z');
    expect(summary.durationSeconds).toBe(1.87654321);
  });

  it('if_tsresol 0x94 (2^-20 s)', async () => {
    const units = 1n << 20n;
    const { summary, packets } = await timesFor(0x94, [tsFrom(T0, 1 << 19, units), tsFrom(T0, 1, units), tsFrom(T0 + 1, (1 << 20) - 1, units)]);
    expect(packets.map((p) => [p.tsSec, p.tsNsec])).toEqual([
      [T0, 500_000_000],
      [T0, 953], // 10^9 / 2^20 = 953.67…, truncated
      [T0 + 1, 999_999_046],
    ]);
    expect(summary.interfaces[0].timestampResolution).toBe('2^-20');
    expect(summary.warnings).toEqual([]);
  });

  it('if_tsresol 0xFF (2^-127: invalid) warns and uses microseconds', async () => {
    const { summary, packets } = await timesFor(0xff, [1_700_000_000_000_001n]);
    expect(summary.warnings).toEqual([
      {
        severity: 'warning',
        code: 'invalid-tsresol',
        message: `IDB at offset ${SHB_BYTES}: if_tsresol 0xff (2^-127 s) is finer than a 64-bit timestamp can express; using microseconds`,
        offset: SHB_BYTES,
        blockType: 'IDB',
        count: 1,
      },
    ]);
    expect(summary.interfaces[0].timestampResolution).toBe('10^-6');
    expect(packets[0]).toMatchObject({ tsSec: T0, tsNsec: 1000 });
  });

  it('if_tsoffset positive and negative', async () => {
    const w = new PcapngWriter().shb();
    w.idb({ linkType: 1, tsoffset: 3600n }).idb({ linkType: 1, tsoffset: -1_000_000n, tsresol: 9 });
    w.epb({ iface: 0, ts: tsFrom(100, 250_000, 1_000_000n), data: F[0] });
    w.epb({ iface: 1, ts: tsFrom(T0, 5, 1_000_000_000n), data: F[1] });
    const { summary, packets } = await read(w.bytes());
    expect(packets.map((p) => [p.iface, p.tsSec, p.tsNsec])).toEqual([
      [0, 3700, 250_000_000],
      [1, T0 - 1_000_000, 5],
    ]);
    expect(summary.interfaces.map((i) => i.timestampOffsetSeconds)).toEqual([3600, -1_000_000]);
    expect(summary.timestampDigits).toBe(9);
  });
});

describe('pcapng sections and blocks', () => {
  it('sections with different byte orders, each with its own interfaces', async () => {
    const w = new PcapngWriter();
    w.shb({ comment: 'little' }).idb({ linkType: 1 }).idb({ linkType: 101 });
    w.epb({ iface: 0, ts: 1n, data: F[0] }).epb({ iface: 1, ts: 2n, data: ipv4Udp({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1, dstPort: 2, payload: filler(4) }) });
    w.shb({ bigEndian: true, comment: 'big' }).idb({ linkType: 228, snaplen: 1500 });
    w.epb({ iface: 0, ts: 3n, data: ipv4Udp({ src: '10.0.0.3', dst: '10.0.0.4', srcPort: 1, dstPort: 2, payload: filler(4) }) });
    const leak = w.bytes().length;
    // Interface 1 existed in section 0 only: it must not be visible from section 1.
    w.epb({ iface: 1, ts: 4n, data: F[1] });
    w.shb({ bigEndian: false }).idb({ linkType: 1 }).epb({ iface: 0, ts: 5n, data: F[2] });
    const { summary, packets } = await read(w.bytes());
    expect(summary).toMatchObject({ format: 'pcapng', sections: 3, byteOrder: 'mixed', packets: 4 });
    expect(summary.interfaces.map((i) => [i.id, i.section, i.linkType, i.snaplen, i.packets])).toEqual([
      [0, 0, 1, 262144, 1],
      [1, 0, 101, 262144, 1],
      [2, 1, 228, 1500, 1],
      [3, 2, 1, 262144, 1],
    ]);
    expect(packets.map((p) => [p.frame, p.iface, p.linkType])).toEqual([
      [1, 0, 1],
      [2, 1, 101],
      [3, 2, 228],
      [4, 3, 1],
    ]);
    const e = theError(summary);
    expect(e).toMatchObject({ code: 'interface-out-of-range', offset: leak, blockType: 'EPB' });
    expect(e.message).toBe(`EPB at offset ${leak} refers to interface 1, but section 1 declares 1 interface(s); packet skipped`);
    expect(summary.comments).toEqual([
      { text: 'little', block: 'SHB' },
      { text: 'big', block: 'SHB' },
    ]);
    expect(summary.protocols).toEqual({ eth: 2, ip: 4, udp: 4, dns: 2, raw: 1 });
  });

  it('a whole big-endian file', async () => {
    const bytes = pcapngOf(F, new PcapngWriter({ bigEndian: true }).shb().idb({ linkType: 1 })).bytes();
    const { summary } = await read(bytes);
    expect(summary).toMatchObject({ byteOrder: 'big-endian', packets: 4, warnings: [] });
    expect(summary.protocols).toMatchObject({ eth: 4, ip: 4, udp: 2, tcp: 2, dns: 2 });
  });

  it('SPB: captured length from the block length and the IDB snaplen; no timestamp', async () => {
    const w = new PcapngWriter().shb().idb({ linkType: 1, snaplen: 70 });
    w.spb({ data: F[0] }); // 77 bytes on the wire, cut to the snaplen: 70
    w.spb({ data: F[1] }); // 64 bytes: whole
    w.spb({ data: F[3].subarray(0, 60), origLen: 64 }); // block holds 60: caplen 60 of 64
    const { summary, packets } = await read(w.bytes());
    expect(packets.map((p) => [p.caplen, p.wireLen, p.hasTime])).toEqual([
      [70, 77, false],
      [64, 64, false],
      [60, 64, false],
    ]);
    expect(summary).toMatchObject({ packets: 3, capturedBytes: 194, wireBytes: 205, truncatedPackets: 2, firstTimestamp: null, lastTimestamp: null });
    expect(summary.blockCounts).toEqual({ SHB: 1, IDB: 1, SPB: 3 });
    expect(summary.warnings).toEqual([]);
  });

  it('SPB without an IDB is an interface error', async () => {
    const bytes = new PcapngWriter().shb().spb({ data: F[0] }).bytes();
    const { summary } = await read(bytes);
    expect(theError(summary)).toMatchObject({ code: 'interface-out-of-range', offset: SHB_BYTES, blockType: 'SPB' });
    expect(summary.packets).toBe(0);
  });

  it('OPB (obsolete packet block) is read like an EPB', async () => {
    const w = new PcapngWriter().shb().idb({ linkType: 1 });
    w.opb({ ts: tsFrom(T0, 42, 1_000_000n), data: F[0], comment: 'old' }).epb({ ts: tsFrom(T0, 43, 1_000_000n), data: F[1] });
    const { summary, packets } = await read(w.bytes());
    expect(packets.map((p) => [p.frame, p.tsSec, p.tsNsec, p.caplen])).toEqual([
      [1, T0, 42_000, 77],
      [2, T0, 43_000, 64],
    ]);
    expect(summary.blockCounts).toEqual({ SHB: 1, IDB: 1, OPB: 1, EPB: 1 });
    expect(summary.protocols).toMatchObject({ eth: 2, dns: 1, tcp: 1 });
  });

  it('a custom block too big to buffer is skipped but still takes a frame number, as in tshark', async () => {
    const w = new PcapngWriter().shb().idb({ linkType: 1 }).epb({ ts: 1n, data: F[0] });
    w.custom({ copyable: true, pen: 32473, data: new Uint8Array(17 * 1024 * 1024) }).epb({ ts: 2n, data: F[1] });
    const { summary, packets, run } = await analyze(w.bytes(), [64 * 1024]);
    expect(summary.warnings).toEqual([]);
    expect(packets.map((p) => p.frame)).toEqual([1, 3]);
    expect(summary.blockCounts).toEqual({ SHB: 1, IDB: 1, EPB: 2, CB: 1 });
    expect(carryBytes(run)).toBeLessThanOrEqual(4096);
  });

  it('NRB, ISB, DSB and custom blocks are skipped (custom blocks take a frame number, as in Wireshark)', async () => {
    const w = new PcapngWriter().shb().idb({ linkType: 1 });
    w.nrb([{ type: 1, address: new Uint8Array([192, 0, 2, 53]), names: ['ns.example'] }]);
    w.epb({ ts: 1n, data: F[0] });
    w.custom({ copyable: true, pen: 32473, data: filler(10) });
    w.dsb(SECRETS.TLS_KEY_LOG, utf8('CLIENT_RANDOM 00 11\n'));
    w.epb({ ts: 2n, data: F[1] });
    w.custom({ copyable: false, pen: 32473, data: filler(3) });
    w.isb({ iface: 0, ts: 3n, ifRecv: 2n, ifDrop: 0n });
    w.epb({ ts: 3n, data: F[2] });
    w.rawBlock(0x0000_0204, new Uint8Array(8)); // systemd journal export block
    w.rawBlock(0x7fff_1234, new Uint8Array(4)); // unknown
    const { summary, packets } = await read(w.bytes());
    expect(summary.packets).toBe(3);
    expect(packets.map((p) => p.frame)).toEqual([1, 3, 5]);
    expect(summary.blockCounts).toEqual({ SHB: 1, IDB: 1, NRB: 1, EPB: 3, CB: 1, DSB: 1, DCB: 1, ISB: 1, SJE: 1, 'block type 0x7fff1234': 1 });
    expect(summary.warnings).toEqual([]);
  });

  it('opt_comment on SHB, IDB and EPB is collected; a NUL ends the comment, as in tshark', async () => {
    const w = new PcapngWriter().shb({ comment: 'section comment' }).idb({ linkType: 1, comment: 'interface comment', name: 'eth0\u0000garbage' });
    w.epb({ ts: 1n, data: F[0] });
    w.epb({ ts: 2n, data: F[1], comment: 'first\u0000hidden after NUL' });
    w.epb({ ts: 3n, data: F[2], options: [{ code: OPT.comment, value: 'a' }, { code: OPT.comment, value: 'b' }] });
    const { summary } = await read(w.bytes());
    expect(summary.comments).toEqual([
      { text: 'section comment', block: 'SHB' },
      { text: 'interface comment', block: 'IDB' },
      { text: 'first', block: 'EPB', packet: 2 },
      { text: 'a', block: 'EPB', packet: 3 },
      { text: 'b', block: 'EPB', packet: 3 },
    ]);
    expect(summary.interfaces[0].name).toBe('eth0');
  });

  it('an option overrunning its block is warned about and the rest ignored', async () => {
    const w = new PcapngWriter().shb().idb({ linkType: 1, options: [{ code: OPT.if.name, value: 'eth0', lengthOverride: 200 }] });
    w.epb({ ts: 1n, data: F[0] });
    const { summary } = await read(w.bytes());
    expect(summary.packets).toBe(1);
    expect(summary.warnings).toEqual([
      expect.objectContaining({ code: 'option-overrun', offset: SHB_BYTES, blockType: 'IDB', message: `IDB at offset ${SHB_BYTES}: option 2 at block offset 0 declares 200 bytes but only 8 remain; the remaining options are ignored` }),
    ]);
  });

  it('unsupported SHB version and bad byte-order magic are fatal at offset 0', async () => {
    const v2 = new PcapngWriter().shb({ major: 2 }).idb({ linkType: 1 }).bytes();
    expect(theError((await read(v2)).summary)).toMatchObject({ code: 'unsupported-version', offset: 0, blockType: 'SHB' });
    const bom = new PcapngWriter().shb({ magicOverride: 0x11223344 }).idb({ linkType: 1 }).bytes();
    expect(theError((await read(bom)).summary)).toMatchObject({
      code: 'bad-byte-order-magic',
      offset: 0,
      blockType: 'SHB',
      message: 'SHB at offset 0 has byte-order magic 0x11223344, neither 0x1a2b3c4d nor its byte swap',
    });
  });
});

describe('pcap variants', () => {
  const cases = [
    { magic: 'usec', bigEndian: false, format: 'pcap', digits: 6, order: 'little-endian' },
    { magic: 'usec', bigEndian: true, format: 'pcap', digits: 6, order: 'big-endian' },
    { magic: 'nsec', bigEndian: false, format: 'pcap', digits: 9, order: 'little-endian' },
    { magic: 'nsec', bigEndian: true, format: 'pcap', digits: 9, order: 'big-endian' },
    { magic: 'modified', bigEndian: false, format: 'pcap-modified', digits: 6, order: 'little-endian' },
    { magic: 'modified', bigEndian: true, format: 'pcap-modified', digits: 6, order: 'big-endian' },
  ] as const;
  for (const c of cases) {
    it(`${c.magic} ${c.order}`, async () => {
      const nano = c.magic === 'nsec';
      const recs = F.map((data, i) => ({ tsSec: T0 + i, tsFrac: nano ? 123_456_789 : 123_456, data }));
      const { summary, packets } = await read(writePcap({ magic: c.magic, bigEndian: c.bigEndian }, recs));
      expect(summary).toMatchObject({
        format: c.format,
        formatVersion: '2.4',
        byteOrder: c.order,
        packets: 4,
        capturedBytes: 282,
        timestampDigits: c.digits,
        firstTimestamp: nano ? '2023-11-14T22:13:20.123456789Z' : '2023-11-14T22:13:20.123456Z',
        lastTimestamp: nano ? '2023-11-14T22:13:23.123456789Z' : '2023-11-14T22:13:23.123456Z',
        durationSeconds: 3,
        warnings: [],
      });
      expect(summary.protocols).toMatchObject({ eth: 4, ip: 4, udp: 2, tcp: 2, dns: 2 });
      const header = c.magic === 'modified' ? 24 : 16;
      expect(packets.map((p) => p.streamOffset)).toEqual([0, 1, 2, 3].map((i) => pcapRecordOffset(F, i, header)));
    });
  }

  it('fractions of a second out of range are carried into the seconds with a warning', async () => {
    const { summary, packets } = await read(writePcap({}, [{ tsSec: T0, tsFrac: 1_500_000, data: F[0] }]));
    expect(packets[0]).toMatchObject({ tsSec: T0 + 1, tsNsec: 500_000_000 });
    expect(summary.warnings).toEqual([expect.objectContaining({ code: 'invalid-timestamp-fraction', offset: PCAP_HEADER, packet: 1 })]);
  });
});

describe('IP fragments cut by the snapshot length', () => {
  it('a truncated first fragment decodes on its own; nothing is thrown', async () => {
    const payload = ipv4Udp({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 5000, dstPort: 53, payload: filler(200) });
    const first = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 17, id: 7, mf: true, payload: payload.subarray(20, 20 + 96) });
    const frame = ethernet({ etherType: 0x0800, payload: first });
    const bytes = writePcap({ snaplen: 60 }, [{ tsSec: T0, tsFrac: 0, data: frame.subarray(0, 60), origLen: frame.length }]);
    const { summary } = await read(bytes);
    expect(summary).toMatchObject({ packets: 1, truncatedPackets: 1 });
    expect(summary.warnings.filter((w) => w.code === 'internal-error')).toEqual([]);
    expect(summary.protocols).toMatchObject({ eth: 1, ip: 1, udp: 1 });
  });
});

describe('loops that must end', () => {
  const dstopts = (n: number) =>
    ethernet({
      etherType: 0x86dd,
      payload: ipv6({
        src: '2001:db8::1',
        dst: '2001:db8::2',
        nextHeader: 17,
        extensionHeaders: Array.from({ length: n }, () => ({ type: 60 as const })),
        payload: udp({ srcIp: '2001:db8::1', dstIp: '2001:db8::2', srcPort: 1, dstPort: 2, payload: filler(4) }),
      }),
    });

  it('IPv6 extension headers: 16 are walked, a 17th stops decoding as malformed', async () => {
    const { summary, packets } = await read(pcapOf([dstopts(16), dstopts(17)]));
    expect(packets.map((p) => [p.protocols, p.stop])).toEqual([
      [['eth', 'ipv6', 'udp'], null],
      [['eth', 'ipv6'], 'malformed ipv6 extension header'],
    ]);
    expect(summary.undecoded).toEqual({ 'malformed ipv6 extension header': 1 });
  });

  it('VLAN tags: 8 are walked, a 9th stops decoding', async () => {
    const tagged = (n: number) => ethernet({ etherType: 0x0800, vlans: Array.from({ length: n }, (_, i) => ({ vid: i + 1 })), payload: ipv4Udp({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1, dstPort: 2, payload: filler(4) }) });
    const { summary, packets } = await read(pcapOf([tagged(8), tagged(9)]));
    expect(packets.map((p) => [p.protocols, p.stop])).toEqual([
      [['eth', 'vlan', 'ip', 'udp'], null],
      [['eth', 'vlan'], 'too many nested encapsulations'],
    ]);
    expect(summary.undecoded).toEqual({ 'too many nested encapsulations': 1 });
  });

  it('pcapng options that never say end-of-options stop at the block end; zero-length options advance', async () => {
    const zeros = Array.from({ length: 50 }, () => ({ code: 0x7777, value: new Uint8Array(0) }));
    const w = new PcapngWriter().shb({ options: zeros }).idb({ linkType: 1, options: zeros });
    w.epb({ ts: 1n, data: F[0], options: [...zeros, { code: OPT.comment, value: 'after fifty empty options' }] });
    const { summary } = await read(w.bytes());
    expect(summary.packets).toBe(1);
    expect(summary.warnings).toEqual([]);
    expect(summary.comments).toEqual([{ text: 'after fifty empty options', block: 'EPB', packet: 1 }]);
  });

  it('TCP options made of NOPs and zero lengths end', async () => {
    const tcpWith = (raw: Uint8Array) =>
      ethernet({
        etherType: 0x0800,
        payload: ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 6, payload: tcp({ srcIp: '10.0.0.1', dstIp: '10.0.0.2', srcPort: 1, dstPort: 2, seq: 1, flags: 'S', options: { raw, nops: false } }) }),
      });
    // 40 bytes of NOPs; a length-0 option; a length-1 option: none may loop.
    const frames = [tcpWith(new Uint8Array(40).fill(1)), tcpWith(new Uint8Array([2, 0, 5, 0])), tcpWith(new Uint8Array([3, 1, 0, 0]))];
    const { summary, packets } = await read(pcapOf(frames));
    expect(summary.packets).toBe(3);
    expect(packets.map((p) => p.tcp?.mss)).toEqual([-1, -1, -1]);
  });
});
