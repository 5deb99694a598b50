import { RawRecord } from '../capture/types.js';

/** Transport of the innermost header (PacketView.l4): its IP protocol number. */
export const enum L4 {
  NONE = 0,
  TCP = 6,
  UDP = 17,
  ICMP = 1,
  ICMPV6 = 58,
}

/** TCP header flags. */
export const enum TcpFlag {
  FIN = 0x01,
  SYN = 0x02,
  RST = 0x04,
  PSH = 0x08,
  ACK = 0x10,
  URG = 0x20,
  ECE = 0x40,
  CWR = 0x80,
}

// The same as plain constants, for modules outside the per-packet core (the engine's own code uses the
// const enums, whose members bundlers inline: see Proto in protocols.ts).
export const L4_NONE = L4.NONE;
export const L4_TCP = L4.TCP;
export const L4_UDP = L4.UDP;
export const L4_ICMP = L4.ICMP;
export const L4_ICMPV6 = L4.ICMPV6;
export const TCP_FIN = TcpFlag.FIN;
export const TCP_SYN = TcpFlag.SYN;
export const TCP_RST = TcpFlag.RST;
export const TCP_PSH = TcpFlag.PSH;
export const TCP_ACK = TcpFlag.ACK;
export const TCP_URG = TcpFlag.URG;
export const TCP_ECE = TcpFlag.ECE;
export const TCP_CWR = TcpFlag.CWR;

/** Most DNS messages one TCP segment can be credited with; more are counted but not exposed. */
export const MAX_DNS_PER_PACKET = 16;
export const MAX_SACK_BLOCKS = 4;
/** IP headers remembered per frame (outer tunnel headers first). */
export const enum Layers {
  MAX = 4,
}
export const MAX_IP_LAYERS = Layers.MAX;

/**
 * The decoded view of the current packet. One instance is reused for every packet (no per-packet
 * allocation): numbers, and offsets into buffers that are only valid during `onPacket`. Analyzers copy
 * what they keep.
 *
 * Addresses and ports are those of the innermost IP/transport header (inside tunnels); the bit mask
 * `protocols` lists every protocol seen at the top level of the dissection, the way
 * `tshark -z io,phs` counts them (headers quoted inside ICMP errors are not top level).
 */
export class PacketView {
  // ── record ──
  frame = 0;
  iface = 0;
  linkType = 0;
  hasTime = true;
  tsSec = 0;
  tsNsec = 0;
  caplen = 0;
  wireLen = 0;
  streamOffset = 0;
  buf: Uint8Array = new Uint8Array(0);
  dv: DataView = new DataView(new ArrayBuffer(0));
  off = 0;
  truncated = false;
  /** An IP header of this frame declared more bytes than the frame carries (decoded with the frame's). */
  ipLengthExceeded = false;

  /** Seconds since the first timed packet of the capture (set by the engine; negative if earlier). */
  time = 0;

  // ── flow (set by the flow table before analyzers run) ──
  /** Row in the flow table, or -1 (not TCP/UDP, or the table is full). */
  flowIndex = -1;
  /** Wireshark's tcp.stream / udp.stream number, or -1. */
  flowId = -1;
  /** 0 when the packet goes from side A (first sender) to side B, 1 otherwise. */
  flowDir = 0;
  flowNew = false;
  /** This SYN started a new stream on ports an earlier connection used (tcp.analysis.reused_ports). */
  flowReused = false;

  // ── every IP header of the frame, outermost first (tunnels), for endpoint statistics ──
  ipLayerCount = 0;
  readonly ipLayerVersion = new Uint8Array(MAX_IP_LAYERS);
  /** The buffer each header is in (a reassembly buffer for headers inside reassembled datagrams). */
  readonly ipLayerDv: DataView[] = [];
  readonly ipLayerSrcOff = new Int32Array(MAX_IP_LAYERS);
  readonly ipLayerDstOff = new Int32Array(MAX_IP_LAYERS);

