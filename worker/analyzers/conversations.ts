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

// Statistics records, one per entry, in one Float64Array each: a packet updates one record (one cache
// line for a pair), not one cell in each of several columns.
/** Pair record (8 numbers): packets and bytes from side A (+0, +1) and side B (+2, +3), first and last time. */
const enum Pair {
  FIRST = 4,
  LAST = 5,
  SIZE = 8,
}
/** Endpoint record (4 numbers): packets and bytes sent (+0, +1) and received (+2, +3). */
const enum Host {
  SIZE = 4,
}

/** `a` with room for `entries` records of `stride` numbers (doubling). */
function ensureRecords(a: Float64Array<ArrayBuffer>, entries: number, stride: number): Float64Array<ArrayBuffer> {
  if (entries * stride <= a.length) return a;
  const b = new Float64Array(Math.max(entries * stride, a.length * 2));
  b.set(a);
  return b;
}

/**
 * Endpoints and conversations like `tshark -z endpoints,ip|ipv6` and `-z conv,ip|tcp|udp`. TCP/UDP
 * conversations come from the shared flow table; address pairs and endpoints are counted here for
 * every IP header of a frame (tunnels count their outer and inner addresses, as Wireshark's ip tap does).
 *
 * A TCP/UDP flow's innermost header always has the same two addresses, so its address pair and
 * endpoints are looked up once and remembered by flow row: later packets of the flow cost no hash
 * lookup, only a check that the header really carries the flow's addresses.
 */
export class ConversationsAnalyzer implements Analyzer<ConversationsSection> {
  private readonly pairs = new TupleTable(MAX_IP_PAIRS, 1024);
  private pairStats = new Float64Array(1024 * Pair.SIZE);
  private readonly hosts = new TupleTable(MAX_ENDPOINT_ENTRIES, 1024);
  private hostStats = new Float64Array(1024 * Host.SIZE);
  private untrackedPairs = 0;
  private untrackedHosts = 0;

  // Per flow row (see the class comment): pair index or -1; the pair's direction for a packet from
  // flow side A; the endpoint of flow side A and B ([row * 2 + side]).
  private flowPair = new Int32Array(0);
  private flowPairDir = new Uint8Array(0);
  private flowHost = new Int32Array(0);

  // Results of the last ipLayer() call.
  private pairIdx = -1;
  private pairDir = 0;
  private srcHost = -1;
  private dstHost = -1;

  constructor(private readonly flows: FlowTable) {}

  onPacket(v: PacketView): void {
    const n = v.ipLayerCount;
    if (n === 0) return;
    for (let i = 0; i < n - 1; i++) this.ipLayer(v, i);
    const row = v.flowIndex;
    if (row < 0 || !this.flowLayer(v, row, n - 1)) {
      this.ipLayer(v, n - 1);
      return;
    }
    if (row >= this.flowPair.length) this.growFlowColumns(row + 1);
    const dir = v.flowDir;
    const pair = this.flowPair[row];
    if (pair < 0) {
      this.ipLayer(v, n - 1);
      // Remembered only when every lookup found its entry, and not for a flow between an address and
      // itself (its pair direction does not follow the flow's).
      if (this.pairIdx >= 0 && this.srcHost >= 0 && this.dstHost >= 0 && this.srcHost !== this.dstHost) {
        this.flowPair[row] = this.pairIdx;
        this.flowPairDir[row] = this.pairDir ^ dir;
        this.flowHost[row * 2 + dir] = this.srcHost;
        this.flowHost[row * 2 + (dir ^ 1)] = this.dstHost;
      }
      return;
    }
    const len = v.wireLen;
    this.countPair(pair, this.flowPairDir[row] ^ dir, len, v.time);
    const hs = this.hostStats;
    const src = this.flowHost[row * 2 + dir] * Host.SIZE;
    const dst = this.flowHost[row * 2 + (dir ^ 1)] * Host.SIZE + 2;
    hs[src]++;
    hs[src + 1] += len;
    hs[dst]++;
    hs[dst + 1] += len;
  }

  /** IP layer `i` of the frame carries the two addresses of flow `row` (same version). */
  private flowLayer(v: PacketView, row: number, i: number): boolean {
    const t = this.flows.tuples;
    const version = v.ipLayerVersion[i];
    if (t.version[row] !== version) return false;
    const dv = v.ipLayerDv[i];
    const so = v.ipLayerSrcOff[i];
    const dof = v.ipLayerDstOff[i];
    const S = v.flowDir === 0 ? t.addrA : t.addrB;
    const D = v.flowDir === 0 ? t.addrB : t.addrA;
    const o = row * 4;
    if (dv.getUint32(so) !== S[o] || dv.getUint32(dof) !== D[o]) return false;
    if (version === 4) return true;
    return (
      dv.getUint32(so + 4) === S[o + 1] && dv.getUint32(so + 8) === S[o + 2] && dv.getUint32(so + 12) === S[o + 3] &&
      dv.getUint32(dof + 4) === D[o + 1] && dv.getUint32(dof + 8) === D[o + 2] && dv.getUint32(dof + 12) === D[o + 3]
    );
  }

