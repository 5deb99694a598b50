import type { PacketView } from '../decode/packet.js';
import {
  MAX_ENDPOINTS,
  MAX_IP_CONVERSATIONS,
  MAX_TCP_CONVERSATIONS,
  MAX_UDP_CONVERSATIONS,
  type ConversationsSection,
  type EndpointRow,
  type FlowRow,
  type IpConversation,
} from '../report/sections/conversations.js';
import { ipv4Text, ipv6TextFromWords } from './address.js';
import type { Analyzer, FinishContext } from './analyzer.js';
import type { FlowTable } from './flow-table.js';
import { serviceName } from './services.js';
import { TupleTable } from './tuple-table.js';

const MAX_IP_PAIRS = 200_000;
const MAX_ENDPOINT_ENTRIES = 200_000;

export function tupleAddress(version: number, words: Uint32Array, off: number): string {
  return version === 4 ? ipv4Text(words[off]) : ipv6TextFromWords(words[off], words[off + 1], words[off + 2], words[off + 3]);
}

/** Growable float columns for per-entry statistics. */
class Columns {
  readonly cols: Float64Array[];
  constructor(n: number) {
    this.cols = Array.from({ length: n }, () => new Float64Array(1024));
  }
  ensure(cap: number): void {
    for (let i = 0; i < this.cols.length; i++) {
      if (this.cols[i].length >= cap) continue;
      const b = new Float64Array(Math.max(cap, this.cols[i].length * 2));
      b.set(this.cols[i]);
      this.cols[i] = b;
    }
  }
}

/**
 * Endpoints and conversations like `tshark -z endpoints,ip|ipv6` and `-z conv,ip|tcp|udp`. TCP/UDP
 * conversations come from the shared flow table; address pairs and endpoints are counted here for
 * every IP header of a frame (tunnels count their outer and inner addresses, as Wireshark's ip tap does).
 */
export class ConversationsAnalyzer implements Analyzer<ConversationsSection> {
  private readonly pairs = new TupleTable(MAX_IP_PAIRS, 1024);
  private readonly pairStats = new Columns(6); // packetsAB, bytesAB, packetsBA, bytesBA, first, last
  private readonly hosts = new TupleTable(MAX_ENDPOINT_ENTRIES, 1024);
  private readonly hostStats = new Columns(4); // txPackets, txBytes, rxPackets, rxBytes
  private untrackedPairs = 0;
  private untrackedHosts = 0;

  constructor(private readonly flows: FlowTable) {}

  onPacket(v: PacketView): void {
    const n = v.ipLayerCount;
    for (let i = 0; i < n; i++) this.ipLayer(v, v.ipLayerVersion[i], v.ipLayerDv[i], v.ipLayerSrcOff[i], v.ipLayerDstOff[i]);
  }

  private ipLayer(v: PacketView, version: number, dv: DataView, so: number, dof: number): void {
    let s0: number, s1 = 0, s2 = 0, s3 = 0, d0: number, d1 = 0, d2 = 0, d3 = 0;
    if (version === 4) {
      s0 = dv.getUint32(so);
      d0 = dv.getUint32(dof);
    } else {
      s0 = dv.getUint32(so);
      s1 = dv.getUint32(so + 4);
      s2 = dv.getUint32(so + 8);
      s3 = dv.getUint32(so + 12);
      d0 = dv.getUint32(dof);
      d1 = dv.getUint32(dof + 4);
      d2 = dv.getUint32(dof + 8);
      d3 = dv.getUint32(dof + 12);
    }
    const len = v.wireLen;
    // Address pair.
    const p = this.pairs;
    let idx = p.find(version, 0, s0, s1, s2, s3, 0, d0, d1, d2, d3, 0);
    if (idx < 0) {
      idx = p.insert(idx, version, 0, s0, s1, s2, s3, 0, d0, d1, d2, d3, 0);
      if (idx >= 0) {
        this.pairStats.ensure(p.capacity);
        this.pairStats.cols[4][idx] = v.time;
        this.pairStats.cols[5][idx] = v.time;
      } else this.untrackedPairs++;
    }
    if (idx >= 0) {
      const c = this.pairStats.cols;
      const o = p.dir === 0 ? 0 : 2;
      c[o][idx]++;
      c[o + 1][idx] += len;
      if (v.time < c[4][idx]) c[4][idx] = v.time;
      if (v.time > c[5][idx]) c[5][idx] = v.time;
    }
    this.host(version, s0, s1, s2, s3, len, 0);
    this.host(version, d0, d1, d2, d3, len, 2);
  }

