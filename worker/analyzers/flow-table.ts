import { L4, TcpFlag, type PacketView } from '../decode/packet.js';
import { Layer, Stop } from '../decode/protocols.js';
import { TupleTable } from './tuple-table.js';

/** Flows tracked individually; beyond this, packets of new flows are counted but not tabled. */
export const MAX_FLOWS = 400_000;
/** Rows of the first columns; the tuple table grows them (see TupleTable.grow). */
const INITIAL_ROWS = 4096;

/** Bits of `FlowTable.flags`. */
const enum Row {
  /** A header of the flow reached Wireshark's tcp tap (what -z conv,tcp counts). */
  TAPPED = 1,
  /**
   * A flow seen so far only where analyzers do not see it — a TCP flow in ICMP quotes or cut headers,
   * a UDP flow as a tunnel's outer header — so the first packet of it analyzers see is `flowNew`.
   */
  UNANNOUNCED = 2,
  /** baseSeqAB / baseSeqBA is set. */
  BASE_AB = 4,
  BASE_BA = 8,
}

/**
 * The TCP header of the current frame as Wireshark 4.0's TCP dissector sees it, after the
 * conversation lookup (docs/tcp-analysis-wireshark-4.0.md §3, §5 steps 1–6, §8). Filled by
 * `FlowTable.classify` for the frame's TCP header, whether it is the frame's own, one whose header is
 * cut short (16–19 bytes captured, or a bogus header length), or one quoted inside an ICMP error.
 * Reused for every frame: read it during `onPacket` only.
 */
export class TcpLayer {
  /** A TCP header was processed for the current frame (at least 16 of its bytes captured, flow tabled). */
  present = false;
  /** Flow row and Wireshark tcp.stream of the conversation the header belongs to. */
  idx = -1;
  stream = -1;
  /** 0: sent by side A of the row, 1: by side B. */
  dir = 0;
  /** The row was created by this header (first header of the 4-tuple, or port reuse). */
  isNew = false;
  /** Row this header replaced (a pure SYN with another ISN on the same ports), else -1. */
  superseded = -1;
  /** Wireshark's TCP_A_REUSED_PORTS on this header: a new stream on reused ports, or a SYN/ACK whose ISN changed. */
  reusedPorts = false;
  /** A pure SYN with the ISN already known for its side (a SYN retransmission: Wireshark restores nextseq). */
  synSameIsn = false;
  /** Inside an ICMP error: finds/creates conversations, never analysed (tcp.len unknown). */
  quoted = false;
  /** Reaches Wireshark's tcp tap (whole header captured, header length ≥ 20, not quoted). */
  tapped = false;
  /** Raw seq and ack as int32 (same bits as the u32 fields; `>>> 0` gives the unsigned value). */
  seq = 0;
  ack = 0;
  flags = 0;
  win = 0;
  hl = 0;
  /** tcp.len (reported length − header length), or -1 when Wireshark does not know it (no analysis). */
  seglen = -1;
  /** Fewer captured bytes than the header length: analysed, but Wireshark shows no analysis for it. */
  truncated = false;
  /** Window-scale shift of an option wholly captured, or -1. */
  wscale = -1;
  /** MSS option value, or -1. */
  mss = -1;
}

/**
 * TCP and UDP flows numbered like Wireshark's tcp.stream / udp.stream: by order of first appearance,
 * ignoring VLANs. For TCP this is exactly Wireshark 4.0.17's conversation logic (spec §8): a new stream
 * only for a 4-tuple not seen before, or for a pure SYN whose raw sequence number differs from the
 * base sequence number already known for its side. A side's base sequence number is set from its
 * first analysed segment (seq − 1, or seq for a SYN) or from the other side's first ACK-flagged
 * segment (ack − 1); a SYN/ACK with another ISN only replaces it. TCP headers quoted in ICMP errors
 * (≥ 16 bytes quoted) and headers cut short also find or create conversations and so consume stream
 * numbers, but — like `tshark -z conv,tcp` — only headers that reach Wireshark's tcp tap count as
 * conversation packets (`tcpStreams`, packets, bytes). Side A of a flow is the source of its first
 * packet, as in `tshark -z conv`.
 *
 * Sets on every TCP/UDP packet: v.flowIndex (row, or -1 when untracked), v.flowId (stream number),
 * v.flowDir (0 A→B, 1 B→A), v.flowNew and v.flowReused; and `tcp` (the frame's TCP header, for the
 * TCP analyzer).
 */
