/**
 * The page's side of the browser host: one dedicated worker (worker/hosts/web-worker.ts) reached
 * through comlink. The page passes File handles only; the worker reads the bytes.
 *
 * Cancel is immediate from the page's point of view: the pending promise rejects at once, the worker
 * is asked to abort (it stops at the next chunk) and, if it has not stopped 200 ms later, it is
 * terminated and a fresh one is started for the next request.
 */
import * as Comlink from 'comlink';
import type { EngineWorkerApi, SniffResult, AnalyzeOptions } from '../../worker/hosts/web-worker.js';
import type { Progress, Report } from '../../worker/index.js';

export type { SniffResult, Progress };

export class AnalysisCancelledError extends Error {
  constructor() {
    super('analysis cancelled');
    this.name = 'AbortError';
  }
}

/** The worker died (out of memory, crash) or stopped answering. */
export class WorkerFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerFailedError';
  }
}

export function isCancel(e: unknown): boolean {
  return e instanceof Error && e.name === 'AbortError';
}

/** How long the worker may go without progress before it is considered dead. */
const STALL_MS = 120_000;

export class EngineClient {
  private worker: Worker | null = null;
  private api: Comlink.Remote<EngineWorkerApi> | null = null;
  private pending: { reject: (e: Error) => void } | null = null;
  /** Rejects when the current worker dies: every call races it, so none waits forever on a dead worker. */
  private crashed: Promise<never> = new Promise<never>(() => {});

  constructor(private readonly makeWorker: () => Worker = defaultWorker) {}

  private remote(): Comlink.Remote<EngineWorkerApi> {
    if (!this.api) {
      const w = this.makeWorker();
      let crash: (e: Error) => void = () => {};
      this.crashed = new Promise<never>((_, reject) => (crash = reject));
      this.crashed.catch(() => {});
      w.addEventListener('error', (ev) => {
        ev.preventDefault();
        const e = new WorkerFailedError(`the analysis worker crashed${ev.message ? ` (${ev.message})` : ''}; the capture may be too large for this browser's memory`);
        crash(e);
        this.fail(e);
      });
      this.worker = w;
      this.api = Comlink.wrap<EngineWorkerApi>(w);
    }
    return this.api;
  }

  private fail(e: Error): void {
    const p = this.pending;
    this.pending = null;
    this.terminate();
    p?.reject(e);
  }

  private terminate(): void {
    this.api?.[Comlink.releaseProxy]?.();
    this.worker?.terminate();
    this.worker = null;
    this.api = null;
  }

  private call<T>(f: (api: Comlink.Remote<EngineWorkerApi>) => Promise<T>): Promise<T> {
    const api = this.remote();
    return Promise.race([f(api), this.crashed]);
  }

  sniff(file: File): Promise<SniffResult> {
    return this.call<SniffResult>((api) => api.sniff(file));
  }

  fingerprint(file: File): Promise<string> {
    return this.call<string>((api) => api.fingerprint(file));
  }

  /** Starts the worker (if needed) and resolves once it answers. */
  warmUp(): Promise<boolean> {
    return this.call<boolean>((api) => api.ping());
  }

  analyze(file: File, options: AnalyzeOptions, onProgress: (p: Progress) => void): Promise<Report> {
    if (this.pending) this.cancel();
    const api = this.remote();
    return new Promise<Report>((resolve, reject) => {
      let last = performance.now();
      const watchdog = setInterval(() => {
        if (performance.now() - last > STALL_MS) this.fail(new WorkerFailedError('the analysis worker stopped responding (the capture may be too large for this browser)'));
      }, 5000);
      const done = () => clearInterval(watchdog);
      const mine = {
        reject: (e: Error) => {
          done();
          reject(e);
        },
      };
      this.pending = mine;
      api
        .analyzeJson(
          file,
          options,
          Comlink.proxy((p: Progress) => {
            last = performance.now();
            if (this.pending === mine) onProgress(p);
          }),
        )
        .then(
          (json) => {
            if (this.pending !== mine) return;
            this.pending = null;
            done();
            resolve(JSON.parse(json) as Report);
          },
          (e: unknown) => {
            if (this.pending !== mine) return;
            this.pending = null;
            done();
            reject(e instanceof Error ? e : new Error(String(e)));
          },
        );
    });
  }

  /** Stops the running analysis now. */
  cancel(): void {
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    p.reject(new AnalysisCancelledError());
    const api = this.api;
    const worker = this.worker;
    if (!api || !worker) return;
    // The cooperative abort lands at the worker's next chunk (milliseconds); a worker busy in a long
    // synchronous step (or wedged) is terminated instead.
    const abandoned = this.abandoned(api);
    setTimeout(() => {
      if (this.worker === worker && !abandoned.stopped) this.terminate();
    }, 300);
  }

  private abandoned(api: Comlink.Remote<EngineWorkerApi>): { stopped: boolean } {
    const state = { stopped: false };
    api.cancel().then(
      () => (state.stopped = true),
      () => {},
    );
    return state;
  }

  dispose(): void {
    this.cancel();
    this.terminate();
  }
}

function defaultWorker(): Worker {
  return new Worker(new URL('../../worker/hosts/web-worker.ts', import.meta.url), { type: 'module', name: 'pcap-analyzer-engine' });
}