  private host(version: number, a0: number, a1: number, a2: number, a3: number, len: number, col: number): void {
    const h = this.hosts;
    let idx = h.find(version, 0, a0, a1, a2, a3, 0, 0, 0, 0, 0, 0);
    if (idx < 0) {
      idx = h.insert(idx, version, 0, a0, a1, a2, a3, 0, 0, 0, 0, 0, 0);
      if (idx < 0) {
        this.untrackedHosts++;
        return;
      }
      this.hostStats.ensure(h.capacity);
    }
    const c = this.hostStats.cols;
    c[col][idx]++;
    c[col + 1][idx] += len;
  }

  /** Flow rows sorted largest first (bytes both ways), split by protocol. */
  rankedFlows(): { tcp: number[]; udp: number[] } {
    const f = this.flows;
    const tcp: number[] = [];
    const udp: number[] = [];
    for (let i = 0; i < f.size; i++) (f.isTcp(i) ? tcp : udp).push(i);
    const bytes = (i: number) => f.bytesAB[i] + f.bytesBA[i];
    const order = (a: number, b: number) => bytes(b) - bytes(a) || f.streamId[a] - f.streamId[b];
    tcp.sort(order);
    udp.sort(order);
    return { tcp, udp };
  }

  finish(ctx: FinishContext): ConversationsSection {
    const f = this.flows;
    const { tcp, udp } = this.rankedFlows();
    const row = (i: number): FlowRow => ({
      id: f.streamId[i],
      a: { ip: ctx.flowAddress(i, 0), port: f.port(i, 0) },
      b: { ip: ctx.flowAddress(i, 1), port: f.port(i, 1) },
      service: serviceName(f.isTcp(i), f.port(i, 0), f.port(i, 1)),
      start: Math.max(0, f.firstTime[i]),
      duration: Math.max(0, f.lastTime[i] - f.firstTime[i]),
      packetsAB: f.packetsAB[i],
      bytesAB: f.bytesAB[i],
      packetsBA: f.packetsBA[i],
      bytesBA: f.bytesBA[i],
    });
    const p = this.pairs;
    const pc = this.pairStats.cols;
    const pairIdx = Array.from({ length: p.size }, (_, i) => i).sort((a, b) => pc[1][b] + pc[3][b] - (pc[1][a] + pc[3][a]));
    const ipRows: IpConversation[] = pairIdx.slice(0, MAX_IP_CONVERSATIONS).map((i) => ({
      a: tupleAddress(p.version[i], p.addrA, i * 4),
      b: tupleAddress(p.version[i], p.addrB, i * 4),
      start: Math.max(0, pc[4][i]),
      duration: Math.max(0, pc[5][i] - pc[4][i]),
      packetsAB: pc[0][i],
      bytesAB: pc[1][i],
      packetsBA: pc[2][i],
      bytesBA: pc[3][i],
    }));
    const h = this.hosts;
    const hc = this.hostStats.cols;
    const hostRow = (i: number): EndpointRow => ({
      address: tupleAddress(h.version[i], h.addrA, i * 4),
      packets: hc[0][i] + hc[2][i],
      bytes: hc[1][i] + hc[3][i],
      txPackets: hc[0][i],
      txBytes: hc[1][i],
      rxPackets: hc[2][i],
      rxBytes: hc[3][i],
    });
    const hostIdx = Array.from({ length: h.size }, (_, i) => i);
    const byTotal = [...hostIdx].sort((a, b) => hc[1][b] + hc[3][b] - (hc[1][a] + hc[3][a]));
    const bySent = [...hostIdx].sort((a, b) => hc[1][b] - hc[1][a]);
    let v4Pairs = 0;
    for (let i = 0; i < p.size; i++) if (p.version[i] === 4) v4Pairs++;
    let v4Hosts = 0;
    for (let i = 0; i < h.size; i++) if (h.version[i] === 4) v4Hosts++;
    return {
      totals: {
        ipv4Conversations: v4Pairs,
        ipv6Conversations: p.size - v4Pairs,
        tcp: f.tcpStreams,
        udp: f.udpStreams,
        ipv4Endpoints: v4Hosts,
        ipv6Endpoints: h.size - v4Hosts,
      },
      tcp: { items: tcp.slice(0, MAX_TCP_CONVERSATIONS).map(row), omitted: Math.max(0, tcp.length - MAX_TCP_CONVERSATIONS) },
      udp: { items: udp.slice(0, MAX_UDP_CONVERSATIONS).map(row), omitted: Math.max(0, udp.length - MAX_UDP_CONVERSATIONS) },
      ip: { items: ipRows, omitted: Math.max(0, p.size - MAX_IP_CONVERSATIONS) + this.untrackedPairs },
      endpoints: { items: byTotal.slice(0, MAX_ENDPOINTS).map(hostRow), omitted: Math.max(0, h.size - MAX_ENDPOINTS) + this.untrackedHosts },
      topTalkers: { items: bySent.slice(0, 20).map(hostRow), omitted: Math.max(0, h.size - 20) },
      untrackedFlows: f.untrackedFlows,
    };
  }
}