export class FlowTable {
  readonly tuples = new TupleTable(MAX_FLOWS, INITIAL_ROWS);
  streamId = new Int32Array(INITIAL_ROWS);
  firstTime = new Float64Array(INITIAL_ROWS);
  lastTime = new Float64Array(INITIAL_ROWS);
  firstFrame = new Int32Array(INITIAL_ROWS);
  packetsAB = new Float64Array(INITIAL_ROWS);
  packetsBA = new Float64Array(INITIAL_ROWS);
  bytesAB = new Float64Array(INITIAL_ROWS);
  bytesBA = new Float64Array(INITIAL_ROWS);
  /** Wireshark's base_seq per side of a TCP flow (valid while the Row.BASE_AB / BASE_BA bit is set). */
  private baseSeqAB = new Uint32Array(INITIAL_ROWS);
  private baseSeqBA = new Uint32Array(INITIAL_ROWS);
  /** Row.* bits per flow. */
  private flags = new Uint8Array(INITIAL_ROWS);
  /** TCP conversations as `tshark -z conv,tcp` counts them (streams with at least one tapped header). */
  tcpStreams = 0;
  /** tcp.stream numbers handed out (also to streams only seen in ICMP quotes or cut headers). */
  tcpStreamNumbers = 0;
  udpStreams = 0;
  untrackedFlows = 0;
  untrackedPackets = 0;
  /** The current frame's TCP header (see TcpLayer). */
  readonly tcp = new TcpLayer();

  constructor() {
    this.tuples.onGrow = (cap) => this.grow(cap);
  }

  get size(): number {
    return this.tuples.size;
  }

  classify(v: PacketView): void {
    v.flowIndex = -1;
    v.flowId = -1;
    v.flowNew = false;
    v.flowReused = false;
    this.tcp.present = false;
    // Tunnel-carrying UDP headers are conversations of their own (Wireshark taps every UDP header).
    for (let i = 0; i < v.outerUdpCount; i++) {
      const layer = v.outerUdpIpLayer[i];
      this.loadAddresses(v.ipLayerVersion[layer], v.ipLayerDv[layer], v.ipLayerSrcOff[layer], v.ipLayerDstOff[layer]);
      this.tuples.setPorts(v.outerUdpSrcPort[i], v.outerUdpDstPort[i]);
      this.trackUdp(v, v.ipLayerVersion[layer], false);
    }
    const l4 = v.l4;
    if (l4 === L4.TCP) {
      this.realTcp(v);
      return;
    }
    if (l4 === L4.UDP) {
      this.loadInnermost(v);
      this.tuples.setPorts(v.srcPort, v.dstPort);
      const idx = this.trackUdp(v, v.ipVersion, true);
      if (idx < 0) return;
      v.flowIndex = idx;
      v.flowId = this.streamId[idx];
      v.flowDir = this.tuples.dir;
      return;
    }
    if (l4 === L4.ICMP || l4 === L4.ICMPV6) {
      if (v.icmpInnerValid && v.icmpInnerProto === 6 && v.icmpInnerTcpCapLen >= 16) this.quotedTcp(v);
      return;
    }
    if (l4 === L4.NONE && v.ipProto === 6 && v.stopDetail === Layer.TCP && (v.stop === Stop.TRUNCATED || v.stop === Stop.MALFORMED)) {
      this.partialTcp(v);
    }
  }

  /** Puts the innermost header's addresses into the tuple table's key. */
  private loadInnermost(v: PacketView): void {
    if (v.ipVersion === 4) this.tuples.setV4(v.src4 | 0, v.dst4 | 0);
    else this.tuples.setV6(v.dv, v.srcAddrOff, v.dstAddrOff);
  }

