import type { FlowTable } from '../flow-table.js';
import { addressText } from './common.js';
import type { FlowMarks } from './flow-marks.js';
import { isGroupAddress, type InternalRanges } from './ranges.js';
import type { SecurityThresholds } from './thresholds.js';

/** What the finish-time detectors (scans, brute force, lateral movement, exfiltration, floods) read. */
export interface FinishInput {
  t: SecurityThresholds;
  ranges: InternalRanges;
  flows: FlowTable;
  marks: FlowMarks;
}

/**
 * Address helpers over flow rows. Side 0 is A (the flow's first sender, the initiator for connections
 * seen from their start), side 1 is B. Keys are numbers for IPv4 and strings for IPv6, so they can key
 * Maps without colliding; they are built at finish time only.
 */
export class FlowView {
  constructor(
    readonly flows: FlowTable,
    readonly ranges: InternalRanges,
  ) {}

  key(i: number, side: 0 | 1): number | string {
    const t = this.flows.tuples;
    const w = side === 0 ? t.addrA : t.addrB;
    const o = i * 4;
    return t.version[i] === 4 ? w[o] : `${w[o]}:${w[o + 1]}:${w[o + 2]}:${w[o + 3]}`;
  }

  text(i: number, side: 0 | 1): string {
    const t = this.flows.tuples;
    const w = side === 0 ? t.addrA : t.addrB;
    const o = i * 4;
    return addressText(t.version[i], w[o], w[o + 1], w[o + 2], w[o + 3]);
  }

  internal(i: number, side: 0 | 1): boolean {
    const t = this.flows.tuples;
    const w = side === 0 ? t.addrA : t.addrB;
    const o = i * 4;
    return this.ranges.isInternal(t.version[i], w[o], w[o + 1], w[o + 2], w[o + 3]);
  }

  group(i: number, side: 0 | 1): boolean {
    const t = this.flows.tuples;
    const w = side === 0 ? t.addrA : t.addrB;
    return isGroupAddress(t.version[i], w[i * 4]);
  }
}
