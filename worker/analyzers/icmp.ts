import { L4, type PacketView } from '../decode/packet.js';
import { Proto } from '../decode/protocols.js';
import type { IcmpSection } from '../report/sections/traffic.js';
import { ipv4Text, ipv6TextFromWords } from './address.js';
import type { Analyzer } from './analyzer.js';
import { hashAddress16, QuadKeyTable, round } from './stats.js';

export const MAX_UNREACHABLE = 200;
export const MAX_FRAG_NEEDED = 100;
export const MAX_TIME_EXCEEDED = 100;
export const MAX_TYPES = 100;
/** Echo requests waiting for a reply are tracked up to this many at once (log2 of the table size − 1). */
const ECHO_TABLE_LOG2 = 16;
/** When the echo table is full, requests older than this are given up as unanswered. */
const ECHO_GIVE_UP_SECONDS = 10;

const ICMP4_TYPES: Record<number, string> = {
  0: 'echo reply',
  3: 'destination unreachable',
  4: 'source quench',
  5: 'redirect',
  8: 'echo request',
  9: 'router advertisement',
  10: 'router solicitation',
  11: 'time exceeded',
  12: 'parameter problem',
  13: 'timestamp request',
  14: 'timestamp reply',
  15: 'information request',
  16: 'information reply',
  17: 'address mask request',
  18: 'address mask reply',
  30: 'traceroute',
  40: 'photuris',
  42: 'extended echo request',
  43: 'extended echo reply',
};

const ICMP4_CODES: Record<number, string[]> = {
  3: [
    'network unreachable',
    'host unreachable',
    'protocol unreachable',
    'port unreachable',
    'fragmentation needed',
    'source route failed',
    'destination network unknown',
    'destination host unknown',
    'source host isolated',
    'network administratively prohibited',
    'host administratively prohibited',
    'network unreachable for TOS',
    'host unreachable for TOS',
    'communication administratively prohibited',
    'host precedence violation',
    'precedence cutoff in effect',
  ],
  5: ['redirect for network', 'redirect for host', 'redirect for TOS and network', 'redirect for TOS and host'],
  11: ['TTL exceeded in transit', 'fragment reassembly time exceeded'],
  12: ['pointer indicates the error', 'missing a required option', 'bad length'],
};

const ICMP6_TYPES: Record<number, string> = {
  1: 'destination unreachable',
  2: 'packet too big',
  3: 'time exceeded',
  4: 'parameter problem',
  128: 'echo request',
  129: 'echo reply',
  130: 'multicast listener query',
  131: 'multicast listener report',
  132: 'multicast listener done',
  133: 'router solicitation',
  134: 'router advertisement',
  135: 'neighbor solicitation',
  136: 'neighbor advertisement',
  137: 'redirect',
  138: 'router renumbering',
  139: 'node information query',
  140: 'node information response',
  141: 'inverse neighbor discovery solicitation',
  142: 'inverse neighbor discovery advertisement',
  143: 'multicast listener report v2',
  144: 'home agent address discovery request',
  145: 'home agent address discovery reply',
  146: 'mobile prefix solicitation',
  147: 'mobile prefix advertisement',
  148: 'certification path solicitation',
  149: 'certification path advertisement',
  151: 'multicast router advertisement',
  152: 'multicast router solicitation',
  153: 'multicast router termination',
  155: 'RPL control',
  160: 'extended echo request',
  161: 'extended echo reply',
};

const ICMP6_CODES: Record<number, string[]> = {
  1: [
    'no route to destination',
    'communication administratively prohibited',
    'beyond scope of source address',
    'address unreachable',
    'port unreachable',
    'source address failed ingress/egress policy',
    'reject route to destination',
    'error in source routing header',
  ],
  3: ['hop limit exceeded in transit', 'fragment reassembly time exceeded'],
  4: ['erroneous header field', 'unrecognized next header', 'unrecognized IPv6 option', 'first fragment has incomplete header chain'],
};

/** Name of an ICMP code for a type, e.g. (4, 3, 3) → "port unreachable"; "code N" when unnamed. */
export function icmpCodeName(version: 4 | 6, type: number, code: number): string {
  const names = (version === 4 ? ICMP4_CODES : ICMP6_CODES)[type];
  return names?.[code] ?? `code ${code}`;
}

