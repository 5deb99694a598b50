import type { ConversationsSection, FlowRow } from '../report/sections/conversations.js';
import type { DnsSection } from '../report/sections/dns.js';
import type { Finding, FindingCategory, Health } from '../report/sections/findings.js';
import type { SecuritySection } from '../report/sections/security.js';
import type { CaptureSummary } from '../report/sections/summary.js';
import type { TcpFlowDetail, TcpSection } from '../report/sections/tcp.js';
import type { GapsSection, IcmpSection, IpSection, UdpSection } from '../report/sections/traffic.js';
import type { Thresholds } from '../report/thresholds.js';

export interface FindingInputs {
  thresholds: Thresholds;
  summary: CaptureSummary;
  conversations: ConversationsSection;
  tcp: TcpSection;
  dns: DnsSection;
  udp: UdpSection;
  icmp: IcmpSection;
  ip: IpSection;
  gaps: GapsSection;
  security?: SecuritySection;
}

const MAX_FINDINGS = 60;
const SEVERITY_RANK = { critical: 0, warning: 1, info: 2 } as const;

/** Caps on what one category can take off the health score, so one problem cannot hide the others. */
const CATEGORY_CAP: Record<FindingCategory, number> = {
  loss: 30,
  latency: 15,
  handshake: 20,
  window: 15,
  dns: 15,
  jitter: 10,
  gaps: 5,
  icmp: 5,
  capture: 5,
  security: 20,
};

const pct = (x: number) => `${(x * 100).toFixed(x < 0.1 ? 1 : 0)}%`;
const ms = (s: number) => (s >= 1 ? `${s.toFixed(2)} s` : `${(s * 1000).toFixed(s < 0.01 ? 2 : 0)} ms`);
/**
 * `x.toLocaleString('en-US')` (thousands separators). Counts are integers: those are grouped here,
 * because the first toLocaleString call of a process loads ICU number formatting (about 10 ms, as much
 * as the rest of the findings); anything else still goes through it.
 */
export function formatCount(x: number): string {
  if (!Number.isSafeInteger(x) || Object.is(x, -0)) return x.toLocaleString('en-US');
  const digits = String(Math.abs(x));
  let out = digits.slice(0, ((digits.length - 1) % 3) + 1);
  for (let i = out.length; i < digits.length; i += 3) out += `,${digits.slice(i, i + 3)}`;
  return x < 0 ? `-${out}` : out;
}
const n = formatCount;

function flowLabel(row: FlowRow | undefined, id: number): string {
  if (!row) return `tcp.stream ${id}`;
  return `${host(row.a.ip)}:${row.a.port} ⇄ ${host(row.b.ip)}:${row.b.port}`;
}

function host(ip: string): string {
  return ip.includes(':') ? `[${ip}]` : ip;
}

/** Display filter for one address, IPv4 or IPv6. */
function addrFilter(ip: string): string {
  return ip.includes(':') ? `ipv6.addr == ${ip}` : `ip.addr == ${ip}`;
}

class Collector {
  readonly findings: Finding[] = [];
  readonly deductions: Array<{ category: FindingCategory; points: number; reason: string }> = [];

  add(f: Omit<Finding, 'metrics'> & { metrics?: Record<string, number> }, points: number): void {
    this.findings.push({ ...f, metrics: f.metrics ?? {} });
    if (points > 0) this.deductions.push({ category: f.category, points, reason: f.title.slice(0, 300) });
  }
}

/**
 * Turns the analysis sections into ranked, plain-language findings, each with the flows, frames and
 * a Wireshark display filter that prove it, and a 0–100 health score with per-category deductions.
 */
export function buildFindings(inp: FindingInputs): { findings: Finding[]; health: Health } {
  const c = new Collector();
  const t = inp.thresholds;
  const rows = new Map<number, FlowRow>(inp.conversations.tcp.items.map((r) => [r.id, r]));
  loss(c, inp, rows);
  handshakes(c, inp, rows);
  latency(c, inp, rows);
  windows(c, inp, rows);
  dns(c, inp);
  jitter(c, inp);
  gaps(c, inp);
  icmp(c, inp);
  capture(c, inp);
  security(c, inp);
  void t;
  const findings = c.findings
    .sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || (b.metrics.impact ?? 0) - (a.metrics.impact ?? 0))
    .slice(0, MAX_FINDINGS);
  return { findings, health: health(c.deductions) };
}

