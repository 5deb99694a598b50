import { L4, type PacketView } from '../decode/packet.js';
import type { UdpSection } from '../report/sections/traffic.js';
import type { Analyzer, FinishContext } from './analyzer.js';
import type { FlowTable } from './flow-table.js';
import { growI32 } from './stats.js';

/** Directions with fewer packets get no jitter figure. */
export const MIN_PACKETS = 10;
export const MAX_UDP_ROWS = 200;
/** Flow directions followed at once; beyond, directions are counted (in `omitted`) but not measured. */
export const MAX_TRACKED_DIRECTIONS = 65536;
/** When every slot is taken, one-packet directions idle this long give their slot back. */
const RECLAIM_IDLE_SECONDS = 2;
/** RFC 3550 §6.4.1 filter gain. */
const GAIN = 1 / 16;
/** An interval this many times the mean spacing is a pause (talk spurt boundary), not jitter. */
const PAUSE_FACTOR = 8;
/** After this many pauses in a row the spacing estimate restarts (the stream changed its rate). */
const PAUSES_TO_RESTART = 3;
/** RTP packets (with one SSRC) a direction needs, as a share of its packets, to be measured as RTP. */
const RTP_SHARE = 0.9;
/** Span of arrivals over which a dynamic payload type's clock rate is estimated. */
const RATE_ESTIMATE_SECONDS = 0.5;
const RATE_ESTIMATE_PACKETS = 5;
const STANDARD_RATES = [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 90000];
const RATE_TOLERANCE = 0.05;
/** Non-RTP directions sending less often than this on average are not streams: no jitter row. */
export const MAX_STREAM_INTERVAL_SECONDS = 1;

/** RTP clock rates of the static payload types (RFC 3551). */
const STATIC_RATES = new Float64Array(128);
for (const pt of [0, 3, 4, 5, 7, 8, 9, 12, 13, 15, 18]) STATIC_RATES[pt] = 8000;
STATIC_RATES[6] = 16000;
STATIC_RATES[10] = STATIC_RATES[11] = 44100;
STATIC_RATES[16] = 11025;
STATIC_RATES[17] = 22050;
for (const pt of [14, 25, 26, 28, 31, 32, 33, 34]) STATIC_RATES[pt] = 90000;

/** Per-direction state: one Float64Array, D.SIZE numbers per slot (a const enum: inlined by bundlers). */
const enum D {
  /** Packets. */
  N = 0,
  FIRST_R = 1,
  LAST_R = 2,
  /** Accepted intervals (spacing estimate). */
  SUM_INT = 3,
  N_INT = 4,
  PAUSES = 5,
  /** Spacing-based estimate, seconds. */
  J = 6,
  MAX_J = 7,
  MAX_GAP = 8,
  /** -1 until the first RTP-looking packet. */
  SSRC = 9,
  PT = 10,
  RTP_N = 11,
  /** 0 unknown, -1 could not be determined. */
  RATE = 12,
  /** Raw 32-bit RTP timestamp of the last packet. */
  LAST_TS = 13,
  /** Unwrapped RTP timestamp. */
  TS_EXT = 14,
  RTP_FIRST_R = 15,
  TS_FIRST = 16,
  /** NaN until known. */
  TRANSIT = 17,
  /** RFC 3550 estimate with RTP timestamps, seconds. */
  RJ = 18,
  RMAX_J = 19,
  /** Flow row * 2 + direction. */
  ROW = 20,
  SIZE = 21,
}

