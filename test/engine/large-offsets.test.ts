/**
 * Offsets beyond 2^32 on multi-GB captures (STYLE.md, "Known ways capture readers fail"). A ~4.3 GB
 * capture is generated as a stream — never written to disk, never held in memory: a few shared buffers
 * are handed to the engine over and over — and the byte offsets and packet numbers the engine reports
 * past the 4 GiB mark are checked to the exact byte.
 */
import { describe, expect, it } from 'vitest';
import { CaptureRun, type Progress } from '../../worker/index.js';
import { ByteWriter } from '../helpers/bytes.js';
import { BLOCK, PcapngWriter, tsFrom, writePcap } from '../helpers/capture-writer.js';
import { ethernet } from '../helpers/packet-builder.js';
import { EPB_OVERHEAD, errors, frames, IDB_BYTES, pad4, PCAP_HEADER, snapshot, SHB_BYTES, T0, type PacketSnapshot } from './fixtures.js';

const TWO32 = 2 ** 32;
const MiB = 1024 * 1024;
const F = frames(4);

/** Cuts `bytes` into `size`-byte pieces (copies, so nothing can keep a view into a later chunk). */
function* pieces(bytes: Uint8Array, size: number): Generator<Uint8Array> {
  for (let p = 0; p < bytes.length; p += size) yield bytes.slice(p, p + size);
}

async function runStream(source: Iterable<Uint8Array>, totalBytes: number) {
  const packets: PacketSnapshot[] = [];
  const run = new CaptureRun([{ onPacket: (v) => packets.push(snapshot(v)) }]);
  let last: Progress | undefined;
  const started = Date.now();
  await run.run(source, { totalBytes, onProgress: (p) => (last = p), progressIntervalMs: 0 });
  return { summary: run.captureSummary(), packets, last, ms: Date.now() - started };
}