  // ── UDP headers that carried a tunnel (VXLAN, Teredo): flows of their own, like Wireshark's udp tap ──
  outerUdpCount = 0;
  readonly outerUdpSrcPort = new Uint16Array(MAX_IP_LAYERS);
  readonly outerUdpDstPort = new Uint16Array(MAX_IP_LAYERS);
  /** Index into the ipLayer arrays of the IP header carrying that UDP header. */
  readonly outerUdpIpLayer = new Uint8Array(MAX_IP_LAYERS);

  // ── decode outcome ──
  protoLo = 0;
  protoHi = 0;
  stop = 0;
  stopDetail = 0;
  /** Outermost 802.1Q VLAN id, or -1. */
  vlanId = -1;
  /** Number of encapsulations crossed (GRE, VXLAN, IP-in-IP …). */
  tunnelDepth = 0;

  // ── network layer (innermost) ──
  ipVersion = 0;
  /** Buffer holding the IP header (the packet buffer). */
  ipOff = 0;
  ipHdrLen = 0;
  /** Datagram length from the header, clamped to the bytes the frame reports. */
  ipLen = 0;
  /** Upper-layer protocol after IPv6 extension headers. */
  ipProto = -1;
  ttl = 0;
  ipId = 0;
  ipDontFragment = false;
  ipMoreFragments = false;
  /** Fragment offset in bytes. */
  ipFragOffset = 0;
  /** This frame is an IP fragment (IPv4 MF/offset or IPv6 fragment header). */
  isFragment = false;
  /** This frame completed the reassembly of a fragmented datagram; L4 fields describe that datagram. */
  reassembled = false;
  /** IPv4 addresses as unsigned 32-bit integers. */
  src4 = 0;
  dst4 = 0;
  /** Address bytes in `buf` (4 or 16 bytes). */
  srcAddrOff = 0;
  dstAddrOff = 0;
  /** IPv6 flow label, for hashing. */
  flowLabel = 0;

  // ── transport layer ──
  l4: number = L4.NONE;
  /** Buffer holding the transport header: the packet buffer, or a reassembly buffer. */
  l4Buf: Uint8Array = new Uint8Array(0);
  l4Dv: DataView = new DataView(new ArrayBuffer(0));
  l4Off = 0;
  srcPort = 0;
  dstPort = 0;
  tcpSeq = 0;
  tcpAck = 0;
  tcpFlags = 0;
  tcpWindow = 0;
  tcpHdrLen = 0;
  tcpUrgent = 0;
  tcpMss = -1;
  tcpWscale = -1;
  tcpSackPermitted = false;
  tcpSackCount = 0;
  /** SACK blocks as [left0, right0, left1, right1, …]. */
  readonly tcpSack = new Float64Array(MAX_SACK_BLOCKS * 2);
  tcpHasTimestamp = false;
  tcpTsVal = 0;
  tcpTsEcr = 0;
  /** Transport payload as the headers declare it (what Wireshark calls tcp.len / udp payload length). */
  payloadLen = 0;
  /** Payload bytes actually present in `l4Buf` from `payloadOff`. */
  payloadCapLen = 0;
  payloadOff = 0;
  udpLength = 0;

  // ── ICMP / ICMPv6 ──
  icmpType = -1;
  icmpCode = -1;
  /** Bytes 4–8 of the ICMP header (identifier/sequence, MTU, pointer…). */
  icmpRest = 0;
  /** The quoted header of an ICMP error, when present. */
  icmpInnerValid = false;
  icmpInnerIpVersion = 0;
  icmpInnerProto = -1;
  icmpInnerSrc4 = 0;
  icmpInnerDst4 = 0;
  icmpInnerSrcOff = 0;
  icmpInnerDstOff = 0;
  icmpInnerSrcPort = -1;
  icmpInnerDstPort = -1;
  /**
   * A TCP header quoted in the error (icmpInnerProto 6): how many of its bytes the quote holds (0 when
   * there is none; valid only while icmpInnerValid), its offset in l4Buf, and its fields. Wireshark
   * dissects a quoted TCP header, gives it a conversation and tcp.stream, and shows its flags, once at
   * least 16 bytes are quoted; the fields below are set from that length on.
   */
  icmpInnerTcpCapLen = 0;
  icmpInnerTcpOff = 0;
  icmpInnerTcpSeq = 0;
  icmpInnerTcpAck = 0;
  icmpInnerTcpFlags = 0;
  icmpInnerTcpWindow = 0;
  icmpInnerTcpHdrLen = 0;
  /** Window-scale shift of an option wholly inside the quote, or -1. */
  icmpInnerTcpWscale = -1;

