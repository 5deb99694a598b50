/**
 * Capture-file writers for test fixtures: classic pcap (incl. the "modified" Kuznetsov variant) and
 * pcapng. Every field the readers look at can be set to an arbitrary raw value, because the point of
 * these fixtures is as much to produce broken files as valid ones. Nothing here validates input.
 */
import { gzipSync } from 'node:zlib';
import { ByteWriter, utf8 } from './bytes.js';

export { concat, hex, toHex, utf8, filler } from './bytes.js';

// ---------------------------------------------------------------------------------------------------
// Classic pcap
// ---------------------------------------------------------------------------------------------------

export const PCAP_MAGIC = { usec: 0xa1b2c3d4, nsec: 0xa1b23c4d, modified: 0xa1b2cd34 } as const;

/** Common DLT/LINKTYPE values, for readability at call sites. */
export const LINKTYPE = {
  NULL: 0,
  ETHERNET: 1,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

export interface PcapOptions {
  magic?: 'usec' | 'nsec' | 'modified';
  bigEndian?: boolean;
  /** Default 262144 (Wireshark's standard maximum). */
  snaplen?: number;
  /** Raw 32-bit LinkType field: upper bits carry the FCS announcement (bit 28 = F, bits 31..29 = length in 16-bit words). */
  linkType?: number;
  versionMajor?: number;
  versionMinor?: number;
  /** Historically GMT offset; must be 0 in practice but readers should tolerate garbage. */
  thiszone?: number;
  sigfigs?: number;
}

export interface PcapRecord {
  tsSec: number;
  /** Microseconds or nanoseconds depending on the magic; written as-is, so ≥ 1e6 / 1e9 is possible. */
  tsFrac: number;
  data: Uint8Array;
  /** Wire length; defaults to data.length. */
  origLen?: number;
  /** Value written into incl_len instead of data.length (the bytes written are still `data`). */
  capLenOverride?: number;
  /** Only for magic 'modified': the extra record-header fields. */
  ifindex?: number;
  protocol?: number;
  pktType?: number;
}

/** pcap file header with the LinkType field announcing an FCS of `bytes` (must be even) per frame. */
export function linkTypeWithFcs(linkType: number, fcsBytes: number): number {
  return ((linkType & 0x0fffffff) | 0x10000000 | (((fcsBytes / 2) & 0x7) << 29)) >>> 0;
}

export function writePcap(opts: PcapOptions, records: readonly PcapRecord[]): Uint8Array {
  const w = new ByteWriter(!opts.bigEndian);
  const magic = opts.magic ?? 'usec';
  w.u32(PCAP_MAGIC[magic]);
  w.u16(opts.versionMajor ?? 2);
  w.u16(opts.versionMinor ?? 4);
  w.u32(opts.thiszone ?? 0);
  w.u32(opts.sigfigs ?? 0);
  w.u32(opts.snaplen ?? 262144);
  w.u32(opts.linkType ?? LINKTYPE.ETHERNET);
  for (const r of records) {
    w.u32(r.tsSec);
    w.u32(r.tsFrac);
    w.u32(r.capLenOverride ?? r.data.length);
    w.u32(r.origLen ?? r.data.length);
    if (magic === 'modified') {
      w.u32(r.ifindex ?? 0);
      w.u16(r.protocol ?? 0);
      w.u8(r.pktType ?? 0);
      w.u8(0);
    }
    w.bytes(r.data);
  }
  return w.finish();
}

// ---------------------------------------------------------------------------------------------------
// pcapng
// ---------------------------------------------------------------------------------------------------

export const BLOCK = {
  SHB: 0x0a0d0d0a,
  IDB: 0x00000001,
  OPB: 0x00000002,
  SPB: 0x00000003,
  NRB: 0x00000004,
  ISB: 0x00000005,
  EPB: 0x00000006,
  DSB: 0x0000000a,
  CUSTOM_COPY: 0x00000bad,
  CUSTOM_NOCOPY: 0x40000bad,
} as const;

/** Option codes. Codes are per block type, hence the grouping; `comment`/`endofopt` are universal. */
export const OPT = {
  endofopt: 0,
  comment: 1,
  custom: { utf8Copy: 2988, binaryCopy: 2989, utf8NoCopy: 19372, binaryNoCopy: 19373 },
  shb: { hardware: 2, os: 3, userappl: 4 },
  if: {
    name: 2,
    description: 3,
    IPv4addr: 4,
    IPv6addr: 5,
    MACaddr: 6,
    EUIaddr: 7,
    speed: 8,
    tsresol: 9,
    tzone: 10,
    filter: 11,
    os: 12,
    fcslen: 13,
    tsoffset: 14,
    hardware: 15,
  },
  epb: { flags: 2, hash: 3, dropcount: 4, packetid: 5, queue: 6, verdict: 7 },
  nrb: { dnsname: 2, dnsIP4addr: 3, dnsIP6addr: 4 },
  isb: { starttime: 2, endtime: 3, ifrecv: 4, ifdrop: 5, filteraccept: 6, osdrop: 7, usrdeliv: 8 },
} as const;

/** Decryption Secrets Block secret types. */
export const SECRETS = { TLS_KEY_LOG: 0x544c534b, WIREGUARD: 0x57474b4c } as const;

/** Numbers are encoded in the byte order of the section the block lands in. */
export type OptionValue =
  | Uint8Array
  | string
  | { u8: number }
  | { u16: number }
  | { u32: number }
  | { u64: bigint }
  | { i64: bigint };

export interface PcapngOption {
  code: number;
  value?: OptionValue;
  /** Written into the length field instead of the real value length; the value bytes are unchanged. */
  lengthOverride?: number;
}
/** Alias matching the brief's name; shadows the DOM `Option` constructor only where imported. */
export type Option = PcapngOption;

export interface ShbOptions {
  major?: number;
  minor?: number;
  /** Default -1n (unknown). 'auto' patches in the real byte count of the section when bytes() runs. */
  sectionLength?: bigint | 'auto';
  options?: PcapngOption[];
  comment?: string;
  hardware?: string;
  os?: string;
  userappl?: string;
  /** Byte order of this new section (and following ones until changed); default: keep the current one. */
  bigEndian?: boolean;
  /** Byte-order magic to write instead of 0x1A2B3C4D. */
  magicOverride?: number;
}

export interface IdbOptions {
  linkType: number;
  /** Default 262144. Note SPB captured lengths are derived from it. */
  snaplen?: number;
  /** Raw if_tsresol byte: 6 = µs (the default when absent), 9 = ns, 0x94 = 2^-20 s. */
  tsresol?: number;
  /** if_tsoffset in seconds, signed. */
  tsoffset?: bigint;
  fcslen?: number;
  name?: string;
  description?: string;
  comment?: string;
  options?: PcapngOption[];
  /** The reserved u16 after LinkType; spec says 0. */
  reserved?: number;
}

export interface EpbOptions {
  iface?: number;
  /** Raw 64-bit tick count in the interface's resolution (see tsFrom). */
  ts: bigint;
  data: Uint8Array;
  origLen?: number;
  /** Written as Captured Packet Length instead of data.length. */
  capLenOverride?: number;
  comment?: string;
  /** epb_flags: bits 0-1 direction (1 in, 2 out), 2-4 reception type, 5-8 FCS length, 16-31 link errors. */
  flags?: number;
  dropCount?: bigint;
  packetId?: bigint;
  queue?: number;
  options?: PcapngOption[];
}

export interface SpbOptions {
  data: Uint8Array;
  /** Original Packet Length; default data.length. SPB has no captured length: readers use min(this, snaplen). */
  origLen?: number;
}

export interface OpbOptions {
  iface?: number;
  drops?: number;
  ts: bigint;
  data: Uint8Array;
  origLen?: number;
  capLenOverride?: number;
  comment?: string;
  /** pack_flags (same layout as epb_flags, option code 2). */
  flags?: number;
  options?: PcapngOption[];
}

export interface NrbRecord {
  /** 1 = IPv4, 2 = IPv6; other values pass through for malformed tests. */
  type: number;
  address: Uint8Array;
  names: string[];
}

export interface IsbOptions {
  iface?: number;
  ts: bigint;
  startTime?: bigint;
  endTime?: bigint;
  ifRecv?: bigint;
  ifDrop?: bigint;
  filterAccept?: bigint;
  osDrop?: bigint;
  usrDeliv?: bigint;
  comment?: string;
  options?: PcapngOption[];
}

export interface RawBlockOptions {
  /** Total Block Length written in the header; the trailer copies it unless trailerOverride is set. */
  lengthOverride?: number;
  trailerOverride?: number;
  /** Do not pad the body to 4 bytes (the length fields then count the unpadded size). */
  noPad?: boolean;
}

/** 64-bit tick count for `seconds` + `frac` units at `unitsPerSecond` (e.g. 1_000_000_000n for tsresol 9). */
export function tsFrom(seconds: number, frac: number, unitsPerSecond: bigint): bigint {
  return BigInt(seconds) * unitsPerSecond + BigInt(frac);
}

/** Ticks per second for a raw if_tsresol byte: high bit set means a power of two. */
export function tsresolUnits(tsresol: number): bigint {
  return tsresol & 0x80 ? 1n << BigInt(tsresol & 0x7f) : 10n ** BigInt(tsresol);
}

interface Chunk {
  bytes: Uint8Array;
  /** Set on SHBs whose section length must be patched once the section is complete. */
  autoLength?: { littleEndian: boolean };
}

export class PcapngWriter {
  private readonly chunks: Chunk[] = [];
  private le: boolean;

  constructor(opts: { bigEndian?: boolean } = {}) {
    this.le = !opts.bigEndian;
  }

  /** Byte order the next block will be written in. */
  get littleEndian(): boolean {
    return this.le;
  }

  shb(opts: ShbOptions = {}): this {
    if (opts.bigEndian !== undefined) this.le = !opts.bigEndian;
    const auto = opts.sectionLength === 'auto';
    const options = [...(opts.options ?? [])];
    if (opts.comment !== undefined) options.push({ code: OPT.comment, value: opts.comment });
    if (opts.hardware !== undefined) options.push({ code: OPT.shb.hardware, value: opts.hardware });
    if (opts.os !== undefined) options.push({ code: OPT.shb.os, value: opts.os });
    if (opts.userappl !== undefined) options.push({ code: OPT.shb.userappl, value: opts.userappl });
    const sectionLength = typeof opts.sectionLength === 'bigint' ? opts.sectionLength : -1n;
    const bytes = this.encodeBlock(BLOCK.SHB, (w) => {
      w.u32(opts.magicOverride ?? 0x1a2b3c4d);
      w.u16(opts.major ?? 1);
      w.u16(opts.minor ?? 0);
      w.u64(sectionLength);
      this.writeOptions(w, options);
    });
    this.chunks.push(auto ? { bytes, autoLength: { littleEndian: this.le } } : { bytes });
    return this;
  }

  idb(opts: IdbOptions): this {
    const options: PcapngOption[] = [];
    // Wireshark shows the first comment; put the convenience fields first so explicit options can
    // follow in whatever order a test needs.
    if (opts.comment !== undefined) options.push({ code: OPT.comment, value: opts.comment });
    if (opts.name !== undefined) options.push({ code: OPT.if.name, value: opts.name });
    if (opts.description !== undefined) options.push({ code: OPT.if.description, value: opts.description });
    if (opts.tsresol !== undefined) options.push({ code: OPT.if.tsresol, value: { u8: opts.tsresol } });
    if (opts.fcslen !== undefined) options.push({ code: OPT.if.fcslen, value: { u8: opts.fcslen } });
    if (opts.tsoffset !== undefined) options.push({ code: OPT.if.tsoffset, value: { i64: opts.tsoffset } });
    options.push(...(opts.options ?? []));
    return this.push(BLOCK.IDB, (w) => {
      w.u16(opts.linkType);
      w.u16(opts.reserved ?? 0);
      w.u32(opts.snaplen ?? 262144);
      this.writeOptions(w, options);
    });
  }

  epb(opts: EpbOptions): this {
    const options: PcapngOption[] = [];
    if (opts.comment !== undefined) options.push({ code: OPT.comment, value: opts.comment });
    if (opts.flags !== undefined) options.push({ code: OPT.epb.flags, value: { u32: opts.flags } });
    if (opts.dropCount !== undefined) options.push({ code: OPT.epb.dropcount, value: { u64: opts.dropCount } });
    if (opts.packetId !== undefined) options.push({ code: OPT.epb.packetid, value: { u64: opts.packetId } });
    if (opts.queue !== undefined) options.push({ code: OPT.epb.queue, value: { u32: opts.queue } });
    options.push(...(opts.options ?? []));
    return this.push(BLOCK.EPB, (w) => {
      w.u32(opts.iface ?? 0);
      this.writeTs(w, opts.ts);
      w.u32(opts.capLenOverride ?? opts.data.length);
      w.u32(opts.origLen ?? opts.data.length);
      w.bytes(opts.data).pad(4);
      this.writeOptions(w, options);
    });
  }

  spb(opts: SpbOptions): this {
    return this.push(BLOCK.SPB, (w) => {
      w.u32(opts.origLen ?? opts.data.length);
      w.bytes(opts.data).pad(4);
    });
  }

  /** Obsolete Packet Block (type 2): 16-bit interface id and drop counter. */
  opb(opts: OpbOptions): this {
    const options: PcapngOption[] = [];
    if (opts.comment !== undefined) options.push({ code: OPT.comment, value: opts.comment });
    if (opts.flags !== undefined) options.push({ code: 2, value: { u32: opts.flags } });
    options.push(...(opts.options ?? []));
    return this.push(BLOCK.OPB, (w) => {
      w.u16(opts.iface ?? 0);
      w.u16(opts.drops ?? 0);
      this.writeTs(w, opts.ts);
      w.u32(opts.capLenOverride ?? opts.data.length);
      w.u32(opts.origLen ?? opts.data.length);
      w.bytes(opts.data).pad(4);
      this.writeOptions(w, options);
    });
  }

  nrb(records: readonly NrbRecord[], opts: { comment?: string; options?: PcapngOption[] } = {}): this {
    const options: PcapngOption[] = [];
    if (opts.comment !== undefined) options.push({ code: OPT.comment, value: opts.comment });
    options.push(...(opts.options ?? []));
    return this.push(BLOCK.NRB, (w) => {
      for (const r of records) {
        const value = new ByteWriter(w.littleEndian);
        value.bytes(r.address);
        for (const n of r.names) value.bytes(utf8(n)).u8(0);
        const v = value.finish();
        w.u16(r.type).u16(v.length).bytes(v).pad(4);
      }
      w.u16(0).u16(0); // nrb_record_end
      this.writeOptions(w, options);
    });
  }

  isb(opts: IsbOptions): this {
    const options: PcapngOption[] = [];
    if (opts.comment !== undefined) options.push({ code: OPT.comment, value: opts.comment });
    // isb_starttime/endtime are timestamps in the EPB split layout (high word first), not a plain u64.
    if (opts.startTime !== undefined) options.push({ code: OPT.isb.starttime, value: this.tsBytes(opts.startTime) });
    if (opts.endTime !== undefined) options.push({ code: OPT.isb.endtime, value: this.tsBytes(opts.endTime) });
    if (opts.ifRecv !== undefined) options.push({ code: OPT.isb.ifrecv, value: { u64: opts.ifRecv } });
    if (opts.ifDrop !== undefined) options.push({ code: OPT.isb.ifdrop, value: { u64: opts.ifDrop } });
    if (opts.filterAccept !== undefined)
      options.push({ code: OPT.isb.filteraccept, value: { u64: opts.filterAccept } });
    if (opts.osDrop !== undefined) options.push({ code: OPT.isb.osdrop, value: { u64: opts.osDrop } });
    if (opts.usrDeliv !== undefined) options.push({ code: OPT.isb.usrdeliv, value: { u64: opts.usrDeliv } });
    options.push(...(opts.options ?? []));
    return this.push(BLOCK.ISB, (w) => {
      w.u32(opts.iface ?? 0);
      this.writeTs(w, opts.ts);
      this.writeOptions(w, options);
    });
  }

  /** Decryption Secrets Block (type 0x0A), e.g. SECRETS.TLS_KEY_LOG with a key-log text. */
  dsb(secretsType: number, data: Uint8Array, opts: { options?: PcapngOption[] } = {}): this {
    return this.push(BLOCK.DSB, (w) => {
      w.u32(secretsType);
      w.u32(data.length);
      w.bytes(data).pad(4);
      this.writeOptions(w, opts.options ?? []);
    });
  }

  /** Custom Block: 0x00000BAD may be copied by editors, 0x40000BAD must not be. */
  custom(opts: { copyable: boolean; pen: number; data: Uint8Array; options?: PcapngOption[] }): this {
    return this.push(opts.copyable ? BLOCK.CUSTOM_COPY : BLOCK.CUSTOM_NOCOPY, (w) => {
      w.u32(opts.pen);
      w.bytes(opts.data).pad(4);
      this.writeOptions(w, opts.options ?? []);
    });
  }

  /** Any block with a hand-made body (written verbatim, no options added), lengths optionally lying. */
  rawBlock(type: number, body: Uint8Array, opts: RawBlockOptions = {}): this {
    const w = new ByteWriter(this.le);
    w.u32(type).u32(0).bytes(body);
    if (!opts.noPad) w.pad(4);
    const real = w.length + 4;
    const length = opts.lengthOverride ?? real;
    w.u32(opts.trailerOverride ?? length);
    w.setU32(4, length);
    this.chunks.push({ bytes: w.finish() });
    return this;
  }

  /** Arbitrary bytes (garbage, a truncated block) appended verbatim. */
  append(bytes: Uint8Array): this {
    this.chunks.push({ bytes });
    return this;
  }

  bytes(): Uint8Array {
    let total = 0;
    for (const c of this.chunks) total += c.bytes.length;
    const out = new Uint8Array(total);
    const dv = new DataView(out.buffer);
    let at = 0;
    let openShb: { at: number; end: number; le: boolean } | undefined;
    const closeSection = (end: number): void => {
      if (openShb) dv.setBigInt64(openShb.at + 16, BigInt(end - openShb.end), openShb.le);
      openShb = undefined;
    };
    for (const c of this.chunks) {
      if (isShb(c.bytes)) closeSection(at);
      out.set(c.bytes, at);
      if (c.autoLength) openShb = { at, end: at + c.bytes.length, le: c.autoLength.littleEndian };
      at += c.bytes.length;
    }
    closeSection(at);
    return out;
  }

  private push(type: number, body: (w: ByteWriter) => void): this {
    this.chunks.push({ bytes: this.encodeBlock(type, body) });
    return this;
  }

  private encodeBlock(type: number, body: (w: ByteWriter) => void): Uint8Array {
    const w = new ByteWriter(this.le);
    w.u32(type).u32(0);
    body(w);
    w.pad(4);
    const total = w.length + 4;
    w.u32(total);
    w.setU32(4, total);
    return w.finish();
  }

  private writeTs(w: ByteWriter, ts: bigint): void {
    const t = BigInt.asUintN(64, ts);
    w.u32(Number(t >> 32n));
    w.u32(Number(t & 0xffffffffn));
  }

  private tsBytes(ts: bigint): Uint8Array {
    const w = new ByteWriter(this.le);
    this.writeTs(w, ts);
    return w.finish();
  }

  private writeOptions(w: ByteWriter, options: readonly PcapngOption[]): void {
    if (options.length === 0) return;
    for (const o of options) {
      const v = encodeOptionValue(o.value, this.le);
      w.u16(o.code).u16(o.lengthOverride ?? v.length).bytes(v).pad(4);
    }
    // Option offsets are relative to the block start, and every block body before options is 4-aligned,
    // so padding against the writer's own length is padding against the block.
    w.u16(OPT.endofopt).u16(0);
  }
}

function isShb(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === 0x0a && b[1] === 0x0d && b[2] === 0x0d && b[3] === 0x0a;
}

function encodeOptionValue(v: OptionValue | undefined, le: boolean): Uint8Array {
  if (v === undefined) return new Uint8Array(0);
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'string') return utf8(v);
  const w = new ByteWriter(le);
  if ('u8' in v) w.u8(v.u8);
  else if ('u16' in v) w.u16(v.u16);
  else if ('u32' in v) w.u32(v.u32);
  else if ('u64' in v) w.u64(v.u64);
  else w.u64(BigInt.asUintN(64, v.i64));
  return w.finish();
}

export function gzip(data: Uint8Array): Uint8Array {
  return new Uint8Array(gzipSync(data));
}
