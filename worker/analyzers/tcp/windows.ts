import { growI32 } from './columns.js';

/** Episodes remembered (the report shows at most 500; the rest are only counted). */
export const MAX_EPISODES_KEPT = 20_000;

export interface ZeroWindowEpisode {
  flow: number;
  side: 'a' | 'b';
  frame: number;
  endFrame: number | null;
  start: number;
  duration: number | null;
  probes: number;
}

/**
 * Zero-window episodes, by flow row and side (0 = A, 1 = B): an episode of side X starts at a segment of X that Wireshark flags
 * zero_window (window 0, not SYN/FIN/RST) while none is open, and ends at X's next segment, other than
 * a RST, advertising a non-zero window (endFrame, duration); zero-window probes the peer sends
 * meanwhile are counted. An episode still open at the end of the capture has no end and no duration.
 */
/**
 * Zero-window state of a row (float64 fields), allocated on its first zero window: most rows never
 * have one. + side where noted.
 */
const enum Zw {
  /** Start (ns) of the open episode, or NaN; + side. */
  OPEN_START = 0,
  /** Its index in the episode columns, or -1 (not kept); + side. */
  OPEN = 2,
  /** Closed zero-window time, ns. */
  ZERO_NS = 4,
  SIZE = 5,
}

export class WindowTable {
  /** Record of each row in `zw`, or -1. */
  private zwOf = new Int32Array(0);
  private zw = new Float64Array(0);
  private zwCount = 0;
  /** Episodes open now (any flow). */
  openCount = 0;

  // Episodes, in columns.
  private count = 0;
  omitted = 0;
  private eFlow = new Int32Array(256);
  private eSide = new Int32Array(256);
  private eFrame = new Int32Array(256);
  private eEnd = new Int32Array(256);
  /** Start, seconds since the capture's first packet; duration in seconds (NaN while open). */
  private eStart = new Float64Array(256);
  private eDur = new Float64Array(256);
  private eProbes = new Int32Array(256);

  /** Room for `rows` rows (a column of exactly that length). */
  ensure(rows: number): void {
    this.zwOf = growI32(this.zwOf, rows, -1, rows);
  }

  /** Offset of the row's record in `zw`, allocated on first use (`zw` may be replaced). */
  private record(row: number): number {
    const r = this.zwOf[row];
    if (r >= 0) return r * Zw.SIZE;
    const n = this.zwCount++;
    if ((n + 1) * Zw.SIZE > this.zw.length) {
      const b = new Float64Array(Math.min(this.zwOf.length, Math.max(n + 1, n * 2, 64)) * Zw.SIZE);
      b.set(this.zw);
      this.zw = b;
    }
    const o = n * Zw.SIZE;
    const Z = this.zw;
    Z[o + Zw.OPEN_START] = Z[o + Zw.OPEN_START + 1] = NaN;
    Z[o + Zw.OPEN] = Z[o + Zw.OPEN + 1] = -1;
    Z[o + Zw.ZERO_NS] = 0;
    this.zwOf[row] = n;
    return o;
  }

  /** `t`: ns since the flow's first packet; `time`: seconds since the capture's first packet. */
  zeroWindow(row: number, side: number, stream: number, frame: number, t: number, time: number): void {
    const o = this.record(row);
    const Z = this.zw;
    if (!Number.isNaN(Z[o + Zw.OPEN_START + side])) return;
    Z[o + Zw.OPEN_START + side] = t;
    this.openCount++;
    if (this.count >= MAX_EPISODES_KEPT) {
      this.omitted++;
      Z[o + Zw.OPEN + side] = -1;
      return;
    }
    const i = this.count++;
    if (i === this.eFlow.length) this.growEpisodes();
    this.eFlow[i] = stream;
    this.eSide[i] = side;
    this.eFrame[i] = frame;
    this.eEnd[i] = 0;
    this.eStart[i] = time;
    this.eDur[i] = NaN;
    this.eProbes[i] = 0;
    Z[o + Zw.OPEN + side] = i;
  }

  isOpen(row: number, side: number): boolean {
    const r = this.zwOf[row];
    return r >= 0 && !Number.isNaN(this.zw[r * Zw.SIZE + Zw.OPEN_START + side]);
  }

  /** Side `side` advertised a non-zero window again (an episode is open: see isOpen). */
  reopened(row: number, side: number, frame: number, t: number): void {
    const o = this.zwOf[row] * Zw.SIZE;
    const Z = this.zw;
    // A clock that went backwards during the episode (merged captures) gives no negative stall time.
    const d = Math.max(0, t - Z[o + Zw.OPEN_START + side]);
    Z[o + Zw.ZERO_NS] += d;
    Z[o + Zw.OPEN_START + side] = NaN;
    this.openCount--;
    const i = Z[o + Zw.OPEN + side];
    Z[o + Zw.OPEN + side] = -1;
    if (i < 0) return;
    this.eEnd[i] = frame;
    this.eDur[i] = d / 1e9;
  }

  probe(row: number, zeroSide: number): void {
    const r = this.zwOf[row];
    if (r < 0) return;
    const i = this.zw[r * Zw.SIZE + Zw.OPEN + zeroSide];
    if (i >= 0) this.eProbes[i]++;
  }

  private growEpisodes(): void {
    const n = this.eFlow.length * 2;
    const i32 = (a: Int32Array) => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    const f64 = (a: Float64Array) => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    this.eFlow = i32(this.eFlow);
    this.eSide = i32(this.eSide);
    this.eFrame = i32(this.eFrame);
    this.eEnd = i32(this.eEnd);
    this.eStart = f64(this.eStart);
    this.eDur = f64(this.eDur);
    this.eProbes = i32(this.eProbes);
  }

  /** Zero-window seconds of a row, open episodes counted up to `endNs` (ns since the flow's first packet). */
  zeroSeconds(row: number, endNs: number): number {
    const r = this.zwOf[row];
    if (r < 0) return 0;
    const o = r * Zw.SIZE;
    let ns = this.zw[o + Zw.ZERO_NS];
    for (let side = 0; side < 2; side++) {
      const start = this.zw[o + Zw.OPEN_START + side];
      if (!Number.isNaN(start)) ns += Math.max(0, endNs - start);
    }
    return ns / 1e9;
  }

  /**
   * Up to `max` episodes for the report: those never reopened first, then the longest; listed in capture
   * order.
   */
  episodes(max: number): { items: ZeroWindowEpisode[]; omitted: number } {
    const idx = Array.from({ length: this.count }, (_, i) => i);
    const weight = (i: number) => (Number.isNaN(this.eDur[i]) ? Infinity : this.eDur[i]);
    idx.sort((a, b) => weight(b) - weight(a) || a - b);
    const kept = idx.slice(0, max).sort((a, b) => a - b);
    const items = kept.map((i): ZeroWindowEpisode => {
      const open = Number.isNaN(this.eDur[i]);
      return {
        flow: this.eFlow[i],
        side: this.eSide[i] === 0 ? 'a' : 'b',
        frame: this.eFrame[i],
        endFrame: open ? null : this.eEnd[i],
        start: Math.max(0, this.eStart[i]),
        duration: open ? null : Math.max(0, this.eDur[i]),
        probes: this.eProbes[i],
      };
    });
    return { items, omitted: this.count - items.length + this.omitted };
  }
}
