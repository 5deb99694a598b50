/**
 * What the DNS analyzer needs from one message: header, first question, whether any question asks for
 * a zone transfer (several responses to one query), and the EDNS extended RCODE from an OPT record.
 * Built on the decoder's loop- and length-safe name reader; never throws.
 */
import { DNS_HEADER_LEN, readDnsName, skipDnsName } from '../decode/dns.js';
import { QTYPE_AXFR, QTYPE_IXFR } from './dns-names.js';

/** Longest name text kept (the schema bounds DNS names to 1100 characters). */
export const MAX_NAME_TEXT = 1024;
/** Resource records walked looking for OPT before giving up (each is ≥ 11 bytes anyway). */
const MAX_RECORDS = 4096;
const MAX_QUESTIONS = 64;
const TYPE_OPT = 41;

export interface DnsMessageInfo {
  id: number;
  flags: number;
  response: boolean;
  opcode: number;
  /** Header RCODE (4 bits), what `dns.flags.rcode` shows. */
  rcode: number;
  /** RCODE including the EDNS extension when an OPT record carries one, else the header RCODE. */
  fullRcode: number;
  qdcount: number;
  /** First question, or null when there is none or it could not be read. */
  name: string | null;
  qtype: number;
  /** Why the first question could not be read (null when it was, or when qdcount is 0). */
  questionError: 'truncated' | 'pointer-loop' | 'bad-label' | 'too-long' | 'too-many-labels' | null;
  /** Some question asks for AXFR/IXFR: Wireshark then times every response of the transaction. */
  zoneTransfer: boolean;
  /** Fewer than 12 bytes: only id and flags could be read. */
  short: boolean;
  /**
   * Every question and record lies within the bytes present. Wireshark adds `dns.time` after
   * dissecting all records, so a message it cannot dissect to the end (typically one cut by the
   * snapshot length) shows no `dns.time` although it still answers its transaction.
   */
  complete: boolean;
}

/** Null when fewer than 4 bytes (no flags). */
export function inspectDnsMessage(buf: Uint8Array, off: number, len: number): DnsMessageInfo | null {
  if (len < 4) return null;
  const flags = u16(buf, off + 2);
  const short = len < DNS_HEADER_LEN;
  const qdcount = short ? 0 : u16(buf, off + 4);
  const info: DnsMessageInfo = {
    id: u16(buf, off + 0),
    flags,
    response: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    rcode: flags & 0xf,
    fullRcode: flags & 0xf,
    qdcount,
    name: null,
    qtype: 0,
    questionError: null,
    zoneTransfer: false,
    short,
    complete: false,
  };
  if (short) return info;
  if (qdcount === 0) {
    records(buf, off, len, DNS_HEADER_LEN, u16(buf, off + 6) + u16(buf, off + 8), u16(buf, off + 10), info);
    return info;
  }
  const r = readDnsName(buf, off, len, DNS_HEADER_LEN);
  if (!r.ok) {
    info.questionError = r.error;
    // Wireshark reads on past a looping or odd name; only running out of bytes stops it.
    if (r.error !== 'truncated') info.complete = true;
    return info;
  }
  if (r.next + 4 > len) {
    info.questionError = 'truncated';
    return info;
  }
  info.name = r.name.length > MAX_NAME_TEXT ? `${r.name.slice(0, MAX_NAME_TEXT - 1)}…` : r.name;
  info.qtype = u16(buf, off + r.next);
  if (info.qtype === QTYPE_AXFR || info.qtype === QTYPE_IXFR) info.zoneTransfer = true;
  let p = r.next + 4;
  for (let i = 1; i < qdcount; i++) {
    if (i >= MAX_QUESTIONS) {
      info.complete = true; // not worth walking further: assume Wireshark could
      return info;
    }
    const end = skipDnsName(buf, off, len, p);
    if (end < 0) {
      if (end !== -1) info.complete = true;
      return info;
    }
    if (end + 4 > len) return info;
    const t = u16(buf, off + end);
    if (t === QTYPE_AXFR || t === QTYPE_IXFR) info.zoneTransfer = true;
    p = end + 4;
  }
  records(buf, off, len, p, u16(buf, off + 6) + u16(buf, off + 8), u16(buf, off + 10), info);
  return info;
}

/**
 * Walks the answer and authority records (`skip`) and the additional ones, noting the EDNS extended
 * RCODE of an OPT record in a response, and whether everything lies within the message.
 */
function records(buf: Uint8Array, off: number, len: number, p: number, skip: number, additional: number, info: DnsMessageInfo): void {
  const n = skip + additional;
  for (let i = 0; i < n; i++) {
    if (i >= MAX_RECORDS) {
      info.complete = true;
      return;
    }
    const end = skipDnsName(buf, off, len, p);
    if (end < 0) {
      // A looping or odd name: Wireshark marks it and reads on; we cannot tell where it ends.
      if (end !== -1) info.complete = true;
      return;
    }
    if (end + 10 > len) return;
    const type = (buf[off + end] << 8) | buf[off + end + 1];
    const rdlen = (buf[off + end + 8] << 8) | buf[off + end + 9];
    if (i >= skip && type === TYPE_OPT && info.response) {
      // TTL field of OPT: extended RCODE (upper 8 bits of 12), version, flags.
      info.fullRcode = (buf[off + end + 4] << 4) | info.rcode;
    }
    p = end + 10 + rdlen;
    if (p > len) return;
  }
  info.complete = true;
}

function u16(buf: Uint8Array, i: number): number {
  return (buf[i] << 8) | buf[i + 1];
}
