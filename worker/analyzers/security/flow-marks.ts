import { L4_ICMP, L4_TCP, TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG, type PacketView } from '../../decode/packet.js';
import type { FlowTable } from '../flow-table.js';

/**
 * Per-flow facts the flow table does not keep, one typed-array slot per flow row (bounded by the flow
 * table's own cap): which handshake and reset flags each side sent, the kind of probe that opened the
 * flow, ICMP errors that quoted it, and payload bytes per direction. Side A is the sender of the
 * flow's first packet. Updated with a few array operations per TCP/UDP packet; no allocation except
 * when the flow table grows.
 */

// Probe kind of the flow's first packet (side A), bits 0–2.
export const KIND_MASK = 0x7;
export const KIND_NONE = 0;
export const KIND_SYN = 1;
export const KIND_NULL = 2;
export const KIND_FIN = 3;
export const KIND_XMAS = 4;
export const KIND_ACK = 5;
export const KIND_NAMES = ['other', 'SYN', 'NULL', 'FIN', 'Xmas', 'ACK'] as const;

export const A_SYN = 0x0008; // A sent SYN without ACK
export const A_ACK = 0x0010; // A sent a non-SYN segment with ACK (handshake completed by the client)
export const A_RST = 0x0020;
export const B_SYNACK = 0x0040;
export const B_RST = 0x0080;
export const ANY_FIN = 0x0100;
export const UNREACH_PORT = 0x0200; // ICMP port unreachable quoted a packet of this flow
export const UNREACH_OTHER = 0x0400; // other destination-unreachable codes (filtered, no route…)
export const TTL_EXCEEDED = 0x0800; // ICMP time exceeded (traceroute)

const FLAG_BITS = TCP_FIN | TCP_SYN | TCP_RST | TCP_PSH | TCP_ACK | TCP_URG;

export function probeKind(tcpFlags: number): number {
  const f = tcpFlags & FLAG_BITS;
  if (f === TCP_SYN) return KIND_SYN;
  if (f === 0) return KIND_NULL;
  if (f === TCP_FIN) return KIND_FIN;
  if (f === (TCP_FIN | TCP_PSH | TCP_URG)) return KIND_XMAS;
  if (f === TCP_ACK) return KIND_ACK;
  return KIND_NONE;
}

export class FlowMarks {
  flags = new Uint16Array(4096);
  payAB = new Float64Array(4096);
  payBA = new Float64Array(4096);
  private readonly key = new Uint32Array(8);

  constructor(private readonly flows: FlowTable) {}

  private grow(min: number): void {
    // As long as the flow table's columns (which grow to its cap and no further).
    const cap = Math.max(min + 1, this.flows.tuples.capacity);
    const f = new Uint16Array(cap);
    f.set(this.flags);
    this.flags = f;
    const a = new Float64Array(cap);
    a.set(this.payAB);
    this.payAB = a;
    const b = new Float64Array(cap);
    b.set(this.payBA);
    this.payBA = b;
  }

  /** TCP or UDP packet of a tracked flow (v.flowIndex ≥ 0). */
  onFlowPacket(v: PacketView, idx: number): void {
    if (idx >= this.flags.length) this.grow(idx);
    let bits = 0;
    if (v.l4 === L4_TCP) {
      const f = v.tcpFlags;
      if (v.flowNew) bits = probeKind(f);
      if (v.flowDir === 0) {
        if (f & TCP_SYN) {
          if (!(f & TCP_ACK)) bits |= A_SYN;
        } else if (f & TCP_ACK) bits |= A_ACK;
        if (f & TCP_RST) bits |= A_RST;
      } else {
        if ((f & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK)) bits |= B_SYNACK;
        if (f & TCP_RST) bits |= B_RST;
      }
      if (f & TCP_FIN) bits |= ANY_FIN;
      if (bits !== 0) this.flags[idx] |= bits;
    }
    if (v.flowDir === 0) this.payAB[idx] += v.payloadLen;
    else this.payBA[idx] += v.payloadLen;
  }

  /**
   * ICMP destination-unreachable / time-exceeded quoting a TCP or UDP header: marks the flow of the
   * quoted packet (a UDP probe answered "port unreachable", a filtered SYN, a traceroute probe).
   */
  onIcmpError(v: PacketView): void {
    if (!v.icmpInnerValid || v.icmpInnerSrcPort < 0) return;
    const proto = v.icmpInnerProto;
    if (proto !== 6 && proto !== 17) return;
    const v4 = v.l4 === L4_ICMP;
    const type = v.icmpType;
    let bit = 0;
    if (v4 ? type === 3 : type === 1) bit = (v4 ? v.icmpCode === 3 : v.icmpCode === 4) ? UNREACH_PORT : UNREACH_OTHER;
    else if (v4 ? type === 11 : type === 3) bit = TTL_EXCEEDED;
    else return;
    const k = this.key;
    if (v.icmpInnerIpVersion === 4) {
      k[0] = v.icmpInnerSrc4;
      k[4] = v.icmpInnerDst4;
      k[1] = k[2] = k[3] = k[5] = k[6] = k[7] = 0;
    } else {
      const dv = v.l4Dv;
      if (v.icmpInnerDstOff + 16 > dv.byteLength) return;
      for (let i = 0; i < 4; i++) {
        k[i] = dv.getUint32(v.icmpInnerSrcOff + i * 4);
        k[4 + i] = dv.getUint32(v.icmpInnerDstOff + i * 4);
      }
    }
    const t = this.flows.tuples;
    const idx = t.find(v.icmpInnerIpVersion, proto, k[0], k[1], k[2], k[3], v.icmpInnerSrcPort, k[4], k[5], k[6], k[7], v.icmpInnerDstPort);
    if (idx < 0) return;
    if (idx >= this.flags.length) this.grow(idx);
    this.flags[idx] |= bit;
  }
}