  private growFlowColumns(n: number): void {
    // As long as the flow table's columns (which grow to its cap and no further).
    const size = Math.max(n, this.flows.tuples.capacity);
    const pair = new Int32Array(size).fill(-1);
    pair.set(this.flowPair);
    this.flowPair = pair;
    const dir = new Uint8Array(size);
    dir.set(this.flowPairDir);
    this.flowPairDir = dir;
    const host = new Int32Array(size * 2).fill(-1);
    host.set(this.flowHost);
    this.flowHost = host;
  }

  /** Counts IP layer `i` of the frame against its address pair and endpoints (results in pairIdx…). */
  private ipLayer(v: PacketView, i: number): void {
    const version = v.ipLayerVersion[i];
    const dv = v.ipLayerDv[i];
    const so = v.ipLayerSrcOff[i];
    const dof = v.ipLayerDstOff[i];
    const p = this.pairs;
    if (version === 4) p.setV4(dv.getInt32(so), dv.getInt32(dof));
    else p.setV6(dv, so, dof);
    p.setPorts(0, 0);
    const len = v.wireLen;
    let idx = p.lookup(version, 0);
    if (idx < 0) {
      idx = p.insert(idx, version, 0);
      if (idx >= 0) {
        const ps = (this.pairStats = ensureRecords(this.pairStats, p.capacity, Pair.SIZE));
        ps[idx * Pair.SIZE + Pair.FIRST] = v.time;
        ps[idx * Pair.SIZE + Pair.LAST] = v.time;
      } else this.untrackedPairs++;
    }
    this.pairIdx = idx;
    this.pairDir = p.dir;
    if (idx >= 0) this.countPair(idx, p.dir, len, v.time);
    // Endpoints: the pair key's source and destination words, one address at a time.
    const k = p.key;
    const h = this.hosts.key;
    h[0] = k[0];
    h[1] = k[1];
    h[2] = k[2];
    h[3] = k[3];
    this.srcHost = this.host(version, len, 0);
    h[0] = k[4];
    h[1] = k[5];
    h[2] = k[6];
    h[3] = k[7];
    this.dstHost = this.host(version, len, 2);
  }

  private countPair(idx: number, dir: number, len: number, time: number): void {
    const ps = this.pairStats;
    const r = idx * Pair.SIZE;
    const o = r + (dir === 0 ? 0 : 2);
    ps[o]++;
    ps[o + 1] += len;
    if (time < ps[r + Pair.FIRST]) ps[r + Pair.FIRST] = time;
    if (time > ps[r + Pair.LAST]) ps[r + Pair.LAST] = time;
  }

  /** Counts the address in the hosts key (words 0–3) as sender (col 0) or receiver (col 2); returns its index or -1. */
  private host(version: number, len: number, col: number): number {
    const h = this.hosts;
    let idx = h.lookup(version, 0);
    if (idx < 0) {
      idx = h.insert(idx, version, 0);
      if (idx < 0) {
        this.untrackedHosts++;
        return -1;
      }
      this.hostStats = ensureRecords(this.hostStats, h.capacity, Host.SIZE);
    }
    const hs = this.hostStats;
    const o = idx * Host.SIZE + col;
    hs[o]++;
    hs[o + 1] += len;
    return idx;
  }

  /**
   * The `limit` largest flow rows of each protocol (bytes both ways; then by stream number), largest
   * first, and how many rows each protocol has. Up to SORT_ALL_ROWS rows are simply sorted; beyond,
   * a bounded heap selects them, so a flood's hundreds of thousands of rows make no list of every row.
   */
  rankedFlows(limit = Math.max(MAX_TCP_CONVERSATIONS, MAX_UDP_CONVERSATIONS)): { tcp: number[]; udp: number[]; tcpCount: number; udpCount: number } {
    const f = this.flows;
    const bytes = (i: number) => f.bytesAB[i] + f.bytesBA[i];
    const order = (a: number, b: number) => bytes(b) - bytes(a) || f.streamId[a] - f.streamId[b];
    if (f.size <= SORT_ALL_ROWS) {
      const tcp: number[] = [];
      const udp: number[] = [];
      for (let i = 0; i < f.size; i++) (f.isTcp(i) ? tcp : udp).push(i);
      return { tcp: tcp.sort(order).slice(0, limit), udp: udp.sort(order).slice(0, limit), tcpCount: tcp.length, udpCount: udp.length };
    }
    const tcp = new TopRows(limit, order);
    const udp = new TopRows(limit, order);
    for (let i = 0; i < f.size; i++) (f.isTcp(i) ? tcp : udp).offer(i);
    return { tcp: tcp.sorted(), udp: udp.sorted(), tcpCount: tcp.offered, udpCount: udp.offered };
  }

