import { TcpFlag } from '../../decode/packet.js';
import { growF64, growI32, growI8, growU32, growU8 } from './columns.js';


/** Most SYN transmissions remembered per connection for the back-off analysis. */
export const MAX_SYN_TIMES = 16;
/**
 * RFC 6298 back-off check: every SYN retransmission interval must be 2× the previous one within ±25 %
 * (ratio in [1.5, 2.5]). Timer granularity and scheduling delays make exact doubling rare; Linux's
 * 1 s, 2 s, 4 s… and Windows' 3 s, 6 s… (or 1 s, 2 s…) sequences pass, a constant interval or a
 * tripling does not. A single retransmission (one interval) has nothing to compare and passes.
 */
export const DOUBLING_MIN = 1.5;
export const DOUBLING_MAX = 2.5;

export function followsDoubling(intervals: readonly number[]): boolean {
  for (let i = 1; i < intervals.length; i++) {
    const prev = intervals[i - 1];
    const r = prev > 0 ? intervals[i] / prev : Infinity;
    if (!(r >= DOUBLING_MIN && r <= DOUBLING_MAX)) return false;
  }
  return true;
}

/**
 * Per-connection handshake facts, by flow row. The client is the sender of the first pure SYN (or, with
 * no SYN seen, the receiver of a SYN/ACK). Times are nanoseconds relative to the capture start.
 *
 * - synToSynAck: first SYN → first SYN/ACK, what the client waited (SYN retransmissions included).
 * - serverHalf: the SYN that the first SYN/ACK answered (the most recent one) → that SYN/ACK: the RTT
 *   between the capture point and the server. clientHalf: the most recent SYN/ACK → the client's first
 *   ACK: the RTT between the capture point and the client. Without retransmissions the two halves add
 *   up to Wireshark's iRTT.
 * - timeToFirstData: first SYN → first payload byte from the server.
 */
/** The server-side half of a row's handshake facts (float64 fields), allocated on the first SYN/ACK or server payload. */
const enum Hx {
  SYN_ACK_FIRST = 0,
  SYN_ACK_LAST = 1,
  SERVER_HALF = 2,
  ACK_TIME = 3,
  CLIENT_HALF = 4,
  FIRST_DATA = 5,
  SYN_ACK_FRAME = 6,
  SYN_ACK_COUNT = 7,
  SIZE = 8,
}

export class HandshakeTable {
  // Per row (columns sized by `ensure`): what a client's SYNs alone set, so a SYN flood's rows cost
  // ~35 bytes each; the rest lives in a record of `hx` (Hx) once the server answers.
  client = new Int8Array(0);
  synFirst = new Float64Array(0);
  synFirstFrame = new Int32Array(0);
  synLast = new Float64Array(0);
  synCount = new Uint32Array(0);
  /** bit 0: the server sent something; bit 1: the server reset before any SYN/ACK. */
  server = new Uint8Array(0);
  /**
   * Bit (1 << side): a segment from that flow side without SYN, RST or payload would change nothing;
   * bit (4 << side): nor would one with payload. Lets the caller skip `update` for most packets.
   */
  quiet = new Uint8Array(0);
  /** Record of the row in `hx` (times NaN until set), or -1. */
  private hxOf = new Int32Array(0);
  private hx = new Float64Array(0);
  private hxCount = 0;
  /** SYN transmissions (frames, times) of connections that retransmitted their SYN. */
  readonly synTimes = new Map<number, { frames: number[]; times: number[] }>();

  /** Room for `rows` rows (columns of exactly that length). */
  ensure(rows: number): void {
    if (rows <= this.client.length) return;
    this.client = growI8(this.client, rows, -1, rows);
    this.synFirst = growF64(this.synFirst, rows, NaN, rows);
    this.synFirstFrame = growI32(this.synFirstFrame, rows, 0, rows);
    this.synLast = growF64(this.synLast, rows, NaN, rows);
    this.synCount = growU32(this.synCount, rows, rows);
    this.server = growU8(this.server, rows, rows);
    this.hxOf = growI32(this.hxOf, rows, -1, rows);
    const q = this.quiet.length;
    this.quiet = growU8(this.quiet, rows, rows);
    this.quiet.fill(15, q);
  }

  /** Offset of the row's Hx record, allocated on first use (`hx` may be replaced). */
  private record(row: number): number {
    const r = this.hxOf[row];
    if (r >= 0) return r * Hx.SIZE;
    const n = this.hxCount++;
    if ((n + 1) * Hx.SIZE > this.hx.length) {
      const b = new Float64Array(Math.min(this.client.length, Math.max(n + 1, n * 2, 256)) * Hx.SIZE);
      b.set(this.hx);
      this.hx = b;
    }
    const o = n * Hx.SIZE;
    this.hx.fill(NaN, o, o + Hx.SYN_ACK_FRAME);
    this.hx[o + Hx.SYN_ACK_FRAME] = 0;
    this.hx[o + Hx.SYN_ACK_COUNT] = 0;
    this.hxOf[row] = n;
    return o;
  }

