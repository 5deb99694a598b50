import type { PacketView } from '../decode/packet.js';
import type { GapsSection } from '../report/sections/traffic.js';
import { THRESHOLDS, type Thresholds } from '../report/thresholds.js';
import type { Analyzer, FinishContext } from './analyzer.js';
import type { FlowTable } from './flow-table.js';
import { growF64, growI32, TopN } from './stats.js';

export const MAX_CAPTURE_GAPS = 200;
export const MAX_FLOW_GAPS = 200;
export const MAX_BURSTS = 50;
/** Bursts are only looked for in captures at least this long (shorter ones have no meaningful average). */
export const MIN_BURST_CAPTURE_SECONDS = 5;
/** One-second windows with traffic kept for burst detection (12 days of continuous traffic). */
export const MAX_BURST_SECONDS = 1 << 20;
/** Timestamps have at best nanosecond resolution: a silence must beat the threshold by more than this. */
const EPSILON = 1e-9;
/** How far back an out-of-order packet's second is looked for among the windows kept. */
const OUT_OF_ORDER_LOOKBACK = 16;

/**
 * Silences and bursts.
 *
 * - Capture silences: time between a packet and the latest packet before it (the running maximum, so
 *   out-of-order timestamps do not fake gaps) longer than `gapSeconds`.
 * - Flow silences: the same per TCP/UDP flow, with the flow's last-seen time and frame in typed arrays
 *   indexed by flow row (so only idle periods with traffic before and after are seen).
 * - Bursts: one-second windows (from the first packet) whose packet count exceeds `burstFactor` × the
 *   capture's average packets per second, contiguous windows merged; only for captures of at least
 *   MIN_BURST_CAPTURE_SECONDS. Windows are kept sparsely (only seconds with packets) up to
 *   MAX_BURST_SECONDS; later packets are not considered for bursts, and a packet whose second is more
 *   than OUT_OF_ORDER_LOOKBACK windows back is not placed.
 *
 * The gap threshold must be known while reading (silences are filtered as they happen), so it is a
 * constructor option; finish() uses the larger of it and ctx.thresholds.gapSeconds. Every list keeps
 * its largest entries (bounded) and reports how many were left out; lists are largest first.
 * Per packet: a subtraction and comparison for the capture, the same for the flow, one increment for
 * the window.
 */
export class GapsAnalyzer implements Analyzer<GapsSection> {
  private readonly gap: number;
  /** gap + EPSILON: a silence must be longer than this. */
  private readonly limit: number;
  private readonly captureGaps = new TopN(MAX_CAPTURE_GAPS, 4); // afterFrame, beforeFrame, start, duration
  private readonly flowGaps = new TopN(MAX_FLOW_GAPS, 5); // row, afterFrame, beforeFrame, start, duration
  private seen = false;
  private maxTime = 0;
  private maxFrame = 0;
  private lastSeen = new Float64Array(1024);
  private lastFrame = new Int32Array(1024);

  private secIndex = new Float64Array(1024);
  private secPackets = new Float64Array(1024);
  private secBytes = new Float64Array(1024);
  private secCount = 0;
  private packets = 0;
  /** Packets not placed in a one-second window (beyond MAX_BURST_SECONDS, or too far out of order). */
  unplacedPackets = 0;

  constructor(
    private readonly flows: FlowTable,
    thresholds: Partial<Pick<Thresholds, 'gapSeconds'>> = {},
  ) {
    this.gap = thresholds.gapSeconds ?? THRESHOLDS.gapSeconds.default;
    this.limit = this.gap + EPSILON;
  }

  onPacket(v: PacketView): void {
    const t = v.time;
    const limit = this.limit;
    this.packets++;
    if (!this.seen) {
      this.seen = true;
      this.maxTime = t;
      this.maxFrame = v.frame;
    } else {
      const d = t - this.maxTime;
      if (d > limit) this.captureGap(v.frame, d);
      if (t > this.maxTime) {
        this.maxTime = t;
        this.maxFrame = v.frame;
      }
    }
    const idx = v.flowIndex;
    if (idx >= 0) {
      if (idx >= this.lastSeen.length) {
        // As long as the flow table's columns (which grow to its cap and no further).
        const n = Math.max(idx + 1, this.flows.tuples.capacity);
        const seen = new Float64Array(n);
        seen.set(this.lastSeen);
        this.lastSeen = seen;
        const frame = new Int32Array(n);
        frame.set(this.lastFrame);
        this.lastFrame = frame;
      }
      // A flow's first packet here need not be `flowNew` (a row first made by an ICMP-quoted or cut TCP
      // header, or by a tunnel's outer UDP header): frame 0 (frames count from 1) means not seen yet.
      if (v.flowNew || this.lastFrame[idx] === 0) {
        this.lastSeen[idx] = t;
        this.lastFrame[idx] = v.frame;
      } else {
        const d = t - this.lastSeen[idx];
        if (d > limit) this.flowGap(idx, v.frame, d);
        if (d >= 0) {
          this.lastSeen[idx] = t;
          this.lastFrame[idx] = v.frame;
        }
      }
    }
    this.window(t, v.wireLen);
  }