function eventFrames(tcp: TcpSection, flow: number, types: string[], max = 20): number[] {
  const out: number[] = [];
  for (const e of tcp.events.items) {
    if (e.flow === flow && types.includes(e.type)) {
      out.push(e.frame);
      if (out.length >= max) break;
    }
  }
  return out;
}

function loss(c: Collector, inp: FindingInputs, rows: Map<number, FlowRow>): void {
  const t = inp.thresholds;
  const tcp = inp.tcp;
  let data = 0;
  let retrans = 0;
  for (const f of tcp.flows.items) {
    data += f.dataSegments;
    retrans += f.retransmittedSegments;
  }
  const perFlow: Array<{ f: TcpFlowDetail; ratio: number }> = [];
  for (const f of tcp.flows.items) {
    if (f.dataSegments < t.minFlowPacketsForFindings || f.retransmittedSegments === 0) continue;
    const ratio = f.retransmittedSegments / f.dataSegments;
    if (ratio >= t.retransmissionWarnRatio) perFlow.push({ f, ratio });
  }
  perFlow.sort((a, b) => b.f.retransmittedSegments - a.f.retransmittedSegments);
  for (const { f, ratio } of perFlow.slice(0, 10)) {
    const fast = f.events.fast_retransmission ?? 0;
    const spurious = f.events.spurious_retransmission ?? 0;
    const all = f.events.retransmission ?? f.retransmittedSegments;
    const timeouts = Math.max(0, all - fast - spurious);
    const cause =
      spurious > all / 2
        ? 'most were spurious (the data had already arrived): the sender retransmitted too early, often a sign of delay spikes rather than loss'
        : timeouts >= fast
          ? `${pct(all > 0 ? timeouts / all : 0)} were not fast retransmissions, so the sender waited for a timeout (or retransmitted late): loss on the path, each one stalling the connection for at least an RTO`
          : `${pct(all > 0 ? fast / all : 0)} were fast retransmissions after duplicate ACKs: loss on the path, mostly recovered without timeouts`;
    const row = rows.get(f.id);
    const critical = ratio >= t.retransmissionCriticalRatio;
    c.add(
      {
        id: `loss-flow-${f.id}`,
        severity: critical ? 'critical' : 'warning',
        category: 'loss',
        title: `${pct(ratio)} of data segments in ${flowLabel(row, f.id)} were retransmitted`,
        detail: `${n(f.retransmittedSegments)} of ${n(f.dataSegments)} data segments (tcp.stream ${f.id}) were sent again; ${cause}.`,
        evidence: {
          flows: [f.id],
          frames: eventFrames(tcp, f.id, ['retransmission', 'fast_retransmission', 'spurious_retransmission']),
          filter: `tcp.stream eq ${f.id} && tcp.analysis.retransmission`,
        },
        metrics: { ratio, retransmitted: f.retransmittedSegments, dataSegments: f.dataSegments, timeouts, fast, spurious, impact: f.retransmittedSegments },
      },
      0,
    );
  }
  if (data > 0 && retrans > 0) {
    const ratio = retrans / data;
    // With a single lossy flow the per-flow finding already says it all: keep this one informational.
    const level = ratio >= t.retransmissionCriticalRatio ? 'critical' : ratio >= t.retransmissionWarnRatio ? 'warning' : 'info';
    c.add(
      {
        id: 'loss-overall',
        severity: perFlow.length > 1 ? level : 'info',
        category: 'loss',
        title: `${pct(ratio)} of all TCP data segments were retransmitted`,
        detail: `${n(retrans)} retransmissions of ${n(data)} data segments across ${n(inp.conversations.totals.tcp)} TCP connections (Wireshark counts ${n(inp.tcp.totals.retransmission)} frames as retransmissions, ${n(inp.tcp.totals.fast_retransmission)} fast, ${n(inp.tcp.totals.spurious_retransmission)} spurious).`,
        evidence: { flows: perFlow.slice(0, 20).map((p) => p.f.id), frames: [], filter: 'tcp.analysis.retransmission' },
        metrics: { ratio, retransmitted: retrans, dataSegments: data, impact: retrans },
      },
      Math.min(CATEGORY_CAP.loss, ratio * 600),
    );
  }
  // Data the receiver acknowledged but the capture never saw: the capture point dropped packets.
  const unseen = inp.tcp.totals.ack_lost_segment;
  const lost = inp.tcp.totals.lost_segment;
  if (unseen > 0) {
    c.add(
      {
        id: 'capture-drops',
        severity: 'info',
        category: 'capture',
        title: `The capture missed packets: ${n(unseen)} ACK${unseen === 1 ? ' covers' : 's cover'} data that was never captured`,
        detail: `An "ACKed unseen segment" means the receiver got data the capture point did not record: ${lost > 0 ? `the ${n(lost)} "previous segment not captured" gap${lost === 1 ? ' is' : 's are'} at least partly` : 'missing data here is'} capture drops (a busy SPAN port or tap, or a full capture buffer), not network loss.`,
        evidence: { flows: [], frames: [], filter: 'tcp.analysis.ack_lost_segment' },
        metrics: { ackedUnseen: unseen, previousSegmentNotCaptured: lost, impact: unseen },
      },
      0,
    );
  }
}

