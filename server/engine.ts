import { analyzeCapture, MAX_REPORT_BYTES, validateReport, type Progress, type Thresholds } from '../worker/index.js';
import { fileSource } from './file-source.js';

/**
 * The server's one call into the engine: analyse a spooled capture into validated report JSON.
 * Runs inside the analysis worker thread (server/analysis-thread.ts), or inline in tests.
 */

/** A failure to report to the API user as is (the capture's fault, not the server's). */
export class AnalysisFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'AnalysisFailure';
  }
}

export interface SpooledCapture {
  spoolPath: string;
  fileName: string | null;
  /** Diagnosis thresholds the uploader chose (validated at upload); the rest are the defaults. */
  thresholds?: Partial<Thresholds>;
}

/**
 * Reads the spool file as a stream through the engine (the same `analyzeCapture` call as the CLI's
 * `analyze`), validates the report and returns its JSON.
 */
export async function analyzeSpool(
  job: SpooledCapture,
  hooks: { signal?: AbortSignal; onProgress?: (p: Progress) => void } = {},
): Promise<{ json: string; packets: number }> {
  const src = await fileSource(job.spoolPath);
  const report = await analyzeCapture(src.source, {
    totalBytes: src.size,
    fileName: job.fileName,
    thresholds: job.thresholds,
    signal: hooks.signal,
    onProgress: hooks.onProgress,
  });
  const s = report.summary;
  if (s.format === 'unknown') {
    // What the CLI exits 2 for: nothing could be read as a capture.
    const reason = s.warnings.find((w) => w.severity === 'error');
    throw new AnalysisFailure('unreadable_capture', `the file could not be read as a capture${reason ? `: ${reason.message}` : ''}`);
  }
  const checked = validateReport(report);
  if (!checked.ok) throw new Error(`the engine produced an invalid report: ${checked.error}`);
  const json = JSON.stringify(checked.report);
  if (Buffer.byteLength(json) > MAX_REPORT_BYTES) throw new Error(`the engine produced a report larger than ${MAX_REPORT_BYTES} bytes`);
  return { json, packets: s.packets };
}
