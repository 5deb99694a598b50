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
export class HandshakeTable {
  client = new Int8Array(0);
  synFirst = new Float64Array(0);
  synFirstFrame = new Int32Array(0);
  synLast = new Float64Array(0);
  synCount = new Uint32Array(0);
  synAckFirst = new Float64Array(0);
  synAckFrame = new Int32Array(0);
  synAckLast = new Float64Array(0);
  synAckCount = new Uint32Array(0);
  serverHalf = new Float64Array(0);
  ackTime = new Float64Array(0);
  clientHalf = new Float64Array(0);
  firstData = new Float64Array(0);
  /** bit 0: the server sent something; bit 1: the server reset before any SYN/ACK. */
  server = new Uint8Array(0);
  /**
   * Bit (1 << side): a segment from that flow side without SYN, RST or payload would change nothing;
   * bit (4 << side): nor would one with payload. Lets the caller skip `update` for most packets.
   */
  quiet = new Uint8Array(0);
  /** SYN transmissions (frames, times) of connections that retransmitted their SYN. */
  readonly synTimes = new Map<number, { frames: number[]; times: number[] }>();

  ensure(rows: number): void {
    if (rows <= this.client.length) return;
    this.client = growI8(this.client, rows, -1);
    this.synFirst = growF64(this.synFirst, rows, NaN);
    this.synFirstFrame = growI32(this.synFirstFrame, rows);
    this.synLast = growF64(this.synLast, rows, NaN);
    this.synCount = growU32(this.synCount, rows);
    this.synAckFirst = growF64(this.synAckFirst, rows, NaN);
    this.synAckFrame = growI32(this.synAckFrame, rows);
    this.synAckLast = growF64(this.synAckLast, rows, NaN);
    this.synAckCount = growU32(this.synAckCount, rows);
    this.serverHalf = growF64(this.serverHalf, rows, NaN);
    this.ackTime = growF64(this.ackTime, rows, NaN);
    this.clientHalf = growF64(this.clientHalf, rows, NaN);
    this.firstData = growF64(this.firstData, rows, NaN);
    this.server = growU8(this.server, rows);
    const q = this.quiet.length;
    this.quiet = growU8(this.quiet, rows);
    this.quiet.fill(15, q);
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
    const clientQuiet = !(this.synAckCount[row] > 0 && Number.isNaN(this.ackTime[row]));
    const s = this.server[row] & 1;
    let q = clientQuiet ? 5 << c : 0;
    if (s !== 0) q |= (Number.isNaN(this.firstData[row]) ? 1 : 5) << (c ^ 1);
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
        if (this.synAckCount[row] === 0) {
          this.synAckFirst[row] = t;
          this.synAckFrame[row] = frame;
          if (this.synCount[row] > 0) this.serverHalf[row] = t - this.synLast[row];
        }
        this.synAckLast[row] = t;
        this.synAckCount[row]++;
      }
    }
    if (client < 0) return;
    if (side === client) {
      if (synAck === TcpFlag.ACK && this.synAckCount[row] > 0 && Number.isNaN(this.ackTime[row])) {
        this.ackTime[row] = t;
        this.clientHalf[row] = t - this.synAckLast[row];
      }
      return;
    }
    let s = this.server[row] | 1;
    if (flags & TcpFlag.RST && this.synAckCount[row] === 0 && this.synCount[row] > 0) s |= 2;
    this.server[row] = s;
    if (len > 0 && Number.isNaN(this.firstData[row])) this.firstData[row] = t;
  }

  attempted(row: number): boolean {
    return this.synCount[row] > 0;
  }

  completed(row: number): boolean {
    return this.synCount[row] > 0 && this.synAckCount[row] > 0 && !Number.isNaN(this.ackTime[row]);
  }

  refused(row: number): boolean {
    return (this.server[row] & 2) !== 0;
  }

  unanswered(row: number): boolean {
    return this.synCount[row] > 0 && (this.server[row] & 1) === 0;
  }
}