function handshakes(c: Collector, inp: FindingInputs, rows: Map<number, FlowRow>): void {
  const t = inp.thresholds;
  const h = inp.tcp.handshakes;
  const refused = inp.tcp.states.REJ ?? 0;
  const unanswered = inp.tcp.states.S0 ?? 0;
  const attempts = Math.max(1, h.attempted);
  // Connection attempts made by a detected port scan are the scan's probes, not a service problem.
  const scanners = new Set((inp.security?.detections.items ?? []).filter((d) => d.kind === 'port_scan' && d.hosts.length > 0).map((d) => d.hosts[0]));
  let probes = 0;
  let attributed = 0;
  const byServer = (state: string) => {
    const m = new Map<string, { count: number; flows: number[] }>();
    for (const f of inp.tcp.flows.items) {
      if (f.state !== state) continue;
      const row = rows.get(f.id);
      if (!row) continue;
      attributed++;
      if (scanners.has((f.client === 'b' ? row.b : row.a).ip)) {
        probes++;
        continue;
      }
      const server = f.client === 'b' ? row.a : row.b;
      const key = `${host(server.ip)}:${server.port}`;
      const e = m.get(key) ?? { count: 0, flows: [] };
      e.count++;
      if (e.flows.length < 20) e.flows.push(f.id);
      m.set(key, e);
    }
    return [...m.entries()].sort((a, b) => b[1].count - a[1].count);
  };
  if (refused > 0) {
    probes = attributed = 0;
    const top = byServer('REJ');
    const scan = attributed > 0 && probes / attributed >= 0.5;
    const where = scan ? ' — mostly probes of the port scan (see the security finding)' : top.length ? ` (most to ${top[0][0]}: ${n(top[0][1].count)})` : '';
    c.add(
      {
        id: 'handshake-refused',
        severity: scan ? 'info' : refused / attempts > 0.2 ? 'warning' : 'info',
        category: 'handshake',
        title: `${n(refused)} connection attempt${refused > 1 ? 's were' : ' was'} refused with a reset${where}`,
        detail: 'The server answered the SYN with RST: nothing listens on that port, or a firewall rejects the connection.',
        evidence: { flows: top.flatMap(([, e]) => e.flows).slice(0, 50), frames: [], filter: 'tcp.flags.reset == 1 && tcp.seq == 1 && tcp.flags.ack == 1' },
        metrics: { refused, attempted: h.attempted, scanProbes: probes, impact: refused },
      },
      scan ? 0 : Math.min(10, (refused / attempts) * 30),
    );
  }
  if (unanswered > 0) {
    probes = attributed = 0;
    const top = byServer('S0');
    const scan = attributed > 0 && probes / attributed >= 0.5;
    const where = scan ? ' — mostly probes of the port scan (see the security finding)' : top.length ? ` (most to ${top[0][0]}: ${n(top[0][1].count)})` : '';
    c.add(
      {
        id: 'handshake-unanswered',
        severity: scan ? 'info' : unanswered / attempts > 0.2 ? 'critical' : 'warning',
        category: 'handshake',
        title: `${n(unanswered)} connection attempt${unanswered > 1 ? 's' : ''} got no answer${where}`,
        detail: 'SYNs without any reply: the host is down or unreachable, or a firewall silently drops them. Clients wait through their SYN retransmission back-off (1 s, 2 s, 4 s…) before giving up.',
        evidence: { flows: top.flatMap(([, e]) => e.flows).slice(0, 50), frames: [], filter: 'tcp.flags.syn == 1 && tcp.flags.ack == 0 && tcp.analysis.retransmission' },
        metrics: { unanswered, attempted: h.attempted, scanProbes: probes, impact: unanswered * 2 },
      },
      scan ? 0 : Math.min(15, (unanswered / attempts) * 40),
    );
  }
  const slow = h.slowest.items.filter((s) => s.synToSynAck >= t.synAckWarnSeconds);
  if (slow.length > 0) {
    const worst = slow[0];
    const critical = worst.synToSynAck >= t.synAckCriticalSeconds;
    c.add(
      {
        id: 'handshake-slow',
        severity: critical ? 'critical' : 'warning',
        category: 'handshake',
        title: `${n(slow.length)} connection${slow.length > 1 ? 's' : ''} waited over ${ms(t.synAckWarnSeconds)} for the SYN/ACK (worst ${ms(worst.synToSynAck)}, ${flowLabel(rows.get(worst.flow), worst.flow)})`,
        detail: `The time from the client's SYN to the server's SYN/ACK measures the path plus the server's accept queue. ${h.synRetransmissions > 0 ? `${n(h.synRetransmissions)} SYN retransmissions were seen: the first SYN was lost or ignored.` : 'No SYN was retransmitted, so the delay is on the server or the path.'}`,
        evidence: { flows: slow.slice(0, 50).map((s) => s.flow), frames: slow.slice(0, 50).map((s) => s.frame), filter: `tcp.flags.syn == 1 && tcp.flags.ack == 1 && tcp.time_delta > ${t.synAckWarnSeconds}` },
        metrics: { slow: slow.length, worstSeconds: worst.synToSynAck, impact: slow.length },
      },
      Math.min(10, slow.length * (critical ? 3 : 1)),
    );
  }
  const backoffs = h.backoff.items;
  if (backoffs.length > 0) {
    const doubling = backoffs.filter((b) => b.followsDoubling).length;
    c.add(
      {
        id: 'handshake-syn-retransmissions',
        severity: 'warning',
        category: 'handshake',
        title: `${n(h.synRetransmissions)} SYN retransmission${h.synRetransmissions > 1 ? 's' : ''} in ${n(backoffs.length)} connection attempt${backoffs.length > 1 ? 's' : ''}`,
        detail: `${n(doubling)} of ${n(backoffs.length)} follow RFC 6298's doubling back-off (e.g. ${flowLabel(rows.get(backoffs[0].flow), backoffs[0].flow)} waited ${backoffs[0].intervals
          .slice(0, 10)
          .map((x) => (x >= 1 ? x.toFixed(1) : x.toFixed(3)))
          .join(', ')} s between SYNs). Each retransmitted SYN delays the connection by the current RTO (initially 1 s on most systems, 3 s on older ones).`,
        evidence: { flows: backoffs.slice(0, 50).map((b) => b.flow), frames: backoffs.flatMap((b) => b.frames).slice(0, 100), filter: 'tcp.flags.syn == 1 && tcp.analysis.retransmission' },
        metrics: { synRetransmissions: h.synRetransmissions, attempts: backoffs.length, doubling, impact: h.synRetransmissions },
      },
      Math.min(10, backoffs.length * 2),
    );
  }
}

