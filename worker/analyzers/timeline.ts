import { Proto } from '../decode/protocols.js';
import type { PacketView } from '../decode/packet.js';
import { MAX_BINS, type TimelineSection } from '../report/sections/timeline.js';
import type { Analyzer, FinishContext } from './analyzer.js';
import type { FlowTable } from './flow-table.js';
import { AdaptiveBins } from './series.js';

const enum Top {
  /** Flows that get their own throughput series while the capture is read (the heavy-hitter candidates). */
  CANDIDATES = 64,
}
export const TOP_FLOW_CANDIDATES = Top.CANDIDATES;
export const TOP_FLOWS = 10;
/** Event names the timeline accepts (the schema allows 24); later names are counted in `droppedEvents`. */
export const MAX_EVENT_NAMES = 24;
/**
 * A flow outside the candidate set replaces the smallest candidate only when it has this many times the
 * candidate's bytes: without hysteresis, many flows growing in lockstep would swap places on every
 * packet, and each swap clears a series.
 */
const enum Hysteresis {
  FACTOR = 1.25,
}

/**
 * The IO graph: packets and bytes per time bin, split by transport, plus per-bin counts of named events
 * (TCP expert events, DNS errors…) and the throughput of the largest flows.
 *
 * Bins start at the first packet (time 0) and adapt their width (see AdaptiveBins): ≤ MAX_BINS bins
 * whatever the duration. Packets stamped before the first packet (out-of-order captures) go to bin 0.
 *
 * Top flows. Keeping a series per flow is unbounded, so only a candidate set of TOP_FLOW_CANDIDATES
 * flows has a series. The flow table already counts every flow's exact bytes, so the candidates are the
 * flows with the most bytes *so far*: a min-heap keyed by bytes (keys refreshed lazily from the flow
 * table when a newcomer challenges the root); a flow enters when it exceeds the smallest candidate by
 * Hysteresis.FACTOR, and the evicted candidate's series is discarded. At the end the TOP_FLOWS
 * largest flows by total bytes that are candidates are reported.
 * Approximation: a flow that became heavy late has zeros in its series for the time before it entered
 * the candidate set (its earlier bytes are in the flow's totals but not in its series); a flow that is
 * not a candidate at the end is not drawn even if it is among the ten largest (possible only when many
 * flows have about the same size, within the hysteresis factor).
 *
 * Per packet: a division, a few typed-array additions, and for flows outside the candidate set one
 * comparison with the heap root (heap work only when a flow actually enters the set).
 */
export class TimelineAnalyzer implements Analyzer<TimelineSection> {
  private readonly bins = new AdaptiveBins(MAX_BINS);
  private readonly packets = this.bins.create();
  private readonly bytes = this.bins.create();
  private readonly tcpBytes = this.bins.create();
  private readonly udpBytes = this.bins.create();
  private readonly otherBytes = this.bins.create();
  private outOfOrder = 0;
  private firstAt = -1;

  private readonly eventSeries: Float64Array[] = [];
  private readonly eventNames: string[] = [];
  private readonly eventIndex = new Map<string, number>();
  /** Events whose name came after MAX_EVENT_NAMES distinct names. */
  droppedEvents = 0;

  // Candidate min-heap ordered by flow bytes.
  private heapSize = 0;
  private readonly heapFlow = new Int32Array(TOP_FLOW_CANDIDATES);
  private readonly heapBytes = new Float64Array(TOP_FLOW_CANDIDATES);
  private readonly heapSeries = new Int32Array(TOP_FLOW_CANDIDATES);
  private readonly candSeries: Float64Array[] = [];
  /** Heap position of each flow row, or -1 (grows with the flow table). */
  private heapPos = new Int16Array(1024).fill(-1);

  constructor(private readonly flows: FlowTable) {
    for (let i = 0; i < TOP_FLOW_CANDIDATES; i++) this.candSeries.push(this.bins.create());
  }

  onPacket(v: PacketView): void {
    let t = v.time;
    if (t < 0) {
      this.outOfOrder++;
      t = 0;
    }
    if (this.firstAt < 0 && v.hasTime && v.time === 0) this.firstAt = v.tsSec + v.tsNsec / 1e9;
    const b = this.bins.bin(t);
    const len = v.wireLen;
    this.packets[b]++;
    this.bytes[b] += len;
    if (v.has(Proto.TCP)) this.tcpBytes[b] += len;
    else if (v.has(Proto.UDP)) this.udpBytes[b] += len;
    else this.otherBytes[b] += len;
    const idx = v.flowIndex;
    if (idx >= 0) this.flowBytes(idx, b, len);
  }

  /**
   * Counts one named event (e.g. "retransmission", "zero_window", "rst", "dns_error") at `time` seconds
   * since the first packet. Other analyzers call it from their onPacket or finish (before this one's).
   */
  countEvent(name: string, time: number): void {
    const i = this.eventSlot(name);
    if (i < 0) {
      this.droppedEvents++;
      return;
    }
    this.eventSeries[i][this.bins.bin(time)]++;
  }

  /** Index for `name` to use with countEventAt (saves the name lookup on hot paths), or -1 when full. */
  eventSlot(name: string): number {
    let i = this.eventIndex.get(name);
    if (i !== undefined) return i;
    if (this.eventNames.length >= MAX_EVENT_NAMES || name.length === 0 || name.length > 64) return -1;
    i = this.eventNames.length;
    this.eventNames.push(name);
    this.eventSeries.push(this.bins.create());
    this.eventIndex.set(name, i);
    return i;
  }

