import type { PartialRecord, RecordFormat } from './framer.js';
import { CaptureFormatError, caplenExceedsLength, type IssueLog } from './issues.js';
import { MICROSECONDS, NANOSECONDS } from './timestamp.js';
import { RawRecord, type ContainerInfo, type InterfaceInfo, type RecordSink } from './types.js';

export const PCAP_MAGIC_USEC = 0xa1b2c3d4;
export const PCAP_MAGIC_NSEC = 0xa1b23c4d;
/** Alexey Kuznetsov's patched libpcap: 24-byte record headers. */
export const PCAP_MAGIC_MODIFIED = 0xa1b2cd34;

/** Wireshark's WTAP_MAX_PACKET_SIZE_STANDARD: larger records mean a corrupt file. */
const enum Limit {
  MAX_CAPLEN = 262144,
  FILE_HEADER = 24,
}
export const MAX_CAPLEN = Limit.MAX_CAPLEN;


/** Identifies a pcap magic in either byte order; null when it is not one. */
export function pcapMagic(dv: DataView, off: number): { le: boolean; nano: boolean; modified: boolean } | null {
  const be = dv.getUint32(off, false);
  const le = dv.getUint32(off, true);
  for (const [value, little] of [
    [be, false],
    [le, true],
  ] as const) {
    if (value === PCAP_MAGIC_USEC) return { le: little, nano: false, modified: false };
    if (value === PCAP_MAGIC_NSEC) return { le: little, nano: true, modified: false };
    if (value === PCAP_MAGIC_MODIFIED) return { le: little, nano: false, modified: true };
  }
  return null;
}

/** Classic libpcap files: a 24-byte header, then (16- or 24-byte header + packet bytes) records. */
export class PcapFormat implements RecordFormat {
  private headerDone = false;
  private le = true;
  private nano = false;
  private recHeader = 16;
  private snaplen = 0;
  private readonly rec = new RawRecord();
  private warnedSnaplen = false;

  constructor(
    private readonly sink: RecordSink,
    private readonly issues: IssueLog,
    private readonly info: ContainerInfo,
  ) {}

  headerBytes(): number {
    return this.headerDone ? this.recHeader : Limit.FILE_HEADER;
  }

  recordLength(_buf: Uint8Array, dv: DataView, off: number, streamOffset: number): number {
    if (!this.headerDone) return Limit.FILE_HEADER;
    const caplen = dv.getUint32(off + 8, this.le);
    if (caplen > Limit.MAX_CAPLEN) {
      const packet = this.rec.frame + 1;
      throw new CaptureFormatError(
        'caplen-too-large',
        `pcap record of packet ${packet} at offset ${streamOffset} declares a captured length of ${caplen} bytes, more than the ${MAX_CAPLEN}-byte maximum: the file is corrupt from here on`,
        streamOffset,
        'pcap record',
        packet,
      );
    }
    return this.recHeader + caplen;
  }

  record(buf: Uint8Array, dv: DataView, off: number, len: number, streamOffset: number): void {
    if (!this.headerDone) {
      this.fileHeader(dv, off, streamOffset);
      return;
    }
    const le = this.le;
    const rec = this.rec;
    rec.frame++;
    let sec = dv.getUint32(off, le);
    let frac = dv.getUint32(off + 4, le);
    const caplen = len - this.recHeader;
    let wireLen = dv.getUint32(off + 12, le);
    if (this.nano) {
      if (frac >= 1e9) {
        this.invalidFraction(frac, 1e9, streamOffset, rec.frame);
        sec += Math.floor(frac / 1e9);
        frac %= 1e9;
      }
      rec.tsNsec = frac;
    } else {
      if (frac >= 1e6) {
        this.invalidFraction(frac, 1e6, streamOffset, rec.frame);
        sec += Math.floor(frac / 1e6);
        frac %= 1e6;
      }
      rec.tsNsec = frac * 1000;
    }
    rec.tsSec = sec;
    if (wireLen < caplen) {
      this.issues.add(caplenExceedsLength(rec.frame, streamOffset, caplen, wireLen, 'pcap record'));
      wireLen = caplen;
    }
    if (this.snaplen > 0 && caplen > this.snaplen && !this.warnedSnaplen) {
      this.warnedSnaplen = true;
      this.issues.add({
        severity: 'warning',
        code: 'caplen-exceeds-snaplen',
        message: `packet ${rec.frame} at offset ${streamOffset}: captured length ${caplen} exceeds the file's snapshot length ${this.snaplen} (accepted, as Wireshark does)`,
        offset: streamOffset,
        blockType: 'pcap record',
        packet: rec.frame,
      });
    }
    rec.caplen = caplen;
    rec.wireLen = wireLen;
    rec.buf = buf;
    rec.dv = dv;
    rec.off = off + this.recHeader;
    rec.streamOffset = streamOffset;
    this.sink.onRecord(rec);
  }