function latency(c: Collector, inp: FindingInputs, rows: Map<number, FlowRow>): void {
  const t = inp.thresholds;
  const irtt = inp.tcp.rtt.irtt;
  if (irtt.count > 0 && irtt.median !== null && irtt.median >= t.rttWarnSeconds) {
    const critical = irtt.median >= t.rttCriticalSeconds;
    c.add(
      {
        id: 'latency-rtt',
        severity: critical ? 'critical' : 'warning',
        category: 'latency',
        title: `Median round-trip time is ${ms(irtt.median)} (handshakes of ${n(irtt.count)} connections)`,
        detail: `Every request/response exchange costs at least one RTT; above ${ms(t.rttWarnSeconds)} interactive applications feel slow. p95 is ${ms(irtt.p95 ?? irtt.median)}.`,
        evidence: { flows: [], frames: [], filter: `tcp.analysis.initial_rtt > ${t.rttWarnSeconds}` },
        metrics: { medianSeconds: irtt.median, p95Seconds: irtt.p95 ?? irtt.median, impact: irtt.median * 100 },
      },
      critical ? 15 : 7,
    );
  }
  // The slowest individual flows by iRTT, when they stand out.
  const slow = inp.tcp.flows.items.filter((f) => f.rtt.irtt !== null && f.rtt.irtt >= t.rttCriticalSeconds).sort((a, b) => (b.rtt.irtt ?? 0) - (a.rtt.irtt ?? 0));
  if (slow.length > 0 && !(irtt.median !== null && irtt.median >= t.rttCriticalSeconds)) {
    const worst = slow[0];
    c.add(
      {
        id: 'latency-slow-flows',
        severity: 'warning',
        category: 'latency',
        title: `${n(slow.length)} connection${slow.length > 1 ? 's have' : ' has'} a round-trip time above ${ms(t.rttCriticalSeconds)} (worst ${ms(worst.rtt.irtt ?? 0)}, ${flowLabel(rows.get(worst.id), worst.id)})`,
        detail: 'These peers are far away or behind a congested link; the rest of the traffic is faster.',
        evidence: { flows: slow.slice(0, 50).map((f) => f.id), frames: [], filter: `tcp.analysis.initial_rtt > ${t.rttCriticalSeconds}` },
        metrics: { flows: slow.length, worstSeconds: worst.rtt.irtt ?? 0, impact: slow.length },
      },
      Math.min(8, slow.length * 2),
    );
  }
}

