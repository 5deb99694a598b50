import { L4_TCP } from '../../decode/packet.js';
import { ADMIN_PORTS, AUTH_PORTS, HTTP_PORTS } from './ports.js';
import { A_SYN, B_RST, B_SYNACK, KIND_ACK, KIND_MASK, KIND_NONE, TTL_EXCEEDED, UNREACH_OTHER, UNREACH_PORT } from './flow-marks.js';
import type { FinishInput } from './flow-view.js';
import { hashWords } from './key-table.js';
import { isGroupAddress } from './ranges.js';

export const SVC_AUTH = 1;
export const SVC_HTTP = 2;
export const SVC_ADMIN = 4;
export const SVC_UDP_DISCOVERY = 8;

/** UDP ports where one-way traffic to many hosts or ports is ordinary (discovery, DHCP, NetBIOS). */
export const UDP_DISCOVERY_PORTS: readonly number[] = [67, 68, 137, 138, 1900, 3702, 5353, 5355];

/** Port → service bits, one byte per port (a 64 KiB table built once). */
export const SERVICE = new Uint8Array(65536);
for (const p of AUTH_PORTS.keys()) SERVICE[p] |= SVC_AUTH;
for (const p of HTTP_PORTS.keys()) SERVICE[p] |= SVC_HTTP;
for (const p of ADMIN_PORTS.keys()) SERVICE[p] |= SVC_ADMIN;
for (const p of UDP_DISCOVERY_PORTS) SERVICE[p] |= SVC_UDP_DISCOVERY;

export const OUT_ANSWERED = 0;
export const OUT_REFUSED = 1;
export const OUT_UNANSWERED = 2;
export const OUT_FILTERED = 3;

/**
 * Flow rows each finish-time detector looks at, chosen with typed-array tests only. Typed lists: a
 * flood makes some of them hundreds of thousands long.
 */
export interface FlowLists {
  /** Scan probes (see scan.ts) and their outcome (OUT_*), parallel arrays. */
  probes: Int32Array;
  outcomes: Int32Array;
  /** TCP connections opened with a SYN to an authentication or web port (brute force). */
  auth: Int32Array;
  /** TCP connections opened with a SYN between two internal hosts on an administrative port (lateral movement). */
  admin: Int32Array;
  /** Flows between an internal and an external host where the internal one sent payload (exfiltration). */
  cross: Int32Array;
  /** For `cross`: 0 when side A is the internal host, 1 when side B is. */
  crossInner: Int32Array;
  /** Hash of each flow's side A and side B address (for grouping prefilters). */
  hashA: Uint32Array;
  hashB: Uint32Array;
}

/**
 * One pass over the flow table. Most flows of ordinary traffic fail every test after a few array reads,
 * so the finish-time detectors cost little even with hundreds of thousands of flows.
 */