  private loadAddresses(version: number, dv: DataView, so: number, dof: number): void {
    if (version === 4) this.tuples.setV4(dv.getInt32(so), dv.getInt32(dof));
    else this.tuples.setV6(dv, so, dof);
  }

  // ───────────────────────── TCP ─────────────────────────

  /** The frame's own TCP header (the decoder got at least 20 bytes of it). */
  private realTcp(v: PacketView): void {
    const L = this.tcp;
    L.quoted = false;
    L.seq = v.tcpSeq | 0;
    L.ack = v.tcpAck | 0;
    L.flags = v.tcpFlags;
    L.win = v.tcpWindow;
    const hl = v.tcpHdrLen;
    L.hl = hl;
    L.wscale = v.tcpWscale;
    L.mss = v.tcpMss;
    const cutHere = v.stopDetail === Layer.TCP;
    if (hl < 20) {
      // Bogus header length (only if the decoder hands these over as TCP): analysed with
      // tcp.len = reported − hl, nothing shown (spec §5 step 7, §12 #11).
      L.seglen = this.bogusSeglen(v, hl);
      L.truncated = false;
    } else if (cutHere && v.stop === Stop.MALFORMED) {
      // Reported length shorter than the header: tcp.len unknown, and the header cannot be whole.
      L.seglen = -1;
      L.truncated = true;
    } else {
      L.seglen = v.payloadLen;
      L.truncated = cutHere && v.stop === Stop.TRUNCATED;
    }
    L.tapped = hl >= 20 && !L.truncated;
    this.loadInnermost(v);
    this.tuples.setPorts(v.srcPort, v.dstPort);
    if (!this.tcpHeader(v, v.ipVersion)) return;
    const idx = L.idx;
    v.flowIndex = idx;
    v.flowId = L.stream;
    v.flowDir = L.dir;
    v.flowNew = L.isNew || (this.flags[idx] & Row.UNANNOUNCED) !== 0;
    this.flags[idx] &= ~Row.UNANNOUNCED;
    v.flowReused = L.reusedPorts && L.isNew;
    this.count(v, idx, L.dir, L.tapped);
  }

  /**
   * A header the decoder stopped in: fewer than 20 bytes captured, or a header length below 20. Wireshark
   * still reads it once 16 bytes are there (spec §5 steps 1 and 7). Only for datagrams in the frame buffer.
   */
  private partialTcp(v: PacketView): void {
    if (v.isFragment || v.reassembled || (v.ipVersion !== 4 && v.ipVersion !== 6)) return;
    const off = v.ipOff + v.ipHdrLen;
    const captured = Math.min(v.off + v.caplen, v.ipOff + v.ipLen) - off;
    if (captured < 16) return;
    const L = this.tcp;
    const dv = v.dv;
    const buf = v.buf;
    const hl = (buf[off + 12] >> 4) * 4;
    L.quoted = false;
    L.seq = dv.getInt32(off + 4);
    L.ack = dv.getInt32(off + 8);
    L.flags = buf[off + 13] | ((buf[off + 12] & 1) << 8);
    L.win = dv.getUint16(off + 14);
    L.hl = hl;
    L.wscale = -1;
    L.mss = -1;
    const reported = v.ipLen - v.ipHdrLen;
    L.seglen = reported >= hl ? reported - hl : -1;
    L.truncated = captured < hl;
    L.tapped = hl >= 20 && !L.truncated;
    this.loadInnermost(v);
    this.tuples.setPorts(dv.getUint16(off), dv.getUint16(off + 2));
    if (!this.tcpHeader(v, v.ipVersion)) return;
    if (L.isNew) this.flags[L.idx] |= Row.UNANNOUNCED;
    this.count(v, L.idx, L.dir, L.tapped);
  }

  private bogusSeglen(v: PacketView, hl: number): number {
    const reported = v.reassembled || v.isFragment ? v.payloadLen + hl : v.ipLen - v.ipHdrLen;
    return reported >= hl ? reported - hl : -1;
  }