function windows(c: Collector, inp: FindingInputs, rows: Map<number, FlowRow>): void {
  const t = inp.thresholds;
  const perFlow = new Map<number, { seconds: number; episodes: number; frames: number[]; side: 'a' | 'b'; open: boolean }>();
  for (const e of inp.tcp.windows.zeroWindowEpisodes.items) {
    const p = perFlow.get(e.flow) ?? { seconds: 0, episodes: 0, frames: [], side: e.side, open: false };
    p.seconds += e.duration ?? Math.max(0, (inp.summary.durationSeconds ?? 0) - e.start);
    p.episodes++;
    if (e.duration === null) p.open = true;
    if (p.frames.length < 20) p.frames.push(e.frame);
    perFlow.set(e.flow, p);
  }
  for (const [flow, p] of [...perFlow].sort((a, b) => b[1].seconds - a[1].seconds).slice(0, 10)) {
    if (p.seconds < t.zeroWindowWarnSeconds && !p.open) continue;
    const row = rows.get(flow);
    const who = row ? host((p.side === 'a' ? row.a : row.b).ip) : `side ${p.side}`;
    c.add(
      {
        id: `window-zero-${flow}`,
        severity: p.open || p.seconds >= 5 * t.zeroWindowWarnSeconds ? 'critical' : 'warning',
        category: 'window',
        title: `${who} advertised a zero receive window for ${ms(p.seconds)}${p.open ? ' and never reopened it' : ''} (${flowLabel(row, flow)})`,
        detail: `The receiving application did not read its socket fast enough, so the sender had to stop (${n(p.episodes)} episode${p.episodes > 1 ? 's' : ''}). This is an endpoint problem, not the network.`,
        evidence: { flows: [flow], frames: p.frames, filter: `tcp.stream eq ${flow} && (tcp.analysis.zero_window || tcp.analysis.zero_window_probe || tcp.analysis.window_update)` },
        metrics: { seconds: p.seconds, episodes: p.episodes, impact: p.seconds },
      },
      Math.min(CATEGORY_CAP.window, 3 + p.seconds),
    );
  }
  const brief = [...perFlow].filter(([, p]) => p.seconds < t.zeroWindowWarnSeconds && !p.open);
  if (brief.length > 0) {
    const episodes = brief.reduce((s, [, p]) => s + p.episodes, 0);
    const seconds = brief.reduce((s, [, p]) => s + p.seconds, 0);
    c.add(
      {
        id: 'window-zero-brief',
        severity: 'info',
        category: 'window',
        title: `${n(episodes)} brief zero-window stall${episodes === 1 ? '' : 's'} (${ms(seconds)} in total, ${n(brief.length)} flow${brief.length === 1 ? '' : 's'})`,
        detail: `Receivers briefly advertised a zero window, each time for less than ${ms(t.zeroWindowWarnSeconds)}: a busy receiving application, not yet a bottleneck.`,
        evidence: { flows: brief.slice(0, 50).map(([f]) => f), frames: brief.flatMap(([, p]) => p.frames).slice(0, 100), filter: 'tcp.analysis.zero_window' },
        metrics: { episodes, seconds, impact: seconds },
      },
      0,
    );
  }
  const limited = inp.tcp.windows.receiverLimitedFlows.items.filter((r) => r.fraction >= 0.5);
  if (limited.length > 0) {
    c.add(
      {
        id: 'window-receiver-limited',
        severity: 'info',
        category: 'window',
        title: `${n(limited.length)} flow${limited.length > 1 ? 's were' : ' was'} limited by the receiver's window most of the time`,
        detail: 'Bytes in flight sat at the advertised receive window: a bigger window (window scaling, larger socket buffers) would raise throughput on this path.',
        evidence: { flows: limited.slice(0, 50).map((r) => r.flow), frames: [], filter: 'tcp.analysis.window_full' },
        metrics: { flows: limited.length, impact: limited.length },
      },
      Math.min(5, limited.length),
    );
  }
}

