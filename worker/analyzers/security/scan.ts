import { L4_TCP } from '../../decode/packet.js';
import type { Detection } from '../../report/sections/security.js';
import { addrField, detection, hostText, n, pct, peakDistinctInWindow, secs } from './common.js';
import { KIND_ACK, KIND_MASK, KIND_NAMES, KIND_SYN } from './flow-marks.js';
import { hotMembers, IntList, OUT_ANSWERED, OUT_FILTERED, OUT_REFUSED, OUT_UNANSWERED, type FlowLists } from './flow-pass.js';
import { FlowView, type FinishInput } from './flow-view.js';

/**
 * Port scans, from the flow table at the end of the capture. A probe is a flow that looks like a
 * scanner's packet rather than a conversation:
 *  - TCP: opened by side A with SYN, FIN, NULL, Xmas (FIN+PSH+URG) or a bare ACK, and no payload in
 *    either direction (a few packets each way at most: retransmissions, the scanner's RST);
 *  - UDP: side A sent at most 3 datagrams and got no UDP reply (nothing, or an ICMP unreachable),
 *    excluding traceroute probes (answered by ICMP time exceeded) and service-discovery ports.
 * Outcome: answered (SYN/ACK or other reply), refused (RST, ICMP port unreachable), filtered (other
 * ICMP unreachable), unanswered (nothing came back).
 * Per source and transport, a vertical scan is ≥ scanVerticalMinPorts distinct ports on one host and a
 * horizontal scan ≥ scanHorizontalMinHosts distinct hosts on one port, both within scanWindowSeconds.
 */

/** Which outcome wins when one target was probed several times: any answer, then RST, ICMP, silence. */
const RANK = [0, 1, 3, 2];

interface ScanGroup {
  flow0: number;
  tcp: boolean;
  flows: IntList;
}

