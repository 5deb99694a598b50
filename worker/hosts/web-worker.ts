/// <reference lib="webworker" />
/**
 * Browser host: the engine inside a dedicated Web Worker, exposed with comlink. The page hands over a
 * File handle; the worker reads `file.stream()` itself (gunzip is automatic), so capture bytes never
 * touch the main thread. Progress goes back through a comlink-proxied callback; `cancel()` aborts the
 * running analysis at the next chunk (the page also terminates the worker if that takes too long).
 */
import * as Comlink from 'comlink';
import { analyzeCapture, type Progress, type Report, type Thresholds } from '../index.js';
import { sniffCapture, type SniffResult } from './sniff.js';

export type { SniffResult } from './sniff.js';

export interface AnalyzeOptions {
  thresholds?: Partial<Thresholds>;
  progressIntervalMs?: number;
}

/** Bytes hashed from each of the start, middle and end of a file for its fingerprint. */
export const FINGERPRINT_SAMPLE_BYTES = 64 * 1024;

let controller: AbortController | null = null;

const api = {
  /** Whether the file looks like a capture: decided from its first bytes (and gzip's inner bytes) and its name. */
  async sniff(file: File): Promise<SniffResult> {
    return sniffCapture(file);
  },

  /**
   * `<size>-<sha256 hex>` of the first, middle and last 64 KiB (the whole file when smaller): cheap
   * on multi-GB files, and distinct for different captures in practice because captures carry
   * timestamps throughout.
   */
  async fingerprint(file: File): Promise<string> {
    const n = FINGERPRINT_SAMPLE_BYTES;
    const parts: Blob[] =
      file.size <= 3 * n
        ? [file]
        : [file.slice(0, n), file.slice(Math.floor(file.size / 2) - n / 2, Math.floor(file.size / 2) + n / 2), file.slice(file.size - n)];
    const bytes = await new Blob(parts).arrayBuffer();
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
    return `${file.size}-${Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('')}`;
  },

  /** Analyses the file; rejects with an error named AbortError when cancelled. */
  async analyze(file: File, options: AnalyzeOptions = {}, onProgress?: (p: Progress) => void): Promise<Report> {
    controller?.abort();
    const own = new AbortController();
    controller = own;
    try {
      return await analyzeCapture(file.stream(), {
        signal: own.signal,
        onProgress,
        totalBytes: file.size,
        progressIntervalMs: options.progressIntervalMs ?? 100,
        fileName: file.name,
        thresholds: options.thresholds,
      });
    } finally {
      if (controller === own) controller = null;
    }
  },

  /**
   * The same, returning the report as JSON text: a string crosses to the page in one copy, where a
   * structured clone of the report's object graph would cost the page's main thread a long task.
   */
  async analyzeJson(file: File, options: AnalyzeOptions = {}, onProgress?: (p: Progress) => void): Promise<string> {
    return JSON.stringify(await api.analyze(file, options, onProgress));
  },

  /** Stops the running analysis at once (at the next chunk boundary). */
  cancel(): void {
    controller?.abort();
    controller = null;
  },

  /** Answers once the worker has loaded (the page calls it to start the worker early). */
  ping(): boolean {
    return true;
  },
};

export type EngineWorkerApi = typeof api;
Comlink.expose(api);
