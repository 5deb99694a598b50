import type { PartialRecord, RecordFormat } from './framer.js';
import { CaptureFormatError, caplenExceedsLength, type IssueLog } from './issues.js';
import { MAX_CAPLEN } from './pcap.js';
import { binaryResolution, decimalResolution, MICROSECONDS, ticksToTime, type TimeOut } from './timestamp.js';
import { RawRecord, type ContainerInfo, type InterfaceInfo, type RecordSink } from './types.js';

export const SHB_TYPE = 0x0a0d0d0a;
const BOM = 0x1a2b3c4d;
const BOM_SWAPPED = 0x4d3c2b1a;

const IDB = 1;
const OPB = 2;
const SPB = 3;
const NRB = 4;
const ISB = 5;
const EPB = 6;
const DSB = 0x0a;
const CB = 0x00000bad;
const DCB = 0x40000bad;

/** Blocks larger than this are not buffered: skipped when the analysis does not need them, else refused. */
export const MAX_BUFFERED_BLOCK = 16 * 1024 * 1024;
const MAX_COMMENT_CHARS = 4096;
const MAX_COMMENTS = 1000;

const MIN_BLOCK_LENGTH: Record<number, number> = {
  [SHB_TYPE]: 28,
  [IDB]: 20,
  [OPB]: 32,
  [SPB]: 16,
  [ISB]: 24,
  [EPB]: 32,
  [DSB]: 20,
  [CB]: 16,
  [DCB]: 16,
};

