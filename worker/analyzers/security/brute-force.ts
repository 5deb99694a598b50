import type { Detection } from '../../report/sections/security.js';
import { addrField, bytesText, detection, hostText, meanCv, median, n, pct, peakCountInWindow, secs } from './common.js';
import { A_RST, B_RST, B_SYNACK } from './flow-marks.js';
import { hotMembers, IntList, type FlowLists } from './flow-pass.js';
import { FlowView, type FinishInput } from './flow-view.js';
import { AUTH_PORTS, HTTP_PORTS } from './ports.js';

/**
 * Brute force against an authentication service: many short connections from one source to one
 * service (address and port) within a window. A connection counts when it was established (SYN/ACK
 * seen), exchanged payload both ways, lasted at most bruteMaxConnectionSeconds and carried at most
 * bruteMaxConnectionBytes: each one is a login attempt (or a few) that ended. HTTP(S) needs more connections and
 * near-identical sizes both ways (the same form posted, the same failure page returned), because
 * browsers also open many short connections. Failure signs (resets, tiny server replies) and a
 * longer session after the burst (a possible successful login) raise confidence and severity.
 */
export function detectBruteForce(inp: FinishInput, lists: FlowLists): Detection[] {
  const { flows, marks, t } = inp;
  const T = flows.tuples;
  const fv = new FlowView(flows, inp.ranges);
  // Groups by source, destination and port, in order of first appearance. IPv4 through numeric keys
  // ((source * 65536 + port) → destination): a flood of SYNs to a web port makes hundreds of thousands
  // of candidates, and a key string each would be as many allocations (and the lists are typed).
  const groups: IntList[] = [];
  const byV4 = new Map<number, Map<number, IntList>>();
  const byText = new Map<string, IntList>();
  const F = marks.flags;
  const minGroup = Math.min(t.bruteMinConnections, t.bruteMinConnectionsHttp);
  const auth = lists.auth;
  const candidates = hotMembers(auth, (k) => Math.imul(lists.hashA[auth[k]] ^ T.portB[auth[k]], 0x9e3779b1) ^ lists.hashB[auth[k]], () => 1, minGroup);
  for (const pos of candidates) {
    const i = auth[pos];
    const port = T.portB[i];
    const a = fv.key(i, 0);
    const b = fv.key(i, 1);
    let g: IntList | undefined;
    if (typeof a === 'number' && typeof b === 'number') {
      const k = a * 65536 + port;
      let m = byV4.get(k);
      if (!m) byV4.set(k, (m = new Map()));
      g = m.get(b);
      if (!g) m.set(b, (g = new IntList()));
    } else {
      const key = `${a}|${b}|${port}`;
      g = byText.get(key);
      if (!g) byText.set(key, (g = new IntList()));
    }
    if (g.length === 0) groups.push(g);
    g.push(i);
  }
  const out: Detection[] = [];
  for (const group of groups) {
    const rows = group.done();
    const http = HTTP_PORTS.has(T.portB[rows[0]]);
    const min = http ? t.bruteMinConnectionsHttp : t.bruteMinConnections;
    if (rows.length < min) continue;
    // An attempt is an established connection that exchanged payload both ways (banner, credentials,
    // verdict); refused and half-open connections carry no login.
    const isEstablished = (i: number) => (F[i] & B_SYNACK) !== 0 && marks.payAB[i] > 0 && marks.payBA[i] > 0;
    const isShort = (i: number) => flows.lastTime[i] - flows.firstTime[i] <= t.bruteMaxConnectionSeconds && marks.payAB[i] + marks.payBA[i] <= t.bruteMaxConnectionBytes;
    // Counted before sorting: a SYN flood's groups are large and hold no attempt.
    let attempts = 0;
    for (const i of rows) if (isEstablished(i) && isShort(i)) attempts++;
    if (attempts < min) continue;
    const list = Array.from(rows).sort((a, b) => flows.firstTime[a] - flows.firstTime[b]);
    const established = list.filter(isEstablished);
    const short = established.filter(isShort);
    if (short.length < min) continue;
    const w = peakCountInWindow(short.map((i) => flows.firstTime[i]), t.bruteWindowSeconds);
    if (w.peak < min) continue;
    const burst = short.slice(w.lo, w.hi + 1);
    const client = meanCv(burst.map((i) => marks.payAB[i]));
    const server = meanCv(burst.map((i) => marks.payBA[i]));
    const uniform = client.cv <= t.bruteHttpMaxSizeCv && server.cv <= t.bruteHttpMaxSizeCv;
    if (http && !uniform) continue;
    const d = report(inp, fv, list, short, burst, w, http, client, server, uniform);
    out.push(d);
  }
  return out;
}

