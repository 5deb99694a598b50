import { L4_TCP, type PacketView } from '../../decode/packet.js';
import type { Detection } from '../../report/sections/security.js';
import { addressText, addrField, detection, hostText, n, secs } from './common.js';
import { hashWords, KeyTable, keepUpperHalf, moveColumns, resized } from './key-table.js';
import { isGroupAddress, type InternalRanges } from './ranges.js';
import type { SecurityThresholds } from './thresholds.js';

/** (source, destination, port) pairs followed; when full, the half with fewest beats is evicted. */
export const BEACON_PAIRS = 16384;
const FRAMES = 8;
const W = 10; // key words: version, source (4), destination (4), proto << 16 | port
/** Slots of the first-sighting gate (pairs seen once wait here; a collision just forgets the older one). */
const GATE = 32768;

/** Destination ports whose periodic new flows are ordinary (DNS, NTP, discovery, DHCP, NetBIOS). */
const UDP_ROUTINE_PORTS = new Set([53, 67, 68, 123, 137, 138, 1900, 3702, 5353, 5355]);

/**
 * Beaconing: new connections from one host to one destination:port recurring at a regular interval.
 * A pair's first connection waits in a hashed first-sighting slot; its second creates the pair's entry.
 * Per pair, a bounded sketch: connection starts closer than beaconMergeSeconds to the previous one are
 * one beat; the intervals between beats feed a running mean and variance (Welford). An interval within
 * 10% of 2–4 times the running period (after 4 intervals) counts as that many beats (missed beats).
 * Only TCP connections opened with a SYN and new UDP flows count; updates happen once per new flow.
 */
export class BeaconDetector {
  readonly table = new KeyTable(W, BEACON_PAIRS, 256);
  private conns = new Int32Array(256);
  private beats = new Int32Array(256);
  private intervals = new Int32Array(256);
  private missed = new Int32Array(256);
  private first = new Float64Array(256);
  private lastConn = new Float64Array(256);
  private lastBeat = new Float64Array(256);
  private mean = new Float64Array(256);
  private m2 = new Float64Array(256);
  private minI = new Float64Array(256);
  private maxI = new Float64Array(256);
  private frames = new Int32Array(256 * FRAMES);
  private readonly key = new Uint32Array(W);
  private readonly gateTag = new Uint32Array(GATE);
  private readonly gateTime = new Float64Array(GATE);
  private readonly gateFrame = new Int32Array(GATE);

  constructor(
    private readonly t: SecurityThresholds,
    private readonly ranges: InternalRanges,
  ) {
    this.table.onGrow = (cap) => {
      this.conns = resized(this.conns, cap);
      this.beats = resized(this.beats, cap);
      this.intervals = resized(this.intervals, cap);
      this.missed = resized(this.missed, cap);
      this.first = resized(this.first, cap);
      this.lastConn = resized(this.lastConn, cap);
      this.lastBeat = resized(this.lastBeat, cap);
      this.mean = resized(this.mean, cap);
      this.m2 = resized(this.m2, cap);
      this.minI = resized(this.minI, cap);
      this.maxI = resized(this.maxI, cap);
      this.frames = resized(this.frames, cap * FRAMES);
    };
  }

  /** A new flow (TCP: its first packet is a SYN). */
  onNewFlow(v: PacketView): void {
    const tcp = v.l4 === L4_TCP;
    if (!tcp && (UDP_ROUTINE_PORTS.has(v.dstPort) || UDP_ROUTINE_PORTS.has(v.srcPort))) return;
    const k = this.key;
    k[0] = v.ipVersion;
    if (v.ipVersion === 4) {
      k[1] = v.src4;
      k[5] = v.dst4;
      k[2] = k[3] = k[4] = k[6] = k[7] = k[8] = 0;
    } else if (v.ipVersion === 6) {
      const dv = v.dv;
      for (let i = 0; i < 4; i++) {
        k[1 + i] = dv.getUint32(v.srcAddrOff + i * 4);
        k[5 + i] = dv.getUint32(v.dstAddrOff + i * 4);
      }
    } else return;
    if (isGroupAddress(v.ipVersion, k[5])) return;
    if (this.t.beaconExternalOnly && this.ranges.isInternal(v.ipVersion, k[5], k[6], k[7], k[8])) return;
    k[9] = ((tcp ? 6 : 17) << 16) | v.dstPort;
    const time = v.time;
    let idx = this.table.find(k);
    if (idx < 0) {
      // First sighting gate: a pair enters the table on its second connection, so the many pairs seen
      // once (clients, scans) cost one hashed slot write and never churn the table.
      const h = (hashWords(k[1], k[2], k[3], k[4]) ^ Math.imul(hashWords(k[5], k[6], k[7], k[8]) + k[9] + k[0], 0x9e3779b1)) >>> 0 || 1;
      const b = h & (GATE - 1);
      if (this.gateTag[b] !== h) {
        this.gateTag[b] = h;
        this.gateTime[b] = time;
        this.gateFrame[b] = v.frame;
        return;
      }
      idx = this.table.findOrInsert(k);
      if (idx < 0) {
        this.evict();
        idx = this.table.findOrInsert(k);
        if (idx < 0) return;
      }
      const t0 = this.gateTime[b];
      this.conns[idx] = 1;
      this.beats[idx] = 1;
      this.intervals[idx] = 0;
      this.missed[idx] = 0;
      this.mean[idx] = 0;
      this.m2[idx] = 0;
      this.maxI[idx] = 0;
      this.first[idx] = this.lastConn[idx] = this.lastBeat[idx] = t0;
      this.minI[idx] = Infinity;
      this.frames[idx * FRAMES] = this.gateFrame[b];
    }
    this.conns[idx]++;
    const gap = time - this.lastConn[idx];
    if (gap > 0) this.lastConn[idx] = time;
    if (gap < this.t.beaconMergeSeconds) return;
    let interval = time - this.lastBeat[idx];
    this.lastBeat[idx] = time;
    let steps = 1;
    const mean = this.mean[idx];
    if (this.intervals[idx] >= 4 && mean > 0) {
      const mult = Math.round(interval / mean);
      if (mult >= 2 && mult <= 4 && Math.abs(interval - mult * mean) <= 0.1 * mean) {
        steps = mult;
        interval /= mult;
        this.missed[idx] += mult - 1;
      }
    }
    const b = this.beats[idx];
    if (b < FRAMES) this.frames[idx * FRAMES + b] = v.frame;
    this.beats[idx] = b + 1;
    for (let s = 0; s < steps; s++) {
      const c = ++this.intervals[idx];
      const d = interval - this.mean[idx];
      this.mean[idx] += d / c;
      this.m2[idx] += d * (interval - this.mean[idx]);
    }
    if (interval < this.minI[idx]) this.minI[idx] = interval;
    if (interval > this.maxI[idx]) this.maxI[idx] = interval;
  }

