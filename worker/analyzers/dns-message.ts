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
  /** Its lower-case form (see `lower`), '' without a name: the key of name statistics. */
  nameKey: string;
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

/**
 * Reads messages into one reused DnsMessageInfo (valid until the next `inspect`), with a cache of
 * question names: most messages ask for a name seen shortly before, and building its text (a string per
 * label, joined) and lower-case key again was most of the cost of a DNS message. A name is looked up by
 * its wire labels (pointers followed), flattened into a scratch buffer while they are validated; the
 * cached text was built by readDnsName from the same labels, so it is the same text.
 */
export class DnsMessageReader {
  private readonly info: DnsMessageInfo = {
    id: 0,
    flags: 0,
    response: false,
    opcode: 0,
    rcode: 0,
    fullRcode: 0,
    qdcount: 0,
    name: null,
    nameKey: '',
    qtype: 0,
    questionError: null,
    zoneTransfer: false,
    short: false,
    complete: false,
  };
  private readonly names = new NameCache();

  /** Null when fewer than 4 bytes (no flags). */
  inspect(buf: Uint8Array, off: number, len: number): DnsMessageInfo | null {
    if (len < 4) return null;
    const flags = u16(buf, off + 2);
    const short = len < DNS_HEADER_LEN;
    const qdcount = short ? 0 : u16(buf, off + 4);
    const info = this.info;
    info.id = u16(buf, off + 0);
    info.flags = flags;
    info.response = (flags & 0x8000) !== 0;
    info.opcode = (flags >> 11) & 0xf;
    info.rcode = flags & 0xf;
    info.fullRcode = flags & 0xf;
    info.qdcount = qdcount;
    info.name = null;
    info.nameKey = '';
    info.qtype = 0;
    info.questionError = null;
    info.zoneTransfer = false;
    info.short = short;
    info.complete = false;
    if (short) return info;
    if (qdcount === 0) {
      records(buf, off, len, DNS_HEADER_LEN, u16(buf, off + 6) + u16(buf, off + 8), u16(buf, off + 10), info);
      return info;
    }
    const names = this.names;
    const next = names.read(buf, off, len, DNS_HEADER_LEN);
    if (next < 0) {
      // readDnsName tells why (the cache follows its rules, so it fails too).
      const r = readDnsName(buf, off, len, DNS_HEADER_LEN);
      info.questionError = r.ok ? 'truncated' : r.error;
      // Wireshark reads on past a looping or odd name; only running out of bytes stops it.
      if (info.questionError !== 'truncated') info.complete = true;
      return info;
    }
    if (next + 4 > len) {
      info.questionError = 'truncated';
      return info;
    }
    info.name = names.name;
    info.nameKey = names.key;
    info.qtype = u16(buf, off + next);
    if (info.qtype === QTYPE_AXFR || info.qtype === QTYPE_IXFR) info.zoneTransfer = true;
    let p = next + 4;
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
}

/** Null when fewer than 4 bytes (no flags). A fresh reader per call: hot paths keep a DnsMessageReader. */
export function inspectDnsMessage(buf: Uint8Array, off: number, len: number): DnsMessageInfo | null {
  const m = new DnsMessageReader().inspect(buf, off, len);
  return m === null ? null : { ...m };
}

/** Lower-case form, the same string when already lower-case (most names), to save memory. */
export function lower(name: string): string {
  const l = name.toLowerCase();
  return l === name ? name : l;
}

// Name cache: direct-mapped by a hash of the flattened labels (length byte, bytes; per label).
const CACHE_SLOTS = 1024;
/** Longest flattened name cached (most names are far shorter; longer ones are built every time). */
const CACHE_BYTES = 64;
const MAX_NAME_BYTES = 255;
const MAX_LABELS = 127;

class NameCache {
  private readonly scratch = new Uint8Array(MAX_NAME_BYTES + 1);
  private readonly bytes = new Uint8Array(CACHE_SLOTS * CACHE_BYTES);
  /** Flattened length of the name in each slot, -1 when empty. */
  private readonly lengths = new Int16Array(CACHE_SLOTS).fill(-1);
  private readonly texts: string[] = new Array<string>(CACHE_SLOTS).fill('');
  private readonly keys: string[] = new Array<string>(CACHE_SLOTS).fill('');
  /** Results of the last successful `read`. */
  name = '';
  key = '';

  /**
   * Reads the name at `nameOff` of the message (the rules of readDnsName, checked in the same order):
   * returns the offset after it where it started and sets `name` and `key`, or returns -1 when the name
   * cannot be read (readDnsName then tells why).
   */
  read(buf: Uint8Array, msgOff: number, msgLen: number, nameOff: number): number {
    const s = this.scratch;
    let p = nameOff;
    let next = -1;
    let bytes = 1;
    let limit = nameOff;
    let flat = 0;
    for (let hops = 0; ; hops++) {
      if (hops > MAX_LABELS || p >= msgLen) return -1;
      const b = buf[msgOff + p];
      if (b === 0) {
        if (next < 0) next = p + 1;
        break;
      }
      const kind = b & 0xc0;
      if (kind === 0xc0) {
        if (p + 1 >= msgLen) return -1;
        const target = ((b & 0x3f) << 8) | buf[msgOff + p + 1];
        if (next < 0) next = p + 2;
        if (target >= limit) return -1;
        limit = target;
        p = target;
        continue;
      }
      if (kind !== 0 || p + 1 + b > msgLen) return -1;
      bytes += b + 1;
      if (bytes > MAX_NAME_BYTES) return -1;
      // bytes ≤ 255 bounds the flattened length (it counts the same bytes).
      s[flat] = b;
      for (let i = 1; i <= b; i++) s[flat + i] = buf[msgOff + p + i];
      flat += 1 + b;
      p += 1 + b;
      if (next < 0 && p > limit) limit = p;
    }
    if (flat > CACHE_BYTES) {
      this.build(buf, msgOff, msgLen, nameOff);
      return next;
    }
    let h = 0x811c9dc5 ^ flat;
    for (let i = 0; i < flat; i++) h = Math.imul(h ^ s[i], 0x01000193);
    const slot = (h ^ (h >>> 15)) & (CACHE_SLOTS - 1);
    const o = slot * CACHE_BYTES;
    const cached = this.bytes;
    let hit = this.lengths[slot] === flat;
    for (let i = 0; hit && i < flat; i++) hit = cached[o + i] === s[i];
    if (hit) {
      this.name = this.texts[slot];
      this.key = this.keys[slot];
      return next;
    }
    this.build(buf, msgOff, msgLen, nameOff);
    cached.set(s.subarray(0, flat), o);
    this.lengths[slot] = flat;
    this.texts[slot] = this.name;
    this.keys[slot] = this.key;
    return next;
  }

  private build(buf: Uint8Array, msgOff: number, msgLen: number, nameOff: number): void {
    const r = readDnsName(buf, msgOff, msgLen, nameOff);
    const name = r.ok ? r.name : ''; // always ok: `read` checked the same rules
    this.name = name.length > MAX_NAME_TEXT ? `${name.slice(0, MAX_NAME_TEXT - 1)}…` : name;
    this.key = lower(this.name);
  }
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
