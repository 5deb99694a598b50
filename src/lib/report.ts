/**
 * Pure helpers over a Report for the views: Expert Info grouping, time-range filtering (brushing the
 * IO graph), evidence resolution, redaction preview counts. No DOM here: unit-tested in test/app.
 */
import type { Report } from '../../worker/index.js';
import type { Finding } from '../../worker/report/sections/findings.js';
import type { FlowRow } from '../../worker/report/sections/conversations.js';
import type { TcpEvent, TcpEventName, TcpFlowDetail } from '../../worker/report/sections/tcp.js';
import { TCP_EVENT_NAMES } from '../../worker/report/sections/tcp.js';

export type TimeRange = readonly [number, number];

export type ExpertSeverity = 'error' | 'warning' | 'note' | 'chat';

/** Wireshark's Expert Info severity and summary text for each tcp.analysis flag (epan/dissectors/packet-tcp.c). */
export const EXPERT: Record<TcpEventName, { severity: ExpertSeverity; summary: string; filter: string }> = {
  retransmission: { severity: 'note', summary: 'This frame is a (suspected) retransmission', filter: 'tcp.analysis.retransmission' },
  fast_retransmission: { severity: 'note', summary: 'This frame is a (suspected) fast retransmission', filter: 'tcp.analysis.fast_retransmission' },
  spurious_retransmission: { severity: 'note', summary: 'This frame is a (suspected) spurious retransmission', filter: 'tcp.analysis.spurious_retransmission' },
  duplicate_ack: { severity: 'note', summary: 'Duplicate ACK', filter: 'tcp.analysis.duplicate_ack' },
  lost_segment: { severity: 'warning', summary: 'Previous segment(s) not captured (common at capture start)', filter: 'tcp.analysis.lost_segment' },
  ack_lost_segment: { severity: 'warning', summary: "ACKed segment that wasn't captured (common at capture start)", filter: 'tcp.analysis.ack_lost_segment' },
  out_of_order: { severity: 'warning', summary: 'This frame is a (suspected) out-of-order segment', filter: 'tcp.analysis.out_of_order' },
  zero_window: { severity: 'warning', summary: 'TCP Zero Window segment', filter: 'tcp.analysis.zero_window' },
  zero_window_probe: { severity: 'note', summary: 'TCP Zero Window Probe', filter: 'tcp.analysis.zero_window_probe' },
  zero_window_probe_ack: { severity: 'note', summary: 'TCP Zero Window Probe Ack', filter: 'tcp.analysis.zero_window_probe_ack' },
  window_full: { severity: 'warning', summary: 'TCP window specified by the receiver is now completely full', filter: 'tcp.analysis.window_full' },
  window_update: { severity: 'chat', summary: 'TCP window update', filter: 'tcp.analysis.window_update' },
  keep_alive: { severity: 'note', summary: 'TCP keep-alive segment', filter: 'tcp.analysis.keep_alive' },
  keep_alive_ack: { severity: 'note', summary: 'ACK to a TCP keep-alive segment', filter: 'tcp.analysis.keep_alive_ack' },
  reused_ports: { severity: 'note', summary: 'A new tcp session is started with the same ports as an earlier session in this trace', filter: 'tcp.analysis.reused_ports' },
  rst: { severity: 'warning', summary: 'Connection reset (RST)', filter: 'tcp.flags.reset == 1' },
};

export const SEVERITY_ORDER: ExpertSeverity[] = ['error', 'warning', 'note', 'chat'];

export interface ExpertGroup {
  type: TcpEventName;
  severity: ExpertSeverity;
  summary: string;
  filter: string;
  /** Count over the whole capture (from the totals, not capped). */
  total: number;
  /** Events listed in the report for this type (capped), within the selected range. */
  events: TcpEvent[];
}

/** Groups TCP events as Wireshark's Expert Info does: by severity, then by type with counts. */
export function expertGroups(report: Report, range: TimeRange | null = null): ExpertGroup[] {
  const byType = new Map<TcpEventName, TcpEvent[]>();
  for (const e of report.tcp.events.items) {
    if (range && !inRange(e.time, range)) continue;
    const list = byType.get(e.type);
    if (list) list.push(e);
    else byType.set(e.type, [e]);
  }
  const groups: ExpertGroup[] = [];
  for (const type of TCP_EVENT_NAMES) {
    const total = report.tcp.totals[type] ?? 0;
    const events = byType.get(type) ?? [];
    if (total === 0 && events.length === 0) continue;
    if (range && events.length === 0) continue;
    groups.push({ type, ...EXPERT[type], total, events });
  }
  return groups.sort((a, b) => SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity) || b.total - a.total);
}

export function inRange(t: number, range: TimeRange): boolean {
  return t >= range[0] && t <= range[1];
}

/** Whether [start, start + duration] overlaps the range. */
export function overlaps(start: number, duration: number, range: TimeRange): boolean {
  return start <= range[1] && start + duration >= range[0];
}

export function filterByTime<T>(items: readonly T[], time: (x: T) => number, range: TimeRange | null): T[] {
  return range ? items.filter((x) => inRange(time(x), range)) : [...items];
}