export function detectScans(inp: FinishInput, lists: FlowLists): Detection[] {
  const { flows } = inp;
  const T = flows.tuples;
  const fv = new FlowView(flows, inp.ranges);
  // By source and transport: IPv4 as a number (address * 2 + TCP), IPv6 as text; no string per probe.
  const groups = new Map<number | string, ScanGroup>();
  // Outcome (OUT_*) of each hot probe, by flow row.
  const outcome = new Uint8Array(flows.size);
  const probes = lists.probes;
  // Only probes whose (source, target host) or (source, target port) bucket holds enough probes can
  // belong to a scan; scattered connection failures never reach the Maps below.
  const t = inp.t;
  const byHost = hotMembers(probes, (k) => lists.hashA[probes[k]] ^ Math.imul(lists.hashB[probes[k]] + T.proto[probes[k]], 0x9e3779b1), () => 1, t.scanVerticalMinPorts);
  const byPort = hotMembers(probes, (k) => lists.hashA[probes[k]] ^ Math.imul(T.portB[probes[k]] * 256 + T.proto[probes[k]] + 1, 0x85ebca6b), () => 1, t.scanHorizontalMinHosts);
  const hot = new Uint8Array(probes.length);
  for (const k of byHost) hot[k] = 1;
  for (const k of byPort) hot[k] = 1;
  for (let pos = 0; pos < probes.length; pos++) {
    if (!hot[pos]) continue;
    const i = probes[pos];
    outcome[i] = lists.outcomes[pos];
    const tcp = T.proto[i] === L4_TCP;
    const src = fv.key(i, 0);
    const key = typeof src === 'number' ? src * 2 + (tcp ? 1 : 0) : `${tcp ? 't' : 'u'}${src}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { flow0: i, tcp, flows: new IntList() }));
    g.flows.push(i);
  }
  const out: Detection[] = [];
  const minProbes = Math.min(t.scanVerticalMinPorts, t.scanHorizontalMinHosts);
  for (const g of groups.values()) {
    const rows = g.flows.done();
    if (rows.length < minProbes || !mayReach(inp, fv, rows)) continue;
    const d = evaluate(inp, fv, g, Array.from(rows), outcome);
    if (d) out.push(d);
  }
  return out;
}

/**
 * Whether a source's probes reach a scan's thresholds in distinct counts over the whole capture: at
 * least scanVerticalMinPorts ports on one host or scanHorizontalMinHosts hosts on one port. Every
 * windowed count `evaluate` takes is bounded by these, so without either it would find nothing; this
 * keeps a flood's hundreds of thousands of probes to a few hosts and ports from building its lists.
 */
function mayReach(inp: FinishInput, fv: FlowView, rows: Int32Array): boolean {
  const { flows, t } = inp;
  const T = flows.tuples;
  const portsOf = new Map<number | string, Set<number>>();
  const hostsOn = new Map<number, Set<number | string>>();
  for (let k = 0; k < rows.length; k++) {
    const i = rows[k];
    const h = fv.key(i, 1);
    const p = T.portB[i];
    let ps = portsOf.get(h);
    if (!ps) portsOf.set(h, (ps = new Set()));
    ps.add(p);
    if (ps.size >= t.scanVerticalMinPorts) return true;
    let hs = hostsOn.get(p);
    if (!hs) hostsOn.set(p, (hs = new Set()));
    hs.add(h);
    if (hs.size >= t.scanHorizontalMinHosts) return true;
  }
  return false;
}

/** A source's probes (`rows`, flow rows) as a scan detection, or null. */
function evaluate(inp: FinishInput, fv: FlowView, g: { flow0: number; tcp: boolean }, rows: number[], outcome: Uint8Array): Detection | null {
  const { flows, marks, t } = inp;
  const T = flows.tuples;
  const list = rows.sort((a, b) => flows.firstTime[a] - flows.firstTime[b]);
  // Cheap pruning on whole-capture distinct counts.
  const hostsAll = new Map<number | string, number[]>();
  const portsAll = new Map<number, number[]>();
  for (const i of list) {
    const h = fv.key(i, 1);
    let hl = hostsAll.get(h);
    if (!hl) hostsAll.set(h, (hl = []));
    hl.push(i);
    const p = T.portB[i];
    let pl = portsAll.get(p);
    if (!pl) portsAll.set(p, (pl = []));
    pl.push(i);
  }
  let maxPortsOnHost = 0;
  for (const hl of hostsAll.values()) maxPortsOnHost = Math.max(maxPortsOnHost, new Set(hl.map((i) => T.portB[i])).size);
  let maxHostsOnPort = 0;
  for (const pl of portsAll.values()) maxHostsOnPort = Math.max(maxHostsOnPort, pl.length);
  const maybeVertical = maxPortsOnHost >= t.scanVerticalMinPorts;
  const maybeHorizontal = maxHostsOnPort >= t.scanHorizontalMinHosts;
  if (!maybeVertical && !maybeHorizontal) return null;

  // Windowed distinct counts.
  let vertical = { peak: 0, start: 0, end: 0 };
  let verticalHost: number | string | null = null;
  if (maybeVertical) {
    for (const [h, hl] of hostsAll) {
      if (hl.length < t.scanVerticalMinPorts) continue;
      const r = peakDistinctInWindow(hl.map((i) => flows.firstTime[i]), hl.map((i) => T.portB[i]), t.scanWindowSeconds);
      if (r.peak > vertical.peak) {
        vertical = r;
        verticalHost = h;
      }
    }
  }
  let horizontal = { peak: 0, start: 0, end: 0 };
  let horizontalPort = -1;
  if (maybeHorizontal) {
    for (const [p, pl] of portsAll) {
      if (pl.length < t.scanHorizontalMinHosts) continue;
      const r = peakDistinctInWindow(pl.map((i) => flows.firstTime[i]), pl.map((i) => fv.key(i, 1)), t.scanWindowSeconds);
      if (r.peak > horizontal.peak) {
        horizontal = r;
        horizontalPort = p;
      }
    }
  }
  const isVertical = vertical.peak >= t.scanVerticalMinPorts;
  const isHorizontal = horizontal.peak >= t.scanHorizontalMinHosts;
  if (!isVertical && !isHorizontal) return null;

  // Outcome per target (host:port): the best answer any of its probes got (scanners retry unanswered
  // ports from another source port, so one target can have several probe flows). Kinds per probe.
  const best = new Map<string, number>();
  const kinds = [0, 0, 0, 0, 0, 0];
  const answeredFrames: number[] = [];
  for (const i of list) {
    const tk = `${fv.key(i, 1)}|${T.portB[i]}`;
    const o = outcome[i];
    const prev = best.get(tk);
    if (prev === undefined || RANK[o] < RANK[prev]) best.set(tk, o);
    if (g.tcp) kinds[(i < marks.flags.length ? marks.flags[i] : 0) & KIND_MASK]++;
    if (o === OUT_ANSWERED && answeredFrames.length < 10) answeredFrames.push(flows.firstFrame[i]);
  }
  const counts = [0, 0, 0, 0];
  for (const o of best.values()) counts[o]++;
  const failShare = (counts[OUT_REFUSED] + counts[OUT_UNANSWERED] + counts[OUT_FILTERED]) / Math.max(1, best.size);
  if (failShare < t.scanMinFailedShare) return null;
  const openPorts = new Map<number, number>();
  for (const i of list) if (best.get(`${fv.key(i, 1)}|${T.portB[i]}`) === OUT_ANSWERED) openPorts.set(T.portB[i], (openPorts.get(T.portB[i]) ?? 0) + 1);
  let kind = KIND_SYN;
  if (g.tcp) {
    let most = -1;
    for (let k = 1; k < kinds.length; k++) {
      if (kinds[k] > most) {
        most = kinds[k];
        kind = k;
      }
    }
  }
  const mixed = g.tcp && kinds[kind] < list.length * 0.8;
  const kindName = !g.tcp ? 'UDP' : mixed ? 'TCP' : KIND_NAMES[kind];

  const src = fv.text(g.flow0, 0);
  const shape = isVertical && isHorizontal ? 'vertical and horizontal' : isVertical ? 'vertical' : 'horizontal';
  const hostRank = [...hostsAll.entries()].sort((a, b) => b[1].length - a[1].length);
  const targets = hostRank.map(([, hl]) => fv.text(hl[0], 1));
  const portRank = [...portsAll.entries()].sort((a, b) => b[1].length - a[1].length).map(([p]) => p);
  const ports = [...[...openPorts.keys()].sort((a, b) => a - b), ...portRank];
  const first = flows.firstTime[list[0]];
  let last = first;
  for (const i of list) last = Math.max(last, flows.lastTime[i]);
  const answered = counts[OUT_ANSWERED];
  const refused = counts[OUT_REFUSED];
  const unanswered = counts[OUT_UNANSWERED];
  const filtered = counts[OUT_FILTERED];

  const verticalText = verticalHost !== null ? fv.text(hostsAll.get(verticalHost)![0], 1) : '';
  const peakText = [
    isVertical ? `${n(vertical.peak)} ports on ${hostText(verticalText)} within ${secs(t.scanWindowSeconds)}` : '',
    isHorizontal ? `${n(horizontal.peak)} hosts on port ${horizontalPort} within ${secs(t.scanWindowSeconds)}` : '',
  ]
    .filter(Boolean)
    .join('; ');
  // What each answer means depends on the probe (nmap's reading): a SYN answered by SYN/ACK is open,
  // by RST closed; FIN/NULL/Xmas get RST when closed and silence when open or filtered; a bare ACK gets
  // RST when unfiltered; UDP gets ICMP port unreachable when closed.
  const icmpText = filtered ? `, ${n(filtered)} ICMP unreachable (filtered)` : '';
  let outcomeText: string;
  if (!g.tcp) outcomeText = `${n(refused)} ICMP port unreachable (closed), ${n(unanswered)} unanswered (open or filtered)${icmpText}`;
  else if (mixed) outcomeText = `${n(answered)} answered, ${n(refused)} refused (RST), ${n(unanswered)} unanswered${icmpText}`;
  else if (kind === KIND_SYN) outcomeText = `${n(answered)} answered (SYN/ACK: open), ${n(refused)} refused (RST: closed), ${n(unanswered)} unanswered${icmpText}`;
  else if (kind === KIND_ACK) outcomeText = `${n(refused)} RST (unfiltered), ${n(unanswered)} unanswered (filtered)${icmpText}`;
  else outcomeText = `${n(refused)} refused (RST: closed), ${n(unanswered)} unanswered (open or filtered)${answered ? `, ${n(answered)} other replies` : ''}${icmpText}`;
  const split = `Outcome per target (host:port, best answer over its probes): ${outcomeText}.`;
  const title = `${kindName} port scan (${shape}) from ${hostText(src)}: ${n(portsAll.size)} port${portsAll.size > 1 ? 's' : ''} on ${n(hostsAll.size)} host${hostsAll.size > 1 ? 's' : ''} — ${outcomeText}`;
  const rule =
    `Port scan: one source probing ≥ ${t.scanVerticalMinPorts} distinct ports on one host (vertical) or one port on ≥ ${t.scanHorizontalMinHosts} distinct hosts (horizontal) within ${t.scanWindowSeconds} s, ` +
    `with ≥ ${pct(t.scanMinFailedShare)} of the targets not answering (RST, ICMP unreachable or silence). ` +
    `A probe is a ${g.tcp ? 'TCP flow opened with SYN, FIN, NULL, Xmas or a bare ACK that carried no payload either way' : 'UDP flow of at most 3 datagrams that got no UDP reply (silence or ICMP unreachable; traceroute and discovery ports excluded)'}. ` +
    `Peak here: ${peakText}. ${n(list.length)} probes to ${n(best.size)} targets over ${secs(Math.max(0, last - first))}. ${split}`;

  // Filter: the probes from the scanner and what came back to it.
  const s = (w: 'src' | 'dst') => addrField(src, w);
  const single = hostsAll.size === 1 ? ` && ${addrField(targets[0], 'dst')}` : '';
  let probeSel: string;
  if (!g.tcp) probeSel = 'udp';
  else if (mixed) probeSel = 'tcp.len == 0';
  else probeSel = ['', 'tcp.flags.syn == 1 && tcp.flags.ack == 0', 'tcp.flags == 0x000', 'tcp.flags == 0x001', 'tcp.flags == 0x029', 'tcp.flags == 0x010 && tcp.len == 0'][kind];
  const v6 = src.includes(':');
  const replySel = g.tcp ? '(tcp.flags.reset == 1 || (tcp.flags.syn == 1 && tcp.flags.ack == 1))' : v6 ? 'icmpv6.type == 1' : 'icmp.type == 3';
  const filter = `(${s('src')}${single} && ${probeSel}) || (${s('dst')} && ${replySel})`;

  const frames = [...list.slice(0, 20).map((i) => flows.firstFrame[i]), ...answeredFrames];
  const peakRatio = Math.max(vertical.peak / t.scanVerticalMinPorts, horizontal.peak / t.scanHorizontalMinHosts);
  const confidence = 0.5 + 0.25 * Math.min(1, peakRatio - 1) + 0.25 * failShare;
  return detection({
    id: `scan-${g.tcp ? 'tcp' : 'udp'}-${src}`,
    kind: 'port_scan',
    severity: answered > 0 && peakRatio >= 5 ? 'critical' : 'warning',
    confidence,
    title,
    rule,
    hosts: [src, ...targets],
    ports,
    start: first,
    end: last,
    frames,
    filter,
    metrics: {
      probes: list.length,
      targets: best.size,
      distinctHosts: hostsAll.size,
      distinctPorts: portsAll.size,
      peakPortsOnOneHost: vertical.peak,
      peakHostsOnOnePort: horizontal.peak,
      answered,
      refused,
      unanswered,
      filtered,
      openPorts: openPorts.size,
      ...(g.tcp ? { syn: kinds[1], null: kinds[2], fin: kinds[3], xmas: kinds[4], ack: kinds[5] } : {}),
      durationSeconds: Math.max(0, last - first),
    },
  });
}