function dns(c: Collector, inp: FindingInputs): void {
  const t = inp.thresholds;
  const d = inp.dns;
  if (d.queries === 0) return;
  if (d.unanswered > 0) {
    const ratio = d.unanswered / d.queries;
    const top = d.servers.items.filter((s) => s.unanswered > 0).sort((a, b) => b.unanswered - a.unanswered)[0];
    c.add(
      {
        id: 'dns-unanswered',
        severity: ratio > 0.05 ? 'critical' : 'warning',
        category: 'dns',
        title: `${n(d.unanswered)} DNS quer${d.unanswered > 1 ? 'ies' : 'y'} got no answer within ${t.dnsTimeoutSeconds} s${top ? ` (${n(top.unanswered)} to ${top.address})` : ''}`,
        detail: 'Clients wait for their resolver timeout (often 1–5 s) and retry: users see long pauses before connections start.',
        evidence: { flows: [], frames: d.unansweredQueries.items.slice(0, 100).map((q) => q.frame), filter: 'dns.flags.response == 0 && !dns.response_in' },
        metrics: { unanswered: d.unanswered, queries: d.queries, ratio, impact: d.unanswered * 3 },
      },
      Math.min(10, ratio * 100),
    );
  }
  const failures = (d.rcodes.SERVFAIL ?? 0) + (d.rcodes.REFUSED ?? 0);
  const nx = d.rcodes.NXDOMAIN ?? 0;
  if (d.errorResponses > 0) {
    const parts = Object.entries(d.rcodes).filter(([k]) => k !== 'NOERROR').map(([k, v]) => `${n(v)} ${k}`);
    c.add(
      {
        id: 'dns-errors',
        severity: failures > 0 ? 'warning' : 'info',
        category: 'dns',
        title: `${n(d.errorResponses)} DNS response${d.errorResponses > 1 ? 's' : ''} reported an error (${parts.join(', ')})`,
        detail: `${failures > 0 ? 'SERVFAIL/REFUSED mean the resolver itself failed or refused: check its upstreams and ACLs. ' : ''}${nx > 0 ? 'NXDOMAIN means the name does not exist: often a typo, a stale configuration or search-domain expansion.' : ''}`.trim(),
        evidence: { flows: [], frames: d.errors.items.slice(0, 100).map((e) => e.responseFrame), filter: 'dns.flags.rcode != 0' },
        metrics: { errors: d.errorResponses, servfail: d.rcodes.SERVFAIL ?? 0, nxdomain: nx, impact: failures * 2 + nx },
      },
      Math.min(8, (failures / Math.max(1, d.responses)) * 50 + (nx / Math.max(1, d.responses)) * 5),
    );
  }
  const rt = d.responseTime;
  if (rt.count > 0 && rt.p95 !== null && rt.p95 >= t.dnsSlowSeconds) {
    c.add(
      {
        id: 'dns-slow',
        severity: rt.median !== null && rt.median >= t.dnsSlowSeconds ? 'warning' : 'info',
        category: 'dns',
        title: `DNS is slow: 95% of responses took up to ${ms(rt.p95)} (median ${ms(rt.median ?? 0)})`,
        detail: 'Every new connection waits for name resolution first; a local caching resolver or a closer one would cut this.',
        evidence: { flows: [], frames: d.slowest.items.slice(0, 50).map((s) => s.frame), filter: `dns.time > ${t.dnsSlowSeconds}` },
        metrics: { p95Seconds: rt.p95, medianSeconds: rt.median ?? 0, impact: rt.p95 * 10 },
      },
      rt.median !== null && rt.median >= t.dnsSlowSeconds ? 5 : 2,
    );
  }
}