  private evict(): void {
    const size = this.table.size;
    const remap = this.table.compact(keepUpperHalf(this.beats, size));
    moveColumns(remap, size, [
      [this.conns, 1],
      [this.beats, 1],
      [this.intervals, 1],
      [this.missed, 1],
      [this.first, 1],
      [this.lastConn, 1],
      [this.lastBeat, 1],
      [this.mean, 1],
      [this.m2, 1],
      [this.minI, 1],
      [this.maxI, 1],
      [this.frames, FRAMES],
    ]);
  }

  finish(): Detection[] {
    const t = this.t;
    const out: Detection[] = [];
    const K = this.table.keys;
    for (let i = 0; i < this.table.size; i++) {
      const beats = this.beats[i];
      const k = this.intervals[i];
      if (beats < t.beaconMinConnections || k < 2) continue;
      const period = this.mean[i];
      if (period < t.beaconMinPeriodSeconds) continue;
      const sd = Math.sqrt(this.m2[i] / (k - 1));
      const cv = sd / period;
      if (cv > t.beaconMaxCv) continue;
      const o = i * W;
      const version = K[o];
      const src = addressText(version, K[o + 1], K[o + 2], K[o + 3], K[o + 4]);
      const dst = addressText(version, K[o + 5], K[o + 6], K[o + 7], K[o + 8]);
      const tcp = K[o + 9] >>> 16 === 6;
      const port = K[o + 9] & 0xffff;
      const span = this.lastBeat[i] - this.first[i];
      const regular = t.beaconMaxCv > 0 ? 1 - cv / t.beaconMaxCv : 1;
      out.push(
        detection({
          id: `beacon-${src}-${dst}-${port}`,
          kind: 'beaconing',
          severity: beats >= 3 * t.beaconMinConnections && cv <= t.beaconMaxCv / 2 ? 'critical' : 'warning',
          confidence: 0.45 + 0.3 * regular + 0.25 * Math.min(1, beats / (3 * t.beaconMinConnections)),
          title: `Beaconing: ${hostText(src)} → ${hostText(dst)}:${port}/${tcp ? 'tcp' : 'udp'} every ${secs(period)} ± ${secs(sd)} (${n(beats)} connections over ${secs(span)})`,
          rule:
            `Beaconing: ≥ ${t.beaconMinConnections} new ${tcp ? 'TCP connections' : 'UDP flows'} from one host to one destination:port at a regular interval — coefficient of variation of the intervals ≤ ${t.beaconMaxCv}, mean interval ≥ ${t.beaconMinPeriodSeconds} s` +
            `${t.beaconExternalOnly ? ', destination outside the internal ranges' : ''}. Connections within ${t.beaconMergeSeconds} s of the previous one are one beat; an interval close to 2–4 periods counts as missed beats. ` +
            `Here: period ${period.toFixed(2)} s, jitter (std) ${sd.toFixed(2)} s (CV ${cv.toFixed(3)}), intervals ${this.minI[i].toFixed(2)}–${this.maxI[i].toFixed(2)} s${this.missed[i] ? `, ${n(this.missed[i])} missed beats` : ''}.`,
          hosts: [src, dst],
          ports: [port],
          start: this.first[i],
          end: this.lastBeat[i],
          frames: this.frames.subarray(i * FRAMES, i * FRAMES + Math.min(FRAMES, beats)),
          filter: tcp
            ? `${addrField(src, 'src')} && ${addrField(dst, 'dst')} && tcp.dstport == ${port} && tcp.flags.syn == 1 && tcp.flags.ack == 0`
            : `${addrField(src, 'src')} && ${addrField(dst, 'dst')} && udp.dstport == ${port}`,
          metrics: {
            periodSeconds: period,
            jitterSeconds: sd,
            cv,
            beats,
            connections: this.conns[i],
            missedBeats: this.missed[i],
            minIntervalSeconds: this.minI[i],
            maxIntervalSeconds: this.maxI[i],
            spanSeconds: span,
          },
        }),
      );
    }
    return out;
  }
}
