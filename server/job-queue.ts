import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveThresholds, type Progress, type Thresholds } from '../worker/index.js';
import { AnalysisFailure } from './engine.js';
import type { AnalysisRunner } from './analysis.js';
import { readJson, writeFileAtomic } from './atomic.js';
import { isId, newId } from './ids.js';
import type { Logger } from './log.js';
import type { ReportStore } from './report-store.js';

/**
 * The analysis queue behind `/api/upload`. Routes only see `JobQueue`, so a multi-replica deployment
 * could put jobs in a shared queue; `InProcessJobQueue` keeps them in this process with a small
 * manifest on disk next to each spooled capture, which is what lets a restarted server resume them.
 *
 * Life of a job: `reserve()` takes a place in the queue before the upload is read (a full queue is
 * refused without reading anything) → the upload streams into `spoolPath` → `submit()` writes the
 * manifest atomically (the upload is now complete and durable) → the job waits, runs in the analysis
 * runner, its report goes to the report store → spool and manifest are deleted and a small final
 * record remains (status lookups) until the report expires.
 */
export type JobState = 'queued' | 'running' | 'done' | 'failed';

export interface JobStatus {
  id: string;
  state: JobState;
  /** 1 = next to run; only while queued. */
  position: number | null;
  fileName: string | null;
  bytes: number;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  progress: Progress | null;
  /** Announced at upload time; the report exists once the job is done. */
  reportId: string;
  /** Expiry of the report (done jobs). */
  expiresAt: number | null;
  error: { code: string; message: string } | null;
}

export interface QueueStats {
  running: number;
  /** Uploads being received plus complete uploads waiting for analysis. */
  waiting: number;
  capacity: number;
}

export interface Reservation {
  id: string;
  spoolPath: string;
  /** Gives the place back and deletes whatever was spooled. */
  release(): Promise<void>;
}

export interface SubmitOptions {
  fileName: string | null;
  bytes: number;
  reportId: string;
  /** Hash of the delete token handed to the uploader; the report is stored with it. */
  tokenHash: string;
  /** Diagnosis threshold overrides for the analysis (already validated). */
  thresholds?: Partial<Thresholds>;
}

export interface JobQueue {
  /** A place for an upload about to be received, or null when the queue is full. */
  reserve(): Promise<Reservation | null>;
  submit(reservation: Reservation, options: SubmitOptions): Promise<JobStatus>;
  get(id: string): Promise<JobStatus | null>;
  /** The job that will produce (or produced) this report, while this process remembers it. */
  findByReport(reportId: string): Promise<JobStatus | null>;
  /** Called on every change of the job (state, position, progress) until it ends. */
  subscribe(id: string, listener: (s: JobStatus) => void): () => void;
  stats(): Promise<QueueStats>;
  /** Seconds a refused client should wait before trying again. */
  retryAfterSeconds(): number;
  sweep(now: number): Promise<void>;
  close(): Promise<void>;
}

/** A job gets this many starts; one interrupted more often (e.g. it crashes the process) fails. */
export const MAX_ATTEMPTS = 2;

interface Manifest {
  v: 1;
  id: string;
  reportId: string;
  tokenHash: string;
  fileName: string | null;
  bytes: number;
  createdAt: number;
  attempts: number;
  thresholds?: Partial<Thresholds>;
}

interface FinalRecord {
  v: 1;
  id: string;
  reportId: string;
  state: 'done' | 'failed';
  fileName: string | null;
  bytes: number;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number;
  expiresAt: number | null;
  error: { code: string; message: string } | null;
}

interface Job {
  manifest: Manifest;
  state: JobState;
  startedAt: number | null;
  finishedAt: number | null;
  progress: Progress | null;
  expiresAt: number | null;
  error: { code: string; message: string } | null;
  abort: AbortController | null;
}

