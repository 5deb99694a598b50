import type { Report } from '../../worker/index.js';
import { TCP_EVENT_NAMES } from '../../worker/report/sections/tcp.js';
import type { ManifestEntry, Reference } from './corpus.js';
import { isKnownDifference } from './known-differences.js';

export type Verdict = 'exact' | 'within tolerance' | 'known difference' | 'MISMATCH';

export interface ConformanceRow {
  capture: string;
  metric: string;
  ours: number | string;
  tshark: number | string;
  verdict: Verdict;
  note?: string;
}

const PROTOCOLS = ['eth', 'ip', 'ipv6', 'tcp', 'udp', 'icmp', 'icmpv6', 'dns'] as const;

/**
 * tcp.analysis flags compared: every Wireshark flag the report counts; the reference has a key
 * `tcp.analysis.<name>` for those tshark was asked about (RST is compared as tcp.flags.reset).
 */
export const TCP_FLAGS = TCP_EVENT_NAMES.filter((n) => n !== 'rst');

function framesByProtocol(fb: Record<string, number>, name: string): number {
  return (fb[name] ?? 0) + (fb[`...${name}`] ?? 0);
}

/**
 * Our report against the tshark 4.0.17 reference for one capture, metric by metric, with the
 * tolerances the project promises: exact counts, except tcp.analysis flags on captures of 10,000
 * packets or more (within max(1, 2%)) and the mean DNS response time (within 1%).
 */
export function compare(entry: ManifestEntry, report: Report, ref: Reference): ConformanceRow[] {
  const rows: ConformanceRow[] = [];
  const add = (metric: string, ours: number, tshark: number, tolerance = 0, relative = false) => {
    const known = isKnownDifference(entry.path, metric);
    let verdict: Verdict;
    // Means computed in a different order differ in the last bits of a float64.
    if (ours === tshark || Math.abs(ours - tshark) <= 1e-9 * Math.abs(tshark)) verdict = 'exact';
    else if (relative ? Math.abs(ours - tshark) <= tolerance * Math.abs(tshark) : Math.abs(ours - tshark) <= tolerance) verdict = 'within tolerance';
    else verdict = known ? 'known difference' : 'MISMATCH';
    rows.push({ capture: entry.path, metric, ours, tshark, verdict, ...(known && verdict === 'known difference' ? { note: known.reason } : {}) });
  };
  const s = report.summary;
  add('packets', s.packets, ref.capinfos?.packets ?? ref.tshark_frames);
  for (const p of PROTOCOLS) add(`protocol:${p}`, s.protocols[p] ?? 0, framesByProtocol(ref.protocol_hierarchy.frames_by_protocol, p));
  add('conversations:tcp', report.conversations.totals.tcp, ref.conversations.tcp);
  add('conversations:udp', report.conversations.totals.udp, ref.conversations.udp);
  add('endpoints:ipv4', report.conversations.totals.ipv4Endpoints, ref.endpoints.ipv4);
  add('endpoints:ipv6', report.conversations.totals.ipv6Endpoints, ref.endpoints.ipv6);
  const big = s.packets >= 10_000;
  for (const flag of TCP_FLAGS) {
    const theirs = ref.tcp_analysis[`tcp.analysis.${flag}`];
    if (theirs === undefined) continue;
    const ours = report.tcp.totals[flag];
    add(`tcp.analysis.${flag}`, ours, theirs, big ? Math.max(1, theirs * 0.02) : 0);
  }
  add('tcp.flags.reset', report.tcp.totals.rst, ref.tcp_flags['tcp.flags.reset==1'] ?? 0);
  add('dns:queries', report.dns.queries, ref.dns.queries);
  add('dns:responses', report.dns.responses, ref.dns.responses);
  add('dns:error_responses', report.dns.errorResponses, ref.dns.error_responses);
  if (ref.dns.time.count > 0 && ref.dns.time.mean_s !== null) {
    add('dns:time_count', report.dns.responseTime.count, ref.dns.time.count);
    add('dns:time_mean_s', report.dns.responseTime.mean ?? 0, ref.dns.time.mean_s, 0.01, true);
  }
  return rows;
}

export function markdownTable(rows: ConformanceRow[]): string {
  const out = ['| capture | metric | ours | tshark 4.0.17 | verdict |', '|---|---|---:|---:|---|'];
  for (const r of rows) out.push(`| ${r.capture} | ${r.metric} | ${fmt(r.ours)} | ${fmt(r.tshark)} | ${r.verdict}${r.note ? ` — ${r.note}` : ''} |`);
  return out.join('\n');
}

function fmt(x: number | string): string {
  return typeof x === 'number' && !Number.isInteger(x) ? x.toFixed(6) : String(x);
}