  finish(ctx: FinishContext): ConversationsSection {
    const f = this.flows;
    const { tcp, udp, tcpCount, udpCount } = this.rankedFlows();
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
    const ps = this.pairStats;
    const pairBytes = new Float64Array(p.size);
    for (let i = 0; i < p.size; i++) pairBytes[i] = ps[i * Pair.SIZE + 1] + ps[i * Pair.SIZE + 3];
    const pairIdx = Array.from({ length: p.size }, (_, i) => i).sort((a, b) => pairBytes[b] - pairBytes[a]);
    const ipRows: IpConversation[] = pairIdx.slice(0, MAX_IP_CONVERSATIONS).map((i) => {
      const r = i * Pair.SIZE;
      return {
        a: tupleAddress(p.version[i], p.addrA, i * 4),
        b: tupleAddress(p.version[i], p.addrB, i * 4),
        start: Math.max(0, ps[r + Pair.FIRST]),
        duration: Math.max(0, ps[r + Pair.LAST] - ps[r + Pair.FIRST]),
        packetsAB: ps[r],
        bytesAB: ps[r + 1],
        packetsBA: ps[r + 2],
        bytesBA: ps[r + 3],
      };
    });
    const h = this.hosts;
    const hs = this.hostStats;
    const hostRow = (i: number): EndpointRow => {
      const r = i * Host.SIZE;
      return {
        address: tupleAddress(h.version[i], h.addrA, i * 4),
        packets: hs[r] + hs[r + 2],
        bytes: hs[r + 1] + hs[r + 3],
        txPackets: hs[r],
        txBytes: hs[r + 1],
        rxPackets: hs[r + 2],
        rxBytes: hs[r + 3],
      };
    };
    const hostBytes = new Float64Array(h.size);
    const hostSent = new Float64Array(h.size);
    for (let i = 0; i < h.size; i++) {
      hostSent[i] = hs[i * Host.SIZE + 1];
      hostBytes[i] = hs[i * Host.SIZE + 1] + hs[i * Host.SIZE + 3];
    }
    const hostIdx = Array.from({ length: h.size }, (_, i) => i);
    const byTotal = [...hostIdx].sort((a, b) => hostBytes[b] - hostBytes[a]);
    const bySent = [...hostIdx].sort((a, b) => hostSent[b] - hostSent[a]);
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
      tcp: { items: tcp.slice(0, MAX_TCP_CONVERSATIONS).map(row), omitted: Math.max(0, tcpCount - MAX_TCP_CONVERSATIONS) },
      udp: { items: udp.slice(0, MAX_UDP_CONVERSATIONS).map(row), omitted: Math.max(0, udpCount - MAX_UDP_CONVERSATIONS) },
      ip: { items: ipRows, omitted: Math.max(0, p.size - MAX_IP_CONVERSATIONS) + this.untrackedPairs },
      endpoints: { items: byTotal.slice(0, MAX_ENDPOINTS).map(hostRow), omitted: Math.max(0, h.size - MAX_ENDPOINTS) + this.untrackedHosts },
      topTalkers: { items: bySent.slice(0, 20).map(hostRow), omitted: Math.max(0, h.size - 20) },
      untrackedFlows: f.untrackedFlows,
    };
  }
}

/** Flow rows up to which `rankedFlows` sorts them all (a list and a sort of that many is cheap). */
const SORT_ALL_ROWS = 50_000;

/** The `limit` first rows under `order` (a strict total order) among those offered: a bounded max-heap of the kept ones. */
export class TopRows {
  private readonly heap: number[] = [];
  offered = 0;

  constructor(
    private readonly limit: number,
    private readonly order: (a: number, b: number) => number,
  ) {}

  offer(row: number): void {
    this.offered++;
    const h = this.heap;
    const cmp = this.order;
    if (h.length < this.limit) {
      // Sift up: the root is the last of the kept rows.
      let i = h.length;
      h.push(row);
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (cmp(h[p], h[i]) >= 0) break;
        const x = h[p];
        h[p] = h[i];
        h[i] = x;
        i = p;
      }
      return;
    }
    if (this.limit === 0 || cmp(row, h[0]) >= 0) return;
    h[0] = row;
    let i = 0;
    for (;;) {
      const l = i * 2 + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && cmp(h[r], h[l]) > 0 ? r : l;
      if (cmp(h[c], h[i]) <= 0) break;
      const x = h[c];
      h[c] = h[i];
      h[i] = x;
      i = c;
    }
  }

  sorted(): number[] {
    return this.heap.slice().sort(this.order);
  }
}