  /** A TCP header quoted in an ICMP/ICMPv6 error (at least 16 bytes of it). */
  private quotedTcp(v: PacketView): void {
    const L = this.tcp;
    L.quoted = true;
    L.tapped = false;
    L.seq = v.icmpInnerTcpSeq | 0;
    L.ack = v.icmpInnerTcpAck | 0;
    L.flags = v.icmpInnerTcpFlags;
    L.win = v.icmpInnerTcpWindow;
    L.hl = v.icmpInnerTcpHdrLen;
    L.wscale = v.icmpInnerTcpWscale;
    L.mss = -1;
    L.seglen = -1;
    L.truncated = v.icmpInnerTcpCapLen < L.hl;
    const version = v.icmpInnerIpVersion;
    if (version === 4) this.tuples.setV4(v.icmpInnerSrc4 | 0, v.icmpInnerDst4 | 0);
    else this.tuples.setV6(v.l4Dv, v.icmpInnerSrcOff, v.icmpInnerDstOff);
    this.tuples.setPorts(v.icmpInnerSrcPort, v.icmpInnerDstPort);
    if (this.tcpHeader(v, version) && L.isNew) this.flags[L.idx] |= Row.UNANNOUNCED;
  }

  /**
   * Wireshark's conversation lookup and base_seq bookkeeping for the header in `tcp` (addresses and
   * ports in the tuple table's key). Returns false (and counts the packet as untracked) when the table
   * is full.
   */
  private tcpHeader(v: PacketView, version: number): boolean {
    const L = this.tcp;
    const t = this.tuples;
    L.isNew = false;
    L.superseded = -1;
    L.reusedPorts = false;
    L.synSameIsn = false;
    let idx = t.lookup(version, L4.TCP);
    if (idx < 0) {
      idx = t.insert(idx, version, L4.TCP);
      if (idx < 0) {
        this.untracked(v, true);
        return false;
      }
      this.start(idx, v, true);
      L.isNew = true;
    }
    const seq = L.seq >>> 0;
    const flags = L.flags;
    const synAck = flags & (TcpFlag.SYN | TcpFlag.ACK);
    if (synAck === TcpFlag.SYN) {
      if (this.flags[idx] & (t.dir === 0 ? Row.BASE_AB : Row.BASE_BA)) {
        const base = t.dir === 0 ? this.baseSeqAB[idx] : this.baseSeqBA[idx];
        if (base !== seq) {
          // Port reuse: a new conversation (and stream) for the same 4-tuple; later packets go to it.
          const n = t.supersede(idx);
          if (n < 0) {
            this.untracked(v, true);
            return false;
          }
          L.superseded = idx;
          idx = n;
          this.start(idx, v, true);
          L.isNew = true;
          L.reusedPorts = true;
        } else {
          L.synSameIsn = true;
        }
      }
    } else if (synAck === (TcpFlag.SYN | TcpFlag.ACK)) {
      // A SYN/ACK with another ISN: reused_ports and a new base, but no new stream in 4.0.
      const side = t.dir === 0 ? this.baseSeqAB : this.baseSeqBA;
      if (this.flags[idx] & (t.dir === 0 ? Row.BASE_AB : Row.BASE_BA) && side[idx] !== seq) {
        side[idx] = seq;
        L.reusedPorts = true;
      }
    }
    const dir = t.dir;
    if (L.seglen >= 0) {
      const fwdBit = dir === 0 ? Row.BASE_AB : Row.BASE_BA;
      const revBit = dir === 0 ? Row.BASE_BA : Row.BASE_AB;
      const set = this.flags[idx];
      if ((set & fwdBit) === 0) {
        (dir === 0 ? this.baseSeqAB : this.baseSeqBA)[idx] = flags & TcpFlag.SYN ? seq : (seq - 1) >>> 0;
        this.flags[idx] |= fwdBit;
      }
      if ((set & revBit) === 0 && flags & TcpFlag.ACK) {
        (dir === 0 ? this.baseSeqBA : this.baseSeqAB)[idx] = (L.ack - 1) >>> 0;
        this.flags[idx] |= revBit;
      }
    }
    L.idx = idx;
    L.stream = this.streamId[idx];
    L.dir = dir;
    L.present = true;
    return true;
  }