describe('offsets past 4 GiB', () => {
  it('pcapng: skipped and in-place custom blocks up to 4.3 GB, EPBs after the 4 GiB mark, then a corrupt block', async () => {
    // 8 Custom Blocks of 256 MiB: longer than the 16 MiB buffering limit, so skipped by length.
    const SKIP_LEN = 256 * MiB;
    const SKIPPED = 8;
    const zeros = new Uint8Array(64 * MiB);
    const skipHeader = new ByteWriter(true).u32(BLOCK.CUSTOM_COPY).u32(SKIP_LEN).u32(32473).finish();
    const skipTrailer = new ByteWriter(true).u32(SKIP_LEN).finish();
    // 260 Custom Blocks of 8 MiB, each one whole chunk handed over in place (the same buffer every time).
    const CB_LEN = 8 * MiB;
    const IN_PLACE = 260;
    const cb = new Uint8Array(CB_LEN);
    new DataView(cb.buffer).setUint32(0, BLOCK.CUSTOM_NOCOPY, true);
    new DataView(cb.buffer).setUint32(4, CB_LEN, true);
    new DataView(cb.buffer).setUint32(8, 32473, true);
    new DataView(cb.buffer).setUint32(CB_LEN - 4, CB_LEN, true);

    const head = new PcapngWriter().shb().idb({ linkType: 1 }).bytes();
    expect(head.length).toBe(SHB_BYTES + IDB_BYTES);
    const w = new PcapngWriter().shb().idb({ linkType: 1 });
    F.slice(0, 3).forEach((d, i) => w.epb({ ts: tsFrom(T0, i, 1_000_000n), data: d }));
    // The corrupt block: an EPB whose captured length does not fit in it.
    const bad = new ByteWriter(true).u32(0).u32(0).u32(T0).u32(5000).u32(5000).bytes(F[3]).finish();
    w.rawBlock(BLOCK.EPB, bad);
    const tail = w.bytes().subarray(head.length);

    const cbStart = head.length + SKIPPED * SKIP_LEN;
    const epbStart = cbStart + IN_PLACE * CB_LEN;
    const epbOffsets = [0, 1, 2].map((i) => epbStart + F.slice(0, i).reduce((n, d) => n + EPB_OVERHEAD + pad4(d.length), 0));
    const badOffset = epbOffsets[2] + EPB_OVERHEAD + pad4(F[2].length);
    const total = epbStart + tail.length;
    // The block that straddles 2^32 is split right at 2^32, so its bytes are carried across chunks.
    const straddling = Math.floor((TWO32 - cbStart) / CB_LEN);
    const split = TWO32 - (cbStart + straddling * CB_LEN);
    expect(split).toBeGreaterThan(0);
    expect(epbStart).toBeGreaterThan(TWO32);
    expect(total).toBeGreaterThan(4.3e9);

    function* stream(): Generator<Uint8Array> {
      yield head;
      for (let i = 0; i < SKIPPED; i++) {
        yield skipHeader;
        let left = SKIP_LEN - skipHeader.length - skipTrailer.length;
        while (left > 0) {
          const n = Math.min(left, zeros.length);
          yield n === zeros.length ? zeros : zeros.subarray(0, n);
          left -= n;
        }
        yield skipTrailer;
      }
      for (let i = 0; i < IN_PLACE; i++) {
        if (i === straddling) {
          yield cb.subarray(0, split);
          yield cb.subarray(split);
        } else yield cb;
      }
      yield* pieces(tail, 7);
    }

    const { summary, packets, last, ms } = await runStream(stream(), total);
    expect(ms).toBeLessThan(10_000);
    expect(summary.packets).toBe(3);
    // Custom blocks take frame numbers, as in Wireshark, whether read or skipped.
    const CBS = SKIPPED + IN_PLACE;
    expect(packets.map((p) => [p.frame, p.streamOffset, p.caplen])).toEqual([
      [CBS + 1, epbOffsets[0], F[0].length],
      [CBS + 2, epbOffsets[1], F[1].length],
      [CBS + 3, epbOffsets[2], F[2].length],
    ]);
    expect(summary.protocols).toEqual({ eth: 3, ip: 3, udp: 2, tcp: 1, dns: 2 });
    expect(summary.blockCounts).toEqual({ SHB: 1, IDB: 1, CB: SKIPPED, DCB: IN_PLACE, EPB: 4 });
    const e = errors(summary);
    expect(e).toEqual([
      {
        severity: 'error',
        code: 'caplen-exceeds-block',
        message: `EPB of packet ${CBS + 4} at offset ${badOffset} declares 5000 captured bytes but the block only has room for 64`,
        offset: badOffset,
        blockType: 'EPB',
        packet: CBS + 4,
        count: 1,
      },
    ]);
    expect(badOffset).toBe(4_328_522_096);
    expect(summary.captureStreamBytes).toBe(badOffset);
    expect(summary.fileBytes).toBe(total);
    expect(last?.sourceBytes).toBe(total);
  });

  it('pcapng: a skippable block cut short past 4 GiB names its exact start', async () => {
    const SKIP_LEN = 1024 * MiB;
    const zeros = new Uint8Array(64 * MiB);
    const head = new PcapngWriter().shb().idb({ linkType: 1 }).epb({ ts: 1n, data: F[0] }).bytes();
    const skipHeader = (len: number) => new ByteWriter(true).u32(BLOCK.CUSTOM_COPY).u32(len).u32(32473).finish();
    const trailer = new ByteWriter(true).u32(SKIP_LEN).finish();
    // Four whole 1 GiB blocks, then one claiming 1 GiB of which only 32 MiB are present.
    const cutStart = head.length + 4 * SKIP_LEN;
    const present = 32 * MiB;
    function* stream(): Generator<Uint8Array> {
      yield head;
      for (let i = 0; i < 5; i++) {
        yield skipHeader(SKIP_LEN);
        let left = i < 4 ? SKIP_LEN - 16 : present - 12;
        while (left > 0) {
          const n = Math.min(left, zeros.length);
          yield zeros.subarray(0, n);
          left -= n;
        }
        if (i < 4) yield trailer;
      }
    }
    const { summary, ms } = await runStream(stream(), cutStart + present);
    expect(ms).toBeLessThan(10_000);
    expect(summary.packets).toBe(1);
    expect(errors(summary)).toEqual([
      {
        severity: 'error',
        code: 'truncated-block',
        message: `the capture ends in the middle of the CB at offset ${cutStart}, which declares ${SKIP_LEN} bytes: ${SKIP_LEN - present} of them are missing`,
        offset: cutStart,
        blockType: 'CB',
        count: 1,
      },
    ]);
    expect(cutStart).toBe(4_294_967_456);
  });

  it('pcap: 16 400 records of 256 KiB, then packets past 4 GiB and a record cut short', async () => {
    // One 256 KiB record (16-byte header + a 262 144-byte Ethernet frame of the local experimental
    // ethertype 0x88b5), handed to the engine 16 400 times.
    const frame = ethernet({ etherType: 0x88b5, payload: new Uint8Array(262144 - 14) });
    const big = writePcap({}, [{ tsSec: T0, tsFrac: 0, data: frame }]).subarray(PCAP_HEADER);
    const BIG = 16_400;
    const header = writePcap({}, []);
    const after = writePcap({}, F.map((d, i) => ({ tsSec: T0 + 1, tsFrac: i, data: d }))).subarray(PCAP_HEADER);
    const firstAfter = PCAP_HEADER + BIG * big.length;
    const lastStart = firstAfter + after.length - (16 + F[3].length);
    const cut = after.subarray(0, after.length - 20); // the last record loses its last 20 bytes
    function* stream(): Generator<Uint8Array> {
      yield header;
      for (let i = 0; i < BIG; i++) yield big;
      yield* pieces(cut, 5);
    }
    const total = firstAfter + cut.length;
    const { summary, packets, ms } = await runStream(stream(), total);
    expect(ms).toBeLessThan(10_000);
    expect(firstAfter).toBeGreaterThan(TWO32);
    expect(summary.packets).toBe(BIG + 3);
    expect(summary.capturedBytes).toBe(BIG * 262144 + F[0].length + F[1].length + F[2].length);
    expect(summary.capturedBytes).toBeGreaterThan(TWO32);
    expect(packets.slice(-3).map((p) => [p.frame, p.streamOffset])).toEqual([
      [BIG + 1, firstAfter],
      [BIG + 2, firstAfter + 16 + F[0].length],
      [BIG + 3, firstAfter + 32 + F[0].length + F[1].length],
    ]);
    expect(errors(summary)).toEqual([
      {
        severity: 'error',
        code: 'truncated-record',
        message: `the capture ends in the middle of the record of packet ${BIG + 4} at offset ${lastStart}: ${16 + F[3].length - 20} of ${16 + F[3].length} bytes present`,
        offset: lastStart,
        blockType: 'pcap record',
        packet: BIG + 4,
        count: 1,
      },
    ]);
    expect(lastStart).toBe(4_299_424_290);
    expect(summary.undecoded).toEqual({ 'undecoded ethertype 0x88b5': BIG });
  });
});
