/**
 * The engine's public entry. Hosts (browser worker, server, CLI) and the app import from here and
 * from `worker/report/*` types only; everything else in `worker/` is internal.
 */
export { summarizeCapture, CaptureRun, AnalysisCancelled } from './engine.js';
export { analyzeCapture, type AnalyzeOptions } from './analysis.js';
export { THRESHOLDS, defaultThresholds, resolveThresholds, type Thresholds, type ThresholdName } from './report/thresholds.js';
export { SECURITY_THRESHOLDS, DEFAULT_INTERNAL_RANGES, parseCidr, resolveSecurityThresholds, type SecurityOptions } from './analyzers/security/index.js';
export type { Report } from './report/schema.js';
export { SCHEMA_VERSION, MAX_REPORT_BYTES } from './report/schema.js';
export { validateReport, parseReport, type ValidationResult } from './report/validate.js';
export type { Progress, ReadOptions, PacketConsumer } from './engine.js';
export type { ByteSource } from './input.js';
export type { CaptureSummary, InterfaceSummary } from './analyzers/summary.js';
export type { CaptureIssue } from './capture/issues.js';
export { visibleText } from './text.js';