  /** Counts a frame's own TCP header against its flow row. */
  private count(v: PacketView, idx: number, dir: number, tapped: boolean): void {
    const time = v.time;
    if (time > this.lastTime[idx]) this.lastTime[idx] = time;
    if (time < this.firstTime[idx]) this.firstTime[idx] = time;
    if (!tapped) return;
    if ((this.flags[idx] & Row.TAPPED) === 0) {
      this.flags[idx] |= Row.TAPPED;
      this.tcpStreams++;
    }
    if (dir === 0) {
      this.packetsAB[idx]++;
      this.bytesAB[idx] += v.wireLen;
    } else {
      this.packetsBA[idx]++;
      this.bytesBA[idx] += v.wireLen;
    }
  }

  // ───────────────────────── UDP ─────────────────────────

  /** Finds or starts the UDP flow of the tuple in the tuple table's key; counts the packet. */
  private trackUdp(v: PacketView, version: number, innermost: boolean): number {
    const t = this.tuples;
    let idx = t.lookup(version, L4.UDP);
    if (idx < 0) {
      idx = t.insert(idx, version, L4.UDP);
      if (idx < 0) {
        this.untracked(v, false);
        return -1;
      }
      this.start(idx, v, false);
      this.flags[idx] |= Row.UNANNOUNCED;
    }
    if (innermost && (this.flags[idx] & Row.UNANNOUNCED) !== 0) {
      v.flowNew = true;
      this.flags[idx] &= ~Row.UNANNOUNCED;
    }
    const dir = t.dir;
    const time = v.time;
    if (time > this.lastTime[idx]) this.lastTime[idx] = time;
    if (time < this.firstTime[idx]) this.firstTime[idx] = time;
    if (dir === 0) {
      this.packetsAB[idx]++;
      this.bytesAB[idx] += v.wireLen;
    } else {
      this.packetsBA[idx]++;
      this.bytesBA[idx] += v.wireLen;
    }
    return idx;
  }

  private start(idx: number, v: PacketView, isTcp: boolean): void {
    this.streamId[idx] = isTcp ? this.tcpStreamNumbers++ : this.udpStreams++;
    this.firstTime[idx] = v.time;
    this.lastTime[idx] = v.time;
    this.firstFrame[idx] = v.frame;
    this.flags[idx] &= ~(Row.BASE_AB | Row.BASE_BA);
  }

  private untracked(v: PacketView, isTcp: boolean): void {
    // The table is full: the packet is counted so totals stay honest, but its flow cannot be followed.
    this.untrackedPackets++;
    if (!isTcp || this.tcp.flags & TcpFlag.SYN) this.untrackedFlows++;
  }

  /** Endpoint of side A or B of flow `idx` as text, e.g. "10.0.0.1" / "2001:db8::1". */
  address(idx: number, side: 0 | 1, format: (version: number, w: Uint32Array, off: number) => string): string {
    return format(this.tuples.version[idx], side === 0 ? this.tuples.addrA : this.tuples.addrB, idx * 4);
  }

  port(idx: number, side: 0 | 1): number {
    return side === 0 ? this.tuples.portA[idx] : this.tuples.portB[idx];
  }

  isTcp(idx: number): boolean {
    return this.tuples.proto[idx] === L4.TCP;
  }

  private grow(cap: number): void {
    const f64 = (a: Float64Array) => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    const i32 = (a: Int32Array) => {
      const b = new Int32Array(cap);
      b.set(a);
      return b;
    };
    this.streamId = i32(this.streamId);
    this.firstFrame = i32(this.firstFrame);
    this.firstTime = f64(this.firstTime);
    this.lastTime = f64(this.lastTime);
    this.packetsAB = f64(this.packetsAB);
    this.packetsBA = f64(this.packetsBA);
    this.bytesAB = f64(this.bytesAB);
    this.bytesBA = f64(this.bytesBA);
    const u32 = (a: Uint32Array) => {
      const b = new Uint32Array(cap);
      b.set(a);
      return b;
    };
    this.baseSeqAB = u32(this.baseSeqAB);
    this.baseSeqBA = u32(this.baseSeqBA);
    const flags = new Uint8Array(cap);
    flags.set(this.flags);
    this.flags = flags;
  }
}
