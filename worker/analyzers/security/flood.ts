import { L4_TCP, type PacketView } from '../../decode/packet.js';
import type { Detection } from '../../report/sections/security.js';
import { addressText, addrField, detection, hostText, inSet, n, pct, secs } from './common.js';
import { A_ACK, A_SYN, B_RST, B_SYNACK } from './flow-marks.js';
import type { FlowLists } from './flow-pass.js';
import { FlowView, type FinishInput } from './flow-view.js';
import { hashWords, KeyTable, keepUpperHalf, linearCount, moveColumns, popcount32, resized } from './key-table.js';
import { isGroupAddress } from './ranges.js';

/** Destinations followed per flood kind; when full, the quieter half is evicted (never one in alarm). */
export const FLOOD_TARGETS = 4096;
const SKETCH_WORDS = 8; // 256-bit linear-counting bitmaps for distinct sources and destination ports
const FRAMES = 12;
const PREFILTER_BUCKETS = 16384;

export type FloodKind = 'syn' | 'udp' | 'icmp';

/**
 * Packet rate towards each destination host in one-second bins (seconds since the capture start),
 * with the longest run of consecutive bins at or above the rate threshold, the peak bin, distinct
 * source and destination-port sketches and sample frames from the bins above the rate. Per packet: one
 * hash lookup (cached for runs of the same destination) and a few typed-array updates.
 */
export class RateTracker {
  readonly table = new KeyTable(5, FLOOD_TARGETS, 64);
  private curSec = new Float64Array(64);
  private curCount = new Int32Array(64);
  private lastQualSec = new Float64Array(64);
  private run = new Int32Array(64);
  maxRun = new Int32Array(64);
  peak = new Int32Array(64);
  total = new Float64Array(64);
  alarmPackets = new Float64Array(64);
  firstQual = new Float64Array(64);
  lastQualEnd = new Float64Array(64);
  srcBits = new Uint32Array(64 * SKETCH_WORDS);
  portBits = new Uint32Array(64 * SKETCH_WORDS);
  frames = new Int32Array(64 * FRAMES);
  nFrames = new Uint8Array(64);
  private readonly key = new Uint32Array(5);
  private lastVersion = 0;
  private lastDst0 = 0;
  private lastIdx = -1;
  /**
   * Pre-filter: packets per second per hash bucket of the destination. A destination gets a table
   * entry only once its bucket reaches a quarter of the rate within one second, so ordinary traffic
   * (thousands of hosts each receiving a little) never churns the table.
   */
  private readonly bucketSec = new Int32Array(PREFILTER_BUCKETS).fill(-0x80000000);
  private readonly bucketCount = new Int32Array(PREFILTER_BUCKETS);
  /** 1 when a destination hashed to this bucket has an entry (its packets then always go to the table). */
  private readonly bucketEntry = new Uint8Array(PREFILTER_BUCKETS);
  private readonly promoteAt: number;

  constructor(
    readonly kind: FloodKind,
    private readonly rate: number,
  ) {
    this.promoteAt = Math.max(1, Math.floor(rate / 4));
    this.table.onGrow = (cap) => {
      this.curSec = resized(this.curSec, cap);
      this.curCount = resized(this.curCount, cap);
      this.lastQualSec = resized(this.lastQualSec, cap);
      this.run = resized(this.run, cap);
      this.maxRun = resized(this.maxRun, cap);
      this.peak = resized(this.peak, cap);
      this.total = resized(this.total, cap);
      this.alarmPackets = resized(this.alarmPackets, cap);
      this.firstQual = resized(this.firstQual, cap);
      this.lastQualEnd = resized(this.lastQualEnd, cap);
      this.srcBits = resized(this.srcBits, cap * SKETCH_WORDS);
      this.portBits = resized(this.portBits, cap * SKETCH_WORDS);
      this.frames = resized(this.frames, cap * FRAMES);
      this.nFrames = resized(this.nFrames, cap);
    };
  }