/**
 * UDP interarrival jitter per flow and direction, after RFC 3550 §6.4.1:
 *     D(i−1, i) = (R_i − R_{i−1}) − (S_i − S_{i−1}),   J ← J + (|D| − J) / 16
 * with R the arrival time (capture timestamp) and S the send time.
 *
 * - RTP (version 2, payload type not in the RTCP range 72–76, ≥ 90 % of the direction's packets
 *   carrying the SSRC of its first RTP packet — no port rule, as RTP ports are dynamic): S is the RTP
 *   timestamp over the clock rate, exactly RFC 3550 (and Wireshark's RTP analysis). The rate comes from
 *   the static payload-type table (RFC 3551); for dynamic types it is estimated from the first 0.5 s
 *   (timestamp advance over arrival time) and snapped to the nearest standard rate within 5 %; the
 *   filter starts once it is known, and a direction whose rate cannot be told falls back to the next.
 * - Anything else carries no send time. We assume the sender is periodic: S_i − S_{i−1} is taken as
 *   the direction's mean spacing so far, so D is the deviation of each interval from the mean spacing
 *   (for a truly constant-rate sender this is exactly RFC 3550). Intervals over 8× the mean spacing are
 *   pauses (like RTP talk-spurt gaps): kept out of the mean and the filter, but reported in `maxGap`;
 *   three pauses in a row restart the estimate at the new rate. For non-periodic traffic the figure
 *   measures burstiness, not network jitter, so non-RTP directions averaging more than 1 s between
 *   packets (announcements, request/response chatter: SSDP, mDNS, DNS) get no row at all; busier
 *   non-periodic flows (bulk QUIC) do, with small figures of the order of their packet spacing.
 *
 * Output per direction with ≥ 10 packets: `jitterMs` (J at the end), `maxJitterMs` (its largest value),
 * `meanIntervalMs` ((last − first arrival) / (packets − 1)), `maxGap` (largest interval, seconds).
 * Sorted by jitter, highest first, 200 rows.
 *
 * Memory: state lives in slots of one Float64Array (≤ 65536 directions), mapped from flow rows by an
 * Int32Array. When slots run out, directions that saw one packet and have been idle for 2 s give theirs
 * back (a DNS exchange does not pin a slot); directions that find no slot are not measured and are
 * counted in `omitted` if they reach 10 packets. Per packet: ~30 arithmetic operations on one slot.
 */
export class UdpAnalyzer implements Analyzer<UdpSection> {
  private state = new Float64Array(1024 * D.SIZE);
  private slots = 0;
  private readonly free: number[] = [];
  /** Slot of each flow row and direction (row * 2 + dir): -1 none yet, -2 not measured. */
  private slotOf = new Int32Array(2048).fill(-1);
  private nextReclaim = -Infinity;

  constructor(private readonly flows: FlowTable) {}

  onPacket(v: PacketView): void {
    if (v.l4 !== L4.UDP || v.flowIndex < 0) return;
    const key = v.flowIndex * 2 + v.flowDir;
    if (key >= this.slotOf.length) this.slotOf = growI32(this.slotOf, key + 2, -1);
    let slot = this.slotOf[key];
    if (slot === -2) return;
    const R = v.time;
    if (slot < 0) {
      slot = this.allocate(key, R);
      if (slot < 0) {
        this.slotOf[key] = -2;
        return;
      }
    }
    const s = this.state;
    const o = slot * D.SIZE;
    const n = s[o + D.N];
    s[o + D.N] = n + 1;
    if (n === 0) {
      s[o + D.FIRST_R] = R;
      s[o + D.LAST_R] = R;
    } else {
      this.spacing(s, o, R);
    }
    if (v.payloadCapLen >= 12) this.rtp(v, s, o, R);
  }

  private spacing(s: Float64Array, o: number, R: number): void {
    const interval = R - s[o + D.LAST_R];
    s[o + D.LAST_R] = R;
    if (interval > s[o + D.MAX_GAP]) s[o + D.MAX_GAP] = interval;
    const nInt = s[o + D.N_INT];
    const mean = nInt > 0 ? s[o + D.SUM_INT] / nInt : 0;
    if (nInt >= 3 && interval > PAUSE_FACTOR * mean) {
      const p = s[o + D.PAUSES] + 1;
      if (p < PAUSES_TO_RESTART) {
        s[o + D.PAUSES] = p;
        return;
      }
      // The stream settled at a slower rate: start the spacing estimate over from this interval.
      s[o + D.PAUSES] = 0;
      s[o + D.SUM_INT] = interval;
      s[o + D.N_INT] = 1;
      return;
    }
    s[o + D.PAUSES] = 0;
    if (nInt > 0) {
      const d = Math.abs(interval - mean);
      const j = s[o + D.J] + (d - s[o + D.J]) * GAIN;
      s[o + D.J] = j;
      if (j > s[o + D.MAX_J]) s[o + D.MAX_J] = j;
    }
    s[o + D.SUM_INT] += interval;
    s[o + D.N_INT] = nInt + 1;
  }

