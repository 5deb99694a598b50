import type { CaptureRun } from '../engine.js';
import type { Thresholds } from '../report/thresholds.js';
import type { FinishContext } from './analyzer.js';
import { tupleAddress } from './conversations.js';
import type { FlowTable } from './flow-table.js';

/** Builds the context analyzers finish with, once the capture has been read. */
export function finishContext(run: CaptureRun, flows: FlowTable, thresholds: Thresholds, selectedFlows: readonly number[]): FinishContext {
  const summary = run.captureSummary();
  const t = flows.tuples;
  return {
    thresholds,
    flows,
    summary,
    endTime: run.lastPacketTime(),
    selectedFlows,
    flowAddress: (i, side) => tupleAddress(t.version[i], side === 0 ? t.addrA : t.addrB, i * 4),
  };
}