  /**
   * Counts the packet in its destination's pre-filter bucket and returns the destination's entry: the
   * existing one when its bucket holds one, a new one once the bucket reaches a quarter of the rate
   * within one second, else -1 (not followed).
   */
  private route(h: number, sec: number): number {
    const b = h & (PREFILTER_BUCKETS - 1);
    let c: number;
    if (this.bucketSec[b] !== sec) {
      this.bucketSec[b] = sec;
      this.bucketCount[b] = c = 1;
    } else c = ++this.bucketCount[b];
    if (this.bucketEntry[b] !== 0) {
      const idx = this.table.find(this.key);
      if (idx >= 0 || c < this.promoteAt) return idx;
    } else if (c < this.promoteAt) return -1;
    this.bucketEntry[b] = 1;
    return this.lookup(sec, c - 1);
  }

  onPacket(v: PacketView): void {
    const version = v.ipVersion;
    const t = v.time;
    const sec = Math.floor(t);
    let idx: number;
    let srcHash: number;
    if (version === 4) {
      const d = v.dst4;
      if (this.lastVersion === 4 && this.lastDst0 === d && this.lastIdx >= 0) idx = this.lastIdx;
      else {
        if (d >>> 28 === 14 || d === 0xffffffff) return;
        const k = this.key;
        k[0] = 4;
        k[1] = d;
        k[2] = k[3] = k[4] = 0;
        idx = this.route(hashWords(d, 0, 0, 0), sec);
        this.lastVersion = 4;
        this.lastDst0 = d;
        this.lastIdx = idx;
      }
      srcHash = hashWords(v.src4, 0, 0, 0);
    } else if (version === 6) {
      const dv = v.dv;
      const dof = v.dstAddrOff;
      if (v.buf[dof] === 0xff) return;
      const k = this.key;
      k[0] = 6;
      k[1] = dv.getUint32(dof);
      k[2] = dv.getUint32(dof + 4);
      k[3] = dv.getUint32(dof + 8);
      k[4] = dv.getUint32(dof + 12);
      idx = this.route(hashWords(k[1], k[2], k[3], k[4]), sec);
      this.lastVersion = 6;
      this.lastIdx = -1;
      const so = v.srcAddrOff;
      srcHash = hashWords(dv.getUint32(so), dv.getUint32(so + 4), dv.getUint32(so + 8), dv.getUint32(so + 12));
    } else return;
    if (idx < 0) return;
    if (sec > this.curSec[idx]) this.closeBin(idx, sec);
    const c = ++this.curCount[idx];
    this.total[idx]++;
    const sb = idx * SKETCH_WORDS;
    this.srcBits[sb + ((srcHash >>> 5) & 7)] |= 1 << (srcHash & 31);
    const ph = Math.imul(v.dstPort + 1, 0x9e3779b1) >>> 24;
    this.portBits[sb + (ph >>> 5)] |= 1 << (ph & 31);
    if (c >= this.rate) {
      const nf = this.nFrames[idx];
      if (nf < FRAMES) {
        this.frames[idx * FRAMES + nf] = v.frame;
        this.nFrames[idx] = nf + 1;
      }
    }
  }

  /** Finds or adds the entry of `this.key`; a new entry's first bin starts with the `seen` packets the pre-filter counted. */
  private lookup(sec: number, seen: number): number {
    const tab = this.table;
    let idx = tab.findOrInsert(this.key);
    if (idx < 0) {
      this.evict();
      idx = tab.findOrInsert(this.key);
      if (idx < 0) return -1;
    }
    if (tab.inserted) {
      // The packets the pre-filter saw this second before promotion count towards this bin (an
      // over-count only if another destination shares the bucket).
      this.curSec[idx] = sec;
      this.curCount[idx] = seen;
      this.total[idx] = seen;
      this.lastQualSec[idx] = -Infinity;
      this.firstQual[idx] = -1;
    }
    return idx;
  }

  private closeBin(idx: number, next: number): void {
    const c = this.curCount[idx];
    const s = this.curSec[idx];
    if (c > this.peak[idx]) this.peak[idx] = c;
    if (c >= this.rate) {
      const r = this.lastQualSec[idx] === s - 1 ? this.run[idx] + 1 : 1;
      this.run[idx] = r;
      if (r > this.maxRun[idx]) this.maxRun[idx] = r;
      this.lastQualSec[idx] = s;
      this.alarmPackets[idx] += c;
      if (this.firstQual[idx] < 0) this.firstQual[idx] = s;
      this.lastQualEnd[idx] = s + 1;
    }
    this.curSec[idx] = next;
    this.curCount[idx] = 0;
  }