  private captureGap(frame: number, d: number): void {
    const slot = this.captureGaps.offer(d);
    if (slot < 0) return;
    const o = slot * 4;
    const x = this.captureGaps.data;
    x[o] = this.maxFrame;
    x[o + 1] = frame;
    x[o + 2] = this.maxTime;
    x[o + 3] = d;
  }

  private flowGap(idx: number, frame: number, d: number): void {
    const slot = this.flowGaps.offer(d);
    if (slot < 0) return;
    const o = slot * 5;
    const x = this.flowGaps.data;
    x[o] = idx;
    x[o + 1] = this.lastFrame[idx];
    x[o + 2] = frame;
    x[o + 3] = this.lastSeen[idx];
    x[o + 4] = d;
  }

  /** The current (latest) one-second window is kept in scalars and stored when the next one starts. */
  private curSec = -1;
  private curPackets = 0;
  private curBytes = 0;

  private window(t: number, len: number): void {
    const sec = t > 0 ? Math.floor(t) : 0;
    if (sec === this.curSec) {
      this.curPackets++;
      this.curBytes += len;
      return;
    }
    if (sec > this.curSec) {
      this.flushWindow();
      this.curSec = sec;
      this.curPackets = 1;
      this.curBytes = len;
      return;
    }
    // An earlier second (out-of-order timestamps): look a few stored windows back.
    const n = this.secCount;
    for (let i = n - 1; i >= 0 && i >= n - OUT_OF_ORDER_LOOKBACK; i--) {
      if (this.secIndex[i] === sec) {
        this.secPackets[i]++;
        this.secBytes[i] += len;
        return;
      }
      if (this.secIndex[i] < sec) break;
    }
    this.unplacedPackets++;
  }

  private flushWindow(): void {
    if (this.curSec < 0) return;
    const n = this.secCount;
    if (n >= MAX_BURST_SECONDS) {
      this.unplacedPackets += this.curPackets;
      return;
    }
    if (n >= this.secIndex.length) {
      this.secIndex = growF64(this.secIndex, n + 1);
      this.secPackets = growF64(this.secPackets, n + 1);
      this.secBytes = growF64(this.secBytes, n + 1);
    }
    this.secIndex[n] = this.curSec;
    this.secPackets[n] = this.curPackets;
    this.secBytes[n] = this.curBytes;
    this.secCount = n + 1;
  }

  finish(ctx: FinishContext): GapsSection {
    const threshold = Math.max(this.gap, ctx.thresholds.gapSeconds);
    const above = threshold + EPSILON;
    const f = this.flows;

    const cg = this.captureGaps;
    const capture = cg
      .order()
      .filter((s) => cg.keys[s] > above)
      .map((s) => {
        const o = s * 4;
        return { afterFrame: cg.data[o], beforeFrame: cg.data[o + 1], start: Math.max(0, cg.data[o + 2]), duration: cg.data[o + 3] };
      });
    const fg = this.flowGaps;
    const flows = fg
      .order()
      .filter((s) => fg.keys[s] > above)
      .map((s) => {
        const o = s * 5;
        const idx = fg.data[o];
        return {
          flow: f.streamId[idx],
          protocol: f.isTcp(idx) ? ('tcp' as const) : ('udp' as const),
          afterFrame: fg.data[o + 1],
          beforeFrame: fg.data[o + 2],
          start: Math.max(0, fg.data[o + 3]),
          duration: fg.data[o + 4],
        };
      });
    return {
      thresholdSeconds: threshold,
      // With a larger finish threshold than the collecting one, the left-out count is an upper bound.
      capture: { items: capture, omitted: cg.offered - cg.size },
      flows: { items: flows, omitted: fg.offered - fg.size },
      bursts: this.bursts(ctx),
    };
  }

  private bursts(ctx: FinishContext): GapsSection['bursts'] {
    this.flushWindow();
    this.curSec = -1; // stored: a second finish() must not store it again
    const duration = ctx.endTime;
    if (duration < MIN_BURST_CAPTURE_SECONDS || this.secCount === 0) return { items: [], omitted: 0 };
    const average = this.packets / duration;
    const limit = ctx.thresholds.burstFactor * average;
    const top = new TopN(MAX_BURSTS, 4); // start, seconds, packets, bytes
    const n = this.secCount;
    for (let i = 0; i < n; ) {
      if (!(this.secPackets[i] > limit)) {
        i++;
        continue;
      }
      const start = this.secIndex[i];
      let packets = 0;
      let bytes = 0;
      let j = i;
      while (j < n && this.secPackets[j] > limit && this.secIndex[j] === start + (j - i)) {
        packets += this.secPackets[j];
        bytes += this.secBytes[j];
        j++;
      }
      const slot = top.offer(packets);
      if (slot >= 0) {
        const o = slot * 4;
        top.data[o] = start;
        top.data[o + 1] = j - i;
        top.data[o + 2] = packets;
        top.data[o + 3] = bytes;
      }
      i = j;
    }
    const items = top.order().map((s) => {
      const o = s * 4;
      const seconds = top.data[o + 1];
      return {
        start: top.data[o],
        duration: seconds,
        packets: top.data[o + 2],
        bytes: top.data[o + 3],
        rateMultiple: Math.round((top.data[o + 2] / seconds / average) * 100) / 100,
      };
    });
    return { items, omitted: top.omitted };
  }
}
