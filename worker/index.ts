/**
 * The engine's public entry. Hosts (browser worker, server, CLI) and the app import from here and
 * from `worker/report/*` types only; everything else in `worker/` is internal.
 */
export { summarizeCapture, CaptureRun, AnalysisCancelled } from './engine.js';
export type { Progress, ReadOptions, PacketConsumer } from './engine.js';
export type { ByteSource } from './input.js';
export type { CaptureSummary, InterfaceSummary } from './analyzers/summary.js';
export type { CaptureIssue } from './capture/issues.js';
export { visibleText } from './text.js';
