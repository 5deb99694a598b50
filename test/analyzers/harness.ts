import type { Analyzer, FinishContext } from '../../worker/analyzers/analyzer.js';
import { finishContext } from '../../worker/analyzers/context.js';
import { FlowTable } from '../../worker/analyzers/flow-table.js';
import { CaptureRun } from '../../worker/engine.js';
import type { ByteSource } from '../../worker/input.js';
import { resolveThresholds, type Thresholds } from '../../worker/report/thresholds.js';

/**
 * Runs analyzers over a capture the way the full analysis does (flow table first, then each analyzer)
 * and returns what each one's finish() produced, plus the context for further checks.
 */
export async function runAnalyzers<T extends Record<string, Analyzer<unknown>>>(
  source: ByteSource | Uint8Array,
  make: (flows: FlowTable) => T,
  options: { thresholds?: Partial<Thresholds>; selectedFlows?: (flows: FlowTable) => number[] } = {},
): Promise<{ sections: { [K in keyof T]: T[K] extends Analyzer<infer S> ? S : never }; ctx: FinishContext; run: CaptureRun; flows: FlowTable }> {
  const flows = new FlowTable();
  const analyzers = make(flows);
  const run = new CaptureRun([{ onPacket: (v) => flows.classify(v) }, ...Object.values(analyzers)]);
  await run.run(source instanceof Uint8Array ? [source] : source);
  const thresholds = resolveThresholds(options.thresholds ?? {});
  const selected = options.selectedFlows ? options.selectedFlows(flows) : Array.from({ length: flows.size }, (_, i) => i);
  const ctx = finishContext(run, flows, thresholds, selected);
  const sections = {} as Record<string, unknown>;
  for (const [k, a] of Object.entries(analyzers)) sections[k] = a.finish(ctx);
  return { sections: sections as { [K in keyof T]: T[K] extends Analyzer<infer S> ? S : never }, ctx, run, flows };
}