function jitter(c: Collector, inp: FindingInputs): void {
  const t = inp.thresholds;
  const bad = inp.udp.flows.items.filter((f) => f.jitterMs >= t.jitterWarnMs || f.maxJitterMs >= t.jitterCriticalMs);
  for (const f of bad.slice(0, 5)) {
    // Without RTP timestamps the sender's own pacing is unknown: report, but do not alarm.
    const rtp = f.method === 'rtp';
    const critical = rtp && f.jitterMs >= t.jitterCriticalMs;
    c.add(
      {
        id: `jitter-${f.flow}-${f.from.ip}-${f.from.port}`,
        severity: critical ? 'critical' : rtp ? 'warning' : 'info',
        category: 'jitter',
        title: `UDP stream ${host(f.from.ip)}:${f.from.port} → ${host(f.to.ip)}:${f.to.port} has ${f.jitterMs.toFixed(1)} ms jitter (max ${f.maxJitterMs.toFixed(1)} ms)`,
        detail: rtp
          ? `RTP interarrival jitter above ${t.jitterWarnMs} ms degrades voice and video (the jitter buffer must grow that large, adding delay). Look for queueing on a congested link.`
          : `Arrival spacing varies by ${f.jitterMs.toFixed(1)} ms around its mean (${f.meanIntervalMs.toFixed(1)} ms); without RTP timestamps this may be the sender's own pacing rather than the network.`,
        evidence: { flows: [f.flow], frames: [], filter: `udp.stream eq ${f.flow}` },
        metrics: { jitterMs: f.jitterMs, maxJitterMs: f.maxJitterMs, packets: f.packets, impact: f.jitterMs },
      },
      critical ? 10 : rtp ? 5 : 0,
    );
  }
}

function gaps(c: Collector, inp: FindingInputs): void {
  const g = inp.gaps;
  const list = g.capture.items;
  if (list.length > 0) {
    const longest = list[0];
    const total = list.reduce((s, x) => s + x.duration, 0);
    c.add(
      {
        id: 'gaps-capture',
        severity: 'info',
        category: 'gaps',
        title: `${n(list.length + g.capture.omitted)} silence${list.length > 1 ? 's' : ''} over ${g.thresholdSeconds} s with no packets at all (longest ${ms(longest.duration)} after frame ${longest.afterFrame})`,
        detail: `${ms(total)} without any traffic in total. On a busy link this means an outage, a capture interruption, or an application stall.`,
        evidence: { flows: [], frames: [longest.afterFrame, longest.beforeFrame], filter: `frame.number >= ${longest.afterFrame} && frame.number <= ${longest.beforeFrame}` },
        metrics: { gaps: list.length, longestSeconds: longest.duration, totalSeconds: total, impact: total },
      },
      Math.min(5, list.length),
    );
  }
  const fl = g.flows.items;
  if (fl.length > 0) {
    const longest = fl[0];
    c.add(
      {
        id: 'gaps-flows',
        severity: 'info',
        category: 'gaps',
        title: `${n(fl.length + g.flows.omitted)} flow${fl.length > 1 ? 's' : ''} paused for more than ${g.thresholdSeconds} s in mid-conversation (longest ${ms(longest.duration)}, ${longest.protocol}.stream ${longest.flow})`,
        detail: 'Idle periods inside a flow that resumes afterwards: an application waiting (server think time, user input) or a stall waiting for a timeout.',
        evidence: { flows: fl.slice(0, 50).map((x) => x.flow), frames: [longest.afterFrame, longest.beforeFrame], filter: `${longest.protocol}.stream eq ${longest.flow} && frame.number >= ${longest.afterFrame} && frame.number <= ${longest.beforeFrame}` },
        metrics: { flows: fl.length, longestSeconds: longest.duration, impact: longest.duration },
      },
      0,
    );
  }
}