  countEventAt(slot: number, time: number): void {
    if (slot < 0 || slot >= this.eventSeries.length) {
      this.droppedEvents++;
      return;
    }
    this.eventSeries[slot][this.bins.bin(time)]++;
  }

  private flowBytes(idx: number, b: number, len: number): void {
    if (idx >= this.heapPos.length) {
      const grown = new Int16Array(Math.max(idx + 1, this.flows.tuples.capacity)).fill(-1);
      grown.set(this.heapPos);
      this.heapPos = grown;
    }
    const p = this.heapPos[idx];
    if (p >= 0) {
      // A candidate: its heap key is left as is (a lower bound of its bytes); keys are brought up to
      // date lazily, only when a newcomer challenges the root.
      this.candSeries[this.heapSeries[p]][b] += len;
      return;
    }
    const f = this.flows;
    const total = f.bytesAB[idx] + f.bytesBA[idx];
    if (this.heapSize < Top.CANDIDATES) {
      const q = this.heapSize++;
      this.heapFlow[q] = idx;
      this.heapBytes[q] = total;
      this.heapSeries[q] = q;
      this.heapPos[idx] = q;
      this.candSeries[q][b] += len;
      this.siftUp(q);
      return;
    }
    if (total <= this.heapBytes[0] * Hysteresis.FACTOR) return;
    // Refresh stale keys at the root until the root's key is exact: then it is the smallest candidate.
    for (;;) {
      const r = this.heapFlow[0];
      const actual = f.bytesAB[r] + f.bytesBA[r];
      if (actual === this.heapBytes[0]) break;
      this.heapBytes[0] = actual;
      this.siftDown(0);
    }
    if (total <= this.heapBytes[0] * Hysteresis.FACTOR) return;
    // Replace the smallest candidate; its series starts over for the newcomer.
    this.heapPos[this.heapFlow[0]] = -1;
    const s = this.candSeries[this.heapSeries[0]];
    s.fill(0, 0, this.bins.used);
    s[b] = len;
    this.heapFlow[0] = idx;
    this.heapBytes[0] = total;
    this.heapPos[idx] = 0;
    this.siftDown(0);
  }

  private swap(i: number, j: number): void {
    const hf = this.heapFlow;
    const hb = this.heapBytes;
    const hs = this.heapSeries;
    const f = hf[i];
    hf[i] = hf[j];
    hf[j] = f;
    const by = hb[i];
    hb[i] = hb[j];
    hb[j] = by;
    const s = hs[i];
    hs[i] = hs[j];
    hs[j] = s;
    this.heapPos[hf[i]] = i;
    this.heapPos[hf[j]] = j;
  }

  private siftDown(i: number): void {
    const hb = this.heapBytes;
    const n = this.heapSize;
    for (;;) {
      const l = i * 2 + 1;
      if (l >= n) return;
      const r = l + 1;
      const m = r < n && hb[r] < hb[l] ? r : l;
      if (hb[m] >= hb[i]) return;
      this.swap(i, m);
      i = m;
    }
  }

  private siftUp(i: number): void {
    const hb = this.heapBytes;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (hb[p] <= hb[i]) return;
      this.swap(i, p);
      i = p;
    }
  }

  finish(ctx: FinishContext): TimelineSection {
    const bins = this.bins;
    const events: Record<string, number[]> = {};
    this.eventNames.forEach((name, i) => {
      events[name] = bins.take(this.eventSeries[i]);
    });
    const f = ctx.flows;
    const cands = Array.from({ length: this.heapSize }, (_, p) => p)
      .map((p) => ({ p, idx: this.heapFlow[p], total: f.bytesAB[this.heapFlow[p]] + f.bytesBA[this.heapFlow[p]] }))
      .sort((a, b) => b.total - a.total || f.streamId[a.idx] - f.streamId[b.idx] || (f.isTcp(a.idx) ? 0 : 1) - (f.isTcp(b.idx) ? 0 : 1))
      .slice(0, TOP_FLOWS);
    const topFlows = cands.map(({ p, idx }) => {
      const tcp = f.isTcp(idx);
      return {
        flow: f.streamId[idx],
        protocol: tcp ? ('tcp' as const) : ('udp' as const),
        label: flowLabel(ctx, idx),
        bytes: bins.take(this.candSeries[this.heapSeries[p]]),
      };
    });
    return {
      binSeconds: bins.binSeconds,
      bins: bins.used,
      packets: bins.take(this.packets),
      bytes: bins.take(this.bytes),
      tcpBytes: bins.take(this.tcpBytes),
      udpBytes: bins.take(this.udpBytes),
      otherBytes: bins.take(this.otherBytes),
      events,
      topFlows,
      outOfOrderPackets: this.outOfOrder,
      firstPacketAt: this.firstAt < 0 ? 0 : this.firstAt,
    };
  }
}

/** "10.0.0.1:443 ⇄ 10.0.0.2:51514 (tcp.stream 3)"; IPv6 addresses in brackets. */
export function flowLabel(ctx: FinishContext, idx: number): string {
  const f = ctx.flows;
  const end = (side: 0 | 1) => {
    const a = ctx.flowAddress(idx, side);
    return `${a.includes(':') ? `[${a}]` : a}:${f.port(idx, side)}`;
  };
  return `${end(0)} ⇄ ${end(1)} (${f.isTcp(idx) ? 'tcp' : 'udp'}.stream ${f.streamId[idx]})`;
}
