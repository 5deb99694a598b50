import type { PacketView } from './packet.js';

/** Largest datagram IPv4 or (non-jumbo) IPv6 can describe. */
const MAX_DATAGRAM = 65535;
const MAX_PENDING = 1024;
const MAX_PENDING_BYTES = 16 * 1024 * 1024;
const MAX_RANGES = 128;
/** Fragments of one datagram more than this far apart in time are not joined (Linux uses 30 s). */
const TIMEOUT_SECONDS = 60;

export interface Reassembled {
  buf: Uint8Array;
  dv: DataView;
  /** Bytes present (captured) from offset 0. */
  captured: number;
  /** Datagram payload length. */
  length: number;
  /** False when a lone, truncated first fragment is handed over as it stands. */
  complete: boolean;
}

interface Pending {
  data: Uint8Array;
  /** Covered byte ranges, sorted and merged: [start0, end0, start1, end1, …]. */
  ranges: number[];
  total: number;
  firstSec: number;
}

/**
 * IP fragment reassembly in the way Wireshark's default (`ip.defragment`, `ipv6.defragment`) shows it:
 * a fragmented datagram's transport header is decoded on the frame that completes it, and on no other.
 * Only fully captured fragments take part; a truncated first fragment is decoded on its own, as
 * Wireshark does. Memory is bounded: at most MAX_PENDING datagrams and MAX_PENDING_BYTES in flight,
 * the oldest evicted first.
 */
export class Defragmenter {
  private readonly pending = new Map<string, Pending>();
  private pendingBytes = 0;
  /** Datagrams dropped because limits were reached. */
  evicted = 0;
  completed = 0;
  private readonly result: Reassembled = { buf: new Uint8Array(0), dv: new DataView(new ArrayBuffer(0)), captured: 0, length: 0, complete: false };

  addV4(v: PacketView, buf: Uint8Array, off: number, capEnd: number, declared: number): Reassembled | null {
    const key = `4/${v.src4}/${v.dst4}/${v.ipId}/${v.ipProto}/${v.vlanId}`;
    return this.add(key, v, buf, off, capEnd, declared);
  }

  addV6(v: PacketView, buf: Uint8Array, off: number, capEnd: number, declared: number): Reassembled | null {
    let key = `6/${v.ipId}/${v.vlanId}/`;
    for (let i = 0; i < 16; i++) key += String.fromCharCode(buf[v.srcAddrOff + i], buf[v.dstAddrOff + i]);
    return this.add(key, v, buf, off, capEnd, declared);
  }

  private add(key: string, v: PacketView, buf: Uint8Array, off: number, capEnd: number, declared: number): Reassembled | null {
    const fragOff = v.ipFragOffset;
    const len = declared;
    if (capEnd - off < len || len <= 0 || fragOff + len > MAX_DATAGRAM) {
      // Not fully captured (or absurd): Wireshark does not reassemble it; a first fragment is
      // decoded as it stands.
      if (fragOff === 0 && len > 0) return this.standalone(buf, off, capEnd, len);
      return null;
    }
    let entry = this.pending.get(key);
    if (entry && v.tsSec - entry.firstSec > TIMEOUT_SECONDS) {
      this.drop(key, entry);
      entry = undefined;
    }
    if (!entry) {
      entry = { data: new Uint8Array(Math.max(fragOff + len, 1500)), ranges: [], total: -1, firstSec: v.tsSec };
      this.pending.set(key, entry);
      this.pendingBytes += entry.data.length;
      this.enforceLimits(key);
    }
    const endByte = fragOff + len;
    if (endByte > entry.data.length) {
      const grown = new Uint8Array(Math.min(MAX_DATAGRAM, Math.max(endByte, entry.data.length * 2)));
      grown.set(entry.data);
      this.pendingBytes += grown.length - entry.data.length;
      entry.data = grown;
    }
    entry.data.set(buf.subarray(off, off + len), fragOff);
    if (!v.ipMoreFragments) entry.total = endByte;
    if (!addRange(entry.ranges, fragOff, endByte)) {
      this.drop(key, entry);
      return null;
    }
    if (entry.total < 0 || entry.ranges.length !== 2 || entry.ranges[0] !== 0 || entry.ranges[1] < entry.total) return null;
    this.drop(key, entry);
    this.completed++;
    const r = this.result;
    r.buf = entry.data;
    r.dv = new DataView(entry.data.buffer);
    r.captured = entry.total;
    r.length = entry.total;
    r.complete = true;
    return r;
  }

  private standalone(buf: Uint8Array, off: number, capEnd: number, len: number): Reassembled {
    const r = this.result;
    r.buf = buf.subarray(off, capEnd);
    r.dv = new DataView(buf.buffer, buf.byteOffset + off, capEnd - off);
    r.captured = capEnd - off;
    r.length = len;
    r.complete = false;
    return r;
  }

  private drop(key: string, entry: Pending): void {
    this.pending.delete(key);
    this.pendingBytes -= entry.data.length;
  }

  private enforceLimits(keep: string): void {
    for (const [key, entry] of this.pending) {
      if (this.pending.size <= MAX_PENDING && this.pendingBytes <= MAX_PENDING_BYTES) return;
      if (key === keep) continue;
      this.drop(key, entry);
      this.evicted++;
    }
  }
}

/** Inserts [start, end) into a sorted, merged range list; false when the list would grow too long. */
function addRange(ranges: number[], start: number, end: number): boolean {
  let i = 0;
  while (i < ranges.length && ranges[i + 1] < start) i += 2;
  let s = start;
  let e = end;
  let j = i;
  while (j < ranges.length && ranges[j] <= e) {
    s = Math.min(s, ranges[j]);
    e = Math.max(e, ranges[j + 1]);
    j += 2;
  }
  ranges.splice(i, j - i, s, e);
  return ranges.length <= MAX_RANGES * 2;
}
