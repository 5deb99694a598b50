import type { Detection } from '../../report/sections/security.js';
import { addrField, detection, hostText, inSet, n, peakDistinctInWindow, secs } from './common.js';
import { B_SYNACK } from './flow-marks.js';
import { hotMembers, type FlowLists } from './flow-pass.js';
import { FlowView, type FinishInput } from './flow-view.js';
import { ADMIN_PORTS } from './ports.js';

/**
 * Lateral movement: one internal host completing TCP handshakes with many internal hosts on
 * administrative ports (SMB, RDP, WinRM, SSH, RPC) within a window. Attempts that were refused or
 * unanswered are reported but not counted: sweeps that reach nobody are port scans.
 */
export function detectLateral(inp: FinishInput, lists: FlowLists): Detection[] {
  const { flows, marks, t } = inp;
  const T = flows.tuples;
  const fv = new FlowView(flows, inp.ranges);
  const F = marks.flags;
  const groups = new Map<number | string, number[]>();
  const admin = lists.admin;
  for (const pos of hotMembers(admin, (k) => lists.hashA[admin[k]], () => 1, t.lateralMinHosts)) {
    const i = admin[pos];
    const key = fv.key(i, 0);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(i);
  }
  const out: Detection[] = [];
  for (const list of groups.values()) {
    const reached = list.filter((i) => F[i] & B_SYNACK).sort((a, b) => flows.firstTime[a] - flows.firstTime[b]);
    if (reached.length < t.lateralMinHosts) continue;
    const w = peakDistinctInWindow(reached.map((i) => flows.firstTime[i]), reached.map((i) => fv.key(i, 1)), t.lateralWindowSeconds);
    if (w.peak < t.lateralMinHosts) continue;
    const src = fv.text(list[0], 0);
    const hostsReached = new Map<number | string, number>();
    for (const i of reached) if (!hostsReached.has(fv.key(i, 1))) hostsReached.set(fv.key(i, 1), i);
    const attempted = new Set(list.map((i) => fv.key(i, 1))).size;
    const perPort = new Map<number, number>();
    for (const i of reached) perPort.set(T.portB[i], (perPort.get(T.portB[i]) ?? 0) + 1);
    const ports = [...perPort.entries()].sort((a, b) => b[1] - a[1]).map(([p]) => p);
    const portText = ports.map((p) => `${ADMIN_PORTS.get(p)} ${p}`).join(', ');
    const start = flows.firstTime[reached[0]];
    let end = start;
    for (const i of list) end = Math.max(end, flows.lastTime[i]);
    const ratio = w.peak / t.lateralMinHosts;
    out.push(
      detection({
        id: `lateral-${src}`,
        kind: 'lateral_movement',
        severity: ratio >= 2 ? 'critical' : 'warning',
        confidence: 0.5 + 0.3 * Math.min(1, ratio - 1) + 0.2 * (reached.length / list.length),
        title: `Possible lateral movement: ${hostText(src)} connected to ${n(w.peak)} internal hosts on administrative ports (${portText}) within ${secs(t.lateralWindowSeconds)}`,
        rule:
          `Lateral movement: one internal host completes TCP handshakes with ≥ ${t.lateralMinHosts} distinct internal hosts on administrative ports (SMB 445, RDP 3389, WinRM 5985/5986, SSH 22, RPC 135) within ${t.lateralWindowSeconds} s. ` +
          `Here: ${n(hostsReached.size)} hosts reached of ${n(attempted)} attempted, ${n(reached.length)} of ${n(list.length)} connection attempts answered.`,
        hosts: [src, ...[...hostsReached.values()].map((i) => fv.text(i, 1))],
        ports,
        start,
        end,
        frames: reached.slice(0, 30).map((i) => flows.firstFrame[i]),
        filter: `${addrField(src, 'src')} && tcp.flags.syn == 1 && tcp.flags.ack == 0 && ${inSet('tcp.dstport', [...ADMIN_PORTS.keys()])}`,
        metrics: {
          peakHostsInWindow: w.peak,
          hostsReached: hostsReached.size,
          hostsAttempted: attempted,
          connectionsAnswered: reached.length,
          connectionAttempts: list.length,
          smb: perPort.get(445) ?? 0,
          rdp: perPort.get(3389) ?? 0,
          winrm: (perPort.get(5985) ?? 0) + (perPort.get(5986) ?? 0),
          ssh: perPort.get(22) ?? 0,
          rpc: perPort.get(135) ?? 0,
        },
      }),
    );
  }
  return out;
}