  describePartial(_buf: Uint8Array, _dv: DataView, _len: number): PartialRecord {
    if (!this.headerDone) return { what: 'the pcap file header', blockType: 'pcap header' };
    const packet = this.rec.frame + 1;
    return { what: `the record of packet ${packet}`, blockType: 'pcap record', packet };
  }

  recordName(): string {
    return this.headerDone ? 'pcap record' : 'pcap header';
  }

  private invalidFraction(frac: number, unit: number, offset: number, packet: number): void {
    this.issues.add({
      severity: 'warning',
      code: 'invalid-timestamp-fraction',
      message: `packet ${packet} at offset ${offset}: fraction of second ${frac} is not below ${unit}; carried into the seconds`,
      offset,
      blockType: 'pcap record',
      packet,
    });
  }

  private fileHeader(dv: DataView, off: number, streamOffset: number): void {
    const magic = pcapMagic(dv, off);
    if (!magic) {
      throw new CaptureFormatError('bad-magic', 'not a pcap file header', streamOffset, 'pcap header');
    }
    this.le = magic.le;
    this.nano = magic.nano;
    this.recHeader = magic.modified ? 24 : 16;
    const major = dv.getUint16(off + 4, this.le);
    const minor = dv.getUint16(off + 6, this.le);
    this.snaplen = dv.getUint32(off + 16, this.le);
    const field = dv.getUint32(off + 20, this.le);
    if (major !== 2) {
      this.issues.add({
        severity: 'warning',
        code: 'unexpected-pcap-version',
        message: `pcap version ${major}.${minor} (expected 2.4); reading it as 2.4`,
        offset: streamOffset + 4,
        blockType: 'pcap header',
      });
    }
    // The link type is the low 16 bits; bit 26 says the top 4 bits give an FCS length in 16-bit words
    // (libpcap's LT_FCS_LENGTH_PRESENT / LT_FCS_LENGTH).
    const linkType = field & 0xffff;
    const fcsFlag = (field & 0x04000000) !== 0;
    const fcsLen = field >>> 28;
    this.info.format = magic.modified ? 'pcap-modified' : 'pcap';
    this.info.version = `${major}.${minor}`;
    this.info.byteOrder = this.le ? 'little-endian' : 'big-endian';
    this.info.snaplen = this.snaplen;
    this.info.sections = 1;
    const iface: InterfaceInfo = {
      id: 0,
      section: 0,
      indexInSection: 0,
      linkType,
      fcsBytes: fcsFlag ? fcsLen * 2 : -1,
      snaplen: this.snaplen,
      tsResolution: this.nano ? NANOSECONDS : MICROSECONDS,
      tsOffset: 0,
    };
    if (field !== linkType) iface.linkTypeField = field;
    this.rec.linkType = linkType;
    this.rec.iface = 0;
    this.rec.hasTime = true;
    this.headerDone = true;
    this.sink.onInterface(iface);
  }
}
