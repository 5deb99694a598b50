import { isoTime, secondsBetween } from '../capture/timestamp.js';
import type { CaptureComment, ContainerInfo, InterfaceInfo } from '../capture/types.js';
import type { CaptureIssue } from '../capture/issues.js';
import type { PacketView } from '../decode/packet.js';
import { describeStop, PROTOCOL_NAMES } from '../decode/protocols.js';
import { linkTypeName } from '../link-types.js';
import type { CaptureSummary, InterfaceSummary } from '../report/sections/summary.js';

export type { CaptureSummary, InterfaceSummary } from '../report/sections/summary.js';

const MAX_COMMENTS = 200;

/**
 * Capture summary and protocol hierarchy. Times are kept as exact (sec, nsec) pairs; bytes and
 * packets are plain counters. Per packet work is a few additions and a mask walk.
 */
export class SummaryAnalyzer {
  private packets = 0;
  private captured = 0;
  private wire = 0;
  private truncated = 0;
  private firstSec = 0;
  private firstNsec = 0;
  private lastSec = 0;
  private lastNsec = 0;
  private prevSec = 0;
  private prevNsec = 0;
  private timed = 0;
  private ordered = true;
  private readonly protoCounts = new Float64Array(64);
  /**
   * Consecutive packets with the same protocol mask are counted as a run and added to protoCounts
   * when the mask changes (or the counts are read): most packets repeat their predecessor's mask.
   */
  private runLo = 0;
  private runHi = 0;
  private runLength = 0;
  private readonly stops = new Map<number, number>();
  private readonly interfaces: InterfaceInfo[] = [];
  private readonly ifacePackets: number[] = [];
  private readonly comments: Array<{ text: string; block: string; packet?: number }> = [];

  onInterface(iface: InterfaceInfo): void {
    this.interfaces.push(iface);
    this.ifacePackets.push(0);
  }

  onComment(c: CaptureComment): void {
    if (this.comments.length >= MAX_COMMENTS) return;
    this.comments.push(c.packet === undefined ? { text: c.text, block: c.block } : { text: c.text, block: c.block, packet: c.packet });
  }

  onPacket(v: PacketView): void {
    this.packets++;
    this.captured += v.caplen;
    this.wire += v.wireLen;
    if (v.truncated) this.truncated++;
    this.ifacePackets[v.iface]++;
    if (v.hasTime) {
      const s = v.tsSec;
      const ns = v.tsNsec;
      if (this.timed === 0) {
        this.firstSec = this.lastSec = this.prevSec = s;
        this.firstNsec = this.lastNsec = this.prevNsec = ns;
      } else {
        if (s < this.prevSec || (s === this.prevSec && ns < this.prevNsec)) this.ordered = false;
        if (s < this.firstSec || (s === this.firstSec && ns < this.firstNsec)) {
          this.firstSec = s;
          this.firstNsec = ns;
        }
        if (s > this.lastSec || (s === this.lastSec && ns > this.lastNsec)) {
          this.lastSec = s;
          this.lastNsec = ns;
        }
        this.prevSec = s;
        this.prevNsec = ns;
      }
      this.timed++;
    }
    if (v.protoLo === this.runLo && v.protoHi === this.runHi) this.runLength++;
    else {
      this.flushRun();
      this.runLo = v.protoLo;
      this.runHi = v.protoHi;
      this.runLength = 1;
    }
    if (v.stop !== 0) {
      const key = v.stop * 0x1000000 + v.stopDetail;
      this.stops.set(key, (this.stops.get(key) ?? 0) + 1);
    }
  }

  private flushRun(): void {
    const n = this.runLength;
    if (n === 0) return;
    this.runLength = 0;
    let lo = this.runLo;
    while (lo !== 0) {
      const bit = 31 - Math.clz32(lo);
      this.protoCounts[bit] += n;
      lo &= ~(1 << bit);
    }
    let hi = this.runHi;
    while (hi !== 0) {
      const bit = 31 - Math.clz32(hi);
      this.protoCounts[32 + bit] += n;
      hi &= ~(1 << bit);
    }
  }

  get packetCount(): number {
    return this.packets;
  }

  /** First timed packet, for analyzers that work in relative time. */
  get first(): { sec: number; nsec: number } | null {
    return this.timed > 0 ? { sec: this.firstSec, nsec: this.firstNsec } : null;
  }

  finish(info: ContainerInfo, extra: { compression: 'gzip' | null; fileBytes: number; warnings: CaptureIssue[] }): CaptureSummary {
    const digits = this.interfaces.reduce((d, i) => Math.max(d, i.tsResolution.digits), 0) || 6;
    const hasTime = this.timed > 0;
    const duration = hasTime ? Math.max(0, secondsBetween(this.firstSec, this.firstNsec, this.lastSec, this.lastNsec)) : 0;
    const protocols: Record<string, number> = {};
    this.flushRun();
    this.protoCounts.forEach((n, i) => {
      if (n > 0 && PROTOCOL_NAMES[i]) protocols[PROTOCOL_NAMES[i]] = n;
    });
    const undecoded: Record<string, number> = {};
    for (const [key, n] of [...this.stops].sort((a, b) => b[1] - a[1])) {
      const reason = describeStop(Math.floor(key / 0x1000000), key % 0x1000000);
      undecoded[reason] = (undecoded[reason] ?? 0) + n;
    }
    return {
      format: info.format,
      formatVersion: info.version,
      byteOrder: info.byteOrder,
      compression: extra.compression,
      sections: info.sections,
      fileBytes: extra.fileBytes,
      captureStreamBytes: info.bytesRead,
      packets: this.packets,
      capturedBytes: this.captured,
      wireBytes: this.wire,
      firstTimestamp: hasTime ? isoTime(this.firstSec, this.firstNsec, digits) : null,
      lastTimestamp: hasTime ? isoTime(this.lastSec, this.lastNsec, digits) : null,
      firstEpoch: hasTime ? epoch(this.firstSec, this.firstNsec, digits) : null,
      lastEpoch: hasTime ? epoch(this.lastSec, this.lastNsec, digits) : null,
      timestampDigits: digits,
      durationSeconds: round(duration, 9),
      averagePacketBytes: this.packets > 0 ? round(this.wire / this.packets, 2) : 0,
      packetsPerSecond: duration > 0 ? round(this.packets / duration, 3) : 0,
      bitsPerSecond: duration > 0 ? round((this.wire * 8) / duration, 3) : 0,
      bytesPerSecond: duration > 0 ? round(this.wire / duration, 3) : 0,
      truncatedPackets: this.truncated,
      strictTimeOrder: this.ordered,
      interfaces: this.interfaces.map((i, idx) => {
        const s: InterfaceSummary = {
          id: i.id,
          section: i.section,
          linkType: i.linkType,
          linkTypeName: linkTypeName(i.linkType),
          snaplen: i.snaplen,
          timestampResolution: i.tsResolution.label,
          timestampOffsetSeconds: i.tsOffset,
          packets: this.ifacePackets[idx] ?? 0,
        };
        if (i.linkTypeField !== undefined) s.linkTypeField = i.linkTypeField;
        if (i.name !== undefined) s.name = i.name;
        if (i.description !== undefined) s.description = i.description;
        return s;
      }),
      blockCounts: { ...info.blockCounts },
      comments: this.comments,
      protocols,
      undecoded,
      warnings: extra.warnings,
    };
  }
}

function epoch(sec: number, nsec: number, digits: number): string {
  const frac = String(nsec).padStart(9, '0').slice(0, Math.max(1, Math.min(9, digits)));
  return `${sec}.${frac}`;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
