import { L4_TCP, L4_UDP, TCP_ACK, TCP_SYN, type PacketView } from '../decode/packet.js';
import { TupleTable } from './tuple-table.js';

/** Flows tracked individually; beyond this, packets of new flows are counted but not tabled. */
export const MAX_FLOWS = 400_000;

/**
 * TCP and UDP flows numbered like Wireshark's tcp.stream / udp.stream: by order of first appearance,
 * ignoring VLANs, with a new TCP stream when a SYN reuses the ports of an earlier connection with a
 * different initial sequence number (Wireshark's "reused ports"). Side A of a flow is the source of
 * its first packet, as in `tshark -z conv`.
 *
 * Sets on every TCP/UDP packet: v.flowIndex (row, or -1 when untracked), v.flowId (stream number),
 * v.flowDir (0 A→B, 1 B→A), v.flowNew and v.flowReused.
 */
export class FlowTable {
  readonly tuples = new TupleTable(MAX_FLOWS, 4096);
  streamId = new Int32Array(4096);
  firstTime = new Float64Array(4096);
  lastTime = new Float64Array(4096);
  firstFrame = new Int32Array(4096);
  packetsAB = new Float64Array(4096);
  packetsBA = new Float64Array(4096);
  bytesAB = new Float64Array(4096);
  bytesBA = new Float64Array(4096);
  /** Wireshark's base_seq per direction (−1 until a segment was seen that way). */
  baseSeqAB = new Float64Array(4096);
  baseSeqBA = new Float64Array(4096);
  tcpStreams = 0;
  udpStreams = 0;
  untrackedFlows = 0;
  untrackedPackets = 0;

  constructor() {
    this.tuples.onGrow = (cap) => this.grow(cap);
    this.baseSeqAB.fill(-1);
    this.baseSeqBA.fill(-1);
  }

  get size(): number {
    return this.tuples.size;
  }

  classify(v: PacketView): void {
    v.flowIndex = -1;
    v.flowId = -1;
    v.flowNew = false;
    v.flowReused = false;
    // Tunnel-carrying UDP headers are conversations of their own (Wireshark taps every UDP header).
    for (let i = 0; i < v.outerUdpCount; i++) {
      const layer = v.outerUdpIpLayer[i];
      this.loadAddresses(v.ipLayerVersion[layer], v.ipLayerDv[layer], v.ipLayerSrcOff[layer], v.ipLayerDstOff[layer]);
      this.track(v, v.ipLayerVersion[layer], L4_UDP, v.outerUdpSrcPort[i], v.outerUdpDstPort[i], false);
    }
    const l4 = v.l4;
    if (l4 !== L4_TCP && l4 !== L4_UDP) return;
    if (v.ipVersion === 4) {
      const w = this.w;
      w[0] = v.src4;
      w[4] = v.dst4;
      w[1] = w[2] = w[3] = w[5] = w[6] = w[7] = 0;
    } else {
      this.loadAddresses(6, v.dv, v.srcAddrOff, v.dstAddrOff);
    }
    const idx = this.track(v, v.ipVersion, l4, v.srcPort, v.dstPort, true);
    if (idx < 0) return;
    v.flowIndex = idx;
    v.flowId = this.streamId[idx];
    v.flowDir = this.tuples.dir;
  }

  /** Source words w[0..3], destination w[4..7]. */
  private readonly w = new Uint32Array(8);

  private loadAddresses(version: number, dv: DataView, so: number, dof: number): void {
    const w = this.w;
    if (version === 4) {
      w[0] = dv.getUint32(so);
      w[4] = dv.getUint32(dof);
      w[1] = w[2] = w[3] = w[5] = w[6] = w[7] = 0;
      return;
    }
    for (let i = 0; i < 4; i++) {
      w[i] = dv.getUint32(so + i * 4);
      w[4 + i] = dv.getUint32(dof + i * 4);
    }
  }