/** "destination unreachable (port unreachable)", "echo request", "type 77 (code 1)". */
export function icmpTypeName(version: 4 | 6, type: number, code: number): string {
  const t = (version === 4 ? ICMP4_TYPES : ICMP6_TYPES)[type] ?? `type ${type}`;
  const codes = (version === 4 ? ICMP4_CODES : ICMP6_CODES)[type];
  if (codes) return `${t} (${icmpCodeName(version, type, code)})`;
  return code === 0 ? t : `${t} (code ${code})`;
}

type Quoted = IcmpSection['unreachable']['items'][number]['about'];

/**
 * ICMP and ICMPv6: messages by type and code, lists of destination-unreachable, fragmentation-needed /
 * packet-too-big (with the MTU) and time-exceeded errors with what they quote, and echo request/reply
 * matching with round-trip times.
 *
 * `messages` counts frames with ICMP or ICMPv6 at the top level of the dissection, as `tshark -Y
 * "icmp || icmpv6"` counts them (headers quoted inside an ICMP error are not top level; tshark 4.0
 * does not show `icmp` for ICMPv4 messages cut to less than 6 bytes, while `icmpv6` is shown for any). Fragmentation
 * needed (ICMP 3/4) is listed under `fragmentationNeeded` only, not under `unreachable`: it is path-MTU
 * discovery at work rather than a failure to reach the destination (`byType` counts it either way).
 *
 * Echo matching: a reply matches the request with the same identifier and sequence number sent the
 * other way between the same two addresses (IPv6 addresses are folded into 32-bit hashes). Pending
 * requests live in a bounded typed hash table; when it fills, requests older than 10 s are given up as
 * unanswered, and if that frees nothing new requests go untracked (counted in neither answered nor
 * unanswered). Per ICMP packet: a few typed-array updates, a hash probe for echoes, and text only for
 * the first entries of the capped lists.
 */
export class IcmpAnalyzer implements Analyzer<IcmpSection> {
  private messages = 0;
  /** (version << 16 | type << 8 | code) → count; small integer keys, so updates do not allocate. */
  private readonly types = new Map<number, number>();
  private readonly unreachable: IcmpSection['unreachable']['items'] = [];
  private unreachableOmitted = 0;
  private readonly fragNeeded: IcmpSection['fragmentationNeeded']['items'] = [];
  private fragNeededOmitted = 0;
  private readonly timeExceeded: IcmpSection['timeExceeded']['items'] = [];
  private timeExceededOmitted = 0;

  private readonly echo = new QuadKeyTable(ECHO_TABLE_LOG2);
  private requests = 0;
  private replies = 0;
  private answered = 0;
  private untrackedRequests = 0;
  private rttSum = 0;
  private rttMax = 0;
  private nextSweep = -Infinity;

  onPacket(v: PacketView): void {
    const l4 = v.l4;
    if (l4 !== L4.ICMP && l4 !== L4.ICMPV6) {
      // An ICMP header shorter than 4 bytes: tshark 4.0 still shows `icmpv6`, but not `icmp`.
      if (v.has(Proto.ICMPV6)) this.messages++;
      return;
    }
    if (l4 === L4.ICMP && v.payloadCapLen === 0 && icmpv4Bytes(v) < 6) return;
    this.messages++;
    const version = l4 === L4.ICMP ? 4 : 6;
    const type = v.icmpType;
    const code = v.icmpCode;
    const key = (version << 16) | (type << 8) | code;
    this.types.set(key, (this.types.get(key) ?? 0) + 1);
    if (version === 4) {
      if (type === 8) this.echoRequest(v, 4);
      else if (type === 0) this.echoReply(v, 4);
      else if (type === 3) {
        if (code === 4) this.addFragNeeded(v, 4, v.icmpRest & 0xffff);
        else this.addUnreachable(v, 4, code);
      } else if (type === 11) this.addTimeExceeded(v, 4, code);
    } else {
      if (type === 128) this.echoRequest(v, 6);
      else if (type === 129) this.echoReply(v, 6);
      else if (type === 1) this.addUnreachable(v, 6, code);
      else if (type === 2) this.addFragNeeded(v, 6, v.icmpRest >>> 0);
      else if (type === 3) this.addTimeExceeded(v, 6, code);
    }
  }

