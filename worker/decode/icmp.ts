import type { PacketView } from './packet.js';

import { Proto } from './protocols.js';

/** A DNS-family message (`protocol`: Proto.DNS, Proto.MDNS or Proto.LLMNR) quoted inside an ICMP error. */
type DnsFound = (buf: Uint8Array, off: number, len: number, protocol: number) => void;

/** ICMP types whose body quotes the offending datagram's IP header and first transport bytes. */
function isIcmpError(type: number): boolean {
  return type === 3 || type === 4 || type === 5 || type === 11 || type === 12;
}

function isIcmpv6Error(type: number): boolean {
  return type >= 1 && type <= 4;
}

export function decodeIcmp(v: PacketView, buf: Uint8Array, dv: DataView, off: number, end: number, onDns: DnsFound): void {
  v.icmpInnerTcpCapLen = 0;
  v.icmpType = buf[off];
  v.icmpCode = buf[off + 1];
  v.icmpRest = end - off >= 8 ? dv.getUint32(off + 4) : 0;
  if (isIcmpError(v.icmpType)) quotedIpv4(v, buf, dv, off + 8, end, onDns);
}

export function decodeIcmpv6(v: PacketView, buf: Uint8Array, dv: DataView, off: number, end: number, onDns: DnsFound): void {
  v.icmpInnerTcpCapLen = 0;
  v.icmpType = buf[off];
  v.icmpCode = buf[off + 1];
  v.icmpRest = end - off >= 8 ? dv.getUint32(off + 4) : 0;
  if (isIcmpv6Error(v.icmpType)) quotedIpv6(v, buf, dv, off + 8, end, onDns);
}

/**
 * The quoted header of an ICMP error: who sent the datagram that failed, to whom, on which ports.
 * Quoted UDP payloads on port 53 are DNS messages as far as Wireshark is concerned.
 */
function quotedIpv4(v: PacketView, buf: Uint8Array, dv: DataView, off: number, end: number, onDns: DnsFound): void {
  if (end - off < 20 || buf[off] >> 4 !== 4) return;
  const ihl = (buf[off] & 0x0f) * 4;
  if (ihl < 20 || end - off < ihl) return;
  v.icmpInnerValid = true;
  v.icmpInnerIpVersion = 4;
  v.icmpInnerProto = buf[off + 9];
  v.icmpInnerSrc4 = dv.getUint32(off + 12);
  v.icmpInnerDst4 = dv.getUint32(off + 16);
  v.icmpInnerSrcOff = off + 12;
  v.icmpInnerDstOff = off + 16;
  const nonFirstFragment = (dv.getUint16(off + 6) & 0x1fff) !== 0;
  quotedTransport(v, buf, dv, off + ihl, end, nonFirstFragment, onDns);
}

function quotedIpv6(v: PacketView, buf: Uint8Array, dv: DataView, off: number, end: number, onDns: DnsFound): void {
  if (end - off < 40 || buf[off] >> 4 !== 6) return;
  v.icmpInnerValid = true;
  v.icmpInnerIpVersion = 6;
  v.icmpInnerSrcOff = off + 8;
  v.icmpInnerDstOff = off + 24;
  let next = buf[off + 6];
  let p = off + 40;
  // Walk at most a few extension headers; the quote is often cut short.
  for (let i = 0; i < 8 && (next === 0 || next === 43 || next === 60 || next === 44); i++) {
    if (end - p < 8) {
      v.icmpInnerProto = next;
      return;
    }
    const len = next === 44 ? 8 : (buf[p + 1] + 1) * 8;
    next = buf[p];
    p += len;
  }
  v.icmpInnerProto = next;
  quotedTransport(v, buf, dv, p, end, false, onDns);
}

function quotedTransport(
  v: PacketView,
  buf: Uint8Array,
  dv: DataView,
  off: number,
  end: number,
  nonFirstFragment: boolean,
  onDns: DnsFound,
): void {
  const proto = v.icmpInnerProto;
  if (nonFirstFragment || (proto !== 6 && proto !== 17) || end - off < 4) return;
  v.icmpInnerSrcPort = dv.getUint16(off);
  v.icmpInnerDstPort = dv.getUint16(off + 2);
  if (proto === 6) quotedTcp(v, buf, dv, off, end);
  if (proto === 17 && end - off > 8) {
    // Wireshark dissects quoted UDP payloads too: DNS on 53, mDNS on 5353, LLMNR on 5355 (all carry
    // the DNS fields tshark's dns.* filters count).
    const sp = v.icmpInnerSrcPort;
    const dp = v.icmpInnerDstPort;
    const protocol = sp === 53 || dp === 53 ? Proto.DNS : sp === 5353 || dp === 5353 ? Proto.MDNS : sp === 5355 || dp === 5355 ? Proto.LLMNR : -1;
    if (protocol >= 0) onDns(buf, off + 8, end - off - 8, protocol);
  }
}

/** The fields of a quoted TCP header (see PacketView.icmpInnerTcp*); options only as far as quoted. */
function quotedTcp(v: PacketView, buf: Uint8Array, dv: DataView, off: number, end: number): void {
  v.icmpInnerTcpCapLen = end - off;
  v.icmpInnerTcpOff = off;
  v.icmpInnerTcpWscale = -1;
  if (end - off < 16) return;
  v.icmpInnerTcpSeq = dv.getUint32(off + 4);
  v.icmpInnerTcpAck = dv.getUint32(off + 8);
  v.icmpInnerTcpFlags = buf[off + 13] | ((buf[off + 12] & 1) << 8);
  v.icmpInnerTcpWindow = dv.getUint16(off + 14);
  const hl = (buf[off + 12] >> 4) * 4;
  v.icmpInnerTcpHdrLen = hl;
  // Window scale is the only option the TCP analysis uses; each option must fit in the quote.
  const optEnd = Math.min(off + hl, end);
  let p = off + 20;
  while (p < optEnd) {
    const kind = buf[p];
    if (kind === 0) return;
    if (kind === 1) {
      p++;
      continue;
    }
    if (p + 1 >= optEnd) return;
    const len = buf[p + 1];
    if (len < 2 || p + len > optEnd) return;
    if (kind === 3 && len === 3) v.icmpInnerTcpWscale = buf[p + 2];
    p += len;
  }
}
