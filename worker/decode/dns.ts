/**
 * DNS message parsing for analyzers: header fields, and names with compression pointers. Name
 * decoding is loop- and length-safe: a pointer must point strictly before the label that holds it,
 * at most 127 labels are followed, and names stop at 255 bytes (RFC 1035 §3.1).
 */

export const DNS_HEADER_LEN = 12;
const MAX_NAME_BYTES = 255;
const MAX_LABELS = 127;

export interface DnsHeader {
  id: number;
  flags: number;
  response: boolean;
  opcode: number;
  rcode: number;
  truncated: boolean;
  qdcount: number;
  ancount: number;
  nscount: number;
  arcount: number;
}

export function readDnsHeader(buf: Uint8Array, off: number, len: number): DnsHeader | null {
  if (len < DNS_HEADER_LEN) return null;
  const u16 = (i: number) => (buf[off + i] << 8) | buf[off + i + 1];
  const flags = u16(2);
  return {
    id: u16(0),
    flags,
    response: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    rcode: flags & 0xf,
    truncated: (flags & 0x0200) !== 0,
    qdcount: u16(4),
    ancount: u16(6),
    nscount: u16(8),
    arcount: u16(10),
  };
}

/** Why a name could not be read. */
export const NAME_ERRORS = ['truncated', 'pointer-loop', 'bad-label', 'too-long', 'too-many-labels'] as const;

/**
 * Validates the name at `nameOff` without building strings (hot path). Returns the offset after it,
 * or -(1 + index into NAME_ERRORS). Same rules as readDnsName.
 */
export function skipDnsName(buf: Uint8Array, msgOff: number, msgLen: number, nameOff: number): number {
  let p = nameOff;
  let next = -1;
  let bytes = 1;
  let limit = nameOff;
  for (let hops = 0; ; hops++) {
    if (hops > MAX_LABELS) return -5;
    if (p >= msgLen) return -1;
    const b = buf[msgOff + p];
    if (b === 0) return next < 0 ? p + 1 : next;
    const kind = b & 0xc0;
    if (kind === 0xc0) {
      if (p + 1 >= msgLen) return -1;
      const target = ((b & 0x3f) << 8) | buf[msgOff + p + 1];
      if (next < 0) next = p + 2;
      if (target >= limit) return -2;
      limit = target;
      p = target;
      continue;
    }
    if (kind !== 0) return -3;
    if (p + 1 + b > msgLen) return -1;
    bytes += b + 1;
    if (bytes > MAX_NAME_BYTES) return -4;
    p += 1 + b;
    if (next < 0 && p > limit) limit = p;
  }
}

export type NameResult =
  | { ok: true; name: string; /** offset just after the name where it started */ next: number; wireBytes: number; labels: string[] }
  | { ok: false; error: 'truncated' | 'pointer-loop' | 'bad-label' | 'too-long' | 'too-many-labels'; at: number };

/**
 * Reads the name at `msgOff + nameOff` of the message `buf[msgOff .. msgOff+msgLen)`. Label bytes
 * outside printable ASCII are escaped as `\DDD` (as dig does) so hostile names stay visible text.
 */
export function readDnsName(buf: Uint8Array, msgOff: number, msgLen: number, nameOff: number): NameResult {
  const labels: string[] = [];
  let p = nameOff;
  let next = -1;
  let bytes = 1;
  let limit = nameOff; // pointers must go strictly backwards from the lowest position visited
  for (let hops = 0; ; hops++) {
    if (hops > MAX_LABELS) return { ok: false, error: 'too-many-labels', at: p };
    if (p >= msgLen) return { ok: false, error: 'truncated', at: p };
    const b = buf[msgOff + p];
    if (b === 0) {
      if (next < 0) next = p + 1;
      break;
    }
    const kind = b & 0xc0;
    if (kind === 0xc0) {
      if (p + 1 >= msgLen) return { ok: false, error: 'truncated', at: p };
      const target = ((b & 0x3f) << 8) | buf[msgOff + p + 1];
      if (next < 0) next = p + 2;
      if (target >= limit) return { ok: false, error: 'pointer-loop', at: p };
      limit = target;
      p = target;
      continue;
    }
    if (kind !== 0) return { ok: false, error: 'bad-label', at: p };
    if (p + 1 + b > msgLen) return { ok: false, error: 'truncated', at: p };
    bytes += b + 1;
    if (bytes > MAX_NAME_BYTES) return { ok: false, error: 'too-long', at: p };
    labels.push(labelText(buf, msgOff + p + 1, b));
    p += 1 + b;
    if (p > limit && next < 0) limit = Math.max(limit, p);
  }
  return { ok: true, name: labels.length === 0 ? '.' : labels.join('.'), next, wireBytes: bytes, labels };
}

function labelText(buf: Uint8Array, off: number, len: number): string {
  let s = '';
  for (let i = 0; i < len; i++) {
    const c = buf[off + i];
    if (c === 0x2e || c === 0x5c) s += `\\${String.fromCharCode(c)}`;
    else if (c > 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else s += `\\${String(c).padStart(3, '0')}`;
  }
  return s;
}

export interface DnsQuestion {
  name: string;
  qtype: number;
  qclass: number;
  labels: string[];
  /** Offset (in the message) just after the question. */
  next: number;
}

/** First question of a message, or null when absent or malformed. */
export function readFirstQuestion(buf: Uint8Array, msgOff: number, msgLen: number): DnsQuestion | null {
  const h = readDnsHeader(buf, msgOff, msgLen);
  if (!h || h.qdcount === 0) return null;
  const r = readDnsName(buf, msgOff, msgLen, DNS_HEADER_LEN);
  if (!r.ok || r.next + 4 > msgLen) return null;
  const q = msgOff + r.next;
  return {
    name: r.name,
    labels: r.labels,
    qtype: (buf[q] << 8) | buf[q + 1],
    qclass: (buf[q + 2] << 8) | buf[q + 3],
    next: r.next + 4,
  };
}

export const DNS_RCODE_NAMES: Record<number, string> = {
  0: 'NOERROR',
  1: 'FORMERR',
  2: 'SERVFAIL',
  3: 'NXDOMAIN',
  4: 'NOTIMP',
  5: 'REFUSED',
  6: 'YXDOMAIN',
  7: 'YXRRSET',
  8: 'NXRRSET',
  9: 'NOTAUTH',
  10: 'NOTZONE',
};

export const DNS_TYPE_NAMES: Record<number, string> = {
  1: 'A',
  2: 'NS',
  5: 'CNAME',
  6: 'SOA',
  10: 'NULL',
  12: 'PTR',
  15: 'MX',
  16: 'TXT',
  28: 'AAAA',
  33: 'SRV',
  35: 'NAPTR',
  41: 'OPT',
  43: 'DS',
  46: 'RRSIG',
  47: 'NSEC',
  48: 'DNSKEY',
  64: 'SVCB',
  65: 'HTTPS',
  99: 'SPF',
  251: 'IXFR',
  252: 'AXFR',
  255: 'ANY',
};