  // ── echo ──

  /** Hashes of the innermost IP source and destination (IPv4 addresses as they are). */
  private srcKey = 0;
  private dstKey = 0;

  private addressKeys(v: PacketView, version: number): boolean {
    if (version === 4 && v.ipVersion === 4) {
      this.srcKey = v.src4;
      this.dstKey = v.dst4;
      return true;
    }
    const n = v.ipLayerCount;
    if (n === 0 || v.ipLayerVersion[n - 1] !== 6) return false;
    const dv = v.ipLayerDv[n - 1];
    this.srcKey = hashAddress16(dv, v.ipLayerSrcOff[n - 1]);
    this.dstKey = hashAddress16(dv, v.ipLayerDstOff[n - 1]);
    return true;
  }

  private echoRequest(v: PacketView, version: number): void {
    this.requests++;
    if (!this.addressKeys(v, version)) {
      this.untrackedRequests++;
      return;
    }
    const t = this.echo;
    const id = v.icmpRest >>> 0;
    const slot = t.find(id, this.srcKey, this.dstKey, version);
    if (slot >= 0) {
      // The same identifier and sequence again before a reply: a retransmitted request.
      t.value[slot] = v.time;
      return;
    }
    if (t.size >= t.maxEntries && v.time >= this.nextSweep) {
      t.removeBelow(v.time - ECHO_GIVE_UP_SECONDS);
      // When nothing old enough was pending, wait a little before sweeping again.
      if (t.size >= t.maxEntries) this.nextSweep = v.time + 1;
    }
    if (t.insert(id, this.srcKey, this.dstKey, version, v.time) < 0) this.untrackedRequests++;
  }

  private echoReply(v: PacketView, version: number): void {
    this.replies++;
    if (!this.addressKeys(v, version)) return;
    const t = this.echo;
    const slot = t.find(v.icmpRest >>> 0, this.dstKey, this.srcKey, version);
    if (slot < 0) return;
    const rtt = Math.max(0, v.time - t.value[slot]);
    t.remove(slot);
    this.answered++;
    this.rttSum += rtt;
    if (rtt > this.rttMax) this.rttMax = rtt;
  }

  // ── errors ──

  private addUnreachable(v: PacketView, version: 4 | 6, code: number): void {
    if (this.unreachable.length >= MAX_UNREACHABLE) {
      this.unreachableOmitted++;
      return;
    }
    this.unreachable.push({
      frame: v.frame,
      time: Math.max(0, v.time),
      version,
      code,
      codeName: icmpCodeName(version, version === 4 ? 3 : 1, code),
      from: reporter(v),
      about: quoted(v),
    });
  }

  private addFragNeeded(v: PacketView, version: 4 | 6, mtu: number): void {
    if (this.fragNeeded.length >= MAX_FRAG_NEEDED) {
      this.fragNeededOmitted++;
      return;
    }
    this.fragNeeded.push({ frame: v.frame, time: Math.max(0, v.time), version, mtu, from: reporter(v), about: quoted(v) });
  }

  private addTimeExceeded(v: PacketView, version: 4 | 6, code: number): void {
    if (this.timeExceeded.length >= MAX_TIME_EXCEEDED) {
      this.timeExceededOmitted++;
      return;
    }
    this.timeExceeded.push({ frame: v.frame, time: Math.max(0, v.time), version, code, from: reporter(v), about: quoted(v) });
  }

  /** Echo requests still waiting (or given up) — exposed for tests and the health score. */
  get unanswered(): number {
    return Math.max(0, this.requests - this.untrackedRequests - this.answered);
  }