export interface InProcessQueueOptions {
  dataDir: string;
  capacity: number;
  concurrency: number;
  reportTtlMs: number;
  runner: AnalysisRunner;
  reports: ReportStore;
  now: () => number;
  logger: Logger;
}

const CAPTURE_EXT = '.capture';
const MANIFEST_EXT = '.job.json';
/** Spool files of no known job younger than this are left alone (an upload may be starting). */
const ORPHAN_GRACE_MS = 60 * 60_000;
/** Finished jobs remembered in memory (older ones are read from their record file). */
const MAX_FINISHED_IN_MEMORY = 1000;

export class InProcessJobQueue implements JobQueue {
  readonly spoolDir: string;
  readonly jobsDir: string;
  private readonly jobs = new Map<string, Job>();
  private readonly byReport = new Map<string, string>();
  private readonly waiting: string[] = [];
  private readonly reserved = new Set<string>();
  private readonly listeners = new Map<string, Set<(s: JobStatus) => void>>();
  private running = 0;
  private closed = false;
  private readonly runs = new Set<Promise<void>>();

  constructor(private readonly o: InProcessQueueOptions) {
    this.spoolDir = join(o.dataDir, 'spool');
    this.jobsDir = join(o.dataDir, 'jobs');
  }

  private capturePath(id: string): string {
    return join(this.spoolDir, `${id}${CAPTURE_EXT}`);
  }

  private manifestPath(id: string): string {
    return join(this.spoolDir, `${id}${MANIFEST_EXT}`);
  }

  private recordPath(id: string): string {
    return join(this.jobsDir, `${id}.json`);
  }

  /**
   * Start-up: complete uploads (manifest present, capture of the announced size) are queued again,
   * in upload order; everything else in the spool (uploads cut short by the restart, temp files) is
   * removed. Jobs that already had MAX_ATTEMPTS starts fail instead of looping.
   */
  async recover(): Promise<void> {
    await mkdir(this.spoolDir, { recursive: true, mode: 0o700 });
    await mkdir(this.jobsDir, { recursive: true, mode: 0o700 });
    const names = await readdir(this.spoolDir);
    const keep = new Set<string>();
    const resumed: Manifest[] = [];
    for (const name of names) {
      if (!name.endsWith(MANIFEST_EXT)) continue;
      const id = name.slice(0, -MANIFEST_EXT.length);
      const m = await readJson(join(this.spoolDir, name));
      if (!isId(id) || !isManifest(m, id)) continue;
      const size = await fileSize(this.capturePath(id));
      if (size !== m.bytes) {
        this.o.logger.warn('job_dropped', { task: id, reason: 'spooled capture missing or of the wrong size' });
        continue;
      }
      if (m.attempts >= MAX_ATTEMPTS) {
        await this.finish(this.adopt(m), 'failed', null, {
          code: 'interrupted',
          message: `the analysis was interrupted ${m.attempts} times (server restarts); it was not retried again`,
        });
        continue;
      }
      keep.add(name).add(`${id}${CAPTURE_EXT}`);
      resumed.push(m);
    }
    for (const name of names) {
      if (!keep.has(name)) await rm(join(this.spoolDir, name), { force: true, recursive: true });
    }
    resumed.sort((a, b) => a.createdAt - b.createdAt);
    for (const m of resumed) {
      this.adopt(m);
      this.waiting.push(m.id);
      this.o.logger.info('job_resumed', { task: m.id, bytes: m.bytes, attempts: m.attempts });
    }
    this.pump();
  }

  private adopt(m: Manifest): Job {
    const job: Job = { manifest: m, state: 'queued', startedAt: null, finishedAt: null, progress: null, expiresAt: null, error: null, abort: null };
    this.jobs.set(m.id, job);
    this.byReport.set(m.reportId, m.id);
    return job;
  }

  async reserve(): Promise<Reservation | null> {
    if (this.closed || this.reserved.size + this.waiting.length >= this.o.capacity) return null;
    const id = newId();
    this.reserved.add(id);
    const spoolPath = this.capturePath(id);
    let released = false;
    return {
      id,
      spoolPath,
      release: async () => {
        if (released) return;
        released = true;
        this.reserved.delete(id);
        await rm(spoolPath, { force: true });
      },
    };
  }

