/**
 * Packet builders for test fixtures. Defaults produce well-formed packets with correct lengths and
 * checksums (verified against tshark in packet-builder.test.ts); `*Override` fields exist so a test can
 * break exactly one thing at a time. Addresses are strings so fixtures read like a packet listing.
 */
import { ByteWriter, concat, filler, internetChecksum, onesSum, utf8 } from './bytes.js';
import { writePcap, type PcapOptions } from './capture-writer.js';

export { concat, filler, hex, toHex, utf8 } from './bytes.js';

export const ETHERTYPE = {
  IPV4: 0x0800,
  ARP: 0x0806,
  VLAN: 0x8100,
  IPV6: 0x86dd,
  MPLS: 0x8847,
  MPLS_MULTICAST: 0x8848,
  QINQ: 0x88a8,
} as const;

export const IPPROTO = {
  HOPOPTS: 0,
  ICMP: 1,
  TCP: 6,
  UDP: 17,
  ROUTING: 43,
  FRAGMENT: 44,
  ESP: 50,
  AH: 51,
  ICMPV6: 58,
  NONE: 59,
  DSTOPTS: 60,
} as const;

/** Address-family values seen in DLT_NULL headers; IPv6 differs per BSD. */
export const AF = { INET: 2, INET6_BSD: 24, INET6_FREEBSD: 28, INET6_DARWIN: 30 } as const;

// ---------------------------------------------------------------------------------------------------
// Addresses
// ---------------------------------------------------------------------------------------------------

export function parseMac(s: string): Uint8Array {
  const parts = s.split(/[:-]/);
  if (parts.length !== 6) throw new Error(`bad MAC: ${s}`);
  return Uint8Array.from(parts, (p) => {
    const v = parseInt(p, 16);
    if (!/^[0-9a-fA-F]{1,2}$/.test(p)) throw new Error(`bad MAC: ${s}`);
    return v;
  });
}

function parseIpv4(s: string): Uint8Array | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return null;
  const out = Uint8Array.from(m.slice(1), Number);
  return m.slice(1).every((x) => Number(x) <= 255) ? out : null;
}