  finish(): IcmpSection {
    const byType = [...this.types.entries()]
      .map(([k, count]) => {
        const version = (k >> 16 === 4 ? 4 : 6) as 4 | 6;
        const type = (k >> 8) & 0xff;
        const code = k & 0xff;
        return { version, type, code, name: icmpTypeName(version, type, code), count };
      })
      .sort((a, b) => b.count - a.count || a.version - b.version || a.type - b.type || a.code - b.code);
    return {
      messages: this.messages,
      byType: { items: byType.slice(0, MAX_TYPES), omitted: Math.max(0, byType.length - MAX_TYPES) },
      unreachable: { items: this.unreachable, omitted: this.unreachableOmitted },
      fragmentationNeeded: { items: this.fragNeeded, omitted: this.fragNeededOmitted },
      timeExceeded: { items: this.timeExceeded, omitted: this.timeExceededOmitted },
      echo: {
        requests: this.requests,
        replies: this.replies,
        unanswered: this.unanswered,
        rtt: this.answered === 0 ? null : { count: this.answered, mean: round(this.rttSum / this.answered, 9), max: round(this.rttMax, 9) },
      },
    };
  }
}

/**
 * Captured bytes of an ICMPv4 message shorter than its 8-byte header. Wireshark 4.0 reads 6 bytes
 * before it adds the `icmp` item, so shorter messages are not `icmp` frames for its filters.
 */
function icmpv4Bytes(v: PacketView): number {
  if (v.l4Buf !== v.buf) return 8; // inside a reassembled datagram: at least a fragment's 8 bytes
  return Math.min(v.off + v.caplen, v.ipOff + v.ipLen) - v.l4Off;
}

/** Source of the IP header carrying the ICMP message (the router or host that reported). */
function reporter(v: PacketView): string {
  const n = v.ipLayerCount;
  if (n === 0) return '';
  const dv = v.ipLayerDv[n - 1];
  const off = v.ipLayerSrcOff[n - 1];
  return v.ipLayerVersion[n - 1] === 4 ? ipv4Text(dv.getUint32(off)) : v6Text(dv, off);
}

function v6Text(dv: DataView, off: number): string {
  return ipv6TextFromWords(dv.getUint32(off), dv.getUint32(off + 4), dv.getUint32(off + 8), dv.getUint32(off + 12));
}

/** The datagram an ICMP error is about: its addresses, protocol and (TCP/UDP) ports. */
function quoted(v: PacketView): Quoted {
  if (!v.icmpInnerValid) return null;
  const dv = v.l4Dv;
  const v4 = v.icmpInnerIpVersion === 4;
  const src = v4 ? ipv4Text(v.icmpInnerSrc4) : v6Text(dv, v.icmpInnerSrcOff);
  const dst = v4 ? ipv4Text(v.icmpInnerDst4) : v6Text(dv, v.icmpInnerDstOff);
  const protocol = Math.max(0, v.icmpInnerProto);
  const portOff = quotedTransportOffset(v);
  const hasPorts = portOff >= 0;
  return {
    src,
    dst,
    protocol,
    srcPort: hasPorts ? dv.getUint16(portOff) : null,
    dstPort: hasPorts ? dv.getUint16(portOff + 2) : null,
  };
}

/**
 * Offset of the quoted TCP/UDP header's ports in v.l4Dv, or -1 when the quote has none (another
 * protocol, a non-first fragment, or cut short). Worked out here rather than trusting
 * v.icmpInnerSrcPort, which the decoder leaves at its previous value when a quote has no ports.
 */
function quotedTransportOffset(v: PacketView): number {
  const proto = v.icmpInnerProto;
  if (proto !== 6 && proto !== 17) return -1;
  const buf = v.l4Buf;
  const dv = v.l4Dv;
  const end = v.payloadOff + v.payloadCapLen;
  let p: number;
  if (v.icmpInnerIpVersion === 4) {
    const hdr = v.icmpInnerSrcOff - 12;
    if ((dv.getUint16(hdr + 6) & 0x1fff) !== 0) return -1;
    p = hdr + (buf[hdr] & 0x0f) * 4;
  } else {
    const hdr = v.icmpInnerSrcOff - 8;
    let next = buf[hdr + 6];
    p = hdr + 40;
    for (let i = 0; i < 8 && (next === 0 || next === 43 || next === 60 || next === 44); i++) {
      if (end - p < 8) return -1;
      const len = next === 44 ? 8 : (buf[p + 1] + 1) * 8;
      next = buf[p];
      p += len;
    }
  }
  return end - p >= 4 ? p : -1;
}
