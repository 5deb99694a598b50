/// <reference lib="webworker" />
/**
 * Browser host: the engine inside a dedicated Web Worker, exposed with comlink. The page hands over a
 * File; the worker reads file.stream() itself so capture bytes never touch the main thread.
 */
import * as Comlink from 'comlink';
import { summarizeCapture, type CaptureSummary, type Progress } from '../index.js';

let controller: AbortController | null = null;

const api = {
  async summarize(file: File, onProgress?: (p: Progress) => void): Promise<CaptureSummary> {
    controller?.abort();
    controller = new AbortController();
    return summarizeCapture(file.stream(), { totalBytes: file.size, signal: controller.signal, onProgress });
  },
  cancel(): void {
    controller?.abort();
  },
};

export type EngineWorkerApi = typeof api;
Comlink.expose(api);