  async submit(r: Reservation, o: SubmitOptions): Promise<JobStatus> {
    if (!this.reserved.has(r.id)) throw new Error('reservation is not active');
    const m: Manifest = {
      v: 1,
      id: r.id,
      reportId: o.reportId,
      tokenHash: o.tokenHash,
      fileName: o.fileName,
      bytes: o.bytes,
      createdAt: this.o.now(),
      attempts: 0,
      ...(o.thresholds && Object.keys(o.thresholds).length > 0 ? { thresholds: o.thresholds } : {}),
    };
    await writeFileAtomic(this.manifestPath(r.id), JSON.stringify(m));
    this.reserved.delete(r.id);
    this.adopt(m);
    this.waiting.push(r.id);
    this.o.logger.info('job_queued', { task: r.id, bytes: o.bytes, position: this.waiting.length });
    this.pump();
    return this.status(this.jobs.get(r.id)!);
  }

  private pump(): void {
    while (!this.closed && this.running < this.o.concurrency && this.waiting.length > 0) {
      const id = this.waiting.shift()!;
      const job = this.jobs.get(id);
      if (!job) continue;
      this.running++;
      const run = this.run(job).finally(() => {
        this.running--;
        this.runs.delete(run);
        this.pump();
      });
      this.runs.add(run);
    }
    // Everyone still waiting moved up one place.
    for (const id of this.waiting) this.notify(id);
  }

  private async run(job: Job): Promise<void> {
    const m = job.manifest;
    const id = m.id;
    job.state = 'running';
    job.startedAt = this.o.now();
    job.abort = new AbortController();
    // Counted before the analysis starts: a job that takes the process down is not retried forever.
    m.attempts++;
    try {
      await writeFileAtomic(this.manifestPath(id), JSON.stringify(m));
    } catch (e) {
      this.o.logger.error('job_manifest_write_failed', { task: id, error: errorText(e) });
    }
    this.o.logger.info('job_started', { task: id, bytes: m.bytes, attempt: m.attempts });
    this.notify(id);
    const t0 = performance.now();
    let outcome: { json: string; packets: number };
    try {
      outcome = await this.o.runner(
        { spoolPath: this.capturePath(id), fileName: m.fileName, totalBytes: m.bytes, ...(m.thresholds ? { thresholds: m.thresholds } : {}) },
        {
          signal: job.abort.signal,
          onProgress: (p) => {
            job.progress = p;
            this.notify(id);
          },
        },
      );
    } catch (e) {
      if (this.closed) {
        // Shutting down: the manifest stays and the next start resumes the job. A clean shutdown is
        // not the job's fault, so this start does not count.
        m.attempts--;
        await writeFileAtomic(this.manifestPath(id), JSON.stringify(m)).catch(() => {});
        this.o.logger.info('job_interrupted', { task: id });
        return;
      }
      const failure =
        e instanceof AnalysisFailure ? { code: e.code, message: e.message } : { code: 'analysis_error', message: 'the analysis failed because of an internal error' };
      if (!(e instanceof AnalysisFailure)) this.o.logger.error('job_internal_error', { task: id, error: e });
      await this.finish(job, 'failed', null, failure);
      return;
    }
    const ms = performance.now() - t0;
    try {
      const meta = await this.o.reports.put(outcome.json, {
        id: m.reportId,
        tokenHash: m.tokenHash,
        origin: 'analysis',
        now: this.o.now(),
        ttlMs: this.o.reportTtlMs,
      });
      this.o.logger.info('job_done', {
        task: id,
        report: m.reportId,
        bytes: m.bytes,
        packets: outcome.packets,
        ms: Math.round(ms),
        mbPerSecond: Math.round((m.bytes / 1048576 / Math.max(ms, 1)) * 1000 * 10) / 10,
      });
      await this.finish(job, 'done', meta.expiresAt, null);
    } catch (e) {
      this.o.logger.error('report_store_failed', { task: id, error: e });
      await this.finish(job, 'failed', null, { code: 'storage_error', message: 'the report could not be stored' });
    }
  }