  // ── DNS ── (messages found in this frame; for TCP, the ones completed by this segment)
  dnsCount = 0;
  /** DNS messages seen inside ICMP error quotes are flagged so transaction matching can skip them. */
  dnsInIcmpError = false;
  readonly dnsBuf: Uint8Array[] = [];
  readonly dnsOff = new Int32Array(MAX_DNS_PER_PACKET);
  readonly dnsLen = new Int32Array(MAX_DNS_PER_PACKET);
  dnsOverTcp = false;

  setRecord(rec: RawRecord): void {
    this.frame = rec.frame;
    this.iface = rec.iface;
    this.linkType = rec.linkType;
    this.hasTime = rec.hasTime;
    this.tsSec = rec.tsSec;
    this.tsNsec = rec.tsNsec;
    this.caplen = rec.caplen;
    this.wireLen = rec.wireLen;
    this.streamOffset = rec.streamOffset;
    this.buf = rec.buf;
    this.dv = rec.dv;
    this.off = rec.off;
    this.truncated = rec.caplen < rec.wireLen;
    this.protoLo = 0;
    this.protoHi = 0;
    this.stop = 0;
    this.stopDetail = 0;
    this.vlanId = -1;
    this.tunnelDepth = 0;
    this.ipVersion = 0;
    this.ipLayerCount = 0;
    this.outerUdpCount = 0;
    this.ipProto = -1;
    this.isFragment = false;
    this.reassembled = false;
    this.l4 = L4.NONE;
    this.srcPort = 0;
    this.dstPort = 0;
    this.tcpFlags = 0;
    this.payloadLen = 0;
    this.payloadCapLen = 0;
    this.icmpType = -1;
    this.icmpCode = -1;
    this.icmpInnerValid = false;
    this.icmpInnerSrcPort = -1;
    this.icmpInnerDstPort = -1;
    this.ipLengthExceeded = false;
    this.dnsCount = 0;
    this.dnsInIcmpError = false;
    this.dnsOverTcp = false;
  }

  /** Remembers an IP header (addresses at buf[srcOff], buf[dstOff]) for per-layer statistics. */
  addIpLayer(version: number, dv: DataView, srcOff: number, dstOff: number): void {
    const i = this.ipLayerCount;
    if (i >= Layers.MAX) return;
    this.ipLayerVersion[i] = version;
    this.ipLayerDv[i] = dv;
    this.ipLayerSrcOff[i] = srcOff;
    this.ipLayerDstOff[i] = dstOff;
    this.ipLayerCount = i + 1;
  }

  /** Remembers a DNS message at buf[off, off+len); messages beyond the per-packet limit are not analysed. */
  addDnsMessage(buf: Uint8Array, off: number, len: number): void {
    const i = this.dnsCount;
    if (i >= this.dnsOff.length) return;
    this.dnsBuf[i] = buf;
    this.dnsOff[i] = off;
    this.dnsLen[i] = len;
    this.dnsCount = i + 1;
  }

  mark(protocol: number): void {
    if (protocol < 32) this.protoLo |= 1 << protocol;
    else this.protoHi |= 1 << (protocol - 32);
  }

  has(protocol: number): boolean {
    return protocol < 32 ? (this.protoLo & (1 << protocol)) !== 0 : (this.protoHi & (1 << (protocol - 32))) !== 0;
  }

  /** Records why decoding stopped; the first reason wins. */
  halt(code: number, detail: number): void {
    if (this.stop === 0) {
      this.stop = code;
      this.stopDetail = detail;
    }
  }

  /** Packet time in seconds relative to a base second, exact to the nanosecond for short captures. */
  relTime(baseSec: number): number {
    return this.tsSec - baseSec + this.tsNsec / 1e9;
  }
}
