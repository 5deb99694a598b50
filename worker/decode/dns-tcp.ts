import type { PacketView } from './packet.js';
import { TcpFlag } from './packet.js';
import { Proto } from './protocols.js';

const MAX_FLOWS = 4096;
const MAX_BUFFER = 65535 + 2;

interface Direction {
  next: number;
  data: Uint8Array;
  /** Bytes in `data` not yet consumed. */
  start: number;
  end: number;
}

/**
 * Reassembles DNS messages over TCP (2-byte length prefix, RFC 1035 §4.2.2) per direction, so a
 * message split over segments is credited to the segment that completes it, as Wireshark's
 * desegmentation does. In-order data only: a gap drops the partial message, retransmitted bytes are
 * not counted twice. Bounded: MAX_FLOWS directions of at most one 64 KiB message each.
 */
export class DnsTcpReassembler {
  private readonly flows = new Map<string, Direction>();
  dropped = 0;

  segment(v: PacketView): void {
    const key = flowKey(v);
    let d = this.flows.get(key);
    const seq = v.tcpSeq;
    const len = v.payloadLen;
    if (!d || (v.tcpFlags & TcpFlag.SYN) !== 0) {
      if (!d) {
        if (this.flows.size >= MAX_FLOWS) this.evictOldest();
        d = { next: seq, data: new Uint8Array(0), start: 0, end: 0 };
        this.flows.set(key, d);
      }
      d.next = (v.tcpFlags & TcpFlag.SYN) !== 0 ? (seq + 1) >>> 0 : seq;
      d.start = d.end = 0;
    }
    if (v.payloadCapLen < len) {
      // Bytes missing from the capture: nothing reliable to reassemble.
      d.start = d.end = 0;
      d.next = (seq + len) >>> 0;
      return;
    }
    const ahead = (seq - d.next) | 0;
    let from = v.payloadOff;
    let count = len;
    if (ahead > 0) {
      // A gap: the partial message can never complete.
      d.start = d.end = 0;
      d.next = seq;
    } else if (ahead < 0) {
      if (-ahead >= count) return; // pure retransmission
      from -= ahead;
      count += ahead;
    }
    d.next = (d.next + count) >>> 0;
    const buf = v.l4Buf;
    if (d.start === d.end) {
      // Fast path: whole messages inside this segment are referenced in place.
      let p = from;
      const stop = from + count;
      while (stop - p >= 2) {
        const n = (buf[p] << 8) | buf[p + 1];
        if (p + 2 + n > stop) break;
        this.emit(v, buf, p + 2, n);
        p += 2 + n;
      }
      if (p < stop) this.append(d, buf, p, stop - p);
      return;
    }
    this.append(d, buf, from, count);
    this.drain(v, d);
  }

  private append(d: Direction, src: Uint8Array, off: number, n: number): void {
    if (d.start > 0) {
      d.data.copyWithin(0, d.start, d.end);
      d.end -= d.start;
      d.start = 0;
    }
    if (d.end + n > MAX_BUFFER) {
      this.dropped++;
      d.start = d.end = 0;
      return;
    }
    if (d.end + n > d.data.length) {
      const grown = new Uint8Array(Math.min(MAX_BUFFER, Math.max(d.end + n, d.data.length * 2, 512)));
      grown.set(d.data.subarray(0, d.end));
      d.data = grown;
    }
    d.data.set(src.subarray(off, off + n), d.end);
    d.end += n;
  }

  private drain(v: PacketView, d: Direction): void {
    const data = d.data;
    while (d.end - d.start >= 2) {
      const n = (data[d.start] << 8) | data[d.start + 1];
      if (d.start + 2 + n > d.end) break;
      this.emit(v, data, d.start + 2, n);
      d.start += 2 + n;
    }
  }

  private emit(v: PacketView, buf: Uint8Array, off: number, len: number): void {
    if (len < 4) return; // no id and flags: Wireshark shows a malformed packet without a DNS layer
    v.dnsOverTcp = true;
    v.mark(Proto.DNS);
    v.addDnsMessage(buf, off, len);
  }

  private evictOldest(): void {
    const first = this.flows.keys().next();
    if (!first.done) this.flows.delete(first.value);
  }
}


function flowKey(v: PacketView): string {
  let k = `${v.srcPort}>${v.dstPort}/`;
  if (v.ipVersion === 4) return `${k}${v.src4}>${v.dst4}`;
  const b = v.buf;
  for (let i = 0; i < 16; i++) k += String.fromCharCode(b[v.srcAddrOff + i], b[v.dstAddrOff + i]);
  return k;
}