export function filterFlows<T extends { start: number; duration: number }>(items: readonly T[], range: TimeRange | null): T[] {
  return range ? items.filter((x) => overlaps(x.start, x.duration, range)) : [...items];
}

export type FlowProtocol = 'tcp' | 'udp';

export interface FlowRef {
  protocol: FlowProtocol;
  id: number;
}

/** Which table a finding's flow ids point into (udp for jitter and udp.stream filters, else tcp). */
export function evidenceProtocol(f: Pick<Finding, 'category' | 'evidence'>): FlowProtocol {
  if (f.category === 'jitter' || /^\s*\(?\s*udp\.stream\b/.test(f.evidence.filter)) return 'udp';
  return 'tcp';
}

export function flowAnchor(ref: FlowRef): string {
  return `flow-${ref.protocol}-${ref.id}`;
}

export interface FlowIndex {
  tcp: Map<number, FlowRow>;
  udp: Map<number, FlowRow>;
  details: Map<number, TcpFlowDetail>;
}

export function flowIndex(report: Report): FlowIndex {
  return {
    tcp: new Map(report.conversations.tcp.items.map((r) => [r.id, r])),
    udp: new Map(report.conversations.udp.items.map((r) => [r.id, r])),
    details: new Map(report.tcp.flows.items.map((d) => [d.id, d])),
  };
}

const SEVERITY_RANK = { critical: 0, warning: 1, info: 2 } as const;

/** Findings most severe first, keeping the engine's order within a severity (it ranks by impact). */
export function rankedFindings(report: Report): Finding[] {
  return report.findings.map((f, i) => ({ f, i })).sort((a, b) => SEVERITY_RANK[a.f.severity] - SEVERITY_RANK[b.f.severity] || a.i - b.i).map((x) => x.f);
}

/** Rows of the protocol hierarchy in a stable, layered order with shares of all frames. */
export function protocolRows(report: Report): Array<{ name: string; frames: number; share: number }> {
  const total = report.summary.packets || 1;
  return Object.entries(report.summary.protocols)
    .map(([name, frames]) => ({ name, frames, share: frames / total }))
    .sort((a, b) => b.frames - a.frames || a.name.localeCompare(b.name));
}

// --- Redaction preview ------------------------------------------------------------------------

export interface RedactionCounts {
  /** String values that differ between the original and the redacted report. */
  changedStrings: number;
  /** Distinct original values replaced, by kind. */
  addresses: number;
  macs: number;
  dnsNames: number;
  comments: number;
  fileName: boolean;
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
const IPV6 = /^[0-9a-f:.]+$/i;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

/** Counts what a redaction changed, by walking both reports in parallel. */
export function redactionCounts(original: Report, redacted: Report): RedactionCounts {
  const addresses = new Set<string>();
  const macs = new Set<string>();
  let changed = 0;
  const walk = (a: unknown, b: unknown) => {
    if (typeof a === 'string') {
      if (a !== b) {
        changed++;
        if (IPV4.test(a) || (a.includes(':') && IPV6.test(a) && !MAC.test(a))) addresses.add(a);
        else if (MAC.test(a)) macs.add(a.toLowerCase());
      }
      return;
    }
    if (Array.isArray(a)) {
      if (Array.isArray(b)) for (let i = 0; i < a.length; i++) walk(a[i], b[i]);
      return;
    }
    if (a && typeof a === 'object' && b && typeof b === 'object') {
      for (const k of Object.keys(a)) walk((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]);
    }
  };
  walk(original, redacted);
  const names = new Set<string>();
  const d0 = original.dns;
  const d1 = redacted.dns;
  const pairs: Array<[{ name: string }[], { name: string }[]]> = [
    [d0.topNames.items, d1.topNames.items],
    [d0.slowest.items, d1.slowest.items],
    [d0.errors.items, d1.errors.items],
    [d0.unansweredQueries.items, d1.unansweredQueries.items],
  ];
  for (const [xs, ys] of pairs) xs.forEach((x, i) => ys[i] && ys[i].name !== x.name && names.add(x.name));
  const ifaceText = (r: Report) => r.summary.interfaces.reduce((n, i) => n + (i.name ? 1 : 0) + (i.description ? 1 : 0), 0);
  return {
    changedStrings: changed,
    addresses: addresses.size,
    macs: macs.size,
    dnsNames: names.size,
    comments: original.summary.comments.length - redacted.summary.comments.length + (ifaceText(original) - ifaceText(redacted)),
    fileName: original.source.fileName !== null && redacted.source.fileName === null,
  };
}

/** Every distinct IPv4/IPv6 address in the report's address fields (for the zero-leak check and previews). */
export function reportAddresses(report: Report): Set<string> {
  const out = new Set<string>();
  const add = (s: string) => out.add(s);
  for (const list of [report.conversations.tcp.items, report.conversations.udp.items]) for (const r of list) (add(r.a.ip), add(r.b.ip));
  for (const r of report.conversations.ip.items) (add(r.a), add(r.b));
  for (const r of report.conversations.endpoints.items) add(r.address);
  return out;
}
