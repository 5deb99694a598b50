import type { PacketView } from '../decode/packet.js';
import type { CaptureSummary } from '../report/sections/summary.js';
import type { Thresholds } from '../report/thresholds.js';
import type { FlowTable } from './flow-table.js';

/**
 * What every analyzer gets when the capture ends. Analyzers run in this order: conversations, tcp,
 * dns, udp, icmp, ip, timeline, gaps, security; findings and health last, from the sections.
 */
export interface FinishContext {
  thresholds: Thresholds;
  flows: FlowTable;
  summary: CaptureSummary;
  /** Time of the last packet, seconds since the first (the capture's duration in relative time). */
  endTime: number;
  /** Text address of side A (0) or B (1) of flow row `idx`. */
  flowAddress(idx: number, side: 0 | 1): string;
  /** Flow rows chosen for the report's conversation tables (largest first); analyzers detail these. */
  selectedFlows: readonly number[];
}

/**
 * One report section. `onPacket` sees every decoded packet with v.time and the flow fields set; it must
 * not keep references to packet bytes (copy what must outlive the call). Per-flow state is indexed by
 * v.flowIndex and must stay bounded.
 */
export interface Analyzer<Section> {
  onPacket(v: PacketView): void;
  finish(ctx: FinishContext): Section;
}