  private evict(): void {
    const size = this.table.size;
    const pinned = new Uint8Array(size);
    for (let i = 0; i < size; i++) pinned[i] = this.maxRun[i] > 0 || this.curCount[i] >= this.rate ? 1 : 0;
    const remap = this.table.compact(keepUpperHalf(this.total, size, pinned));
    moveColumns(remap, size, [
      [this.curSec, 1],
      [this.curCount, 1],
      [this.lastQualSec, 1],
      [this.run, 1],
      [this.maxRun, 1],
      [this.peak, 1],
      [this.total, 1],
      [this.alarmPackets, 1],
      [this.firstQual, 1],
      [this.lastQualEnd, 1],
      [this.srcBits, SKETCH_WORDS],
      [this.portBits, SKETCH_WORDS],
      [this.frames, FRAMES],
      [this.nFrames, 1],
    ]);
    this.lastIdx = -1;
    // Bucket flags follow the survivors.
    this.bucketEntry.fill(0);
    const k = this.table.keys;
    for (let i = 0; i < this.table.size; i++) {
      const o = i * 5;
      const h = k[o] === 4 ? hashWords(k[o + 1], 0, 0, 0) : hashWords(k[o + 1], k[o + 2], k[o + 3], k[o + 4]);
      this.bucketEntry[h & (PREFILTER_BUCKETS - 1)] = 1;
    }
  }

  /** Closes the open bins (end of capture). */
  close(): void {
    for (let i = 0; i < this.table.size; i++) this.closeBin(i, Infinity);
  }

  distinctSources(i: number): number {
    return this.estimate(this.srcBits, i);
  }

  distinctPorts(i: number): number {
    return this.estimate(this.portBits, i);
  }

  private estimate(bits: Uint32Array, i: number): number {
    let set = 0;
    for (let w = 0; w < SKETCH_WORDS; w++) set += popcount32(bits[i * SKETCH_WORDS + w]);
    return Math.round(linearCount(SKETCH_WORDS * 32, SKETCH_WORDS * 32 - set));
  }

  target(i: number): { version: number; text: string; key: number | string } {
    const k = this.table.keys;
    const o = i * 5;
    const version = k[o];
    return {
      version,
      text: addressText(version, k[o + 1], k[o + 2], k[o + 3], k[o + 4]),
      key: version === 4 ? k[o + 1] : `${k[o + 1]}:${k[o + 2]}:${k[o + 3]}:${k[o + 4]}`,
    };
  }

  sampleFrames(i: number): number[] {
    return Array.from(this.frames.subarray(i * FRAMES, i * FRAMES + this.nFrames[i]));
  }
}

interface Candidate {
  tracker: RateTracker;
  idx: number;
  text: string;
  start: number;
  end: number;
  attempts: number;
  completed: number;
  refused: number;
  unanswered: number;
  toTarget: number;
  fromTarget: number;
  ports: Map<number, number>;
  flowFrames: number[];
}

/**
 * SYN, UDP and ICMP floods: a destination receiving packets at or above the kind's rate for at least
 * floodSustainSeconds consecutive one-second bins. SYN floods also need most of those connection
 * attempts left half-open (client never ACKed); a single source hitting many ports is a port scan, not
 * a flood. UDP floods also need the target to stay mostly silent (few packets back). Many distinct
 * sources make it distributed (critical).
 */