export function flowPass(inp: FinishInput): FlowLists {
  const { flows, marks, ranges } = inp;
  const T = flows.tuples;
  const size = flows.size;
  const F = marks.flags;
  const PA = marks.payAB;
  const PB = marks.payBA;
  const marked = Math.min(size, F.length);
  const A = T.addrA;
  const B = T.addrB;
  const hashA = new Uint32Array(size);
  const hashB = new Uint32Array(size);
  const probes = new IntList();
  const outcomes = new IntList();
  const auth = new IntList();
  const admin = new IntList();
  const cross = new IntList();
  const crossInner = new IntList();
  for (let i = 0; i < size; i++) {
    const fl = i < marked ? F[i] : 0;
    const payA = i < marked ? PA[i] : 0;
    const payB = i < marked ? PB[i] : 0;
    const version = T.version[i];
    const o = i * 4;
    const portB = T.portB[i];
    const tcp = T.proto[i] === L4_TCP;
    const groupB = isGroupAddress(version, B[o]);
    hashA[i] = version === 4 ? hashWords(A[o], 0, 0, 0) : hashWords(A[o], A[o + 1], A[o + 2], A[o + 3]);
    hashB[i] = version === 4 ? hashWords(B[o], 0, 0, 0) : hashWords(B[o], B[o + 1], B[o + 2], B[o + 3]);
    // Scan probes.
    if (payA === 0 && payB === 0 && !groupB) {
      const pa = flows.packetsAB[i];
      const pb = flows.packetsBA[i];
      if (tcp) {
        const kind = fl & KIND_MASK;
        if (kind !== KIND_NONE && (kind === KIND_ACK ? pa <= 2 && pb <= 2 && (pb === 0 || (fl & B_RST) !== 0) : pa <= 6 && pb <= 6)) {
          probes.push(i);
          outcomes.push(
            fl & B_SYNACK ? OUT_ANSWERED
            : fl & B_RST ? OUT_REFUSED
            : fl & UNREACH_PORT ? OUT_REFUSED
            : fl & UNREACH_OTHER ? OUT_FILTERED
            : pb > 0 ? OUT_ANSWERED
            : OUT_UNANSWERED,
          );
        }
      }
    }
    if (!tcp && flows.packetsBA[i] === 0 && flows.packetsAB[i] <= 3 && !(fl & TTL_EXCEEDED) && !groupB) {
      // Datagrams from a service port to an ephemeral port are replies or reflection (a DNS
      // amplification flood), not probes: scanners send from an ephemeral or fixed high port.
      const portA = T.portA[i];
      if (!((SERVICE[portB] | SERVICE[portA]) & SVC_UDP_DISCOVERY) && !(portA < 1024 && portB >= 1024)) {
        probes.push(i);
        outcomes.push(fl & UNREACH_PORT ? OUT_REFUSED : fl & UNREACH_OTHER ? OUT_FILTERED : OUT_UNANSWERED);
      }
    }
    // Brute force and lateral movement candidates.
    if (tcp && fl & A_SYN) {
      const svc = SERVICE[portB];
      if (svc & (SVC_AUTH | SVC_HTTP)) auth.push(i);
      if (svc & SVC_ADMIN && !groupB && ranges.isInternal(version, A[o], A[o + 1], A[o + 2], A[o + 3]) && ranges.isInternal(version, B[o], B[o + 1], B[o + 2], B[o + 3])) {
        admin.push(i);
      }
    }
    // Exfiltration candidates.
    if (payA + payB > 0) {
      const aIn = ranges.isInternal(version, A[o], A[o + 1], A[o + 2], A[o + 3]);
      const bIn = ranges.isInternal(version, B[o], B[o + 1], B[o + 2], B[o + 3]);
      if (aIn !== bIn && (aIn ? payA > 0 && !groupB : payB > 0 && !isGroupAddress(version, A[o]))) {
        cross.push(i);
        crossInner.push(aIn ? 0 : 1);
      }
    }
  }
  return { probes: probes.done(), outcomes: outcomes.done(), auth: auth.done(), admin: admin.done(), cross: cross.done(), crossInner: crossInner.done(), hashA, hashB };
}

/** A growable list of int32 (doubling). */
export class IntList {
  private a = new Int32Array(16);
  private n = 0;

  get length(): number {
    return this.n;
  }

  push(x: number): void {
    if (this.n === this.a.length) {
      const b = new Int32Array(this.n * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = x;
  }

  /** The list (a view of the filled part). */
  done(): Int32Array {
    return this.a.subarray(0, this.n);
  }
}

/**
 * Positions in `list` of the members whose group can reach `min`: groups are hashed into buckets and weights summed
 * per bucket (an over-estimate of every group's total, so nothing that could fire is dropped); only
 * the rest go on to exact grouping with Maps. Keeps the finish cost of ordinary traffic to a hash and
 * an add per flow.
 */
export function hotMembers(list: ArrayLike<number>, hash: (k: number) => number, weight: (k: number) => number, min: number): Int32Array {
  if (list.length === 0) return new Int32Array(0);
  // At most 65,536 buckets (512 KiB, cache-friendly): more members per bucket only loosens the filter.
  let n = 1024;
  while (n < list.length && n < 1 << 16) n *= 2;
  const sums = new Float64Array(n);
  const h = new Int32Array(list.length);
  for (let k = 0; k < list.length; k++) {
    const b = hash(k) & (n - 1);
    h[k] = b;
    sums[b] += weight(k);
  }
  const out = new IntList();
  for (let k = 0; k < list.length; k++) if (sums[h[k]] >= min) out.push(k);
  return out.done();
}