  private async finish(job: Job, state: 'done' | 'failed', expiresAt: number | null, error: FinalRecord['error']): Promise<void> {
    const m = job.manifest;
    const finishedAt = this.o.now();
    if (state === 'failed') this.o.logger.warn('job_failed', { task: m.id, code: error?.code, message: error?.message });
    const record: FinalRecord = {
      v: 1,
      id: m.id,
      reportId: m.reportId,
      state,
      fileName: m.fileName,
      bytes: m.bytes,
      createdAt: m.createdAt,
      startedAt: job.startedAt,
      finishedAt,
      expiresAt,
      error,
    };
    try {
      await writeFileAtomic(this.recordPath(m.id), JSON.stringify(record));
    } catch (e) {
      this.o.logger.error('job_record_write_failed', { task: m.id, error: errorText(e) });
    }
    // The record is durable: the capture and its manifest can go. Only then does the job say it ended.
    await rm(this.manifestPath(m.id), { force: true });
    await rm(this.capturePath(m.id), { force: true });
    job.state = state;
    job.finishedAt = finishedAt;
    job.expiresAt = expiresAt;
    job.error = error;
    job.abort = null;
    this.notify(m.id);
    this.listeners.delete(m.id);
    this.trimFinished();
  }

  private trimFinished(): void {
    let finished = 0;
    for (const j of this.jobs.values()) if (j.state === 'done' || j.state === 'failed') finished++;
    for (const [id, j] of this.jobs) {
      if (finished <= MAX_FINISHED_IN_MEMORY) break;
      if (j.state !== 'done' && j.state !== 'failed') continue;
      this.jobs.delete(id);
      this.byReport.delete(j.manifest.reportId);
      finished--;
    }
  }

  private status(job: Job): JobStatus {
    const m = job.manifest;
    const pos = job.state === 'queued' ? this.waiting.indexOf(m.id) : -1;
    return {
      id: m.id,
      state: job.state,
      position: pos >= 0 ? pos + 1 : null,
      fileName: m.fileName,
      bytes: m.bytes,
      createdAt: m.createdAt,
      startedAt: job.startedAt,
      finishedAt: job.finishedAt,
      progress: job.progress,
      reportId: m.reportId,
      expiresAt: job.expiresAt,
      error: job.error,
    };
  }

  private notify(id: string): void {
    const set = this.listeners.get(id);
    const job = this.jobs.get(id);
    if (!set || !job) return;
    const s = this.status(job);
    for (const l of [...set]) {
      try {
        l(s);
      } catch (e) {
        this.o.logger.error('listener_failed', { task: id, error: errorText(e) });
      }
    }
  }

  async get(id: string): Promise<JobStatus | null> {
    if (!isId(id)) return null;
    const job = this.jobs.get(id);
    if (job) return this.status(job);
    const r = await readJson(this.recordPath(id));
    if (!isRecord(r, id)) return null;
    return {
      id,
      state: r.state,
      position: null,
      fileName: r.fileName,
      bytes: r.bytes,
      createdAt: r.createdAt,
      startedAt: r.startedAt,
      finishedAt: r.finishedAt,
      progress: null,
      reportId: r.reportId,
      expiresAt: r.expiresAt,
      error: r.error,
    };
  }

  async findByReport(reportId: string): Promise<JobStatus | null> {
    const id = this.byReport.get(reportId);
    return id ? this.get(id) : null;
  }

