import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Progress } from '../worker/index.js';
import { AnalysisFailure, analyzeSpool, type SpooledCapture } from './engine.js';

/**
 * How a job's capture becomes report JSON. The queue only knows this function type, so tests inject
 * a controllable one and production runs the engine in a worker thread.
 */
export interface AnalysisJob extends SpooledCapture {
  totalBytes: number;
}

export interface AnalysisHooks {
  signal: AbortSignal;
  onProgress: (p: Progress) => void;
}

/** Resolves with the report JSON; rejects with AnalysisFailure (the capture's fault) or any Error (ours). */
export type AnalysisRunner = (job: AnalysisJob, hooks: AnalysisHooks) => Promise<{ json: string; packets: number }>;

export type ThreadMessage =
  | { type: 'progress'; progress: Progress }
  | { type: 'done'; json: string; packets: number }
  | { type: 'failed'; code: string; message: string; internal?: boolean };

/** Runs the engine on the calling thread (tests, tools). It blocks the event loop between chunks. */
export const inlineRunner: AnalysisRunner = (job, hooks) => analyzeSpool(job, hooks);

export interface ThreadRunnerOptions {
  /** Heap cap of each analysis thread, MB: a runaway analysis fails alone instead of the server. */
  memoryMb: number;
  timeoutMs: number;
  /** The thread's entry; defaults to the sibling analysis-thread.js (bundle) or .ts (source). */
  entry?: URL;
}

/**
 * Each job gets a fresh worker thread, terminated when it ends (no state or memory carried over
 * from one capture to the next; cancelling is `terminate()`).
 */
export function threadRunner(options: ThreadRunnerOptions): AnalysisRunner {
  const entry = options.entry ?? defaultEntry();
  return (job, hooks) =>
    new Promise((resolve, reject) => {
      if (hooks.signal.aborted) {
        reject(new AnalysisFailure('cancelled', 'the analysis was cancelled'));
        return;
      }
      const data: SpooledCapture = { spoolPath: job.spoolPath, fileName: job.fileName, ...(job.thresholds ? { thresholds: job.thresholds } : {}) };
      const worker = spawn(entry, data, options.memoryMb);
      let settled = false;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        hooks.signal.removeEventListener('abort', onAbort);
        void worker.terminate();
        fn();
      };
      const timer = setTimeout(
        () => finish(() => reject(new AnalysisFailure('timeout', `the analysis did not finish within ${Math.round(options.timeoutMs / 60_000)} minutes`))),
        options.timeoutMs,
      );
      timer.unref();
      const onAbort = () => finish(() => reject(new AnalysisFailure('cancelled', 'the analysis was cancelled')));
      hooks.signal.addEventListener('abort', onAbort);
      worker.on('message', (m: ThreadMessage) => {
        if (m.type === 'progress') {
          if (!settled) hooks.onProgress(m.progress);
        } else if (m.type === 'done') finish(() => resolve({ json: m.json, packets: m.packets }));
        else finish(() => reject(m.internal ? new Error(m.message) : new AnalysisFailure(m.code, m.message)));
      });
      worker.on('error', (e: Error & { code?: string }) => {
        if (e.code === 'ERR_WORKER_OUT_OF_MEMORY') {
          finish(() => reject(new AnalysisFailure('out_of_memory', `the analysis needed more than ${options.memoryMb} MB of memory`)));
        } else finish(() => reject(e));
      });
      worker.on('exit', (code) => finish(() => reject(new Error(`analysis thread exited (code ${code}) without a result`))));
    });
}

/** The analysis thread's entry for this build; a bundle without it cannot analyse anything. */
export function threadEntryProblem(): string | null {
  const entry = defaultEntry();
  return existsSync(entry) ? null : `${entry.pathname} is missing (run \`npm run build\`)`;
}

function defaultEntry(): URL {
  const js = new URL('./analysis-thread.js', import.meta.url);
  if (import.meta.url.endsWith('.js') && existsSync(js)) return js;
  return new URL('./analysis-thread.ts', import.meta.url);
}

function spawn(entry: URL, data: SpooledCapture, memoryMb: number): Worker {
  const resourceLimits = { maxOldGenerationSizeMb: memoryMb };
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, { workerData: data, resourceLimits });
  // Running from source (tests, `tsx server/index.ts`): load the TypeScript entry through tsx.
  const tsxApi = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api')).href.replace(/\.cjs$/, '.mjs');
  const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(boot, { eval: true, workerData: data, resourceLimits });
}