function icmp(c: Collector, inp: FindingInputs): void {
  const i = inp.icmp;
  const unreach = i.unreachable.items.length + i.unreachable.omitted;
  if (unreach > 0) {
    const byCode = new Map<string, number>();
    for (const u of i.unreachable.items) byCode.set(u.codeName, (byCode.get(u.codeName) ?? 0) + 1);
    const parts = [...byCode].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${n(v)} ${k}`);
    c.add(
      {
        id: 'icmp-unreachable',
        severity: 'info',
        category: 'icmp',
        title: `${n(unreach)} ICMP destination-unreachable message${unreach > 1 ? 's' : ''} (${parts.slice(0, 4).join(', ')})`,
        detail: 'Routers or hosts reported that packets could not be delivered: closed UDP ports, missing routes, or filtering.',
        evidence: { flows: [], frames: i.unreachable.items.slice(0, 100).map((u) => u.frame), filter: 'icmp.type == 3 || icmpv6.type == 1' },
        metrics: { messages: unreach, impact: unreach },
      },
      Math.min(3, unreach / 10),
    );
  }
  const fn = i.fragmentationNeeded.items;
  if (fn.length > 0) {
    const mtus = [...new Set(fn.map((f) => f.mtu))].sort((a, b) => a - b);
    c.add(
      {
        id: 'icmp-pmtu',
        severity: 'warning',
        category: 'icmp',
        title: `Path MTU is smaller than the packets sent: ${n(fn.length)} "fragmentation needed / packet too big" message${fn.length > 1 ? 's' : ''} (MTU ${mtus.slice(0, 5).join(', ')})`,
        detail: 'Large packets were dropped on the way and had to be resent smaller. If these ICMP messages are filtered anywhere, connections hang after the handshake (PMTU black hole): clamp the MSS or fix the filtering.',
        evidence: { flows: [], frames: fn.slice(0, 100).map((f) => f.frame), filter: '(icmp.type == 3 && icmp.code == 4) || icmpv6.type == 2' },
        metrics: { messages: fn.length, smallestMtu: mtus[0] ?? 0, impact: fn.length * 2 },
      },
      Math.min(5, fn.length),
    );
  }
  const te = i.timeExceeded.items.length + i.timeExceeded.omitted;
  if (te > 0) {
    c.add(
      {
        id: 'icmp-time-exceeded',
        severity: 'info',
        category: 'icmp',
        title: `${n(te)} ICMP time-exceeded message${te > 1 ? 's' : ''}`,
        detail: 'TTL expired in transit: a traceroute, or a routing loop if the same destinations keep triggering it.',
        evidence: { flows: [], frames: i.timeExceeded.items.slice(0, 100).map((x) => x.frame), filter: 'icmp.type == 11 || icmpv6.type == 3' },
        metrics: { messages: te, impact: te / 10 },
      },
      0,
    );
  }
}

function capture(c: Collector, inp: FindingInputs): void {
  const s = inp.summary;
  const errors = s.warnings.filter((w) => w.severity === 'error');
  if (errors.length > 0) {
    c.add(
      {
        id: 'capture-damaged',
        severity: 'warning',
        category: 'capture',
        title: `The capture file is damaged: ${errors[0].message}`,
        detail: `Everything before the damage was analysed (${n(s.packets)} packets).`,
        evidence: { flows: [], frames: errors[0].packet ? [errors[0].packet] : [], filter: errors[0].packet ? `frame.number >= ${errors[0].packet}` : 'frame' },
        metrics: { errors: errors.length, impact: 1 },
      },
      3,
    );
  }
  if (s.truncatedPackets > 0) {
    c.add(
      {
        id: 'capture-truncated',
        severity: 'info',
        category: 'capture',
        title: `${n(s.truncatedPackets)} packet${s.truncatedPackets > 1 ? 's were' : ' was'} cut short by the capture's snapshot length`,
        detail: 'Headers are intact in most such captures, so the analysis still holds; payload-based details (DNS answers, application data) may be missing.',
        evidence: { flows: [], frames: [], filter: 'frame.cap_len < frame.len' },
        metrics: { truncated: s.truncatedPackets, impact: 0 },
      },
      0,
    );
  }
}

function security(c: Collector, inp: FindingInputs): void {
  const detections = inp.security?.detections.items ?? [];
  for (const d of detections.slice(0, 10)) {
    c.add(
      {
        id: `security-${d.id}`,
        severity: d.severity,
        category: 'security',
        title: d.title,
        detail: d.rule,
        evidence: { flows: [], frames: d.sampleFrames.slice(0, 100), filter: d.filter },
        metrics: { confidence: d.confidence, impact: d.severity === 'critical' ? 10 : 3 },
      },
      d.severity === 'critical' ? 15 : d.severity === 'warning' ? 5 : 0,
    );
  }
}

function health(deductions: Array<{ category: FindingCategory; points: number; reason: string }>): Health {
  const byCategory = new Map<FindingCategory, number>();
  const kept: Health['deductions'] = [];
  for (const d of deductions.sort((a, b) => b.points - a.points)) {
    const used = byCategory.get(d.category) ?? 0;
    const points = Math.min(d.points, CATEGORY_CAP[d.category] - used);
    if (points <= 0) continue;
    byCategory.set(d.category, used + points);
    kept.push({ category: d.category, points: Math.round(points * 10) / 10, reason: d.reason });
  }
  const total = kept.reduce((s, d) => s + d.points, 0);
  const score = Math.max(0, Math.min(100, Math.round(100 - total)));
  const grade = score >= 90 ? 'good' : score >= 70 ? 'fair' : score >= 50 ? 'poor' : 'critical';
  return { score, grade, deductions: kept.slice(0, 40) };
}