  /** Finds or starts the flow of the addresses in `w` and the given ports; counts the packet. */
  private track(v: PacketView, version: number, l4: number, sp: number, dp: number, innermost: boolean): number {
    const t = this.tuples;
    const w = this.w;
    let idx = t.find(version, l4, w[0], w[1], w[2], w[3], sp, w[4], w[5], w[6], w[7], dp);
    const isTcp = l4 === L4_TCP;
    if (idx < 0) {
      idx = t.insert(idx, version, l4, w[0], w[1], w[2], w[3], sp, w[4], w[5], w[6], w[7], dp);
      if (idx < 0) {
        this.untracked(v, isTcp);
        return -1;
      }
      this.start(idx, v, isTcp, innermost);
    } else if (isTcp && innermost && (v.tcpFlags & (TCP_SYN | TCP_ACK)) === TCP_SYN) {
      // A new connection on the same ports: Wireshark starts a new stream when the SYN's sequence
      // number differs from the base sequence number already seen in that direction.
      const base = t.dir === 0 ? this.baseSeqAB[idx] : this.baseSeqBA[idx];
      if (base >= 0 && base !== v.tcpSeq) {
        const n = t.supersede(idx, w[0], w[1], w[2], w[3], sp, w[4], w[5], w[6], w[7], dp);
        if (n < 0) {
          this.untracked(v, isTcp);
          return -1;
        }
        idx = n;
        this.start(idx, v, isTcp, innermost);
        v.flowReused = true;
      }
    }
    const dir = t.dir;
    const time = v.time;
    if (time > this.lastTime[idx]) this.lastTime[idx] = time;
    if (time < this.firstTime[idx]) this.firstTime[idx] = time;
    if (dir === 0) {
      this.packetsAB[idx]++;
      this.bytesAB[idx] += v.wireLen;
      if (isTcp && this.baseSeqAB[idx] < 0) this.baseSeqAB[idx] = v.tcpSeq;
    } else {
      this.packetsBA[idx]++;
      this.bytesBA[idx] += v.wireLen;
      if (isTcp && this.baseSeqBA[idx] < 0) this.baseSeqBA[idx] = v.tcpSeq;
    }
    return idx;
  }

  private start(idx: number, v: PacketView, isTcp: boolean, innermost: boolean): void {
    this.streamId[idx] = isTcp ? this.tcpStreams++ : this.udpStreams++;
    this.firstTime[idx] = v.time;
    this.lastTime[idx] = v.time;
    this.firstFrame[idx] = v.frame;
    this.baseSeqAB[idx] = -1;
    this.baseSeqBA[idx] = -1;
    if (innermost) v.flowNew = true;
  }

  private untracked(v: PacketView, isTcp: boolean): void {
    // The table is full: the packet still gets a stream number of its own kind so counts stay honest,
    // but its flow cannot be followed.
    this.untrackedPackets++;
    if (v.tcpFlags & TCP_SYN || !isTcp) this.untrackedFlows++;
  }

  /** Endpoint of side A or B of flow `idx` as text, e.g. "10.0.0.1" / "2001:db8::1". */
  address(idx: number, side: 0 | 1, format: (version: number, w: Uint32Array, off: number) => string): string {
    return format(this.tuples.version[idx], side === 0 ? this.tuples.addrA : this.tuples.addrB, idx * 4);
  }

  port(idx: number, side: 0 | 1): number {
    return side === 0 ? this.tuples.portA[idx] : this.tuples.portB[idx];
  }

  isTcp(idx: number): boolean {
    return this.tuples.proto[idx] === L4_TCP;
  }

  private grow(cap: number): void {
    const f64 = (a: Float64Array, fill = 0) => {
      const b = new Float64Array(cap);
      if (fill) b.fill(fill);
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
    this.baseSeqAB = f64(this.baseSeqAB, -1);
    this.baseSeqBA = f64(this.baseSeqBA, -1);
  }
}