export function detectFloods(inp: FinishInput, lists: FlowLists, trackers: { syn: RateTracker; udp: RateTracker; icmp: RateTracker }): Detection[] {
  const { flows, marks, t } = inp;
  const T = flows.tuples;
  const fv = new FlowView(flows, inp.ranges);
  const cands = new Map<number | string, Candidate[]>();
  const all: Candidate[] = [];
  for (const tracker of [trackers.syn, trackers.udp, trackers.icmp]) {
    tracker.close();
    for (let i = 0; i < tracker.table.size; i++) {
      if (tracker.maxRun[i] < t.floodSustainSeconds) continue;
      const tg = tracker.target(i);
      if (isGroupAddress(tg.version, tracker.table.keys[i * 5 + 1])) continue;
      const c: Candidate = {
        tracker,
        idx: i,
        text: tg.text,
        start: tracker.firstQual[i],
        end: tracker.lastQualEnd[i],
        attempts: 0,
        completed: 0,
        refused: 0,
        unanswered: 0,
        toTarget: 0,
        fromTarget: 0,
        ports: new Map(),
        flowFrames: [],
      };
      let l = cands.get(tg.key);
      if (!l) cands.set(tg.key, (l = []));
      l.push(c);
      all.push(c);
    }
  }
  if (all.length === 0) return [];
  // One pass over the flows for handshake outcomes (SYN floods) and reply volumes (UDP floods); a
  // bitmap of the targets' address hashes skips the flows that touch none of them.
  const F = marks.flags;
  const bits = new Uint32Array(2048);
  for (const c of all) {
    const o = c.idx * 5;
    const k = c.tracker.table.keys;
    const h = k[o] === 4 ? hashWords(k[o + 1], 0, 0, 0) : hashWords(k[o + 1], k[o + 2], k[o + 3], k[o + 4]);
    bits[(h >>> 5) & 2047] |= 1 << (h & 31);
  }
  const hit = (h: number) => (bits[(h >>> 5) & 2047] & (1 << (h & 31))) !== 0;
  for (let i = 0; i < flows.size; i++) {
    const hitA = hit(lists.hashA[i]);
    const hitB = hit(lists.hashB[i]);
    if (!hitA && !hitB) continue;
    const tcp = T.proto[i] === L4_TCP;
    for (let s = 0; s < 2; s++) {
      const side: 0 | 1 = s === 0 ? 1 : 0;
      if (side === 1 ? !hitB : !hitA) continue;
      const l = cands.get(fv.key(i, side));
      if (!l) continue;
      for (const c of l) {
        if (c.tracker.kind === 'syn' && tcp && side === 1) {
          const fl = i < F.length ? F[i] : 0;
          if (!(fl & A_SYN) || flows.firstTime[i] < c.start - 1 || flows.firstTime[i] > c.end + 1) continue;
          c.attempts++;
          if (fl & B_SYNACK && fl & A_ACK) c.completed++;
          else if (fl & B_RST && !(fl & B_SYNACK)) c.refused++;
          else if (flows.packetsBA[i] === 0) c.unanswered++;
          c.ports.set(T.portB[i], (c.ports.get(T.portB[i]) ?? 0) + 1);
          if (c.flowFrames.length < 10) c.flowFrames.push(flows.firstFrame[i]);
        } else if (c.tracker.kind === 'udp' && !tcp) {
          const into = side === 1 ? flows.packetsAB[i] : flows.packetsBA[i];
          const back = side === 1 ? flows.packetsBA[i] : flows.packetsAB[i];
          c.toTarget += into;
          c.fromTarget += back;
          const port = side === 1 ? T.portB[i] : T.portA[i];
          c.ports.set(port, (c.ports.get(port) ?? 0) + into);
        }
      }
    }
  }
  const out: Detection[] = [];
  for (const c of all) {
    const tr = c.tracker;
    const i = c.idx;
    const sources = tr.distinctSources(i);
    const dports = tr.distinctPorts(i);
    const peak = tr.peak[i];
    const secondsOver = tr.maxRun[i];
    const distributed = sources >= t.ddosMinSources;
    const ports = [...c.ports.entries()].sort((a, b) => b[1] - a[1]).map(([p]) => p);
    let portTotal = 0;
    for (const x of c.ports.values()) portTotal += x;
    // A port is named only when it takes at least half of the traffic (random-port floods have none).
    const topPort = ports.length > 0 && c.ports.get(ports[0])! >= portTotal * 0.5 ? ports[0] : -1;
    const dst = c.text;
    const dstText = topPort >= 0 && tr.kind !== 'icmp' ? `${hostText(dst)}:${topPort}` : hostText(dst);
    const rate = tr.kind === 'syn' ? t.synFloodRatePerSecond : tr.kind === 'udp' ? t.udpFloodRatePerSecond : t.icmpFloodRatePerSecond;
    const v6 = dst.includes(':');
    let title: string;
    let rule: string;
    let filter: string;
    let kind: Detection['kind'];
    let confidence = 0.55 + 0.15 * Math.min(1, (secondsOver - t.floodSustainSeconds) / 10) + 0.1 * Math.min(1, peak / rate - 1);
    const metrics: Record<string, number> = {
      peakPerSecond: peak,
      secondsAtRate: secondsOver,
      packetsAtRate: tr.alarmPackets[i],
      packetsTotal: tr.total[i],
      estimatedSources: sources,
      estimatedDestinationPorts: dports,
    };
    if (tr.kind === 'syn') {
      // A single source probing many ports is a scan (reported as such), not a flood.
      if (sources <= 2 && dports >= 20) continue;
      const halfOpen = c.attempts > 0 ? 1 - c.completed / c.attempts : 1;
      if (halfOpen < t.synFloodMinHalfOpenRatio) continue;
      confidence += 0.2 * halfOpen;
      kind = 'syn_flood';
      title = `${distributed ? 'Distributed SYN flood' : 'SYN flood'} towards ${dstText}: up to ${n(peak)} SYN/s for ${secs(secondsOver)} from ~${n(sources)} source${sources === 1 ? '' : 's'}, ${pct(halfOpen)} of connections half-open`;
      rule =
        `SYN flood: ≥ ${rate} SYNs (without ACK) per second towards one host for ≥ ${t.floodSustainSeconds} consecutive one-second bins, with ≥ ${pct(t.synFloodMinHalfOpenRatio)} of those connection attempts never completed by the client; distributed when ≥ ${t.ddosMinSources} sources (estimated). ` +
        `Here: ${n(c.attempts)} attempts tracked in the flood period, ${n(c.completed)} completed, ${n(c.refused)} refused (RST), ${n(c.unanswered)} unanswered.`;
      filter = `${addrField(dst, 'dst')} && tcp.flags.syn == 1 && tcp.flags.ack == 0${topPort >= 0 ? ` && tcp.dstport == ${topPort}` : ''}`;
      Object.assign(metrics, { attempts: c.attempts, completed: c.completed, refused: c.refused, unanswered: c.unanswered, halfOpenRatio: halfOpen });
    } else if (tr.kind === 'udp') {
      const reply = c.toTarget > 0 ? c.fromTarget / c.toTarget : 0;
      if (reply > t.udpFloodMaxReplyRatio) continue;
      kind = 'udp_flood';
      title = `${distributed ? 'Distributed UDP flood' : 'UDP flood'} towards ${dstText}: up to ${n(peak)} packets/s for ${secs(secondsOver)} from ~${n(sources)} source${sources === 1 ? '' : 's'}, ${pct(reply)} answered`;
      rule =
        `UDP flood: ≥ ${rate} UDP packets per second towards one host for ≥ ${t.floodSustainSeconds} consecutive one-second bins while the host sends back ≤ ${pct(t.udpFloodMaxReplyRatio)} as many; distributed when ≥ ${t.ddosMinSources} sources (estimated). ` +
        `Here: ${n(c.toTarget)} packets in, ${n(c.fromTarget)} out over the capture, ~${n(dports)} destination ports.`;
      filter = `${addrField(dst, 'dst')} && udp${ports.length > 0 && ports.length <= 5 ? ` && ${inSet('udp.dstport', ports)}` : ''}`;
      Object.assign(metrics, { packetsIn: c.toTarget, packetsBack: c.fromTarget, replyRatio: reply });
    } else {
      kind = 'icmp_flood';
      title = `${distributed ? 'Distributed ICMP flood' : 'ICMP flood'} towards ${hostText(dst)}: up to ${n(peak)} packets/s for ${secs(secondsOver)} from ~${n(sources)} source${sources === 1 ? '' : 's'}`;
      rule = `ICMP flood: ≥ ${rate} ICMP echo requests or other unsolicited (non-error, non-reply) ICMP messages, or ICMPv6 echo requests, per second towards one host for ≥ ${t.floodSustainSeconds} consecutive one-second bins; distributed when ≥ ${t.ddosMinSources} sources (estimated).`;
      filter = `${addrField(dst, 'dst')} && ${v6 ? 'icmpv6.type == 128' : 'icmp && !(icmp.type in {0, 3, 4, 5, 11, 12})'}`;
    }
    out.push(
      detection({
        id: `${kind}-${dst}`,
        kind,
        severity: distributed || secondsOver >= 10 ? 'critical' : 'warning',
        confidence,
        title,
        rule,
        hosts: [dst],
        ports: tr.kind === 'icmp' ? [] : ports,
        start: c.start,
        end: c.end,
        frames: [...tr.sampleFrames(i), ...c.flowFrames],
        filter,
        metrics,
      }),
    );
  }
  return out;
}
