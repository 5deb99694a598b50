import type { Detection } from '../../report/sections/security.js';
import { addrField, bytesText, detection, hostText, n, secs } from './common.js';
import { hotMembers, type FlowLists } from './flow-pass.js';
import { FlowView, type FinishInput } from './flow-view.js';

interface Pair {
  inner: number;
  /** Flow and side of the internal host, for its address. */
  innerSide: 0 | 1;
  out: number;
  in: number;
  first: number;
  last: number;
  flows: number[];
  ports: Map<number, number>;
}

/**
 * Possible exfiltration, from TCP/UDP payload per (internal host, external host) pair:
 *  (a) large and asymmetric: ≥ exfilMinBytes sent out and ≥ exfilMinRatio times what came back;
 *  (b) sustained upload to a rare destination: ≥ exfilRareMinBytes sent, as asymmetric, over at least
 *      exfilMinDurationSeconds, to an external host that at most exfilRareMaxInternalHosts internal
 *      hosts talk to in this capture.
 */
export function detectExfiltration(inp: FinishInput, lists: FlowLists): Detection[] {
  const { flows, marks, t } = inp;
  const T = flows.tuples;
  const fv = new FlowView(flows, inp.ranges);
  const { cross, crossInner } = lists;
  // Only flows to external hosts that may have received enough payload are looked at in detail.
  const minBytes = Math.min(t.exfilMinBytes, t.exfilRareMinBytes);
  const sentAt = (k: number) => (crossInner[k] === 0 ? marks.payAB[cross[k]] : marks.payBA[cross[k]]);
  const hot = hotMembers(cross, (k) => (crossInner[k] === 0 ? lists.hashB[cross[k]] : lists.hashA[cross[k]]), sentAt, minBytes);
  const pairs = new Map<string, Pair>();
  const peers = new Map<number | string, Set<number | string>>();
  for (const pos of hot) {
    const i = cross[pos];
    const innerSide = crossInner[pos] as 0 | 1;
    const outerSide: 0 | 1 = innerSide === 0 ? 1 : 0;
    const ek = fv.key(i, outerSide);
    const ik = fv.key(i, innerSide);
    let s = peers.get(ek);
    if (!s) peers.set(ek, (s = new Set()));
    s.add(ik);
    const sent = sentAt(pos);
    const recv = innerSide === 0 ? marks.payBA[i] : marks.payAB[i];
    const key = `${ik}|${ek}`;
    let p = pairs.get(key);
    if (!p) pairs.set(key, (p = { inner: i, innerSide, out: 0, in: 0, first: flows.firstTime[i], last: flows.lastTime[i], flows: [], ports: new Map() }));
    p.out += sent;
    p.in += recv;
    p.first = Math.min(p.first, flows.firstTime[i]);
    p.last = Math.max(p.last, flows.lastTime[i]);
    p.flows.push(i);
    const port = innerSide === 0 ? T.portB[i] : T.portA[i];
    p.ports.set(port, (p.ports.get(port) ?? 0) + sent);
  }
  const out: Detection[] = [];
  for (const p of pairs.values()) {
    if (p.out < Math.min(t.exfilMinBytes, t.exfilRareMinBytes)) continue;
    const ratio = p.out / Math.max(1, p.in);
    if (ratio < t.exfilMinRatio) continue;
    const i0 = p.inner;
    const outerSide: 0 | 1 = p.innerSide === 0 ? 1 : 0;
    const peerCount = peers.get(fv.key(i0, outerSide))?.size ?? 1;
    const duration = p.last - p.first;
    const large = p.out >= t.exfilMinBytes;
    const rare = p.out >= t.exfilRareMinBytes && duration >= t.exfilMinDurationSeconds && peerCount <= t.exfilRareMaxInternalHosts;
    if (!large && !rare) continue;
    const src = fv.text(i0, p.innerSide);
    const dst = fv.text(i0, outerSide);
    const ports = [...p.ports.entries()].sort((a, b) => b[1] - a[1]).map(([port]) => port);
    const top = p.flows.sort((a, b) => sentBy(inp, b, fv) - sentBy(inp, a, fv));
    const why = [
      large ? `${bytesText(p.out)} ≥ ${bytesText(t.exfilMinBytes)} sent` : '',
      rare ? `sustained ${secs(duration)} upload to a destination only ${n(peerCount)} internal host${peerCount > 1 ? 's' : ''} talk${peerCount > 1 ? '' : 's'} to` : '',
    ].filter(Boolean);
    out.push(
      detection({
        id: `exfil-${src}-${dst}`,
        kind: 'exfiltration',
        severity: large && rare ? 'critical' : large ? 'warning' : 'info',
        confidence: Math.min(0.9, 0.35 + (large ? 0.2 : 0) + (rare ? 0.2 : 0) + 0.15 * Math.min(1, Math.log10(ratio / t.exfilMinRatio + 1))),
        title: `Possible exfiltration: ${hostText(src)} sent ${bytesText(p.out)} to external ${hostText(dst)} and received ${bytesText(p.in)} (${ratio >= 1000 ? '≥1000' : ratio.toFixed(0)}×) over ${secs(duration)}`,
        rule:
          `Exfiltration: an internal host sends ≥ ${bytesText(t.exfilMinBytes)} of payload to one external host, ≥ ${t.exfilMinRatio}× what it receives back; ` +
          `or a sustained upload (≥ ${bytesText(t.exfilRareMinBytes)}, ≥ ${t.exfilMinDurationSeconds} s, same asymmetry) to a rare destination (≤ ${t.exfilRareMaxInternalHosts} internal host${t.exfilRareMaxInternalHosts === 1 ? '' : 's'} talk to it in this capture). ` +
          `Here: ${why.join('; ')}; ${n(p.flows.length)} flow${p.flows.length > 1 ? 's' : ''}, mostly to port ${ports[0]}.`,
        hosts: [src, dst],
        ports,
        start: p.first,
        end: p.last,
        frames: top.slice(0, 30).map((i) => flows.firstFrame[i]),
        filter: `${addrField(src, 'src')} && ${addrField(dst, 'dst')}`,
        metrics: {
          bytesOut: p.out,
          bytesIn: p.in,
          ratio: Math.min(ratio, 1e9),
          durationSeconds: duration,
          flows: p.flows.length,
          internalPeersOfDestination: peerCount,
          averageBytesPerSecond: duration > 0 ? p.out / duration : p.out,
        },
      }),
    );
  }
  return out;
}

function sentBy(inp: FinishInput, i: number, fv: FlowView): number {
  return fv.internal(i, 0) ? inp.marks.payAB[i] : inp.marks.payBA[i];
}