  private rtp(v: PacketView, s: Float64Array, o: number, R: number): void {
    const buf = v.l4Buf;
    const p = v.payloadOff;
    const b0 = buf[p];
    if (b0 >> 6 !== 2) return;
    const pt = buf[p + 1] & 0x7f;
    if (pt >= 72 && pt <= 76) return; // RTCP sharing the port (RFC 5761)
    const dv = v.l4Dv;
    const ts = dv.getUint32(p + 4);
    const ssrc = dv.getUint32(p + 8);
    if (s[o + D.SSRC] < 0) {
      s[o + D.SSRC] = ssrc;
      s[o + D.PT] = pt;
      s[o + D.RTP_N] = 1;
      s[o + D.LAST_TS] = ts;
      s[o + D.TS_EXT] = ts;
      s[o + D.TS_FIRST] = ts;
      s[o + D.RTP_FIRST_R] = R;
      const rate = STATIC_RATES[pt];
      s[o + D.RATE] = rate;
      s[o + D.TRANSIT] = rate > 0 ? R - ts / rate : NaN;
      return;
    }
    if (s[o + D.SSRC] !== ssrc) return;
    s[o + D.RTP_N]++;
    const ext = s[o + D.TS_EXT] + ((ts - s[o + D.LAST_TS]) | 0);
    s[o + D.LAST_TS] = ts;
    s[o + D.TS_EXT] = ext;
    let rate = s[o + D.RATE];
    if (rate === 0) {
      const span = R - s[o + D.RTP_FIRST_R];
      if (span < RATE_ESTIMATE_SECONDS || s[o + D.RTP_N] < RATE_ESTIMATE_PACKETS) return;
      rate = snapRate((ext - s[o + D.TS_FIRST]) / span);
      s[o + D.RATE] = rate;
      if (rate > 0) s[o + D.TRANSIT] = R - ext / rate;
      return;
    }
    if (rate < 0) return;
    const transit = R - ext / rate;
    const prev = s[o + D.TRANSIT];
    s[o + D.TRANSIT] = transit;
    if (prev !== prev) return; // NaN
    const d = Math.abs(transit - prev);
    const j = s[o + D.RJ] + (d - s[o + D.RJ]) * GAIN;
    s[o + D.RJ] = j;
    if (j > s[o + D.RMAX_J]) s[o + D.RMAX_J] = j;
  }

  private allocate(key: number, now: number): number {
    let slot: number;
    let reused = true;
    if (this.free.length > 0) slot = this.free.pop()!;
    else if (this.slots < MAX_TRACKED_DIRECTIONS) {
      slot = this.slots++;
      reused = false;
      if (this.slots * D.SIZE > this.state.length) {
        const grown = new Float64Array(Math.min(MAX_TRACKED_DIRECTIONS, this.slots * 2) * D.SIZE);
        grown.set(this.state);
        this.state = grown;
      }
    } else {
      if (now < this.nextReclaim || this.reclaim(now) === 0) return -1;
      slot = this.free.pop()!;
    }
    const s = this.state;
    const o = slot * D.SIZE;
    // A slot never used is still zero (new typed arrays are): most directions skip the fill call.
    if (reused) s.fill(0, o, o + D.SIZE);
    s[o + D.SSRC] = -1;
    s[o + D.TRANSIT] = NaN;
    s[o + D.ROW] = key;
    this.slotOf[key] = slot;
    return slot;
  }

