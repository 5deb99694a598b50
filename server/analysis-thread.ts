/**
 * Worker-thread entry (bundled to dist/node/analysis-thread.js): analyses one spooled capture, so
 * the server's event loop stays free for health checks and other requests meanwhile. Reads the spool
 * file as a stream; posts progress, then the validated report JSON or a failure.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { AnalysisFailure, analyzeSpool, type SpooledCapture } from './engine.js';
import type { ThreadMessage } from './analysis.js';

const port = parentPort;
if (!port) throw new Error('analysis-thread.ts must run in a worker thread');
const post = (m: ThreadMessage) => port.postMessage(m);

try {
  const result = await analyzeSpool(workerData as SpooledCapture, { onProgress: (progress) => post({ type: 'progress', progress }) });
  post({ type: 'done', json: result.json, packets: result.packets });
} catch (e) {
  if (e instanceof AnalysisFailure) post({ type: 'failed', code: e.code, message: e.message });
  else post({ type: 'failed', code: 'analysis_error', message: e instanceof Error ? e.message : String(e), internal: true });
}