  subscribe(id: string, listener: (s: JobStatus) => void): () => void {
    let set = this.listeners.get(id);
    if (!set) this.listeners.set(id, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(id) === set) this.listeners.delete(id);
    };
  }

  async stats(): Promise<QueueStats> {
    return { running: this.running, waiting: this.waiting.length + this.reserved.size, capacity: this.o.capacity };
  }

  retryAfterSeconds(): number {
    return 30;
  }

  /**
   * Removes final job records past their report's expiry and spool files no job owns (left by a
   * failed delete); finished jobs in memory older than the TTL are forgotten too.
   */
  async sweep(now: number): Promise<void> {
    const ttl = this.o.reportTtlMs;
    for (const [id, j] of this.jobs) {
      if ((j.state === 'done' || j.state === 'failed') && j.finishedAt !== null && now - j.finishedAt >= ttl) {
        this.jobs.delete(id);
        this.byReport.delete(j.manifest.reportId);
      }
    }
    for (const name of await readdir(this.jobsDir).catch(() => [] as string[])) {
      const path = join(this.jobsDir, name);
      const id = name.endsWith('.json') ? name.slice(0, -5) : '';
      const r = isId(id) ? await readJson(path) : null;
      const expired = isRecord(r, id) ? now - r.finishedAt >= ttl : await olderThan(path, now, ORPHAN_GRACE_MS);
      if (expired) await rm(path, { force: true });
    }
    for (const name of await readdir(this.spoolDir).catch(() => [] as string[])) {
      const id = name.endsWith(CAPTURE_EXT) ? name.slice(0, -CAPTURE_EXT.length) : name.endsWith(MANIFEST_EXT) ? name.slice(0, -MANIFEST_EXT.length) : '';
      const job = this.jobs.get(id);
      if (this.reserved.has(id) || job?.state === 'queued' || job?.state === 'running') continue;
      const path = join(this.spoolDir, name);
      // A finished job's leftovers (its clean-up failed) go now; anything else once it is old enough
      // not to be an upload that is just starting.
      if (job || (await olderThan(path, now, ORPHAN_GRACE_MS))) {
        this.o.logger.info('spool_orphan_removed', { file: name.slice(0, 80) });
        await rm(path, { force: true, recursive: true });
      }
    }
  }

  /** Stops running analyses (their manifests stay: the next start resumes them) and refuses new work. */
  async close(): Promise<void> {
    this.closed = true;
    for (const j of this.jobs.values()) j.abort?.abort();
    await Promise.allSettled([...this.runs]);
  }
}

function isManifest(x: unknown, id: string): x is Manifest {
  if (typeof x !== 'object' || x === null) return false;
  const m = x as Record<string, unknown>;
  return (
    m.v === 1 &&
    m.id === id &&
    typeof m.reportId === 'string' &&
    isId(m.reportId) &&
    typeof m.tokenHash === 'string' &&
    /^[0-9a-f]{64}$/.test(m.tokenHash) &&
    (m.fileName === null || typeof m.fileName === 'string') &&
    typeof m.bytes === 'number' &&
    typeof m.createdAt === 'number' &&
    typeof m.attempts === 'number' &&
    (m.thresholds === undefined || validThresholds(m.thresholds))
  );
}

function validThresholds(x: unknown): boolean {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  try {
    resolveThresholds(x as Record<string, number>);
    return true;
  } catch {
    return false;
  }
}

function isRecord(x: unknown, id: string): x is FinalRecord {
  if (typeof x !== 'object' || x === null) return false;
  const r = x as Record<string, unknown>;
  return r.v === 1 && r.id === id && (r.state === 'done' || r.state === 'failed') && typeof r.reportId === 'string' && typeof r.finishedAt === 'number';
}

async function fileSize(path: string): Promise<number | null> {
  try {
    const s = await stat(path);
    return s.isFile() ? s.size : null;
  } catch {
    return null;
  }
}

async function olderThan(path: string, now: number, ms: number): Promise<boolean> {
  try {
    return now - (await stat(path)).mtimeMs > ms;
  } catch {
    return false;
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