function parseIpv6(s: string): Uint8Array | null {
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const groups = (part: string): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    const items = part.split(':');
    for (let i = 0; i < items.length; i++) {
      const it = items[i];
      if (i === items.length - 1 && it.includes('.')) {
        const v4 = parseIpv4(it);
        if (!v4) return null;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(it)) return null;
        out.push(parseInt(it, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const all = [...head, ...new Array<number>(missing).fill(0), ...tail];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  return out;
}

/** 4 bytes for dotted IPv4, 16 for IPv6 (with `::` and dotted-quad tails). */
export function parseIp(s: string): Uint8Array {
  const out = s.includes(':') ? parseIpv6(s) : parseIpv4(s);
  if (!out) throw new Error(`bad IP address: ${s}`);
  return out;
}

/** 'ip:port' or '[v6]:port'. */
export function parseEndpoint(s: string): { ip: string; port: number } {
  const m = /^\[(.+)\]:(\d+)$/.exec(s) ?? /^([^:]+):(\d+)$/.exec(s);
  if (!m) throw new Error(`bad endpoint (want ip:port or [v6]:port): ${s}`);
  parseIp(m[1]);
  return { ip: m[1], port: Number(m[2]) };
}

// ---------------------------------------------------------------------------------------------------
// Link layers
// ---------------------------------------------------------------------------------------------------

export interface VlanTag {
  /** 0x8100 (default) or 0x88a8 for an S-tag. */
  tpid?: number;
  vid: number;
  pcp?: number;
  dei?: boolean;
}

export interface EthernetOptions {
  src?: string;
  dst?: string;
  /** Outermost first. */
  vlans?: VlanTag[];
  etherType: number;
  payload: Uint8Array;
  /** Zero-pad the frame (excluding FCS) to at least this many bytes, like a NIC padding to 60. */
  padTo?: number;
  /**
   * Append the 4-byte Ethernet CRC-32 (crc32() of the frame, least significant byte first), or the given
   * value in that same layout to fake a bad FCS. tshark only checks an FCS on frames of at least 64
   * bytes, so combine with padTo: 60 for small packets.
   */
  fcs?: boolean | number;
}

export const DEFAULT_SRC_MAC = '02:00:00:00:00:01';
export const DEFAULT_DST_MAC = '02:00:00:00:00:02';

export function ethernet(o: EthernetOptions): Uint8Array {
  const w = new ByteWriter();
  w.bytes(parseMac(o.dst ?? DEFAULT_DST_MAC)).bytes(parseMac(o.src ?? DEFAULT_SRC_MAC));
  for (const v of o.vlans ?? []) {
    w.u16(v.tpid ?? ETHERTYPE.VLAN);
    w.u16(((v.pcp ?? 0) << 13) | (v.dei ? 0x1000 : 0) | (v.vid & 0xfff));
  }
  w.u16(o.etherType).bytes(o.payload);
  if (o.padTo !== undefined && w.length < o.padTo) w.zeros(o.padTo - w.length);
  if (o.fcs !== undefined && o.fcs !== false) {
    const frame = w.finish();
    w.u32(o.fcs === true ? crc32(frame) : o.fcs, true);
  }
  return w.finish();
}

let crcTable: Uint32Array | undefined;
/** IEEE 802.3 CRC-32 (same polynomial as zlib). */
export function crc32(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (const b of data) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** MPLS label stack; bottom-of-stack is set on the last entry. Wrap in ethernet({ etherType: 0x8847 }). */
export function mpls(labels: ReadonlyArray<{ label: number; tc?: number; ttl?: number }>, payload: Uint8Array): Uint8Array {
  const w = new ByteWriter();
  labels.forEach((l, i) => {
    const bos = i === labels.length - 1 ? 1 : 0;
    w.u32(((l.label & 0xfffff) << 12) | (((l.tc ?? 0) & 7) << 9) | (bos << 8) | ((l.ttl ?? 64) & 0xff));
  });
  return w.bytes(payload).finish();
}

/**
 * A complete IEEE 802.3 frame (length field instead of EtherType) carrying LLC, plus SNAP when `snap`
 * is given — `snap: { oui: 0, pid: 0x0800 }` carries IPv4 the RFC 1042 way. Without SNAP the default
 * SAPs are 0x42 (spanning tree), i.e. a frame with no IP in it.
 */
export function llc802_3(
  payload: Uint8Array,
  o: { src?: string; dst?: string; dsap?: number; ssap?: number; control?: number; snap?: { oui: number; pid: number }; lengthOverride?: number } = {},
): Uint8Array {
  const llc = new ByteWriter();
  const sap = o.snap ? 0xaa : 0x42;
  llc.u8(o.dsap ?? sap).u8(o.ssap ?? sap).u8(o.control ?? 0x03);
  if (o.snap) llc.u8(o.snap.oui >> 16).u16(o.snap.oui & 0xffff).u16(o.snap.pid);
  const body = concat(llc.finish(), payload);
  return ethernet({ src: o.src, dst: o.dst, etherType: o.lengthOverride ?? body.length, payload: body });
}

/** Linux cooked capture v1 (LINKTYPE_LINUX_SLL 113). pktType: 0 to us, 3 other host, 4 outgoing. */
export function linuxSll(o: { protocol: number; payload: Uint8Array; pktType?: number; addr?: string; arphrd?: number }): Uint8Array {
  const addr = parseMac(o.addr ?? DEFAULT_SRC_MAC);
  const w = new ByteWriter();
  w.u16(o.pktType ?? 0).u16(o.arphrd ?? 1).u16(addr.length).bytes(addr).zeros(8 - addr.length);
  return w.u16(o.protocol).bytes(o.payload).finish();
}

/** Linux cooked capture v2 (LINKTYPE_LINUX_SLL2 276): protocol first, then interface index. */
export function linuxSll2(o: {
  protocol: number;
  payload: Uint8Array;
  ifindex?: number;
  pktType?: number;
  addr?: string;
  arphrd?: number;
}): Uint8Array {
  const addr = parseMac(o.addr ?? DEFAULT_SRC_MAC);
  const w = new ByteWriter();
  w.u16(o.protocol).u16(0).u32(o.ifindex ?? 1).u16(o.arphrd ?? 1).u8(o.pktType ?? 0).u8(addr.length);
  w.bytes(addr).zeros(8 - addr.length);
  return w.bytes(o.payload).finish();
}

/**
 * BSD loopback (LINKTYPE_NULL 0): the family is in the *capturing host's* byte order, hence the flag.
 * LINKTYPE_LOOP (108) is the same header always big-endian.
 */
export function nullLoopback(af: number, payload: Uint8Array, bigEndian = false): Uint8Array {
  return new ByteWriter(!bigEndian).u32(af).bytes(payload).finish();
}

/** ARP for Ethernet/IPv4; wrap in ethernet({ etherType: 0x0806, dst: 'ff:ff:ff:ff:ff:ff' }). */
export function arp(o: { op?: number; senderMac?: string; senderIp: string; targetMac?: string; targetIp: string }): Uint8Array {
  const w = new ByteWriter();
  w.u16(1).u16(ETHERTYPE.IPV4).u8(6).u8(4).u16(o.op ?? 1);
  w.bytes(parseMac(o.senderMac ?? DEFAULT_SRC_MAC)).bytes(parseIp(o.senderIp));
  w.bytes(parseMac(o.targetMac ?? '00:00:00:00:00:00')).bytes(parseIp(o.targetIp));
  return w.finish();
}

// ---------------------------------------------------------------------------------------------------
// IP
// ---------------------------------------------------------------------------------------------------

export interface Ipv4Options {
  src: string;
  dst: string;
  protocol: number;
  payload: Uint8Array;
  ttl?: number;
  id?: number;
  tos?: number;
  df?: boolean;
  mf?: boolean;
  /** In bytes; must be a multiple of 8 to be representable. */
  fragOffset?: number;
  /** Raw option bytes, zero-padded (EOL) to a multiple of 4. */
  options?: Uint8Array;
  totalLengthOverride?: number;
  /** Raw 4-bit IHL (32-bit words) written instead of the real header length. */
  ihlOverride?: number;
  checksumOverride?: number;
  versionOverride?: number;
}

export function ipv4(o: Ipv4Options): Uint8Array {
  const opts = o.options ?? new Uint8Array(0);
  const optLen = (opts.length + 3) & ~3;
  const hlen = 20 + optLen;
  const w = new ByteWriter();
  w.u8(((o.versionOverride ?? 4) << 4) | ((o.ihlOverride ?? hlen / 4) & 0xf));
  w.u8(o.tos ?? 0);
  w.u16(o.totalLengthOverride ?? hlen + o.payload.length);
  w.u16(o.id ?? 0);
  w.u16((o.df ? 0x4000 : 0) | (o.mf ? 0x2000 : 0) | (((o.fragOffset ?? 0) >> 3) & 0x1fff));
  w.u8(o.ttl ?? 64).u8(o.protocol).u16(0);
  w.bytes(parseIp(o.src)).bytes(parseIp(o.dst)).bytes(opts).pad(4);
  w.setU16(10, o.checksumOverride ?? internetChecksum(w.finish()));
  return w.bytes(o.payload).finish();
}

export interface Ipv6ExtensionHeader {
  type: 0 | 43 | 44 | 51 | 60;
  /**
   * Bytes after the (next header, length) pair; zero-padded so the header is a multiple of 8 bytes
   * (4 for AH). Ignored for the fragment header when `fragment` is given. Defaults: PadN for 0/60;
   * for 43 a segment-routing header (type 4) with segments left 0 listing just the destination — the
   * older types 0 and 2 draw tshark expert notes/warnings; for 51, SPI 0x100 + seq 1 + 12-byte ICV.
   */
  body?: Uint8Array;
  /** Fragment header fields; offset in bytes (multiple of 8). */
  fragment?: { offset: number; more: boolean; id: number };
  /** Raw value for the length byte instead of the computed one. */
  lengthOverride?: number;
}

export interface Ipv6Options {
  src: string;
  dst: string;
  /** Protocol of `payload`; extension headers are chained in front of it. */
  nextHeader: number;
  payload: Uint8Array;
  hopLimit?: number;
  flowLabel?: number;
  trafficClass?: number;
  extensionHeaders?: Ipv6ExtensionHeader[];
  payloadLengthOverride?: number;
}

function extensionHeader(h: Ipv6ExtensionHeader, next: number, dst: Uint8Array): Uint8Array {
  const w = new ByteWriter();
  if (h.type === IPPROTO.FRAGMENT) {
    const f = h.fragment ?? { offset: 0, more: false, id: 0 };
    w.u8(next).u8(h.lengthOverride ?? 0);
    if (h.fragment || !h.body) w.u16((f.offset & 0xfff8) | (f.more ? 1 : 0)).u32(f.id);
    else w.bytes(h.body);
    return w.pad(8).finish();
  }
  if (h.type === IPPROTO.AH) {
    // reserved(2), SPI 0x100, sequence 1, then a 96-bit ICV (HMAC-SHA1-96 size).
    const body = h.body ?? concat(new Uint8Array([0, 0, 0, 0, 1, 0, 0, 0, 0, 1]), new Uint8Array(12));
    w.u8(next).u8(0).bytes(body).pad(8);
    // AH counts 32-bit words minus 2, unlike the other headers' 8-octet units minus 1.
    w.setU16(0, (next << 8) | ((h.lengthOverride ?? w.length / 4 - 2) & 0xff));
    return w.finish();
  }
  const defaultBody =
    h.type === IPPROTO.ROUTING
      ? concat(new Uint8Array([4, 0, 0, 0, 0, 0]), dst) // type, segments left, last entry, flags, tag
      : new Uint8Array([1, 4, 0, 0, 0, 0]); // PadN covering the rest of the 8 bytes
  w.u8(next).u8(0).bytes(h.body ?? defaultBody).pad(8);
  w.setU16(0, (next << 8) | ((h.lengthOverride ?? w.length / 8 - 1) & 0xff));
  return w.finish();
}

export function ipv6(o: Ipv6Options): Uint8Array {
  const exts = o.extensionHeaders ?? [];
  const parts: Uint8Array[] = [];
  const dst = parseIp(o.dst);
  exts.forEach((h, i) => parts.push(extensionHeader(h, i + 1 < exts.length ? exts[i + 1].type : o.nextHeader, dst)));
  const body = concat(...parts, o.payload);
  const w = new ByteWriter();
  w.u32((6 << 28) | (((o.trafficClass ?? 0) & 0xff) << 20) | ((o.flowLabel ?? 0) & 0xfffff));
  w.u16(o.payloadLengthOverride ?? body.length);
  w.u8(exts.length > 0 ? exts[0].type : o.nextHeader).u8(o.hopLimit ?? 64);
  return w.bytes(parseIp(o.src)).bytes(dst).bytes(body).finish();
}

// ---------------------------------------------------------------------------------------------------
// Transport
// ---------------------------------------------------------------------------------------------------

/** Sum of the IPv4/IPv6 pseudo-header, to be chained into the transport checksum. */
export function pseudoHeaderSum(srcIp: string, dstIp: string, protocol: number, length: number): number {
  const s = parseIp(srcIp);
  const d = parseIp(dstIp);
  if (s.length !== d.length) throw new Error(`mixed address families: ${srcIp} / ${dstIp}`);
  const w = new ByteWriter();
  w.bytes(s).bytes(d);
  if (s.length === 4) w.u8(0).u8(protocol).u16(length);
  else w.u32(length).zeros(3).u8(protocol);
  return onesSum(w.finish());
}

const TCP_FLAG_BITS: Record<string, number> = { F: 0x01, S: 0x02, R: 0x04, P: 0x08, A: 0x10, U: 0x20, E: 0x40, C: 0x80, N: 0x100 };

/** 'SA' → SYN|ACK. Letters: F S R P A U E(CE) C(CWR) N(NS/AE). */
export function tcpFlags(flags: string | number): number {
  if (typeof flags === 'number') return flags;
  let v = 0;
  for (const ch of flags.toUpperCase()) {
    const bit = TCP_FLAG_BITS[ch];
    if (bit === undefined) throw new Error(`unknown TCP flag '${ch}' in '${flags}'`);
    v |= bit;
  }
  return v;
}

export interface TcpOptions {
  mss?: number;
  wscale?: number;
  sackPermitted?: boolean;
  sack?: Array<[number, number]>;
  /** [TSval, TSecr]. */
  timestamps?: [number, number];
  /** Align options with NOPs the way Linux does (default true); false packs them and pads with EOL. */
  nops?: boolean;
  /** Appended verbatim after the options above (before final padding). */
  raw?: Uint8Array;
}

export function tcpOptionBytes(o: TcpOptions): Uint8Array {
  const nops = o.nops ?? true;
  const w = new ByteWriter();
  const nop = (n: number): void => {
    if (nops) for (let i = 0; i < n; i++) w.u8(1);
  };
  if (o.mss !== undefined) w.u8(2).u8(4).u16(o.mss);
  if (o.sackPermitted && o.timestamps) {
    // Linux's SYN layout: SACK_PERM directly followed by TS keeps TS 4-aligned with no NOPs.
    w.u8(4).u8(2);
    w.u8(8).u8(10).u32(o.timestamps[0]).u32(o.timestamps[1]);
  } else {
    if (o.sackPermitted) {
      nop(2);
      w.u8(4).u8(2);
    }
    if (o.timestamps) {
      nop(2);
      w.u8(8).u8(10).u32(o.timestamps[0]).u32(o.timestamps[1]);
    }
  }
  if (o.wscale !== undefined) {
    nop(1);
    w.u8(3).u8(3).u8(o.wscale);
  }
  if (o.sack && o.sack.length > 0) {
    nop(2);
    w.u8(5).u8(2 + 8 * o.sack.length);
    for (const [l, r] of o.sack) w.u32(l).u32(r);
  }
  if (o.raw) w.bytes(o.raw);
  return w.pad(4).finish();
}

export interface TcpSegmentOptions {
  /** IPs are only used for the pseudo-header checksum; v4 or v6. */
  srcIp: string;
  dstIp: string;
  srcPort: number;
  dstPort: number;
  seq: number;
  ack?: number;
  flags: string | number;
  window?: number;
  options?: TcpOptions;
  payload?: Uint8Array;
  urgent?: number;
  /** Raw 4-bit data offset instead of the real header length. */
  dataOffsetOverride?: number;
  checksumOverride?: number;
}

export function tcp(o: TcpSegmentOptions): Uint8Array {
  const opts = o.options ? tcpOptionBytes(o.options) : new Uint8Array(0);
  const payload = o.payload ?? new Uint8Array(0);
  const hlen = 20 + opts.length;
  const flags = tcpFlags(o.flags);
  const w = new ByteWriter();
  w.u16(o.srcPort).u16(o.dstPort).u32(o.seq).u32(o.ack ?? 0);
  w.u16((((o.dataOffsetOverride ?? hlen / 4) & 0xf) << 12) | (flags & 0x1ff));
  w.u16(o.window ?? 65535).u16(0).u16(o.urgent ?? 0).bytes(opts).bytes(payload);
  const seg = w.finish();
  const sum = pseudoHeaderSum(o.srcIp, o.dstIp, IPPROTO.TCP, seg.length);
  w.setU16(16, o.checksumOverride ?? internetChecksum(seg, sum));
  return w.finish();
}

export interface UdpOptions {
  srcIp: string;
  dstIp: string;
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
  /** Written into the length field; the checksum still covers the real bytes. */
  lengthOverride?: number;
  /** 0 means "no checksum" over IPv4. */
  checksumOverride?: number;
}

export function udp(o: UdpOptions): Uint8Array {
  const len = 8 + o.payload.length;
  const w = new ByteWriter();
  w.u16(o.srcPort).u16(o.dstPort).u16(o.lengthOverride ?? len).u16(0).bytes(o.payload);
  const seg = w.finish();
  const sum = internetChecksum(seg, pseudoHeaderSum(o.srcIp, o.dstIp, IPPROTO.UDP, len));
  // A computed 0 is sent as 0xffff because 0 on the wire means "not computed".
  w.setU16(6, o.checksumOverride ?? (sum === 0 ? 0xffff : sum));
  return w.finish();
}

/** ICMPv4. `rest` is the 4 bytes after the checksum (id/seq for echo, unused/MTU for errors). */
export function icmp(o: { type: number; code: number; rest?: number; payload?: Uint8Array; checksumOverride?: number }): Uint8Array {
  const w = new ByteWriter();
  w.u8(o.type).u8(o.code).u16(0).u32(o.rest ?? 0).bytes(o.payload ?? new Uint8Array(0));
  w.setU16(2, o.checksumOverride ?? internetChecksum(w.finish()));
  return w.finish();
}

export function icmpv6(o: {
  srcIp: string;
  dstIp: string;
  type: number;
  code: number;
  rest?: number;
  payload?: Uint8Array;
  checksumOverride?: number;
}): Uint8Array {
  const w = new ByteWriter();
  w.u8(o.type).u8(o.code).u16(0).u32(o.rest ?? 0).bytes(o.payload ?? new Uint8Array(0));
  const msg = w.finish();
  const sum = pseudoHeaderSum(o.srcIp, o.dstIp, IPPROTO.ICMPV6, msg.length);
  w.setU16(2, o.checksumOverride ?? internetChecksum(msg, sum));
  return w.finish();
}

// ---------------------------------------------------------------------------------------------------
// DNS
// ---------------------------------------------------------------------------------------------------

export const DNS_TYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, SRV: 33, OPT: 41 } as const;

export interface DnsQuestion {
  name: string;
  type: number;
  class?: number;
}

export interface DnsResourceRecord {
  name: string;
  type: number;
  class?: number;
  ttl?: number;
  /** Raw RDATA, or `{ name }` for a domain-name RDATA (CNAME/NS/PTR) that takes part in compression. */
  data: Uint8Array | { name: string };
}

export interface DnsMessageOptions {
  id: number;
  response?: boolean;
  opcode?: number;
  aa?: boolean;
  tc?: boolean;
  /** Default true. */
  rd?: boolean;
  /** Default: same as `response`. */
  ra?: boolean;
  rcode?: number;
  questions: DnsQuestion[];
  answers?: DnsResourceRecord[];
  authorities?: DnsResourceRecord[];
  additionals?: DnsResourceRecord[];
  /** Compress owner names and `{ name }` RDATA against earlier names (RFC 1035 4.1.4). */
  compress?: boolean;
  counts?: { qd?: number; an?: number; ns?: number; ar?: number };
}

export function dnsFlags(o: { response?: boolean; opcode?: number; aa?: boolean; tc?: boolean; rd?: boolean; ra?: boolean; rcode?: number }): number {
  return (
    (o.response ? 0x8000 : 0) |
    (((o.opcode ?? 0) & 0xf) << 11) |
    (o.aa ? 0x0400 : 0) |
    (o.tc ? 0x0200 : 0) |
    ((o.rd ?? true) ? 0x0100 : 0) |
    ((o.ra ?? o.response ?? false) ? 0x0080 : 0) |
    ((o.rcode ?? 0) & 0xf)
  );
}

function splitName(name: string): string[] {
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  return trimmed === '' ? [] : trimmed.split('.');
}

/** Uncompressed wire labels; `terminate: false` leaves off the root byte so a pointer can follow. */
export function dnsLabels(name: string, terminate = true): Uint8Array {
  const w = new ByteWriter();
  for (const l of splitName(name)) {
    const b = utf8(l);
    w.u8(b.length).bytes(b);
  }
  if (terminate) w.u8(0);
  return w.finish();
}

/** A 2-byte compression pointer to `offset` from the start of the DNS message. */
export function dnsPointer(offset: number): Uint8Array {
  return new Uint8Array([0xc0 | ((offset >> 8) & 0x3f), offset & 0xff]);
}

export function dnsA(ip: string): Uint8Array {
  return parseIp(ip);
}

/**
 * Header + hand-made body, for compression loops, pointers past the end and count mismatches. Offsets
 * for dnsPointer count from the start of the header, so the first body byte is offset 12.
 */
export function dnsRaw(o: { id: number; flags?: number; qdcount?: number; ancount?: number; nscount?: number; arcount?: number; body: Uint8Array }): Uint8Array {
  const w = new ByteWriter();
  w.u16(o.id).u16(o.flags ?? 0x0100).u16(o.qdcount ?? 0).u16(o.ancount ?? 0).u16(o.nscount ?? 0).u16(o.arcount ?? 0);
  return w.bytes(o.body).finish();
}

export function dnsMessage(o: DnsMessageOptions): Uint8Array {
  const answers = o.answers ?? [];
  const authorities = o.authorities ?? [];
  const additionals = o.additionals ?? [];
  const w = new ByteWriter();
  w.u16(o.id).u16(dnsFlags(o));
  w.u16(o.counts?.qd ?? o.questions.length).u16(o.counts?.an ?? answers.length);
  w.u16(o.counts?.ns ?? authorities.length).u16(o.counts?.ar ?? additionals.length);
  const seen = new Map<string, number>();
  // `base` is where the name will sit in the message; it differs from w.length only for RDATA names,
  // which are encoded before the RDLENGTH in front of them is known.
  const name = (n: string, base: number): Uint8Array => {
    const labels = splitName(n);
    const out = new ByteWriter();
    for (let i = 0; i < labels.length; i++) {
      const suffix = labels.slice(i).join('.').toLowerCase();
      const ptr = o.compress ? seen.get(suffix) : undefined;
      if (ptr !== undefined) return out.bytes(dnsPointer(ptr)).finish();
      const at = base + out.length;
      if (o.compress && at < 0x4000) seen.set(suffix, at);
      const b = utf8(labels[i]);
      out.u8(b.length).bytes(b);
    }
    return out.u8(0).finish();
  };
  for (const q of o.questions) w.bytes(name(q.name, w.length)).u16(q.type).u16(q.class ?? 1);
  for (const rr of [...answers, ...authorities, ...additionals]) {
    w.bytes(name(rr.name, w.length)).u16(rr.type).u16(rr.class ?? 1).u32(rr.ttl ?? 300);
    const rdata = rr.data instanceof Uint8Array ? rr.data : name(rr.data.name, w.length + 2);
    w.u16(rdata.length).bytes(rdata);
  }
  return w.finish();
}

/** DNS over TCP: the 2-byte length prefix. */
export function dnsOverTcp(msg: Uint8Array): Uint8Array {
  return new ByteWriter().u16(msg.length).bytes(msg).finish();
}

// ---------------------------------------------------------------------------------------------------
// One-liners
// ---------------------------------------------------------------------------------------------------

export interface TcpPacketOptions {
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  seq?: number;
  ack?: number;
  /** Default 'A' (or 'PA' when there is payload). */
  flags?: string | number;
  window?: number;
  options?: TcpOptions;
  payload?: Uint8Array;
  ttl?: number;
  id?: number;
  /** IPv4 only; default true like Linux. */
  df?: boolean;
}

function tcpFrom(o: TcpPacketOptions): Uint8Array {
  const payload = o.payload ?? new Uint8Array(0);
  return tcp({
    srcIp: o.src,
    dstIp: o.dst,
    srcPort: o.srcPort,
    dstPort: o.dstPort,
    seq: o.seq ?? 1,
    ack: o.ack ?? 1,
    flags: o.flags ?? (payload.length > 0 ? 'PA' : 'A'),
    window: o.window,
    options: o.options,
    payload,
  });
}

export function ipv4Tcp(o: TcpPacketOptions): Uint8Array {
  return ipv4({ src: o.src, dst: o.dst, protocol: IPPROTO.TCP, payload: tcpFrom(o), ttl: o.ttl, id: o.id, df: o.df ?? true });
}

export function ipv6Tcp(o: TcpPacketOptions): Uint8Array {
  return ipv6({ src: o.src, dst: o.dst, nextHeader: IPPROTO.TCP, payload: tcpFrom(o), hopLimit: o.ttl });
}

export interface UdpPacketOptions {
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
  ttl?: number;
  id?: number;
}

export function ipv4Udp(o: UdpPacketOptions): Uint8Array {
  const seg = udp({ srcIp: o.src, dstIp: o.dst, srcPort: o.srcPort, dstPort: o.dstPort, payload: o.payload });
  return ipv4({ src: o.src, dst: o.dst, protocol: IPPROTO.UDP, payload: seg, ttl: o.ttl, id: o.id });
}

export function ipv6Udp(o: UdpPacketOptions): Uint8Array {
  const seg = udp({ srcIp: o.src, dstIp: o.dst, srcPort: o.srcPort, dstPort: o.dstPort, payload: o.payload });
  return ipv6({ src: o.src, dst: o.dst, nextHeader: IPPROTO.UDP, payload: seg, hopLimit: o.ttl });
}

interface EtherExtras {
  srcMac?: string;
  dstMac?: string;
  vlans?: VlanTag[];
}

export function etherIpv4Tcp(o: TcpPacketOptions & EtherExtras): Uint8Array {
  return ethernet({ src: o.srcMac, dst: o.dstMac, vlans: o.vlans, etherType: ETHERTYPE.IPV4, payload: ipv4Tcp(o) });
}

export function etherIpv6Tcp(o: TcpPacketOptions & EtherExtras): Uint8Array {
  return ethernet({ src: o.srcMac, dst: o.dstMac, vlans: o.vlans, etherType: ETHERTYPE.IPV6, payload: ipv6Tcp(o) });
}

export function etherIpv4Udp(o: UdpPacketOptions & EtherExtras): Uint8Array {
  return ethernet({ src: o.srcMac, dst: o.dstMac, vlans: o.vlans, etherType: ETHERTYPE.IPV4, payload: ipv4Udp(o) });
}

export function etherIpv6Udp(o: UdpPacketOptions & EtherExtras): Uint8Array {
  return ethernet({ src: o.srcMac, dst: o.dstMac, vlans: o.vlans, etherType: ETHERTYPE.IPV6, payload: ipv6Udp(o) });
}

// ---------------------------------------------------------------------------------------------------
// Scripted TCP conversations
// ---------------------------------------------------------------------------------------------------

export type Side = 'client' | 'server';

export interface TimedFrame {
  tsSec: number;
  /** Microseconds. */
  tsFrac: number;
  data: Uint8Array;
  /** What the script meant, for assertions; seq/ack are the raw 32-bit wire values. */
  meta: { side: Side; seq: number; ack: number; flags: number; len: number; window: number };
}

export interface TcpConversationOptions {
  /** 'ip:port' or '[v6]:port'. */
  client: string;
  server: string;
  /** Initial sequence numbers [client, server]. */
  isn?: [number, number];
  /** MSS option in the SYN / SYN-ACK; a pair gives different values per side. */
  mss?: number | [number, number];
  /** Window-scale shift announced in the SYN / SYN-ACK. */
  wscale?: number | [number, number];
  sackPermitted?: boolean;
  /** Put RFC 7323 timestamps on every segment (TSval in ms since the conversation start + 1). */
  timestamps?: boolean;
  /** Raw 16-bit window field each side advertises by default (default 65535; SYNs use it unscaled too). */
  window?: number | [number, number];
  /** Seconds between consecutive frames (default 0.001). */
  step?: number;
  /** Time of the first frame, seconds since the epoch (default 1_700_000_000). */
  start?: number;
  clientMac?: string;
  serverMac?: string;
  vlans?: VlanTag[];
}

export interface SegmentOptions {
  /** Payload length (filled with a pattern tied to the sequence number, so retransmits match). */
  len?: number;
  payload?: Uint8Array;
  /** Default 'PA' with data, else 'A'. */
  flags?: string | number;
  /** Absolute sequence number; default the side's next one. */
  seq?: number;
  /** Absolute ack number; default what this side has received in order. Only sent with the ACK flag. */
  ack?: number;
  /** Raw window field for this segment only. */
  window?: number;
  /** Extra TCP options merged over the automatic ones (timestamps, SYN options). */
  options?: TcpOptions;
  /** False: the segment is not in the capture (but may still reach the peer). */
  captured?: boolean;
  /** False: the peer never receives it (its ACKs will not cover it). */
  delivered?: boolean;
}

interface Peer {
  ip: string;
  port: number;
  mac: string;
  isn: number;
  /** Next sequence number to send, as an unbounded integer (wrapped only when written). */
  nxt: number;
  window: number;
  ipId: number;
  mss?: number;
  wscale?: number;
  /** Sequence ranges [start, end) received from the other side. */
  received: Array<[number, number]>;
  /** Last TSval received from the other side, echoed as TSecr. */
  tsRecent: number;
  last?: SentSegment;
  /** Every sequence-consuming segment sent, by start seq, so any of them can be retransmitted. */
  sent: Map<number, SentSegment>;
}

interface SentSegment {
  seq: number;
  payload: Uint8Array;
  flags: number;
}

const other = (side: Side): Side => (side === 'client' ? 'server' : 'client');

const pick = <T>(v: T | [T, T] | undefined, i: 0 | 1): T | undefined => (Array.isArray(v) ? v[i] : v);

/**
 * Scripts a TCP flow and records the captured frames. Each side tracks what it sent and what it has
 * received in order, so default ACK numbers follow from the script: drop a segment (`delivered: false`)
 * and the receiver's next ACKs become duplicates; retransmit it and they jump forward.
 *
 * Every call emits at most one frame (except handshake/close) and advances the clock by `step`.
 */
export class TcpConversation {
  readonly frames: TimedFrame[] = [];
  private readonly c: Peer;
  private readonly s: Peer;
  /** Microseconds since the epoch, kept integral so long scripts do not drift. */
  private nowUs: number;
  private readonly startUs: number;
  private readonly stepUs: number;
  private lastSender: Side | undefined;
  private readonly v6: boolean;

  constructor(private readonly o: TcpConversationOptions) {
    const ce = parseEndpoint(o.client);
    const se = parseEndpoint(o.server);
    const [cisn, sisn] = o.isn ?? [1000, 5000];
    const mk = (e: { ip: string; port: number }, mac: string, isn: number, peerIsn: number, i: 0 | 1): Peer => ({
      ip: e.ip,
      port: e.port,
      mac,
      isn,
      nxt: isn,
      window: pick(o.window, i) ?? 65535,
      ipId: i === 0 ? 0x1000 : 0x2000,
      mss: pick(o.mss, i),
      wscale: pick(o.wscale, i),
      // The peer's SYN is assumed received, so a script may skip handshake() and start mid-stream.
      received: [[peerIsn, peerIsn + 1]],
      tsRecent: 0,
      sent: new Map(),
    });
    this.c = mk(ce, o.clientMac ?? DEFAULT_SRC_MAC, cisn, sisn, 0);
    this.s = mk(se, o.serverMac ?? DEFAULT_DST_MAC, sisn, cisn, 1);
    // Mid-stream scripts start after the SYN, whose sequence number is consumed.
    this.c.nxt = cisn + 1;
    this.s.nxt = sisn + 1;
    this.v6 = parseIp(ce.ip).length === 16;
    this.startUs = Math.round((o.start ?? 1_700_000_000) * 1e6);
    this.nowUs = this.startUs;
    this.stepUs = Math.round((o.step ?? 0.001) * 1e6);
  }

  /** Sets the time of the next frame (seconds since the epoch). */
  at(t: number): this {
    this.nowUs = Math.round(t * 1e6);
    return this;
  }

  /** Moves the clock forward by `dt` seconds (on top of the per-frame step). */
  wait(dt: number): this {
    this.nowUs += Math.round(dt * 1e6);
    return this;
  }

  /** Next sequence number `side` will send (wire value). */
  nextSeq(side: Side): number {
    return this.peer(side).nxt >>> 0;
  }

  /** Ack number `side` would send now (wire value). */
  ackOf(side: Side): number {
    return this.rcvNxt(this.peer(side)) >>> 0;
  }

  get last(): TimedFrame | undefined {
    return this.frames[this.frames.length - 1];
  }

  handshake(): this {
    return this.syn().synAck().clientAcks();
  }

  syn(opts: SegmentOptions = {}): this {
    this.c.nxt = this.c.isn;
    return this.segment('client', { flags: 'S', ...opts, options: { ...this.synOptions(this.c), ...opts.options } });
  }

  synAck(opts: SegmentOptions = {}): this {
    this.s.nxt = this.s.isn;
    return this.segment('server', { flags: 'SA', ...opts, options: { ...this.synOptions(this.s), ...opts.options } });
  }

  clientSends(len: number, opts: SegmentOptions = {}): this {
    return this.segment('client', { len, ...opts });
  }

  serverSends(len: number, opts: SegmentOptions = {}): this {
    return this.segment('server', { len, ...opts });
  }

  clientAcks(opts: SegmentOptions = {}): this {
    return this.segment('client', { flags: 'A', ...opts });
  }

  serverAcks(opts: SegmentOptions = {}): this {
    return this.segment('server', { flags: 'A', ...opts });
  }

  acks(side: Side, opts: SegmentOptions = {}): this {
    return this.segment(side, { flags: 'A', ...opts });
  }

  /** `count` identical pure ACKs (duplicates when nothing new arrived in between). */
  dupAck(side: Side, count = 1): this {
    for (let i = 0; i < count; i++) this.acks(side);
    return this;
  }

  /**
   * Resends the last sequence-consuming segment (data, SYN or FIN) of `side` — by default whichever side
   * sent one last — with the same seq and bytes and a current ACK; it is delivered unless told otherwise.
   */
  retransmitLast(side?: Side, opts: SegmentOptions = {}): this {
    const who = side ?? this.lastSender;
    const last = who ? this.peer(who).last : undefined;
    if (!who || !last) throw new Error('retransmitLast: nothing has been sent yet');
    return this.resend(who, last, opts);
  }

  /**
   * Resends the segment `side` originally sent at `opts.seq` — by default the oldest one the peer has
   * not received (what a fast retransmit or RTO would resend after a `delivered: false` loss).
   */
  retransmit(side: Side, opts: SegmentOptions = {}): this {
    const me = this.peer(side);
    const seq = opts.seq !== undefined ? this.unwrap(me, opts.seq) : this.rcvNxt(this.peer(other(side)));
    const orig = me.sent.get(seq);
    if (!orig) throw new Error(`retransmit: ${side} never sent a segment starting at seq ${seq >>> 0}`);
    return this.resend(side, orig, opts);
  }

  private resend(side: Side, orig: SentSegment, opts: SegmentOptions): this {
    const syn = (orig.flags & 0x02) !== 0;
    return this.segment(side, {
      ...opts,
      seq: orig.seq,
      payload: opts.payload ?? orig.payload,
      flags: opts.flags ?? orig.flags,
      // SYN options are part of what gets repeated.
      options: syn ? { ...this.synOptions(this.peer(side)), ...opts.options } : opts.options,
    });
  }

  /**
   * Reserves `len` bytes of sequence space without sending them (a segment lost before the capture
   * point); returns the absolute start seq so the script can send it later with `{ seq, len }`.
   */
  skip(side: Side, len: number): number {
    const p = this.peer(side);
    const seq = p.nxt;
    p.nxt += len;
    return seq >>> 0;
  }

  /** Keep-alive: seq = next - 1 with 0 (or one garbage) byte, which Wireshark recognises as such. */
  keepAlive(side: Side, opts: { withByte?: boolean } = {}): this {
    const p = this.peer(side);
    const last = p.last;
    this.segment(side, {
      seq: p.nxt - 1,
      payload: opts.withByte ? new Uint8Array([0]) : new Uint8Array(0),
      flags: 'A',
      delivered: false,
    });
    // A probe is not "data sent", so retransmitLast() keeps pointing at the real segment.
    p.last = last;
    return this;
  }

  /** Changes the window `side` advertises from now on. */
  setWindow(side: Side, window: number): this {
    this.peer(side).window = window;
    return this;
  }

  /** Pure ACK advertising a zero window; later segments keep window 0 until windowUpdate(). */
  zeroWindow(side: Side): this {
    return this.setWindow(side, 0).acks(side);
  }

  windowUpdate(side: Side, window: number): this {
    return this.setWindow(side, window).acks(side);
  }

  /** One byte at the next sequence number, not accepted by the (zero-window) receiver. */
  zeroWindowProbe(side: Side): this {
    const p = this.peer(side);
    const { nxt, last } = p;
    this.segment(side, { seq: nxt, len: 1, flags: 'A', delivered: false });
    // The byte is sent again later as ordinary data, so sequence space and retransmitLast() roll back.
    p.nxt = nxt;
    p.last = last;
    return this;
  }

  fin(side: Side, opts: SegmentOptions = {}): this {
    return this.segment(side, { flags: 'FA', ...opts });
  }

  clientFin(opts: SegmentOptions = {}): this {
    return this.fin('client', opts);
  }

  serverFin(opts: SegmentOptions = {}): this {
    return this.fin('server', opts);
  }

  /** FIN, FIN (acking it), final ACK. */
  close(initiator: Side = 'client'): this {
    return this.fin(initiator).fin(other(initiator)).acks(initiator);
  }

  /** RST (with ACK by default; pass flags 'R' for a bare reset). */
  rst(side: Side, opts: SegmentOptions = {}): this {
    return this.segment(side, { flags: 'RA', ...opts });
  }

  clientRst(opts: SegmentOptions = {}): this {
    return this.rst('client', opts);
  }

  serverRst(opts: SegmentOptions = {}): this {
    return this.rst('server', opts);
  }

  /** The general form every helper above reduces to. */
  segment(side: Side, opts: SegmentOptions = {}): this {
    const me = this.peer(side);
    const peer = this.peer(other(side));
    const seq = opts.seq !== undefined ? this.unwrap(me, opts.seq) : me.nxt;
    const payload = opts.payload ?? filler(opts.len ?? 0, seq - me.isn - 1);
    const flags = tcpFlags(opts.flags ?? (payload.length > 0 ? 'PA' : 'A'));
    const ackFlag = (flags & 0x10) !== 0;
    const ack = ackFlag ? (opts.ack ?? this.rcvNxt(me)) : 0;
    const window = opts.window ?? me.window;
    const tsval = Math.floor((this.nowUs - this.startUs) / 1000) + 1;
    const options: TcpOptions = {
      ...(this.o.timestamps ? { timestamps: [tsval, ackFlag ? me.tsRecent : 0] as [number, number] } : {}),
      ...opts.options,
    };
    const hasOptions = Object.values(options).some((v) => v !== undefined);
    const seg = tcp({
      srcIp: me.ip,
      dstIp: peer.ip,
      srcPort: me.port,
      dstPort: peer.port,
      seq: seq >>> 0,
      ack: ack >>> 0,
      flags,
      window,
      options: hasOptions ? options : undefined,
      payload,
    });
    const consumes = (flags & 0x04 ? 0 : payload.length) + (flags & 0x02 ? 1 : 0) + (flags & 0x01 ? 1 : 0);
    if (consumes > 0) {
      me.nxt = Math.max(me.nxt, seq + consumes);
      me.last = { seq, payload, flags };
      if (!me.sent.has(seq)) me.sent.set(seq, me.last);
      this.lastSender = side;
    }
    if (opts.delivered !== false) {
      if (consumes > 0) peer.received.push([seq, seq + consumes]);
      if (this.o.timestamps) peer.tsRecent = tsval;
    }
    if (opts.captured === false) return this;
    const ip = this.v6
      ? ipv6({ src: me.ip, dst: peer.ip, nextHeader: IPPROTO.TCP, payload: seg })
      : ipv4({ src: me.ip, dst: peer.ip, protocol: IPPROTO.TCP, payload: seg, id: me.ipId++ & 0xffff, df: true });
    const data = ethernet({
      src: me.mac,
      dst: peer.mac,
      vlans: this.o.vlans,
      etherType: this.v6 ? ETHERTYPE.IPV6 : ETHERTYPE.IPV4,
      payload: ip,
    });
    this.frames.push({
      tsSec: Math.floor(this.nowUs / 1e6),
      tsFrac: this.nowUs % 1e6,
      data,
      meta: { side, seq: seq >>> 0, ack: ack >>> 0, flags, len: payload.length, window },
    });
    this.nowUs += this.stepUs;
    return this;
  }

  /** The frames as a microsecond pcap file. */
  toPcap(opts: Omit<PcapOptions, 'magic'> = {}): Uint8Array {
    return writePcap({ ...opts, magic: 'usec' }, this.frames);
  }

  /**
   * Sequence numbers are tracked unbounded so ranges never wrap; a wire value handed back by the script
   * (from nextSeq/skip) is mapped to the unbounded number nearest the side's next seq.
   */
  private unwrap(p: Peer, wire: number): number {
    return p.nxt + ((wire - p.nxt) | 0);
  }

  private peer(side: Side): Peer {
    return side === 'client' ? this.c : this.s;
  }

  private synOptions(p: Peer): TcpOptions {
    return { mss: p.mss, wscale: p.wscale, sackPermitted: this.o.sackPermitted || undefined };
  }

  /** First sequence number not yet received in order. */
  private rcvNxt(p: Peer): number {
    const ranges = [...p.received].sort((a, b) => a[0] - b[0]);
    let next = ranges[0][0];
    for (const [a, b] of ranges) {
      if (a > next) break;
      next = Math.max(next, b);
    }
    return next;
  }
}