  /** Frees slots of one-packet directions idle for RECLAIM_IDLE_SECONDS; returns how many. */
  private reclaim(now: number): number {
    const s = this.state;
    const limit = now - RECLAIM_IDLE_SECONDS;
    let freed = 0;
    for (let slot = 0; slot < this.slots; slot++) {
      const o = slot * D.SIZE;
      if (s[o + D.N] === 1 && s[o + D.LAST_R] < limit) {
        this.slotOf[s[o + D.ROW]] = -2;
        s[o + D.N] = 0;
        this.free.push(slot);
        freed++;
      }
    }
    // Sweeping is O(slots): when it frees little, wait before trying again.
    if (freed < MAX_TRACKED_DIRECTIONS / 64) this.nextReclaim = now + RECLAIM_IDLE_SECONDS;
    return freed;
  }

  finish(ctx: FinishContext): UdpSection {
    const f = this.flows;
    const s = this.state;
    const rows: Array<UdpSection['flows']['items'][number] & { order: number }> = [];
    let unmeasured = 0;
    for (let key = 0; key < this.slotOf.length; key++) {
      const slot = this.slotOf[key];
      if (slot === -1) continue;
      const idx = key >> 1;
      const dir = key & 1;
      const packets = dir === 0 ? f.packetsAB[idx] : f.packetsBA[idx];
      if (slot === -2) {
        if (packets >= MIN_PACKETS) unmeasured++;
        continue;
      }
      const o = slot * D.SIZE;
      const n = s[o + D.N];
      if (n < MIN_PACKETS) continue;
      const useRtp = s[o + D.RATE] > 0 && s[o + D.RTP_N] >= MIN_PACKETS && s[o + D.RTP_N] >= RTP_SHARE * n;
      const meanInterval = Math.max(0, s[o + D.LAST_R] - s[o + D.FIRST_R]) / (n - 1);
      if (!useRtp && meanInterval > MAX_STREAM_INTERVAL_SECONDS) continue;
      const jitter = useRtp ? s[o + D.RJ] : s[o + D.J];
      const maxJitter = useRtp ? s[o + D.RMAX_J] : s[o + D.MAX_J];
      const a = { ip: ctx.flowAddress(idx, 0), port: f.port(idx, 0) };
      const b = { ip: ctx.flowAddress(idx, 1), port: f.port(idx, 1) };
      rows.push({
        flow: f.streamId[idx],
        from: dir === 0 ? a : b,
        to: dir === 0 ? b : a,
        packets: n,
        method: useRtp ? ('rtp' as const) : ('spacing' as const),
        jitterMs: jitter * 1000,
        maxJitterMs: maxJitter * 1000,
        meanIntervalMs: meanInterval * 1000,
        maxGap: Math.max(0, s[o + D.MAX_GAP]),
        order: key,
      });
    }
    rows.sort((x, y) => y.jitterMs - x.jitterMs || x.order - y.order);
    const items = rows.slice(0, MAX_UDP_ROWS).map(({ order: _order, ...r }) => r);
    return { flows: { items, omitted: Math.max(0, rows.length - MAX_UDP_ROWS) + unmeasured } };
  }

  /** Whether the direction was measured with RTP timestamps (for tests and finer reports). */
  methodOf(flowIndex: number, dir: 0 | 1): 'rtp' | 'spacing' | null {
    const slot = this.slotOf[flowIndex * 2 + dir];
    if (slot === undefined || slot < 0) return null;
    const s = this.state;
    const o = slot * D.SIZE;
    const n = s[o + D.N];
    return s[o + D.RATE] > 0 && s[o + D.RTP_N] >= MIN_PACKETS && s[o + D.RTP_N] >= RTP_SHARE * n ? 'rtp' : 'spacing';
  }
}

/** The standard RTP clock rate within 5 % of an estimate, or -1. */
export function snapRate(estimate: number): number {
  if (!(estimate > 0)) return -1;
  let best = -1;
  let bestErr = Infinity;
  for (const r of STANDARD_RATES) {
    const err = Math.abs(estimate / r - 1);
    if (err < bestErr) {
      bestErr = err;
      best = r;
    }
  }
  return bestErr <= RATE_TOLERANCE ? best : -1;
}