export function blockTypeName(type: number): string {
  switch (type) {
    case SHB_TYPE:
      return 'SHB';
    case IDB:
      return 'IDB';
    case OPB:
      return 'OPB';
    case SPB:
      return 'SPB';
    case NRB:
      return 'NRB';
    case ISB:
      return 'ISB';
    case EPB:
      return 'EPB';
    case DSB:
      return 'DSB';
    case CB:
      return 'CB';
    case DCB:
      return 'DCB';
    case 0x204:
      return 'SJE';
    default:
      return `block type 0x${type.toString(16).padStart(8, '0')}`;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

interface SectionState {
  index: number;
  le: boolean;
  /** Global interface ids declared in this section, by local index. */
  interfaces: InterfaceInfo[];
}

/**
 * pcapng: a sequence of blocks (type, length, body, length again), grouped in sections that each
 * start with a Section Header Block carrying their own byte order and interface list.
 */
export class PcapngFormat implements RecordFormat {
  private section: SectionState = { index: -1, le: true, interfaces: [] };
  private interfaceCount = 0;
  private readonly rec = new RawRecord();
  private readonly time: TimeOut = { sec: 0, nsec: 0 };
  private commentCount = 0;
  private readonly byteOrders = new Set<boolean>();

  constructor(
    private readonly sink: RecordSink,
    private readonly issues: IssueLog,
    private readonly info: ContainerInfo,
  ) {
    info.format = 'pcapng';
  }

  headerBytes(): number {
    return 12;
  }

  recordLength(_buf: Uint8Array, dv: DataView, off: number, streamOffset: number): number {
    let le = this.section.le;
    const typeLe = dv.getUint32(off, le);
    if (typeLe === SHB_TYPE) {
      const bom = dv.getUint32(off + 8, true);
      if (bom === BOM) le = true;
      else if (bom === BOM_SWAPPED) le = false;
      else {
        throw new CaptureFormatError(
          'bad-byte-order-magic',
          `SHB at offset ${streamOffset} has byte-order magic 0x${bom.toString(16).padStart(8, '0')}, neither 0x1a2b3c4d nor its byte swap`,
          streamOffset,
          'SHB',
        );
      }
    } else if (this.section.index < 0) {
      throw new CaptureFormatError('missing-shb', `the first block at offset ${streamOffset} is not a Section Header Block`, streamOffset);
    }
    const type = typeLe;
    const name = blockTypeName(type);
    const len = dv.getUint32(off + 4, le);
    const min = MIN_BLOCK_LENGTH[type] ?? 12;
    if (len < min) {
      throw new CaptureFormatError(
        len < 12 ? 'block-too-short' : 'block-shorter-than-fields',
        `${name} at offset ${streamOffset} has block length ${len}, shorter than the ${min} bytes its fixed fields need`,
        streamOffset,
        name,
      );
    }
    if (len % 4 !== 0) {
      throw new CaptureFormatError(
        'block-length-not-multiple-of-4',
        `${name} at offset ${streamOffset} has block length ${len}, which is not a multiple of 4`,
        streamOffset,
        name,
      );
    }
    if (len > MAX_BUFFERED_BLOCK) {
      if (type === SHB_TYPE || type === IDB || type === EPB || type === SPB || type === OPB) {
        throw new CaptureFormatError(
          'block-too-large',
          `${name} at offset ${streamOffset} has block length ${len}, more than the ${MAX_BUFFERED_BLOCK}-byte limit: the file is corrupt from here on`,
          streamOffset,
          name,
        );
      }
      this.count(name);
      // Custom blocks take a frame number in Wireshark whatever their size (tshark 4.0 numbers a
      // 20 MiB one); skipping one without counting it shifted every later frame number by one.
      if (type === CB || type === DCB) this.rec.frame++;
      return -len;
    }
    return len;
  }

  record(buf: Uint8Array, dv: DataView, off: number, len: number, streamOffset: number): void {
    let le = this.section.le;
    const type = dv.getUint32(off, le);
    if (type === SHB_TYPE) le = dv.getUint32(off + 8, true) === BOM;
    const name = blockTypeName(type);
    const trailer = dv.getUint32(off + len - 4, le);
    if (trailer !== len) {
      throw new CaptureFormatError(
        'trailer-length-mismatch',
        `${name} at offset ${streamOffset}: the trailing block length ${trailer} differs from the leading block length ${len}`,
        streamOffset,
        name,
      );
    }
    this.count(name);
    switch (type) {
      case SHB_TYPE:
        this.sectionHeader(buf, dv, off, len, streamOffset, le);
        return;
      case IDB:
        this.interfaceDescription(buf, dv, off, len, streamOffset);
        return;
      case EPB:
        this.enhancedPacket(buf, dv, off, len, streamOffset);
        return;
      case SPB:
        this.simplePacket(buf, dv, off, len, streamOffset);
        return;
      case OPB:
        this.obsoletePacket(buf, dv, off, len, streamOffset);
        return;
      case CB:
      case DCB:
        // Wireshark numbers custom blocks as frames; counting them keeps our frame numbers equal to
        // Wireshark's, so a finding's "frame 42" is frame 42 there too. They are not packets.
        this.rec.frame++;
        return;
      default:
        // NRB, ISB, DSB and unknown blocks: nothing the analysis needs; skipped by length.
        return;
    }
  }

  describePartial(_buf: Uint8Array, dv: DataView, len: number): PartialRecord {
    if (len < 4) return { what: 'a block header' };
    const type = dv.getUint32(0, this.section.le);
    const name = blockTypeName(type);
    if (type === EPB || type === SPB || type === OPB) {
      const packet = this.rec.frame + 1;
      return { what: `the ${name} of packet ${packet}`, blockType: name, packet };
    }
    return { what: `the ${name}`, blockType: name };
  }

  recordName(dv: DataView, off: number, available: number): string | undefined {
    return available >= 4 ? blockTypeName(dv.getUint32(off, this.section.le)) : undefined;
  }

  private count(name: string): void {
    const counts = this.info.blockCounts;
    counts[name] = (counts[name] ?? 0) + 1;
  }

  private sectionHeader(buf: Uint8Array, dv: DataView, off: number, len: number, streamOffset: number, le: boolean): void {
    const major = dv.getUint16(off + 12, le);
    const minor = dv.getUint16(off + 14, le);
    if (major !== 1) {
      throw new CaptureFormatError(
        'unsupported-version',
        `SHB at offset ${streamOffset} declares pcapng version ${major}.${minor}; only version 1.x exists, so the section cannot be read`,
        streamOffset,
        'SHB',
      );
    }
    this.section = { index: this.section.index + 1, le, interfaces: [] };
    this.byteOrders.add(le);
    this.info.sections = this.section.index + 1;
    if (this.section.index === 0) this.info.version = `${major}.${minor}`;
    this.info.byteOrder = this.byteOrders.size > 1 ? 'mixed' : le ? 'little-endian' : 'big-endian';
    this.options(dv, off + 24, off + len - 4, streamOffset, 'SHB', (code, vOff, vLen) => {
      if (code === 1) this.comment(buf, vOff, vLen, 'SHB', streamOffset);
    });
  }

  private interfaceDescription(buf: Uint8Array, dv: DataView, off: number, len: number, streamOffset: number): void {
    const le = this.section.le;
    const linkType = dv.getUint16(off + 8, le);
    const snaplen = dv.getUint32(off + 12, le);
    const iface: InterfaceInfo = {
      id: this.interfaceCount,
      section: this.section.index,
      indexInSection: this.section.interfaces.length,
      linkType,
      fcsBytes: -1,
      snaplen,
      tsResolution: MICROSECONDS,
      tsOffset: 0,
    };
    this.options(dv, off + 16, off + len - 4, streamOffset, 'IDB', (code, vOff, vLen) => {
      switch (code) {
        case 1:
          this.comment(buf, vOff, vLen, 'IDB', streamOffset);
          break;
        case 2:
          iface.name = text(buf, vOff, vLen, 256);
          break;
        case 3:
          iface.description = text(buf, vOff, vLen, 256);
          break;
        case 9:
          if (vLen >= 1) iface.tsResolution = this.resolution(buf[vOff], streamOffset);
          break;
        case 13:
          if (vLen >= 1) iface.fcsBytes = buf[vOff];
          break;
        case 14:
          if (vLen >= 8) iface.tsOffset = Number(dv.getBigInt64(vOff, le));
          break;
      }
    });
    this.interfaceCount++;
    this.section.interfaces.push(iface);
    this.info.snaplen = Math.max(this.info.snaplen, snaplen);
    this.sink.onInterface(iface);
  }

  private resolution(raw: number, streamOffset: number): typeof MICROSECONDS {
    // The high bit selects base 2; it must be masked before the exponent is range-checked.
    const exp = raw & 0x7f;
    const binary = (raw & 0x80) !== 0;
    if ((binary && exp <= 63) || (!binary && exp <= 19)) {
      return binary ? binaryResolution(exp) : decimalResolution(exp);
    }
    this.issues.add({
      severity: 'warning',
      code: 'invalid-tsresol',
      message: `IDB at offset ${streamOffset}: if_tsresol 0x${raw.toString(16)} (${binary ? '2' : '10'}^-${exp} s) is finer than a 64-bit timestamp can express; using microseconds`,
      offset: streamOffset,
      blockType: 'IDB',
    });
    return MICROSECONDS;
  }

  private interfaceFor(id: number, name: string, streamOffset: number): InterfaceInfo | undefined {
    const iface = this.section.interfaces[id];
    if (iface) return iface;
    this.issues.add({
      severity: 'error',
      code: 'interface-out-of-range',
      message: `${name} at offset ${streamOffset} refers to interface ${id}, but section ${this.section.index} declares ${this.section.interfaces.length} interface(s); packet skipped`,
      offset: streamOffset,
      blockType: name,
    });
    return undefined;
  }

  private enhancedPacket(buf: Uint8Array, dv: DataView, off: number, len: number, streamOffset: number): void {
    const le = this.section.le;
    const iface = this.interfaceFor(dv.getUint32(off + 8, le), 'EPB', streamOffset);
    if (!iface) return;
    const caplen = dv.getUint32(off + 20, le);
    const wireLen = dv.getUint32(off + 24, le);
    this.checkCaplen(caplen, len - 32, 'EPB', streamOffset);
    ticksToTime(dv.getUint32(off + 12, le), dv.getUint32(off + 16, le), iface.tsResolution, iface.tsOffset, this.time);
    this.emit(buf, dv, off + 28, caplen, wireLen, iface, true, streamOffset);
    const optStart = off + 28 + ((caplen + 3) & ~3);
    if (optStart < off + len - 4) {
      const frame = this.rec.frame;
      this.options(dv, optStart, off + len - 4, streamOffset, 'EPB', (code, vOff, vLen) => {
        if (code === 1) this.comment(buf, vOff, vLen, 'EPB', streamOffset, frame);
      });
    }
  }

  private obsoletePacket(buf: Uint8Array, dv: DataView, off: number, len: number, streamOffset: number): void {
    const le = this.section.le;
    const iface = this.interfaceFor(dv.getUint16(off + 8, le), 'OPB', streamOffset);
    if (!iface) return;
    const caplen = dv.getUint32(off + 20, le);
    const wireLen = dv.getUint32(off + 24, le);
    this.checkCaplen(caplen, len - 32, 'OPB', streamOffset);
    ticksToTime(dv.getUint32(off + 12, le), dv.getUint32(off + 16, le), iface.tsResolution, iface.tsOffset, this.time);
    this.emit(buf, dv, off + 28, caplen, wireLen, iface, true, streamOffset);
  }

  private simplePacket(buf: Uint8Array, dv: DataView, off: number, len: number, streamOffset: number): void {
    const iface = this.interfaceFor(0, 'SPB', streamOffset);
    if (!iface) return;
    const wireLen = dv.getUint32(off + 8, this.section.le);
    // An SPB has no captured-length field: it is the original length cut by the snaplen and the block.
    let caplen = Math.min(wireLen, len - 16);
    if (iface.snaplen > 0) caplen = Math.min(caplen, iface.snaplen);
    if (caplen > MAX_CAPLEN) this.checkCaplen(caplen, len - 16, 'SPB', streamOffset);
    this.time.sec = 0;
    this.time.nsec = 0;
    this.emit(buf, dv, off + 12, caplen, wireLen, iface, false, streamOffset);
  }

  private checkCaplen(caplen: number, room: number, name: string, streamOffset: number): void {
    const packet = this.rec.frame + 1;
    if (caplen > room) {
      throw new CaptureFormatError(
        'caplen-exceeds-block',
        `${name} of packet ${packet} at offset ${streamOffset} declares ${caplen} captured bytes but the block only has room for ${room}`,
        streamOffset,
        name,
        packet,
      );
    }
    if (caplen > MAX_CAPLEN) {
      throw new CaptureFormatError(
        'caplen-too-large',
        `${name} of packet ${packet} at offset ${streamOffset} declares a captured length of ${caplen} bytes, more than the ${MAX_CAPLEN}-byte maximum`,
        streamOffset,
        name,
        packet,
      );
    }
  }

  private emit(
    buf: Uint8Array,
    dv: DataView,
    dataOff: number,
    caplen: number,
    wireLen: number,
    iface: InterfaceInfo,
    hasTime: boolean,
    streamOffset: number,
  ): void {
    const rec = this.rec;
    rec.frame++;
    if (wireLen < caplen) {
      this.issues.add(caplenExceedsLength(rec.frame, streamOffset, caplen, wireLen));
      wireLen = caplen;
    }
    rec.iface = iface.id;
    rec.linkType = iface.linkType;
    rec.hasTime = hasTime;
    rec.tsSec = this.time.sec;
    rec.tsNsec = this.time.nsec;
    rec.caplen = caplen;
    rec.wireLen = wireLen;
    rec.buf = buf;
    rec.dv = dv;
    rec.off = dataOff;
    rec.streamOffset = streamOffset;
    this.sink.onRecord(rec);
  }

  private comment(buf: Uint8Array, vOff: number, vLen: number, block: string, offset: number, packet?: number): void {
    if (this.commentCount >= MAX_COMMENTS) return;
    this.commentCount++;
    const c = { text: text(buf, vOff, vLen, MAX_COMMENT_CHARS), block, offset };
    this.sink.onComment(packet === undefined ? c : { ...c, packet });
  }

  /** Walks TLV options; each step advances by at least 4 bytes, so the loop always ends. */
  private options(
    dv: DataView,
    start: number,
    end: number,
    streamOffset: number,
    block: string,
    visit: (code: number, valueOff: number, valueLen: number) => void,
  ): void {
    const le = this.section.le;
    let p = start;
    while (p + 4 <= end) {
      const code = dv.getUint16(p, le);
      const vLen = dv.getUint16(p + 2, le);
      if (code === 0) return;
      const vOff = p + 4;
      if (vOff + vLen > end) {
        this.issues.add({
          severity: 'warning',
          code: 'option-overrun',
          message: `${block} at offset ${streamOffset}: option ${code} at block offset ${p - start} declares ${vLen} bytes but only ${end - vOff} remain; the remaining options are ignored`,
          offset: streamOffset,
          blockType: block,
        });
        return;
      }
      visit(code, vOff, vLen);
      p = vOff + ((vLen + 3) & ~3);
    }
  }
}

function text(buf: Uint8Array, off: number, len: number, max: number): string {
  // Some writers NUL-terminate option strings and leave garbage after it; Wireshark stops at the NUL.
  let end = off;
  while (end < off + len && buf[end] !== 0) end++;
  const s = utf8.decode(buf.subarray(off, end));
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