  private get(row: number, f: number, none: number): number {
    const r = this.hxOf[row];
    return r >= 0 ? this.hx[r * Hx.SIZE + f] : none;
  }

  synAckFirst(row: number): number {
    return this.get(row, Hx.SYN_ACK_FIRST, NaN);
  }
  synAckFrame(row: number): number {
    return this.get(row, Hx.SYN_ACK_FRAME, 0);
  }
  synAckCount(row: number): number {
    return this.get(row, Hx.SYN_ACK_COUNT, 0);
  }
  serverHalf(row: number): number {
    return this.get(row, Hx.SERVER_HALF, NaN);
  }
  clientHalf(row: number): number {
    return this.get(row, Hx.CLIENT_HALF, NaN);
  }
  firstData(row: number): number {
    return this.get(row, Hx.FIRST_DATA, NaN);
  }

  /** Time of the segment passed to `update` (ns since the flow's first packet). */
  now = 0;

  update(row: number, side: number, flags: number, len: number, frame: number): void {
    this.learn(row, side, flags, len, frame);
    const c = this.client[row];
    if (c < 0) {
      this.quiet[row] = 15;
      return;
    }
    const clientQuiet = !(this.synAckCount(row) > 0 && Number.isNaN(this.get(row, Hx.ACK_TIME, NaN)));
    const s = this.server[row] & 1;
    let q = clientQuiet ? 5 << c : 0;
    if (s !== 0) q |= (Number.isNaN(this.firstData(row)) ? 1 : 5) << (c ^ 1);
    this.quiet[row] = q;
  }

  private learn(row: number, side: number, flags: number, len: number, frame: number): void {
    const t = this.now;
    const synAck = flags & (TcpFlag.SYN | TcpFlag.ACK);
    let client = this.client[row];
    if (synAck === TcpFlag.SYN) {
      if (client < 0) client = this.client[row] = side;
      if (side === client) {
        const n = this.synCount[row];
        if (n === 0) {
          this.synFirst[row] = t;
          this.synFirstFrame[row] = frame;
        } else {
          let rec = this.synTimes.get(row);
          if (rec === undefined) {
            rec = { frames: [this.synFirstFrame[row]], times: [this.synFirst[row]] };
            this.synTimes.set(row, rec);
          }
          if (rec.frames.length < MAX_SYN_TIMES) {
            rec.frames.push(frame);
            rec.times.push(t);
          }
        }
        this.synLast[row] = t;
        this.synCount[row] = n + 1;
        return;
      }
    } else if (synAck === (TcpFlag.SYN | TcpFlag.ACK)) {
      if (client < 0) client = this.client[row] = side ^ 1;
      if (side !== client) {
        const o = this.record(row);
        const X = this.hx;
        if (X[o + Hx.SYN_ACK_COUNT] === 0) {
          X[o + Hx.SYN_ACK_FIRST] = t;
          X[o + Hx.SYN_ACK_FRAME] = frame;
          if (this.synCount[row] > 0) X[o + Hx.SERVER_HALF] = t - this.synLast[row];
        }
        X[o + Hx.SYN_ACK_LAST] = t;
        X[o + Hx.SYN_ACK_COUNT]++;
      }
    }
    if (client < 0) return;
    if (side === client) {
      const r = this.hxOf[row];
      if (synAck === TcpFlag.ACK && r >= 0) {
        const X = this.hx;
        const o = r * Hx.SIZE;
        if (X[o + Hx.SYN_ACK_COUNT] > 0 && Number.isNaN(X[o + Hx.ACK_TIME])) {
          X[o + Hx.ACK_TIME] = t;
          X[o + Hx.CLIENT_HALF] = t - X[o + Hx.SYN_ACK_LAST];
        }
      }
      return;
    }
    let s = this.server[row] | 1;
    if (flags & TcpFlag.RST && this.synAckCount(row) === 0 && this.synCount[row] > 0) s |= 2;
    this.server[row] = s;
    if (len > 0 && Number.isNaN(this.firstData(row))) {
      const o = this.record(row);
      this.hx[o + Hx.FIRST_DATA] = t;
    }
  }

  attempted(row: number): boolean {
    return this.synCount[row] > 0;
  }

  completed(row: number): boolean {
    return this.synCount[row] > 0 && this.synAckCount(row) > 0 && !Number.isNaN(this.get(row, Hx.ACK_TIME, NaN));
  }

  refused(row: number): boolean {
    return (this.server[row] & 2) !== 0;
  }

  unanswered(row: number): boolean {
    return this.synCount[row] > 0 && (this.server[row] & 1) === 0;
  }
}
