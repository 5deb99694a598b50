import { L4_ICMP, L4_ICMPV6, L4_TCP, L4_UDP, TCP_ACK, TCP_SYN, type PacketView } from '../../decode/packet.js';
import type { Detection, SecuritySection } from '../../report/sections/security.js';
import type { Analyzer, FinishContext } from '../analyzer.js';
import type { FlowTable } from '../flow-table.js';
import { BeaconDetector } from './beacon.js';
import { detectBruteForce } from './brute-force.js';
import { DnsTunnelDetector } from './dns-tunnel.js';
import { detectExfiltration } from './exfil.js';
import { FlowMarks } from './flow-marks.js';
import { flowPass } from './flow-pass.js';
import type { FinishInput } from './flow-view.js';
import { detectFloods, RateTracker } from './flood.js';
import { detectLateral } from './lateral.js';
import { DEFAULT_INTERNAL_RANGES, InternalRanges } from './ranges.js';
import { detectScans } from './scan.js';
import { resolveSecurityThresholds, type SecurityThresholds } from './thresholds.js';

export { SECURITY_THRESHOLDS, defaultSecurityThresholds, resolveSecurityThresholds } from './thresholds.js';
export type { SecurityThresholdName, SecurityThresholds } from './thresholds.js';
export { DEFAULT_INTERNAL_RANGES, InternalRanges, parseCidr } from './ranges.js';

export interface SecurityOptions {
  /** Overrides of the documented thresholds (see ./thresholds.ts); unknown names or bad values throw. */
  thresholds?: Partial<Record<string, number>>;
  /** CIDR ranges that count as internal, replacing the defaults (RFC 1918/4193, loopback, link-local, CGNAT). */
  internalRanges?: readonly string[];
}

/** Detections kept in the report; the rest are counted as omitted (lowest severity/confidence first). */
export const MAX_DETECTIONS = 200;

const SEVERITY_RANK = { critical: 0, warning: 1, info: 2 } as const;

/**
 * Security detectors: port scans, brute force, SYN/UDP/ICMP floods, DNS tunnelling, beaconing,
 * exfiltration and lateral movement. Per packet, only typed-array updates and (for SYNs, UDP, ICMP
 * and DNS) one bounded hash lookup; scans, brute force, lateral movement and exfiltration are
 * evaluated once at the end from the shared flow table plus a few per-flow marks kept here. Every
 * detection carries its rule text with the thresholds used, the hosts and ports involved, its time
 * range, sample frames and a Wireshark display filter for the evidence.
 */
export class SecurityAnalyzer implements Analyzer<SecuritySection> {
  readonly thresholds: SecurityThresholds;
  readonly ranges: InternalRanges;
  private readonly marks: FlowMarks;
  private readonly syn: RateTracker;
  private readonly udp: RateTracker;
  private readonly icmp: RateTracker;
  private readonly dns = new DnsTunnelDetector();
  private readonly beacon: BeaconDetector;

  constructor(
    private readonly flows: FlowTable,
    options: SecurityOptions = {},
  ) {
    this.thresholds = resolveSecurityThresholds(options.thresholds ?? {});
    this.ranges = new InternalRanges(options.internalRanges ?? DEFAULT_INTERNAL_RANGES);
    this.marks = new FlowMarks(flows);
    const t = this.thresholds;
    this.syn = new RateTracker('syn', Math.max(1, t.synFloodRatePerSecond));
    this.udp = new RateTracker('udp', Math.max(1, t.udpFloodRatePerSecond));
    this.icmp = new RateTracker('icmp', Math.max(1, t.icmpFloodRatePerSecond));
    this.beacon = new BeaconDetector(t, this.ranges);
  }

  onPacket(v: PacketView): void {
    const l4 = v.l4;
    if (l4 === L4_TCP) {
      if (v.flowIndex >= 0) this.marks.onFlowPacket(v, v.flowIndex);
      if ((v.tcpFlags & (TCP_SYN | TCP_ACK)) === TCP_SYN) {
        this.syn.onPacket(v);
        if (v.flowNew) this.beacon.onNewFlow(v);
      }
      if (v.dnsCount > 0) this.dns.onPacket(v);
    } else if (l4 === L4_UDP) {
      if (v.flowIndex >= 0) this.marks.onFlowPacket(v, v.flowIndex);
      this.udp.onPacket(v);
      if (v.flowNew) this.beacon.onNewFlow(v);
      if (v.dnsCount > 0 && !v.dnsInIcmpError) this.dns.onPacket(v);
    } else if (l4 === L4_ICMP) {
      const type = v.icmpType;
      // Errors mark the flows they quote; requests and other unsolicited messages count towards an
      // ICMP flood (echo replies do not, or a ping flood would also be reported against the pinger).
      if (type === 3 || type === 11) this.marks.onIcmpError(v);
      else if (type !== 0 && type !== 4 && type !== 5 && type !== 12 && type >= 0) this.icmp.onPacket(v);
    } else if (l4 === L4_ICMPV6) {
      const type = v.icmpType;
      if (type === 1 || type === 3) this.marks.onIcmpError(v);
      else if (type === 128) this.icmp.onPacket(v);
    }
  }

  finish(_ctx: FinishContext): SecuritySection {
    const inp: FinishInput = { t: this.thresholds, ranges: this.ranges, flows: this.flows, marks: this.marks };
    const lists = flowPass(inp);
    const all: Detection[] = [
      ...detectScans(inp, lists),
      ...detectBruteForce(inp, lists),
      ...detectFloods(inp, lists, { syn: this.syn, udp: this.udp, icmp: this.icmp }),
      ...this.dns.finish(this.thresholds),
      ...this.beacon.finish(),
      ...detectExfiltration(inp, lists),
      ...detectLateral(inp, lists),
    ];
    all.sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || b.confidence - a.confidence || a.start - b.start || (a.id < b.id ? -1 : 1));
    // Unique ids (a detector may meet the same entity twice, e.g. one host on IPv4-mapped forms).
    const seen = new Map<string, number>();
    for (const d of all) {
      const k = seen.get(d.id) ?? 0;
      seen.set(d.id, k + 1);
      if (k > 0) d.id = `${d.id.slice(0, 75)}#${k + 1}`;
    }
    return {
      thresholds: { ...this.thresholds },
      internalRanges: [...this.ranges.texts],
      detections: { items: all.slice(0, MAX_DETECTIONS), omitted: Math.max(0, all.length - MAX_DETECTIONS) },
      coverage: {
        untrackedFlows: this.flows.untrackedFlows,
        evictedFloodTargets: this.syn.table.evicted + this.udp.table.evicted + this.icmp.table.evicted,
        evictedDnsDomains: this.dns.evicted,
        evictedBeaconPairs: this.beacon.table.evicted,
      },
    };
  }
}