function report(
  inp: FinishInput,
  fv: FlowView,
  all: number[],
  short: number[],
  burst: number[],
  w: { peak: number; start: number; end: number },
  http: boolean,
  client: { mean: number; cv: number },
  server: { mean: number; cv: number },
  uniform: boolean,
): Detection {
  const { flows, marks, t } = inp;
  const T = flows.tuples;
  const F = marks.flags;
  const i0 = all[0];
  const port = T.portB[i0];
  const service = (http ? HTTP_PORTS : AUTH_PORTS).get(port) ?? `port ${port}`;
  const src = fv.text(i0, 0);
  const dst = fv.text(i0, 1);
  const min = http ? t.bruteMinConnectionsHttp : t.bruteMinConnections;
  let resets = 0;
  let tiny = 0;
  for (const i of burst) {
    if (F[i] & (A_RST | B_RST)) resets++;
    if (marks.payBA[i] <= t.bruteTinyServerBytes) tiny++;
  }
  const failures = burst.filter((i) => F[i] & (A_RST | B_RST) || marks.payBA[i] <= t.bruteTinyServerBytes).length;
  const refused = all.filter((i) => !(F[i] & B_SYNACK) && F[i] & B_RST).length;
  // A longer or larger session after the attempts began: possibly the password that worked.
  const shortSet = new Set(short);
  const longAfter = all.filter((i) => F[i] & B_SYNACK && !shortSet.has(i) && flows.firstTime[i] >= flows.firstTime[burst[0]]);
  const durations = burst.map((i) => flows.lastTime[i] - flows.firstTime[i]);
  const failShare = failures / burst.length;
  const ratio = w.peak / min;
  const critical = longAfter.length > 0 || ratio >= 5;
  const start = flows.firstTime[short[0]];
  let end = start;
  for (const i of all) end = Math.max(end, flows.lastTime[i]);
  const title =
    `Possible ${service} brute force: ${hostText(src)} opened ${n(w.peak)} short connections to ${hostText(dst)}:${port} within ${secs(t.bruteWindowSeconds)}` +
    ` (${n(short.length)} in all${failures ? `, ${pct(failShare)} with failure signs` : ''})` +
    (longAfter.length ? ` followed by ${n(longAfter.length)} longer session${longAfter.length > 1 ? 's' : ''} — possible successful login` : '');
  const rule =
    `Brute force: ≥ ${min} established TCP connections from one source to one ${http ? 'web (login form)' : 'authentication'} service within ${t.bruteWindowSeconds} s, ` +
    `each lasting ≤ ${t.bruteMaxConnectionSeconds} s with ≤ ${t.bruteMaxConnectionBytes} bytes of payload` +
    (http ? `, with client and server payload sizes nearly identical (coefficient of variation ≤ ${t.bruteHttpMaxSizeCv})` : '') +
    `. Failure signs: reset connections, server replies ≤ ${t.bruteTinyServerBytes} bytes. ` +
    `Here: median ${secs(median(durations))} and ${bytesText(client.mean)} sent / ${bytesText(server.mean)} received per connection; ${n(resets)} reset, ${n(tiny)} tiny replies${refused ? `, ${n(refused)} refused` : ''}.` +
    (longAfter.length ? ` A session after the attempts lasted ${secs(flows.lastTime[longAfter[0]] - flows.firstTime[longAfter[0]])} with ${bytesText(marks.payAB[longAfter[0]] + marks.payBA[longAfter[0]])} of payload.` : '');
  const frames = [...burst.slice(0, 25).map((i) => flows.firstFrame[i]), ...longAfter.slice(0, 5).map((i) => flows.firstFrame[i])];
  return detection({
    id: `brute-${src}-${dst}-${port}`,
    kind: 'brute_force',
    severity: critical ? 'critical' : 'warning',
    confidence: 0.45 + 0.2 * Math.min(1, ratio - 1) + 0.2 * failShare + (uniform ? 0.15 : 0),
    title,
    rule,
    hosts: [src, dst],
    ports: [port],
    start,
    end,
    frames,
    filter: `${addrField(src, 'addr')} && ${addrField(dst, 'addr')} && tcp.port == ${port}`,
    metrics: {
      peakConnectionsInWindow: w.peak,
      shortConnections: short.length,
      connections: all.length,
      refused,
      resets,
      tinyReplies: tiny,
      failureShare: failShare,
      medianSeconds: median(durations),
      meanClientBytes: client.mean,
      meanServerBytes: server.mean,
      clientSizeCv: client.cv,
      serverSizeCv: server.cv,
      laterSessions: longAfter.length,
    },
  });
}
